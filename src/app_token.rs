//! `AppToken`: an app access token (client credentials), kept usable for the life of the program.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::app::App;
use crate::oauth::{AppGrant, Client, Validation};
use crate::store::{expires_after, expires_within};
use crate::{AccessToken, AppTokenBuilder, ClientSecret, Error, Step};

/// An app access token, for Helix calls made as the app rather than as a user: EventSub
/// subscriptions, lookups before anyone has logged in, a bot's server side. Keep it for the life
/// of the program, clone it (cheaply) and share it between threads.
///
/// ```no_run
/// use twitch_auth::AppToken;
///
/// // Credentials from TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET.
/// let token = AppToken::builder().build()?;
/// let authorization = token.authorization()?; // "Bearer …", renewed when due
/// // … call Helix with `Authorization: {authorization}` and `Client-Id: {token.client_id()}`;
/// // on a 401: token.report_unauthorized_header(&authorization), then try once more.
/// # Ok::<(), twitch_auth::Error>(())
/// ```
///
/// App tokens have no refresh token: [`access_token`](Self::access_token) requests a new one
/// (with the app's id and secret) when the current one expires within the refresh margin, or
/// after your app [reported](Self::report_unauthorized) a 401 from Helix. One request happens at
/// a time: threads that need the new token wait for it, and the others are never held up.
///
/// # Not stored on disk
///
/// Unlike a user token, an app token is kept in memory only, and each program start requests
/// one. A store would save nothing worth its cost: losing a user token costs a person's login,
/// but a new app token costs one request that needs no one, the same single request a stored
/// token would need to be validated before it is trusted. A file would also keep a
/// bearer credential, good for about 60 days, beside a program that already holds the secret
/// that can mint one. A program restarted very often can [`revoke`](Self::revoke) its token when
/// it exits, so tokens do not pile up.
#[derive(Clone)]
pub struct AppToken {
    shared: Arc<Shared>,
}

struct Shared {
    app: App,
    secret: ClientSecret,
    client: Client,
    refresh_margin: Duration,
    /// Held for a whole renewal (the request), so that threads needing the new token wait for
    /// its result, and only them: getters take `state` alone.
    renewing: Mutex<()>,
    /// Held only to read or replace the state, never across a request.
    state: Mutex<State>,
}

struct State {
    access_token: AccessToken,
    /// `None` for a token that does not expire.
    expires_at: Option<SystemTime>,
    /// Helix answered 401 for this token, or it was revoked: the next use renews it.
    unusable: bool,
}

impl State {
    fn from(grant: AppGrant) -> State {
        State {
            access_token: grant.access_token,
            expires_at: expires_after(grant.expires_in),
            unusable: false,
        }
    }

    /// Whether the token must be replaced before it is handed out: reported, revoked, or
    /// expiring within `margin` (a margin past the end of time counts as "yes").
    fn is_due(&self, margin: Duration) -> bool {
        self.unusable || expires_within(self.expires_at, margin)
    }
}

impl AppToken {
    /// Settings for an app token, every one at its default: the client id and secret from
    /// `TWITCH_CLIENT_ID` and `TWITCH_CLIENT_SECRET`.
    ///
    /// ```no_run
    /// let token = twitch_auth::AppToken::builder().build()?;
    /// # let _ = token;
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    pub fn builder() -> AppTokenBuilder {
        AppTokenBuilder::default()
    }

    /// The handle for a token just granted.
    pub(crate) fn new(
        app: App,
        secret: ClientSecret,
        client: Client,
        refresh_margin: Duration,
        grant: AppGrant,
    ) -> AppToken {
        AppToken {
            shared: Arc::new(Shared {
                app,
                secret,
                client,
                refresh_margin,
                renewing: Mutex::new(()),
                state: Mutex::new(State::from(grant)),
            }),
        }
    }

    /// The access token, for `Authorization: Bearer <token>` on Helix; a new one is requested
    /// first when it expires within the refresh margin, was reported unauthorized, or was
    /// revoked.
    ///
    /// ```no_run
    /// let token = twitch_auth::AppToken::builder().build()?;
    /// let access = token.access_token()?;
    /// // … a Helix call with `Authorization: Bearer {access.secret()}`; on a 401:
    /// token.report_unauthorized(&access);
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When a needed request fails: transient ([`Error::is_transient`]; the next call tries
    /// again), or [`Error::InvalidCredentials`] when Twitch no longer accepts the app's id or
    /// secret (a secret renewed in the developer console).
    pub fn access_token(&self) -> Result<AccessToken, Error> {
        let (access, due) = {
            let state = self.state();
            (
                state.access_token.clone(),
                state.is_due(self.shared.refresh_margin),
            )
        };
        if !due {
            return Ok(access);
        }
        self.renew(&access)?;
        Ok(self.state().access_token.clone())
    }

    /// The value of the `Authorization` header for Helix, `Bearer <access token>`, renewed
    /// first as [`access_token`](Self::access_token) does; send it with
    /// [`client_id`](Self::client_id) as `Client-Id`. When Helix answers 401, pass it to
    /// [`report_unauthorized_header`](Self::report_unauthorized_header) and try once more.
    ///
    /// ```no_run
    /// # let token = twitch_auth::AppToken::builder().build()?;
    /// let authorization = token.authorization()?; // a String: keep it out of logs
    /// let client_id = token.client_id();
    /// # let _ = (authorization, client_id);
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    ///
    /// # Security
    /// The value holds the access token: whoever reads it can act as the app. Keep it out of
    /// logs, URLs and error messages.
    ///
    /// # Errors
    ///
    /// As [`access_token`](Self::access_token).
    pub fn authorization(&self) -> Result<String, Error> {
        Ok(self.access_token()?.bearer())
    }

    /// Tells the handle that Helix answered 401 for a request sent with this `Authorization`
    /// value (from [`authorization`](Self::authorization)): the next call requests a new
    /// token. As [`report_unauthorized`](Self::report_unauthorized), reports for a replaced
    /// token are ignored.
    pub fn report_unauthorized_header(&self, authorization: &str) {
        let mut state = self.state();
        if state.access_token.is_carried_by(authorization) {
            state.unusable = true;
        }
    }

    /// Tells the handle that Helix answered 401 for `rejected`: the next
    /// [`access_token`](Self::access_token) requests a new token. Reports for a token that was
    /// already replaced are ignored, so many threads reporting the same 401 cause one request.
    pub fn report_unauthorized(&self, rejected: &AccessToken) {
        let mut state = self.state();
        if state.access_token == *rejected {
            state.unusable = true;
        }
    }

    /// Validates the token now (`GET validate`), and learns its expiry again. Invalid (revoked,
    /// or expired early): a new one is requested.
    ///
    /// # Errors
    ///
    /// A transient error when Twitch could not be asked ([`Step::ValidateApp`]); when a new
    /// token was needed, as [`access_token`](Self::access_token).
    pub fn validate(&self) -> Result<(), Error> {
        let access = self.state().access_token.clone();
        let answer = self.shared.client.validate(&self.shared.app, &access);
        match answer.map_err(|e| e.at_step(Step::ValidateApp))? {
            Validation::Valid(info) => {
                let mut state = self.state();
                if state.access_token == access {
                    state.expires_at = expires_after(Some(info.expires_in));
                }
                Ok(())
            }
            Validation::Rejected => self.renew(&access),
        }
    }

    /// Revokes the current token at Twitch (`POST revoke`), for a program that ends and wants
    /// no live token left behind. The handle stays usable: its next
    /// [`access_token`](Self::access_token) requests a new token.
    ///
    /// # Errors
    ///
    /// When Twitch could not be asked or refused ([`Step::RevokeApp`]); the token was then
    /// not revoked, and the handle keeps using it.
    pub fn revoke(&self) -> Result<(), Error> {
        let access = self.state().access_token.clone();
        let revoked = self.shared.client.revoke(&self.shared.app, &access);
        revoked.map_err(|e| e.at_step(Step::RevokeApp))?;
        let mut state = self.state();
        if state.access_token == access {
            state.unusable = true;
        }
        Ok(())
    }

    /// The client id of the app, for the `Client-Id` header Helix requires.
    pub fn client_id(&self) -> &str {
        &self.shared.app.client_id
    }

    /// When the current token expires (about 60 days after it was granted); `None` for a token
    /// that does not expire.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.state().expires_at
    }

    /// How long the current token has left; `None` for a token that does not expire, and zero
    /// once it has expired.
    pub fn expires_in(&self) -> Option<Duration> {
        crate::store::time_left(self.expires_at())
    }

    /// Replaces the token `seen` with a new one, one request at a time.
    fn renew(&self, seen: &AccessToken) -> Result<(), Error> {
        let _turn = self
            .shared
            .renewing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.state().access_token != *seen {
            return Ok(()); // another thread renewed it while this one waited
        }
        let shared = &self.shared;
        log::debug!("twitch-auth: renewing the app access token");
        let grant = shared.client.app_token(&shared.app, &shared.secret)?;
        *self.state() = State::from(grant);
        Ok(())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic in another thread must not make the token unusable: the state is only
        // replaced whole, so it is never half-updated.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// As [`UserToken`](crate::UserToken): a panic inside a call cannot leave the handle broken (a
/// poisoned lock is taken over, and the state is replaced whole), so it may be used inside
/// `catch_unwind`.
impl std::panic::UnwindSafe for AppToken {}
impl std::panic::RefUnwindSafe for AppToken {}

impl fmt::Debug for AppToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("AppToken");
        out.field("client_id", &self.shared.app.client_id);
        // try_lock: Debug must not wait for (or deadlock with) a renewal in progress.
        match self.shared.state.try_lock() {
            Ok(state) => out
                .field("access_token", &state.access_token)
                .field("expires_at", &state.expires_at),
            Err(_) => out.field("access_token", &"<renewing>"),
        };
        out.finish_non_exhaustive()
    }
}
