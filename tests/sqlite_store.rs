//! `SqliteStore` against a real SQLite database (bundled): accounts side by side, a lease per
//! account that never makes another account wait, fenced saves, a holder that died or was
//! stopped, eight processes on one account of a Public client, and the file's mode.
#![cfg(feature = "sqlite")]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use support::{CHAT, Setup, TempDir, describe, example};
use twitch_auth::mock::Grant;
use twitch_auth::{Error, Helper, Outcome, SqliteStore, StoredToken, TokenStore};

/// A child's role, when this test binary runs as one (see `as_child`).
const CHILD: &str = "TWITCH_AUTH_SQLITE_CHILD";

fn pair(grant: &Grant) -> StoredToken {
    StoredToken::new(grant.access_token.as_str(), grant.refresh_token.as_str())
}

/// `grant` as the store would keep it after a login, but expired an hour ago.
fn expired(grant: &Grant) -> StoredToken {
    let mut token = pair(grant);
    token.expires_at = Some(SystemTime::now() - Duration::from_secs(3600));
    token
}

fn helper(t: &Setup, store: impl TokenStore + 'static) -> Helper {
    t.bare_helper(&CHAT)
        .store(store)
        .generator(|_, _| Err("no login in this test".into()))
}

#[test]
fn accounts_are_kept_side_by_side() {
    let dir = TempDir::new();
    let db = SqliteStore::open(dir.path().join("tokens.db")).unwrap();
    let (a, b) = (db.account("bot"), db.account("broadcaster"));

    assert_eq!(a.load().unwrap(), None);
    a.save(&StoredToken::new("access-a", "refresh-a")).unwrap();
    b.save(&StoredToken::new("access-b", "refresh-b")).unwrap();
    assert_eq!(
        a.load().unwrap().unwrap().refresh_token.secret(),
        "refresh-a"
    );
    assert_eq!(db.accounts().unwrap(), ["bot", "broadcaster"]);

    // Another connection (another process) sees the same.
    let again = SqliteStore::open(db.path()).unwrap();
    assert_eq!(
        again
            .account("broadcaster")
            .load()
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "access-b"
    );
    b.delete().unwrap();
    assert_eq!(b.load().unwrap(), None);
    assert!(db.remove_account("bot").unwrap());
    assert!(!db.remove_account("bot").unwrap());
    assert!(db.accounts().unwrap().is_empty());
}

#[test]
fn bind_reuses_refreshes_and_logs_in_per_account() {
    let t = Setup::new();
    let db = SqliteStore::open(t.dir.path().join("tokens.db")).unwrap();
    let grant = t.fake.grant(&CHAT);
    let login = t.fake.grant(&CHAT);

    let first = t
        .bare_helper(&CHAT)
        .store(db.account("one"))
        .generator(move |_, _| Ok(login.clone()))
        .bind()
        .unwrap();
    assert_eq!(first.outcome(), Outcome::Generated);
    let stored = db.account("one").load().unwrap().unwrap();
    assert_eq!(stored.user_id.as_deref(), Some(t.fake.user_id()));

    assert_eq!(
        helper(&t, db.account("one")).bind().unwrap().outcome(),
        Outcome::Reused
    );
    db.account("two").save(&expired(&grant)).unwrap();
    let refreshed = helper(&t, db.account("two")).bind().unwrap();
    assert_eq!(refreshed.outcome(), Outcome::Refreshed);
    assert_eq!(
        db.account("two").load().unwrap().unwrap().access_token,
        refreshed.access_token().unwrap()
    );
    assert!(t.file_bytes().is_none(), "no token file was written");
}

#[test]
fn one_accounts_lock_never_makes_another_wait() {
    let t = Setup::new();
    let path = t.dir.path().join("tokens.db");
    let db = SqliteStore::open(&path)
        .unwrap()
        .lock_timeout(Duration::from_millis(300));
    db.account("a")
        .save(&expired(&t.fake.grant(&CHAT)))
        .unwrap();
    db.account("b")
        .save(&expired(&t.fake.grant(&CHAT)))
        .unwrap();
    // Another process holds account a's lock.
    let mut holder = child("hold", &path);

    let started = Instant::now();
    let b = helper(&t, db.account("b")).bind().unwrap();
    assert_eq!(b.outcome(), Outcome::Refreshed);
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );

    let err = helper(&t, db.account("a")).bind().unwrap_err();
    match &err {
        Error::LockTimedOut { path: named, .. } => assert_eq!(named, &path),
        other => panic!("expected LockTimedOut, got {other:?}"),
    }
    assert!(err.is_transient());
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn a_save_without_the_lock_never_lands_while_another_holds_it() {
    let dir = TempDir::new();
    let db = SqliteStore::open(dir.path().join("tokens.db")).unwrap();
    db.account("a")
        .save(&StoredToken::new("old", "old-refresh"))
        .unwrap();
    let holder = db.account("a");
    let _held = holder.lock().unwrap();

    let err = db
        .account("a")
        .save(&StoredToken::new("new", "new-refresh"))
        .unwrap_err();

    assert!(
        err.to_string().contains("another process holds its lock"),
        "{err}"
    );
    assert_eq!(holder.load().unwrap().unwrap().access_token.secret(), "old");
    // The holder's own save lands.
    holder
        .save(&StoredToken::new("mine", "mine-refresh"))
        .unwrap();
    assert_eq!(
        holder.load().unwrap().unwrap().access_token.secret(),
        "mine"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_naming_it_and_left_alone() {
    let dir = TempDir::new();
    let path = dir.path().join("tokens.db");
    let bytes = b"{\"token\": \"this is a token file, not a database\"}\n".repeat(100);
    std::fs::write(&path, &bytes).unwrap();

    let err = SqliteStore::open(&path).unwrap_err();

    match &err {
        Error::File { path: named, .. } => assert_eq!(named, &path),
        other => panic!("expected Error::File, got {other:?}"),
    }
    assert!(err.to_string().contains("not an SQLite database"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file changed");
}

#[cfg(unix)]
#[test]
fn the_database_and_its_wal_files_are_owner_only() {
    let dir = TempDir::new();
    let path = dir.path().join("private").join("tokens.db");
    let db = SqliteStore::open(&path).unwrap();
    db.account("a")
        .save(&StoredToken::new("access", "refresh"))
        .unwrap();

    assert_eq!(support::mode(path.parent().unwrap()) & 0o777, 0o700);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        assert_eq!(
            support::mode(std::path::Path::new(&file)) & 0o777,
            0o600,
            "{file}"
        );
    }
}

#[test]
fn a_full_disk_is_said_before_the_refresh_spends_the_refresh_token() {
    let Some(fs) = support::Tmpfs::mount("1m") else {
        return;
    };
    let t = fs.setup();
    let db = SqliteStore::open(fs.path().join("tokens.db")).unwrap();
    db.account("a")
        .save(&expired(&t.fake.grant(&CHAT)))
        .unwrap();
    fs.fill();
    t.fake.clear_requests();

    let err = helper(&t, db.account("a")).bind().unwrap_err();

    assert!(matches!(err, Error::File { .. }), "{err:?}");
    assert!(t.requests().is_empty(), "{:?}", t.requests());
}

/// The child roles this binary plays when `CHILD` is set: it takes account `a`'s lock in the
/// database `TWITCH_AUTH_SQLITE_DB` (lease 500 ms), says `ready`, and then, as told on stdin,
/// waits forever (`hold`) or tries a save after a line (`save`).
#[test]
fn as_child() {
    let Ok(role) = std::env::var(CHILD) else {
        return;
    };
    if role == "exclusive" {
        // Another program's open transaction: the database's write lock, held until killed.
        let conn =
            rusqlite::Connection::open(std::env::var("TWITCH_AUTH_SQLITE_DB").unwrap()).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
        println!("ready");
        std::io::stdout().flush().unwrap();
        std::thread::sleep(Duration::from_secs(3600));
        return;
    }
    let db = SqliteStore::open(std::env::var("TWITCH_AUTH_SQLITE_DB").unwrap())
        .unwrap()
        .lease(Duration::from_millis(500));
    let account = db.account("a");
    let _held = account.lock().unwrap();
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    if role == "save" {
        match account.save(&StoredToken::new("late", "late-refresh")) {
            Ok(()) => println!("saved"),
            Err(e) => println!("refused: {e}"),
        }
    } else {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn child(role: &str, db: &std::path::Path) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["as_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, role)
        .env("TWITCH_AUTH_SQLITE_DB", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.as_mut().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the child ended");
    }
    child
}

#[test]
fn a_holder_killed_mid_refresh_frees_the_account_after_its_lease() {
    let t = Setup::new();
    let path = t.dir.path().join("tokens.db");
    let db = SqliteStore::open(&path).unwrap();
    db.account("a")
        .save(&expired(&t.fake.grant(&CHAT)))
        .unwrap();
    let mut holder = child("hold", &path);
    holder.kill().unwrap(); // SIGKILL; TerminateProcess on Windows
    holder.wait().unwrap();
    let started = Instant::now();

    let token = helper(&t, db.account("a")).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(t.fake.refresh_token_reuses(), 0);
}

/// A holder stopped past its lease (SIGSTOP, as a laptop lid or a debugger does), whose lock
/// another process took and whose pair it replaced: resumed, its late save is refused by the
/// fence, and the newer pair stays.
#[cfg(unix)]
#[test]
fn a_holder_stopped_past_its_lease_cannot_overwrite_a_newer_pair() {
    let dir = TempDir::new();
    let path = dir.path().join("tokens.db");
    let db = SqliteStore::open(&path)
        .unwrap()
        .lease(Duration::from_millis(500));
    let mut holder = child("save", &path);
    let pid = holder.id().to_string();
    let signal = |sig: &str| {
        let status = Command::new("kill").args([sig, &pid]).status().unwrap();
        assert!(status.success(), "kill {sig}");
    };
    signal("-STOP");
    std::thread::sleep(Duration::from_millis(800)); // past its lease: nobody renews it

    let account = db.account("a");
    {
        let _mine = account.lock().expect("the stopped holder's lease ran out");
        account
            .save(&StoredToken::new("newer", "newer-refresh"))
            .unwrap();
    }
    signal("-CONT");
    holder.stdin.as_mut().unwrap().write_all(b"save\n").unwrap();
    let output = holder.wait_with_output().unwrap();

    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("refused: ") && said.contains("its lock was lost"),
        "{said}"
    );
    assert_eq!(
        account.load().unwrap().unwrap().access_token.secret(),
        "newer"
    );
}

/// Eight `token` processes on one account of a Public client (single-use refresh tokens), its
/// token expired, three rounds: no refresh token is ever sent twice, and every process gets
/// the account's token.
#[test]
fn eight_processes_on_one_account_never_spend_a_refresh_token_twice() {
    let t = Setup::new();
    t.fake.set_public(true); // a reuse would revoke the grant
    let path = t.dir.path().join("tokens.db");
    let db = SqliteStore::open(&path).unwrap();
    db.account("streamer")
        .save(&expired(&t.fake.grant(&CHAT)))
        .unwrap();
    for round in 0..3 {
        let children: Vec<_> = (0..8)
            .map(|_| {
                Command::new(example("token"))
                    .env_remove("TWITCH_CLIENT_ID")
                    .env_remove("TWITCH_CLIENT_SECRET")
                    .env("NO_PROXY", "127.0.0.1,localhost")
                    .args(["--auth-base-url", &t.fake.url()])
                    .args(["--client-id", t.fake.client_id()])
                    .args([
                        "--scopes",
                        "chat:read chat:edit",
                        "--device",
                        "--no-browser",
                    ])
                    .args(["--timeout", "5", "--account", "streamer"])
                    .arg(format!("--store=sqlite:{}", path.display()))
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut tokens = Vec::new();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                describe(&output)
            );
            let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            tokens.push(line["access_token"].as_str().unwrap().to_owned());
        }
        assert_eq!(t.fake.refresh_token_reuses(), 0, "round {round}");
        let stored = db.account("streamer").load().unwrap().unwrap();
        assert!(
            tokens.iter().all(|t| *t == stored.access_token.secret()),
            "round {round}: every process printed the stored token"
        );
        // Expire it again for the next round, as the hours do.
        t.fake.expire_access_token(stored.access_token.secret());
        let mut again = stored;
        again.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
        db.account("streamer").save(&again).unwrap();
    }
    let device_logins = t.requests().iter().filter(|r| *r == "POST device").count();
    assert_eq!(device_logins, 0, "nobody was asked to log in");
}

/// A refresh slower than the lease (a slow network): the holder renews it, so nobody else takes
/// the lock meanwhile, and its save lands.
#[test]
fn a_lease_is_renewed_for_as_long_as_it_is_held() {
    let dir = TempDir::new();
    let path = dir.path().join("tokens.db");
    let db = SqliteStore::open(&path)
        .unwrap()
        .lease(Duration::from_millis(300));
    let holder = db.account("a");
    let held = holder.lock().unwrap();
    let other = SqliteStore::open(&path).unwrap();

    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1_200) {
        assert!(
            other.account("a").try_lock().unwrap().is_none(),
            "taken after {:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    holder
        .save(&StoredToken::new("slow", "slow-refresh"))
        .unwrap();
    drop(held);
    assert!(other.account("a").try_lock().unwrap().is_some(), "released");
}

/// Another program holds the database's write lock (an open transaction, as a backup tool or a
/// DB browser does) past the busy timeout: an error naming the file, no request, nothing lost.
#[test]
fn a_database_another_program_keeps_locked_is_an_error_naming_it() {
    let t = Setup::new();
    let path = t.dir.path().join("tokens.db");
    let db = SqliteStore::open(&path)
        .unwrap()
        .busy_timeout(Duration::from_millis(200));
    let before = expired(&t.fake.grant(&CHAT));
    db.account("a").save(&before).unwrap();
    let mut other = exclusive_elsewhere(&path);
    t.fake.clear_requests();

    let err = helper(&t, db.account("a")).bind().unwrap_err();

    match &err {
        Error::File { path: named, .. } => assert_eq!(named, &path),
        other => panic!("expected Error::File, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("another program kept the database locked"),
        "{err}"
    );
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(
        db.account("a").load().unwrap().unwrap().refresh_token,
        before.refresh_token
    );
}

/// Another program holding `BEGIN EXCLUSIVE` on the database (as `sqlite3` or a backup tool
/// can): this binary as a child, until killed.
fn exclusive_elsewhere(path: &std::path::Path) -> std::process::Child {
    child("exclusive", path)
}
