//! The whole flow offline, against the built-in fake id.twitch.tv: no account, no credentials,
//! no browser needed.
//!
//! ```sh
//! cargo run --example quickstart                  # opens your browser if it can
//! cargo run --example quickstart -- --no-browser  # follows the login URL itself
//! ```
//!
//! 1. The first `bind()` finds no token file and logs in. The login page opens in your browser,
//!    and its URL is shown. When no login has come back 5 s after a browser was opened (one that
//!    shows nothing, or none at all), the example follows the URL itself, as a browser would; at
//!    once when no browser was tried (`--no-browser`, or no display on Linux).
//! 2. The second `bind()` reuses the stored token.
//! 3. The fake expires the token early (the file still says it is valid): the third `bind()`
//!    validates it, hears 401, and refreshes it. Each step prints the requests it made and why.
//!
//! The token file lives in a temporary directory, removed at the end.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use twitch_auth::mock::{self, Endpoint, FakeTwitch};
use twitch_auth::{Helper, Scope};

/// How long a browser that was opened gets to bring the login back before the example follows
/// the login URL itself: long enough for a browser to start, short enough to wait for.
const BROWSER_GRACE: Duration = Duration::from_secs(5);

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let fake = Arc::new(FakeTwitch::start()?);
    let dir = std::env::temp_dir().join(format!("twitch-auth-quickstart-{}", std::process::id()));
    let path = dir.join("user_token.json");
    // Any free port will do for the fake, which accepts every redirect URL; on 127.0.0.1, since
    // the port was found free there (`localhost` would listen on [::1] too).
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let no_browser = std::env::args().any(|arg| arg == "--no-browser");

    let watched = Arc::clone(&fake);
    let helper = Helper::new([Scope::ChatRead, Scope::ChatEdit])
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .auth_base_url(fake.url())
        .redirect_url(format!("http://127.0.0.1:{port}"))
        .path(&path)
        .login_timeout(Duration::from_secs(60))
        .open_browser(!no_browser);
    // No browser without the `browser` feature, with --no-browser, or where none could be seen
    // (Linux without a display): then nothing is waited for.
    let try_browser = helper.opens_browser();
    let helper = helper
        // Called at every browser login, also after a browser was opened.
        .on_url(move |url| {
            eprintln!("login URL: {url}");
            follow_unless_logged_in(Arc::clone(&watched), url.to_owned(), try_browser);
        });

    let mut seen = 0;
    let mut step =
        |what: &str, helper: &Helper, why: &str| -> Result<(), Box<dyn std::error::Error>> {
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
            // Why these requests (no ": " here: tests/examples.rs reads the lines above by it).
            println!("             ({why})");
            Ok(())
        };

    println!("The token file is {} (removed at the end).", path.display());
    step(
        "first bind ",
        &helper,
        "no token file, so the login page, the code exchanged for a pair, the pair validated",
    )?;
    step(
        "second bind",
        &helper,
        "the stored pair, validated at start as Twitch requires",
    )?;
    // Twitch ends the token early (as after a password change); the file still says it is
    // valid for hours, so bind() learns it from the validation.
    fake.expire_access_tokens();
    step(
        "third bind ",
        &helper,
        "the validation answered 401 (the fake expired the token early), so it was refreshed",
    )?;

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Plays the browser, on a thread of its own (`on_url` must return promptly): at once when no
/// browser was tried, else once `BROWSER_GRACE` has passed without the login coming back.
fn follow_unless_logged_in(fake: Arc<FakeTwitch>, url: String, tried_browser: bool) {
    std::thread::spawn(move || {
        if tried_browser {
            let waiting = Instant::now();
            while waiting.elapsed() < BROWSER_GRACE {
                if code_exchanged(&fake) {
                    return; // the browser brought the login back
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            eprintln!(
                "no login came back within {} s (no browser opened, or it shows nothing): \
                 following the login URL myself",
                BROWSER_GRACE.as_secs()
            );
        } else {
            eprintln!("no browser: following the login URL myself, as a browser would");
        }
        if let Err(err) = mock::browse(&url) {
            eprintln!("following the login URL failed: {err}");
        }
    });
}

/// Whether the login's redirect reached `bind()`: it then exchanges the code at the fake.
fn code_exchanged(fake: &FakeTwitch) -> bool {
    fake.requests().iter().any(|r| {
        r.endpoint() == Some(Endpoint::Token) && r.form("grant_type") == Some("authorization_code")
    })
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
