//! What `bind()` returns: a handle that keeps the user token usable for the life of the program.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::keeper::{Fresh, Keeper};
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
    /// Held for a whole refresh (the store's lock, requests), so that threads needing one wait
    /// for its result, and only them: getters take `state` alone.
    refreshing: Mutex<()>,
    /// Held only to read or replace the state, never across a request or the store's lock.
    state: Mutex<State>,
}

struct State {
    token: StoredToken,
    validated_at: Instant,
    /// The app reported a 401 for the current access token.
    unauthorized: bool,
    /// Set while the current pair is not in the store (its save failed).
    unsaved: Option<Unsaved>,
}

/// A pair the store could not keep: the handle keeps it and saves it again later.
#[derive(Clone)]
struct Unsaved {
    /// The refresh token the store held instead when the save failed, if any: the store still
    /// holding it means nobody else wrote since, so our pair is the newest.
    displaced: Option<RefreshToken>,
    /// When the save was last tried.
    tried_at: Instant,
}

/// How often a failed save is tried again by [`UserToken::access_token`].
const SAVE_RETRY_INTERVAL: Duration = Duration::from_secs(60);

/// Where a refresh of the handle starts from, decided under the store's lock.
enum Start {
    /// Another program stored a newer pair that is still fresh: use it as it is.
    Adopt(StoredToken),
    /// Refresh this pair, which the store holds (or which is ours and newer, while unsaved).
    Refresh(StoredToken),
    /// Another program stored a pair without saying whose it is (pyTwitchAPI's two keys): ask
    /// Twitch before it is used as this user's.
    Unknown(StoredToken),
}

impl UserToken {
    /// The handle for a pair that was just validated, refreshed or generated. A pair the store
    /// could not keep is kept here, reported on stderr, and saved again later.
    pub(crate) fn new(keeper: Keeper, fresh: Fresh, outcome: Outcome) -> UserToken {
        let Fresh { token, unsaved } = fresh;
        let client_id = token
            .client_id
            .clone()
            .unwrap_or_else(|| keeper.app.client_id.clone());
        let unsaved = unsaved.map(|error| {
            report_unsaved(&error);
            Unsaved {
                displaced: keeper.store.load().ok().flatten().map(|t| t.refresh_token),
                tried_at: Instant::now(),
            }
        });
        UserToken {
            shared: Arc::new(Shared {
                client_id,
                login: token.login.clone().unwrap_or_default(),
                user_id: token.user_id.clone().unwrap_or_default(),
                outcome,
                keeper,
                refreshing: Mutex::new(()),
                state: Mutex::new(State {
                    token,
                    validated_at: Instant::now(),
                    unauthorized: false,
                    unsaved,
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
        let (access, due, retry_save) = {
            let state = self.state();
            let due = state.unauthorized
                || state
                    .token
                    .expires_within(self.shared.keeper.refresh_margin);
            let retry_save = state
                .unsaved
                .as_ref()
                .is_some_and(|u| u.tried_at.elapsed() >= SAVE_RETRY_INTERVAL);
            (state.token.access_token.clone(), due, retry_save)
        };
        if due {
            self.refresh(&access)?;
            return Ok(self.state().token.access_token.clone());
        }
        if retry_save {
            // Reported already; the token is usable meanwhile.
            let _ = self.save();
        }
        Ok(access)
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
    /// ignored.
    pub fn report_unauthorized_header(&self, authorization: &str) {
        let mut state = self.state();
        if state.token.access_token.is_carried_by(authorization) {
            state.unauthorized = true;
        }
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
        let access = self.state().token.access_token.clone();
        match self.shared.keeper.validate(&access)? {
            Validation::Valid(info) => {
                let mut state = self.state();
                if state.token.access_token == access {
                    let refresh = state.token.refresh_token.clone();
                    state.token = StoredToken::validated(access, refresh, info);
                    state.validated_at = Instant::now();
                }
                Ok(())
            }
            Validation::Rejected => self.refresh(&access),
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

    /// Whether the store holds the current pair. `false` after a save failed (a full disk, a
    /// directory made read-only): the handle then keeps the pair in memory, keeps using it,
    /// and saves it again at the next refresh, at [`access_token`](Self::access_token) once a
    /// minute, or when you call [`save`](Self::save). The failure was reported on stderr.
    pub fn is_saved(&self) -> bool {
        self.state().unsaved.is_none()
    }

    /// Saves the current pair if an earlier save failed ([`is_saved`](Self::is_saved) is
    /// `false`); does nothing otherwise. A pair another program stored since is never
    /// overwritten: the next refresh uses it instead.
    ///
    /// # Errors
    ///
    /// Why the store still cannot keep the pair ([`Error::File`] names the path and cause), or
    /// [`Error::StoreChanged`] when another program stored another pair meanwhile.
    pub fn save(&self) -> Result<(), Error> {
        let _turn = self.refreshing();
        let (token, displaced) = {
            let mut state = self.state();
            let Some(unsaved) = state.unsaved.as_mut() else {
                return Ok(());
            };
            unsaved.tried_at = Instant::now();
            let displaced = unsaved.displaced.clone();
            (state.token.clone(), displaced)
        };
        let keeper = &self.shared.keeper;
        let _lock = keeper.store.lock()?;
        match keeper.store.load()? {
            // Still what our pair replaced, or ours already, or nothing: ours is the newest.
            None => {}
            Some(stored)
                if stored.same_pair(&token)
                    || Some(&stored.refresh_token) == displaced.as_ref() => {}
            Some(stored) => {
                let whose = stored.login.or(stored.user_id);
                return Err(Error::StoreChanged {
                    stored_login: Some(whose.unwrap_or_else(|| "another session".to_owned())),
                });
            }
        }
        keeper.store.save(&token)?;
        self.state().unsaved = None;
        Ok(())
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

    /// Replaces the access token `seen`, under the store's lock, one thread at a time.
    ///
    /// The store is re-read first: another program (a CLI, a cron job) may have refreshed
    /// since this handle last did, spending the refresh token held here. Whenever the store
    /// holds another pair, that pair is used; the handle's own refresh token is sent only
    /// while it is the stored one (or while the store could not be written and ours is newer).
    fn refresh(&self, seen: &AccessToken) -> Result<(), Error> {
        let _turn = self.refreshing();
        let (mine, unsaved) = {
            let state = self.state();
            if state.token.access_token != *seen {
                return Ok(()); // another thread refreshed while this one waited
            }
            (state.token.clone(), state.unsaved.clone())
        };
        let keeper = &self.shared.keeper;
        let _lock = keeper.store.lock()?;
        let stored = keeper.store.load()?;
        // What the store holds now, which a failed save below leaves there: the pair to tell
        // apart from one another program writes later.
        let in_store = stored.as_ref().map(|s| s.refresh_token.clone());
        let fresh = match self.start(mine, stored, unsaved.as_ref())? {
            Start::Adopt(token) => {
                log::debug!("twitch-auth: using the pair another program stored");
                Fresh {
                    token,
                    unsaved: None,
                }
            }
            Start::Refresh(from) => self.refresh_from(&from)?,
            Start::Unknown(stored) => self.use_unknown(stored)?,
        };
        let mut token = fresh.token;
        // The store may not know whose token it is; this handle does.
        token.client_id = Some(self.shared.client_id.clone());
        token.user_id = Some(self.shared.user_id.clone());
        token.login = Some(self.shared.login.clone());
        let mut state = self.state();
        state.unsaved = fresh.unsaved.is_some().then(|| Unsaved {
            displaced: in_store,
            tried_at: Instant::now(),
        });
        state.token = token;
        state.unauthorized = false;
        state.validated_at = Instant::now();
        Ok(())
    }

    /// Refreshes `from` (the stored pair, or ours while unsaved); a failed save is reported.
    fn refresh_from(&self, from: &StoredToken) -> Result<Fresh, Error> {
        let fresh = self
            .shared
            .keeper
            .refresh(from)?
            .ok_or(Error::LoginRequired)?;
        if let Some(error) = &fresh.unsaved {
            report_unsaved(error);
        }
        Ok(fresh)
    }

    /// The pair another program stored without saying whose it is, once Twitch said it is
    /// this handle's user's: as it is while fresh, else refreshed.
    fn use_unknown(&self, stored: StoredToken) -> Result<Fresh, Error> {
        let keeper = &self.shared.keeper;
        let fresh = match keeper.validate(&stored.access_token)? {
            Validation::Valid(info) => {
                self.check_owner(&info.user_id, &info.login)?;
                let (access, refresh) = (stored.access_token, stored.refresh_token);
                let token = StoredToken::validated(access, refresh, info);
                if token.expires_within(keeper.refresh_margin) {
                    self.refresh_from(&token)?
                } else {
                    Fresh {
                        token,
                        unsaved: None,
                    }
                }
            }
            // Expired: only its refresh tells whose it is. It is the stored pair, so its refresh
            // token is the one to send.
            Validation::Rejected => self.refresh_from(&stored)?,
        };
        self.check_owner(&fresh.token.user_id, &fresh.token.login)?;
        Ok(fresh)
    }

    /// [`Error::StoreChanged`] unless the user Twitch named is this handle's.
    fn check_owner(&self, user_id: &Option<String>, login: &Option<String>) -> Result<(), Error> {
        match user_id {
            Some(id) if *id != self.shared.user_id => Err(Error::StoreChanged {
                stored_login: Some(login.clone().unwrap_or_else(|| id.clone())),
            }),
            _ => Ok(()),
        }
    }

    /// Decides, from what the store holds now, which pair a refresh starts from.
    fn start(
        &self,
        mine: StoredToken,
        stored: Option<StoredToken>,
        unsaved: Option<&Unsaved>,
    ) -> Result<Start, Error> {
        let displaced = unsaved.and_then(|u| u.displaced.as_ref());
        let stored = match stored {
            Some(stored) if stored.same_pair(&mine) => return Ok(Start::Refresh(mine)),
            // Our pair replaced the stored one, but could not be saved: ours is the newest.
            Some(stored) if displaced == Some(&stored.refresh_token) => {
                return Ok(Start::Refresh(mine));
            }
            None if unsaved.is_some() => return Ok(Start::Refresh(mine)),
            // Logged out elsewhere (or the file was removed): our refresh token may be revoked
            // or spent, and is not sent on a guess.
            None => return Err(Error::StoreChanged { stored_login: None }),
            Some(stored) => stored,
        };
        self.check_owner(&stored.user_id, &stored.login)?;
        if stored.user_id.is_none() {
            return Ok(Start::Unknown(stored));
        }
        let mut stored = stored;
        stored.client_id = Some(self.shared.client_id.clone());
        stored.user_id = Some(self.shared.user_id.clone());
        stored.login = Some(self.shared.login.clone());
        if stored.expires_within(self.shared.keeper.refresh_margin) {
            Ok(Start::Refresh(stored))
        } else {
            Ok(Start::Adopt(stored))
        }
    }

    fn refreshing(&self) -> MutexGuard<'_, ()> {
        self.shared
            .refreshing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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

/// Tells the user, once per failure, that a new pair is kept in memory only. stderr, since a
/// lost pair can cost a login and nothing else would say so; `is_saved` tells the program.
fn report_unsaved(error: &Error) {
    log::warn!("twitch-auth: {error}; the new token is kept in memory and saved again later");
    eprintln!(
        "twitch-auth: {error}; the new token is kept in memory and saved again later \
         (UserToken::is_saved)"
    );
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
