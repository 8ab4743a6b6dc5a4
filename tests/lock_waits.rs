//! No wait without end: a process stopped while it holds the token file's lock is reported, a
//! login holds no lock, and getters never wait for the network or the lock.
//!
//! On Unix the lock holder is stopped with SIGSTOP. Windows has no such signal: there the holder,
//! which sleeps while it holds the lock, stands in for a process that stopped responding; the
//! bounded wait and `LockTimedOut` are the same promise.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{CHAT, Setup, describe};
use twitch_auth::{Error, Outcome};

/// Not a test of its own: the process the tests below start to hold a lock, as another program
/// would, until it is stopped and killed.
#[test]
fn lock_holder() {
    let Some(path) = std::env::var_os("TWITCH_AUTH_TEST_HOLD_LOCK") else {
        return;
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    file.lock().unwrap();
    println!("\nholding the lock");
    std::thread::sleep(Duration::from_secs(120));
}

/// Another process holding `lock_path`, stopped (SIGSTOP, on Unix) once it holds it; killed on
/// drop.
struct StoppedHolder(Child);

impl StoppedHolder {
    fn start(lock_path: &Path) -> StoppedHolder {
        let child = support::this_test_as_another_process(
            "lock_holder",
            &[("TWITCH_AUTH_TEST_HOLD_LOCK", lock_path.as_os_str())],
            "holding the lock",
        );
        #[cfg(unix)]
        signal("STOP", child.id());
        StoppedHolder(child)
    }
}

impl Drop for StoppedHolder {
    fn drop(&mut self) {
        let _ = self.0.kill(); // SIGKILL ends a stopped process too; TerminateProcess on Windows
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
fn signal(name: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

fn lock_path(t: &Setup) -> PathBuf {
    let mut path = t.path.as_os_str().to_owned();
    path.push(".lock");
    PathBuf::from(path)
}

#[test]
fn a_stopped_lock_holder_is_reported_not_waited_for() {
    let t = Setup::new();
    t.store(&CHAT);
    let holder = StoppedHolder::start(&lock_path(&t));

    let err = t
        .generating_helper(&CHAT)
        .lock_timeout(Duration::from_millis(300))
        .bind()
        .unwrap_err();

    match &err {
        Error::LockTimedOut { path, .. } => assert_eq!(path, &lock_path(&t)),
        other => panic!("expected LockTimedOut, got {other:?}"),
    }
    assert!(err.is_transient());
    assert!(
        err.to_string()
            .contains(&lock_path(&t).display().to_string()),
        "{err}"
    );
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    drop(holder);
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);
}

#[test]
fn a_handle_waits_a_bounded_time_and_its_getters_do_not_wait() {
    let t = Setup::new();
    t.store(&CHAT);
    let token = t
        .generating_helper(&CHAT)
        .lock_timeout(Duration::from_secs(4))
        .bind()
        .unwrap();
    let holder = StoppedHolder::start(&lock_path(&t));
    token.report_unauthorized(&token.access_token().unwrap());

    // One thread needs a refresh and waits for the lock...
    let refreshing = {
        let token = token.clone();
        std::thread::spawn(move || token.access_token())
    };
    std::thread::sleep(Duration::from_millis(300)); // for it to reach the lock
    // ...while the others read what the handle knows without waiting for it.
    let (done, got) = mpsc::channel();
    let getters = {
        let token = token.clone();
        std::thread::spawn(move || {
            let _ = (token.refresh_token(), token.scopes(), token.expires_at());
            let _ = (token.is_saved(), format!("{token:?}"), token.login());
            done.send(()).unwrap();
        })
    };
    got.recv_timeout(Duration::from_secs(3))
        .expect("the getters waited for the refresh");
    assert!(
        !refreshing.is_finished(),
        "the refresh was not waiting for the lock"
    );
    getters.join().unwrap();

    let err = refreshing.join().unwrap().unwrap_err();
    assert!(matches!(err, Error::LockTimedOut { .. }), "{err:?}");
    drop(holder);
    token
        .access_token()
        .expect("refreshed once the lock is free");
}

#[test]
fn a_login_in_progress_holds_no_lock() {
    let t = Setup::new();
    t.store(&CHAT);
    // Another program needs a scope the stored token lacks: it waits for a person to log in.
    let mut login = t
        .token_command()
        .args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()])
        .args(["--scopes", "chat:read chat:edit bits:read", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(login.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().contains("http://") {
            break; // the login page is shown: the person's turn
        }
    }

    // Meanwhile this program's routine bind is not held up behind the person.
    let (done, got) = mpsc::channel();
    let helper = t.generating_helper(&CHAT);
    std::thread::spawn(move || done.send(helper.bind()).unwrap());
    let bound = got.recv_timeout(Duration::from_secs(15));

    let still_logging_in = login.try_wait().unwrap().is_none();
    let _ = login.kill();
    let output = login.wait_with_output().unwrap();
    let token = bound
        .expect("bind() waited for another program's login")
        .unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);
    assert!(still_logging_in, "{}", describe(&output));
}

#[test]
fn a_revoke_that_cannot_have_the_lock_leaves_the_token_alive() {
    let t = Setup::new();
    t.store(&CHAT);
    let token = t
        .generating_helper(&CHAT)
        .lock_timeout(Duration::from_millis(300))
        .bind()
        .unwrap();
    t.fake.clear_requests();
    let holder = StoppedHolder::start(&lock_path(&t));

    let err = token.revoke().unwrap_err();

    // "Nothing was changed" is true: the token was not revoked at Twitch either.
    assert!(matches!(err, Error::LockTimedOut { .. }), "{err:?}");
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    drop(holder);
    assert_eq!(
        t.generating_helper(&CHAT).bind().unwrap().outcome(),
        Outcome::Reused
    );
}
