//! What `bind()` returns: a handle that keeps the user token usable for the life of the program.
//!
//! Every refresh, save retry and `revoke()` here follows the pair model: one table of what the
//! handle holds against what the store holds, in `model.rs` (and in RELIABILITY.md, "The pair
//! model"), decided by `model::decide` from one read of the store under its lock.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::handle::{Shared, Wait};
use crate::keeper::{Fresh, Keeper};
use crate::{AccessToken, Error, RefreshToken, Scope};

/// How [`Helper::bind`](crate::Helper::bind) obtained the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The stored token was valid and had every requested scope.
    Reused,
    /// The stored token had expired; its refresh token gave a new pair, which was saved.
    Refreshed,
    /// A new token was obtained by logging in (or by the custom generator) and saved.
    Generated,
}

impl Outcome {
    /// `"reused"`, `"refreshed"` or `"generated"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Reused => "reused",
            Outcome::Refreshed => "refreshed",
            Outcome::Generated => "generated",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Twitch user token, kept usable: keep it for the life of the program, clone it (cheaply) and
/// share it between threads.
///
/// [`access_token`](Self::access_token) refreshes the token shortly before it expires, or after
/// your app [reported](Self::report_unauthorized) a 401 from Helix. One refresh happens at a
/// time, across threads and across processes sharing the token file; each new pair is saved
/// before anyone gets it. [`validate_if_due`](Self::validate_if_due) validates hourly, as Twitch
/// requires.
///
/// What the handle does when the store holds something else than it expects (another program
/// refreshed, logged in or out, the file is half-written) is one table, in the crate's
/// `model.rs` and in RELIABILITY.md ("The pair model").
///
/// A refresh that fails while the token still works (Twitch unreachable in its last minute)
/// hands the token out anyway; after a failed request the handle waits before it asks again
/// (see [`Helper::retry_backoff`](crate::Helper::retry_backoff)). So a loop ends only when the
/// grant is gone, and lets anything else pass:
///
/// ```no_run
/// use std::time::Duration;
/// use twitch_auth::{Helper, Scope};
///
/// let token = Helper::new([Scope::ChatRead]).bind()?;
/// let ended = loop {
///     // Validated hourly, as Twitch requires; refreshed shortly before it expires.
///     match token.validate_if_due().and_then(|_| token.access_token()) {
///         Ok(access) => {
///             // … call Helix with `Authorization: Bearer {access.secret()}`; on a 401:
///             // token.report_unauthorized(&access);
///         }
///         Err(e) if e.needs_login() => break e, // end the session: log in again
///         Err(e) => eprintln!("twitch: {e}"),   // Twitch unreachable: try again later
///     }
///     std::thread::sleep(Duration::from_secs(1));
/// };
/// eprintln!("session ended: {ended}");
/// # Ok::<(), twitch_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct UserToken {
    shared: Arc<Shared>,
}

impl UserToken {
    /// The handle for a pair that was just validated, refreshed or generated. A pair the store
    /// could not keep is kept here, reported on stderr, and saved again later; `displaced` is
    /// what the store held then, read under the lock.
    /// The handle for a pair that was just validated, refreshed or generated. A pair the store
    /// could not keep is kept here, reported on stderr, and saved again later; `displaced` is
    /// what the store held then, read under the lock.
    pub(crate) fn new(
        keeper: Keeper,
        fresh: Fresh,
        outcome: Outcome,
        displaced: Option<RefreshToken>,
    ) -> UserToken {
        UserToken {
            shared: Arc::new(Shared::new(keeper, fresh, outcome, displaced)),
        }
    }

    /// The access token, for `Authorization: Bearer <token>` on Helix or for chat; refreshed
    /// first when it expires within the refresh margin or was reported unauthorized.
    ///
    /// A refresh that fails for a transient reason (Twitch unreachable, a 5xx) while the token
    /// has not expired, and no 401 was reported for it, hands the current token out anyway and
    /// logs the failure at `warn`. After a failed refresh the next one waits for the back-off
    /// ([`Helper::retry_backoff`](crate::Helper::retry_backoff)); meanwhile no request is sent.
    ///
    /// # Errors
    ///
    /// When a needed refresh fails and no usable token is left: transient
    /// ([`Error::is_transient`]; a call after the back-off tries again; during it, the same
    /// error comes at once), or [`Error::LoginRequired`] when Twitch rejects the refresh token.
    /// After a log out ([`revoke`](Self::revoke), or another program's), [`Error::LoggedOut`].
    pub fn access_token(&self) -> Result<AccessToken, Error> {
        self.shared.access_token()
    }

    /// The value of the `Authorization` header for Helix, `Bearer <access token>`, refreshed
    /// first as [`access_token`](Self::access_token) does; send it with
    /// [`client_id`](Self::client_id) as `Client-Id`. When Helix answers 401, pass it to
    /// [`report_unauthorized_header`](Self::report_unauthorized_header) and try once more.
    ///
    /// ```no_run
    /// # let token = twitch_auth::Helper::new(["user:read:email"]).bind()?;
    /// let authorization = token.authorization()?; // a String: keep it out of logs
    /// let client_id = token.client_id();
    /// # let _ = (authorization, client_id);
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    ///
    /// # Security
    /// The value holds the access token: whoever reads it can act as the user. Keep it out of
    /// logs, URLs and error messages.
    ///
    /// # Errors
    ///
    /// As [`access_token`](Self::access_token).
    pub fn authorization(&self) -> Result<String, Error> {
        Ok(self.access_token()?.bearer())
    }

    /// Tells the handle that Helix answered 401 for a request sent with this `Authorization`
    /// value (from [`authorization`](Self::authorization)): the next call refreshes. As
    /// [`report_unauthorized`](Self::report_unauthorized), reports for a replaced token are
    /// ignored. The README's "A Helix call" has the whole loop, tested against the fake.
    ///
    /// ```
    /// # #[cfg(feature = "mock")] {
    /// use twitch_auth::{Helper, mock::FakeTwitch};
    ///
    /// let fake = FakeTwitch::start()?;
    /// let grant = fake.grant(&["chat:read"]);
    /// # let dir = std::env::temp_dir().join(format!("twitch-auth-report-{}-{}", std::process::id(), line!()));
    /// let token = Helper::new(["chat:read"])
    ///     .client_id(fake.client_id())
    ///     .client_secret(fake.client_secret())
    ///     .auth_base_url(fake.url())
    /// #   .path(dir.join("token.json"))
    ///     .generator(move |_, _| Ok(grant.clone()))
    ///     .bind()?;
    /// let rejected = token.authorization()?;
    /// fake.expire_access_tokens(); // Helix now answers 401 to it
    /// token.report_unauthorized_header(&rejected);
    /// assert_ne!(token.authorization()?, rejected); // refreshed
    /// # std::fs::remove_dir_all(dir)?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_unauthorized_header(&self, authorization: &str) {
        self.shared.report_unauthorized_header(authorization);
    }

    /// Tells the handle that Helix answered 401 for `rejected`: the next
    /// [`access_token`](Self::access_token) refreshes. Reports for an access token that was
    /// already replaced are ignored, so many threads reporting the same 401 cause one refresh.
    ///
    /// ```
    /// # #[cfg(feature = "mock")] {
    /// use twitch_auth::{Helper, mock::FakeTwitch};
    ///
    /// let fake = FakeTwitch::start()?;
    /// let grant = fake.grant(&["chat:read"]);
    /// # let dir = std::env::temp_dir().join(format!("twitch-auth-report-{}-{}", std::process::id(), line!()));
    /// let token = Helper::new(["chat:read"])
    ///     .client_id(fake.client_id())
    ///     .client_secret(fake.client_secret())
    ///     .auth_base_url(fake.url())
    /// #   .path(dir.join("token.json"))
    ///     .generator(move |_, _| Ok(grant.clone()))
    ///     .bind()?;
    /// let rejected = token.access_token()?;
    /// fake.expire_access_tokens(); // Helix (fake.helix_url()) now answers 401 to it
    /// token.report_unauthorized(&rejected);
    /// token.report_unauthorized(&rejected); // another thread saw the same 401
    /// assert_ne!(token.access_token()?, rejected); // refreshed, once
    /// let refreshes = fake.requests().iter().filter(|r| r.form("grant_type") == Some("refresh_token")).count();
    /// assert_eq!(refreshes, 1);
    /// # std::fs::remove_dir_all(dir)?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_unauthorized(&self, rejected: &AccessToken) {
        self.shared.report_unauthorized(rejected);
    }

    /// Validates the token now. Expired or revoked: refreshes it.
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`] when the token and its refresh token are rejected (end the
    /// user's sessions); a transient error when Twitch could not be asked.
    pub fn validate(&self) -> Result<(), Error> {
        self.shared.validate()
    }

    /// Validates the token if the validation interval (an hour by default) has passed since
    /// the last validation or refresh, and no back-off after a failed request is running;
    /// returns whether it did. Call it from your main loop.
    ///
    /// On a store a fleet of workers shares (`RedisStore`, feature `redis`), a validation
    /// or refresh of this token that another worker made within the interval counts as this
    /// handle's (`Ok(false)`): the fleet validates each token once per interval, not once per
    /// worker ([`TokenStore::claim_validation`](crate::TokenStore::claim_validation)).
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate).
    pub fn validate_if_due(&self) -> Result<bool, Error> {
        self.shared.validate_if_due()
    }

    /// Logs out: revokes at Twitch every pair this handle and the store hold (the handle's,
    /// and another program's if it stored one), then empties the store. After it returns `Ok`,
    /// the handle hands out no token ([`Error::LoggedOut`]). It can be called again after an
    /// error, and on a handle already logged out.
    ///
    /// # Errors
    ///
    /// When Twitch could not be asked (the token the message names stays alive), the lock could
    /// not be had, the store could not be read (what it holds could not be revoked), or the
    /// stored pair could not be deleted.
    pub fn revoke(&self) -> Result<(), Error> {
        self.shared.revoke()
    }

    /// Whether the store holds the current pair. `false` after a save failed (a full disk, a
    /// directory made read-only): the handle then keeps the pair in memory, keeps using it,
    /// and saves it again at the next refresh, at [`access_token`](Self::access_token) once a
    /// minute, or when you call [`save`](Self::save). The failure was reported on stderr.
    ///
    /// A program about to exit while it is `false` should call [`save`](Self::save): an unsaved
    /// pair ends with the process, and the store still holds the pair it replaced, whose refresh
    /// token may be spent. (Dropping the last clone tries one save, without waiting for the
    /// lock.)
    pub fn is_saved(&self) -> bool {
        self.shared.is_saved()
    }

    /// Saves the current pair if an earlier save failed ([`is_saved`](Self::is_saved) is
    /// `false`); does nothing otherwise. A pair another program stored since is never
    /// overwritten: the next refresh uses it instead. A log out since (the store emptied) is
    /// never undone.
    ///
    /// # Errors
    ///
    /// Why the store still cannot keep the pair ([`Error::File`] names the path and cause), or
    /// [`Error::StoreChanged`] when another program stored another pair, or logged out,
    /// meanwhile.
    pub fn save(&self) -> Result<(), Error> {
        self.shared.save_retry(Wait::Yes)
    }

    /// The current refresh token.
    pub fn refresh_token(&self) -> RefreshToken {
        self.shared.state().token.refresh_token.clone()
    }

    /// The user's login name, for example `twitchdev`.
    pub fn login(&self) -> &str {
        &self.shared.login
    }

    /// The user's id, for example `141981764`.
    pub fn user_id(&self) -> &str {
        &self.shared.user_id
    }

    /// The client id of the app the token was issued to.
    pub fn client_id(&self) -> &str {
        &self.shared.client_id
    }

    /// Every scope the token holds (at least the requested ones), sorted.
    pub fn scopes(&self) -> Vec<Scope> {
        self.shared.state().token.scopes.clone()
    }

    /// How long the current access token has left; `None` for a token that does not expire, and
    /// zero once it has expired.
    pub fn expires_in(&self) -> Option<Duration> {
        crate::store::time_left(self.expires_at())
    }

    /// When the current access token expires; `None` for a token that does not expire.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.shared.state().token.expires_at
    }

    /// Whether `bind()` reused, refreshed or generated the token.
    pub fn outcome(&self) -> Outcome {
        self.shared.outcome
    }
}

/// A panic inside a call (in an `on_refresh` callback, say) cannot leave the handle broken: its
/// state is only ever replaced whole, and a lock poisoned by the panic is taken over as it is. So
/// a game may call it inside `catch_unwind` at its FFI boundary. (The callbacks and the store it
/// holds are not required to be unwind-safe themselves; the handle never relies on what they
/// were doing when they panicked.)
impl UnwindSafe for UserToken {}
impl RefUnwindSafe for UserToken {}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("UserToken");
        out.field("login", &self.shared.login)
            .field("user_id", &self.shared.user_id)
            .field("client_id", &self.shared.client_id)
            .field("outcome", &self.shared.outcome);
        // try_lock: Debug must not wait for (or deadlock with) a refresh in progress.
        match self.shared.state.try_lock() {
            Ok(state) => out.field("token", &state.token),
            Err(_) => out.field("token", &"<refreshing>"),
        };
        out.finish()
    }
}
