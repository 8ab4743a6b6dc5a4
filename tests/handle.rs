//! The token as a long-lived handle: refreshed when due, one refresh at a time, hourly
//! validation, recovery after a failed refresh, revoke.

mod support;

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use support::{CHAT, Setup};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Error, Outcome, UserToken};

fn refreshes(t: &Setup) -> usize {
    t.fake
        .requests()
        .iter()
        .filter(|r| r.form("grant_type") == Some("refresh_token"))
        .count()
}

#[test]
fn the_handle_is_cheap_to_clone_and_shared_across_threads() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<UserToken>();
}

#[test]
fn access_token_refreshes_when_about_to_expire() {
    let t = Setup::new();
    t.fake.set_expires_in(Some(30)); // inside the 60 s margin
    let token = t.generating_helper(&CHAT).bind().unwrap();
    let first = token.access_token().unwrap(); // refreshed: it expires within the margin
    assert_eq!(refreshes(&t), 1);
    t.fake.set_expires_in(Some(14_124));
    let second = token.access_token().unwrap(); // refreshed again (30 s left), now good for hours
    let third = token.access_token().unwrap();
    assert_eq!(refreshes(&t), 2);
    assert_ne!(first, second);
    assert_eq!(second, third);
    assert_eq!(
        t.file_json()["token"],
        second.secret(),
        "each new pair is saved"
    );
}

#[test]
fn eight_threads_cause_exactly_one_refresh() {
    let t = Setup::new();
    t.fake.set_expires_in(Some(30));
    let token = t.generating_helper(&CHAT).bind().unwrap();
    t.fake.set_expires_in(Some(14_124));
    t.fake.clear_requests();
    let barrier = Arc::new(Barrier::new(8));

    let tokens: Vec<_> = (0..8)
        .map(|_| {
            let (token, barrier) = (token.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                token.access_token().unwrap()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .collect();

    assert_eq!(t.requests(), ["POST token"], "exactly one refresh request");
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "every thread got the new token"
    );
    assert_eq!(t.file_json()["token"], tokens[0].secret());
}

#[test]
fn a_reported_401_refreshes_once() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    let rejected = token.access_token().unwrap();
    assert_eq!(refreshes(&t), 0, "a fresh token is not refreshed");

    for _ in 0..3 {
        token.report_unauthorized(&rejected);
    }
    let new = token.access_token().unwrap();
    token.report_unauthorized(&rejected); // late report for the old token: ignored
    assert_eq!(token.access_token().unwrap(), new);

    assert_ne!(new, rejected);
    assert_eq!(refreshes(&t), 1);
}

#[test]
fn a_failed_refresh_does_not_poison_the_handle() {
    let t = Setup::new();
    t.fake.set_expires_in(Some(30));
    let token = t
        .generating_helper(&CHAT)
        .retry_backoff(Duration::ZERO, Duration::ZERO)
        .bind()
        .unwrap();
    let current = t.file_json()["token"].clone();
    t.fake.set_expires_in(Some(14_124));
    t.fake.fail_times(
        Endpoint::Token,
        Fault::status(502, "<html>Bad Gateway</html>"),
        1,
    );
    let before = t.file_bytes();

    // Due (30 s left, a 60 s margin), and the refresh fails: the token still works.
    assert_eq!(token.access_token().unwrap().secret(), current);
    assert_eq!(t.file_bytes(), before);

    let access = token.access_token().expect("the next call tries again");
    assert_ne!(access.secret(), current);
    assert_eq!(t.file_json()["token"], access.secret());
    assert_eq!(refreshes(&t), 2);
}

#[test]
fn validation_happens_when_due() {
    let t = Setup::new();
    let token = t
        .generating_helper(&CHAT)
        .validate_interval(Duration::from_millis(200))
        .bind()
        .unwrap();
    t.fake.clear_requests();

    assert!(
        !token.validate_if_due().unwrap(),
        "just validated by bind()"
    );
    assert!(t.requests().is_empty());
    std::thread::sleep(Duration::from_millis(250));
    assert!(token.validate_if_due().unwrap());
    assert_eq!(t.requests(), ["GET validate"]);
    assert!(!token.validate_if_due().unwrap());
    token.validate().unwrap();
    assert_eq!(
        t.requests(),
        ["GET validate", "GET validate"],
        "validate() validates at once"
    );
}

#[test]
fn an_expired_token_found_by_validation_is_refreshed() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    let old = token.access_token().unwrap();
    t.fake.expire_access_token(old.secret());

    token.validate().unwrap();

    assert_ne!(token.access_token().unwrap(), old);
    assert_eq!(refreshes(&t), 1);
}

#[test]
fn a_revoked_grant_means_log_in_again() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    t.fake
        .expire_access_token(token.access_token().unwrap().secret());
    t.fake.revoke_refresh_token(token.refresh_token().secret());

    let err = token.validate().unwrap_err();

    assert!(err.needs_login(), "{err:?}");
    assert!(matches!(err, Error::LoginRequired));
    assert!(err.to_string().contains("log in again"), "{err}");
    // Still no hang, still the same answer: a token Twitch called invalid is not handed out.
    assert!(token.access_token().unwrap_err().needs_login());
}

#[test]
fn on_refresh_sees_every_refreshed_pair_after_it_was_saved() {
    let t = Setup::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in = seen.clone();
    let path = t.path.clone();
    let token = t
        .generating_helper(&CHAT)
        .on_refresh(move |pair| {
            let file = std::fs::read_to_string(&path).unwrap();
            assert!(
                file.contains(pair.access_token.secret()),
                "saved before the callback"
            );
            seen_in.lock().unwrap().push(pair.access_token.clone());
        })
        .bind()
        .unwrap();
    let old = token.access_token().unwrap();
    token.report_unauthorized(&old);
    let new = token.access_token().unwrap();
    assert_eq!(*seen.lock().unwrap(), [new]);
}

#[test]
fn revoke_logs_out_at_twitch_and_deletes_the_file() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    let access = token.access_token().unwrap();
    t.fake.clear_requests();

    token.revoke().unwrap();

    assert_eq!(t.requests(), ["POST revoke"]);
    let revoke = &t.fake.requests()[0];
    assert_eq!(revoke.form("client_id"), Some(t.fake.client_id()));
    assert_eq!(revoke.form("token"), Some(access.secret()));
    assert!(!revoke.target().contains(access.secret()));
    assert!(t.file_bytes().is_none(), "the token file is deleted");
    token.revoke().expect("400 Invalid token also means gone");
}

#[test]
fn a_refresh_by_another_handle_is_adopted_not_repeated() {
    // Two handles on one file, as two processes would have: the second finds the pair the
    // first refreshed, and does not spend the old refresh token again.
    let t = Setup::new();
    t.fake.set_expires_in(Some(30));
    let first = t.generating_helper(&CHAT).bind().unwrap();
    let second = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(second.outcome(), Outcome::Reused);
    t.fake.set_expires_in(Some(14_124));

    let a = first.access_token().unwrap();
    let b = second.access_token().unwrap();

    assert_eq!(a, b);
    assert_eq!(refreshes(&t), 1);
}

#[test]
fn debug_shows_no_secret_even_during_a_refresh() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    let shown = format!("{token:?}");
    assert!(
        !shown.contains(token.access_token().unwrap().secret()),
        "{shown}"
    );
    assert!(!shown.contains(token.refresh_token().secret()), "{shown}");
    assert!(shown.contains(t.fake.login()), "{shown}");
}
