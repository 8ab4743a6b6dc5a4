//! Logins on a service's own web page: `start_login` gives the Twitch URL and the state to keep,
//! the service's callback hands what it received to `finish_redirect`, and the pair lands in the
//! helper's store. No local listener; an https redirect URL on the service's own domain.

mod support;

use support::{CHAT, Setup};
use twitch_auth::mock::{Authorize, Endpoint};
use twitch_auth::{Error, Helper, Outcome, TokenStore};

const CALLBACK: &str = "https://bot.example.com/twitch/callback";

/// A service's helper: its logins happen on its web page, so `bind()` never logs in.
fn web_helper(t: &Setup) -> Helper {
    t.bare_helper(&CHAT).redirect_url(CALLBACK).no_login()
}

/// Follows the login URL as the person's browser would, up to Twitch's redirect back: the
/// target (path and query) the service's callback would receive.
fn callback_target(t: &Setup, login_url: &str) -> String {
    let answer = ureq::get(login_url)
        .config()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(answer.status(), 302, "the fake's login page redirects");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let target = location
        .strip_prefix("https://bot.example.com")
        .unwrap_or_else(|| panic!("{location}"));
    assert!(target.starts_with("/twitch/callback?"), "{target}");
    assert!(
        t.fake
            .requests()
            .iter()
            .any(|r| r.endpoint() == Some(Endpoint::Authorize))
    );
    target.to_owned()
}

#[test]
fn a_web_login_is_finished_from_the_callback_and_saved() {
    let t = Setup::new();
    let helper = web_helper(&t);

    let pending = helper.start_login().unwrap();
    assert!(
        pending
            .url()
            .starts_with(&format!("{}authorize?", t.fake.url()))
    );
    assert!(
        pending
            .url()
            .contains("redirect_uri=https%3A%2F%2Fbot.example.com")
    );
    assert!(
        !format!("{pending:?}").contains(pending.state()),
        "Debug hides the state"
    );
    let target = callback_target(&t, pending.url());
    let token = pending.finish_redirect(&target).unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(token.login(), t.fake.login());
    let exchange = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.form("grant_type") == Some("authorization_code"))
        .expect("a code exchange");
    assert_eq!(exchange.form("redirect_uri"), Some(CALLBACK));
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
    // The next bind reuses it, as any stored pair.
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Reused);
}

/// A stateless web server: `/login` and `/callback` answered by different helper values (or
/// processes); only the state was kept, in the session.
#[test]
fn a_kept_state_resumes_the_login_in_another_helper() {
    let t = Setup::new();
    let pending = web_helper(&t).start_login().unwrap();
    let kept = pending.state().to_owned();
    let target = callback_target(&t, pending.url());
    drop(pending);

    let token = web_helper(&t)
        .resume_login(&kept)
        .unwrap()
        .finish_redirect(&target)
        .unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
}

#[test]
fn a_callback_with_another_state_is_refused_and_spends_nothing() {
    let t = Setup::new();
    let mine = web_helper(&t).start_login().unwrap();
    let theirs = web_helper(&t).start_login().unwrap();
    let target = callback_target(&t, theirs.url());
    t.fake.clear_requests();

    let err = mine.finish_redirect(&target).unwrap_err();
    assert!(
        matches!(&err, Error::LoginFailed { error, .. } if error == "state_mismatch"),
        "{err:?}"
    );
    let code = target
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap();
    let err = mine.finish(code, theirs.state()).unwrap_err();
    assert!(matches!(&err, Error::LoginFailed { .. }), "{err:?}");
    assert!(web_helper(&t).resume_login("not-a-state").is_err());

    assert!(
        t.fake
            .requests()
            .iter()
            .all(|r| r.endpoint() != Some(Endpoint::Token))
    );
    assert!(t.file_bytes().is_none());
}

#[test]
fn finish_takes_the_code_and_state_as_the_callback_received_them() {
    let t = Setup::new();
    let pending = web_helper(&t).start_login().unwrap();
    let target = callback_target(&t, pending.url());
    let code = target
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap();
    // The fake's codes are letters and digits: nothing to decode.
    assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");

    let token = pending.finish(code, pending.state()).unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
}

#[test]
fn a_declined_consent_is_said_from_the_callback() {
    let t = Setup::new();
    t.fake.set_authorize(Authorize::Deny);
    let pending = web_helper(&t).start_login().unwrap();
    let target = callback_target(&t, pending.url());

    let err = pending.finish_redirect(&target).unwrap_err();

    assert!(matches!(err, Error::Denied { .. }), "{err:?}");
    assert!(t.file_bytes().is_none());
}

#[test]
fn a_redirect_url_twitch_would_refuse_is_refused_up_front() {
    let t = Setup::new();
    let err = t
        .bare_helper(&CHAT)
        .redirect_url("http://bot.example.com/callback")
        .start_login()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidSetting {
                setting: "redirect_url",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("https"), "{err}");
    assert!(t.fake.requests().is_empty());
}

/// Two streamers connect, each into their own account of one store: the second's pair does
/// not replace the first's.
#[test]
fn two_streamers_connect_into_their_own_stores() {
    let t = Setup::new();
    let first_store = std::sync::Arc::new(twitch_auth::MemoryStore::new());
    let second_store = std::sync::Arc::new(twitch_auth::MemoryStore::new());

    let first = web_helper(&t).store(first_store.clone());
    let pending = first.start_login().unwrap();
    let a = pending
        .finish_redirect(&callback_target(&t, pending.url()))
        .unwrap();
    t.fake.set_other_user_logs_in(true);
    let second = web_helper(&t).store(second_store.clone());
    let pending = second.start_login().unwrap();
    let b = pending
        .finish_redirect(&callback_target(&t, pending.url()))
        .unwrap();

    assert_eq!(
        (a.login(), b.login()),
        (t.fake.login(), t.fake.other_login())
    );
    let stored = |s: &twitch_auth::MemoryStore| s.load().unwrap().unwrap().login.unwrap();
    assert_eq!(stored(&first_store), t.fake.login());
    assert_eq!(stored(&second_store), t.fake.other_login());
}
