//! One account's tokens shared through Redis by a fleet of workers (feature `redis`): the pair
//! under a key, a lock that is a lease with a fence, and the fleet's record of its last
//! validation.
//!
//! The keys of an account `name`: `name` (the record, as the token file's JSON), `name:lock`
//! (the refresh lease), `name:login` (the login lease) and `name:validated` (a hash: which access
//! token was last validated or obtained, when by the server's clock, and by which worker).
//!
//! The lease: `SET name:lock <fence> NX PX <lease>`; a thread renews it (compare, then
//! `PEXPIRE`, in one script) every third of its length for as long as it is held, so it
//! outlasts every request made under it however long the request's timeout; dropping the lock
//! deletes it only if the fence is still ours (one script). Saves and deletes land only while
//! the fence in the lock key is this holder's (one script), so a worker paused past its lease
//! can never overwrite the newer pair another worker saved.
//!
//! The risk every lease has: a holder paused (SIGSTOP, a frozen VM, a debugger), or cut off from
//! Redis so that its renewals fail, for longer than its lease *after* Twitch processed its
//! refresh loses the new pair (its save is refused), and the next holder sends the refresh token
//! Twitch already rotated: for a Public client that is a reuse, and a new login. The lease's
//! length is the pause it takes (30 s by default): a longer one narrows the window, at the price
//! of a longer wait for the others after a worker dies holding it.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::{Client, Connection, RedisResult};

use super::fence::Renewer;
use super::token_file;
use crate::{AccessToken, Error, StoreLock, StoredToken, TokenStore};

/// Takes the lease `KEYS[1]` for the fence `ARGV[1]`, `ARGV[2]` ms: 1 when taken, or already
/// ours (a call sent again after a dropped connection), 0 when another holds it.
const TAKE: &str = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end \
                    if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end \
                    return 0";
/// Renews `KEYS[1]` for `ARGV[2]` ms if it holds `ARGV[1]`.
const RENEW: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                     return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
/// Deletes `KEYS[1]` if it holds `ARGV[1]`.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                       return redis.call('DEL', KEYS[1]) else return 0 end";
/// Sets (or, with `ARGV[1]` empty, deletes) `KEYS[1]` if the lock `KEYS[2]` holds the fence
/// `ARGV[2]`, or, with `ARGV[2]` empty, if nobody holds it; a pair set counts as validated now
/// (`KEYS[3]`: its fingerprint `ARGV[3]`, by the worker `ARGV[4]`). 1 when written, 0 when
/// refused.
/// -1, and nothing written, when `KEYS[1]` holds something else than a string.
const WRITE: &str = "local kind = redis.call('TYPE', KEYS[1]).ok \
                     if kind ~= 'none' and kind ~= 'string' then return -1 end \
                     local holder = redis.call('GET', KEYS[2]) \
                     if (ARGV[2] == '' and holder == false) or holder == ARGV[2] then \
                       if ARGV[1] == '' then redis.call('DEL', KEYS[1], KEYS[3]) \
                       else \
                         redis.call('SET', KEYS[1], ARGV[1]) \
                         local t = redis.call('TIME') \
                         redis.call('HSET', KEYS[3], 'token', ARGV[3], 'by', ARGV[4], \
                                    'at', t[1] * 1000 + math.floor(t[2] / 1000)) \
                       end \
                       return 1 \
                     end \
                     return 0";
/// The fleet's validation of the access token of fingerprint `ARGV[1]` (`KEYS[1]`): how many
/// ms ago another worker than `ARGV[2]` validated or obtained it, if less than `ARGV[3]` ms;
/// otherwise the validation is claimed for `ARGV[2]`, now, and -1 returned.
const CLAIM: &str = "local t = redis.call('TIME') \
                     local now = t[1] * 1000 + math.floor(t[2] / 1000) \
                     local v = redis.call('HMGET', KEYS[1], 'token', 'by', 'at') \
                     if v[1] == ARGV[1] and v[2] ~= ARGV[2] and v[3] then \
                       local ago = now - tonumber(v[3]) \
                       if ago >= 0 and ago < tonumber(ARGV[3]) then return ago end \
                     end \
                     redis.call('HSET', KEYS[1], 'token', ARGV[1], 'by', ARGV[2], 'at', now) \
                     return -1";

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
    replicas: u32,
}

struct Shared {
    client: Client,
    /// The URL without its password, for messages.
    server: String,
    conn: Mutex<Option<Connection>>,
    /// Whether the server's durability settings were checked (once, at the first connection).
    checked: AtomicBool,
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
                checked: AtomicBool::new(false),
            }),
            timeout: Duration::from_secs(5),
            lease: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(60),
            replicas: 0,
        })
    }

    /// The bound on connecting, and on each read and write. At least 10 ms (a socket has no
    /// zero timeout, and `WAIT` is given half of it); defaults to 5 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// How long a lock lasts without being renewed (renewed every third of it while held).
    /// At least 300 ms, at most a day; defaults to 30 seconds.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.clamp(Duration::from_millis(300), crate::app::MAX_WAIT);
        self
    }

    /// How long a refresh waits for another worker's lock. At most a day; defaults to 60
    /// seconds.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout.min(crate::app::MAX_WAIT);
        self
    }

    /// Makes each save wait until `replicas` replicas have it (`WAIT`, for at most half of
    /// [`timeout`](Self::timeout)); a save that fewer acknowledged in time is an error (the
    /// pair is on the primary, and is kept by the handle too). Without it (0, the default), a
    /// failover to a replica that had not yet received the last save loses that pair.
    pub fn replicas(mut self, replicas: u32) -> Self {
        self.replicas = replicas;
        self
    }

    /// The store of one account, under the key `name` (and `name:lock`, `name:login`,
    /// `name:validated`).
    pub fn key(&self, name: impl Into<String>) -> RedisAccount {
        RedisAccount {
            store: self.clone(),
            key: name.into(),
            fence: Mutex::new(None),
            worker: super::fence::random().unwrap_or_default(),
        }
    }

    /// What the server promises about a pair once `save()` returned, read from its settings
    /// (`CONFIG GET appendonly appendfsync`, `INFO replication`). The store reads them once by
    /// itself, at its first connection, and warns (on stderr and as a `log` warning) when
    /// [`RedisDurability::risk`] names one.
    ///
    /// # Errors
    ///
    /// When the server cannot be reached, or refuses `CONFIG` (some hosted servers do).
    pub fn durability(&self) -> Result<RedisDurability, Error> {
        self.with(read_durability)
    }

    /// Runs `call` on the connection, connecting first if need be. A kept connection that
    /// failed (the server restarted, or dropped it while idle) is replaced and the call sent
    /// once more on a new one: every call is one command or script that can be sent twice.
    /// A new connection that fails is dropped, so the next call connects again.
    fn with<T>(&self, mut call: impl FnMut(&mut Connection) -> RedisResult<T>) -> Result<T, Error> {
        let mut slot = self.shared.conn();
        if let Some(conn) = slot.as_mut() {
            match call(conn) {
                // Not after a timeout: the server is there, and slow.
                Err(e) if is_broken(&e) && !e.is_timeout() => *slot = None,
                result => return self.answer(&mut slot, result),
            }
        }
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
        let conn = slot.insert(conn);
        if !self.shared.checked.swap(true, Ordering::Relaxed) {
            self.warn_if_not_durable(conn);
        }
        let result = call(conn);
        self.answer(&mut slot, result)
    }

    /// `result` as this crate's, dropping a connection that failed (one that timed out may
    /// still receive the answer, and would hand it to the next call).
    fn answer<T>(&self, slot: &mut Option<Connection>, result: RedisResult<T>) -> Result<T, Error> {
        result.map_err(|e| {
            if is_broken(&e) {
                *slot = None;
            }
            self.error(&e)
        })
    }

    /// The once-per-store check of the server's durability settings.
    fn warn_if_not_durable(&self, conn: &mut Connection) {
        let server = &self.shared.server;
        let risk = match read_durability(conn) {
            Ok(durability) => durability.risk(self.replicas),
            Err(e) => Some(format!(
                "its durability settings could not be read ({e}), so a saved pair may not \
                 survive a crash"
            )),
        };
        if let Some(risk) = risk {
            log::warn!("twitch-auth: Redis at {server}: {risk}");
            eprintln!("twitch-auth: Redis at {server}: {risk}");
        }
    }

    fn error(&self, e: &redis::RedisError) -> Error {
        let server = &self.shared.server;
        if is_broken(e) || e.is_connection_refusal() {
            return Error::StoreUnavailable {
                store: server.clone(),
                reason: format!("{e}; nothing was changed, and it is tried again at the next call"),
            };
        }
        let text = e.to_string();
        let hint = match e.kind() {
            redis::ErrorKind::AuthenticationFailed => {
                " (check the password or ACL user in the URL)"
            }
            _ if text.contains("NOAUTH") || text.contains("WRONGPASS") => {
                " (check the password or ACL user in the URL)"
            }
            _ if text.contains("WRONGTYPE") => {
                " (the key holds something else than a token pair: choose another key)"
            }
            _ if text.contains("DB index") => {
                " (the server has fewer databases: check the number after the port in the URL)"
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
    /// This worker, in the fleet's record of validations.
    worker: String,
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
        let taken: i64 = self.store.with(|conn| {
            redis::cmd("EVAL")
                .arg(TAKE)
                .arg(1)
                .arg(&lock_key)
                .arg(&fence)
                .arg(lease_ms)
                .query(conn)
        })?;
        if taken == 0 {
            return Ok(None);
        }
        if kind == "lock" {
            *self.fence.lock().unwrap_or_else(PoisonError::into_inner) = Some(fence.clone());
        }
        Ok(Some(StoreLock::new(Lease::hold(self, lock_key, fence))))
    }

    /// Writes `record` (with the fingerprint of its access token), or deletes the pair when
    /// it is empty, under the fence.
    fn write(&self, record: &str, fingerprint: &str) -> Result<(), Error> {
        let fence = self.held_fence();
        let (key, lock_key) = (self.key.clone(), self.lock_key("lock"));
        let validated = self.lock_key("validated");
        let written: i64 = self.store.with(|conn| {
            redis::cmd("EVAL")
                .arg(WRITE)
                .arg(3)
                .arg(&key)
                .arg(&lock_key)
                .arg(&validated)
                .arg(record)
                .arg(&fence)
                .arg(fingerprint)
                .arg(&self.worker)
                .query(conn)
        })?;
        if written == 1 {
            return self.wait_for_replicas();
        }
        let why = if written == -1 {
            "it holds something else than a token pair (choose another key)"
        } else if fence.is_empty() {
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

    /// With [`RedisStore::replicas`], waits until that many replicas have the last write.
    fn wait_for_replicas(&self) -> Result<(), Error> {
        let wanted = self.store.replicas;
        if wanted == 0 {
            return Ok(());
        }
        // Half the read timeout, so that the answer comes before the connection gives up.
        let timeout = millis(self.store.timeout / 2);
        let acknowledged: u32 = self
            .store
            .with(|conn| redis::cmd("WAIT").arg(wanted).arg(timeout).query(conn))?;
        if acknowledged >= wanted {
            return Ok(());
        }
        Err(Error::Store {
            source: format!(
                "Redis at {}: key {:?}: saved on the server, but {acknowledged} of the {wanted} \
                 replicas asked for had it within {:?}: a failover now could lose it (check the \
                 replicas, or RedisStore::replicas)",
                self.store.shared.server,
                self.key,
                self.store.timeout / 2
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
        let Some(bytes) = record else {
            return Ok(None);
        };
        // Never taken for "no pair": a login would overwrite what another program keeps there.
        token_file::parse(&bytes)
            .map(Some)
            .ok_or_else(|| Error::Store {
                source: format!(
                    "Redis at {}: key {:?} holds something else than a token pair (choose another \
                 key, or delete it)",
                    self.store.shared.server, self.key
                )
                .into(),
            })
    }

    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        let record =
            serde_json::to_string(&token_file::record(token)).map_err(|e| Error::Store {
                source: e.to_string().into(),
            })?;
        self.write(
            &record,
            &token_file::fingerprint(token.access_token.secret()),
        )
    }

    fn delete(&self) -> Result<(), Error> {
        self.write("", "")
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn claim_validation(
        &self,
        access: &AccessToken,
        interval: Duration,
    ) -> Result<Option<Duration>, Error> {
        let (key, fingerprint) = (
            self.lock_key("validated"),
            token_file::fingerprint(access.secret()),
        );
        let ago: i64 = self.store.with(|conn| {
            redis::cmd("EVAL")
                .arg(CLAIM)
                .arg(1)
                .arg(&key)
                .arg(&fingerprint)
                .arg(&self.worker)
                .arg(millis(interval))
                .query(conn)
        })?;
        Ok(u64::try_from(ago).ok().map(Duration::from_millis))
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

/// What a Redis server promises about a saved pair: see [`RedisStore::durability`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisDurability {
    /// `appendonly`: whether each write is logged to disk (Debian's default is `no`: only
    /// snapshots, if any).
    pub append_only: bool,
    /// `appendfsync`: when the log reaches the disk, `always` (before the write is answered),
    /// `everysec` (Redis's default) or `no`.
    pub append_fsync: String,
    /// The replicas following the server (asynchronously) that finished their first sync.
    pub replicas: u32,
}

impl RedisDurability {
    /// What a crash or a failover could lose of a pair whose save returned, for a store that
    /// waits for `waits_for` replicas ([`RedisStore::replicas`]); `None` when nothing.
    pub fn risk(&self, waits_for: u32) -> Option<String> {
        if !self.append_only {
            return Some(
                "appendonly is no, so a pair saved since the last snapshot is lost when the \
                 server crashes or restarts (set appendonly yes and appendfsync always)"
                    .to_owned(),
            );
        }
        if self.append_fsync != "always" {
            return Some(format!(
                "appendfsync is {}, so the pairs saved in the last second or so are lost when \
                 the machine crashes (set appendfsync always)",
                self.append_fsync
            ));
        }
        if self.replicas > waits_for {
            return Some(format!(
                "{} replicas follow this server asynchronously, and saves wait for {waits_for}: a \
                 failover can lose the last pair saved (RedisStore::replicas)",
                self.replicas
            ));
        }
        None
    }
}

fn read_durability(conn: &mut Connection) -> RedisResult<RedisDurability> {
    let config: std::collections::HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("appendonly")
        .arg("appendfsync")
        .query(conn)?;
    let info: String = redis::cmd("INFO").arg("replication").query(conn)?;
    // `slave0:ip=…,port=…,state=online,…`: those still in their first sync have nothing yet.
    let replicas = info
        .lines()
        .filter(|line| line.starts_with("slave") && line.contains("state=online"))
        .count();
    let replicas = u32::try_from(replicas).unwrap_or(u32::MAX);
    Ok(RedisDurability {
        append_only: config.get("appendonly").is_some_and(|v| v == "yes"),
        append_fsync: config.get("appendfsync").cloned().unwrap_or_default(),
        replicas,
    })
}

/// Whether `e` is the connection's failure rather than the server's answer.
fn is_broken(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout()
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
