//! A Public client in a shell where `TWITCH_CLIENT_SECRET` is set for another program: with
//! `Helper::public_client()` the variable is never sent, so the refresh hours after the device
//! login works. Its own test binary, since it sets the process's environment.

mod support;

use std::time::Duration;

use support::{CHAT, Setup, expire_stored};
use twitch_auth::{Error, Helper, Outcome, Scope, Step};

fn device_helper(t: &Setup) -> Helper {
    Helper::new(CHAT.iter().map(|s| Scope::from(*s)))
        .client_id(t.fake.client_id())
        .auth_base_url(t.fake.url())
        .path(&t.path)
        .open_browser(false)
        .http_timeout(Duration::from_secs(1))
        .device_flow()
        .on_device_code(|_| {})
}

#[test]
fn a_public_client_never_sends_the_environments_secret() {
    // SAFETY: the only test of this binary; no other thread reads the environment meanwhile.
    unsafe { std::env::set_var("TWITCH_CLIENT_SECRET", "another-programs-secret") };
    let t = Setup::new();
    t.fake.set_public(true);
    t.fake.set_device_interval(0);

    // Without saying so: the device login works, and the refresh is refused.
    let token = device_helper(&t).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    expire_stored(&t);
    let err = device_helper(&t).bind().unwrap_err();
    assert_eq!(err.step(), Some(Step::Refresh), "{err:?}");
    assert!(
        matches!(
            err,
            Error::InvalidCredentials {
                setting: "client_secret",
                from_env: true,
                ..
            }
        ),
        "{err:?}"
    );
    // The message says where the secret came from, and what a Public client does about it.
    let text = err.to_string();
    assert!(text.contains("(from TWITCH_CLIENT_SECRET)"), "{text}");
    assert!(text.contains("Helper::public_client"), "{text}");

    // Said: no secret is sent, and the refresh works.
    t.fake.clear_requests();
    let token = device_helper(&t).public_client().bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Refreshed);
    for request in t.fake.requests() {
        assert_eq!(request.form("client_secret"), None, "{}", request.target());
    }
    unsafe { std::env::remove_var("TWITCH_CLIENT_SECRET") };
}
