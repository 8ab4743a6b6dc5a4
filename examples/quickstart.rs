//! The whole flow offline, against the built-in fake id.twitch.tv: no account, no credentials,
//! no browser needed.
//!
//! ```sh
//! cargo run --example quickstart                  # opens your browser if it can
//! cargo run --example quickstart -- --no-browser  # follows the login URL itself
//! ```
//!
//! 1. The first `bind()` finds no token file and logs in. The login page opens in your browser;
//!    where none can be opened, the example follows the login URL itself, as a browser would.
//! 2. The second `bind()` reuses the stored token.
//! 3. The fake expires the token, and the third `bind()` refreshes it.

use std::net::TcpListener;
use std::time::Duration;

use twitch_auth::mock::{self, FakeTwitch};
use twitch_auth::{Helper, Scope};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeTwitch::start()?;
    let dir = std::env::temp_dir().join(format!("twitch-auth-quickstart-{}", std::process::id()));
    let path = dir.join("user_token.json");
    // Any free port will do for the fake, which accepts every redirect URL.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let open_browser = !std::env::args().any(|arg| arg == "--no-browser");

    let helper = Helper::new([Scope::ChatRead, Scope::ChatEdit])
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .auth_base_url(fake.url())
        .redirect_url(format!("http://localhost:{port}"))
        .path(&path)
        .login_timeout(Duration::from_secs(60))
        .open_browser(open_browser)
        .on_url(|url| {
            eprintln!("no browser opened: following the login URL like a browser would");
            mock::browse_in_background(url);
        });

    let mut seen = 0;
    let mut step = |what: &str, helper: &Helper| -> Result<(), Box<dyn std::error::Error>> {
        let token = helper.bind()?;
        let requests = fake.requests();
        let made: Vec<String> = requests[seen..]
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.method(),
                    r.target().split('?').next().unwrap_or_default()
                )
            })
            .collect();
        seen = requests.len();
        println!(
            "{what}: {} token for {}; requests: {}",
            token.outcome(),
            token.login(),
            made.join(", ")
        );
        Ok(())
    };

    step("first bind ", &helper)?;
    step("second bind", &helper)?;
    fake.expire_access_tokens();
    step("third bind ", &helper)?;

    println!("token file: {}", path.display());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
