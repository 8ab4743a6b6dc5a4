//! Twitch refusing a scope it does not know: the fake's `set_reject_unknown_scopes` knob makes it
//! answer as Twitch does, and `bind()` ends with `Error::InvalidScope` naming the scope, before
//! any code is exchanged or any device code polled.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::Setup;
use twitch_auth::{DeviceCode, Error, Helper, Scope};

/// Checks that `err` is `InvalidScope` for `chat:reed`, says so, and points at `chat:read`.
fn assert_names_chat_reed(err: &Error) {
    assert!(
        matches!(err, Error::InvalidScope { scope } if scope == "chat:reed"),
        "expected InvalidScope for chat:reed, got {err:?}"
    );
    assert!(!err.is_transient(), "{err:?}");
    assert!(!err.needs_login(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("\"chat:reed\"") && text.contains("\"chat:read\""),
        "the message names the scope and the near one: {text}"
    );
}

#[test]
fn a_misspelled_scope_refused_at_the_login_page_is_named_and_nothing_is_exchanged() {
    let t = Setup::new();
    t.fake.set_reject_unknown_scopes(true);
    t.write_file(b"broken");

    let err = t.helper(&["chat:read", "chat:reed"]).bind().unwrap_err();

    assert_names_chat_reed(&err);
    assert_eq!(
        t.requests(),
        ["POST token", "POST revoke", "GET authorize"],
        "no exchange"
    );
    let page = t.page();
    assert_eq!(page.status(), 400);
    assert!(page.body().contains("chat:reed"), "{}", page.body());
    assert_eq!(t.file_bytes().unwrap(), b"broken", "the file is left alone");
}

#[test]
fn a_misspelled_scope_refused_when_the_device_login_starts_is_named_and_nothing_is_polled() {
    let t = Setup::new();
    t.fake.set_reject_unknown_scopes(true);
    t.fake.set_device_interval(0);
    let shown: Arc<Mutex<Vec<DeviceCode>>> = Arc::default();
    let shown_in = shown.clone();
    let helper = Helper::new([Scope::ChatRead, Scope::from("chat:reed")])
        .client_id(t.fake.client_id())
        .auth_base_url(t.fake.url())
        .path(&t.path)
        .open_browser(false)
        .http_timeout(Duration::from_secs(1))
        .device_flow()
        .on_device_code(move |code| shown_in.lock().unwrap().push(code.clone()));

    let err = helper.bind().unwrap_err();

    assert_names_chat_reed(&err);
    assert_eq!(t.requests(), ["POST device"], "no poll");
    assert!(shown.lock().unwrap().is_empty(), "no code was shown");
    assert!(t.file_bytes().is_none());
}

#[test]
fn known_and_deprecated_scopes_pass_the_knob() {
    let t = Setup::new();
    t.fake.set_reject_unknown_scopes(true);

    #[allow(deprecated)]
    let token = Helper::new([Scope::ChatRead, Scope::WhispersEdit])
        .client_id(t.fake.client_id())
        .client_secret(t.fake.client_secret())
        .auth_base_url(t.fake.url())
        .redirect_url(t.redirect_url())
        .path(&t.path)
        .open_browser(false)
        .http_timeout(Duration::from_secs(1))
        .on_url(|url| drop(twitch_auth::mock::browse_in_background(url)))
        .bind();

    assert!(token.is_ok(), "{token:?}");
}
