//! Step 4 of bind(): an expired token is refreshed, and the new pair saved before it is returned.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{CHAT, Setup, now};
use twitch_auth::mock::{self, Endpoint, Fault};
use twitch_auth::{Error, Outcome, Step};

#[test]
fn expired_with_stored_expiry_refreshes_in_one_request() {
    let t = Setup::new();
    let old = t.store_expired(&CHAT);

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert_eq!(t.requests(), ["POST token"]);
    let refresh = &t.fake.requests()[0];
    assert_eq!(refresh.form("grant_type"), Some("refresh_token"));
    assert_eq!(
        refresh.form("refresh_token"),
        Some(old.refresh_token.as_str()),
        "sent URL-encoded and decoded intact"
    );
    assert_eq!(refresh.form("client_id"), Some(t.fake.client_id()));
    assert_eq!(refresh.form("client_secret"), Some(t.fake.client_secret()));
    assert_eq!(
        refresh.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        (token.login(), token.user_id()),
        (t.fake.login(), t.fake.user_id())
    );
    let file = t.file_json();
    assert_eq!(file["token"], token.access_token().unwrap().secret());
    assert_eq!(file["refresh"], token.refresh_token().secret());
    assert_ne!(
        file["refresh"],
        old.refresh_token.as_str(),
        "the rotated refresh token is stored"
    );
    assert!(file["expires_at"].as_u64().unwrap() > now());
    assert_eq!(t.generator_calls(), 0);
    #[cfg(unix)] // mode bits
    assert_eq!(support::mode(&t.path), 0o600);
    t.assert_no_secret_in_urls(&[
        &old.access_token,
        &old.refresh_token,
        token.access_token().unwrap().secret(),
    ]);
}

#[test]
fn expired_without_stored_expiry_validates_then_refreshes() {
    let t = Setup::new();
    let old = t.store(&CHAT);
    t.fake.expire_access_token(&old.access_token);
    let mut json = t.file_json();
    json.as_object_mut().unwrap().remove("expires_at");
    t.write_file(&serde_json::to_vec(&json).unwrap());

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert_eq!(t.requests(), ["GET validate", "POST token"]);
    assert_eq!(token.login(), t.fake.login());
}

#[test]
fn expired_pytwitchapi_file_is_refreshed_and_asks_whose_it_is() {
    let t = Setup::new();
    let old = t.fake.grant(&CHAT);
    t.fake.expire_access_token(&old.access_token);
    t.write_pytwitchapi_file(&old);

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    // The file does not say whose token it is: the new one is validated once.
    assert_eq!(t.requests(), ["GET validate", "POST token", "GET validate"]);
    assert_eq!(token.login(), t.fake.login());
    let file = t.file_json();
    assert_eq!(
        file["token"],
        token.access_token().unwrap().secret(),
        "pyTwitchAPI's keys are kept"
    );
    assert_eq!(file["refresh"], token.refresh_token().secret());
}

#[test]
fn rejected_refresh_token_leads_to_a_login() {
    let t = Setup::new();
    let old = t.store_expired(&CHAT);
    t.fake.revoke_refresh_token(&old.refresh_token);

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(t.requests(), ["POST token", "GET validate"]);
    assert_eq!(t.generator_calls(), 1);
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
}

#[test]
fn refresh_answered_401_leads_to_a_login() {
    let t = Setup::new();
    t.store_expired(&CHAT);
    t.fake.fail_times(
        Endpoint::Token,
        Fault::json(401, r#"{"status":401,"message":"invalid access token"}"#),
        1,
    );

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(t.generator_calls(), 1);
}

#[test]
fn a_401_that_is_not_twitchs_is_an_error_not_a_login() {
    // A proxy or captive portal's 401 page says nothing about the token.
    let cases = [(Endpoint::Validate, false), (Endpoint::Token, true)];
    for (endpoint, expired) in cases {
        let t = Setup::new();
        if expired {
            t.store_expired(&CHAT);
        } else {
            t.store(&CHAT);
        }
        let before = t.file_bytes();
        t.fake.fail(
            endpoint,
            Fault::status(401, "<html><body>401 Authorization Required</body></html>"),
        );

        let err = t.generating_helper(&CHAT).bind().unwrap_err();

        assert!(
            matches!(err, Error::Status { status: 401, .. }),
            "{endpoint:?}: {err:?}"
        );
        assert!(!err.needs_login(), "{endpoint:?}: {err}");
        assert_eq!(
            t.generator_calls(),
            0,
            "{endpoint:?}: a login over a proxy's 401"
        );
        assert_eq!(t.file_bytes(), before, "{endpoint:?}");
    }
}

#[test]
fn refreshed_token_lacking_a_scope_is_saved_then_replaced_by_a_login() {
    let t = Setup::new();
    t.store_expired(&["chat:read"]);

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(t.requests(), ["POST token", "GET validate"]);
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
}

#[test]
fn refresh_without_a_secret_sends_none() {
    let t = Setup::new();
    t.store_expired(&CHAT);
    let before = t.file_bytes();
    // A Public app has no secret; this fake's app is Confidential, so it answers 400.
    let helper = twitch_auth::Helper::new([twitch_auth::Scope::ChatRead])
        .client_id(t.fake.client_id())
        .auth_base_url(t.fake.url())
        .path(&t.path)
        .generator(|_, _| Err::<twitch_auth::TokenPair, _>("not called".into()));

    let err = helper.bind().unwrap_err();

    let refresh = &t.fake.requests()[0];
    assert!(
        !refresh.form_names().contains(&"client_secret"),
        "{:?}",
        refresh.form_names()
    );
    assert!(
        matches!(
            err,
            Error::Status {
                step: Step::Refresh,
                status: 400,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("missing client secret"), "{err}");
    assert_eq!(t.file_bytes(), before);
}

#[test]
fn a_refresh_answer_without_a_refresh_token_keeps_the_old_one() {
    let t = Setup::new();
    let old = t.store_expired(&CHAT);
    let body = r#"{"access_token":"newaccess","expires_in":3600,"scope":["chat:edit","chat:read"],"token_type":"bearer"}"#;
    t.fake
        .fail_times(Endpoint::Token, Fault::json(200, body), 1);
    // The fake does not know "newaccess": the generator-free helper must not validate it, as the
    // file says whose token it is.
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert_eq!(token.access_token().unwrap().secret(), "newaccess");
    assert_eq!(token.refresh_token().secret(), old.refresh_token);
    assert_eq!(t.file_json()["refresh"], old.refresh_token.as_str());
}

#[test]
fn a_wrong_client_secret_names_the_setting_and_starts_no_login() {
    // On a refresh: the stored pair is kept, nobody is sent to log in.
    let t = Setup::new();
    t.store_expired(&CHAT);
    let before = t.file_bytes();
    let err = t
        .generating_helper(&CHAT)
        .client_secret("not-the-secret")
        .bind()
        .unwrap_err();
    assert_names_the_client_secret(&err, Step::Refresh);
    assert!(err.to_string().contains("Helper::client_secret"), "{err}");
    assert!(!err.to_string().contains("not-the-secret"), "{err}");
    assert_eq!(t.generator_calls(), 0);
    assert_eq!(t.file_bytes(), before);

    // Before a browser login: the credentials are checked first, so nobody is sent to a login
    // page that cannot work.
    let t = Setup::new();
    let err = t
        .helper(&CHAT)
        .client_secret("not-the-secret")
        .bind()
        .unwrap_err();
    assert_names_the_client_secret(&err, Step::CheckCredentials);
    assert!(t.visit.lock().unwrap().is_none(), "the login URL was shown");
    assert_eq!(t.requests(), ["POST token"]);
    assert!(t.file_bytes().is_none());

    // Refused at the code exchange all the same (the secret was rotated meanwhile): the same
    // error, and the page says what went wrong.
    let t = Setup::new();
    let (fake, visit) = (Arc::clone(&t.fake), Arc::clone(&t.visit));
    let err = t
        .bare_helper(&CHAT)
        .on_url(move |url| {
            let refused = r#"{"status":403,"message":"invalid client secret"}"#;
            fake.fail_times(Endpoint::Token, Fault::json(403, refused), 1);
            *visit.lock().unwrap() = Some(mock::browse_in_background(url));
        })
        .bind()
        .unwrap_err();
    assert_names_the_client_secret(&err, Step::ExchangeCode);
    let page = t.page();
    assert!(page.body().contains("client secret"), "{}", page.body());
    assert!(t.file_bytes().is_none());
}

/// A wrong client id, before a browser login: said within seconds, naming the setting, instead
/// of a login page showing Twitch's `invalid client` and a wait for the whole login timeout.
#[test]
fn a_wrong_client_id_is_found_before_the_browser_login() {
    let t = Setup::new();
    let started = std::time::Instant::now();

    let err = t.helper(&CHAT).client_id("not-the-app").bind().unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match &err {
        Error::InvalidCredentials {
            step: Step::CheckCredentials,
            setting: "client_id",
            from_env: false,
        } => {}
        other => panic!("expected InvalidCredentials for the client id, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("Helper::client_id"), "{text}");
    assert!(text.contains("nobody was sent to log in"), "{text}");
    assert!(t.visit.lock().unwrap().is_none(), "the login URL was shown");
    assert_eq!(t.requests(), ["POST token"], "nothing else was asked");
}

/// A check that passed leaves no app token alive: it is revoked at once.
#[test]
fn the_credential_check_revokes_its_app_token() {
    let t = Setup::new();
    t.helper(&CHAT).bind().unwrap();
    let requests = t.fake.requests();
    let check = requests
        .iter()
        .find(|r| r.form("grant_type") == Some("client_credentials"))
        .expect("a credential check");
    let revoked = requests
        .iter()
        .find(|r| r.endpoint() == Some(Endpoint::Revoke))
        .and_then(|r| r.form("token"))
        .expect("a revoke")
        .to_owned();
    assert!(check.form("client_secret").is_some());
    let answer = ureq::get(format!("{}validate", t.fake.url()))
        .header("Authorization", format!("OAuth {revoked}"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(answer.status(), 401, "the app token is dead");
}

/// `err` is Twitch's refusal of the client secret at `step`, naming the setting to fix.
fn assert_names_the_client_secret(err: &Error, want: Step) {
    match err {
        Error::InvalidCredentials { step, setting, .. } => {
            assert_eq!((*step, *setting), (want, "client_secret"), "{err:?}");
        }
        other => panic!("expected InvalidCredentials at {want:?}, got {other:?}"),
    }
}
