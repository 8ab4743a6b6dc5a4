//! The everyday use: a token with chat scopes, kept in `user_token.json` in the current directory.
//!
//! Needs a Twitch app (https://dev.twitch.tv/console) with the OAuth redirect URL
//! `http://localhost:17563`; its credentials come from the environment:
//!
//! ```sh
//! TWITCH_CLIENT_ID=... TWITCH_CLIENT_SECRET=... cargo run --example basic
//! ```

use std::error::Error as _;
use std::process::ExitCode;

use twitch_auth::{Error, Helper, Scope};

fn run() -> Result<(), Error> {
    let token = Helper::new([Scope::ChatRead, Scope::ChatEdit]).bind()?;
    println!(
        "{} token for {} ({})",
        token.outcome(),
        token.login(),
        token.user_id()
    );
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
