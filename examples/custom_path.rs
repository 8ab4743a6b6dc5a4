//! The token stored in a file of your choice; missing directories are created (owner only).
//!
//! ```sh
//! TWITCH_CLIENT_ID=... TWITCH_CLIENT_SECRET=... cargo run --example custom_path -- /my/new/path/file.json
//! ```

use twitch_auth::{Helper, Scope};

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
