//! Your own way to get a new token, for headless setups or a UI of your own.
//!
//! This generator asks on the terminal for a token pair made elsewhere (for example with
//! `twitch token -u` from Twitch's CLI on another machine). `bind()` still validates the pair,
//! checks its scopes, stores it, and refreshes it later.
//!
//! ```sh
//! TWITCH_CLIENT_ID=... TWITCH_CLIENT_SECRET=... cargo run --example custom_generator
//! ```

use std::error::Error as _;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use twitch_auth::{Error, Helper, Scope, TokenPair};

fn ask(question: &str) -> io::Result<String> {
    eprint!("{question}: ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim().to_owned())
}

fn run() -> Result<(), Error> {
    let token = Helper::new([Scope::ChatRead, Scope::ChatEdit])
        .generator(|ctx, scopes| {
            let scopes: Vec<&str> = scopes.iter().map(Scope::as_str).collect();
            eprintln!(
                "Make a user token for client id {} with scopes {scopes:?}.",
                ctx.client_id()
            );
            Ok(TokenPair {
                access_token: ask("access token")?,
                refresh_token: ask("refresh token")?,
            })
        })
        .bind()?;
    println!("{} token for {}", token.outcome(), token.login());
    Ok(())
}

fn main() -> ExitCode {
    let Err(err) = run() else {
        return ExitCode::SUCCESS;
    };
    // Display says what happened and what to do, each source() why; `main() -> Result` would
    // print `Debug` instead (`Error: NoClientId`).
    eprintln!("error: {err}");
    let mut cause = err.source();
    while let Some(source) = cause {
        eprintln!("  caused by: {source}");
        cause = source.source();
    }
    ExitCode::FAILURE
}
