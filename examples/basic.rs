//! The everyday use: a token with chat scopes, kept in `user_token.json` in the current directory.
//!
//! Needs a Twitch app (https://dev.twitch.tv/console) with the OAuth redirect URL
//! `http://localhost:17563`; its credentials come from the environment:
//!
//! ```sh
//! TWITCH_CLIENT_ID=... TWITCH_CLIENT_SECRET=... cargo run --example basic
//! ```

use twitch_auth::{Helper, Scope};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = Helper::new([Scope::ChatRead, Scope::ChatEdit]).bind()?;
    println!(
        "{} token for {} ({})",
        token.outcome(),
        token.login(),
        token.user_id()
    );
    Ok(())
}
