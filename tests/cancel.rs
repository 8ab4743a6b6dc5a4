//! A login cancelled from another thread (a game's Cancel button): the browser and device logins
//! end within about 100 ms with `Error::LoginCancelled`, nothing is saved, and the next `bind()`
//! logs in as ever.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use support::{CHAT, Setup};
use twitch_auth::{CancelLogin, Error, Outcome};

/// Cancels through `cancel` after `after`, from another thread; the moment it did.
fn cancel_after(cancel: CancelLogin, after: Duration) -> std::thread::JoinHandle<Instant> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        cancel.cancel();
        Instant::now()
    })
}

#[test]
fn a_browser_login_ends_soon_after_a_cancel_and_frees_its_port() {
    let t = Setup::new();
    // Nobody follows the login URL: the login would wait for its 20 s timeout.
    let helper = t.bare_helper(&CHAT).on_url(|_| {});
    let canceller = cancel_after(helper.cancel_handle(), Duration::from_millis(300));

    let err = helper.bind().unwrap_err();
    let ended = Instant::now();

    let cancelled = canceller.join().unwrap();
    assert!(matches!(err, Error::LoginCancelled), "{err:?}");
    assert!(
        ended.duration_since(cancelled) < Duration::from_millis(200),
        "{:?} after the cancel",
        ended.duration_since(cancelled)
    );
    assert!(err.to_string().starts_with("log in again"), "{err}");
    assert!(!err.needs_login() && !err.is_transient());
    assert!(t.file_bytes().is_none(), "nothing was saved");
    TcpListener::bind(("127.0.0.1", t.port)).expect("the redirect port is free again");
}

#[test]
fn a_device_login_ends_soon_after_a_cancel() {
    let t = Setup::new();
    t.fake.set_device_interval(5);
    t.fake.set_device_pending_polls(1_000);
    let helper = t.bare_helper(&CHAT).device_flow().on_device_code(|_| {});
    let canceller = cancel_after(helper.cancel_handle(), Duration::from_millis(300));

    let err = helper.bind().unwrap_err();
    let ended = Instant::now();

    let cancelled = canceller.join().unwrap();
    assert!(matches!(err, Error::LoginCancelled), "{err:?}");
    assert!(
        ended.duration_since(cancelled) < Duration::from_millis(200),
        "{:?} after the cancel",
        ended.duration_since(cancelled)
    );
    assert!(t.file_bytes().is_none(), "nothing was saved");
    assert!(
        !t.requests().iter().any(|r| r == "POST token"),
        "no poll: the cancel came during the first 5 s interval: {:?}",
        t.requests()
    );
}

#[test]
fn a_cancel_is_for_the_login_in_progress_not_the_next_one() {
    let t = Setup::new();
    let helper = t.generating_helper(&CHAT);
    let cancel = helper.cancel_handle();

    // Pressed while no bind runs: it cancels nothing later.
    cancel.cancel();
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Generated);

    // Cancelled, then "Log in" again: the new bind logs in.
    let t = Setup::new();
    let waiting = t.bare_helper(&CHAT).on_url(|_| {});
    let canceller = cancel_after(waiting.cancel_handle(), Duration::from_millis(200));
    assert!(matches!(waiting.bind(), Err(Error::LoginCancelled)));
    canceller.join().unwrap();
    let token = t.helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
}

#[test]
fn a_generator_can_ask_whether_it_was_cancelled() {
    let t = Setup::new();
    let helper = t.bare_helper(&CHAT).generator(|context, _| {
        // The app's own login, waiting for its player.
        while !context.is_cancelled() {
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(Error::LoginCancelled.into())
    });
    let canceller = cancel_after(helper.cancel_handle(), Duration::from_millis(100));

    let err = helper.bind().unwrap_err();

    canceller.join().unwrap();
    assert!(matches!(err, Error::LoginCancelled), "{err:?}");
    assert!(t.file_bytes().is_none());
}
