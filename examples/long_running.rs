//! A program that runs for hours: it keeps its token fresh and validates it hourly, as Twitch
//! requires, and ends its session when the user's grant is revoked.
//!
//! It runs offline against the built-in fake Twitch, with the times shortened: tokens live 6 s,
//! are refreshed 2 s before they expire, and are validated every 3 s. After 12 s the fake
//! revokes the grant, as when the user disconnects the app at twitch.tv.
//!
//! ```sh
//! cargo run --example long_running
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use twitch_auth::mock::FakeTwitch;
use twitch_auth::{Helper, Scope};

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeTwitch::start()?;
    fake.set_expires_in(Some(6));
    let grant = fake.grant(&["chat:read"]);
    let dir = std::env::temp_dir().join(format!("twitch-auth-long-running-{}", std::process::id()));

    let token = Helper::new([Scope::ChatRead])
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .auth_base_url(fake.url())
        .path(dir.join("user_token.json"))
        // Your own login would go here; the fake hands out a token directly.
        .generator(move |_, _| Ok(grant.clone()))
        .refresh_margin(Duration::from_secs(2))
        .validate_interval(Duration::from_secs(3))
        .on_refresh(|_| println!("  (a new token was saved)"))
        .bind()?;
    println!("{} token for {}", token.outcome(), token.login());

    let started = Instant::now();
    // Tokens are numbered here rather than printed: a secret never goes to a log.
    let (mut current, mut number) = (None, 0);
    let ended = loop {
        let elapsed = started.elapsed().as_secs();
        if elapsed >= 12 {
            fake.expire_access_tokens();
            fake.revoke_refresh_token(token.refresh_token().secret());
        }
        // The two calls a long-running program makes: validate when due, then use the token.
        let step = token.validate_if_due().and_then(|validated| {
            let access = token.access_token()?;
            Ok((validated, access))
        });
        match step {
            Ok((validated, access)) => {
                if current.as_ref() != Some(&access) {
                    (current, number) = (Some(access), number + 1);
                }
                let validated = if validated { " (validated)" } else { "" };
                println!("t={elapsed:>2}s using token #{number}{validated}");
            }
            Err(err) if err.needs_login() => break err,
            // A network hiccup: keep the session, try again on the next round.
            Err(err) => println!("t={elapsed:>2}s will retry: {err}"),
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    println!("session ended: {ended}");
    std::fs::remove_dir_all(dir)?;
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
