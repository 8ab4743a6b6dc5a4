//! A bad minute at id.twitch.tv, as a program running for hours meets it: a refresh that fails
//! while the token still works hands the token out (the error comes only once no usable token is
//! left), and a loop calling the handle often sends one request per back-off, not one per call.
//! The table is in `src/pacing.rs` (and RELIABILITY.md, "A bad minute").

mod support;

use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use log::{Level, LevelFilter, Log, Metadata, Record};
use support::{CHAT, Setup};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Helper, UserToken};

/// Every warning of this crate.
struct Capture;

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl Log for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Warn
    }
    fn log(&self, record: &Record<'_>) {
        if record.level() <= Level::Warn && record.target().starts_with("twitch_auth") {
            let line = record.args().to_string();
            WARNINGS.lock().unwrap().push(line);
        }
    }
    fn flush(&self) {}
}

fn capture() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(LevelFilter::Warn);
    });
}

fn token_requests(t: &Setup) -> usize {
    t.requests().iter().filter(|r| *r == "POST token").count()
}

/// A token with 119 s left and the 60 s margin widened to 120 s: every `access_token()` finds
/// the refresh due while the token still works, as a blip in a token's last minute does.
fn due_but_valid(t: &Setup, helper: impl FnOnce(Helper) -> Helper) -> UserToken {
    t.fake.set_expires_in(Some(119));
    let token = helper(
        t.generating_helper(&CHAT)
            .refresh_margin(Duration::from_secs(120)),
    )
    .bind()
    .unwrap();
    t.fake.set_expires_in(Some(14_124));
    t.fake.clear_requests();
    token
}

#[test]
fn a_refresh_that_fails_while_the_token_works_hands_the_token_out() {
    capture();
    let t = Setup::new();
    let token = due_but_valid(&t, |h| h);
    let current = t.file_json()["token"].clone();
    let before = t.file_bytes();
    t.fake.fail_times(Endpoint::Token, Fault::Close, 1); // a dropped connection

    let access = token
        .access_token()
        .expect("the token still works for 119 s");

    assert_eq!(access.secret(), current);
    assert_eq!(
        token.authorization().unwrap(),
        format!("Bearer {}", access.secret())
    );
    assert_eq!(token_requests(&t), 1, "{:?}", t.requests());
    assert_eq!(t.file_bytes(), before, "nothing stored changed");
    let warnings = WARNINGS.lock().unwrap().clone();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("is used meanwhile") && w.contains("s more")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().all(|w| !w.contains(access.secret())),
        "{warnings:?}"
    );
}

#[test]
fn without_a_usable_token_the_refresh_failure_is_the_error() {
    let t = Setup::new();
    let token = due_but_valid(&t, |h| h);
    // Helix said 401: the token no longer works, whatever its expiry says.
    token.report_unauthorized(&token.access_token().unwrap());
    t.fake.clear_requests();
    t.fake
        .fail_times(Endpoint::Token, Fault::status(502, "<html>502</html>"), 1);

    let err = token.access_token().unwrap_err();

    assert!(err.is_transient() && !err.needs_login(), "{err:?}");
    assert_eq!(token_requests(&t), 1);
    // During the back-off: the same error at once, and no request.
    let again = token.access_token().unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
    assert_eq!(token_requests(&t), 1, "{:?}", t.requests());
}

/// Twice a second for 2.5 s, with Twitch failing every request: with the default back-off (1 s,
/// then 2 s) two or three refreshes are sent, not one per call, and every call gets the token.
#[test]
fn an_outage_is_paced_while_the_token_is_served() {
    let t = Setup::new();
    let token = due_but_valid(&t, |h| h);
    let current = t.file_json()["token"].clone();
    t.fake.fail_times(Endpoint::Token, Fault::Close, 1_000);

    let start = Instant::now();
    let mut calls = 0;
    while start.elapsed() < Duration::from_millis(2_500) {
        let access = token.access_token().expect("served throughout the outage");
        assert_eq!(access.secret(), current);
        calls += 1;
        std::thread::sleep(Duration::from_millis(500));
    }

    let sent = token_requests(&t);
    assert!(calls >= 5, "{calls} calls");
    assert!(
        (1..=3).contains(&sent),
        "{sent} refreshes for {calls} calls in 2.5 s"
    );

    // Twitch is back: the next attempt after the back-off refreshes, and the new pair is saved.
    t.fake.clear_faults();
    std::thread::sleep(Duration::from_secs(4)); // past the third pause (4 s) at the latest
    let access = token.access_token().unwrap();
    assert_ne!(access.secret(), current);
    assert_eq!(t.file_json()["token"], access.secret());
}

#[test]
fn the_back_off_doubles_and_a_success_ends_it() {
    let t = Setup::new();
    let ms = Duration::from_millis;
    let token = due_but_valid(&t, |h| h.retry_backoff(ms(100), ms(400)));
    t.fake.fail_times(Endpoint::Token, Fault::Close, 1_000);

    // Attempts at 0, 100, 300, 700 and 1100 ms, then every 400 ms: about 6 in 1.5 s.
    let start = Instant::now();
    while start.elapsed() < ms(1_500) {
        token.access_token().unwrap();
        std::thread::sleep(ms(10));
    }
    let sent = token_requests(&t);
    assert!((4..=8).contains(&sent), "{sent} refreshes in 1.5 s");

    t.fake.clear_faults();
    std::thread::sleep(ms(450));
    token.access_token().unwrap();
    let after = token_requests(&t);
    assert_eq!(after, sent + 1, "one refresh once Twitch is back");
    // Fresh now: nothing is due, so nothing more is sent.
    token.access_token().unwrap();
    assert_eq!(token_requests(&t), after);
}

#[test]
fn retry_after_is_waited_for() {
    let t = Setup::new();
    let ms = Duration::from_millis;
    let token = due_but_valid(&t, |h| h.retry_backoff(ms(50), ms(100)));
    t.fake
        .fail_times(Endpoint::Token, Fault::RateLimited { retry_after: 2 }, 1);

    let start = Instant::now();
    while start.elapsed() < ms(1_200) {
        token.access_token().unwrap();
        std::thread::sleep(ms(20));
    }

    assert_eq!(
        token_requests(&t),
        1,
        "Retry-After: 2 asked for 2 s: {:?}",
        t.requests()
    );
}

#[test]
fn a_failed_validation_is_paced_too() {
    let t = Setup::new();
    let ms = Duration::from_millis;
    let token = t
        .generating_helper(&CHAT)
        .validate_interval(Duration::ZERO)
        .retry_backoff(ms(300), ms(300))
        .bind()
        .unwrap();
    t.fake.clear_requests();
    t.fake
        .fail_times(Endpoint::Validate, Fault::status(503, ""), 1_000);

    assert!(token.validate_if_due().unwrap_err().is_transient());
    assert!(
        !token.validate_if_due().unwrap(),
        "not again before the back-off"
    );
    assert_eq!(t.requests(), ["GET validate"]);
    assert!(token.access_token().is_ok(), "the token is still served");

    std::thread::sleep(ms(350));
    t.fake.clear_faults();
    assert!(token.validate_if_due().unwrap());
    assert_eq!(t.requests(), ["GET validate", "GET validate"]);
}

#[test]
fn no_back_off_asks_at_every_call() {
    let t = Setup::new();
    let token = due_but_valid(&t, |h| h.retry_backoff(Duration::ZERO, Duration::ZERO));
    t.fake.fail_times(Endpoint::Token, Fault::Close, 3);

    for _ in 0..3 {
        token.access_token().unwrap();
    }

    assert_eq!(token_requests(&t), 3);
    let fresh = token.access_token().unwrap();
    assert_eq!(t.file_json()["token"], fresh.secret());
}

/// The loop of README's "Programs that run for hours" and of `UserToken`'s docs, as written
/// there (with the sleep shortened): an outage passes, a revoked grant ends the session.
#[test]
fn the_documented_loop_rides_out_an_outage_and_ends_when_the_grant_is_gone() {
    let t = Setup::new();
    let ms = Duration::from_millis;
    let token = due_but_valid(&t, |h| h.retry_backoff(ms(20), ms(50)));
    t.fake.fail_times(Endpoint::Token, Fault::Close, 1_000);
    let (mut rounds, mut used, mut passed) = (0, 0, 0);

    let ended = loop {
        rounds += 1;
        if rounds == 20 {
            // The user disconnects the app: the token and its refresh token are dead.
            t.fake.clear_faults();
            t.fake.expire_access_tokens();
            t.fake.revoke_refresh_token(token.refresh_token().secret());
            token.report_unauthorized(&token.access_token().unwrap());
        }
        let step = token.validate_if_due().and_then(|_| token.access_token());
        match step {
            Ok(_access) => used += 1,
            Err(e) if e.needs_login() => break e,
            Err(_e) => passed += 1,
        }
        assert!(rounds < 100, "the loop never ended");
        std::thread::sleep(ms(10));
    };

    assert!(ended.needs_login(), "{ended:?}");
    assert_eq!(
        used, 19,
        "served through the outage ({passed} errors passed)"
    );
    // The revoked grant is found at the first refresh after the running back-off (50 ms).
    assert!((20..=27).contains(&rounds), "{rounds} rounds");
}
