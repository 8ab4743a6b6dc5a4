//! Reading the token file: a missing file is no token, but a file that cannot be read, or that
//! holds half a pair while a writer rewrites it, is read again for a moment and then reported,
//! never taken for "no token" (which would start a login over it, or make a handle report a
//! log out).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use crate::StoredToken;
use crate::file_store::{parse, retrying};

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
