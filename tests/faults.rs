//! A failed request is an error, never a reason to log in again: for every fault on validate and
//! refresh, bind() returns an error naming the step, the token file is byte-identical, and the
//! generator is not run.
//!
//! | stored token | endpoint | fault | bind() returns |
//! |---|---|---|---|
//! | valid | validate | any fault below | transient error, step Validate |
//! | expired | token (refresh) | any fault below | transient error, step Refresh |

mod support;

use std::time::{Duration, Instant};

use support::{CHAT, Setup};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Helper, Step};

#[derive(Clone, Copy)]
enum Stored {
    Valid,
    Expired,
}

fn check(stored: Stored, endpoint: Endpoint, step: Step, fault: Fault) {
    let t = Setup::new();
    let grant = match stored {
        Stored::Valid => t.store(&CHAT),
        Stored::Expired => t.store_expired(&CHAT),
    };
    t.fake.fail(endpoint, fault);
    let before = t.file_bytes();
    let started = Instant::now();

    let err = t.generating_helper(&CHAT).bind().unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.is_transient(),
        "expected a transient error, got {err:?}"
    );
    assert_eq!(err.step(), Some(step), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&step.to_string()),
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
    for secret in [
        grant.access_token.as_str(),
        &grant.refresh_token,
        t.fake.client_secret(),
    ] {
        assert!(!shown.contains(secret), "a secret in the error: {shown}");
    }
}

macro_rules! untouched_on {
    ($name:ident, $stored:expr, $endpoint:expr, $step:expr, $fault:expr) => {
        #[test]
        fn $name() {
            check($stored, $endpoint, $step, $fault);
        }
    };
}

fn large_body() -> Fault {
    Fault::json(
        200,
        &format!(r#"{{"client_id":"{}"}}"#, "x".repeat(200_000)),
    )
}

untouched_on!(
    validate_502_html,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::status(502, "<html><body>Bad Gateway</body></html>")
);
untouched_on!(
    validate_500_json,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::json(500, r#"{"status":500,"message":"Internal Server Error"}"#)
);
untouched_on!(
    validate_429,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::json(429, r#"{"status":429,"message":"Too Many Requests"}"#)
);
untouched_on!(
    validate_closed,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::Close
);
untouched_on!(
    validate_dropped_mid_response,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::CloseMidResponse
);
untouched_on!(
    validate_no_answer,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::Delay(Duration::from_secs(30))
);
untouched_on!(
    validate_invalid_json,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::json(200, "{not json")
);
untouched_on!(
    validate_wrong_shape,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    Fault::json(200, r#"{"hello":"world"}"#)
);
untouched_on!(
    validate_large_body,
    Stored::Valid,
    Endpoint::Validate,
    Step::Validate,
    large_body()
);

untouched_on!(
    refresh_502_html,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::status(502, "<html><body>Bad Gateway</body></html>")
);
untouched_on!(
    refresh_500_json,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::json(500, r#"{"status":500,"message":"Internal Server Error"}"#)
);
untouched_on!(
    refresh_429,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::json(429, r#"{"status":429,"message":"Too Many Requests"}"#)
);
untouched_on!(
    refresh_closed,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::Close
);
untouched_on!(
    refresh_dropped_mid_response,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::CloseMidResponse
);
untouched_on!(
    refresh_no_answer,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::Delay(Duration::from_secs(30))
);
untouched_on!(
    refresh_invalid_json,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::json(200, "{not json")
);
untouched_on!(
    refresh_wrong_shape,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    Fault::json(200, r#"{"token":"x"}"#)
);
untouched_on!(
    refresh_large_body,
    Stored::Expired,
    Endpoint::Token,
    Step::Refresh,
    large_body()
);

#[test]
fn connection_refused_on_validate_and_refresh() {
    for (stored, step) in [
        (Stored::Valid, Step::Validate),
        (Stored::Expired, Step::Refresh),
    ] {
        let t = Setup::new();
        match stored {
            Stored::Valid => t.store(&CHAT),
            Stored::Expired => t.store_expired(&CHAT),
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
