//! The record a store keeps: a token pair with what is known about it (owner, app, scopes,
//! expiry), and the time arithmetic on its expiry.

use std::time::{Duration, SystemTime};

use crate::oauth::{Grant, TokenInfo};
use crate::scope;
use crate::{AccessToken, RefreshToken, Scope};

/// A token pair as a store keeps it, with what is known about it.
///
/// The identity fields (`client_id`, `user_id`, `login`) and `expires_at` are optional: a store
/// that only has the pair (pyTwitchAPI's file) is asked about the rest by a validation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredToken {
    /// The access token.
    pub access_token: AccessToken,
    /// Its refresh token.
    pub refresh_token: RefreshToken,
    /// The app the pair was issued to, if known.
    pub client_id: Option<String>,
    /// The user's id, if known.
    pub user_id: Option<String>,
    /// The user's login name, if known.
    pub login: Option<String>,
    /// The scopes the token holds, if known (empty otherwise).
    pub scopes: Vec<Scope>,
    /// When the access token expires; `None` when unknown or never.
    pub expires_at: Option<SystemTime>,
}

impl StoredToken {
    /// A pair with nothing else known about it.
    pub fn new(access_token: impl Into<String>, refresh_token: impl Into<String>) -> Self {
        StoredToken {
            access_token: AccessToken::new(access_token),
            refresh_token: RefreshToken::new(refresh_token),
            client_id: None,
            user_id: None,
            login: None,
            scopes: Vec::new(),
            expires_at: None,
        }
    }

    /// A pair just obtained (a refresh or a login's answer) for the app `client_id`, with what
    /// the answer said of it; whose it is stays unknown until it is validated.
    pub(crate) fn granted(grant: Grant, refresh_token: RefreshToken, client_id: &str) -> Self {
        StoredToken {
            access_token: grant.access_token,
            refresh_token,
            client_id: Some(client_id.to_owned()),
            user_id: None,
            login: None,
            scopes: scope::sorted(grant.scopes),
            expires_at: expires_after(grant.expires_in),
        }
    }

    /// A pair with all that `validate` said about it.
    pub(crate) fn validated(
        access_token: AccessToken,
        refresh_token: RefreshToken,
        info: TokenInfo,
    ) -> Self {
        StoredToken {
            access_token,
            refresh_token,
            client_id: Some(info.client_id),
            user_id: info.user_id,
            login: info.login,
            scopes: scope::sorted(info.scopes),
            expires_at: expires_after(Some(info.expires_in)),
        }
    }

    /// Whether the store says the access token has expired by `time`.
    pub(crate) fn expires_by(&self, time: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| at <= time)
    }

    /// Whether the access token expires within `margin` from now.
    pub(crate) fn expires_within(&self, margin: Duration) -> bool {
        expires_within(self.expires_at, margin)
    }

    /// Whether `other` holds the same access and refresh token.
    pub(crate) fn same_pair(&self, other: &StoredToken) -> bool {
        self.access_token == other.access_token && self.refresh_token == other.refresh_token
    }

    /// The user id and login, when the store knows them for this app.
    pub(crate) fn identity_for(&self, client_id: &str) -> Option<(String, String)> {
        match (&self.client_id, &self.user_id, &self.login) {
            (Some(client), Some(user_id), Some(login)) if client == client_id => {
                Some((user_id.clone(), login.clone()))
            }
            _ => None,
        }
    }
}

/// The expiry of a token with `expires_in` seconds left; 0 and absent mean "never", and so
/// does a time past what the clock can count.
pub(crate) fn expires_after(expires_in: Option<u64>) -> Option<SystemTime> {
    expires_in
        .filter(|secs| *secs > 0)
        .and_then(|secs| SystemTime::now().checked_add(Duration::from_secs(secs)))
}

/// How long a token expiring at `expires_at` has left: `None` for one that never expires, zero
/// once it has expired. Serves both handles' `expires_in`.
pub(crate) fn time_left(expires_at: Option<SystemTime>) -> Option<Duration> {
    Some(
        expires_at?
            .duration_since(SystemTime::now())
            .unwrap_or_default(),
    )
}

/// Whether a token expiring at `expires_at` (`None`: never) expires within `margin` from now;
/// a margin past the end of time counts as "yes" for a token that expires at all.
pub(crate) fn expires_within(expires_at: Option<SystemTime>, margin: Duration) -> bool {
    match SystemTime::now().checked_add(margin) {
        Some(time) => expires_at.is_some_and(|at| at <= time),
        None => expires_at.is_some(),
    }
}
