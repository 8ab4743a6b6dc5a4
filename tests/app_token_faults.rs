//! The fault matrix of app tokens: a failed request is an error, never a panic or a hang.
//!
//! For each request an [`AppToken`] makes (the first token at `build()`, a renewal after a
//! reported 401, `validate()`, `revoke()`) and each fault the fake can produce, the call returns
//! within a bounded time (the HTTP timeout is 1 s here) with a transient error that names the
//! step and says what became of the token; no secret is in the error; and a handle that was
//! built keeps its token and works again once the fault is gone.
//!
//! | fault (on the step's endpoint)            | first token | renewal | validate | revoke |
//! |-------------------------------------------|-------------|---------|----------|--------|
//! | HTML 502, JSON 500                        | error       | error   | error    | error  |
//! | 429 with `Retry-After: 30`                | error, "in 30 s" | same | same   | same   |
//! | connection refused                        | error       | error   | error    | error  |
//! | connection closed before answering        | error       | error   | error    | error  |
//! | connection dropped mid-response           | error       | error   | error    | error  |
//! | no answer (hangs past the HTTP timeout)   | error       | error   | error    | error  |
//! | 200 with invalid JSON, or a 200 KB body   | error       | error   | error    | n/a (1)|
//! | 200 with JSON of the wrong shape          | error       | error   | error    | n/a (1)|
//! | 200 token answer, empty `access_token`    | error       | error   | n/a (2)  | n/a (2)|
//!
//! (1) A revoke's 200 has no body to read: any 200 means revoked.
//! (2) Only the token endpoint answers a token.

mod support;

use std::time::{Duration, Instant};

use support::app_token_builder;
use support::faults::{
    html_502, invalid_json, json_500, large_body, no_answer, rate_limited, wrong_shape,
};
use twitch_auth::mock::{Endpoint, FakeTwitch, Fault};
use twitch_auth::{AppToken, AppTokenBuilder, Error, Step};

/// Which request of an app token the fault hits.
#[derive(Clone, Copy, Debug)]
enum At {
    /// `build()`: the first token.
    First,
    /// `access_token()` after a reported 401: a new token.
    Renewal,
    /// `validate()`.
    Validate,
    /// `revoke()`.
    Revoke,
}

impl At {
    fn step(self) -> Step {
        match self {
            At::First | At::Renewal => Step::RequestAppToken,
            At::Validate => Step::ValidateApp,
            At::Revoke => Step::RevokeApp,
        }
    }

    fn endpoint(self) -> Endpoint {
        match self {
            At::First | At::Renewal => Endpoint::Token,
            At::Validate => Endpoint::Validate,
            At::Revoke => Endpoint::Revoke,
        }
    }

    /// What the message says became of the token.
    fn fate(self) -> &'static str {
        match self {
            At::First | At::Renewal => "no new app token was obtained",
            At::Validate => "the app token is kept",
            At::Revoke => "the app token was not revoked",
        }
    }

    /// The request that the fault hits, on a token built before the fault (but for `First`).
    fn run(self, builder: &AppTokenBuilder, token: Option<&AppToken>) -> Result<(), Error> {
        match (self, token) {
            (At::First, _) | (_, None) => builder.build().map(drop),
            (At::Renewal, Some(token)) => {
                let access = token.access_token()?;
                token.report_unauthorized(&access);
                token.authorization().map(drop)
            }
            (At::Validate, Some(token)) => token.validate(),
            (At::Revoke, Some(token)) => token.revoke(),
        }
    }
}

/// Checks what every case shares: bounded, transient, the step and the token's fate named,
/// a 429's wait kept, no secret shown.
fn check_error(at: At, err: &Error, started: Instant, secrets: &[&str]) {
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
    assert!(message.contains(&at.step().to_string()), "{message}");
    assert!(message.contains(at.fate()), "{message}");
    assert!(
        !message.contains("token file"),
        "there is no file: {message}"
    );
    let shown = format!("{err} {err:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "a secret in the error: {shown}");
    }
    if let Error::Status {
        status: 429,
        retry_after,
        ..
    } = err
    {
        assert_eq!(*retry_after, Some(Duration::from_secs(30)), "{err:?}");
        assert!(message.contains("in 30 s"), "{message}");
    }
}

/// Runs one case: `fault` hits the request `at`; then, without it, the handle works again.
fn check(at: At, fault: impl FnOnce(&FakeTwitch) -> Fault) {
    let fake = FakeTwitch::start().unwrap();
    let token = match at {
        At::First => None,
        _ => Some(app_token_builder(&fake).build().unwrap()),
    };
    let before = token.as_ref().map(|t| t.access_token().unwrap());
    let mut secrets = vec![fake.client_secret().to_owned()];
    secrets.extend(before.iter().map(|a| a.secret().to_owned()));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    fake.fail(at.endpoint(), fault(&fake));
    let started = Instant::now();

    let err = at
        .run(&app_token_builder(&fake), token.as_ref())
        .unwrap_err();

    check_error(at, &err, started, &secrets);
    fake.clear_faults();
    if let (Some(token), Some(before)) = (&token, before) {
        let after = token
            .access_token()
            .expect("works again once the fault is gone");
        match at {
            // Still due: the next call renewed it.
            At::Renewal => assert_ne!(after, before),
            _ => assert_eq!(after, before, "the token was kept"),
        }
    }
}

fn empty_access_token() -> Fault {
    Fault::json(
        200,
        r#"{"access_token":"","expires_in":5011271,"token_type":"bearer"}"#,
    )
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

fault_matrix! {
    first_html_502: At::First, html_502();
    first_json_500: At::First, json_500();
    first_429_retry_after: At::First, rate_limited();
    first_closed: At::First, Fault::Close;
    first_dropped_mid_response: At::First, Fault::CloseMidResponse;
    first_no_answer: At::First, no_answer();
    first_invalid_json: At::First, invalid_json();
    first_wrong_shape: At::First, wrong_shape();
    first_large_body: At::First, large_body("access_token");
    first_empty_access_token: At::First, empty_access_token();

    renewal_html_502: At::Renewal, html_502();
    renewal_json_500: At::Renewal, json_500();
    renewal_429_retry_after: At::Renewal, rate_limited();
    renewal_closed: At::Renewal, Fault::Close;
    renewal_dropped_mid_response: At::Renewal, Fault::CloseMidResponse;
    renewal_no_answer: At::Renewal, no_answer();
    renewal_invalid_json: At::Renewal, invalid_json();
    renewal_wrong_shape: At::Renewal, wrong_shape();
    renewal_large_body: At::Renewal, large_body("access_token");
    renewal_empty_access_token: At::Renewal, empty_access_token();

    validate_html_502: At::Validate, html_502();
    validate_json_500: At::Validate, json_500();
    validate_429_retry_after: At::Validate, rate_limited();
    validate_closed: At::Validate, Fault::Close;
    validate_dropped_mid_response: At::Validate, Fault::CloseMidResponse;
    validate_no_answer: At::Validate, no_answer();
    validate_invalid_json: At::Validate, invalid_json();
    validate_wrong_shape: At::Validate, wrong_shape();
    validate_large_body: At::Validate, large_body("access_token");

    revoke_html_502: At::Revoke, html_502();
    revoke_json_500: At::Revoke, json_500();
    revoke_429_retry_after: At::Revoke, rate_limited();
    revoke_closed: At::Revoke, Fault::Close;
    revoke_dropped_mid_response: At::Revoke, Fault::CloseMidResponse;
    revoke_no_answer: At::Revoke, no_answer();
}

/// Nothing listens any more: the fake is dropped after the token was built (for the first
/// token, before), so each request meets a refused connection.
#[test]
fn connection_refused_at_each_step() {
    for at in [At::First, At::Renewal, At::Validate, At::Revoke] {
        let fake = FakeTwitch::start().unwrap();
        let token = match at {
            At::First => None,
            _ => Some(app_token_builder(&fake).build().unwrap()),
        };
        let access = token.as_ref().map(|t| t.access_token().unwrap());
        let secret = fake.client_secret().to_owned();
        let builder = app_token_builder(&fake);
        drop(fake);
        let started = Instant::now();

        let err = at.run(&builder, token.as_ref()).unwrap_err();

        let mut secrets = vec![secret.as_str()];
        secrets.extend(access.as_ref().map(|a| a.secret()));
        check_error(at, &err, started, &secrets);
        assert!(matches!(err, Error::Unreachable { .. }), "{at:?}: {err:?}");
    }
}
