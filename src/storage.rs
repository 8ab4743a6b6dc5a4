//! The token file: pyTwitchAPI's keys, a tolerant reader, an atomic owner-only writer.
//!
//! The file is a JSON object with pyTwitchAPI's `token` and `refresh`, so each library reads the
//! other's file, plus what this crate remembers about the token (scopes, expiry, user, client id).
//! Those extra keys are trusted only while `token_fingerprint` matches `token`: pyTwitchAPI, or a
//! hand edit, may replace the pair and leave keys that describe an older token.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{AccessToken, RefreshToken, Scope};

/// A token file larger than this is not ours; it is treated as unusable, not read into memory.
const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// A usable-looking pair read from the token file.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) access: AccessToken,
    pub(crate) refresh: RefreshToken,
    /// What this crate wrote beside the pair, when it describes this very pair.
    pub(crate) meta: Option<Meta>,
}

/// What this crate remembers about the stored pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) client_id: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) login: Option<String>,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) expiry: Expiry,
}

/// When the stored access token expires, as far as the file knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// No `expires_at` key: ask Twitch.
    Unknown,
    /// `expires_at: null`: a legacy token that does not expire.
    Never,
    /// Unix seconds.
    At(u64),
}

impl Stored {
    /// Whether the file says the access token has expired by `now` (unix seconds).
    pub(crate) fn known_expired(&self, now: u64) -> bool {
        matches!(self.meta, Some(Meta { expiry: Expiry::At(at), .. }) if at <= now)
    }
}

/// What is written: the pair first, under pyTwitchAPI's names.
#[derive(Debug, Serialize)]
pub(crate) struct Record<'a> {
    pub(crate) token: &'a str,
    pub(crate) refresh: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) login: &'a str,
    pub(crate) scopes: &'a [Scope],
    /// Unix seconds; `null` for a token that does not expire.
    pub(crate) expires_at: Option<u64>,
    pub(crate) token_fingerprint: String,
}

/// Reads the token file. Missing, unreadable, not JSON, or without `token` and `refresh`: `None`,
/// and the file is left alone until a new token is in hand.
pub(crate) fn load(path: &Path) -> Option<Stored> {
    let file = File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return None;
    }
    parse(&bytes)
}

/// Parses the file's bytes; see [`load`].
pub(crate) fn parse(bytes: &[u8]) -> Option<Stored> {
    let object: Map<String, Value> = serde_json::from_slice(bytes).ok()?;
    let text = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let access = text("token")?;
    let refresh = text("refresh")?;
    let meta = (text("token_fingerprint") == Some(&fingerprint(access))).then(|| Meta {
        client_id: text("client_id").map(str::to_owned),
        user_id: text("user_id").map(str::to_owned),
        login: text("login").map(str::to_owned),
        scopes: match object.get("scopes") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(Scope::from)
                .collect(),
            _ => Vec::new(),
        },
        expiry: match object.get("expires_at") {
            Some(Value::Null) => Expiry::Never,
            Some(value) => value.as_u64().map_or(Expiry::Unknown, Expiry::At),
            None => Expiry::Unknown,
        },
    });
    Some(Stored {
        access: AccessToken::new(access),
        refresh: RefreshToken::new(refresh),
        meta,
    })
}

/// A short digest tying the extra keys to the access token they describe (FNV-1a, 64 bits): it
/// only has to notice a replaced token, and the file holds the token itself anyway.
pub(crate) fn fingerprint(access: &str) -> String {
    let hash = access
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("fnv1a64:{hash:016x}")
}

/// Fails early when the path can never hold the token file, before a login is started for it.
pub(crate) fn check_path(path: &Path) -> io::Result<()> {
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
pub(crate) fn save(path: &Path, record: &Record<'_>) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    create_private_dir(dir)?;
    let temp = temp_path(dir, path);
    let written = write_synced(&temp, &json).and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written?;
    sync_dir(dir);
    Ok(())
}

fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn write_synced(temp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(temp)?;
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

    fn record<'a>(token: &'a str, scopes: &'a [Scope]) -> Record<'a> {
        Record {
            token,
            refresh: "r+/=%",
            client_id: "c",
            user_id: "1",
            login: "l",
            scopes,
            expires_at: Some(99),
            token_fingerprint: fingerprint(token),
        }
    }

    #[test]
    fn round_trip_keeps_the_extra_keys() {
        let scopes = [Scope::ChatRead, Scope::from("made:up")];
        let json = serde_json::to_vec(&record("a", &scopes)).unwrap();
        let stored = parse(&json).unwrap();
        assert_eq!(
            (stored.access.secret(), stored.refresh.secret()),
            ("a", "r+/=%")
        );
        let meta = stored.meta.unwrap();
        assert_eq!(meta.scopes, scopes);
        assert_eq!(meta.expiry, Expiry::At(99));
        assert_eq!(meta.login.as_deref(), Some("l"));
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
        let cases = [
            (r#"{"token":"a","refresh":"r"}"#, None),
            (
                r#"{"token":"b","refresh":"r","expires_at":1,"token_fingerprint":"fnv1a64:0"}"#,
                None,
            ),
            (
                r#"{"token":"a","refresh":"r","expires_at":null,"token_fingerprint":"FP"}"#,
                Some(Expiry::Never),
            ),
            (
                r#"{"token":"a","refresh":"r","token_fingerprint":"FP"}"#,
                Some(Expiry::Unknown),
            ),
            (
                r#"{"token":"a","refresh":"r","expires_at":"soon","token_fingerprint":"FP"}"#,
                Some(Expiry::Unknown),
            ),
            (
                r#"{"token":"a","refresh":"r","expires_at":5,"scopes":"chat:read","token_fingerprint":"FP"}"#,
                Some(Expiry::At(5)),
            ),
        ];
        for (json, want) in cases {
            let json = json.replace("FP", &fingerprint("a"));
            let stored = parse(json.as_bytes()).unwrap_or_else(|| panic!("{json} not read"));
            assert_eq!(stored.meta.map(|m| m.expiry), want, "{json}");
        }
    }

    #[test]
    fn known_expired_only_with_a_past_expiry() {
        let stored = |expiry| Stored {
            access: AccessToken::new("a"),
            refresh: RefreshToken::new("r"),
            meta: Some(Meta {
                client_id: None,
                user_id: None,
                login: None,
                scopes: vec![],
                expiry,
            }),
        };
        assert!(stored(Expiry::At(10)).known_expired(10));
        assert!(!stored(Expiry::At(11)).known_expired(10));
        assert!(!stored(Expiry::Never).known_expired(10));
        assert!(!stored(Expiry::Unknown).known_expired(10));
    }
}
