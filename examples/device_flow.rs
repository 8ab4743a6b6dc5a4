//! Log in without a browser on this machine: the device-code flow. The user opens a URL on any
//! device (a phone will do) and enters the code shown here. Works with a Public client, which
//! has no client secret (games and mods must not ship one).
//!
//! ```sh
//! TWITCH_CLIENT_ID=... cargo run --example device_flow
//! ```

use twitch_auth::{Helper, Scope};

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
