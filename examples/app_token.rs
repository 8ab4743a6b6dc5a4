//! An app access token (client credentials) and a Helix call made with it: a user looked up by
//! login, as a bot's server side does before anyone has logged in.
//!
//! Needs a Confidential Twitch app (https://dev.twitch.tv/console; a Public one has no secret and
//! cannot get app tokens); its credentials come from the environment:
//!
//! ```sh
//! TWITCH_CLIENT_ID=... TWITCH_CLIENT_SECRET=... cargo run --example app_token -- twitchdev
//! ```

use std::process::ExitCode;

use twitch_auth::AppToken;

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let login = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "twitchdev".to_owned());
    let token = AppToken::builder().build()?;
    let user = helix_user(&token, &login);
    // A program that runs once and exits leaves no live token behind: each run gets its own.
    token.revoke()?;
    println!("{}", user?);
    Ok(())
}

fn main() -> ExitCode {
    let Err(err) = run() else {
        return ExitCode::SUCCESS;
    };
    // Display says what happened and what to do, each source() why; `main() -> Result` would
    // print `Debug` instead (`Error: NoClientId`), which the README says never to show.
    eprintln!("error: {err}");
    let mut cause = err.source();
    while let Some(source) = cause {
        eprintln!("  caused by: {source}");
        cause = source.source();
    }
    ExitCode::FAILURE
}

/// `GET helix/users?login=…` as the app; after a 401 (the token was revoked or expired early),
/// the token is reported, and the call is made once more with a new one.
fn helix_user(token: &AppToken, login: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut retried = false;
    loop {
        let authorization = token.authorization()?;
        let mut response = ureq::get("https://api.twitch.tv/helix/users")
            .query("login", login)
            .header("Authorization", &authorization)
            .header("Client-Id", token.client_id())
            .config()
            .http_status_as_error(false)
            .build()
            .call()?;
        let status = response.status();
        if status == 401 && !retried {
            token.report_unauthorized_header(&authorization);
            retried = true;
            continue;
        }
        let body = response.body_mut().read_to_string()?;
        if !status.is_success() {
            return Err(format!("Helix answered {status}: {body}").into());
        }
        return Ok(body);
    }
}
