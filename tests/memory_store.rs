//! The in-memory store passes the same bind tests as the token file: generate, reuse, refresh,
//! a rejected refresh token, and an expired token refreshed through the handle.

mod support;

use std::sync::Arc;
use std::time::SystemTime;

use support::{CHAT, Setup};
use twitch_auth::{Helper, MemoryStore, Outcome, StoredToken, TokenStore};

fn helper(t: &Setup, store: &Arc<MemoryStore>) -> Helper {
    t.generating_helper(&CHAT).store(store.clone())
}

#[test]
fn generates_then_reuses() {
    let t = Setup::new();
    let store = Arc::new(MemoryStore::new());

    let token = helper(&t, &store).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    let stored = store.load().unwrap().expect("saved in the store");
    assert_eq!(stored.access_token, token.access_token().unwrap());
    assert_eq!(stored.login.as_deref(), Some(t.fake.login()));

    assert_eq!(
        helper(&t, &store).bind().unwrap().outcome(),
        Outcome::Reused
    );
    assert_eq!(t.requests(), ["GET validate", "GET validate"]);
    assert!(t.file_bytes().is_none(), "no file is written");
}

#[test]
fn a_pair_known_to_be_expired_is_refreshed_in_one_request() {
    let t = Setup::new();
    let store = Arc::new(MemoryStore::new());
    helper(&t, &store).bind().unwrap();
    let mut stored = store.load().unwrap().unwrap();
    t.fake.expire_access_token(stored.access_token.secret());
    stored.expires_at = Some(SystemTime::now() - std::time::Duration::from_secs(60));
    store.save(&stored).unwrap();
    t.fake.clear_requests();

    let token = helper(&t, &store).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert_eq!(t.requests(), ["POST token"]);
    assert_eq!(
        store.load().unwrap().unwrap().access_token,
        token.access_token().unwrap()
    );
}

#[test]
fn a_bare_pair_is_validated_then_refreshed() {
    let t = Setup::new();
    let grant = t.fake.grant(&CHAT);
    t.fake.expire_access_token(&grant.access_token);
    let store = Arc::new(MemoryStore::with_token(StoredToken::new(
        &grant.access_token,
        &grant.refresh_token,
    )));

    let token = helper(&t, &store).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert_eq!(t.requests(), ["GET validate", "POST token", "GET validate"]);
    assert_eq!(token.login(), t.fake.login());
}

#[test]
fn a_rejected_refresh_token_leads_to_a_login() {
    let t = Setup::new();
    let grant = t.fake.grant(&CHAT);
    t.fake.expire_access_token(&grant.access_token);
    t.fake.revoke_refresh_token(&grant.refresh_token);
    let store = Arc::new(MemoryStore::with_token(StoredToken::new(
        &grant.access_token,
        &grant.refresh_token,
    )));

    let token = helper(&t, &store).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(t.generator_calls(), 1);
}

#[test]
fn the_handle_refreshes_into_the_store() {
    let t = Setup::new();
    let store = Arc::new(MemoryStore::new());
    let token = helper(&t, &store).bind().unwrap();
    let old = token.access_token().unwrap();
    token.report_unauthorized(&old);

    let new = token.access_token().unwrap();

    assert_ne!(new, old);
    assert_eq!(store.load().unwrap().unwrap().access_token, new);
}

#[test]
fn revoke_empties_the_store() {
    let t = Setup::new();
    let store = Arc::new(MemoryStore::new());
    let token = helper(&t, &store).bind().unwrap();
    token.revoke().unwrap();
    assert!(store.load().unwrap().is_none());
}
