//! Many accounts' tokens in one SQLite database (feature `sqlite`): a row per account, and a
//! lock per account that is a lease row with a fence, so that accounts never wait for each
//! other and no transaction is held open across a request to Twitch.
//!
//! The lease: a short transaction inserts `(account, kind, fence, until)` where no live row is
//! (an expired one is deleted first); a thread renews it every third of its length while it is
//! held, so it outlasts any request made under it; dropping the lock deletes it, and a holder
//! that died frees it when it runs out. Saves and deletes land only while this holder's fence
//! is still in the row (one statement), so a holder that was paused past its lease (a laptop
//! lid) can never overwrite a newer pair.

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::fence::Renewer;
use super::file::{create_private_dir, parent_dir, private_options};
use super::token_file;
use crate::{Error, FileAction, StoreLock, StoredToken, TokenStore};

/// How long SQLite waits for another connection's write before it says "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The default lease: renewed every 10 s while held, so a holder that died frees it within 30 s.
const DEFAULT_LEASE: Duration = Duration::from_secs(30);

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS tokens (
        account TEXT PRIMARY KEY,
        record TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS leases (
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        fence TEXT NOT NULL,
        until_ms INTEGER NOT NULL,
        PRIMARY KEY (account, kind)
    );
    CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
";

/// Many accounts' token pairs in one SQLite database: a bot's, a broadcaster's, or every
/// streamer a service serves. [`account`](Self::account) gives each its [`TokenStore`]; a
/// refresh of one account never waits for another's.
///
/// ```no_run
/// use twitch_auth::{Helper, SqliteStore};
///
/// let db = SqliteStore::open("tokens.db")?;
/// let app = Helper::new(["chat:read"]).client_id("my_app_id");
/// let bot = app.clone().store(db.account("bot")).bind()?;
/// let broadcaster = app.store(db.account("broadcaster")).bind()?;
/// println!("accounts: {:?}", db.accounts()?);
/// # Ok::<(), twitch_auth::Error>(())
/// ```
///
/// The database is created owner-only (mode 0600 on Unix, before SQLite opens it, so its `-wal`
/// and `-shm` files are too), in WAL mode. Keep it on a local disk: SQLite's locking is not
/// reliable over network file systems. `SqliteStore` is cheap to clone (one connection,
/// shared).
#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<Db>,
    lock_timeout: Duration,
    lease: Duration,
}

struct Db {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it (and its directory) owner-only if need be.
    ///
    /// # Errors
    ///
    /// [`Error::File`] naming the path: the directory cannot be created, the file is not an
    /// SQLite database, or another program keeps it locked.
    pub fn open(path: impl Into<PathBuf>) -> Result<SqliteStore, Error> {
        let path = path.into();
        let failed = |action, e| file_error(&path, action, e);
        create_private_dir(parent_dir(&path)).map_err(|e| failed(FileAction::Write, e))?;
        // Created here, owner-only, so that SQLite's own files take its mode.
        let mut options: OpenOptions = private_options();
        options.read(true).write(true).create(true).truncate(false);
        options
            .open(&path)
            .map_err(|e| failed(FileAction::Write, e))?;
        let conn = Connection::open(&path).map_err(|e| sql_error(&path, FileAction::Read, e))?;
        let setup = || -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
            conn.execute_batch(SCHEMA)
        };
        setup().map_err(|e| sql_error(&path, FileAction::Read, e))?;
        Ok(SqliteStore {
            db: Arc::new(Db {
                path,
                conn: Mutex::new(conn),
            }),
            lock_timeout: Duration::from_secs(60),
            lease: DEFAULT_LEASE,
        })
    }

    /// How long a refresh waits for another process's lock on the same account before
    /// [`Error::LockTimedOut`].
    ///
    /// Defaults to 60 seconds.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// How long a call waits while another program holds the database's write lock (SQLite's
    /// busy timeout) before it is an [`Error::File`] saying so.
    ///
    /// Defaults to 5 seconds.
    pub fn busy_timeout(self, timeout: Duration) -> Self {
        // A failure here leaves the timeout as it was: nothing to report.
        let _ = self.db.conn().busy_timeout(timeout);
        self
    }

    /// How long a lock lasts without being renewed. A holder renews it every third of this
    /// while it holds it, so it outlasts every request; one that died, or was stopped, frees it
    /// after this. At least 300 ms.
    ///
    /// Defaults to 30 seconds.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(300));
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.db.path
    }

    /// The store of one account (any name: a login, a user id, `"bot"`).
    pub fn account(&self, name: impl Into<String>) -> SqliteAccount {
        SqliteAccount {
            store: self.clone(),
            name: name.into(),
            fence: Mutex::new(None),
        }
    }

    /// The accounts that hold a pair, sorted.
    ///
    /// # Errors
    ///
    /// [`Error::File`] when the database cannot be read.
    pub fn accounts(&self) -> Result<Vec<String>, Error> {
        let conn = self.db.conn();
        let listed = || -> rusqlite::Result<Vec<String>> {
            let mut statement = conn.prepare("SELECT account FROM tokens ORDER BY account")?;
            let names = statement.query_map([], |row| row.get(0))?;
            names.collect()
        };
        listed().map_err(|e| self.error(FileAction::Read, e))
    }

    /// Removes an account's pair (without revoking it: see
    /// [`UserToken::revoke`](crate::UserToken::revoke)); whether it held one.
    ///
    /// # Errors
    ///
    /// [`Error::File`] when the database cannot be written.
    pub fn remove_account(&self, name: &str) -> Result<bool, Error> {
        self.db
            .conn()
            .execute("DELETE FROM tokens WHERE account = ?1", params![name])
            .map(|removed| removed > 0)
            .map_err(|e| self.error(FileAction::Write, e))
    }

    fn error(&self, action: FileAction, e: rusqlite::Error) -> Error {
        sql_error(&self.db.path, action, e)
    }
}

impl Db {
    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic elsewhere cannot leave the connection half-used: each call is one statement
        // or one transaction, rolled back when dropped.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.db.path)
            .field("lock_timeout", &self.lock_timeout)
            .field("lease", &self.lease)
            .finish()
    }
}

/// One account of a [`SqliteStore`]: a [`TokenStore`] for [`Helper::store`](crate::Helper::store).
pub struct SqliteAccount {
    store: SqliteStore,
    name: String,
    /// The fence of the lease this value holds, if it holds one: its saves must carry it.
    fence: Mutex<Option<String>>,
}

/// Which lock a lease row is: the refreshes' or a login's.
#[derive(Clone, Copy)]
enum Kind {
    Refresh,
    Login,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Refresh => "refresh",
            Kind::Login => "login",
        }
    }
}

impl SqliteAccount {
    /// The account's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn error(&self, action: FileAction, e: rusqlite::Error) -> Error {
        self.store.error(action, e)
    }

    fn held_fence(&self) -> Option<String> {
        self.fence
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// One try at the lease of `kind`: inserted where no live one is.
    fn try_lease(&self, kind: Kind) -> Result<Option<StoreLock<'_>>, Error> {
        let fence = super::fence::random()?;
        let now = now_ms();
        let lease = self.store.lease;
        let taken = {
            let mut conn = self.store.db.conn();
            let mut attempt = || -> rusqlite::Result<bool> {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                tx.execute(
                    "DELETE FROM leases WHERE account = ?1 AND kind = ?2 AND until_ms < ?3",
                    params![self.name, kind.name(), now],
                )?;
                let inserted = tx.execute(
                    "INSERT OR IGNORE INTO leases (account, kind, fence, until_ms)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![self.name, kind.name(), fence, now + millis(lease)],
                )?;
                tx.commit()?;
                Ok(inserted == 1)
            };
            attempt().map_err(|e| self.error(FileAction::Lock, e))?
        };
        if !taken {
            return Ok(None);
        }
        if let Kind::Refresh = kind {
            *self.fence.lock().unwrap_or_else(PoisonError::into_inner) = Some(fence.clone());
        }
        Ok(Some(StoreLock::new(Lease::hold(self, kind, fence))))
    }

    /// Writes (`Some`) or deletes (`None`) the account's record, in one transaction: only while
    /// this value's lease is still the live one, or, holding none, while nobody's is.
    fn write(&self, record: Option<&str>) -> Result<(), Error> {
        let fence = self.held_fence();
        let mut conn = self.store.db.conn();
        let mut attempt = || -> rusqlite::Result<Option<String>> {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let live: Option<String> = tx
                .query_row(
                    "SELECT fence FROM leases
                     WHERE account = ?1 AND kind = 'refresh' AND until_ms >= ?2",
                    params![self.name, now_ms()],
                    |row| row.get(0),
                )
                .optional()?;
            if live != fence {
                return Ok(Some(
                    match fence {
                        Some(_) => {
                            "its lock was lost (the lease ran out while this process was \
                                paused or slow, and another may have refreshed since)"
                        }
                        None => "another process holds its lock",
                    }
                    .to_owned(),
                ));
            }
            match record {
                Some(record) => tx.execute(
                    "INSERT INTO tokens (account, record) VALUES (?1, ?2)
                     ON CONFLICT (account) DO UPDATE SET record = excluded.record",
                    params![self.name, record],
                )?,
                None => tx.execute("DELETE FROM tokens WHERE account = ?1", params![self.name])?,
            };
            tx.commit()?;
            Ok(None)
        };
        match attempt().map_err(|e| self.error(FileAction::Write, e))? {
            None => Ok(()),
            Some(why) => Err(file_error(
                &self.store.db.path,
                FileAction::Write,
                io::Error::other(format!(
                    "account {:?}: {why}; nothing was written",
                    self.name
                )),
            )),
        }
    }
}

impl fmt::Debug for SqliteAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteAccount")
            .field("path", &self.store.db.path)
            .field("account", &self.name)
            .finish()
    }
}

impl TokenStore for SqliteAccount {
    /// No row, or one that holds no pair: `Ok(None)`, as for the token file.
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        let record: Option<String> = self
            .store
            .db
            .conn()
            .query_row(
                "SELECT record FROM tokens WHERE account = ?1",
                params![self.name],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(FileAction::Read, e))?;
        Ok(record.and_then(|r| token_file::parse(r.as_bytes())))
    }

    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        let record = serde_json::to_string(&token_file::record(token))
            .map_err(|e| file_error(&self.store.db.path, FileAction::Write, io::Error::other(e)))?;
        self.write(Some(&record))
    }

    /// A write that changes nothing of the accounts: a full disk or a read-only database says
    /// so before a refresh or a login whose pair could not be kept.
    fn prepare_save(&self) -> Result<(), Error> {
        self.store
            .db
            .conn()
            .execute(
                "INSERT INTO probe (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1",
                [],
            )
            .map(|_| ())
            .map_err(|e| self.error(FileAction::Write, e))
    }

    fn delete(&self) -> Result<(), Error> {
        self.write(None)
    }

    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(lock) = self.try_lease(Kind::Refresh)? {
                return Ok(lock);
            }
            if started.elapsed() >= self.store.lock_timeout {
                return Err(Error::LockTimedOut {
                    path: self.store.db.path.clone(),
                    after: self.store.lock_timeout,
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    fn try_lock(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.try_lease(Kind::Refresh)
    }

    fn try_lock_login(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.try_lease(Kind::Login)
    }
}

/// A held lease: renewed by a thread of its own until dropped, then deleted.
struct Lease<'a> {
    account: &'a SqliteAccount,
    kind: Kind,
    fence: String,
    renewer: Option<Renewer>,
}

impl<'a> Lease<'a> {
    fn hold(account: &'a SqliteAccount, kind: Kind, fence: String) -> Lease<'a> {
        let (db, name, lease) = (
            Arc::clone(&account.store.db),
            account.name.clone(),
            account.store.lease,
        );
        let renewed_fence = fence.clone();
        // A failed renewal is tried again at the next tick; should the lease run out
        // meanwhile, this holder's saves are refused by its fence.
        let renewer = Renewer::start("twitch-auth sqlite lease", lease / 3, move || {
            let _ = db.conn().execute(
                "UPDATE leases SET until_ms = ?4
                 WHERE account = ?1 AND kind = ?2 AND fence = ?3",
                params![name, kind.name(), renewed_fence, now_ms() + millis(lease)],
            );
        });
        Lease {
            account,
            kind,
            fence,
            renewer: Some(renewer),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        drop(self.renewer.take());
        if let Kind::Refresh = self.kind {
            *self
                .account
                .fence
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
        // Should this fail, the lease runs out by itself.
        let _ = self.account.store.db.conn().execute(
            "DELETE FROM leases WHERE account = ?1 AND kind = ?2 AND fence = ?3",
            params![self.account.name, self.kind.name(), self.fence],
        );
    }
}

fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX / 2)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

fn file_error(path: &Path, action: FileAction, source: io::Error) -> Error {
    Error::File {
        path: path.to_owned(),
        action,
        source,
    }
}

/// SQLite's error, said in words that name what to do, as an [`Error::File`] on the database.
fn sql_error(path: &Path, action: FileAction, e: rusqlite::Error) -> Error {
    let kind_and_text = match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => (
            io::ErrorKind::InvalidData,
            "it is not an SQLite database (choose another path, or move the file away)".to_owned(),
        ),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
            io::ErrorKind::WouldBlock,
            "another program kept the database locked past the busy timeout \
             (SqliteStore::busy_timeout); nothing was changed, try again when it is done"
                .to_owned(),
        ),
        Some(ErrorCode::DiskFull) => (
            io::ErrorKind::StorageFull,
            "the disk is full; nothing was changed".to_owned(),
        ),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => (
            io::ErrorKind::PermissionDenied,
            format!("{e} (can this user write the file and its directory?)"),
        ),
        _ => (io::ErrorKind::Other, e.to_string()),
    };
    file_error(
        path,
        action,
        io::Error::new(kind_and_text.0, kind_and_text.1),
    )
}
