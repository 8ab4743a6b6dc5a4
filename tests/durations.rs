//! Durations too long for the clock, from the server or from a setter, never panic: a deadline
//! beyond what `Instant` can hold is no deadline in practice, and a wait longer than the code's
//! life ends at the code's expiry.
//!
//! Each test is bounded by something short: a code that expires in 1 s, a login timeout of
//! 300 ms, or a fake that grants the token at once.

mod support;

use std::time::Duration;

use support::{CHAT, Setup};
use twitch_auth::{Error, Helper, Outcome};

/// The longest interval and lifetime a server can send: 2^64 - 1 seconds.
const FOREVER: u64 = u64::MAX;

fn device_helper(t: &Setup) -> Helper {
    t.bare_helper(&CHAT).device_flow().on_device_code(|_| {})
}

fn device_polls(t: &Setup) -> usize {
    t.fake
        .requests()
        .iter()
        .filter(|r| r.form("device_code").is_some())
        .count()
}

#[test]
fn a_device_interval_of_2_64_seconds_ends_when_the_code_expires() {
    let t = Setup::new();
    t.fake.set_device_interval(FOREVER);
    t.fake.set_device_expires_in(1);

    let err = device_helper(&t)
        .login_timeout(Duration::MAX)
        .bind()
        .unwrap_err();

    assert!(matches!(err, Error::DeviceCodeExpired { .. }), "{err:?}");
    assert_eq!(device_polls(&t), 0, "no poll fits before the expiry");
    assert!(t.file_bytes().is_none());
}

#[test]
fn a_device_interval_of_2_64_seconds_ends_at_the_login_timeout() {
    let t = Setup::new();
    t.fake.set_device_interval(FOREVER);

    let err = device_helper(&t)
        .login_timeout(Duration::from_millis(300))
        .bind()
        .unwrap_err();

    assert!(matches!(err, Error::LoginTimedOut { .. }), "{err:?}");
    assert_eq!(device_polls(&t), 0);
}

#[test]
fn a_device_code_living_2_64_seconds_with_no_login_timeout_still_logs_in() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.set_device_expires_in(FOREVER);
    t.fake.set_device_pending_polls(2);

    let token = device_helper(&t)
        .login_timeout(Duration::MAX)
        .bind()
        .unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(device_polls(&t), 3, "2 pending, then the token");
}

#[test]
fn a_browser_login_with_no_login_timeout_still_logs_in() {
    let t = Setup::new();

    let token = t.helper(&CHAT).login_timeout(Duration::MAX).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(t.page().status(), 200);
}

#[test]
fn an_http_timeout_of_duration_max_still_makes_requests() {
    let t = Setup::new();
    t.store(&CHAT);

    let token = t
        .generating_helper(&CHAT)
        .http_timeout(Duration::MAX)
        .bind()
        .unwrap();

    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(t.requests(), ["GET validate"]);
}

#[test]
fn tokens_living_2_64_seconds_are_generated_reused_and_refreshed() {
    let t = Setup::new();
    t.fake.set_expires_in(Some(FOREVER));
    let helper = t.helper(&CHAT);

    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Generated);
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Reused);
    t.fake.expire_access_tokens();
    let token = helper.bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    token.access_token().unwrap();
    assert!(
        t.file_json()["expires_at"].is_null(),
        "an expiry past what the clock holds is stored as none: {}",
        t.file_json()
    );
}
