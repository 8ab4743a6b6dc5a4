//! Secrets never show: not in Debug, not in Display, not in any URL.

mod support;

use support::{CHAT, Setup};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Helper, UserToken};

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Helper>();
    check::<UserToken>();
    check::<twitch_auth::Error>();
    check::<twitch_auth::mock::FakeTwitch>();
}

#[test]
fn debug_of_a_token_and_a_helper_shows_no_secret() {
    let t = Setup::new();
    let helper = t.helper(&CHAT);
    let token = helper.bind().unwrap();
    let shown = format!(
        "{token:?} {helper:?} {:?} {:?}",
        token.access_token(),
        token.refresh_token()
    );
    for secret in [
        token.access_token().unwrap().secret(),
        token.refresh_token().secret(),
        t.fake.client_secret(),
    ] {
        assert!(!shown.contains(secret), "a secret in {shown}");
    }
    assert!(shown.contains("AccessToken([redacted])"), "{shown}");
    assert!(shown.contains("ClientSecret([redacted])"), "{shown}");
    assert!(shown.contains(t.fake.login()), "the rest is shown: {shown}");
}

#[test]
fn errors_of_a_failed_exchange_and_refresh_show_no_secret() {
    let t = Setup::new();
    // A server echoing the secrets back must not get them into our errors.
    let echo = format!(
        r#"{{"status":400,"message":"bad {}"}}"#,
        t.fake.client_secret()
    );
    t.fake.fail(Endpoint::Token, Fault::json(400, &echo));
    let err = t.helper(&CHAT).bind().unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("400"), "{shown}");
    assert!(!shown.contains(t.fake.client_secret()), "{shown}");
    t.assert_no_secret_in_urls(&[]);
}
