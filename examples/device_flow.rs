//! Log in without a browser on this machine: the device-code flow. The user opens a URL on any
//! device (a phone will do) and enters the code shown here. Works with a Public client, which
//! has no client secret (games and mods must not ship one).
//!
//! ```sh
//! TWITCH_CLIENT_ID=... cargo run --example device_flow
//! ```

use std::error::Error as _;
use std::process::ExitCode;

use twitch_auth::{Error, Helper, Scope};

fn run() -> Result<(), Error> {
    let token = Helper::new([Scope::ChatRead, Scope::ChatEdit])
        .device_flow()
        .on_device_code(|code| {
            println!("On any device, open {}", code.verification_uri());
            println!(
                "and enter the code {} (valid for {} minutes).",
                code.user_code(),
                code.expires_in().as_secs() / 60
            );
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
