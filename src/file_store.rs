//! The token file: pyTwitchAPI's keys, a tolerant reader, an atomic owner-only writer, and a
//! lock file so that one process at a time binds or refreshes.
//!
//! The file is a JSON object with pyTwitchAPI's `token` and `refresh`, so each library reads the
//! other's file, plus what this crate remembers about the token (scopes, expiry, user, client id).
//! Those extra keys are trusted only while `token_fingerprint` matches `token`: pyTwitchAPI, or a
//! hand edit, may replace the pair and leave keys that describe an older token.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Error, Scope, StoreLock, StoredToken, TokenStore};

/// A token file larger than this is not ours; it is treated as unusable, not read into memory.
const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// The token file, pyTwitchAPI-compatible; the default [`TokenStore`].
///
/// Beside `user_token.json` it keeps `user_token.json.lock`, an empty file whose OS lock makes
/// processes that share the token take turns; it is never deleted, since deleting a lock file
/// races with the next process that opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The store for the token file at `path`. Nothing is read or written until it is used.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    /// The token file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn error(&self, action: &'static str, source: io::Error) -> Error {
        Error::File {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

impl TokenStore for FileStore {
    /// Missing, unreadable, not JSON, or without `token` and `refresh`: `Ok(None)`, and the file
    /// is left alone until a new token is in hand.
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        check_path(&self.path).map_err(|e| self.error("read", e))?;
        // A named pipe or a device is no token file, and opening a pipe would block.
        if fs::metadata(&self.path).is_ok_and(|meta| !meta.is_file()) {
            return Ok(None);
        }
        let Ok(file) = File::open(&self.path) else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        if file
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .is_err()
            || bytes.len() as u64 > MAX_FILE_SIZE
        {
            return Ok(None);
        }
        Ok(parse(&bytes))
    }

    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        write_atomically(&self.path, &record(token)).map_err(|e| self.error("write", e))
    }

    fn delete(&self) -> Result<(), Error> {
        sweep_stale_temps(parent_dir(&self.path), &self.path);
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(self.error("delete", e)),
            _ => Ok(()),
        }
    }

    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        let lock_path = self.lock_path();
        let locked = (|| {
            create_private_dir(parent_dir(&lock_path))?;
            let file = private_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)?;
            file.lock()?;
            Ok(file) // unlocked when closed
        })();
        locked
            .map(StoreLock::new)
            .map_err(|e| self.error("lock", e))
    }
}

/// What is written: the pair first, under pyTwitchAPI's names.
#[derive(Debug, Serialize)]
struct Record<'a> {
    token: &'a str,
    refresh: &'a str,
    client_id: Option<&'a str>,
    user_id: Option<&'a str>,
    login: Option<&'a str>,
    scopes: &'a [Scope],
    /// Unix seconds; `null` when unknown or never.
    expires_at: Option<u64>,
    token_fingerprint: String,
}

fn record(token: &StoredToken) -> Record<'_> {
    Record {
        token: token.access_token.secret(),
        refresh: token.refresh_token.secret(),
        client_id: token.client_id.as_deref(),
        user_id: token.user_id.as_deref(),
        login: token.login.as_deref(),
        scopes: &token.scopes,
        expires_at: token
            .expires_at
            .map(|at| at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())),
        token_fingerprint: fingerprint(token.access_token.secret()),
    }
}

/// Parses the file's bytes; see [`FileStore::load`].
pub(crate) fn parse(bytes: &[u8]) -> Option<StoredToken> {
    let object: Map<String, Value> = serde_json::from_slice(bytes).ok()?;
    let text = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let access = text("token")?;
    let refresh = text("refresh")?;
    let mut token = StoredToken::new(access, refresh);
    if text("token_fingerprint") == Some(&fingerprint(access)) {
        token.client_id = text("client_id").map(str::to_owned);
        token.user_id = text("user_id").map(str::to_owned);
        token.login = text("login").map(str::to_owned);
        if let Some(Value::Array(items)) = object.get("scopes") {
            token.scopes = items
                .iter()
                .filter_map(Value::as_str)
                .map(Scope::from)
                .collect();
        }
        token.expires_at = object
            .get("expires_at")
            .and_then(Value::as_u64)
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)));
    }
    Some(token)
}

/// A short digest tying the extra keys to the access token they describe (FNV-1a, 64 bits): it
/// only has to notice a replaced token, and the file holds the token itself anyway.
fn fingerprint(access: &str) -> String {
    let hash = access
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("fnv1a64:{hash:016x}")
}

/// Fails early when the path can never hold the token file, before a login is started for it.
fn check_path(path: &Path) -> io::Result<()> {
    if path.as_os_str().is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the token path is empty",
        ));
    }
    if fs::metadata(path).is_ok_and(|meta| meta.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the token path is a directory",
        ));
    }
    Ok(())
}

/// Writes the token file atomically: a temporary file in the same directory, written and synced,
/// then renamed over the old one. A crash leaves the old file or the new one, never a mix.
/// The file is readable by its owner only; missing parent directories are created (owner only).
fn write_atomically(path: &Path, record: &Record<'_>) -> io::Result<()> {
    check_path(path)?;
    let json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    let dir = parent_dir(path);
    create_private_dir(dir)?;
    sweep_stale_temps(dir, path);
    let temp = temp_path(dir, path);
    let written = write_synced(&temp, &json).and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written?;
    sync_dir(dir);
    Ok(())
}

/// How old a temporary file must be before a writer counts as dead: a write takes milliseconds.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60);

/// Removes the temporary files of writers that died before their rename (a crash, a SIGKILL):
/// each holds a token pair, and nothing else would ever remove them. A file counts as stale when
/// it is a minute old, or (on Linux) when the process that wrote it is gone.
fn sweep_stale_temps(dir: &Path, path: &Path) {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return;
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.strip_suffix(".tmp").and_then(|r| r.split('.').next()) else {
            continue;
        };
        let old = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age >= STALE_TEMP_AGE));
        if old || writer_is_gone(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether the process with this id has ended; `false` where that cannot be told.
fn writer_is_gone(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    if pid == std::process::id() {
        return false; // another thread of ours may be writing right now
    }
    cfg!(target_os = "linux") && !Path::new("/proc").join(pid.to_string()).exists()
}

fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Options for files only their owner may read.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

fn write_synced(temp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = private_options().write(true).create_new(true).open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes the rename itself durable. Best effort: not every platform can open a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, RefreshToken};

    fn stored(access: &str, scopes: Vec<Scope>) -> StoredToken {
        let mut token = StoredToken::new(access, "r+/=%");
        token.client_id = Some("c".into());
        token.user_id = Some("1".into());
        token.login = Some("l".into());
        token.scopes = scopes;
        token.expires_at = Some(UNIX_EPOCH + Duration::from_secs(99));
        token
    }

    #[test]
    fn round_trip_keeps_the_extra_keys() {
        let token = stored("a", vec![Scope::ChatRead, Scope::from("made:up")]);
        let json = serde_json::to_vec(&record(&token)).unwrap();
        assert_eq!(parse(&json).unwrap(), token);
    }

    #[test]
    fn files_that_are_not_a_pair() {
        let cases: [&[u8]; 9] = [
            b"",
            b"null",
            b"[]",
            b"{}",
            br#"{"token":"a"}"#,
            br#"{"refresh":"r"}"#,
            br#"{"token":"","refresh":"r"}"#,
            br#"{"token":1,"refresh":"r"}"#,
            b"\xff\xfe{",
        ];
        for bytes in cases {
            assert!(
                parse(bytes).is_none(),
                "{:?} was read as a pair",
                String::from_utf8_lossy(bytes)
            );
        }
        let deep = "[".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_none());
    }

    #[test]
    fn extra_keys_count_only_for_their_token() {
        let at = |secs| Some(UNIX_EPOCH + Duration::from_secs(secs));
        let cases = [
            (r#"{"token":"a","refresh":"r"}"#, None, false),
            (
                r#"{"token":"a","refresh":"r","login":"l","expires_at":1,"token_fingerprint":"fnv1a64:0"}"#,
                None,
                false,
            ),
            (
                r#"{"token":"a","refresh":"r","login":"l","expires_at":null,"token_fingerprint":"FP"}"#,
                None,
                true,
            ),
            (
                r#"{"token":"a","refresh":"r","login":"l","token_fingerprint":"FP"}"#,
                None,
                true,
            ),
            (
                r#"{"token":"a","refresh":"r","login":"l","expires_at":"soon","token_fingerprint":"FP"}"#,
                None,
                true,
            ),
            (
                r#"{"token":"a","refresh":"r","login":"l","expires_at":5,"scopes":"chat:read","token_fingerprint":"FP"}"#,
                at(5),
                true,
            ),
        ];
        for (json, expires_at, trusted) in cases {
            let json = json.replace("FP", &fingerprint("a"));
            let token = parse(json.as_bytes()).unwrap_or_else(|| panic!("{json} not read"));
            assert_eq!(token.expires_at, expires_at, "{json}");
            assert_eq!(token.login.is_some(), trusted, "{json}");
            assert_eq!(
                (token.access_token, token.refresh_token),
                (AccessToken::new("a"), RefreshToken::new("r"))
            );
        }
    }

    #[test]
    fn lock_file_sits_beside_the_token_file() {
        let store = FileStore::new("dir/user_token.json");
        assert_eq!(store.lock_path(), Path::new("dir/user_token.json.lock"));
        assert_eq!(
            FileStore::new("t.json").lock_path(),
            Path::new("t.json.lock")
        );
    }
}
