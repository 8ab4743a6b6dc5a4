//! A small command line tool in the spirit of `twitch token`: prints one JSON line with a usable
//! user token, reusing, refreshing or generating it as needed.
//!
//! ```sh
//! cargo run --example token -- --scopes "chat:read chat:edit" --path user_token.json
//! ```
//!
//! Options (the environment variables `TWITCH_CLIENT_ID` / `TWITCH_CLIENT_SECRET` stand in for
//! the first two): `--client-id ID`, `--client-secret SECRET`, `--scopes "a:b c:d"`,
//! `--path FILE`, `--auth-base-url URL`, `--redirect-url URL`, `--no-browser`, and `--device`
//! to log in with the device code (shown on stderr) instead of the browser redirect; the
//! client secret is then optional (a Public client has none).
//!
//! stdout gets exactly one line:
//! `{"outcome":"generated","access_token":"..","login":"..","user_id":"..","scopes":[..],"expires_at":..}`.
//! The login URL and progress go to stderr; a failure exits with status 1 and its causes on stderr.

use std::error::Error as _;
use std::process::ExitCode;

use twitch_auth::{Helper, Scope, UserToken};

const USAGE: &str = "usage: token [--client-id ID] [--client-secret SECRET] [--scopes \"a:b c:d\"] \
                     [--path FILE] [--auth-base-url URL] [--redirect-url URL] [--no-browser] \
                     [--device]";

fn main() -> ExitCode {
    let helper = match helper_from(std::env::args().skip(1)) {
        Ok(helper) => helper,
        Err(message) => {
            eprintln!("token: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match helper.bind().and_then(|token| json_line(&token)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("token: error: {err}");
            let mut source = err.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn helper_from(mut args: impl Iterator<Item = String>) -> Result<Helper, String> {
    let mut scopes = Vec::new();
    let mut settings = Vec::new();
    let mut open_browser = true;
    let mut device = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--scopes" => scopes.extend(value()?.split_whitespace().map(Scope::from)),
            "--client-id" | "--client-secret" | "--path" | "--auth-base-url" | "--redirect-url" => {
                settings.push((arg.clone(), value()?));
            }
            "--no-browser" => open_browser = false,
            "--device" => device = true,
            "-h" | "--help" => return Err("prints a Twitch user token as one JSON line".into()),
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    let mut helper = Helper::new(scopes).open_browser(open_browser);
    if device {
        helper = helper.device_flow();
    }
    for (name, value) in settings {
        helper = match name.as_str() {
            "--client-id" => helper.client_id(value),
            "--client-secret" => helper.client_secret(value),
            "--path" => helper.path(value),
            "--auth-base-url" => helper.auth_base_url(value),
            _ => helper.redirect_url(value),
        };
    }
    Ok(helper)
}

fn json_line(token: &UserToken) -> Result<serde_json::Value, twitch_auth::Error> {
    let expires_at = token.expires_at().map(|at| {
        at.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let access = token.access_token()?;
    Ok(serde_json::json!({
        "outcome": token.outcome().as_str(),
        // Printing the token is this tool's job; it goes to stdout only.
        "access_token": access.secret(),
        "login": token.login(),
        "user_id": token.user_id(),
        "scopes": token.scopes(),
        "expires_at": expires_at,
    }))
}
