//! The state a [`UserToken`](crate::UserToken) and its clones share, and what the handle does
//! with it: every refresh, save retry and revoke under the store's lock, as the pair model
//! (`model.rs`) decides from one read of the store.

use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant, SystemTime};

use crate::keeper::{Fresh, Keeper};
use crate::model::{self, Act, Decision, Held, Seen};
use crate::oauth::Validation;
use crate::pacing::{self, Failure, Pacing, Serve};
use crate::scope;
use crate::spent::{self, Successor};
use crate::{AccessToken, Error, Outcome, RefreshToken, StoredToken};

pub(crate) struct Shared {
    pub(crate) keeper: Keeper,
    pub(crate) client_id: String,
    pub(crate) login: String,
    pub(crate) user_id: String,
    pub(crate) outcome: Outcome,
    /// Held for a whole refresh, save or revoke (the store's lock, requests), so that threads
    /// needing one wait for its result, and only them: getters take `state` alone.
    pub(crate) refreshing: Mutex<()>,
    /// Held only to read or replace the state, never across a request or the store's lock.
    pub(crate) state: Mutex<State>,
}

pub(crate) struct State {
    pub(crate) token: StoredToken,
    /// Saved, unsaved (and what it displaced), or logged out: the model's column.
    pub(crate) held: Held,
    /// Why the handle ended (its own `revoke()`, a log out elsewhere, another user's pair):
    /// what every later call returns.
    pub(crate) ended_by: Option<Error>,
    pub(crate) validated_at: Instant,
    /// The app reported a 401 for the current access token.
    pub(crate) unauthorized: bool,
    /// When a save of an unsaved pair was last tried.
    pub(crate) save_tried_at: Instant,
    /// Access tokens of pairs this handle held and replaced, while they may be alive: Twitch
    /// keeps an access token valid after its refresh, and a log out revokes them too.
    pub(crate) replaced: Vec<AccessToken>,
    /// The pair came from refreshing a stored pair that did not say whose it is, and Twitch
    /// could not be asked yet: it is checked before it is handed out.
    pub(crate) unverified: bool,
    /// Refresh attempts ended so far, and the last one's error: threads that waited for an
    /// attempt get its result, instead of each trying again after it.
    pub(crate) attempts: u64,
    pub(crate) last_failure: Option<Error>,
    /// The back-off after failed requests for the current token (`pacing.rs`).
    pub(crate) pacing: Pacing,
}

/// How many replaced access tokens a handle remembers for its log out: a token lives about four
/// hours, and is replaced about as often (more only after reported 401s).
const MAX_REPLACED: usize = 16;

/// How often a failed save is tried again by [`UserToken::access_token`].
const SAVE_RETRY_INTERVAL: Duration = Duration::from_secs(60);

/// Whether a save retry may wait for the lock.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    Yes,
    No,
}

impl Shared {
    pub(crate) fn new(
        keeper: Keeper,
        fresh: Fresh,
        outcome: Outcome,
        displaced: Option<RefreshToken>,
    ) -> Shared {
        let Fresh { token, unsaved } = fresh;
        let client_id = token
            .client_id
            .clone()
            .unwrap_or_else(|| keeper.app.client_id.clone());
        let held = match unsaved {
            Some(error) => {
                report_unsaved(&error);
                Held::Unsaved { displaced }
            }
            None => Held::Saved,
        };
        Shared {
            client_id,
            login: token.login.clone().unwrap_or_default(),
            user_id: token.user_id.clone().unwrap_or_default(),
            outcome,
            keeper,
            refreshing: Mutex::new(()),
            state: Mutex::new(State {
                token,
                held,
                ended_by: None,
                validated_at: Instant::now(),
                unauthorized: false,
                save_tried_at: Instant::now(),
                replaced: Vec::new(),
                unverified: false,
                attempts: 0,
                last_failure: None,
                pacing: Pacing::default(),
            }),
        }
    }

    /// The current access token, refreshed first when due; a refresh that fails while the
    /// token is still usable hands it out anyway, as `pacing.rs` decides.
    pub(crate) fn access_token(&self) -> Result<AccessToken, Error> {
        if self.state().unverified {
            self.verify()?;
        }
        if self.keeper.store.is_shared() {
            self.take_up_stored();
        }
        let (access, retry_save) = {
            let state = self.state();
            self.refuse_if_logged_out(&state)?;
            let access = state.token.access_token.clone();
            let running = state.pacing.running(&access);
            let serve = pacing::decide(self.due(&state), usable(&state), running.map(|r| r.0));
            match (serve, running) {
                (Serve::Current, _) => {}
                (Serve::Fail, Some((_, error))) => return Err(error.duplicate()),
                (Serve::Refresh | Serve::Fail, _) => {
                    drop(state);
                    return self.refreshed(access);
                }
            }
            let retry_save = matches!(state.held, Held::Unsaved { .. })
                && state.save_tried_at.elapsed() >= SAVE_RETRY_INTERVAL;
            (access, retry_save)
        };
        if retry_save {
            // Reported already; the token is usable meanwhile, and is never held up by it. A
            // log out it finds ends the handle now.
            let _ = self.save_retry(Wait::No);
            self.refuse_if_logged_out(&self.state())?;
        }
        Ok(access)
    }

    /// Refreshes `access` and hands out its successor; when the refresh fails, `access` itself
    /// while it is still usable and the failure transient (logged at `warn`).
    fn refreshed(&self, access: AccessToken) -> Result<AccessToken, Error> {
        let error = match self.refresh(&access) {
            Ok(()) => {
                let state = self.state();
                self.refuse_if_logged_out(&state)?;
                return Ok(state.token.access_token.clone());
            }
            Err(error) => error,
        };
        let state = self.state();
        if state.token.access_token != access || matches!(state.held, Held::LoggedOut { .. }) {
            // Replaced meanwhile (kept unsaved), or the handle ended: the error says so.
            return Err(error);
        }
        match pacing::decide(true, usable(&state), Some(Failure::of(&error))) {
            Serve::Current => {
                let left = crate::store::time_left(state.token.expires_at).map_or_else(
                    || "does not expire".to_owned(),
                    |left| format!("valid for {} s more", left.as_secs()),
                );
                log::warn!(
                    "twitch-auth: {error}; the current access token ({left}) is used meanwhile"
                );
                Ok(access)
            }
            Serve::Refresh | Serve::Fail => Err(error),
        }
    }

    /// Whether the current token needs a refresh: it expires within the refresh margin, or
    /// the app reported a 401 for it.
    fn due(&self, state: &State) -> bool {
        state.unauthorized || state.token.expires_within(self.keeper.refresh_margin)
    }

    pub(crate) fn report_unauthorized_header(&self, authorization: &str) {
        let mut state = self.state();
        if state.token.access_token.is_carried_by(authorization) {
            state.unauthorized = true;
        }
    }

    pub(crate) fn report_unauthorized(&self, rejected: &AccessToken) {
        let mut state = self.state();
        if state.token.access_token == *rejected {
            state.unauthorized = true;
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let shared = self;
        let access = {
            let state = shared.state();
            shared.refuse_if_logged_out(&state)?;
            if state.unverified {
                drop(state);
                return shared.verify();
            }
            state.token.access_token.clone()
        };
        let answer = shared.keeper.validate(&access);
        let mut state = shared.state();
        let current = state.token.access_token == access;
        match answer {
            Err(error) => {
                if current {
                    state.pacing.failed(&access, &error, shared.keeper.backoff);
                }
                Err(error)
            }
            Ok(Validation::Valid(info)) => {
                if current {
                    let refresh = state.token.refresh_token.clone();
                    state.token = shared.as_mine(StoredToken::validated(access, refresh, info));
                    state.validated_at = Instant::now();
                    state.pacing.succeeded();
                }
                Ok(())
            }
            Ok(Validation::Rejected) => {
                if current {
                    // Twitch says it no longer works: never handed out again, even while a
                    // refresh fails.
                    state.unauthorized = true;
                }
                drop(state);
                shared.refresh(&access)
            }
        }
    }

    pub(crate) fn validate_if_due(&self) -> Result<bool, Error> {
        let interval = self.keeper.validate_interval;
        if self.keeper.store.is_shared() {
            // The fleet's validation is of the pair it holds now.
            self.take_up_stored();
        }
        let access = {
            let state = self.state();
            let due = state.validated_at.elapsed() >= interval
                && state.pacing.running(&state.token.access_token).is_none();
            if !due {
                return Ok(false);
            }
            state.token.access_token.clone()
        };
        // A fleet validates each token once per interval, not once per worker.
        match self.keeper.store.claim_validation(&access, interval) {
            Ok(Some(ago)) => {
                log::debug!("twitch-auth: another worker validated the token {ago:?} ago");
                let mut state = self.state();
                if state.token.access_token == access {
                    state.validated_at =
                        Instant::now().checked_sub(ago).unwrap_or_else(Instant::now);
                }
                return Ok(false);
            }
            Ok(None) => {}
            Err(error) => log::debug!("twitch-auth: {error}; validating without the store"),
        }
        self.validate()?;
        Ok(true)
    }

    /// On a store workers share, takes up a newer pair another worker saved, as the model's
    /// *use* column says: read without the lock, since it only adopts, and never while a
    /// refresh of this process's runs (that reads the store itself). A store that cannot be
    /// read now changes nothing: the current token is served, and the next refresh decides.
    fn take_up_stored(&self) {
        let turn = match self.refreshing.try_lock() {
            Ok(turn) => turn,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        if self.state().unverified {
            return;
        }
        let (mine, held) = self.mine_and_held();
        let stored = self.keeper.store.load();
        if let Ok(Some(stored)) = &stored
            && stored.same_pair(&mine)
        {
            return;
        }
        let seen = self.classify(&stored, &mine, &held);
        if model::decide(Act::Use, &held, seen) != Decision::AdoptStored {
            return;
        }
        let Ok(Some(stored)) = stored else { return };
        log::debug!("twitch-auth: taking up the pair another worker stored");
        let token = self.as_mine(stored);
        {
            let mut state = self.state();
            if !state.token.same_pair(&mine) {
                return;
            }
            state.token = token.clone();
            state.unauthorized = false;
            state.pacing.succeeded();
            remember(&mut state, mine.access_token);
        }
        // Not under the turn: the callback may use the handle.
        drop(turn);
        if let Some(on_refresh) = &self.keeper.on_refresh {
            on_refresh(&token);
        }
    }

    /// Whether the store holds the current pair (see `UserToken::is_saved`).
    pub(crate) fn is_saved(&self) -> bool {
        !matches!(self.state().held, Held::Unsaved { .. })
    }

    /// Replaces the access token `seen`, one thread at a time. A thread that waited while
    /// another's attempt failed gets that attempt's error: a failure costs one attempt, and a
    /// wait is bounded by one attempt, not by the number of threads.
    fn refresh(&self, seen: &AccessToken) -> Result<(), Error> {
        let before = self.state().attempts;
        let _turn = self.refreshing();
        {
            let state = self.state();
            self.refuse_if_logged_out(&state)?;
            if state.token.access_token != *seen {
                return Ok(()); // another thread refreshed while this one waited
            }
            if state.attempts != before
                && let Some(failure) = &state.last_failure
            {
                return Err(failure.duplicate());
            }
        }
        let result = self.refresh_under_lock();
        let mut state = self.state();
        state.attempts += 1;
        state.last_failure = result.as_ref().err().map(Error::duplicate);
        match &result {
            Ok(()) => state.pacing.succeeded(),
            Err(error) if state.token.access_token == *seen => {
                state.pacing.failed(seen, error, self.keeper.backoff);
            }
            Err(_) => {} // the token changed: a back-off for it would never apply
        }
        result
    }

    /// The refresh, decided by the model from one read of the store under its lock.
    fn refresh_under_lock(&self) -> Result<(), Error> {
        let store = &self.keeper.store;
        let _lock = store.lock()?;
        let stored = store.load();
        let (mine, held) = self.mine_and_held();
        let seen = self.classify(&stored, &mine, &held);
        let decision = model::decide(Act::Refresh, &held, seen);
        log::debug!("twitch-auth: refresh: the store holds {seen:?}: {decision:?}");
        let stored = stored?; // unreadable: refused, nothing sent
        // What the store holds now, which a failed save below leaves there.
        let in_store = stored.as_ref().map(|s| s.refresh_token.clone());
        let stored_access = stored.as_ref().map(|s| s.access_token.clone());
        let fresh = match (decision, stored) {
            (Decision::LogOutSeen, _) => return Err(self.log_out_seen(&mine, &held)),
            (Decision::RefreshMine, _) => {
                if seen == Seen::Mine {
                    self.state().held = Held::Saved;
                }
                self.refresh_from(&mine, &in_store)?
            }
            (Decision::AdoptStored | Decision::AdoptStoredRevokeMine, Some(stored)) => {
                log::debug!("twitch-auth: using the pair another program stored");
                let token = self.as_mine(stored);
                // The handle's pair changed: a mirror of it must hear so as of a refresh.
                if let Some(on_refresh) = &self.keeper.on_refresh {
                    on_refresh(&token);
                }
                Fresh {
                    token,
                    unsaved: None,
                }
            }
            (Decision::RefreshStored | Decision::RefreshStoredRevokeMine, Some(stored)) => {
                self.refresh_from(&self.as_mine(stored), &in_store)?
            }
            (Decision::Identify, Some(stored)) => self.identify(stored, &in_store)?,
            (_, stored) => return Err(self.refusal(seen, stored.as_ref())),
        };
        if matches!(
            decision,
            Decision::AdoptStoredRevokeMine
                | Decision::RefreshStoredRevokeMine
                | Decision::Identify
        ) && matches!(held, Held::Unsaved { .. })
        {
            // Nobody else knows the handle's unsaved pair, and nobody will use it now.
            self.revoke_quietly(&mine, false);
        }
        self.replace(fresh, in_store);
        // A stored pair refreshed here was this handle's for a moment: its access token lives
        // on at Twitch, and a log out must revoke it too.
        if let Some(access) = stored_access {
            self.remember_replaced(access);
        }
        Ok(())
    }

    /// Before a save retry, takes what other handles of this process did to this handle's pair:
    /// when one of them refreshed it (and the store could not keep the result), the newest pair
    /// of the line is this handle's now, unsaved; when that line was logged out here, the handle
    /// ends. Without it, the retry would write back a pair whose refresh token is spent. (A
    /// refresh needs none of it: a spent refresh token is never sent, its line's newest pair is
    /// refreshed instead, and a stored successor is adopted as any newer pair.)
    pub(crate) fn catch_up(&self) -> Result<(), Error> {
        let (mine, held) = self.mine_and_held();
        match spent::newest_successor(&mine.refresh_token) {
            None => Ok(()),
            Some(Successor::Alive(newest)) => {
                log::debug!(
                    "twitch-auth: another handle refreshed this pair; taking its successor"
                );
                let displaced = match held {
                    Held::Unsaved { displaced } => displaced,
                    _ => Some(mine.refresh_token.clone()),
                };
                let newest = self.as_mine(newest);
                let mut state = self.state();
                state.token = newest;
                state.held = Held::Unsaved { displaced };
                remember(&mut state, mine.access_token);
                Ok(())
            }
            // The newest pair was revoked; this one's access token may still be alive.
            Some(Successor::Revoked) => Err(self.end(
                Held::LoggedOut { mine_alive: true },
                Error::LoggedOut {
                    by_this_handle: false,
                },
            )),
        }
    }

    /// What the store holds, compared with what the handle holds: the model's row.
    pub(crate) fn classify(
        &self,
        stored: &Result<Option<StoredToken>, Error>,
        mine: &StoredToken,
        held: &Held,
    ) -> Seen {
        let stored = match stored {
            Err(_) => return Seen::Unreadable,
            Ok(None) => return Seen::Nothing,
            Ok(Some(stored)) => stored,
        };
        if stored.same_pair(mine) {
            return Seen::Mine;
        }
        if let Held::Unsaved {
            displaced: Some(displaced),
        } = held
            && stored.refresh_token == *displaced
        {
            return Seen::Displaced;
        }
        if self.state().replaced.contains(&stored.access_token) {
            return Seen::Older;
        }
        let names_another = stored.user_id.as_ref().is_some_and(|u| *u != self.user_id)
            || stored
                .client_id
                .as_ref()
                .is_some_and(|c| *c != self.client_id);
        let known = stored.user_id.is_some()
            && stored.client_id.is_some()
            && (!stored.scopes.is_empty() || self.keeper.scopes.is_empty());
        if names_another || (known && self.foreign(stored).is_some()) {
            Seen::Foreign
        } else if !known {
            Seen::Unknown
        } else if stored.expires_within(self.keeper.refresh_margin) {
            Seen::NewerDue
        } else {
            Seen::NewerFresh
        }
    }

    /// Why a pair whose owner, app and scopes are known cannot be this handle's: another
    /// user's, another app's, an app token, or one without a wanted scope.
    pub(crate) fn foreign(&self, token: &StoredToken) -> Option<Error> {
        if let Some(client_id) = &token.client_id
            && *client_id != self.client_id
        {
            return Some(Error::WrongClient {
                token_client_id: client_id.clone(),
            });
        }
        match &token.user_id {
            None => return Some(Error::NotUserToken),
            Some(id) if *id != self.user_id => {
                return Some(Error::StoreChanged {
                    stored_login: Some(token.login.clone().unwrap_or_else(|| id.clone())),
                });
            }
            Some(_) => {}
        }
        let missing = scope::missing(&self.keeper.scopes, &token.scopes);
        (!missing.is_empty()).then_some(Error::MissingScopes { missing })
    }

    /// The error of a refused action, saying truly what the store holds.
    pub(crate) fn refusal(&self, seen: Seen, stored: Option<&StoredToken>) -> Error {
        if matches!(self.state().held, Held::LoggedOut { .. }) {
            return self.logged_out_error();
        }
        match (seen, stored) {
            (Seen::Foreign, Some(stored)) => {
                self.foreign(stored).unwrap_or_else(|| Error::StoreChanged {
                    stored_login: Some("another session".to_owned()),
                })
            }
            (Seen::Nothing, _) | (_, None) => Error::StoreChanged { stored_login: None },
            (_, Some(stored)) => Error::StoreChanged {
                stored_login: Some(
                    stored
                        .login
                        .clone()
                        .or_else(|| stored.user_id.clone())
                        .unwrap_or_else(|| "another session".to_owned()),
                ),
            },
        }
    }

    /// Refreshes `from` (the stored pair, or ours while it is the newest). A failed save is
    /// reported; a pair that could be neither saved nor validated is kept by the handle,
    /// unverified, and saved and checked later.
    fn refresh_from(
        &self,
        from: &StoredToken,
        in_store: &Option<RefreshToken>,
    ) -> Result<Fresh, Error> {
        match self.keeper.refresh(from) {
            Ok(Some(fresh)) => {
                if let Some(error) = &fresh.unsaved {
                    report_unsaved(error);
                }
                if fresh.token.user_id.is_some()
                    && let Some(e) = self.foreign(&fresh.token)
                {
                    // A pair of unknown owner, refreshed to learn whose it is (and saved).
                    return Err(e);
                }
                Ok(fresh)
            }
            Ok(None) => Err(Error::LoginRequired),
            Err(error) => {
                if let Some(token) = error.unsaved_token() {
                    report_unsaved(&error);
                    let mut state = self.state();
                    state.token = token.clone();
                    state.held = Held::Unsaved {
                        displaced: in_store.clone(),
                    };
                    state.unverified = true;
                    state.save_tried_at = Instant::now();
                }
                Err(error)
            }
        }
    }

    /// A stored pair that does not say whose it is: Twitch is asked first; an expired one can
    /// only tell by being refreshed (with its own refresh token, the stored one).
    fn identify(
        &self,
        stored: StoredToken,
        in_store: &Option<RefreshToken>,
    ) -> Result<Fresh, Error> {
        match self.keeper.validate(&stored.access_token)? {
            Validation::Valid(info) => {
                let (access, refresh) = (stored.access_token, stored.refresh_token);
                let token = StoredToken::validated(access, refresh, info);
                if let Some(e) = self.foreign(&token) {
                    return Err(e);
                }
                if token.expires_within(self.keeper.refresh_margin) {
                    self.refresh_from(&token, in_store)
                } else {
                    Ok(Fresh {
                        token,
                        unsaved: None,
                    })
                }
            }
            Validation::Rejected => self.refresh_from(&stored, in_store),
        }
    }

    /// Checks an unverified pair with Twitch before it is handed out.
    fn verify(&self) -> Result<(), Error> {
        let _turn = self.refreshing();
        let token = {
            let state = self.state();
            if !state.unverified {
                return Ok(());
            }
            if let Some((_, error)) = state.pacing.running(&state.token.access_token) {
                return Err(error.duplicate());
            }
            state.token.clone()
        };
        let answer = self
            .keeper
            .validate(&token.access_token)
            .inspect_err(|error| {
                let mut state = self.state();
                if state.token.access_token == token.access_token {
                    state
                        .pacing
                        .failed(&token.access_token, error, self.keeper.backoff);
                }
            });
        match answer? {
            Validation::Valid(info) => {
                let checked = StoredToken::validated(token.access_token, token.refresh_token, info);
                if let Some(e) = self.foreign(&checked) {
                    // Another user's pair, refreshed from the store: theirs to have back, and
                    // never this handle's to hand out.
                    self.state().token = checked;
                    drop(_turn);
                    let _ = self.save_retry(Wait::Yes);
                    return Err(self.end(Held::LoggedOut { mine_alive: false }, e));
                }
                let mut state = self.state();
                state.token = self.as_mine(checked);
                state.unverified = false;
                state.validated_at = Instant::now();
                Ok(())
            }
            // Expired since: its refresh will tell whose it is.
            Validation::Rejected => {
                self.state().unauthorized = true;
                Ok(())
            }
        }
    }

    /// Saves an unsaved pair where the model says so. `Wait::No` never waits: not for another
    /// thread's refresh, nor for the store's lock.
    pub(crate) fn save_retry(&self, wait: Wait) -> Result<(), Error> {
        let _turn = match wait {
            Wait::Yes => self.refreshing(),
            Wait::No => match self.refreshing.try_lock() {
                Ok(turn) => turn,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => return Ok(()),
            },
        };
        {
            let mut state = self.state();
            match state.held {
                Held::Saved => return Ok(()),
                Held::LoggedOut { .. } => return Err(self.logged_out_error_for(&state)),
                Held::Unsaved { .. } => state.save_tried_at = Instant::now(),
            }
        }
        self.catch_up()?;
        let store = &self.keeper.store;
        let _lock = match wait {
            Wait::Yes => store.lock()?,
            Wait::No => match store.try_lock()? {
                Some(lock) => lock,
                None => return Ok(()),
            },
        };
        let stored = store.load();
        let (mine, held) = self.mine_and_held();
        let seen = self.classify(&stored, &mine, &held);
        let stored = stored?;
        match model::decide(Act::SaveRetry, &held, seen) {
            Decision::NothingToDo => Ok(()),
            Decision::MarkSaved => {
                self.state().held = Held::Saved;
                Ok(())
            }
            Decision::WriteMine => {
                store.save(&mine)?;
                self.state().held = Held::Saved;
                Ok(())
            }
            Decision::LogOutSeen => Err(self.log_out_seen(&mine, &held)),
            _ => Err(self.refusal(seen, stored.as_ref())),
        }
    }

    /// Puts a pair just obtained in place, saved or not (then what it displaced, read under the
    /// lock, is remembered).
    fn replace(&self, fresh: Fresh, in_store: Option<RefreshToken>) {
        let token = self.as_mine(fresh.token);
        let mut state = self.state();
        let old = std::mem::replace(&mut state.token, token.clone());
        if !old.expires_by(SystemTime::now()) {
            remember(&mut state, old.access_token);
        }
        state.held = match fresh.unsaved {
            Some(_) => Held::Unsaved {
                displaced: in_store,
            },
            None => Held::Saved,
        };
        state.token = token;
        state.unauthorized = false;
        state.unverified = false;
        state.validated_at = Instant::now();
        state.save_tried_at = Instant::now();
    }

    /// Remembers an access token this handle no longer uses, for its log out.
    pub(crate) fn remember_replaced(&self, access: AccessToken) {
        remember(&mut self.state(), access);
    }

    /// `token`, labelled with this handle's user and app: a store may not say whose it is,
    /// the handle does (once the model has said the pair is this user's).
    pub(crate) fn as_mine(&self, mut token: StoredToken) -> StoredToken {
        token.client_id = Some(self.client_id.clone());
        token.user_id = Some(self.user_id.clone());
        token.login = Some(self.login.clone());
        token
    }

    pub(crate) fn mine_and_held(&self) -> (StoredToken, Held) {
        let state = self.state();
        (state.token.clone(), state.held.clone())
    }

    pub(crate) fn refreshing(&self) -> MutexGuard<'_, ()> {
        self.refreshing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic in another thread (say, in an on_refresh callback) must not make the token
        // unusable: the state is only replaced whole, so it is never half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The end of the last clone: an unsaved pair would end with it, so one save is tried, without
/// waiting for a lock.
impl Drop for Shared {
    fn drop(&mut self) {
        if matches!(self.state().held, Held::Unsaved { .. }) && self.save_retry(Wait::No).is_err() {
            log::warn!("twitch-auth: an unsaved token pair ends with its last handle");
        }
    }
}

/// Whether the current access token may still be handed out: it has not expired, and no 401
/// was reported for it.
fn usable(state: &State) -> bool {
    !state.unauthorized && !state.token.expires_by(SystemTime::now())
}

/// Adds `access` to the replaced access tokens, unless it is the current one or known already.
fn remember(state: &mut State, access: AccessToken) {
    if state.token.access_token == access || state.replaced.contains(&access) {
        return;
    }
    if state.replaced.len() == MAX_REPLACED {
        state.replaced.remove(0);
    }
    state.replaced.push(access);
}

/// Tells the user, once per failure, that a new pair is kept in memory only. stderr, since a
/// lost pair can cost a login and nothing else would say so; `is_saved` tells the program.
fn report_unsaved(error: &Error) {
    log::warn!("twitch-auth: {error}; the new token is kept in memory only until it is saved");
    eprintln!(
        "twitch-auth: {error}; the new token is kept in memory only, and saved again at the \
         next refresh or UserToken::save (a program about to exit should call it: \
         UserToken::is_saved)"
    );
}
