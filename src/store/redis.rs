//! One account's tokens shared through Redis by a fleet of workers (feature `redis`): the pair
//! under a key, and a lock that is a lease with a fence.
//!
//! The lease: `SET <key>:lock <fence> NX PX <lease>`; a thread renews it (compare, then
//! `PEXPIRE`, in one script) every third of its length while it is held; dropping the lock
//! deletes it only if the fence is still ours (one script). Saves and deletes land only while
//! the fence in the lock key is this holder's (one script), so a worker paused past its lease
//! can never overwrite the newer pair another worker saved. Work in progress: see issue 19.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::{Client, Connection, RedisResult};

use super::fence::Renewer;
use super::token_file;
use crate::{Error, StoreLock, StoredToken, TokenStore};

/// Renews `KEYS[1]` for `ARGV[2]` ms if it holds `ARGV[1]`.
const RENEW: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                     return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
/// Deletes `KEYS[1]` if it holds `ARGV[1]`.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                       return redis.call('DEL', KEYS[1]) else return 0 end";
/// Sets (or, with `ARGV[1]` empty, deletes) `KEYS[1]` if the lock `KEYS[2]` holds the fence
/// `ARGV[2]`, or, with `ARGV[2]` empty, if nobody holds it. 1 when written, 0 when refused.
const WRITE: &str = "local holder = redis.call('GET', KEYS[2]) \
                     if (ARGV[2] == '' and holder == false) or holder == ARGV[2] then \
                       if ARGV[1] == '' then redis.call('DEL', KEYS[1]) \
                       else redis.call('SET', KEYS[1], ARGV[1]) end \
                       return 1 \
                     end \
                     return 0";

/// A Redis server that keeps accounts' token pairs for a fleet of workers;
/// [`key`](Self::key) gives each account's [`TokenStore`].
///
/// ```no_run
/// use twitch_auth::{Helper, RedisStore};
///
/// let redis = RedisStore::open("redis://127.0.0.1:6379/0")?;
/// let token = Helper::new(["chat:read"]).store(redis.key("bot")).bind()?;
/// # let _ = token;
/// # Ok::<(), twitch_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
    timeout: Duration,
    lease: Duration,
    lock_timeout: Duration,
}

struct Shared {
    client: Client,
    /// The URL without its password, for messages.
    server: String,
    conn: Mutex<Option<Connection>>,
}

impl RedisStore {
    /// A store on the server at `url` (`redis://[user:password@]host:port/db`). Nothing is
    /// connected until the first call.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for a URL that is not a Redis URL.
    pub fn open(url: &str) -> Result<RedisStore, Error> {
        let client = Client::open(url).map_err(|e| Error::InvalidSetting {
            setting: "RedisStore::open",
            reason: format!("{}: {e}", without_password(url)),
        })?;
        Ok(RedisStore {
            shared: Arc::new(Shared {
                client,
                server: without_password(url),
                conn: Mutex::new(None),
            }),
            timeout: Duration::from_secs(5),
            lease: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(60),
        })
    }

    /// The bound on connecting, and on each read and write. Defaults to 5 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a lock lasts without being renewed (renewed every third of it while held).
    /// At least 300 ms; defaults to 30 seconds.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(300));
        self
    }

    /// How long a refresh waits for another worker's lock. Defaults to 60 seconds.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The store of one account, under the key `name` (and `name:lock`, `name:login`).
    pub fn key(&self, name: impl Into<String>) -> RedisAccount {
        RedisAccount {
            store: self.clone(),
            key: name.into(),
            fence: Mutex::new(None),
        }
    }

    /// Runs `call` on the connection, connecting first if need be; a failed connection is
    /// dropped, so the next call connects again.
    fn with<T>(&self, call: impl FnOnce(&mut Connection) -> RedisResult<T>) -> Result<T, Error> {
        let mut slot = self.shared.conn();
        if slot.is_none() {
            let conn = self
                .shared
                .client
                .get_connection_with_timeout(self.timeout)
                .and_then(|conn| {
                    conn.set_read_timeout(Some(self.timeout))?;
                    conn.set_write_timeout(Some(self.timeout))?;
                    Ok(conn)
                })
                .map_err(|e| self.error(&e))?;
            *slot = Some(conn);
        }
        let conn = slot.as_mut().expect("connected above");
        call(conn).map_err(|e| {
            if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
                *slot = None;
            }
            self.error(&e)
        })
    }

    fn error(&self, e: &redis::RedisError) -> Error {
        let server = &self.shared.server;
        if e.is_io_error()
            || e.is_connection_refusal()
            || e.is_timeout()
            || e.is_connection_dropped()
        {
            return Error::StoreUnavailable {
                store: server.clone(),
                reason: format!("{e}; nothing was changed, and it is tried again at the next call"),
            };
        }
        let hint = match e.kind() {
            redis::ErrorKind::AuthenticationFailed => {
                " (check the password or ACL user in the URL)"
            }
            _ if e.to_string().contains("WRONGTYPE") => {
                " (the key holds something else than a token pair: choose another key)"
            }
            _ => "",
        };
        Error::Store {
            source: format!("Redis at {server}: {e}{hint}").into(),
        }
    }
}

impl Shared {
    fn conn(&self) -> MutexGuard<'_, Option<Connection>> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("server", &self.shared.server)
            .finish_non_exhaustive()
    }
}

/// One account of a [`RedisStore`]: a [`TokenStore`] for [`Helper::store`](crate::Helper::store).
pub struct RedisAccount {
    store: RedisStore,
    key: String,
    /// The fence of the refresh lease this value holds, if any: its writes must carry it.
    fence: Mutex<Option<String>>,
}

impl RedisAccount {
    fn held_fence(&self) -> String {
        self.fence
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_default()
    }

    fn lock_key(&self, kind: &str) -> String {
        format!("{}:{kind}", self.key)
    }

    fn try_lease(&self, kind: &'static str) -> Result<Option<StoreLock<'_>>, Error> {
        let fence = super::fence::random()?;
        let lock_key = self.lock_key(kind);
        let lease_ms = millis(self.store.lease);
        let taken: Option<String> = self.store.with(|conn| {
            redis::cmd("SET")
                .arg(&lock_key)
                .arg(&fence)
                .arg("NX")
                .arg("PX")
                .arg(lease_ms)
                .query(conn)
        })?;
        if taken.is_none() {
            return Ok(None);
        }
        if kind == "lock" {
            *self.fence.lock().unwrap_or_else(PoisonError::into_inner) = Some(fence.clone());
        }
        Ok(Some(StoreLock::new(Lease::hold(self, lock_key, fence))))
    }

    fn write(&self, record: &str) -> Result<(), Error> {
        let fence = self.held_fence();
        let (key, lock_key) = (self.key.clone(), self.lock_key("lock"));
        let written: i64 = self.store.with(|conn| {
            redis::cmd("EVAL")
                .arg(WRITE)
                .arg(2)
                .arg(&key)
                .arg(&lock_key)
                .arg(record)
                .arg(&fence)
                .query(conn)
        })?;
        if written == 1 {
            return Ok(());
        }
        let why = if fence.is_empty() {
            "another worker holds its lock"
        } else {
            "its lock was lost (the lease ran out while this worker was paused or slow, and \
             another may have refreshed since)"
        };
        Err(Error::Store {
            source: format!(
                "Redis at {}: key {:?}: {why}; nothing was written",
                self.store.shared.server, self.key
            )
            .into(),
        })
    }
}

impl fmt::Debug for RedisAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAccount")
            .field("server", &self.store.shared.server)
            .field("key", &self.key)
            .finish()
    }
}

impl TokenStore for RedisAccount {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        let key = self.key.clone();
        let record: Option<Vec<u8>> = self
            .store
            .with(|conn| redis::cmd("GET").arg(&key).query(conn))?;
        Ok(record.and_then(|bytes| token_file::parse(&bytes)))
    }

    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        let record =
            serde_json::to_string(&token_file::record(token)).map_err(|e| Error::Store {
                source: e.to_string().into(),
            })?;
        self.write(&record)
    }

    fn delete(&self) -> Result<(), Error> {
        self.write("")
    }

    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            if let Some(lock) = self.try_lease("lock")? {
                return Ok(lock);
            }
            if started.elapsed() >= self.store.lock_timeout {
                return Err(Error::LockTimedOut {
                    path: format!("{} {}", self.store.shared.server, self.lock_key("lock")).into(),
                    after: self.store.lock_timeout,
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    fn try_lock(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.try_lease("lock")
    }

    fn try_lock_login(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.try_lease("login")
    }
}

/// A held lease: renewed by a thread of its own until dropped, then released.
struct Lease<'a> {
    account: &'a RedisAccount,
    lock_key: String,
    fence: String,
    renewer: Option<Renewer>,
}

impl<'a> Lease<'a> {
    fn hold(account: &'a RedisAccount, lock_key: String, fence: String) -> Lease<'a> {
        let store = account.store.clone();
        let (key, renewed) = (lock_key.clone(), fence.clone());
        let every = store.lease / 3;
        // A failed renewal is tried again at the next tick; should the lease run out
        // meanwhile, this holder's writes are refused by its fence.
        let renewer = Renewer::start("twitch-auth redis lease", every, move || {
            let _ = store.with(|conn| {
                redis::cmd("EVAL")
                    .arg(RENEW)
                    .arg(1)
                    .arg(&key)
                    .arg(&renewed)
                    .arg(millis(store.lease))
                    .query::<i64>(conn)
            });
        });
        Lease {
            account,
            lock_key,
            fence,
            renewer: Some(renewer),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        drop(self.renewer.take());
        if self.lock_key.ends_with(":lock") {
            *self
                .account
                .fence
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
        let (key, fence) = (&self.lock_key, &self.fence);
        let _ = self.account.store.with(|conn| {
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(key)
                .arg(fence)
                .query::<i64>(conn)
        });
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 4)
}

/// `url` with its password replaced by `***`, for messages.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
