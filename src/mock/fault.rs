//! How an endpoint misbehaves: the faults a test sets with
//! [`FakeTwitch::fail`](super::FakeTwitch::fail).
//!
//! They are applied where the fake meets the socket (`server.rs`), so that a fault can be what
//! no answer body can express: a hang, or a connection closed before or during an answer.

use std::time::Duration;

/// How an endpoint misbehaves, set with [`FakeTwitch::fail`](super::FakeTwitch::fail).
///
/// Only [`Fault::Delay`] lets the request take effect; with the others no code is used, no token
/// minted, rotated or revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status, content type and body instead of the real answer.
    Status {
        /// HTTP status code, e.g. 502.
        status: u16,
        /// `Content-Type` of the answer.
        content_type: String,
        /// The answer's body.
        body: String,
    },
    /// Wait this long, then answer normally (a long wait is "no answer").
    Delay(Duration),
    /// Answer 429 `{"status":429,"message":"Too Many Requests"}` with a `Retry-After` header of
    /// this many seconds, as an overloaded `validate` has.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after: u64,
    },
    /// Close the connection after reading the request, without answering.
    Close,
    /// Send the status line and headers with a `Content-Length` larger than what follows, part
    /// of a body, then close.
    CloseMidResponse,
}

impl Fault {
    /// A [`Fault::Status`] whose content type is guessed from `body`.
    ///
    /// A body starting with `{` or `[` is `application/json`, anything else `text/html`.
    pub fn status(status: u16, body: &str) -> Fault {
        let json = body.trim_start().starts_with(['{', '[']);
        let content_type = if json {
            "application/json"
        } else {
            "text/html"
        };
        Fault::Status {
            status,
            content_type: content_type.to_owned(),
            body: body.to_owned(),
        }
    }

    /// A [`Fault::Status`] with an `application/json` body.
    pub fn json(status: u16, body: &str) -> Fault {
        Fault::Status {
            status,
            content_type: "application/json".to_owned(),
            body: body.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_constructors_guess_the_content_type() {
        let html = Fault::status(502, "<html>x</html>");
        let json = Fault::status(500, " {\"a\":1}");
        let array = Fault::json(400, "[]");
        let content_type = |f: &Fault| match f {
            Fault::Status { content_type, .. } => content_type.clone(),
            _ => String::new(),
        };
        assert_eq!(content_type(&html), "text/html");
        assert_eq!(content_type(&json), "application/json");
        assert_eq!(content_type(&array), "application/json");
    }
}
