//! The token file's contents and their reading.
//!
//! A JSON object with pyTwitchAPI's `token` and `refresh`, so each library reads the other's
//! file, plus what this crate remembers about the token (scopes, expiry, user, client id). Those
//! extra keys are trusted only while `token_fingerprint` matches `token`: pyTwitchAPI, or a hand
//! edit, may replace the pair and leave keys that describe an older token.
//!
//! A missing file is no token, but a file that cannot be read, or that holds half a pair while a
//! writer rewrites it, is read again for a moment and then reported, never taken for "no token"
//! (which would start a login over it, or make a handle report a log out).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::retry::retrying;
use crate::{Scope, StoredToken};

/// A token file larger than this is not ours; it is treated as unusable, not read into memory.
const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// How long a file that cannot be read, or that holds no pair, is read again before the answer
/// stands: pyTwitchAPI rewrites its file in place (truncate, then write) in far less, and a
/// shortage of file descriptors or a scanner holding the file often clears as quickly.
const REREAD_BUDGET: Duration = Duration::from_millis(250);

/// The pair in the token file at `path`, which is not a directory, named pipe or device.
///
/// `None` when there is no file, or when it is not a token file (too large, not JSON, JSON
/// without `token` and `refresh`): a new login may replace it. An error when it cannot be read,
/// or stays empty or cut off mid-JSON, as a half-written file is: a login over it could
/// overwrite the pair a writer is storing, and a handle must not take it for a log out.
pub(crate) fn read(path: &Path) -> io::Result<Option<StoredToken>> {
    let read = retrying(
        || read_once(path),
        |e| e.kind() != io::ErrorKind::NotFound && !matches!(unusable(e), Some(Unusable::TooLarge)),
        REREAD_BUDGET,
    );
    match read {
        Ok(token) => Ok(Some(token)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if matches!(unusable(&e), Some(Unusable::TooLarge | Unusable::NotOurs)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One read of the file: its pair, or why there is none (an [`Unusable`] for its content).
fn read_once(path: &Path) -> io::Result<StoredToken> {
    let mut bytes = Vec::new();
    File::open(path)?
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(Unusable::TooLarge.into());
    }
    if let Some(token) = parse(&bytes) {
        return Ok(token);
    }
    // An in-place rewrite shows a reader nothing, or the start of an object that stops before
    // it is complete; anything else was written whole, and is no pair of ours.
    let text = bytes.trim_ascii_start();
    let cut = text.is_empty()
        || text.starts_with(b"{")
            && serde_json::from_slice::<serde::de::IgnoredAny>(text).is_err_and(|e| e.is_eof());
    Err(if cut {
        Unusable::Cut
    } else {
        Unusable::NotOurs
    }
    .into())
}

/// Why the content of a token file is no pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unusable {
    /// Over [`MAX_FILE_SIZE`]: not read at all.
    TooLarge,
    /// Complete, but not JSON or without `token` and `refresh`.
    NotOurs,
    /// Empty, or JSON that ends before it is complete.
    Cut,
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unusable::TooLarge => "the token file is larger than 1 MiB, so it is no token file",
            Unusable::NotOurs => "the token file holds no token pair",
            Unusable::Cut => {
                "the token file holds no token pair: it is empty or ends mid-JSON, as a \
                 half-written file does, and stayed so for 250 ms; if no program is writing it, \
                 delete it to log in again"
            }
        })
    }
}

impl std::error::Error for Unusable {}

impl From<Unusable> for io::Error {
    fn from(unusable: Unusable) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, unusable)
    }
}

/// The [`Unusable`] an error of [`read_once`] carries, if it is one.
fn unusable(e: &io::Error) -> Option<Unusable> {
    e.get_ref()?.downcast_ref::<Unusable>().copied()
}

/// What is written: the pair first, under pyTwitchAPI's names.
#[derive(Debug, Serialize)]
pub(crate) struct Record<'a> {
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

pub(crate) fn record(token: &StoredToken) -> Record<'_> {
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
pub(crate) fn fingerprint(access: &str) -> String {
    let hash = access
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("fnv1a64:{hash:016x}")
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
}
