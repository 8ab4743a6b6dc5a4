//! Step 3 of bind(): a stored token that is valid, ours, a user's, and has the scopes is reused.

mod support;

use support::{CHAT, Setup};
use twitch_auth::{Outcome, Scope};

#[test]
fn valid_stored_token_is_reused_with_one_request() {
    let t = Setup::new();
    let grant = t.store(&CHAT);
    let before = t.file_bytes();

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(token.access_token().unwrap().secret(), grant.access_token);
    assert_eq!(token.refresh_token().secret(), grant.refresh_token);
    assert_eq!(
        (token.login(), token.user_id()),
        (t.fake.login(), t.fake.user_id())
    );
    let mut want = vec![Scope::ChatRead, Scope::ChatEdit];
    want.sort();
    assert_eq!(token.scopes(), want, "scopes are sorted");
    assert!(token.expires_at().is_some());
    assert_eq!(t.requests(), ["GET validate"]);
    let validate = &t.fake.requests()[0];
    assert_eq!(
        validate.header("authorization"),
        Some(format!("OAuth {}", grant.access_token).as_str())
    );
    let agent = validate.header("user-agent").unwrap_or_default();
    assert!(agent.starts_with("twitch-auth/"), "User-Agent {agent:?}");
    assert_eq!(
        t.file_bytes(),
        before,
        "a reused token must not rewrite the file"
    );
    assert_eq!(t.generator_calls(), 0);
}

#[test]
fn a_subset_of_the_stored_scopes_is_enough() {
    let t = Setup::new();
    t.store(&["chat:read", "chat:edit", "bits:read"]);
    let token = t.generating_helper(&["chat:read"]).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(token.scopes().len(), 3, "{:?}", token.scopes());
}

#[test]
fn pytwitchapi_two_key_file_is_reused_and_completed() {
    let t = Setup::new();
    let grant = t.fake.grant(&CHAT);
    t.write_pytwitchapi_file(&grant);

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(token.login(), t.fake.login());
    assert_eq!(t.requests(), ["GET validate"]);
    // Rewritten with what the validation said; pyTwitchAPI's keys hold the same pair.
    let json = t.file_json();
    assert_eq!(json["token"], grant.access_token);
    assert_eq!(json["refresh"], grant.refresh_token);
    assert_eq!(json["login"], t.fake.login());
    assert!(json["expires_at"].is_u64(), "{json}");

    // So its next expiry costs one request, as for a file this crate wrote.
    t.fake.expire_access_token(&grant.access_token);
    let mut json = t.file_json();
    json["expires_at"] = serde_json::json!(support::now() - 60);
    t.write_file(&serde_json::to_vec(&json).unwrap());
    t.fake.clear_requests();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert_eq!(t.requests(), ["POST token"]);
}

#[test]
fn stale_extra_keys_are_replaced_on_reuse() {
    let t = Setup::new();
    t.store(&CHAT);
    // pyTwitchAPI (or a hand edit) replaces the pair and leaves our keys describing the old one.
    let grant = t.fake.grant(&CHAT);
    let mut json = t.file_json();
    json["token"] = serde_json::json!(grant.access_token);
    json["refresh"] = serde_json::json!(grant.refresh_token);
    t.write_file(&serde_json::to_vec(&json).unwrap());

    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);
    let before = t.file_bytes().unwrap();
    // The rewritten file is trusted as it is: a second reuse writes nothing.
    t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(t.file_bytes().unwrap(), before);
    assert_ne!(
        t.file_json()["token_fingerprint"],
        json["token_fingerprint"]
    );
}

#[test]
fn stored_token_lacking_a_scope_is_replaced_by_a_login() {
    let t = Setup::new();
    let old = t.store(&["chat:read"]);

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    // No refresh: a refresh cannot add scopes.
    assert_eq!(t.requests(), ["GET validate", "GET validate"]);
    assert_eq!(t.generator_calls(), 1);
    assert_ne!(t.file_json()["token"], old.access_token.as_str());
}

#[test]
fn stored_token_of_another_app_is_replaced_by_a_login() {
    let t = Setup::new();
    let other = t.fake.grant_for_client("someone-elses-app", &CHAT);
    t.write_pytwitchapi_file(&other);

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(t.requests(), ["GET validate", "GET validate"]);
    assert_eq!(token.client_id(), t.fake.client_id());
}

#[test]
fn stored_app_token_is_replaced_by_a_login() {
    let t = Setup::new();
    t.write_file(format!(r#"{{"token":"{}","refresh":"r"}}"#, t.fake.app_token()).as_bytes());
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(t.generator_calls(), 1);
}

#[test]
fn one_helper_binds_again() {
    let t = Setup::new();
    let helper = t.generating_helper(&CHAT);
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Generated);
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Reused);
    assert_eq!(t.generator_calls(), 1);
}
