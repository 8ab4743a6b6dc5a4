//! The device-code login: polls no faster than asked, backs off on slow_down, ends at the code's
//! expiry or on a terminal error, and works for Public clients without a secret.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{CHAT, Setup};
use twitch_auth::mock::{Endpoint, Fault, Request};
use twitch_auth::{DeviceCode, Error, Helper, Outcome, Scope, Step};

/// A device-flow helper on the fake; `secret` false makes it a Public client.
fn device_helper(t: &Setup, secret: bool) -> (Helper, Arc<Mutex<Vec<DeviceCode>>>) {
    let shown = Arc::new(Mutex::new(Vec::new()));
    let shown_in = shown.clone();
    let mut helper = Helper::new(CHAT.map(Scope::from))
        .client_id(t.fake.client_id())
        .auth_base_url(t.fake.url())
        .path(&t.path)
        .open_browser(false)
        .http_timeout(Duration::from_secs(1))
        .device_flow()
        .on_device_code(move |code| shown_in.lock().unwrap().push(code.clone()));
    if secret {
        helper = helper.client_secret(t.fake.client_secret());
    }
    (helper, shown)
}

fn polls(t: &Setup) -> Vec<Request> {
    t.fake
        .requests()
        .into_iter()
        .filter(|r| r.form("grant_type") == Some("urn:ietf:params:oauth:grant-type:device_code"))
        .collect()
}

#[test]
fn pending_then_success() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.set_device_pending_polls(3);
    let (helper, shown) = device_helper(&t, true);

    let token = helper.bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(token.login(), t.fake.login());
    let shown = shown.lock().unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].user_code().len(), 8);
    assert!(shown[0].verification_uri().contains(shown[0].user_code()));
    let requests = t.requests();
    assert_eq!(requests[0], "POST device");
    let device = &t.fake.requests()[0];
    let mut scopes: Vec<&str> = device.form("scopes").unwrap().split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["chat:edit", "chat:read"], "`scopes`, plural");
    assert_eq!(polls(&t).len(), 4, "3 pending, then the token");
    assert!(
        polls(&t)
            .iter()
            .all(|p| !p.form_names().contains(&"client_secret")),
        "no secret in polls"
    );
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
}

#[test]
fn polls_are_spaced_by_the_interval() {
    let t = Setup::new();
    t.fake.set_device_interval(1);
    t.fake.set_device_pending_polls(2);
    let (helper, _) = device_helper(&t, true);

    helper.bind().unwrap();

    let device = t.fake.requests()[0].received_at();
    let times: Vec<Instant> = polls(&t).iter().map(Request::received_at).collect();
    assert_eq!(times.len(), 3);
    let mut previous = device;
    for time in times {
        let gap = time.duration_since(previous);
        assert!(gap >= Duration::from_millis(990), "polled after {gap:?}");
        previous = time;
    }
}

#[test]
fn slow_down_adds_five_seconds() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.set_device_slow_down_polls(1);
    let (helper, _) = device_helper(&t, true);

    helper.bind().unwrap();

    let times: Vec<Instant> = polls(&t).iter().map(Request::received_at).collect();
    assert_eq!(times.len(), 2, "slow_down, then the token");
    let gap = times[1].duration_since(times[0]);
    assert!(gap >= Duration::from_secs(5), "polled again after {gap:?}");
}

#[test]
fn an_expired_code_ends_with_a_clear_error() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.set_device_expires_in(1);
    t.fake.set_device_pending_polls(1_000);
    let (helper, _) = device_helper(&t, true);
    let started = Instant::now();

    let err = helper.bind().unwrap_err();

    assert!(matches!(err, Error::DeviceCodeExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(t.file_bytes().is_none());
}

#[test]
fn the_callers_deadline_bounds_the_wait() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.set_device_pending_polls(1_000);
    let (helper, _) = device_helper(&t, true);
    let started = Instant::now();

    let err = helper
        .login_timeout(Duration::from_millis(500))
        .bind()
        .unwrap_err();

    assert!(matches!(err, Error::LoginTimedOut { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_terminal_error_ends_at_once() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.set_device_pending_polls(2);
    t.fake.fail(
        Endpoint::Token,
        Fault::json(400, r#"{"status":400,"message":"invalid client"}"#),
    );
    let (helper, _) = device_helper(&t, true);

    let err = helper.bind().unwrap_err();

    assert!(
        matches!(
            err,
            Error::Status {
                step: Step::PollDevice,
                status: 400,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("invalid client"), "{err}");
    assert_eq!(polls(&t).len(), 1, "no second poll after a terminal error");
}

#[test]
fn a_transport_fault_while_polling_is_an_error() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.fail(Endpoint::Token, Fault::Close);
    let (helper, _) = device_helper(&t, true);
    let err = helper.bind().unwrap_err();
    assert!(
        err.is_transient() && err.step() == Some(Step::PollDevice),
        "{err:?}"
    );
}

#[test]
fn a_public_client_logs_in_and_refreshes_without_a_secret() {
    let t = Setup::new();
    t.fake.set_public(true);
    t.fake.set_device_interval(0);
    let (helper, _) = device_helper(&t, false);
    if std::env::var_os("TWITCH_CLIENT_SECRET").is_some() {
        eprintln!("skipped: TWITCH_CLIENT_SECRET is set in this environment");
        return;
    }

    let token = helper.bind().unwrap();
    let old = token.access_token().unwrap();
    token.report_unauthorized(&old);
    let new = token.access_token().unwrap();

    assert_ne!(new, old);
    let sent_secret = t
        .fake
        .requests()
        .iter()
        .any(|r| r.form_names().contains(&"client_secret"));
    assert!(!sent_secret, "a Public client sends no secret");
    assert_eq!(t.fake.refresh_token_reuses(), 0);
}

#[test]
fn a_confidential_client_sends_its_secret_when_refreshing_a_device_token() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    let (helper, _) = device_helper(&t, true);
    let token = helper.bind().unwrap();
    token.report_unauthorized(&token.access_token().unwrap());
    token.access_token().unwrap();
    let refresh = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.form("grant_type") == Some("refresh_token"))
        .unwrap();
    assert_eq!(refresh.form("client_secret"), Some(t.fake.client_secret()));
}

/// A wrong client id is said at the first request, before any code is shown to the person.
#[test]
fn a_wrong_client_id_is_said_before_a_code_is_shown() {
    let t = Setup::new();
    let (helper, shown) = device_helper(&t, false);

    let err = helper.client_id("not-the-app").bind().unwrap_err();

    match &err {
        Error::InvalidCredentials {
            step: Step::StartDevice,
            setting: "client_id",
            ..
        } => {}
        other => panic!("expected InvalidCredentials for the client id, got {other:?}"),
    }
    assert!(err.to_string().contains("Helper::client_id"), "{err}");
    assert!(shown.lock().unwrap().is_empty(), "a code was shown");
    assert_eq!(t.requests(), ["POST device"]);
}

/// A person who declines the device login (the fake plays one): the login ends at that poll
/// with an error saying what to do, not at the code's expiry.
#[test]
fn a_declined_device_login_ends_with_its_own_error() {
    let t = Setup::new();
    t.fake.set_device_interval(0);
    t.fake.set_device_pending_polls(1);
    t.fake.set_authorize(twitch_auth::mock::Authorize::Deny);
    let (helper, _) = device_helper(&t, false);
    let started = Instant::now();

    let err = helper.bind().unwrap_err();

    assert!(matches!(err, Error::Denied { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("log in again, and choose Authorize"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(t.file_bytes().is_none());
}
