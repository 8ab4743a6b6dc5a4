//! App access tokens (client credentials): the first token, reuse, renewal when due and after a
//! reported 401 (one request for many threads), validate and revoke, and the settings and
//! credentials Twitch refuses. Secrets stay out of URLs, errors and `Debug`.

mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use support::app_token_builder;
use twitch_auth::mock::{Endpoint, FakeTwitch, Fault};
use twitch_auth::{AccessToken, AppToken, AppTokenBuilder, Error, Step};

/// `METHOD endpoint grant_type` for each request the fake received, e.g.
/// `POST token client_credentials`.
fn requests(fake: &FakeTwitch) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| {
            let path = r.target().split('?').next().unwrap_or_default();
            let line = format!("{} {}", r.method(), path.trim_start_matches("/oauth2/"));
            match r.form("grant_type") {
                Some(grant) => format!("{line} {grant}"),
                None => line,
            }
        })
        .collect()
}

/// Fails when a secret is in any request target the fake received, or in `shown`.
fn assert_no_secret(fake: &FakeTwitch, secrets: &[&str], shown: &str) {
    let mut all = secrets.to_vec();
    all.push(fake.client_secret());
    for secret in all {
        assert!(!shown.contains(secret), "a secret is shown: {shown}");
        for request in fake.requests() {
            assert!(
                !request.target().contains(secret),
                "a secret is in the URL {}",
                request.target()
            );
        }
    }
}

/// Runs `use_token` on 8 threads at once and returns what each got.
fn on_eight_threads(
    token: &AppToken,
    use_token: impl Fn(&AppToken) -> String + Send + Sync + 'static,
) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(8));
    let use_token = Arc::new(use_token);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (token, barrier) = (token.clone(), barrier.clone());
            let use_token = use_token.clone();
            std::thread::spawn(move || {
                barrier.wait();
                use_token(&token)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn the_handle_is_cheap_to_clone_and_shared_across_threads() {
    fn check<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    check::<AppToken>();
    check::<AppTokenBuilder>();
}

#[test]
fn the_first_token_is_an_app_token_got_with_one_form_post() {
    let fake = FakeTwitch::start().unwrap();

    let token = app_token_builder(&fake).build().unwrap();

    assert_eq!(requests(&fake), ["POST token client_credentials"]);
    let request = &fake.requests()[0];
    assert_eq!(request.target(), "/oauth2/token", "nothing in the URL");
    assert_eq!(
        request.form_names(),
        ["client_id", "client_secret", "grant_type"]
    );
    assert_eq!(request.form("client_secret"), Some(fake.client_secret()));
    assert_eq!(token.client_id(), fake.client_id());
    let expires_in = token
        .expires_at()
        .and_then(|at| at.duration_since(SystemTime::now()).ok())
        .unwrap_or_default();
    assert!(
        expires_in > Duration::from_secs(59 * 24 * 3600),
        "about 60 days: {expires_in:?}"
    );

    let authorization = token.authorization().unwrap();
    let access = authorization.strip_prefix("Bearer ").unwrap();
    assert_eq!(token.access_token().unwrap().secret(), access);
    fake.clear_requests();
    token.validate().unwrap();
    let validate = &fake.requests()[0];
    assert_eq!(
        validate.header("authorization"),
        Some(format!("OAuth {access}").as_str())
    );
}

#[test]
fn the_token_is_reused_within_the_process() {
    let fake = FakeTwitch::start().unwrap();
    let token = app_token_builder(&fake).build().unwrap();
    let first = token.access_token().unwrap();

    let got = on_eight_threads(&token, |t| t.authorization().unwrap());
    let clone = token.clone();

    assert_eq!(clone.access_token().unwrap(), first);
    assert!(
        got.iter()
            .all(|a| *a == format!("Bearer {}", first.secret()))
    );
    assert_eq!(requests(&fake), ["POST token client_credentials"]);
}

#[test]
fn eight_threads_renew_a_token_at_its_expiry_with_one_request() {
    let fake = FakeTwitch::start().unwrap();
    fake.set_app_token_expires_in(Some(30)); // inside the 60 s margin
    let token = app_token_builder(&fake).build().unwrap();
    let day = SystemTime::now() + Duration::from_secs(24 * 3600);
    assert!(token.expires_at().is_some_and(|at| at < day));
    fake.set_app_token_expires_in(Some(60 * 24 * 3600));
    fake.clear_requests();

    let got = on_eight_threads(&token, |t| t.authorization().unwrap());

    assert_eq!(requests(&fake), ["POST token client_credentials"]);
    assert!(
        got.windows(2).all(|w| w[0] == w[1]),
        "every thread got the new token"
    );
    assert!(
        token.expires_at().is_some_and(|at| at > day),
        "the new one is good for 60 days"
    );
    assert_eq!(token.authorization().unwrap(), got[0]);
    assert_eq!(requests(&fake).len(), 1);
}

#[test]
fn eight_threads_reporting_the_same_401_cause_one_request() {
    let fake = FakeTwitch::start().unwrap();
    let token = app_token_builder(&fake).build().unwrap();
    let rejected = token.authorization().unwrap();
    fake.clear_requests();

    // Each thread sent a Helix request with the same token, and each got a 401.
    let sent = rejected.clone();
    let got = on_eight_threads(&token, move |t| {
        t.report_unauthorized_header(&sent);
        t.authorization().unwrap()
    });

    assert_eq!(requests(&fake), ["POST token client_credentials"]);
    assert!(got.windows(2).all(|w| w[0] == w[1]));
    assert_ne!(got[0], rejected);
    // A late report for the old token is ignored.
    token.report_unauthorized_header(&rejected);
    token.report_unauthorized(&AccessToken::new(&rejected["Bearer ".len()..]));
    assert_eq!(token.authorization().unwrap(), got[0]);
    assert_eq!(requests(&fake).len(), 1);

    let current = token.access_token().unwrap();
    token.report_unauthorized(&current);
    assert_ne!(token.access_token().unwrap(), current);
    assert_eq!(requests(&fake).len(), 2);
}

#[test]
fn validate_learns_the_expiry_and_renews_an_invalid_token() {
    let fake = FakeTwitch::start().unwrap();
    fake.set_app_token_expires_in(None); // the answer says nothing of an expiry
    let token = app_token_builder(&fake).build().unwrap();
    assert_eq!(token.expires_at(), None);
    let first = token.access_token().unwrap();

    token.validate().unwrap();
    assert_eq!(token.expires_at(), None, "validate says 0: never");
    fake.expire_access_token(first.secret());
    fake.set_app_token_expires_in(Some(3600));
    token.validate().unwrap();

    let second = token.access_token().unwrap();
    assert_ne!(second, first);
    assert!(token.expires_at().is_some());
    assert_eq!(
        requests(&fake),
        [
            "POST token client_credentials",
            "GET validate",
            "GET validate",
            "POST token client_credentials"
        ]
    );
}

#[test]
fn revoke_ends_the_token_and_the_next_use_gets_a_new_one() {
    let fake = FakeTwitch::start().unwrap();
    let token = app_token_builder(&fake).build().unwrap();
    let first = token.access_token().unwrap();

    token.revoke().unwrap();

    let revoke = &fake.requests()[1];
    assert_eq!(revoke.target(), "/oauth2/revoke");
    assert_eq!(revoke.form("token"), Some(first.secret()));
    fake.clear_requests();
    let second = token.access_token().unwrap();
    assert_ne!(second, first);
    assert_eq!(requests(&fake), ["POST token client_credentials"]);
    // The old one is gone at Twitch: validating the new one works, the old one would not.
    token.validate().unwrap();
    assert_eq!(requests(&fake).len(), 2);
}

#[test]
fn a_public_client_without_a_secret_is_refused_before_any_request() {
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);

    // An empty secret counts as none, and keeps out a TWITCH_CLIENT_SECRET the test runner
    // may have set.
    let err = AppToken::builder()
        .client_id(fake.client_id())
        .client_secret("")
        .auth_base_url(fake.url())
        .build()
        .unwrap_err();

    assert!(
        matches!(
            err,
            Error::InvalidAppSetting {
                setting: "client_secret",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    for said in ["client_secret", "TWITCH_CLIENT_SECRET", "Public"] {
        assert!(message.contains(said), "{message}");
    }
    assert!(!err.is_transient(), "{err:?}");
    assert!(fake.requests().is_empty(), "{:?}", requests(&fake));
}

#[test]
fn a_public_client_sending_a_secret_is_told_why_twitch_refused() {
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);

    let err = app_token_builder(&fake).build().unwrap_err();

    assert!(
        matches!(
            err,
            Error::InvalidCredentials {
                step: Step::RequestAppToken,
                setting: "client_id",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    for said in ["client_id", "TWITCH_CLIENT_ID", "Public client"] {
        assert!(message.contains(said), "{message}");
    }
    assert_no_secret(&fake, &[], &format!("{err} {err:?}"));
}

#[test]
fn a_wrong_secret_or_id_names_the_setting_to_fix() {
    let fake = FakeTwitch::start().unwrap();
    let cases = [
        (
            app_token_builder(&fake).client_secret("wrong-secret-value"),
            "client_secret",
            "TWITCH_CLIENT_SECRET",
        ),
        (
            app_token_builder(&fake).client_id("not-this-app"),
            "client_id",
            "TWITCH_CLIENT_ID",
        ),
    ];
    for (builder, want, env_var) in cases {
        let err = builder.build().unwrap_err();
        match &err {
            Error::InvalidCredentials { setting, step, .. } => {
                assert_eq!((*setting, *step), (want, Step::RequestAppToken), "{err}");
            }
            other => panic!("{want}: expected InvalidCredentials, got {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.contains(&format!("AppTokenBuilder::{want}")),
            "{message}"
        );
        assert!(message.contains(env_var), "{message}");
        assert!(!err.is_transient(), "{err:?}");
        assert_eq!(err.step(), Some(Step::RequestAppToken));
        assert_no_secret(&fake, &["wrong-secret-value"], &format!("{err} {err:?}"));
    }
}

#[test]
fn a_secret_renewed_in_the_console_fails_the_next_renewal_clearly() {
    let fake = FakeTwitch::start().unwrap();
    let token = app_token_builder(&fake).build().unwrap();
    let access = token.access_token().unwrap();
    token.report_unauthorized(&access);
    fake.fail(
        Endpoint::Token,
        Fault::json(403, r#"{"status":403,"message":"invalid client secret"}"#),
    );

    let err = token.authorization().unwrap_err();

    assert!(
        matches!(
            err,
            Error::InvalidCredentials {
                setting: "client_secret",
                ..
            }
        ),
        "{err:?}"
    );
    // Still due: once the secret works again, the next call renews.
    fake.clear_faults();
    assert_ne!(token.access_token().unwrap(), access);
}

#[test]
fn no_secret_in_debug_errors_or_urls() {
    let fake = FakeTwitch::start().unwrap();
    let builder = app_token_builder(&fake);
    let token = builder.build().unwrap();
    let access = token.access_token().unwrap();
    token.validate().unwrap();
    let echo = format!(
        r#"{{"status":400,"message":"bad {} and {}"}}"#,
        fake.client_secret(),
        access.secret()
    );
    fake.fail(Endpoint::Revoke, Fault::json(400, &echo));
    let err = token.revoke().unwrap_err();
    fake.fail(Endpoint::Token, Fault::json(400, &echo));
    token.report_unauthorized(&access);
    let renewal = token.access_token().unwrap_err();

    let shown = format!("{token:?} {builder:?} {access:?} {err} {err:?} {renewal} {renewal:?}");

    assert_no_secret(&fake, &[access.secret()], &shown);
    assert!(shown.contains("AccessToken([redacted])"), "{shown}");
    assert!(shown.contains("ClientSecret([redacted])"), "{shown}");
    assert!(
        shown.contains(fake.client_id()),
        "the rest is shown: {shown}"
    );
    assert!(
        matches!(
            err,
            Error::Status {
                step: Step::RevokeApp,
                status: 400,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn getters_and_debug_do_not_wait_for_a_renewal() {
    let fake = FakeTwitch::start().unwrap();
    let token = app_token_builder(&fake)
        .http_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let access = token.access_token().unwrap();
    token.report_unauthorized(&access);
    fake.fail(Endpoint::Token, Fault::Delay(Duration::from_secs(60)));
    let renewing = std::thread::spawn({
        let token = token.clone();
        move || token.access_token()
    });
    while fake.requests().len() < 2 {
        std::thread::yield_now();
    }

    // The renewal's request is waiting for an answer that will not come for a minute.
    let shown = format!("{token:?}");
    assert_eq!(token.client_id(), fake.client_id());
    assert!(token.expires_at().is_some());
    token.report_unauthorized(&access);

    assert!(!renewing.is_finished(), "the renewal ended early");
    assert!(shown.contains(fake.client_id()), "{shown}");
    drop(fake); // the delayed answer gives up, and the renewal fails
    let err = renewing.join().unwrap().unwrap_err();
    assert!(
        err.is_transient() && err.step() == Some(Step::RequestAppToken),
        "{err:?}"
    );
}
