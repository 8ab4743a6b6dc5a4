//! The cases found from outside that the pair model (`src/model.rs`) answers, each through the
//! public API: what an unsaved pair displaced, a pair that is never dropped, `revoke()` as a log
//! out, a log out never undone, adoption that checks scopes and app, and threads that wait for
//! a failed refresh.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use support::{CHAT, Setup, secret_in_env};
use twitch_auth::mock::{Endpoint, FakeTwitch, Fault, Grant};
use twitch_auth::{
    Error, FileAction, FileStore, Helper, MemoryStore, Outcome, Scope, StoreLock, StoredToken,
    TokenStore,
};

/// A store in memory whose reads and writes can be made to fail, as a database in an outage.
#[derive(Debug, Default)]
struct Switched {
    inner: MemoryStore,
    fail_saves: AtomicBool,
    /// Loads fail from this call on (counting from 1); 0: never.
    fail_loads_from: AtomicUsize,
    loads: AtomicUsize,
}

impl Switched {
    fn holding(token: StoredToken) -> Arc<Switched> {
        Arc::new(Switched {
            inner: MemoryStore::with_token(token),
            ..Switched::default()
        })
    }

    fn heal(&self) {
        self.fail_saves.store(false, Ordering::SeqCst);
        self.fail_loads_from.store(0, Ordering::SeqCst);
    }

    fn down(what: &str) -> Error {
        Error::File {
            path: "db".into(),
            action: FileAction::Write,
            source: std::io::Error::other(format!("the database is down ({what})")),
        }
    }
}

impl TokenStore for Switched {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        let n = self.loads.fetch_add(1, Ordering::SeqCst) + 1;
        let from = self.fail_loads_from.load(Ordering::SeqCst);
        if from != 0 && n >= from {
            return Err(Switched::down("load"));
        }
        self.inner.load()
    }
    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        if self.fail_saves.load(Ordering::SeqCst) {
            return Err(Switched::down("save"));
        }
        self.inner.save(token)
    }
    fn delete(&self) -> Result<(), Error> {
        self.inner.delete()
    }
    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        self.inner.lock()
    }
}

/// A stored record of `grant` as this crate writes it: whose it is, its scopes, an expiry.
fn record(fake: &FakeTwitch, grant: &Grant, expires_at: SystemTime) -> StoredToken {
    record_with(fake, grant, expires_at, &CHAT)
}

fn record_with(
    fake: &FakeTwitch,
    grant: &Grant,
    expires_at: SystemTime,
    scopes: &[&str],
) -> StoredToken {
    let mut token = StoredToken::new(&grant.access_token, &grant.refresh_token);
    token.client_id = Some(fake.client_id().to_owned());
    token.user_id = Some(fake.user_id().to_owned());
    token.login = Some(fake.login().to_owned());
    token.scopes = scopes.iter().map(|s| Scope::from(*s)).collect();
    token.expires_at = Some(expires_at);
    token
}

/// Another program (the `token` CLI) logs the same user in with `scopes` and stores the pair.
fn another_login(t: &Setup, scopes: &[&str]) -> Grant {
    let grant = t.fake.grant(scopes);
    let token = record_with(&t.fake, &grant, in_hours(), scopes);
    FileStore::new(&t.path).save(&token).unwrap();
    grant
}

fn hour_ago() -> SystemTime {
    SystemTime::now() - Duration::from_secs(3600)
}

fn in_hours() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3 * 3600)
}

/// A Public client's helper (single-use refresh tokens) on `store`, logging in with `grant`.
fn public_on(fake: &FakeTwitch, store: Arc<Switched>, grant: &Grant) -> Helper {
    let pair = grant.clone();
    Helper::new(CHAT)
        .client_id(fake.client_id())
        .auth_base_url(fake.url())
        .store(store)
        .open_browser(false)
        .http_timeout(Duration::from_secs(1))
        .generator(move |_, _| Ok(pair.clone()))
}

/// Whether Twitch (the fake) still takes `access_token`.
fn alive(fake: &FakeTwitch, access_token: &str) -> bool {
    let url = format!("{}validate", fake.url());
    ureq::get(&url)
        .header("Authorization", &format!("OAuth {access_token}"))
        .call()
        .is_ok()
}

#[test]
fn what_an_unsaved_pair_displaced_is_read_under_the_lock_not_after() {
    if secret_in_env() {
        return;
    }
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);
    let grant = fake.grant(&CHAT);
    fake.expire_access_token(&grant.access_token);
    let store = Switched::holding(record(&fake, &grant, hour_ago()));
    // The refresh's save fails, and so does every read after the one under the lock.
    store.fail_saves.store(true, Ordering::SeqCst);
    store.fail_loads_from.store(2, Ordering::SeqCst);

    let token = public_on(&fake, store.clone(), &grant).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert!(!token.is_saved());

    store.heal();
    let ours = token.access_token().unwrap();
    fake.expire_access_tokens();
    token.report_unauthorized(&ours);
    let access = token
        .access_token()
        .expect("the handle refreshes its own, newest pair");

    assert_eq!(
        fake.refresh_token_reuses(),
        0,
        "a spent refresh token was sent"
    );
    let stored = store.load().unwrap().expect("a stored pair");
    assert_eq!(stored.access_token, access, "the good pair was saved");
    assert!(token.is_saved());
}

#[test]
fn a_pair_neither_saved_nor_validated_is_carried_by_the_error() {
    let fake = FakeTwitch::start().unwrap();
    let grant = fake.grant(&CHAT);
    let store = Arc::new(Switched::default());
    store.fail_saves.store(true, Ordering::SeqCst);
    fake.fail(Endpoint::Validate, Fault::status(502, "<html>502</html>"));
    let pair = grant.clone();
    let helper = Helper::new(CHAT)
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .auth_base_url(fake.url())
        .store(store.clone())
        .http_timeout(Duration::from_secs(1))
        .generator(move |_, _| Ok(pair.clone()));

    let err = helper.bind().unwrap_err();

    let kept = err
        .unsaved_token()
        .unwrap_or_else(|| panic!("the pair was dropped: {err}"));
    assert_eq!(kept.access_token.secret(), grant.access_token);
    assert_eq!(kept.refresh_token.secret(), grant.refresh_token);
    let text = err.to_string();
    assert!(text.contains("could not be saved"), "{text}");
    assert!(!text.contains(&grant.refresh_token), "{text}");
    assert!(!format!("{err:?}").contains(&grant.refresh_token));
}

#[test]
fn revoke_logs_out_every_pair_and_ends_the_handle() {
    let t = Setup::new();
    t.store(&CHAT);
    let token = t.bare_helper(&CHAT).bind().unwrap();
    let mine = token.access_token().unwrap();
    // Another program logged the same user in again: the file holds a newer, live pair.
    let theirs = another_login(&t, &CHAT);

    token.revoke().unwrap();

    assert!(!alive(&t.fake, mine.secret()), "the handle's pair is alive");
    assert!(
        !alive(&t.fake, &theirs.access_token),
        "the pair the store held is alive"
    );
    assert!(t.file_bytes().is_none(), "the store still holds a pair");
    let err = token.access_token().unwrap_err();
    assert!(err.needs_login(), "{err:?}");
    assert!(
        matches!(
            err,
            Error::LoggedOut {
                by_this_handle: true
            }
        ),
        "{err:?}"
    );
    token.revoke().expect("a second revoke is a no-op");
}

#[test]
fn a_pending_save_never_undoes_a_log_out() {
    let fake = FakeTwitch::start().unwrap();
    let grant = fake.grant(&CHAT);
    let helper = |store: Arc<Switched>| {
        Helper::new(CHAT)
            .client_id(fake.client_id())
            .client_secret(fake.client_secret())
            .auth_base_url(fake.url())
            .store(store)
            .http_timeout(Duration::from_secs(1))
    };
    // A handle whose refreshed pair could not be saved, displacing the stored one.
    let unsaved_handle = |store: &Arc<Switched>| {
        let token = helper(store.clone()).bind().unwrap();
        store.fail_saves.store(true, Ordering::SeqCst);
        token.report_unauthorized(&token.access_token().unwrap());
        token.access_token().unwrap();
        assert!(!token.is_saved());
        store.heal();
        token
    };

    // Another program logs out: the save retry must not write the pair back.
    let store = Switched::holding(record(&fake, &grant, in_hours()));
    let token = unsaved_handle(&store);
    store.inner.delete().unwrap();
    let err = token.save().unwrap_err();
    assert!(
        matches!(err, Error::StoreChanged { stored_login: None }),
        "{err:?}"
    );
    assert!(store.load().unwrap().is_none(), "the log out was undone");
    token.report_unauthorized(
        &token
            .access_token()
            .unwrap_or_else(|_| grant_access(&grant)),
    );
    assert!(token.access_token().is_err());
    assert!(store.load().unwrap().is_none(), "the log out was undone");

    // The handle's own log out: neither a save nor a refresh brings a pair back.
    let grant = fake.grant(&CHAT);
    let store = Switched::holding(record(&fake, &grant, in_hours()));
    let token = unsaved_handle(&store);
    token.revoke().unwrap();
    assert!(token.save().is_err());
    assert!(token.access_token().is_err());
    assert!(store.load().unwrap().is_none(), "the log out was undone");
    assert_eq!(fake.refresh_token_reuses(), 0);
}

fn grant_access(grant: &Grant) -> twitch_auth::AccessToken {
    twitch_auth::AccessToken::new(&grant.access_token)
}

#[test]
fn another_programs_pair_without_a_wanted_scope_or_of_another_app_is_not_adopted() {
    let t = Setup::new();
    t.store(&CHAT);
    let token = t.bare_helper(&CHAT).bind().unwrap();
    // The `token` CLI logs the same user in with fewer scopes.
    another_login(&t, &["chat:read"]);
    t.fake.clear_requests();
    token.report_unauthorized(&token.access_token().unwrap());

    let err = token.access_token().unwrap_err();

    match &err {
        Error::MissingScopes { missing } => assert_eq!(missing, &[Scope::ChatEdit]),
        other => panic!("expected MissingScopes, got {other:?}"),
    }
    assert!(t.requests().is_empty(), "{:?}", t.requests());

    // Another app's pair, in pyTwitchAPI's two keys (no owner): Twitch is asked, and it is
    // refused, naming the app.
    let other_app = t.fake.grant_for_client("another-app", &CHAT);
    t.write_pytwitchapi_file(&other_app);
    let err = token.access_token().unwrap_err();
    match &err {
        Error::WrongClient { token_client_id } => assert_eq!(token_client_id, "another-app"),
        other => panic!("expected WrongClient, got {other:?}"),
    }
    assert!(
        !t.requests().iter().any(|r| r == "POST token"),
        "{:?}",
        t.requests()
    );
}

#[test]
fn threads_waiting_for_a_failed_refresh_get_its_error_not_a_turn_each() {
    let t = Setup::new();
    t.store(&CHAT);
    let store = FileStore::new(&t.path).lock_timeout(Duration::from_secs(5));
    let token = t.bare_helper(&CHAT).store(store).bind().unwrap();
    token.report_unauthorized(&token.access_token().unwrap());
    // Every refresh hangs past the HTTP timeout (1 s).
    t.fake
        .fail(Endpoint::Token, Fault::Delay(Duration::from_secs(30)));
    t.fake.clear_requests();

    let start = Barrier::new(4);
    let errors: Vec<Error> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    token.access_token().unwrap_err()
                })
            })
            .collect();
        threads.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let refreshes = t.requests().iter().filter(|r| *r == "POST token").count();
    assert_eq!(refreshes, 1, "one failed attempt, not one per thread");
    for err in &errors {
        assert!(err.is_transient(), "{err:?}");
    }
}

#[test]
fn adopting_another_programs_pair_tells_on_refresh() {
    let t = Setup::new();
    t.store(&CHAT);
    let mirrored = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mirror = Arc::clone(&mirrored);
    let token = t
        .bare_helper(&CHAT)
        .on_refresh(move |pair| {
            mirror
                .lock()
                .unwrap()
                .push(pair.access_token.secret().to_owned())
        })
        .bind()
        .unwrap();
    let theirs = another_login(&t, &CHAT);
    token.report_unauthorized(&token.access_token().unwrap());

    let access = token.access_token().unwrap();

    assert_eq!(
        access.secret(),
        theirs.access_token,
        "the newer pair is adopted"
    );
    assert_eq!(
        *mirrored.lock().unwrap(),
        [theirs.access_token],
        "a mirror of the handle's pair must hear of the pair it now hands out"
    );
}
