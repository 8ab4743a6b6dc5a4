//! A login leaves no thread running. The crate's own thread (the one opening the browser) is
//! joined before bind() returns, and the port is closed by then (see listener.rs); tiny_http's
//! worker pool lets its idle threads end on their own, within its 5 s idle timeout. So the
//! process is back to the threads it had before within that time (Linux, where /proc lists
//! them). Alone in its file, so no other test's threads are counted.

#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use support::{CHAT, Setup};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Waits for the thread count to fall back to `baseline`, at most a little longer than
/// tiny_http's idle timeout; returns the last count.
fn settles_to(baseline: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let now = threads();
        if now <= baseline || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn logins_leave_no_threads_behind() {
    let t = Setup::new();
    let baseline = threads();

    // A login that succeeds (its simulated browser is joined by page()).
    t.helper(&CHAT).bind().unwrap();
    t.page();
    assert_eq!(settles_to(baseline), baseline, "threads left after a login");

    // A login nobody completes.
    std::fs::remove_file(&t.path).unwrap();
    let err = t
        .bare_helper(&CHAT)
        .on_url(|_| {})
        .login_timeout(Duration::from_millis(200))
        .bind();
    assert!(err.is_err());
    assert_eq!(
        settles_to(baseline),
        baseline,
        "threads left after a timed-out login"
    );
}
