//! The token file as a store: an atomic owner-only writer, the sweep of dead writers' temporary
//! files, a lock file so that one process at a time binds or refreshes, and one held for a
//! login. Its contents and their reading are `token_file.rs`.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::token_file::{Record, record};
use crate::retry::retrying;
use crate::{Error, FileAction, StoreLock, StoredToken, TokenStore};

/// How long [`FileStore::lock`] waits for another process by default: longer than a holder
/// needs for its requests (a validation and a refresh, each bounded by the HTTP timeout), short
/// enough that a stopped holder is reported rather than waited for.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What [`FileStore::prepare_save`] writes to prove a save would fit: more than a record with
/// two of the longest tokens the crate sends (4 KiB each).
const SAVE_RESERVE: usize = 16 * 1024;

/// The token file, pyTwitchAPI-compatible; the default [`TokenStore`].
///
/// Beside `user_token.json` it keeps `user_token.json.lock`, an empty file whose OS lock makes
/// processes that share the token take turns; it is never deleted, since deleting a lock file
/// races with the next process that opens it. The lock is held only around reading,
/// refreshing and saving, never while a person logs in, and waiting for it is bounded
/// ([`lock_timeout`](Self::lock_timeout)). Neither the lock file nor a temporary file is ever
/// created through a symbolic link.
///
/// A token file on a read-only mount (a mounted secret) is still read and its token reused;
/// only a refresh or a login, whose result could not be kept, is refused before any request.
/// So is one on a token file bind-mounted on its own (a container's single-file volume), which
/// no rename can replace: mount its directory instead.
///
/// On Unix the file is created mode 0600 and missing directories 0700. Windows has no mode
/// bits: the directory's access list decides who can read the file, so keep it under the
/// user's profile (`%APPDATA%`) rather than in a shared folder. There, replacing a file that
/// another program holds open fails with a sharing violation; the replace is retried for up to
/// 2 seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStore {
    path: PathBuf,
    lock_timeout: Duration,
}

impl FileStore {
    /// The store for the token file at `path`. Nothing is read or written until it is used.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore {
            path: path.into(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long [`lock`](TokenStore::lock) waits for another process that holds the lock
    /// (one that was stopped, or hangs) before it fails with [`Error::LockTimedOut`]. Values
    /// above a day are taken as a day.
    ///
    /// Defaults to 60 seconds.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout.min(crate::app::MAX_WAIT);
        self
    }

    /// The token file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        self.beside(".lock")
    }

    /// The lock held for a whole login: another file than the refreshes' lock, which a login
    /// never holds.
    fn login_lock_path(&self) -> PathBuf {
        self.beside(".login.lock")
    }

    /// The token file's name with `suffix`, in its directory.
    fn beside(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        self.path.with_file_name(name)
    }

    /// Takes the lock file at `lock_path` without waiting.
    fn try_lock_at(&self, lock_path: &Path) -> Result<Option<StoreLock<'_>>, Error> {
        let file = match open_lock_file(lock_path) {
            Ok(Some(file)) => file,
            Ok(None) => return Ok(Some(StoreLock::new(()))),
            Err(e) => return Err(self.error(FileAction::Lock, e)),
        };
        match file.try_lock() {
            Ok(()) => Ok(Some(StoreLock::new(file))),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(self.error(FileAction::Lock, e)),
        }
    }

    fn error(&self, action: FileAction, source: io::Error) -> Error {
        Error::File {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

impl TokenStore for FileStore {
    /// Missing, larger than 1 MiB, not JSON, or without `token` and `refresh`: `Ok(None)`,
    /// and the file is left alone until a new token is in hand. A file that cannot be read, or
    /// that is empty or cut off mid-JSON (as one being rewritten in place is for a moment), is
    /// read again for up to 250 ms, then an [`Error::File`]: a login must not replace it, nor
    /// may a handle take it for a log out.
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        check_path(&self.path).map_err(|e| self.error(FileAction::Read, e))?;
        // A named pipe or a device is no token file, and opening a pipe would block.
        if fs::metadata(&self.path).is_ok_and(|meta| !meta.is_file()) {
            return Ok(None);
        }
        super::token_file::read(&self.path).map_err(|e| self.error(FileAction::Read, e))
    }

    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        write_atomically(&self.path, &record(token)).map_err(|e| self.error(FileAction::Write, e))
    }

    /// Creates, writes and syncs a temporary file of 16 KiB beside the token
    /// file, then removes it: a read-only mount, a directory the process may not write to, or
    /// a full disk fail here, before a refresh token or a login code is spent. So does a token
    /// file that is a mount point of its own, which a save could not replace.
    fn prepare_save(&self) -> Result<(), Error> {
        (|| {
            check_path(&self.path)?;
            refuse_read_only_file(&self.path)?;
            create_private_dir(parent_dir(&self.path))?;
            let temp = temp_path(&self.path);
            let written = write_synced(&temp, &[b' '; SAVE_RESERVE]).map(drop);
            let _ = fs::remove_file(&temp);
            written?;
            refuse_mount_point(&self.path)
        })()
        .map_err(|e| self.error(FileAction::Write, e))
    }

    /// As [`prepare_save`](TokenStore::prepare_save), and refuses to refresh a pair read
    /// through a symbolic link: the save would replace the link (the file it leads to is never
    /// written through it), and that file would keep a spent refresh token for whoever reads it
    /// by its own path.
    fn prepare_refresh(&self, from: &StoredToken) -> Result<(), Error> {
        let through_link =
            fs::symlink_metadata(&self.path).is_ok_and(|meta| meta.file_type().is_symlink());
        if through_link
            && let Ok(Some(stored)) = super::token_file::read(&self.path)
            && stored.refresh_token == from.refresh_token
        {
            let target = fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
            return Err(self.error(
                FileAction::Write,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the token file is a symbolic link to {}, and a refresh would replace \
                         the link and leave that file with a spent refresh token: give its own \
                         path instead",
                        target.display()
                    ),
                ),
            ));
        }
        self.prepare_save()
    }

    fn delete(&self) -> Result<(), Error> {
        sweep_stale_temps(parent_dir(&self.path), &self.path);
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(self.error(FileAction::Delete, e)),
            _ => Ok(()),
        }
    }

    fn try_lock(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.try_lock_at(&self.lock_path())
    }

    fn try_lock_login(&self) -> Result<Option<StoreLock<'_>>, Error> {
        self.try_lock_at(&self.login_lock_path())
    }

    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        let lock_path = self.lock_path();
        let file = match open_lock_file(&lock_path) {
            Ok(Some(file)) => file,
            // Nobody here can write the store, so nothing here will spend a refresh token.
            Ok(None) => return Ok(StoreLock::new(())),
            Err(e) => return Err(self.error(FileAction::Lock, e)),
        };
        let held_elsewhere = |e: &io::Error| e.kind() == io::ErrorKind::WouldBlock;
        let locked = retrying(
            || file.try_lock().map_err(io::Error::from),
            held_elsewhere,
            self.lock_timeout,
        );
        match locked {
            Ok(()) => Ok(StoreLock::new(file)), // unlocked when closed
            Err(e) if held_elsewhere(&e) => Err(Error::LockTimedOut {
                path: lock_path,
                after: self.lock_timeout,
            }),
            Err(e) => Err(self.error(FileAction::Lock, e)),
        }
    }
}

/// Opens the lock file, creating it if need be, never through a symbolic link (a dangling link
/// would make us create its target, anywhere, as whoever we run as). `None` when the directory
/// cannot be written and holds no lock file: a read-only store needs no lock.
fn open_lock_file(lock_path: &Path) -> io::Result<Option<File>> {
    refuse_symlink(lock_path)?;
    // Said before any open: Windows opens no directory without a flag we never pass, and
    // answers "access denied", which must not read as "this directory cannot be written, so no
    // lock is needed" (the lock would then silently not be held).
    refuse_non_file(lock_path)?;
    let mut options = private_options();
    options.read(true).write(true).create(true).truncate(false);
    let created = create_private_dir(parent_dir(lock_path))
        .and_then(|()| no_follow(&mut options).open(lock_path));
    match created {
        Ok(file) => regular(file, lock_path).map(Some),
        Err(e) if is_unwritable(&e) => {
            // A lock file that exists can still be locked through a read-only handle.
            match no_follow(OpenOptions::new().read(true)).open(lock_path) {
                Ok(file) => regular(file, lock_path).map(Some),
                Err(other) if no_lock_needed(other.kind(), cfg!(windows)) => Ok(None),
                Err(_) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether a lock file that could not be created, and then not opened to read (`reopen`), means
/// that nothing here can write the store, so that no lock is needed: when there is no lock file
/// (it could not be created), and on Unix when it may not even be read (file modes follow the
/// directory's owner). On Windows each file has its own access list: a lock file this user may
/// not open says nothing of the directory, which may still be writable, so the lock must be
/// had, and the error stands.
fn no_lock_needed(reopen: io::ErrorKind, windows: bool) -> bool {
    match reopen {
        io::ErrorKind::NotFound => true,
        io::ErrorKind::PermissionDenied => !windows,
        _ => false,
    }
}

/// On Windows a file with the read-only attribute cannot be replaced by a rename (access
/// denied), though its directory is writable: say so before a refresh token is spent. On Unix
/// the rename replaces it, as the directory allows.
fn refuse_read_only_file(path: &Path) -> io::Result<()> {
    let read_only = cfg!(windows)
        && fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().readonly());
    if read_only {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the token file is read-only (its read-only attribute is set); clear it",
        ));
    }
    Ok(())
}

/// A token file bind-mounted on its own (Docker's `-v ./user_token.json:/app/user_token.json`,
/// a Kubernetes `subPath`) can be written in place but never replaced: the rename of a save
/// would fail ("Device or resource busy") after the refresh token was spent, and the next start
/// would send that spent token again. Unix tells such a file by a hard link to it beside it,
/// which fails with EXDEV across mount points even within one file system; the link, under a
/// temporary name the sweep knows, is removed at once. Any other failure of the link (a file
/// system without hard links, a file the process does not own) tells nothing: no refusal.
#[cfg(unix)]
fn refuse_mount_point(path: &Path) -> io::Result<()> {
    let probe = temp_path(path);
    match fs::hard_link(path, &probe) {
        Ok(()) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the token file is a mount point (a file bind-mounted on its own), so it cannot be \
             replaced atomically: mount its directory instead",
        )),
        Err(_) => Ok(()),
    }
}

/// Windows has no counterpart: it mounts volumes on empty directories only, never a single
/// file over another, so a token file there can always be replaced.
#[cfg(not(unix))]
fn refuse_mount_point(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Whether an error says no file can be created here (read-only mount, no permission, no free
/// inode or quota left): then no temporary file can be either, so nothing here can replace the
/// token file, and a lock file is not needed to keep a refresh token from being spent twice.
fn is_unwritable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ReadOnlyFilesystem
            | io::ErrorKind::PermissionDenied
            | io::ErrorKind::StorageFull
            | io::ErrorKind::QuotaExceeded
    )
}

/// Fails when `path` is a symbolic link, saying so; `no_follow` closes the race that remains.
fn refuse_symlink(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link, and the lock file is never opened through one: remove it",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Fails when something other than a regular file (a directory, a named pipe, a device) stands
/// at `path`; nothing there is fine.
fn refuse_non_file(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(not_a_regular_file(path)),
        _ => Ok(()),
    }
}

/// `file` if it is a regular file: a named pipe or a device at the lock path is refused.
fn regular(file: File, path: &Path) -> io::Result<File> {
    if file.metadata()?.is_file() {
        return Ok(file);
    }
    Err(not_a_regular_file(path))
}

/// The refusal of a directory, a named pipe or a device at the lock path, before or after open.
fn not_a_regular_file(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} is not a regular file: remove it", path.display()),
    )
}

/// Makes `open` fail on a symbolic link instead of following it, and return at once on a named
/// pipe (which `regular` then refuses) instead of waiting for a writer.
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    // FILE_FLAG_OPEN_REPARSE_POINT: open a link itself, never its target.
    #[cfg(windows)]
    std::os::windows::fs::OpenOptionsExt::custom_flags(options, 0x0020_0000);
    options
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
    let temp = temp_path(path);
    let written = write_synced(&temp, &json).and_then(|file| {
        // On Unix the temporary file stays locked until it is renamed: a sweep by a process in
        // another pid namespace (another container on the same volume) sees its writer alive.
        // Windows renames only files whose open handles share deletion: ours is closed first.
        #[cfg(not(unix))]
        drop(file);
        let renamed = retrying(
            || fs::rename(&temp, path),
            is_sharing_violation,
            RENAME_BUDGET,
        );
        #[cfg(unix)]
        drop(file);
        renamed
    });
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written?;
    sync_dir(dir);
    Ok(())
}

/// How long a replace of the token file is retried while another program holds it open.
const RENAME_BUDGET: Duration = Duration::from_secs(2);

/// Whether a rename failed only because another program has the file open without sharing
/// it for deletion (an antivirus scan, an editor, a Python reader): on Windows that fails with
/// a sharing, lock or access violation, which clears when that program closes the file. A Unix
/// rename never fails for that reason.
fn is_sharing_violation(e: &io::Error) -> bool {
    // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION.
    cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32 | 33))
}

/// How old a temporary file must be before a writer counts as dead: a write takes milliseconds.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60);

/// Removes the temporary files of writers that died before their rename (a crash, a SIGKILL):
/// each holds a token pair, and nothing else would ever remove them. Only this store's own
/// temporary names count ([`temp_writer`]); a file counts as stale when it is a minute old, or
/// (on Linux, which lists processes in `/proc`) when the process that wrote it is gone.
/// Elsewhere (Windows, macOS) age alone decides: a save takes milliseconds, so a minute-old
/// temporary file is a dead writer's.
///
/// A process id is only meaningful in its pid namespace: a writer in another container on the
/// same volume has an id this process may not see. So a gone id is not enough: the writer's
/// lock on its temporary file ([`write_synced`]) must be free too, which it is only once the
/// writer has ended (or renamed the file).
fn sweep_stale_temps(dir: &Path, path: &Path) {
    let Some(name) = path.file_name() else {
        return;
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = temp_writer(&entry.file_name(), name) else {
            continue;
        };
        let old = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age >= STALE_TEMP_AGE));
        if old || (writer_is_gone(pid) && unlocked(&entry.path())) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The writer's process id when `file_name` is exactly a temporary name of the token file
/// `token_name` (`.NAME.PID.N.tmp`, see [`temp_path`]), else `None`. Compared as bytes, so a
/// name that is not UTF-8 is swept too; two numbers exactly, so the temporary files of a
/// neighbouring store named `NAME.5` (`.NAME.5.PID.N.tmp`) never match.
fn temp_writer(file_name: &OsStr, token_name: &OsStr) -> Option<u32> {
    let rest = file_name
        .as_encoded_bytes()
        .strip_prefix(b".")?
        .strip_prefix(token_name.as_encoded_bytes())?
        .strip_prefix(b".")?
        .strip_suffix(b".tmp")?;
    let dot = rest.iter().position(|&b| b == b'.')?;
    let (pid, counter) = (&rest[..dot], &rest[dot + 1..]);
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if !digits(pid) || !digits(counter) {
        return None;
    }
    std::str::from_utf8(pid).ok()?.parse().ok()
}

/// Whether the process with this id has ended; `false` where that cannot be told.
fn writer_is_gone(pid: u32) -> bool {
    if pid == std::process::id() {
        return false; // another thread of ours may be writing right now
    }
    cfg!(target_os = "linux") && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Whether nobody holds the lock a writer takes on its temporary file ([`write_synced`]).
fn unlocked(temp: &Path) -> bool {
    match no_follow(OpenOptions::new().read(true)).open(temp) {
        Ok(file) => file.try_lock().is_ok(), // released when `file` closes
        Err(_) => false,
    }
}

/// A new temporary name beside the token file: `.NAME.PID.N.tmp`, the name kept as the OS
/// gave it (not UTF-8 is fine), so that [`temp_writer`] recognises it. N starts at a random
/// number in each process: processes in different containers may have the same id (each
/// container's first process is 1), and must not pick the same name.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static START: OnceLock<u64> = OnceLock::new();
    let start = START.get_or_init(|| {
        // Without the OS's randomness, the clock still tells two processes apart.
        getrandom::u64().unwrap_or_else(|_| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            now.as_nanos() as u64
        })
    });
    let n = start.wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.{n}.tmp", std::process::id()));
    parent_dir(path).join(name)
}

pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Options for files only their owner may read.
pub(crate) fn private_options() -> OpenOptions {
    #[cfg(unix)]
    {
        let mut options = OpenOptions::new();
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
    }
    // No mode bits: the directory's access list decides who may read (see the crate docs).
    #[cfg(not(unix))]
    OpenOptions::new()
}

/// Creates `temp`, writes and syncs `bytes`, and returns the file still open. On Unix it is
/// locked for as long as it is open: a live writer's temporary file is never swept.
fn write_synced(temp: &Path, bytes: &[u8]) -> io::Result<File> {
    let mut file = private_options().write(true).create_new(true).open(temp)?;
    // A file system without locks only loses the sweep's second check: no reason to fail.
    #[cfg(unix)]
    let _ = file.try_lock();
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(file)
}

pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        // The system says "File exists" when a file stands where a directory must be.
        match dir
            .ancestors()
            .find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir()))
        {
            Some(file) => io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is a file, not a directory", file.display()),
            ),
            None => e,
        }
    })
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

    #[test]
    fn temporary_names_are_recognised_exactly() {
        let name = OsStr::new("user_token.json");
        let temp = temp_path(Path::new("dir/user_token.json"));
        let temp_name = temp.file_name().unwrap();
        assert_eq!(temp_writer(temp_name, name), Some(std::process::id()));
        let cases = [
            (".user_token.json.12.0.tmp", Some(12)),
            (".user_token.json.5.12.0.tmp", None), // the store `user_token.json.5`'s
            (".user_token.json.12.tmp", None),
            (".user_token.json.12.0.tmp.x", None),
            (".user_token.json..0.tmp", None),
            (".user_token.json.x.0.tmp", None),
            ("user_token.json.12.0.tmp", None),
            (".user_token.jsonx.12.0.tmp", None),
            (".user_token.json.99999999999.0.tmp", None), // not a process id
        ];
        for (file_name, want) in cases {
            assert_eq!(
                temp_writer(OsStr::new(file_name), name),
                want,
                "{file_name}"
            );
        }
    }

    #[test]
    fn a_lock_file_that_cannot_be_opened_leaves_the_lock_unheld_only_where_safe() {
        use io::ErrorKind::{NotFound, PermissionDenied, ResourceBusy};
        let cases = [
            // (why the reopen failed, on Windows, no lock needed)
            (NotFound, false, true),
            (NotFound, true, true),
            (PermissionDenied, false, true),
            (PermissionDenied, true, false), // another user's access list: lock or fail
            (ResourceBusy, false, false),
            (ResourceBusy, true, false),
        ];
        for (kind, windows, want) in cases {
            assert_eq!(
                no_lock_needed(kind, windows),
                want,
                "{kind:?}, windows {windows}"
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
