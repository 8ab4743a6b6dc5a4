//! A refresh token is spent once, and a pair in hand is never lost: a handle whose file another
//! program refreshed, a store that cannot be written, a failed validation after a login.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use support::{CHAT, Setup, Tmpfs, describe, expire_stored, public_helper, secret_in_env};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Error, MemoryStore, Outcome, StoreLock, StoredToken, TokenStore, UserToken};

/// A handle of a Public client, whose file another program (a CLI, a cron job) then finds
/// expired and refreshes, spending the refresh token the handle holds; the handle's next
/// `access_token()` must refresh (Helix said 401). Returns the other program's output.
fn a_handle_and_another_program_refreshing(t: &Setup) -> (UserToken, serde_json::Value) {
    t.fake.set_public(true);
    let grant = t.fake.grant(&CHAT);
    let token = public_helper(t, &CHAT, &grant).bind().unwrap();
    expire_stored(t);
    let theirs = other_program_binds(t);
    assert_eq!(theirs["outcome"], "refreshed");
    token.report_unauthorized(&token.access_token().unwrap());
    (token, theirs)
}

/// Runs the `token` example as another program sharing the token file (a Public client).
fn other_program_binds(t: &Setup) -> serde_json::Value {
    let output = t
        .token_command()
        .args(["--client-id", t.fake.client_id()])
        .args(["--scopes", "chat:read chat:edit", "--no-browser"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_stale_handle_refreshes_the_pair_another_program_stored() {
    if secret_in_env() {
        return;
    }
    let t = Setup::new();
    let (token, _) = a_handle_and_another_program_refreshing(&t);
    // Then that newer pair expires too.
    let theirs = t.file_json();
    expire_stored(&t);

    let access = token.access_token().expect("the stored pair is refreshed");

    assert_eq!(
        t.fake.refresh_token_reuses(),
        0,
        "a spent refresh token was sent"
    );
    assert_ne!(access.secret(), theirs["token"]);
    assert_eq!(
        t.file_json()["token"],
        access.secret(),
        "the new pair was saved"
    );
    assert_eq!(token.refresh_token().secret(), t.file_json()["refresh"]);
}

#[test]
fn a_stale_handle_adopts_a_fresh_pair_another_program_stored() {
    if secret_in_env() {
        return;
    }
    let t = Setup::new();
    let (token, theirs) = a_handle_and_another_program_refreshing(&t);
    t.fake.clear_requests();

    let access = token.access_token().unwrap();

    assert_eq!(access.secret(), theirs["access_token"]);
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    assert_eq!(t.fake.refresh_token_reuses(), 0);
}

#[test]
fn a_handle_whose_pair_was_removed_sends_nothing() {
    let t = Setup::new();
    t.store(&CHAT);
    let token = t.generating_helper(&CHAT).bind().unwrap();
    t.fake.clear_requests();
    std::fs::remove_file(&t.path).unwrap(); // logged out by another program
    token.report_unauthorized(&token.access_token().unwrap());

    let err = token.access_token().unwrap_err();

    assert!(
        matches!(err, Error::StoreChanged { stored_login: None }),
        "{err:?}"
    );
    assert!(err.needs_login());
    assert!(t.requests().is_empty(), "{:?}", t.requests());
}

#[test]
fn a_full_disk_refuses_the_refresh_before_spending_the_refresh_token() {
    let Some(fs) = Tmpfs::mount("64k") else {
        return;
    };
    let t = fs.setup();
    t.store_expired(&CHAT);
    let before = t.file_bytes().unwrap();
    fs.fill();

    let err = t.generating_helper(&CHAT).bind().unwrap_err();

    match &err {
        Error::File { path, source, .. } => {
            assert_eq!(path, &t.path);
            assert_eq!(source.kind(), std::io::ErrorKind::StorageFull, "{source}");
        }
        other => panic!("expected a file error, got {other:?}"),
    }
    assert!(
        t.requests().is_empty(),
        "nothing was spent: {:?}",
        t.requests()
    );
    assert_eq!(t.generator_calls(), 0);
    assert_eq!(t.file_bytes().unwrap(), before);
}

#[test]
fn a_read_only_store_refuses_refreshes_and_logins_before_any_request() {
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let t = fs.setup();
    t.store_expired(&CHAT);
    let before = t.file_bytes().unwrap();
    fs.remount_read_only();

    let expired = t.generating_helper(&CHAT).bind().unwrap_err();
    let login = t
        .generating_helper(&CHAT)
        .path(fs.path().join("other.json"))
        .bind()
        .unwrap_err();

    for err in [&expired, &login] {
        match err {
            Error::File { source, .. } => assert_eq!(
                source.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem,
                "{source}"
            ),
            other => panic!("expected a file error, got {other:?}"),
        }
    }
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    assert_eq!(t.generator_calls(), 0, "no login started");
    assert_eq!(t.file_bytes().unwrap(), before);
}

#[cfg(unix)] // runs a process as another user (uid, gid)
#[test]
fn a_directory_the_process_cannot_write_refuses_the_refresh() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    if support::effective_uid() != Some(0) {
        eprintln!("skipped: running another user's process needs root");
        return;
    }
    let t = Setup::new();
    t.store_expired(&CHAT);
    // The directory and the lock file are root's; the token file may be read by anyone.
    let mut lock = t.path.as_os_str().to_owned();
    lock.push(".lock");
    std::fs::write(&lock, b"").unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&t.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    for dir in t.path.ancestors().skip(1).take(2) {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let before = t.file_bytes().unwrap();
    t.fake.clear_requests();

    let output = t
        .token_command()
        .args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()])
        .args(["--scopes", "chat:read chat:edit", "--no-browser"])
        .uid(65534) // nobody
        .gid(65534)
        .output()
        .unwrap();

    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("could not write the token file"),
        "{stderr}"
    );
    assert!(
        t.requests().is_empty(),
        "nothing was spent: {:?}",
        t.requests()
    );
    assert_eq!(t.file_bytes().unwrap(), before);
}

/// A store whose saves fail while `failing` is set, as a disk that fills up between the check
/// and the save would.
#[derive(Debug, Default)]
struct FlakyStore {
    inner: MemoryStore,
    failing: AtomicBool,
    /// Saves that fail before the store works again, on top of `failing`.
    fail_next: AtomicU32,
}

impl TokenStore for FlakyStore {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        self.inner.load()
    }
    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        let counted = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if counted || self.failing.load(Ordering::SeqCst) {
            return Err(Error::Store {
                source: "the disk filled up".into(),
            });
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

#[test]
fn a_pair_whose_save_failed_is_kept_used_and_saved_later() {
    if secret_in_env() {
        return;
    }
    let t = Setup::new();
    t.fake.set_public(true);
    let grant = t.fake.grant(&CHAT);
    let store = Arc::new(FlakyStore::default());
    let mut stored = StoredToken::new(&grant.access_token, &grant.refresh_token);
    stored.expires_at = Some(std::time::UNIX_EPOCH);
    store.inner.save(&stored).unwrap();
    t.fake.expire_access_token(&grant.access_token);
    store.failing.store(true, Ordering::SeqCst);

    let token = public_helper(&t, &CHAT, &grant)
        .store(store.clone())
        .bind()
        .expect("the refreshed pair is handed out although it could not be saved");

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert!(!token.is_saved());
    assert_eq!(
        store.load().unwrap().unwrap(),
        stored,
        "the store kept the old pair"
    );
    assert!(token.save().is_err(), "the store still fails");

    // The handle's refresh token is the live one: the stored one was spent.
    token.report_unauthorized(&token.access_token().unwrap());
    let access = token.access_token().unwrap();
    assert_eq!(
        t.fake.refresh_token_reuses(),
        0,
        "the spent refresh token was sent"
    );
    assert!(!token.is_saved());

    store.failing.store(false, Ordering::SeqCst);
    token.save().unwrap();
    assert!(token.is_saved());
    let kept = store.load().unwrap().unwrap();
    assert_eq!(kept.access_token, access);
    assert_eq!(kept.refresh_token, token.refresh_token());
}

#[test]
fn a_login_pair_is_saved_before_its_validation() {
    let t = Setup::new();
    t.fake
        .fail_times(Endpoint::Validate, Fault::status(502, "Bad Gateway"), 1);

    let err = t.generating_helper(&CHAT).bind().unwrap_err();

    assert!(err.is_transient(), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("the new pair was saved"), "{message}");
    assert!(!message.contains("not changed"), "{message}");
    assert!(
        t.file_bytes().is_some(),
        "the pair the user consented to was kept"
    );
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(t.generator_calls(), 1, "no second login");
}

#[test]
fn a_failed_validation_after_a_refresh_says_the_file_changed() {
    let t = Setup::new();
    t.store_expired(&CHAT);
    // The file knows the pair and its expiry but not whose it is: the refresh is followed
    // by a validation.
    let mut json = t.file_json();
    let old = json["token"].clone();
    let object = json.as_object_mut().unwrap();
    object.remove("user_id");
    object.remove("login");
    t.write_file(&serde_json::to_vec(&json).unwrap());
    t.fake
        .fail(Endpoint::Validate, Fault::status(502, "Bad Gateway"));

    let err = t.generating_helper(&CHAT).bind().unwrap_err();

    let requests: HashMap<_, usize> = t.requests().into_iter().fold(HashMap::new(), |mut m, r| {
        *m.entry(r).or_default() += 1;
        m
    });
    assert_eq!(requests.get("POST token"), Some(&1), "{requests:?}");
    let message = err.to_string();
    assert!(!message.contains("not changed"), "{message}");
    assert!(message.contains("the new pair was saved"), "{message}");
    assert_ne!(
        t.file_json()["token"],
        old,
        "the refreshed pair is in the file"
    );
}

/// A Public client's expired pair in a store that cannot be written, as the handle finds it.
fn unwritable_store_with_an_expired_pair(t: &Setup) -> (Arc<FlakyStore>, twitch_auth::mock::Grant) {
    t.fake.set_public(true);
    let grant = t.fake.grant(&CHAT);
    let store = Arc::new(FlakyStore::default());
    let mut stored = StoredToken::new(&grant.access_token, &grant.refresh_token);
    stored.expires_at = Some(std::time::UNIX_EPOCH);
    store.inner.save(&stored).unwrap();
    t.fake.expire_access_token(&grant.access_token);
    store.failing.store(true, Ordering::SeqCst);
    (store, grant)
}

#[test]
fn saves_failing_refresh_after_refresh_never_send_a_spent_token() {
    if secret_in_env() {
        return;
    }
    let t = Setup::new();
    let (store, grant) = unwritable_store_with_an_expired_pair(&t);
    let token = public_helper(&t, &CHAT, &grant)
        .store(store.clone())
        .bind()
        .unwrap();

    // Each refresh spends the handle's refresh token, and each save fails: the store still
    // holds the first pair, whose refresh token was spent first of all.
    for round in 0..3 {
        token.report_unauthorized(&token.access_token().unwrap());
        token
            .access_token()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(!token.is_saved(), "round {round}");
    }

    assert_eq!(
        t.fake.refresh_token_reuses(),
        0,
        "a spent refresh token was sent"
    );
    store.failing.store(false, Ordering::SeqCst);
    token.save().unwrap();
    assert_eq!(
        store.load().unwrap().unwrap().refresh_token,
        token.refresh_token()
    );
}

#[test]
fn a_late_save_never_overwrites_a_pair_another_program_stored() {
    if secret_in_env() {
        return;
    }
    let t = Setup::new();
    let (store, grant) = unwritable_store_with_an_expired_pair(&t);
    let token = public_helper(&t, &CHAT, &grant)
        .store(store.clone())
        .bind()
        .unwrap();
    // Another program logs in meanwhile and stores its own pair.
    let theirs = StoredToken::new("their-access-token", "their-refresh-token");
    store.inner.save(&theirs).unwrap();
    store.failing.store(false, Ordering::SeqCst);

    let err = token.save().unwrap_err();

    assert!(matches!(err, Error::StoreChanged { .. }), "{err:?}");
    assert_eq!(
        store.load().unwrap().unwrap(),
        theirs,
        "their pair was kept"
    );
}

#[test]
fn a_pair_whose_first_save_and_validation_failed_is_saved_on_a_second_try() {
    let t = Setup::new();
    // Expired, and the store does not say whose it is: the refresh is followed by a
    // validation, which fails; so did the first save.
    let grant = t.fake.grant(&CHAT);
    let store = Arc::new(FlakyStore::default());
    let mut stored = StoredToken::new(&grant.access_token, &grant.refresh_token);
    stored.expires_at = Some(std::time::UNIX_EPOCH);
    store.inner.save(&stored).unwrap();
    store.fail_next.store(1, Ordering::SeqCst);
    t.fake
        .fail(Endpoint::Validate, Fault::status(502, "Bad Gateway"));

    let err = t
        .bare_helper(&CHAT)
        .store(store.clone())
        .bind()
        .unwrap_err();

    assert!(err.is_transient(), "{err:?}");
    assert!(err.to_string().contains("the new pair was saved"), "{err}");
    let kept = store.load().unwrap().unwrap();
    assert_ne!(
        kept.refresh_token, stored.refresh_token,
        "the new pair is in the store"
    );
}

#[test]
fn a_pair_of_unknown_owner_is_checked_before_the_handle_uses_it() {
    let t = Setup::new();
    t.store(&CHAT);
    let token = t.generating_helper(&CHAT).bind().unwrap();
    // pyTwitchAPI, sharing the file, logs in as another account and writes its two keys.
    let theirs = t.fake.grant_for_another_user(&CHAT);
    t.write_pytwitchapi_file(&theirs);
    t.fake.clear_requests();

    token.report_unauthorized(&token.access_token().unwrap());
    let err = token.access_token().unwrap_err();

    match &err {
        Error::StoreChanged {
            stored_login: Some(login),
        } => assert_eq!(login, t.fake.other_login()),
        other => panic!("expected StoreChanged, got {other:?}"),
    }
    assert_eq!(
        t.requests(),
        ["GET validate"],
        "asked whose it is, spent nothing"
    );
    assert_eq!(token.login(), t.fake.login());

    // The same account's pair, written the same way, is used after that one question.
    let ours = t.fake.grant(&CHAT);
    t.write_pytwitchapi_file(&ours);
    t.fake.clear_requests();
    let access = token.access_token().unwrap();
    assert_eq!(access.secret(), ours.access_token);
    assert_eq!(t.requests(), ["GET validate"]);
}
