//! The token stored in a file of your choice; missing directories are created (owner only).
//!
//! ```sh
//! TWITCH_CLIENT_ID=... TWITCH_CLIENT_SECRET=... cargo run --example custom_path -- /my/new/path/file.json
//! ```

use std::error::Error as _;
use std::process::ExitCode;

use twitch_auth::{Error, Helper, Scope};

fn run() -> Result<(), Error> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tokens/user_token.json".to_owned());
    let token = Helper::new([Scope::ChatRead, Scope::ChatEdit])
        .path(&path)
        .bind()?;
    println!(
        "{} token for {}, stored in {path}",
        token.outcome(),
        token.login()
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
