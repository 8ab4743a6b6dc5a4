//! Where tokens are kept: the [`TokenStore`] trait and its lock, the record it stores, and the
//! stores this crate has, one file each: in memory, the token file (the default), and behind
//! features SQLite, the OS credential store and Redis.
//!
//! A new store goes here, in a file of its own, behind a feature when it needs a dependency;
//! services that keep many accounts' tokens in their own database implement [`TokenStore`]
//! for one account's row.

#[cfg(any(feature = "sqlite", feature = "redis"))]
mod fence;
mod file;
#[cfg(feature = "keyring")]
mod keyring;
mod memory;
mod record;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;
pub(crate) mod token_file;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{AccessToken, Error};

pub use file::FileStore;
#[cfg(feature = "keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
pub use keyring::KeyringStore;
pub use memory::MemoryStore;
pub use record::StoredToken;
pub(crate) use record::{expires_after, expires_within, time_left};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::{RedisAccount, RedisDurability, RedisStore};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::{SqliteAccount, SqliteStore};

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

    /// Whether workers elsewhere replace this store's pair as a matter of course (a fleet
    /// sharing a `RedisStore` account (feature `redis`)). A handle on a shared store reads
    /// it at each [`access_token`](crate::UserToken::access_token), without the lock, and takes
    /// up a newer pair another worker saved (calling `on_refresh`): a worker holding an old
    /// access token learns of the new one at its next use. Each use then costs a
    /// [`load`](Self::load).
    ///
    /// The default, `false`, reads the store only when a refresh is due (then under the lock,
    /// which finds a pair another program stored just as well).
    fn is_shared(&self) -> bool {
        false
    }

    /// Shares the hourly validation Twitch asks for among the workers of a shared store: called
    /// when a handle's validation is due, with its access token. `Ok(Some(ago))` when another
    /// worker validated that token (or obtained it) `ago` before now, within `interval`: the
    /// handle counts it as its own validation. `Ok(None)` claims this interval's validation for
    /// the caller, who validates now; a caller whose validation failed is given it again.
    ///
    /// The default returns `Ok(None)`: each handle validates for itself. An error is logged and
    /// the handle validates for itself too.
    ///
    /// # Errors
    ///
    /// When the store cannot be asked.
    fn claim_validation(
        &self,
        access: &AccessToken,
        interval: Duration,
    ) -> Result<Option<Duration>, Error> {
        let _ = (access, interval);
        Ok(None)
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
    fn is_shared(&self) -> bool {
        (**self).is_shared()
    }
    fn claim_validation(
        &self,
        access: &AccessToken,
        interval: Duration,
    ) -> Result<Option<Duration>, Error> {
        (**self).claim_validation(access, interval)
    }
}
