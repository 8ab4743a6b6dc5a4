//! A login leaves no thread running: the listener's connection threads and the one opening the
//! browser are scoped threads, joined before bind() returns. The process is back to the threads
//! it had before (Linux, where /proc lists them), but for the fake's own short-lived connection
//! threads, which end as soon as they have answered. Alone in its file, so no other test's
//! threads are counted.

#![cfg(target_os = "linux")] // threads are counted in /proc/self/task

mod support;

use std::time::{Duration, Instant};

use support::{CHAT, Setup};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Waits (briefly: the fake's connection threads end after answering) for the thread count to
/// fall back to `baseline`; returns the last count.
fn settles_to(baseline: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(1);
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
