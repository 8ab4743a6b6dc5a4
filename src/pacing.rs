//! Riding out a bad minute: whether [`UserToken::access_token`](crate::UserToken::access_token)
//! asks Twitch for a new token, hands out the one it has, or fails, and how long a handle
//! waits after a failed request before it asks again.
//!
//! A refresh is due shortly before the token expires (the refresh margin, 60 s by default), so
//! a refresh that fails then usually leaves a token that still works for a while: it is handed
//! out, and the failure is logged at `warn`. The error comes only when no usable token is left
//! (twurple's provider behaves the same). After a failed refresh or validation the handle backs
//! off, from [`FIRST_BACKOFF`] doubling up to [`MAX_BACKOFF`] (and at least any `Retry-After`
//! the server sent): a loop calling `access_token()` twice a second sends one request per
//! back-off, not two a second, while the usable token keeps being served.
//!
//! # The table
//!
//! *usable*: the current access token has not expired by its expiry, and no 401 was reported
//! for it (nor did `validate()` find it invalid). *failure*: a back-off is running after a
//! failed request for this token, or the refresh just tried has failed; *transient* is
//! [`Error::is_transient`] (the network, a 5xx or 429, the store's lock).
//!
//! | due | failure        | usable | access_token()                          |
//! |-----|----------------|--------|-----------------------------------------|
//! | no  | any            | yes    | the current token                       |
//! | yes | none           | any    | refresh now                             |
//! | yes | transient      | yes    | the current token, no request           |
//! | yes | transient      | no     | the failure's error, no request         |
//! | yes | another error  | any    | the failure's error, no request         |
//!
//! The same rows decide right after a refresh failed (*failure* is that refresh's error), and
//! while the back-off it started runs. Once a refresh succeeds, or the token changes (another
//! thread or program refreshed), the back-off is over. `validate_if_due()` does not validate
//! while a back-off runs (it returns `Ok(false)`); `validate()` always asks.

use std::time::{Duration, Instant};

use crate::{AccessToken, Error};

/// The first pause after a failed request.
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest pause after failed requests (a `Retry-After` may ask for more).
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The longest `Retry-After` taken: a server asking for an hour is not left to stop refreshes
/// for that long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// What [`decide`] is told about the failure that started the running back-off (or of the
/// refresh just tried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Transient,
    Other,
}

impl Failure {
    pub(crate) fn of(error: &Error) -> Failure {
        if error.is_transient() {
            Failure::Transient
        } else {
            Failure::Other
        }
    }
}

/// What `access_token()` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serve {
    /// Hands out the current access token.
    Current,
    /// Refreshes now.
    Refresh,
    /// Returns the failure's error.
    Fail,
}

/// The table above, the one place that decides it.
pub(crate) fn decide(due: bool, usable: bool, failure: Option<Failure>) -> Serve {
    match (due, failure, usable) {
        (false, _, true) => Serve::Current,
        // Not due yet unusable: a token expired or reported unauthorized is always due.
        (false, _, false) | (true, None, _) => Serve::Refresh,
        (true, Some(Failure::Transient), true) => Serve::Current,
        (true, Some(_), _) => Serve::Fail,
    }
}

/// How fast a handle may ask again: the back-off settings of its helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) first: Duration,
    pub(crate) max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: FIRST_BACKOFF,
            max: MAX_BACKOFF,
        }
    }
}

/// A handle's failed requests in a row, for one access token.
#[derive(Default)]
pub(crate) struct Pacing {
    running: Option<Running>,
}

struct Running {
    /// The access token the requests were for: another token ends the back-off.
    token: AccessToken,
    failures: u32,
    until: Instant,
    last: Error,
}

impl Pacing {
    /// The running back-off for `token`: what failed, and its error.
    pub(crate) fn running(&self, token: &AccessToken) -> Option<(Failure, &Error)> {
        self.running
            .as_ref()
            .filter(|r| r.token == *token && Instant::now() < r.until)
            .map(|r| (Failure::of(&r.last), &r.last))
    }

    /// A request for `token` failed with `error`: the next one waits longer. Only a request
    /// that reached for Twitch and failed there counts: a refusal made from what the store
    /// holds sends nothing (and the store may change at any moment), a lock that could not be
    /// had was waited for already, and a rejected refresh token ends the handle's use.
    pub(crate) fn failed(&mut self, token: &AccessToken, error: &Error, backoff: Backoff) {
        if !paces(error) {
            return;
        }
        let failures = match &self.running {
            Some(r) if r.token == *token => r.failures.saturating_add(1),
            _ => 1,
        };
        let pause = pause(failures, backoff, error.retry_after());
        log::debug!(
            "twitch-auth: failed request {failures} in a row; the next one in {} ms",
            pause.as_millis()
        );
        self.running = Some(Running {
            token: token.clone(),
            failures,
            until: Instant::now() + pause,
            last: error.duplicate(),
        });
    }

    /// A request succeeded: no back-off.
    pub(crate) fn succeeded(&mut self) {
        self.running = None;
    }
}

/// Whether `error` is a failed request to Twitch: the network, a 5xx, a 429, an answer that is
/// not Twitch's, or the app's credentials refused (asking again at every call would only repeat
/// it).
fn paces(error: &Error) -> bool {
    matches!(
        error,
        Error::Unreachable { .. }
            | Error::Status { .. }
            | Error::InvalidResponse { .. }
            | Error::InvalidCredentials { .. }
    )
}

/// The pause after `failures` failed requests in a row: `first`, doubling up to `max`, and at
/// least the server's `Retry-After` (up to 10 minutes).
fn pause(failures: u32, backoff: Backoff, retry_after: Option<Duration>) -> Duration {
    let doubled = backoff
        .first
        .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)));
    let asked = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
    doubled.min(backoff.max).max(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table in the module docs, row by row, and the rows it leaves implied.
    #[test]
    fn the_table_is_what_decide_says() {
        use Failure::{Other, Transient};
        use Serve::{Current, Fail, Refresh};
        let rows: &[(bool, Option<Failure>, bool, Serve)] = &[
            (false, None, true, Current),
            (false, Some(Transient), true, Current),
            (false, Some(Other), true, Current),
            (true, None, true, Refresh),
            (true, None, false, Refresh),
            (true, Some(Transient), true, Current),
            (true, Some(Transient), false, Fail),
            (true, Some(Other), true, Fail),
            (true, Some(Other), false, Fail),
            // Never reached (an unusable token is due), and still safe: ask.
            (false, None, false, Refresh),
            (false, Some(Transient), false, Refresh),
        ];
        for &(due, failure, usable, serve) in rows {
            assert_eq!(
                decide(due, usable, failure),
                serve,
                "due {due}, failure {failure:?}, usable {usable}"
            );
        }
    }

    #[test]
    fn pauses_double_up_to_the_maximum_and_respect_retry_after() {
        let backoff = Backoff::default();
        let s = Duration::from_secs;
        let cases: &[(u32, Option<Duration>, Duration)] = &[
            (1, None, s(1)),
            (2, None, s(2)),
            (3, None, s(4)),
            (6, None, s(32)),
            (7, None, s(60)),
            (40, None, s(60)),
            (u32::MAX, None, s(60)),
            (1, Some(s(30)), s(30)),
            (7, Some(s(5)), s(60)),
            (1, Some(s(3600)), s(600)),
        ];
        for &(failures, retry_after, want) in cases {
            assert_eq!(
                pause(failures, backoff, retry_after),
                want,
                "{failures} failures, Retry-After {retry_after:?}"
            );
        }
        let off = Backoff {
            first: Duration::ZERO,
            max: Duration::ZERO,
        };
        assert_eq!(pause(5, off, None), Duration::ZERO);
        assert_eq!(pause(5, off, Some(s(2))), s(2));
    }
}
