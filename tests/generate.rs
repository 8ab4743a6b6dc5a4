//! Step 5 of bind(): a new token from the browser login or the custom generator, validated once
//! and saved.

mod support;

use std::sync::{Arc, Mutex};

use support::{CHAT, Setup, pair};
use twitch_auth::mock::Endpoint;
use twitch_auth::{Error, Outcome, Scope};

#[test]
fn no_file_logs_in_through_the_browser_flow() {
    let t = Setup::new();

    let token = t.helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(
        (token.login(), token.user_id()),
        (t.fake.login(), t.fake.user_id())
    );
    // The browser's authorize visit, then the helper's exchange and one validate.
    assert_eq!(
        t.requests(),
        [
            "POST token",
            "POST revoke",
            "GET authorize",
            "POST token",
            "GET validate"
        ]
    );
    let requests = t.fake.requests();
    let authorize = requests
        .iter()
        .find(|r| r.endpoint() == Some(Endpoint::Authorize))
        .unwrap();
    assert_eq!(authorize.query("client_id"), Some(t.fake.client_id()));
    assert_eq!(
        authorize.query("redirect_uri"),
        Some(t.redirect_url().as_str())
    );
    assert_eq!(authorize.query("response_type"), Some("code"));
    let mut scopes: Vec<&str> = authorize.query("scope").unwrap().split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["chat:edit", "chat:read"]);
    assert_eq!(authorize.query("force_verify"), Some("true"));
    let state = authorize.query("state").unwrap();
    assert!(
        state.len() >= 32 && state.bytes().all(|b| b.is_ascii_hexdigit()),
        "state {state:?}"
    );
    // First the credential check: an app token, revoked at once.
    assert_eq!(requests[0].form("grant_type"), Some("client_credentials"));
    assert_eq!(
        requests[0].form("client_secret"),
        Some(t.fake.client_secret())
    );
    let exchange = &requests[3];
    assert_eq!(exchange.form("grant_type"), Some("authorization_code"));
    assert_eq!(exchange.form("client_id"), Some(t.fake.client_id()));
    assert_eq!(exchange.form("client_secret"), Some(t.fake.client_secret()));
    assert_eq!(
        exchange.form("redirect_uri"),
        Some(t.redirect_url().as_str())
    );
    assert!(exchange.form("code").is_some_and(|code| !code.is_empty()));
    assert!(
        t.page().body().contains("You are logged in"),
        "success page after the exchange"
    );
    let file = t.file_json();
    assert_eq!(file["token"], token.access_token().unwrap().secret());
    assert_eq!(file["refresh"], token.refresh_token().secret());
    assert_eq!(file["login"], t.fake.login());
    assert_eq!(file["user_id"], t.fake.user_id());
    assert_eq!(file["client_id"], t.fake.client_id());
    let stored: Vec<&str> = file["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(stored.len(), 2);
    assert!(
        stored.contains(&"chat:read") && stored.contains(&"chat:edit"),
        "{stored:?}"
    );
    t.assert_no_secret_in_urls(&[
        token.access_token().unwrap().secret(),
        token.refresh_token().secret(),
    ]);
    #[cfg(unix)] // mode bits
    {
        assert_eq!(support::mode(&t.path), 0o600, "token file is owner-only");
        assert_eq!(
            support::mode(t.path.parent().unwrap()),
            0o700,
            "created directory is owner-only"
        );
    }
}

#[test]
fn every_login_has_a_new_state() {
    let t = Setup::new();
    t.helper(&CHAT).bind().unwrap();
    std::fs::remove_file(&t.path).unwrap();
    t.helper(&CHAT).bind().unwrap();
    let states: Vec<String> = t
        .fake
        .requests()
        .iter()
        .filter_map(|r| r.query("state").map(str::to_owned))
        .collect();
    assert_eq!(states.len(), 2);
    assert_ne!(states[0], states[1]);
}

#[test]
fn force_verify_can_be_turned_off() {
    let t = Setup::new();
    t.helper(&CHAT).force_verify(false).bind().unwrap();
    let authorize = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.endpoint() == Some(Endpoint::Authorize));
    assert_eq!(authorize.unwrap().query("force_verify"), Some("false"));
}

#[test]
fn custom_generator_is_called_once_with_the_app_and_scopes() {
    let t = Setup::new();
    let grant = t.fake.grant(&CHAT);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in = seen.clone();
    let pair = grant.clone();

    let token = t
        .bare_helper(&CHAT)
        .generator(move |ctx, scopes| {
            seen_in
                .lock()
                .unwrap()
                .push((ctx.client_id().to_owned(), scopes.to_vec()));
            Ok(pair.clone())
        })
        .bind()
        .unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(token.access_token().unwrap().secret(), grant.access_token);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, t.fake.client_id());
    let mut want = vec![Scope::ChatRead, Scope::ChatEdit];
    want.sort();
    assert_eq!(seen[0].1, want);
    assert_eq!(t.requests(), ["GET validate"]);
    assert_eq!(t.file_json()["token"], grant.access_token.as_str());
}

#[test]
fn generator_error_is_returned_and_the_file_kept() {
    let t = Setup::new();
    t.write_file(b"not json");
    let err = t
        .bare_helper(&CHAT)
        .generator(|_, _| Err::<twitch_auth::TokenPair, _>("the user closed the window".into()))
        .bind()
        .unwrap_err();
    assert!(matches!(err, Error::Generator { .. }), "{err:?}");
    // What the generator said is the useful part: in the message, once (not again as source).
    assert_eq!(
        err.to_string(),
        "the token generator failed: the user closed the window"
    );
    assert!(std::error::Error::source(&err).is_none());
    assert_eq!(t.file_bytes().unwrap(), b"not json");
}

#[test]
fn unusable_file_is_kept_until_a_new_token_is_in_hand() {
    let t = Setup::new();
    t.write_file(b"{\"token\": \"only-half\"}");
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
}

#[test]
fn generated_app_token_is_refused() {
    let t = Setup::new();
    let app_token = t.fake.app_token();
    let err = t
        .bare_helper(&CHAT)
        .generator(move |_, _| Ok(pair(&app_token, "refresh-of-app")))
        .bind()
        .unwrap_err();
    assert!(matches!(err, Error::NotUserToken), "{err:?}");
}

#[test]
fn generated_token_of_another_app_is_refused() {
    let t = Setup::new();
    let other = t.fake.grant_for_client("someone-elses-app", &CHAT);
    let err = t
        .bare_helper(&CHAT)
        .generator(move |_, _| Ok(other.clone()))
        .bind()
        .unwrap_err();
    assert!(
        matches!(&err, Error::WrongClient { token_client_id } if token_client_id == "someone-elses-app"),
        "{err:?}"
    );
}

#[test]
fn generated_token_rejected_by_validate_is_an_error() {
    let t = Setup::new();
    let err = t
        .bare_helper(&CHAT)
        .generator(|_, _| Ok(pair("made-up", "r")))
        .bind()
        .unwrap_err();
    assert!(matches!(err, Error::NewTokenRejected), "{err:?}");
    // Saved before the validation, as every new pair is; the next bind() finds it invalid.
    assert_eq!(t.file_json()["token"], "made-up");
}

#[test]
fn legacy_token_without_expiry_never_expires() {
    let t = Setup::new();
    t.fake.set_expires_in(None);
    let token = t.helper(&CHAT).bind().unwrap();
    assert_eq!(token.expires_at(), None);
    assert!(t.file_json()["expires_at"].is_null());
    assert_eq!(t.helper(&CHAT).bind().unwrap().outcome(), Outcome::Reused);
}

#[test]
fn browser_login_without_a_secret_fails_before_opening_anything() {
    let t = Setup::new();
    let opened = Arc::new(Mutex::new(false));
    let opened_in = opened.clone();
    let helper = twitch_auth::Helper::new([Scope::ChatRead])
        .client_id(t.fake.client_id())
        .auth_base_url(t.fake.url())
        .redirect_url(t.redirect_url())
        .path(&t.path)
        .open_browser(false)
        .on_url(move |_| *opened_in.lock().unwrap() = true);
    if std::env::var_os("TWITCH_CLIENT_SECRET").is_some() {
        eprintln!("skipped: TWITCH_CLIENT_SECRET is set in this environment");
        return;
    }
    let err = helper.bind().unwrap_err();
    assert!(matches!(err, Error::NoClientSecret), "{err:?}");
    assert!(err.to_string().contains("TWITCH_CLIENT_SECRET"), "{err}");
    assert!(!*opened.lock().unwrap());
    assert!(t.fake.requests().is_empty());
}

#[test]
fn bad_settings_fail_before_any_request() {
    let t = Setup::new();
    let cases = [
        (
            t.helper(&CHAT).redirect_url("https://example.com/cb"),
            "redirect_url",
        ),
        (
            t.helper(&CHAT).auth_base_url("id.twitch.tv"),
            "auth_base_url",
        ),
    ];
    for (helper, setting) in cases {
        match helper.bind() {
            Err(Error::InvalidSetting { setting: s, .. }) => assert_eq!(s, setting),
            other => panic!("{setting}: expected InvalidSetting, got {other:?}"),
        }
    }
    assert!(t.fake.requests().is_empty());
}

#[test]
fn a_directory_at_the_token_path_fails_before_any_login() {
    let t = Setup::new();
    std::fs::create_dir_all(&t.path).unwrap();
    let err = t.generating_helper(&CHAT).bind().unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&t.path.display().to_string()),
        "{err}"
    );
    assert_eq!(t.generator_calls(), 0);
}
