//! What `bind()` returns: a handle that keeps the user token usable for the life of the program.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime};

use crate::keeper::{Keeper, stored_from};
use crate::oauth::Validation;
use crate::{AccessToken, Error, RefreshToken, Scope, StoredToken};

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
/// ```no_run
/// use twitch_auth::{Helper, Scope};
///
/// let token = Helper::new([Scope::ChatRead]).bind()?;
/// loop {
///     token.validate_if_due()?; // hourly; Err(e) with e.needs_login() when the grant is gone
///     let access = token.access_token()?; // refreshed when about to expire
///     // … call Helix with `Authorization: Bearer {access.secret()}`; on a 401:
///     // token.report_unauthorized(&access);
/// #   break;
/// }
/// # Ok::<(), twitch_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct UserToken {
    shared: Arc<Shared>,
}

struct Shared {
    keeper: Keeper,
    client_id: String,
    login: String,
    user_id: String,
    outcome: Outcome,
    /// Held during a refresh, so the other threads wait for its result.
    state: Mutex<State>,
}

struct State {
    token: StoredToken,
    validated_at: Instant,
    /// The app reported a 401 for the current access token.
    unauthorized: bool,
}

impl UserToken {
    /// The handle for a pair that was just validated, refreshed or generated.
    pub(crate) fn new(keeper: Keeper, token: StoredToken, outcome: Outcome) -> UserToken {
        let client_id = token
            .client_id
            .clone()
            .unwrap_or_else(|| keeper.app.client_id.clone());
        UserToken {
            shared: Arc::new(Shared {
                client_id,
                login: token.login.clone().unwrap_or_default(),
                user_id: token.user_id.clone().unwrap_or_default(),
                outcome,
                keeper,
                state: Mutex::new(State {
                    token,
                    validated_at: Instant::now(),
                    unauthorized: false,
                }),
            }),
        }
    }

    /// The access token, for `Authorization: Bearer <token>` on Helix or for chat; refreshed
    /// first when it expires within the refresh margin or was reported unauthorized.
    ///
    /// # Errors
    ///
    /// When a needed refresh fails: transient ([`Error::is_transient`]; the next call tries
    /// again), or [`Error::LoginRequired`] when Twitch rejects the refresh token.
    pub fn access_token(&self) -> Result<AccessToken, Error> {
        let mut state = self.state();
        let margin = self.shared.keeper.refresh_margin;
        let due = state.token.expires_by(SystemTime::now() + margin);
        if due || state.unauthorized {
            self.refresh(&mut state)?;
        }
        Ok(state.token.access_token.clone())
    }

    /// Tells the handle that Helix answered 401 for `rejected`: the next
    /// [`access_token`](Self::access_token) refreshes. Reports for an access token that was
    /// already replaced are ignored, so many threads reporting the same 401 cause one refresh.
    pub fn report_unauthorized(&self, rejected: &AccessToken) {
        let mut state = self.state();
        if state.token.access_token == *rejected {
            state.unauthorized = true;
        }
    }

    /// Validates the token now. Expired or revoked: refreshes it.
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`] when the token and its refresh token are rejected (end the
    /// user's sessions); a transient error when Twitch could not be asked.
    pub fn validate(&self) -> Result<(), Error> {
        let mut state = self.state();
        match self.shared.keeper.validate(&state.token.access_token)? {
            Validation::Valid(info) => {
                let access = state.token.access_token.clone();
                let refresh = state.token.refresh_token.clone();
                state.token = stored_from(access, refresh, info);
                state.validated_at = Instant::now();
                Ok(())
            }
            Validation::Rejected => self.refresh(&mut state),
        }
    }

    /// Validates the token if the validation interval (an hour by default) has passed since
    /// the last validation or refresh; returns whether it did. Call it from your main loop.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate).
    pub fn validate_if_due(&self) -> Result<bool, Error> {
        let due = self.state().validated_at.elapsed() >= self.shared.keeper.validate_interval;
        if due {
            self.validate()?;
        }
        Ok(due)
    }

    /// Logs out: revokes the access token at Twitch and deletes the stored pair.
    ///
    /// # Errors
    ///
    /// When Twitch could not be asked, or the stored pair could not be deleted.
    pub fn revoke(&self) -> Result<(), Error> {
        let access = self.state().token.access_token.clone();
        self.shared.keeper.revoke(&access)
    }

    /// The current refresh token.
    pub fn refresh_token(&self) -> RefreshToken {
        self.state().token.refresh_token.clone()
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
        self.state().token.scopes.clone()
    }

    /// When the current access token expires; `None` for a token that does not expire.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.state().token.expires_at
    }

    /// Whether `bind()` reused, refreshed or generated the token.
    pub fn outcome(&self) -> Outcome {
        self.shared.outcome
    }

    /// Refreshes under the store's lock. Another process may have refreshed already: then its
    /// pair is used, and our refresh token (maybe single use, maybe spent) is not sent again.
    fn refresh(&self, state: &mut State) -> Result<(), Error> {
        let keeper = &self.shared.keeper;
        let _lock = keeper.store.lock()?;
        let newer = keeper.store.load()?.filter(|stored| {
            stored.refresh_token != state.token.refresh_token
                && stored
                    .user_id
                    .as_ref()
                    .is_none_or(|id| *id == self.shared.user_id)
                && !stored.expires_by(SystemTime::now() + keeper.refresh_margin)
        });
        let mut token = match newer {
            Some(stored) => stored,
            None => keeper.refresh(&state.token)?.ok_or(Error::LoginRequired)?,
        };
        // The store may not know whose token it is; this handle does.
        token.client_id = Some(self.shared.client_id.clone());
        token.user_id = Some(self.shared.user_id.clone());
        token.login = Some(self.shared.login.clone());
        state.token = token;
        state.unauthorized = false;
        state.validated_at = Instant::now();
        Ok(())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic in another thread (say, in an on_refresh callback) must not make the token
        // unusable: the state is only replaced whole, so it is never half-updated.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

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
