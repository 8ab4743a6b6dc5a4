//! Where tokens are kept: the `TokenStore` trait, the record it stores, and an in-memory store.
//!
//! The token file ([`FileStore`](crate::FileStore)) is the default. Services that keep many
//! accounts' tokens in a database implement [`TokenStore`] for one account's row.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, SystemTime};

use crate::oauth::{Grant, TokenInfo};
use crate::scope;
use crate::{AccessToken, Error, RefreshToken, Scope};

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

/// Proof that a [`TokenStore`] is locked; dropping it unlocks.
#[must_use = "the store is unlocked when this is dropped"]
pub struct StoreLock<'a>(#[allow(dead_code)] Box<dyn Held + 'a>);

trait Held {}
impl<T> Held for T {}

impl<'a> StoreLock<'a> {
    /// Wraps whatever keeps the lock held (a file lock, a mutex guard, a transaction).
    pub fn new<T: 'a>(held: T) -> Self {
        StoreLock(Box::new(held))
    }
}

impl fmt::Debug for StoreLock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreLock")
    }
}

/// Keeps one account's token pair: load, save, delete, and a lock so that only one process at a
/// time binds or refreshes it.
///
/// The lock matters: Public clients' refresh tokens are single use, and spending one twice can
/// revoke the user's grant. While the lock is held, the helper re-reads the store before it
/// refreshes, so a pair refreshed by another process is used instead of refreshed again.
///
/// # Example: a store of your own
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use twitch_auth::{Error, StoreLock, StoredToken, TokenStore};
///
/// /// One account's row in a table shared by many accounts (a `HashMap` stands in for it).
/// #[derive(Debug)]
/// struct AccountRow<'db> {
///     db: &'db Mutex<HashMap<String, StoredToken>>,
///     account: String,
/// }
///
/// impl TokenStore for AccountRow<'_> {
///     fn load(&self) -> Result<Option<StoredToken>, Error> {
///         Ok(self.db.lock().unwrap().get(&self.account).cloned())
///     }
///     fn save(&self, token: &StoredToken) -> Result<(), Error> {
///         self.db.lock().unwrap().insert(self.account.clone(), token.clone());
///         Ok(())
///     }
///     fn delete(&self) -> Result<(), Error> {
///         self.db.lock().unwrap().remove(&self.account);
///         Ok(())
///     }
///     fn lock(&self) -> Result<StoreLock<'_>, Error> {
///         // A real database would take a row lock (SELECT … FOR UPDATE) in a transaction here.
///         Ok(StoreLock::new(()))
///     }
/// }
///
/// let db = Mutex::new(HashMap::new());
/// let row = AccountRow { db: &db, account: "streamer-1".into() };
/// row.save(&StoredToken::new("access", "refresh"))?;
/// assert_eq!(row.load()?.unwrap().refresh_token.secret(), "refresh");
/// # Ok::<(), Error>(())
/// ```
///
/// A store given to [`Helper::store`](crate::Helper::store) must be `'static`: own the
/// connection (or an `Arc` of it) rather than borrow it.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored pair; `None` when there is none or it cannot be used.
    ///
    /// # Errors
    ///
    /// When the store cannot be read at all; `bind()` then stops rather than log in again.
    fn load(&self) -> Result<Option<StoredToken>, Error>;

    /// Replaces the stored pair. Must be durable when it returns: the pair's refresh token may be
    /// the only one left.
    ///
    /// # Errors
    ///
    /// When the pair could not be stored.
    fn save(&self, token: &StoredToken) -> Result<(), Error>;

    /// Checks that a [`save`](Self::save) would succeed now, before a refresh token or a login
    /// code is spent: a pair that cannot be kept is a pair lost (and a spent single-use refresh
    /// token sent again by the next run). Called with the lock held before a refresh, and before
    /// a login starts.
    ///
    /// The default does nothing: a store that cannot check ahead reports its failure from
    /// `save`, and the helper then keeps the new pair in memory (see
    /// [`UserToken::is_saved`](crate::UserToken::is_saved)).
    ///
    /// # Errors
    ///
    /// When the store cannot be written: nothing is requested then.
    fn prepare_save(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Checks, before `from`'s refresh token is spent, that the new pair can take its place:
    /// called with the lock held, instead of [`prepare_save`](Self::prepare_save), before a
    /// refresh.
    ///
    /// The default calls `prepare_save`. [`FileStore`](crate::FileStore) also refuses a pair
    /// it read through a symbolic link: saving replaces the link, not the file it leads to,
    /// which would keep the spent refresh token for whoever reads that file.
    ///
    /// # Errors
    ///
    /// When the new pair could not be kept: nothing is requested then.
    fn prepare_refresh(&self, from: &StoredToken) -> Result<(), Error> {
        let _ = from;
        self.prepare_save()
    }

    /// Forgets the stored pair (after a log out).
    ///
    /// # Errors
    ///
    /// When the pair could not be removed.
    fn delete(&self) -> Result<(), Error>;

    /// Waits until no other thread or process holds the lock, then holds it until the returned
    /// guard is dropped. The wait must be bounded: a process stopped while holding the lock
    /// must not block the others forever.
    ///
    /// A store that cannot be written at all (a read-only mount) may return a guard that holds
    /// nothing: whoever cannot write cannot spend a refresh token either, since
    /// [`prepare_save`](Self::prepare_save) fails first.
    ///
    /// # Errors
    ///
    /// When the lock cannot be taken, or was not free in time.
    fn lock(&self) -> Result<StoreLock<'_>, Error>;

    /// Takes the lock if no other thread or process holds it, without waiting: `None` when it
    /// is held elsewhere. Used for what must never wait, such as the save retry of a token that
    /// is not due.
    ///
    /// The default calls [`lock`](Self::lock), and so waits as it does; override it when the
    /// store can tell at once.
    ///
    /// # Errors
    ///
    /// When the lock cannot be taken for another reason than being held elsewhere.
    fn try_lock(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.lock().map(Some)
    }

    /// Takes the login lock if no other thread or process holds it, without waiting: `None`
    /// when it is held elsewhere. `bind()` holds it for a whole login (never the lock of
    /// [`lock`](Self::lock), which refreshes need meanwhile), so that two programs needing a
    /// login for one store ask the person once: the second waits, then uses the pair the
    /// first stored.
    ///
    /// The default holds nothing (logins are not serialized); [`FileStore`](crate::FileStore)
    /// locks a file beside the token file, [`MemoryStore`] a mutex.
    ///
    /// # Errors
    ///
    /// When the lock cannot be taken for another reason than being held elsewhere.
    fn try_lock_login(&self) -> Result<Option<StoreLock<'_>>, Error> {
        Ok(Some(StoreLock::new(())))
    }
}

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        (**self).load()
    }
    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        (**self).save(token)
    }
    fn prepare_save(&self) -> Result<(), Error> {
        (**self).prepare_save()
    }
    fn prepare_refresh(&self, from: &StoredToken) -> Result<(), Error> {
        (**self).prepare_refresh(from)
    }
    fn delete(&self) -> Result<(), Error> {
        (**self).delete()
    }
    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        (**self).lock()
    }
    fn try_lock(&self) -> Result<Option<StoreLock<'_>>, Error> {
        (**self).try_lock()
    }
    fn try_lock_login(&self) -> Result<Option<StoreLock<'_>>, Error> {
        (**self).try_lock_login()
    }
}

/// A store in memory, for tests and for programs that must not write files. Its lock works
/// between threads of one process.
///
/// Give it to the helper as `Arc<MemoryStore>` to look at it afterwards:
///
/// ```
/// use std::sync::Arc;
/// use twitch_auth::{MemoryStore, StoredToken, TokenStore};
///
/// let store = Arc::new(MemoryStore::with_token(StoredToken::new("access", "refresh")));
/// // Helper::new(scopes).store(store.clone()) …
/// assert!(store.load()?.is_some());
/// # Ok::<(), twitch_auth::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    token: Mutex<Option<StoredToken>>,
    lock: Mutex<()>,
    /// Held for a whole login ([`TokenStore::try_lock_login`]).
    login: Mutex<()>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `token`.
    pub fn with_token(token: StoredToken) -> Self {
        MemoryStore {
            token: Mutex::new(Some(token)),
            lock: Mutex::new(()),
            login: Mutex::new(()),
        }
    }

    fn token(&self) -> MutexGuard<'_, Option<StoredToken>> {
        // A panic elsewhere cannot leave the Option half-written.
        self.token.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        Ok(self.token().clone())
    }
    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        *self.token() = Some(token.clone());
        Ok(())
    }
    fn delete(&self) -> Result<(), Error> {
        *self.token() = None;
        Ok(())
    }
    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        Ok(StoreLock::new(
            self.lock.lock().unwrap_or_else(PoisonError::into_inner),
        ))
    }
    fn try_lock(&self) -> Result<Option<StoreLock<'_>>, Error> {
        Ok(match self.lock.try_lock() {
            Ok(guard) => Some(StoreLock::new(guard)),
            Err(TryLockError::Poisoned(poisoned)) => Some(StoreLock::new(poisoned.into_inner())),
            Err(TryLockError::WouldBlock) => None,
        })
    }
    fn try_lock_login(&self) -> Result<Option<StoreLock<'_>>, Error> {
        Ok(match self.login.try_lock() {
            Ok(guard) => Some(StoreLock::new(guard)),
            Err(TryLockError::Poisoned(poisoned)) => Some(StoreLock::new(poisoned.into_inner())),
            Err(TryLockError::WouldBlock) => None,
        })
    }
}
