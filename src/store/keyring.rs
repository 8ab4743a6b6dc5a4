//! The token in the OS credential store (feature `keyring`): macOS Keychain, Windows Credential
//! Manager, or the Secret Service on Linux and the BSDs, through `keyring-core` and the
//! platform's store crate.
//!
//! A credential store has no lock, and one of its calls can wait forever (a Secret Service
//! unlock prompt nobody answers). So the lock is a lock file in the user's data directory, with
//! the token file's guarantees, and every call runs on a thread of its own with a bounded wait.
//! A locked, refused or missing credential store is an error saying what to do: never a silent
//! fallback to a plaintext file.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};

use super::token_file;
use crate::{Error, FileStore, StoreLock, StoredToken, TokenStore};

/// Windows' limit on a credential's secret (`CRED_MAX_CREDENTIAL_BLOB_SIZE`).
pub(crate) const MAX_RECORD: usize = 2560;

/// The token pair in the OS credential store, under a service and an account name the app
/// chooses: what a desktop program or a game mod keeps there instead of a file.
///
/// ```no_run
/// use twitch_auth::{Helper, KeyringStore};
///
/// let token = Helper::new(["chat:read"])
///     .client_id("my_app_id")
///     .store(KeyringStore::new("MyMod", "streamer"))
///     .bind()?;
/// # let _ = token;
/// # Ok::<(), twitch_auth::Error>(())
/// ```
///
/// ([`Helper::keyring`](crate::Helper::keyring) is the same with the account `default`.) The
/// service name is also the folder, in the user's data directory, of its lock file: one name
/// such as the app's.
#[derive(Clone)]
pub struct KeyringStore {
    service: String,
    account: String,
    call_timeout: Duration,
    /// The lock files (the store's own file is never written): `<data dir>/<service>/keyring-<account>`.
    locks: Result<FileStore, String>,
}

impl KeyringStore {
    /// The credential of `account` under `service`. Nothing is asked of the credential store
    /// until the first call.
    pub fn new(service: impl Into<String>, account: impl Into<String>) -> KeyringStore {
        let (service, account) = (service.into(), account.into());
        let locks = crate::data_dir::token_path(&service, |name| std::env::var_os(name))
            .map(|path| path.with_file_name(format!("keyring-{account}")))
            .map(FileStore::new);
        KeyringStore {
            service,
            account,
            call_timeout: Duration::from_secs(10),
            locks,
        }
    }

    /// How long one call to the credential store may take before it is an error (an unlock
    /// prompt nobody answers, a hung service). The call itself goes on, on its own thread,
    /// until the platform returns.
    ///
    /// Defaults to 10 seconds.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// How long a refresh waits for another process's lock.
    ///
    /// Defaults to 60 seconds.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.locks = self.locks.map(|locks| locks.lock_timeout(timeout));
        self
    }

    /// The lock files' path, without their `.lock` suffix: beside the app's token file in the
    /// user's data directory.
    pub fn lock_path(&self) -> Option<PathBuf> {
        self.locks
            .as_ref()
            .ok()
            .map(|locks| locks.path().to_owned())
    }

    fn locks(&self) -> Result<&FileStore, Error> {
        self.locks.as_ref().map_err(|reason| Error::InvalidSetting {
            setting: "KeyringStore::new",
            reason: format!("no place for the credential's lock file: {reason}"),
        })
    }

    /// Runs `call` on the credential, on a thread of its own, waiting at most `call_timeout`.
    fn bounded<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>, Error> {
        let (service, account) = (self.service.clone(), self.account.clone());
        let (answer, answered) = mpsc::channel();
        let run = move || {
            let result = platform_store()
                .and_then(|store| Entry::new_in_store(&store, &service, &account))
                .and_then(|entry| call(&entry));
            let _ = answer.send(result);
        };
        std::thread::Builder::new()
            .name("twitch-auth keyring call".to_owned())
            .spawn(run)
            .map_err(|e| unavailable(&format!("no thread for the call: {e}")))?;
        answered.recv_timeout(self.call_timeout).map_err(|_| {
            unavailable(&format!(
                "it did not answer within {} s (is it waiting for an unlock prompt?)",
                self.call_timeout.as_secs()
            ))
        })
    }
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl TokenStore for KeyringStore {
    /// No credential, or one that holds no pair (something else stored under the name):
    /// `Ok(None)`, as for the token file.
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        match self.bounded(|entry| entry.get_secret())? {
            Ok(bytes) => Ok(token_file::parse(&bytes)),
            Err(keyring_core::Error::NoEntry)
            | Err(keyring_core::Error::BadEncoding(_))
            | Err(keyring_core::Error::BadDataFormat(..)) => Ok(None),
            Err(e) => Err(refused(e)),
        }
    }

    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        let record = compact(token)?;
        self.bounded(move |entry| entry.set_secret(&record))?
            .map_err(refused)
    }

    /// A credential store that is locked, refused or missing says so before a refresh or a
    /// login whose pair it could not keep: a probe credential is written and deleted.
    fn prepare_save(&self) -> Result<(), Error> {
        let probe = KeyringStore {
            account: format!("{}.probe", self.account),
            ..self.clone()
        };
        probe
            .bounded(|entry| {
                entry.set_secret(b"probe")?;
                entry.delete_credential()
            })?
            .map_err(refused)
    }

    fn delete(&self) -> Result<(), Error> {
        match self.bounded(|entry| entry.delete_credential())? {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(refused(e)),
        }
    }

    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        self.locks()?.lock()
    }

    fn try_lock(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.locks()?.try_lock()
    }

    fn try_lock_login(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.locks()?.try_lock_login()
    }
}

/// The record, as the token file's, within Windows' 2560 bytes: with very many scopes they are
/// left out (the validation after a load restores them).
fn compact(token: &StoredToken) -> Result<Vec<u8>, Error> {
    let encode = |token: &StoredToken| {
        serde_json::to_vec(&token_file::record(token)).map_err(|e| Error::Store {
            source: e.to_string().into(),
        })
    };
    let record = encode(token)?;
    if record.len() <= MAX_RECORD {
        return Ok(record);
    }
    let mut without_scopes = token.clone();
    without_scopes.scopes.clear();
    let record = encode(&without_scopes)?;
    if record.len() <= MAX_RECORD {
        return Ok(record);
    }
    Err(Error::Store {
        source: format!(
            "the token pair takes {} bytes, more than the {MAX_RECORD} a credential holds",
            record.len()
        )
        .into(),
    })
}

/// This platform's credential store.
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    #[cfg(target_os = "macos")]
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    #[cfg(windows)]
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    #[cfg(all(unix, not(target_os = "macos")))]
    let store: Arc<CredentialStore> = dbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

/// The credential store could not be used: what to do about it. Never a quiet fallback to a
/// file: the user chose the credential store.
fn unavailable(why: &str) -> Error {
    Error::Store {
        source: format!(
            "the OS credential store cannot be used: {why}; unlock it (log in to the desktop \
             session; on Linux a Secret Service such as GNOME Keyring or KWallet must run on \
             the D-Bus session), or keep the token in a file instead (Helper::path)"
        )
        .into(),
    }
}

/// A credential-store error in words, never with the bytes some of them carry.
fn refused(e: keyring_core::Error) -> Error {
    let why = match &e {
        keyring_core::Error::NoStorageAccess(platform) => {
            format!("it is locked or refused access ({platform})")
        }
        keyring_core::Error::PlatformFailure(platform) => {
            format!("none could be reached ({platform})")
        }
        keyring_core::Error::TooLong(what, limit) => {
            format!("its {what} is longer than the {limit} it takes")
        }
        keyring_core::Error::BadEncoding(_) | keyring_core::Error::BadDataFormat(..) => {
            "the credential holds something else than a token pair".to_owned()
        }
        other => other.to_string(),
    };
    unavailable(&why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_fits_a_windows_credential_even_with_every_scope() {
        let mut token = StoredToken::new("a".repeat(30), "r".repeat(50));
        token.client_id = Some("c".repeat(30));
        token.user_id = Some("123456789".to_owned());
        token.login = Some("l".repeat(25));
        token.scopes = crate::Scope::known().collect();
        let record = compact(&token).unwrap();
        assert!(record.len() <= MAX_RECORD, "{} bytes", record.len());
        let back = token_file::parse(&record).unwrap();
        assert_eq!(back.refresh_token, token.refresh_token);

        // Past the limit with scopes: they are left out, the pair and owner kept.
        token.scopes = (0..200)
            .map(|i| crate::Scope::from(format!("made:up:{i:04}")))
            .collect();
        let record = compact(&token).unwrap();
        assert!(record.len() <= MAX_RECORD, "{} bytes", record.len());
        let back = token_file::parse(&record).unwrap();
        assert!(back.scopes.is_empty());
        assert_eq!(back.user_id, token.user_id);

        // A pair that cannot fit at all is an error, not a cut record.
        let huge = StoredToken::new("a".repeat(3000), "r");
        assert!(compact(&huge).is_err());
    }
}
