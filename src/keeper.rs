//! What keeps a token usable after `bind()`: refresh (saved before use), validation, revoke.
//! Shared by `Helper::bind` and the `UserToken` handle.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::app::App;
use crate::oauth::{Client, Refresh, TokenInfo, Validation};
use crate::{AccessToken, Error, RefreshToken, Scope, StoredToken, TokenStore};

/// Told about every refreshed pair, after it was saved.
pub(crate) type RefreshCallback = dyn Fn(&StoredToken) + Send + Sync;

/// The app, its HTTP client and the store, with the settings of the long-lived token.
#[derive(Clone)]
pub(crate) struct Keeper {
    pub(crate) app: App,
    pub(crate) client: Client,
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) on_refresh: Option<Arc<RefreshCallback>>,
    /// Refresh this long before the expiry, so a token is never handed out about to expire.
    pub(crate) refresh_margin: Duration,
    /// How often `validate_if_due` validates: Twitch requires hourly.
    pub(crate) validate_interval: Duration,
}

impl Keeper {
    /// Refreshes `stored` and saves the new pair before returning it: a rotated refresh token
    /// may be single use. `None` when Twitch rejects the refresh token.
    ///
    /// The caller holds the store's lock.
    pub(crate) fn refresh(&self, stored: &StoredToken) -> Result<Option<StoredToken>, Error> {
        let grant = match self.client.refresh(&self.app, &stored.refresh_token)? {
            Refresh::Granted(grant) => grant,
            Refresh::Rejected => return Ok(None),
        };
        let mut token = StoredToken {
            access_token: grant.access_token,
            // Keep the old refresh token if the answer carries none.
            refresh_token: grant
                .refresh_token
                .unwrap_or_else(|| stored.refresh_token.clone()),
            client_id: Some(self.app.client_id.clone()),
            user_id: None,
            login: None,
            scopes: sorted(grant.scopes),
            expires_at: expires_after(grant.expires_in),
        };
        if let Some((user_id, login)) = stored.identity_for(&self.app.client_id) {
            token.user_id = Some(user_id);
            token.login = Some(login);
        }
        self.store.save(&token)?;
        if token.user_id.is_none() {
            // The store did not say whose token it is (a pyTwitchAPI file): ask Twitch, now that
            // the new pair is safe.
            match self.client.validate(&self.app, &token.access_token)? {
                Validation::Valid(info) => {
                    token = stored_from(token.access_token, token.refresh_token, info)
                }
                Validation::Rejected => return Err(Error::NewTokenRejected),
            }
            self.store.save(&token)?;
        }
        if let Some(on_refresh) = &self.on_refresh {
            on_refresh(&token);
        }
        Ok(Some(token))
    }

    /// `GET validate`.
    pub(crate) fn validate(&self, access: &AccessToken) -> Result<Validation, Error> {
        self.client.validate(&self.app, access)
    }

    /// Revokes the access token at Twitch and forgets the stored pair.
    pub(crate) fn revoke(&self, access: &AccessToken) -> Result<(), Error> {
        self.client.revoke(&self.app, access)?;
        let _lock = self.store.lock()?;
        self.store.delete()
    }
}

impl fmt::Debug for Keeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("app", &self.app)
            .field("store", &self.store)
            .field("on_refresh", &self.on_refresh.as_ref().map(|_| ".."))
            .field("refresh_margin", &self.refresh_margin)
            .field("validate_interval", &self.validate_interval)
            .finish_non_exhaustive()
    }
}

/// A stored pair with all that `validate` said about it.
pub(crate) fn stored_from(
    access: AccessToken,
    refresh: RefreshToken,
    info: TokenInfo,
) -> StoredToken {
    StoredToken {
        access_token: access,
        refresh_token: refresh,
        client_id: Some(info.client_id),
        user_id: info.user_id,
        login: info.login,
        scopes: sorted(info.scopes),
        expires_at: expires_after(Some(info.expires_in)),
    }
}

/// The expiry of a token with `expires_in` seconds left; 0 and absent mean "never".
pub(crate) fn expires_after(expires_in: Option<u64>) -> Option<SystemTime> {
    expires_in
        .filter(|secs| *secs > 0)
        .and_then(|secs| SystemTime::now().checked_add(Duration::from_secs(secs)))
}

pub(crate) fn sorted(scopes: Vec<Scope>) -> Vec<Scope> {
    scopes
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The requested scopes that `granted` lacks, compared as sets.
pub(crate) fn missing(requested: &[Scope], granted: &[Scope]) -> Vec<Scope> {
    requested
        .iter()
        .filter(|scope| !granted.contains(scope))
        .cloned()
        .collect()
}
