//! What keeps a token usable after `bind()`: refresh (saved before use), validation, revoke.
//! Shared by `Helper::bind` and the `UserToken` handle.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::oauth::{Client, Refresh, TokenInfo, Validation};
use crate::pacing::Backoff;
use crate::spent::{self, Successor};
use crate::{AccessToken, Error, Scope, Step, StoredToken, TokenStore};

/// Told about every refreshed pair, after it was saved (or kept in memory when the save failed).
pub(crate) type RefreshCallback = dyn Fn(&StoredToken) + Send + Sync;

/// The app, its HTTP client and the store, with the settings of the long-lived token.
pub(crate) struct Keeper {
    pub(crate) app: App,
    pub(crate) client: Client,
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) on_refresh: Option<Arc<RefreshCallback>>,
    /// The scopes asked for: a pair another program stored is used only if it has them all.
    pub(crate) scopes: Vec<Scope>,
    /// Refresh this long before the expiry, so a token is never handed out about to expire.
    pub(crate) refresh_margin: Duration,
    /// How often `validate_if_due` validates: Twitch requires hourly.
    pub(crate) validate_interval: Duration,
    /// How long a handle waits after a failed refresh or validation before it asks again.
    pub(crate) backoff: Backoff,
}

/// A pair just obtained (by a refresh or a login), and whether the store kept it.
#[derive(Debug)]
pub(crate) struct Fresh {
    pub(crate) token: StoredToken,
    /// Why the save after the request failed: the pair is then kept in memory only, by the
    /// handle, which saves it again later. Never dropped: its refresh token may be the only one
    /// left.
    pub(crate) unsaved: Option<Error>,
}

impl Keeper {
    /// Refreshes `from` and saves the new pair before returning it: a rotated refresh token may
    /// be single use. `None` when Twitch rejects the refresh token. Nothing is requested when
    /// the store cannot keep the new pair ([`TokenStore::prepare_refresh`]).
    ///
    /// The caller holds the store's lock, and `from` is the pair the store holds (or the
    /// handle's own pair while a save of it is pending).
    pub(crate) fn refresh(&self, from: &StoredToken) -> Result<Option<Fresh>, Error> {
        self.store.prepare_refresh(from)?;
        // A refresh token this process spent already, while the store could not keep what
        // replaced it: the newest pair of its line is refreshed instead, never it again.
        let successor = match spent::newest_successor(&from.refresh_token) {
            Some(Successor::Alive(successor)) => {
                log::debug!(
                    "twitch-auth: the refresh token was spent here; refreshing its successor"
                );
                Some(successor)
            }
            Some(Successor::Revoked) => {
                log::debug!("twitch-auth: the refresh token was spent here, and its line revoked");
                return Ok(None);
            }
            None => None,
        };
        let spending = successor
            .as_ref()
            .map_or(&from.refresh_token, |s| &s.refresh_token);
        log::debug!("twitch-auth: refreshing the token");
        let grant = match self.client.refresh(&self.app, spending)? {
            Refresh::Granted(grant) => grant,
            Refresh::Rejected => {
                log::debug!("twitch-auth: Twitch rejected the refresh token");
                return Ok(None);
            }
        };
        // Keep the old refresh token if the answer carries none.
        let refresh_token = grant
            .refresh_token
            .clone()
            .unwrap_or_else(|| spending.clone());
        let mut token = StoredToken::granted(grant, refresh_token, &self.app.client_id);
        spent::record(spending, &token);
        if token.user_id.is_none()
            && let Some((user_id, login)) = from.identity_for(&self.app.client_id)
        {
            token.user_id = Some(user_id);
            token.login = Some(login);
        }
        let mut fresh = self.keep(token);
        if fresh.token.user_id.is_none() {
            // The store did not say whose token it is (a pyTwitchAPI file): ask Twitch, now
            // that the new pair is safe.
            fresh = self.validate_new(fresh)?.0;
        }
        if let Some(on_refresh) = &self.on_refresh {
            on_refresh(&fresh.token);
        }
        Ok(Some(fresh))
    }

    /// Saves a pair just obtained. A failed save keeps the pair, with the error.
    pub(crate) fn keep(&self, token: StoredToken) -> Fresh {
        let unsaved = self.store.save(&token).err();
        Fresh { token, unsaved }
    }

    /// Asks Twitch whose a pair just obtained (and saved first) is, and saves it again with
    /// the answer. Returns the answer too, for the caller's checks.
    ///
    /// # Errors
    ///
    /// A failed request, reported at [`Step::ValidateNew`], whose message says the pair was
    /// saved; or, when it was not and a second try failed too, [`Error::Unsaved`], which
    /// carries the pair: a pair in hand is never dropped.
    pub(crate) fn validate_new(&self, mut fresh: Fresh) -> Result<(Fresh, TokenInfo), Error> {
        let answer = self.client.validate(&self.app, &fresh.token.access_token);
        if !matches!(answer, Ok(Validation::Valid(_)))
            && let Some(save_error) = fresh.unsaved.take()
        {
            // The pair is in hand and nowhere else, and without an answer no handle can carry
            // it: one more try to keep it before the failure is reported.
            if self.store.save(&fresh.token).is_err() {
                let validation = match answer {
                    Ok(_) => Error::NewTokenRejected,
                    Err(e) => e.at_step(Step::ValidateNew),
                };
                return Err(Error::Unsaved {
                    token: Box::new(fresh.token),
                    save: Box::new(save_error),
                    validation: Box::new(validation),
                });
            }
        }
        let info = match answer {
            Ok(Validation::Valid(info)) => info,
            Ok(Validation::Rejected) => return Err(Error::NewTokenRejected),
            Err(e) => return Err(e.at_step(Step::ValidateNew)),
        };
        let token = StoredToken::validated(
            fresh.token.access_token,
            fresh.token.refresh_token,
            info.clone(),
        );
        // The pair itself is safe already; a failure here only loses what validate said.
        let unsaved = self.store.save(&token).err();
        Ok((Fresh { token, unsaved }, info))
    }

    /// `GET validate`.
    pub(crate) fn validate(&self, access: &AccessToken) -> Result<Validation, Error> {
        self.client.validate(&self.app, access)
    }

    /// `POST revoke` for one access token (its pair goes with it).
    pub(crate) fn revoke(&self, access: &AccessToken) -> Result<(), Error> {
        self.revoke_as(&self.app, access)
    }

    /// `POST revoke` for an access token of `app` (another app's, in a shared file).
    pub(crate) fn revoke_as(&self, app: &App, access: &AccessToken) -> Result<(), Error> {
        self.client.revoke(app, access)?;
        spent::revoked(access);
        Ok(())
    }
}

impl fmt::Debug for Keeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("app", &self.app)
            .field("store", &self.store)
            .field("on_refresh", &self.on_refresh.as_ref().map(|_| ".."))
            .field("scopes", &self.scopes)
            .field("refresh_margin", &self.refresh_margin)
            .field("validate_interval", &self.validate_interval)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}
