//! A store in memory: for tests, and for programs that must not write files.

use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use crate::{Error, StoreLock, StoredToken, TokenStore};

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
