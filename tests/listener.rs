//! The redirect listener during a browser login: what ends the wait, and what does not.

mod support;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{CHAT, Setup};
use twitch_auth::mock::{self, Authorize, Fault};
use twitch_auth::{Error, Outcome, Scope, Step};

/// Status of a GET to the listener (`mock::browse` does not follow our pages anywhere).
fn status_of(url: &str) -> u16 {
    mock::browse(url).expect("the listener answers").status()
}

#[test]
fn stray_requests_do_not_end_the_wait() {
    let t = Setup::new();
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let statuses_in = statuses.clone();
    let base = t.redirect_url();
    let visit = t.visit.clone();

    let helper = t.bare_helper(&CHAT).on_url(move |url| {
        let (base, url, statuses, visit) = (
            base.clone(),
            url.to_owned(),
            statuses_in.clone(),
            visit.clone(),
        );
        *visit.lock().unwrap() = Some(std::thread::spawn(move || {
            let mut seen = statuses.lock().unwrap();
            seen.push(status_of(&format!("{base}/favicon.ico")));
            seen.push(status_of(&format!(
                "{base}/somewhere/else?code=abc&state=x"
            )));
            seen.push(status_of(&format!("{base}/?code=abc&state=not-ours")));
            seen.push(status_of(&format!("{base}/?code=abc")));
            seen.push(status_of(&format!(
                "{base}/?error=access_denied&state=not-ours"
            )));
            drop(seen);
            mock::browse(&url)
        }));
    });

    let token = helper.bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(*statuses.lock().unwrap(), [404, 404, 400, 400, 400]);
    assert!(t.page().body().contains("You are logged in"));
    assert_eq!(
        t.requests(),
        [
            "POST token",
            "POST revoke",
            "GET authorize",
            "POST token",
            "GET validate"
        ],
        "one exchange"
    );
}

#[test]
fn denied_consent_ends_the_login_with_an_error() {
    let t = Setup::new();
    t.fake.set_authorize(Authorize::Deny);
    t.write_file(b"broken");

    let err = t.helper(&CHAT).bind().unwrap_err();

    match &err {
        Error::Denied { description } => assert_eq!(description, "The user denied you access"),
        other => panic!("expected Denied, got {other:?}"),
    }
    let page = t.page();
    assert_eq!(page.status(), 400);
    assert!(
        page.body().contains("The user denied you access"),
        "{}",
        page.body()
    );
    assert_eq!(
        t.requests(),
        ["POST token", "POST revoke", "GET authorize"],
        "no exchange"
    );
    assert_eq!(t.file_bytes().unwrap(), b"broken");
}

#[test]
fn redirect_mismatch_names_the_url_to_register() {
    let t = Setup::new();
    t.fake.set_authorize(Authorize::RedirectMismatch);

    let err = t.helper(&CHAT).bind().unwrap_err();

    assert!(
        matches!(&err, Error::RedirectMismatch { redirect_url } if *redirect_url == t.redirect_url()),
        "{err:?}"
    );
    assert!(err.to_string().contains(&t.redirect_url()), "{err}");
    assert!(t.page().body().contains("redirect_uri does not match"));
}

/// A login page that shows an error and sends nothing back (at Twitch a redirect URL it does
/// not know, whose browser goes to the app's first registered URL; an unknown client id is
/// found before the login now, by the credential check): the timeout names that cause first,
/// with the URL to register, then "no page opened".
#[test]
fn an_error_page_that_sends_nothing_back_ends_in_a_timeout_naming_the_causes() {
    let t = Setup::new();
    let error_page =
        r#"{"status":400,"message":"Parameter redirect_uri does not match registered URI"}"#;
    t.fake.fail(
        twitch_auth::mock::Endpoint::Authorize,
        Fault::json(400, error_page),
    );

    let err = t
        .helper(&CHAT)
        .login_timeout(Duration::from_secs(1))
        .bind()
        .unwrap_err();

    let page = t.page();
    assert_eq!(page.status(), 400, "the fake's error page: {page:?}");
    match &err {
        Error::LoginTimedOut { redirect_url, .. } => {
            assert_eq!(redirect_url.as_deref(), Some(t.redirect_url().as_str()))
        }
        other => panic!("expected LoginTimedOut, got {other:?}"),
    }
    let text = err.to_string();
    let at = |part: &str| {
        text.find(part)
            .unwrap_or_else(|| panic!("{part:?} in {text}"))
    };
    assert!(at("log in again") < at("showed an error"), "{text}");
    assert!(at("showed an error") < at(&t.redirect_url()), "{text}");
    assert!(at(&t.redirect_url()) < at("no page opened"), "{text}");
    assert!(t.file_bytes().is_none(), "nothing was saved");
}

#[test]
fn nobody_logging_in_ends_at_the_deadline_and_frees_the_port() {
    let t = Setup::new();
    let started = Instant::now();

    let err = t
        .bare_helper(&CHAT)
        .on_url(|_| {})
        .login_timeout(Duration::from_millis(300))
        .bind()
        .unwrap_err();

    assert!(matches!(err, Error::LoginTimedOut { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    TcpListener::bind(("127.0.0.1", t.port)).expect("the listener is closed after bind() returns");
    if let Err(e) = TcpListener::bind(("::1", t.port)) {
        // Where there is no IPv6 loopback, nothing listened there either.
        assert_ne!(
            e.kind(),
            std::io::ErrorKind::AddrInUse,
            "[::1] is still held"
        );
    }
    assert!(t.file_bytes().is_none());
}

#[test]
fn taken_port_is_an_immediate_error_naming_it() {
    let t = Setup::new();
    let _holder = TcpListener::bind(("127.0.0.1", t.port)).unwrap();
    let called = Arc::new(Mutex::new(false));
    let called_in = called.clone();

    let err = t
        .bare_helper(&CHAT)
        .on_url(move |_| *called_in.lock().unwrap() = true)
        .bind()
        .unwrap_err();

    assert!(matches!(err, Error::PortInUse { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&t.port.to_string()) && text.contains(&t.redirect_url()),
        "{text}"
    );
    assert!(!*called.lock().unwrap(), "the login URL was not shown");
}

#[test]
fn failed_exchange_shows_a_failure_page_and_returns_the_error() {
    let t = Setup::new();
    let fault = Fault::json(
        400,
        r#"{"status":400,"message":"Invalid authorization code"}"#,
    );

    let err = t.helper_failing_exchange(&CHAT, fault).bind().unwrap_err();

    assert!(
        matches!(
            err,
            Error::Status {
                step: Step::ExchangeCode,
                status: 400,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("Invalid authorization code"),
        "{err}"
    );
    let page = t.page();
    assert_eq!(page.status(), 500);
    assert!(
        page.body().contains("could not be completed"),
        "{}",
        page.body()
    );
    assert!(t.file_bytes().is_none());
}

#[test]
fn exchange_that_cannot_reach_twitch_shows_a_failure_page() {
    let t = Setup::new();
    let err = t
        .helper_failing_exchange(&CHAT, Fault::Close)
        .bind()
        .unwrap_err();
    assert!(
        err.is_transient() && err.step() == Some(Step::ExchangeCode),
        "{err:?}"
    );
    assert_eq!(t.page().status(), 500);
}

#[test]
fn unticked_scopes_are_named_on_the_page_and_the_code_is_not_exchanged() {
    let t = Setup::new();
    t.fake
        .set_granted_scopes(Some(vec!["chat:read".to_owned()]));

    let err = t.helper(&CHAT).bind().unwrap_err();

    match &err {
        Error::MissingScopes { missing } => assert_eq!(missing, &[Scope::ChatEdit]),
        other => panic!("expected MissingScopes, got {other:?}"),
    }
    assert!(err.to_string().contains("chat:edit"), "{err}");
    let page = t.page();
    assert_eq!(page.status(), 403, "{}", page.body());
    assert!(page.body().contains("chat:edit"), "{}", page.body());
    assert!(!page.body().contains("logged in"), "{}", page.body());
    assert!(
        page.body().contains("will not work without them"),
        "{}",
        page.body()
    );
    assert_eq!(
        t.requests(),
        ["POST token", "POST revoke", "GET authorize"],
        "no exchange"
    );
    assert!(t.file_bytes().is_none());
}

#[test]
fn nothing_granted_names_every_requested_scope() {
    let t = Setup::new();
    t.fake.set_granted_scopes(Some(Vec::new()));

    let err = t.helper(&CHAT).bind().unwrap_err();

    assert!(
        matches!(&err, Error::MissingScopes { missing } if missing.len() == 2),
        "{err:?}"
    );
    let body = t.page().body().to_owned();
    assert!(
        body.contains("chat:read") && body.contains("chat:edit"),
        "{body}"
    );
    assert_eq!(
        t.requests(),
        ["POST token", "POST revoke", "GET authorize"],
        "no exchange"
    );
}

#[test]
fn scopes_missing_from_the_exchange_are_named_on_the_page() {
    let t = Setup::new();
    t.fake
        .set_granted_scopes(Some(vec!["chat:read".to_owned()]));
    let visit = t.visit.clone();

    // A redirect without `scope`: only the exchange's answer says what was granted.
    let err = t
        .bare_helper(&CHAT)
        .on_url(move |url| {
            let url = url.to_owned();
            *visit.lock().unwrap() = Some(std::thread::spawn(move || {
                let redirect = support::redirect_of(&url);
                let without_scope = redirect.replace("&scope=chat%3Aread", "");
                assert_ne!(without_scope, redirect, "the redirect was {redirect}");
                mock::browse(&without_scope)
            }));
        })
        .bind()
        .unwrap_err();

    assert!(
        matches!(&err, Error::MissingScopes { missing } if missing == &[Scope::ChatEdit]),
        "{err:?}"
    );
    let page = t.page();
    assert_eq!(page.status(), 403, "{}", page.body());
    assert!(page.body().contains("chat:edit"), "{}", page.body());
    assert_eq!(
        t.requests(),
        ["POST token", "POST revoke", "GET authorize", "POST token"]
    );
    assert!(t.file_bytes().is_none());
}

#[test]
fn the_app_can_replace_the_success_and_failure_pages() {
    const SUCCESS: &str = "<!doctype html><h1>MyMod is connected</h1>";
    const FAILURE: &str = "<!doctype html><h1>MyMod is not connected</h1><p>{message}</p>";
    let t = Setup::new();
    let token = t
        .helper(&CHAT)
        .success_page(SUCCESS)
        .failure_page(FAILURE)
        .bind()
        .unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    let page = t.page();
    assert_eq!((page.status(), page.body()), (200, SUCCESS));

    let cases = [
        (
            Authorize::Deny,
            400,
            "Twitch says: The user denied you access",
        ),
        (Authorize::Approve, 403, "were not granted: chat:edit"),
    ];
    for (authorize, status, says) in cases {
        let t = Setup::new();
        t.fake.set_authorize(authorize);
        if status == 403 {
            t.fake
                .set_granted_scopes(Some(vec!["chat:read".to_owned()]));
        }
        t.helper(&CHAT)
            .success_page(SUCCESS)
            .failure_page(FAILURE)
            .bind()
            .unwrap_err();
        let page = t.page();
        assert_eq!(page.status(), status, "{}", page.body());
        assert!(
            page.body()
                .starts_with("<!doctype html><h1>MyMod is not connected</h1><p>"),
            "{}",
            page.body()
        );
        assert!(page.body().contains(says), "{}", page.body());
        assert!(!page.body().contains("{message}"));
    }
}
