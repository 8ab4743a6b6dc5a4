//! The fault matrix: a failed request is an error, never a reason to log in again.
//!
//! For each request of a bind (validate a stored token, refresh an expired one, exchange the
//! login code, poll for a device login) and each fault the fake can produce, `bind()` returns
//! within a bounded time (the HTTP timeout is 1 s here) with a transient error that names the
//! step and the cause; the token file is byte-identical; no login (or generator) is started; and
//! nothing panics. The table below is the list of cases, one test each:
//!
//! | fault (on the step's endpoint)            | validate | refresh | code exchange | device poll |
//! |-------------------------------------------|----------|---------|---------------|-------------|
//! | HTML 502                                  | error    | error   | error         | error       |
//! | JSON 500                                  | error    | error   | error         | error       |
//! | 429 with `Retry-After: 30`                | error, says "in 30 s" | error | error | error |
//! | connection refused                        | error    | error   | n/a (1)       | n/a (1)     |
//! | connection closed before answering        | error    | error   | error         | error       |
//! | connection dropped mid-response           | error    | error   | error         | error       |
//! | no answer (hangs past the HTTP timeout)   | error    | error   | error         | error       |
//! | 200 with invalid JSON                     | error    | error   | error         | error       |
//! | 200 with JSON of the wrong shape          | error    | error   | error         | error       |
//! | 200 with a 200 KB body                    | error    | error   | error         | error       |
//! | 200 token answer, empty `access_token`    | n/a (2)  | error   | error         | error       |
//! | 200 token answer, no `access_token`       | n/a (2)  | error   | error         | error       |
//! | 200 token answer, empty `refresh_token`   | n/a (2)  | error   | error         | error       |
//! | 200 token answer, no `refresh_token`      | n/a (2)  | kept (3)| error         | error       |
//!
//! (1) The exchange and the poll go to the server that just answered the login's first request;
//! a refused connection there is covered for validate and refresh.
//! (2) `validate` answers no token pair. In the token answers every other field is right, and the
//! pair is live at the fake: saved, an empty token would make the file unusable. (A refresh answer
//! may leave `refresh_token` out: the old one is kept, see `tests/refresh.rs`.)
//! (3) A login always gives a refresh token: without one the pair could not be kept.
//!
//! Every "error" is `Error::is_transient()`, with `Error::step()` the column's step.

mod support;

use std::time::{Duration, Instant};

use support::faults::{
    html_502, invalid_json, json_500, large_body, no_answer, rate_limited, wrong_shape,
};
use support::{CHAT, Setup};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Error, Helper, Step};

/// Which request of a bind the fault hits.
#[derive(Clone, Copy, Debug)]
enum At {
    /// A valid stored token: the fault hits `GET validate`.
    Validate,
    /// A stored token known to be expired: the fault hits the refresh.
    Refresh,
    /// A broken token file and a browser login: the fault hits the code exchange.
    Exchange,
    /// A broken token file and a device login: the fault hits the polls.
    DevicePoll,
}

impl At {
    fn step(self) -> Step {
        match self {
            At::Validate => Step::Validate,
            At::Refresh => Step::Refresh,
            At::Exchange => Step::ExchangeCode,
            At::DevicePoll => Step::PollDevice,
        }
    }

    fn endpoint(self) -> Endpoint {
        match self {
            At::Validate => Endpoint::Validate,
            _ => Endpoint::Token,
        }
    }
}

/// Runs one case: `fault`, made once the fake is up, hits the step `at`.
fn check(at: At, fault: impl FnOnce(&Setup) -> Fault) {
    let t = Setup::new();
    let mut fault = Some(fault(&t));
    let mut secrets = vec![t.fake.client_secret().to_owned()];
    let helper: Helper = match at {
        At::Validate | At::Refresh => {
            let grant = if matches!(at, At::Validate) {
                t.store(&CHAT)
            } else {
                t.store_expired(&CHAT)
            };
            secrets.extend([grant.access_token, grant.refresh_token]);
            t.generating_helper(&CHAT)
        }
        At::Exchange => {
            t.write_file(b"{broken");
            // Set when the person is sent to log in: after the credential check.
            t.helper_failing_exchange(&CHAT, fault.take().unwrap())
        }
        At::DevicePoll => {
            t.write_file(b"{broken");
            t.fake.set_device_interval(0);
            t.bare_helper(&CHAT).device_flow().on_device_code(|_| {})
        }
    };
    if let Some(fault) = fault {
        t.fake.fail(at.endpoint(), fault);
    }
    let before = t.file_bytes();
    let started = Instant::now();

    let err = helper.bind().unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.is_transient(),
        "expected a transient error, got {err:?}"
    );
    assert_eq!(err.step(), Some(at.step()), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&at.step().to_string()),
        "the message names the step: {message}"
    );
    assert!(message.contains("not changed"), "{message}");
    assert_eq!(t.file_bytes(), before, "token file changed");
    assert_eq!(
        t.generator_calls(),
        0,
        "generator ran after a transport fault"
    );
    let shown = format!("{err} {err:?}");
    for secret in &secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "a secret in the error: {shown}"
        );
    }
    if let Error::Status {
        status: 429,
        retry_after,
        ..
    } = &err
    {
        assert_eq!(*retry_after, Some(Duration::from_secs(30)), "{err:?}");
        assert!(message.contains("in 30 s"), "{message}");
    }
}

/// A 200 token answer as Twitch sends it, with a pair that is live at the fake, changed by
/// `edit`: only the edited field is wrong.
fn token_answer(t: &Setup, edit: fn(&mut serde_json::Map<String, serde_json::Value>)) -> Fault {
    let grant = t.fake.grant(&CHAT);
    let mut body = serde_json::Map::new();
    body.insert("access_token".into(), grant.access_token.into());
    body.insert("refresh_token".into(), grant.refresh_token.into());
    body.insert("expires_in".into(), 14124.into());
    body.insert("scope".into(), CHAT.to_vec().into());
    body.insert("token_type".into(), "bearer".into());
    edit(&mut body);
    Fault::json(200, &serde_json::Value::Object(body).to_string())
}
fn empty_access_token(t: &Setup) -> Fault {
    token_answer(t, |body| {
        body.insert("access_token".into(), "".into());
    })
}
fn no_access_token(t: &Setup) -> Fault {
    token_answer(t, |body| {
        body.remove("access_token");
    })
}
fn no_refresh_token(t: &Setup) -> Fault {
    token_answer(t, |body| {
        body.remove("refresh_token");
    })
}
fn empty_refresh_token(t: &Setup) -> Fault {
    token_answer(t, |body| {
        body.insert("refresh_token".into(), "".into());
    })
}

macro_rules! fault_matrix {
    ($($name:ident: $at:expr, $fault:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check($at, |_| $fault);
            }
        )*
    };
}

/// As `fault_matrix!`, for faults made from the running fake (`fn(&Setup) -> Fault`).
macro_rules! answer_matrix {
    ($($name:ident: $at:expr, $make:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check($at, $make);
            }
        )*
    };
}

fault_matrix! {
    validate_html_502: At::Validate, html_502();
    validate_json_500: At::Validate, json_500();
    validate_429_retry_after: At::Validate, rate_limited();
    validate_closed: At::Validate, Fault::Close;
    validate_dropped_mid_response: At::Validate, Fault::CloseMidResponse;
    validate_no_answer: At::Validate, no_answer();
    validate_invalid_json: At::Validate, invalid_json();
    validate_wrong_shape: At::Validate, wrong_shape();
    validate_large_body: At::Validate, large_body("client_id");

    refresh_html_502: At::Refresh, html_502();
    refresh_json_500: At::Refresh, json_500();
    refresh_429_retry_after: At::Refresh, rate_limited();
    refresh_closed: At::Refresh, Fault::Close;
    refresh_dropped_mid_response: At::Refresh, Fault::CloseMidResponse;
    refresh_no_answer: At::Refresh, no_answer();
    refresh_invalid_json: At::Refresh, invalid_json();
    refresh_wrong_shape: At::Refresh, wrong_shape();
    refresh_large_body: At::Refresh, large_body("client_id");

    exchange_html_502: At::Exchange, html_502();
    exchange_json_500: At::Exchange, json_500();
    exchange_429_retry_after: At::Exchange, rate_limited();
    exchange_closed: At::Exchange, Fault::Close;
    exchange_dropped_mid_response: At::Exchange, Fault::CloseMidResponse;
    exchange_no_answer: At::Exchange, no_answer();
    exchange_invalid_json: At::Exchange, invalid_json();
    exchange_wrong_shape: At::Exchange, wrong_shape();
    exchange_large_body: At::Exchange, large_body("client_id");

    device_poll_html_502: At::DevicePoll, html_502();
    device_poll_json_500: At::DevicePoll, json_500();
    device_poll_429_retry_after: At::DevicePoll, rate_limited();
    device_poll_closed: At::DevicePoll, Fault::Close;
    device_poll_dropped_mid_response: At::DevicePoll, Fault::CloseMidResponse;
    device_poll_no_answer: At::DevicePoll, no_answer();
    device_poll_invalid_json: At::DevicePoll, invalid_json();
    device_poll_wrong_shape: At::DevicePoll, wrong_shape();
    device_poll_large_body: At::DevicePoll, large_body("client_id");
}

answer_matrix! {
    refresh_empty_access_token: At::Refresh, empty_access_token;
    refresh_no_access_token: At::Refresh, no_access_token;
    refresh_empty_refresh_token: At::Refresh, empty_refresh_token;

    exchange_empty_access_token: At::Exchange, empty_access_token;
    exchange_no_access_token: At::Exchange, no_access_token;
    exchange_empty_refresh_token: At::Exchange, empty_refresh_token;
    exchange_no_refresh_token: At::Exchange, no_refresh_token;

    device_poll_empty_access_token: At::DevicePoll, empty_access_token;
    device_poll_no_access_token: At::DevicePoll, no_access_token;
    device_poll_empty_refresh_token: At::DevicePoll, empty_refresh_token;
    device_poll_no_refresh_token: At::DevicePoll, no_refresh_token;
}

#[test]
fn connection_refused_on_validate_and_refresh() {
    for at in [At::Validate, At::Refresh] {
        let step = at.step();
        let t = Setup::new();
        match at {
            At::Validate => t.store(&CHAT),
            _ => t.store_expired(&CHAT),
        };
        let before = t.file_bytes();
        // Nothing listens on this port.
        let closed = format!("http://127.0.0.1:{}/oauth2/", support::free_port());
        let helper: Helper = t.generating_helper(&CHAT).auth_base_url(closed);

        let err = helper.bind().unwrap_err();

        assert!(err.is_transient() && err.step() == Some(step), "{err:?}");
        assert!(
            matches!(err, twitch_auth::Error::Unreachable { .. }),
            "{err:?}"
        );
        assert_eq!(t.file_bytes(), before);
        assert_eq!(t.generator_calls(), 0);
    }
}

#[test]
fn a_fault_on_refresh_after_a_401_on_validate_is_still_an_error() {
    let t = Setup::new();
    let grant = t.store(&CHAT);
    t.fake.expire_access_token(&grant.access_token);
    t.fake
        .fail(Endpoint::Token, Fault::status(503, "Service Unavailable"));
    let before = t.file_bytes();

    let err = t.generating_helper(&CHAT).bind().unwrap_err();

    assert_eq!(err.step(), Some(Step::Refresh), "{err:?}");
    assert_eq!(t.requests(), ["GET validate", "POST token"]);
    assert_eq!(t.file_bytes(), before);
    assert_eq!(t.generator_calls(), 0);
}

#[test]
fn a_redirect_is_not_followed() {
    let t = Setup::new();
    t.store(&CHAT);
    let elsewhere = format!("http://127.0.0.1:{}/steal", support::free_port());
    t.fake.fail(
        Endpoint::Validate,
        Fault::Status {
            status: 302,
            content_type: "text/html".into(),
            body: elsewhere,
        },
    );
    let before = t.file_bytes();

    let err = t.generating_helper(&CHAT).bind().unwrap_err();

    assert!(
        matches!(
            err,
            twitch_auth::Error::Status {
                step: Step::Validate,
                status: 302,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(t.requests(), ["GET validate"]);
    assert_eq!(t.file_bytes(), before);
    assert_eq!(t.generator_calls(), 0);
}
