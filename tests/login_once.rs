//! One login at a time per store: two programs (or threads) that both need a login for one token
//! file ask the person once. The second waits, bounded by its own login timeout, for the first
//! to finish, then uses the pair it stored; the refreshes' lock is never held meanwhile.

mod support;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use support::{CHAT, Setup, describe, example};
use twitch_auth::mock::Endpoint;
use twitch_auth::{Error, FileStore, Helper, Outcome, TokenStore};

/// A helper whose login (a generator) takes `takes` and counts its calls.
fn slow_login(t: &Setup, calls: &Arc<AtomicUsize>, takes: Duration) -> Helper {
    let (grant, calls) = (t.fake.grant(&CHAT), Arc::clone(calls));
    t.bare_helper(&CHAT).generator(move |_, _| {
        calls.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(takes);
        Ok(grant.clone())
    })
}

#[test]
fn two_binds_needing_a_login_for_one_file_log_in_once() {
    let t = Setup::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(2));
    let binds: Vec<_> = (0..2)
        .map(|_| {
            // Two helpers of their own, as two programs have.
            let helper = slow_login(&t, &calls, Duration::from_millis(600));
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                helper.bind()
            })
        })
        .collect();

    let tokens: Vec<_> = binds
        .into_iter()
        .map(|b| b.join().unwrap().unwrap())
        .collect();

    assert_eq!(calls.load(Ordering::SeqCst), 1, "one login for both");
    let mut outcomes: Vec<_> = tokens.iter().map(|t| t.outcome()).collect();
    outcomes.sort_by_key(|o| o.as_str());
    assert_eq!(outcomes, [Outcome::Generated, Outcome::Reused]);
    assert_eq!(
        tokens[0].access_token().unwrap(),
        tokens[1].access_token().unwrap()
    );
}

#[test]
fn the_refresh_lock_is_free_while_a_login_waits_for_another() {
    let t = Setup::new();
    let held = FileStore::new(&t.path);
    let login = held
        .try_lock_login()
        .unwrap()
        .expect("the login lock is free");
    let calls = Arc::new(AtomicUsize::new(0));
    let helper = slow_login(&t, &calls, Duration::ZERO).login_timeout(Duration::from_secs(5));
    let waiting = std::thread::spawn(move || helper.bind());
    std::thread::sleep(Duration::from_millis(300));

    // Meanwhile another program refreshes or saves: the store's lock is free.
    let other = FileStore::new(&t.path);
    assert!(
        other.try_lock().unwrap().is_some(),
        "the refresh lock is held"
    );
    drop(login);

    let token = waiting.join().unwrap().unwrap();
    assert_eq!(
        token.outcome(),
        Outcome::Generated,
        "nothing was stored meanwhile"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn the_wait_for_another_login_is_bounded_by_the_login_timeout_and_cancellable() {
    let t = Setup::new();
    let held = FileStore::new(&t.path);
    let _login = held
        .try_lock_login()
        .unwrap()
        .expect("the login lock is free");
    let calls = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();

    let err = slow_login(&t, &calls, Duration::ZERO)
        .login_timeout(Duration::from_millis(500))
        .bind()
        .unwrap_err();

    assert!(matches!(err, Error::LoginElsewhere { .. }), "{err:?}");
    assert!(err.is_transient() && !err.needs_login());
    assert!(
        err.to_string()
            .starts_with("finish the login in the other program")
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nobody was asked");

    let helper = slow_login(&t, &calls, Duration::ZERO);
    let cancel = helper.cancel_handle();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        cancel.cancel();
    });
    assert!(matches!(helper.bind(), Err(Error::LoginCancelled)));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// Two `token` processes on one file, both needing a device login: one device login, and the
/// second process prints the pair the first stored.
#[test]
fn two_processes_needing_a_login_for_one_file_ask_the_person_once() {
    let t = Setup::new();
    t.fake.set_device_interval(1);
    t.fake.set_device_pending_polls(2); // the first login takes about 3 s
    let token = |t: &Setup| {
        let mut cmd = Command::new(example("token"));
        cmd.env_remove("TWITCH_CLIENT_ID")
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
            .args(["--timeout", "30"])
            .arg("--path")
            .arg(&t.path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let first = token(&t);
    let started = Instant::now();
    while !t
        .fake
        .requests()
        .iter()
        .any(|r| r.endpoint() == Some(Endpoint::Device))
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the first never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = token(&t);

    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );

    assert!(first.status.success(), "{}", describe(&first));
    assert!(second.status.success(), "{}", describe(&second));
    let json = |o: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", describe(o)))
    };
    let (a, b) = (json(&first), json(&second));
    assert_eq!(a["outcome"], "generated", "{}", describe(&first));
    assert_eq!(b["outcome"], "reused", "{}", describe(&second));
    assert_eq!(a["access_token"], b["access_token"]);
    let device_logins = t
        .fake
        .requests()
        .iter()
        .filter(|r| r.endpoint() == Some(Endpoint::Device))
        .count();
    assert_eq!(device_logins, 1, "one code for the person to enter");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another program is logging in to this token store"),
        "{}",
        describe(&second)
    );
}
