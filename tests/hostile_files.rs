//! Token files that are hostile: empty, huge, binary, deeply nested, a directory, symlinks to
//! elsewhere, special files, a lock path that is not a plain file, an unreadable file. Each ends
//! in a clear outcome, a new token from the generator or an `Error::File`, without a panic or a
//! hang, and nothing of the user's is overwritten that was not ours to overwrite.
//!
//! Cases already covered elsewhere: `{"token": "only-half"}` and `not json`
//! (tests/generate.rs), a symlink to an unusable file of the user's and a world-readable file
//! (tests/token_file.rs); the parser's own cases are in src/store/token_file.rs.

mod support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use support::{CHAT, Setup};
use twitch_auth::{Error, FileAction, Helper, Outcome, UserToken};

/// What `bind()` must do with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Ignore what is there, log in (the counting generator), store the new pair.
    Generated,
    /// `Error::File` with this action, before any login and any request.
    FileError(FileAction),
}

/// Runs `bind()` on another thread: a panic or a hang is a failure that says so.
fn bind_within(helper: Helper, limit: Duration) -> Result<Result<UserToken, Error>, String> {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = tx.send(helper.bind());
    });
    match rx.recv_timeout(limit) {
        Ok(result) => Ok(result),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("bind() still running after {limit:?}"))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(format!(
            "bind() panicked: {:?}",
            thread.join().err().and_then(|e| e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned())))
        )),
    }
}

/// What is at a path, to compare before and after: the type, and a plain file's bytes or a
/// directory's entry names. Special files (devices) are not read.
fn snapshot(path: &Path) -> String {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return "nothing".to_owned();
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        format!("symlink to {:?}", std::fs::read_link(path).unwrap())
    } else if kind.is_file() {
        let bytes = std::fs::read(path).unwrap_or_default();
        format!("file of {} bytes, hash {:016x}", bytes.len(), fnv(&bytes))
    } else if kind.is_dir() {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        format!("directory {names:?}")
    } else {
        format!("{kind:?}")
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A live pair at the fake, as pyTwitchAPI would write it.
fn live_pair(t: &Setup) -> String {
    let grant = t.fake.grant(&CHAT);
    format!(
        r#"{{"token": "{}", "refresh": "{}""#,
        grant.access_token, grant.refresh_token
    )
}

#[cfg(unix)] // the cases that need it make Unix symlinks, pipes and modes
fn parent(t: &Setup) -> PathBuf {
    let dir = t.path.parent().unwrap().to_owned();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn lock_path(t: &Setup) -> PathBuf {
    t.path.with_file_name("user_token.json.lock")
}

/// Puts the case in place; returns the paths whose content is the user's and must not change.
type Arrange = fn(&Setup) -> Vec<PathBuf>;

/// (case, arrange, want); the requests the fake sees are `GET validate` for the new token only,
/// or none for a file error, unless the case says otherwise.
fn cases() -> Vec<(&'static str, Arrange, Want)> {
    #[cfg_attr(not(unix), allow(unused_mut))] // Unix-only cases are pushed below
    let mut cases: Vec<(&'static str, Arrange, Want)> = vec![
        // What a program rewriting the file in place (pyTwitchAPI: truncate, then write) leaves
        // for a moment: read again, then an error, not a login over the pair being written
        // (tests/half_written.rs).
        (
            "empty file",
            |t| {
                t.write_file(b"");
                vec![t.path.clone()]
            },
            Want::FileError(FileAction::Read),
        ),
        // Over the 1 MB limit: not read at all, though it holds a live pair.
        (
            "5 MB of JSON holding a live pair",
            |t| {
                let padding = "x".repeat(5 * 1024 * 1024);
                let json = format!(r#"{}, "padding": "{padding}"}}"#, live_pair(t));
                t.write_file(json.as_bytes());
                vec![]
            },
            Want::Generated,
        ),
        (
            "5 MB of random bytes",
            |t| {
                let mut x = 0x9e37_79b9_7f4a_7c15_u64;
                let bytes: Vec<u8> = (0..5 * 1024 * 1024)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                t.write_file(&bytes);
                vec![]
            },
            Want::Generated,
        ),
        (
            "binary: NUL, 0xFF, half a UTF-8 sequence",
            |t| {
                t.write_file(b"\x00\xff{\"token\":\"\xc3\",\"refresh\":\"\x00\"}\xe2\x82");
                vec![]
            },
            Want::Generated,
        ),
        (
            "100 000 nested arrays",
            |t| {
                t.write_file("[".repeat(100_000).as_bytes());
                vec![]
            },
            Want::Generated,
        ),
        (
            "100 000 nested objects, closed",
            |t| {
                let json = format!("{}1{}", r#"{"token":"#.repeat(100_000), "}".repeat(100_000));
                t.write_file(json.as_bytes());
                vec![]
            },
            Want::Generated,
        ),
        // As Notepad saves: serde_json (and Python's json) refuse the BOM, so the pair is unusable.
        (
            "a UTF-8 BOM before a live pair",
            |t| {
                let json = format!("\u{feff}{}}}", live_pair(t));
                t.write_file(json.as_bytes());
                vec![]
            },
            Want::Generated,
        ),
        (
            "a directory at the path, with a file in it",
            |t| {
                std::fs::create_dir_all(&t.path).unwrap();
                std::fs::write(t.path.join("notes.txt"), b"the user's notes").unwrap();
                vec![t.path.clone(), t.path.join("notes.txt")]
            },
            Want::FileError(FileAction::Read),
        ),
        (
            "a file where the token file's directory should be",
            |t| {
                let dir = t.path.parent().unwrap();
                std::fs::write(dir, b"the user's file").unwrap();
                vec![dir.to_owned()]
            },
            Want::FileError(FileAction::Lock),
        ),
        (
            "a directory at the lock path",
            |t| {
                std::fs::create_dir_all(lock_path(t)).unwrap();
                t.write_file(live_pair(t).as_bytes());
                vec![lock_path(t), t.path.clone()]
            },
            Want::FileError(FileAction::Lock),
        ),
        (
            "a file name longer than the file system allows",
            |t| {
                std::fs::create_dir_all(t.path.parent().unwrap()).unwrap();
                vec![t.path.parent().unwrap().to_owned()]
            },
            Want::FileError(FileAction::Lock),
        ),
    ];
    #[cfg(unix)] // symlinks, named pipes, /dev/zero
    cases.extend::<[(&'static str, Arrange, Want); 5]>([
        // Endless: the size limit stops the read; the link is replaced, /dev/zero is not written.
        (
            "a symlink to /dev/zero",
            |t| {
                std::os::unix::fs::symlink("/dev/zero", parent(t).join("user_token.json")).unwrap();
                vec![PathBuf::from("/dev/zero")]
            },
            Want::Generated,
        ),
        // Nothing is created where the link points.
        (
            "a dangling symlink",
            |t| {
                let nowhere = t.dir.path().join("elsewhere").join("target.json");
                std::os::unix::fs::symlink(&nowhere, parent(t).join("user_token.json")).unwrap();
                vec![nowhere, t.dir.path().join("elsewhere")]
            },
            Want::Generated,
        ),
        (
            "a symlink to a directory of the user's",
            |t| {
                let elsewhere = t.dir.path().join("documents");
                std::fs::create_dir_all(&elsewhere).unwrap();
                std::fs::write(elsewhere.join("letter.txt"), b"dear").unwrap();
                std::os::unix::fs::symlink(&elsewhere, parent(t).join("user_token.json")).unwrap();
                vec![
                    t.path.clone(),
                    elsewhere.clone(),
                    elsewhere.join("letter.txt"),
                ]
            },
            Want::FileError(FileAction::Read),
        ),
        // The lock file is never opened through a link: refused, and the user's file untouched.
        (
            "the lock path a symlink to a file of the user's",
            |t| {
                let elsewhere = t.dir.path().join("diary.txt");
                std::fs::write(&elsewhere, b"the user's diary").unwrap();
                std::os::unix::fs::symlink(&elsewhere, parent(t).join("user_token.json.lock"))
                    .unwrap();
                vec![elsewhere, lock_path(t)]
            },
            Want::FileError(FileAction::Lock),
        ),
        // Read through the link and validated (it lacks chat:edit): the link is replaced, the
        // user's file keeps its pair.
        (
            "a symlink to a file of the user's holding a live pair that lacks a scope",
            |t| {
                let grant = t.fake.grant(&["chat:read"]);
                let elsewhere = t.dir.path().join("other-app-token.json");
                let json = format!(
                    r#"{{"token": "{}", "refresh": "{}"}}"#,
                    grant.access_token, grant.refresh_token
                );
                std::fs::write(&elsewhere, json).unwrap();
                std::os::unix::fs::symlink(&elsewhere, parent(t).join("user_token.json")).unwrap();
                vec![elsewhere]
            },
            Want::Generated,
        ),
    ]);
    cases
}

#[test]
fn hostile_token_files_end_in_a_login_or_a_file_error() {
    let mut failures = Vec::new();
    for (name, arrange, want) in cases() {
        let t = Setup::new();
        let keep = arrange(&t);
        let before: Vec<String> = keep.iter().map(|p| snapshot(p)).collect();
        t.fake.clear_requests();
        let helper = if name.starts_with("a file name longer") {
            t.generating_helper(&CHAT)
                .path(t.path.with_file_name("n".repeat(300)))
        } else {
            t.generating_helper(&CHAT)
        };

        let result = bind_within(helper, Duration::from_secs(15));

        let mut problems = Vec::new();
        let requests = t.requests();
        match (&result, want) {
            (Err(hang_or_panic), _) => problems.push(hang_or_panic.clone()),
            (Ok(Ok(token)), Want::Generated) => {
                if token.outcome() != Outcome::Generated {
                    problems.push(format!("outcome {}", token.outcome()));
                }
                // Only the new token was sent anywhere: nothing read from the hostile file
                // (but for the live pair the symlink leads to).
                let want_requests: &[&str] = if name.contains("lacks a scope") {
                    &["GET validate", "GET validate"]
                } else {
                    &["GET validate"]
                };
                if requests != want_requests {
                    problems.push(format!("requests {requests:?}"));
                }
                let stored = std::fs::read(&t.path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
                let access = token.access_token().unwrap();
                if stored.as_ref().and_then(|j| j["token"].as_str()) != Some(access.secret()) {
                    problems.push(format!(
                        "the new pair is not in the file: {}",
                        snapshot(&t.path)
                    ));
                }
                if !std::fs::symlink_metadata(&t.path).is_ok_and(|m| m.is_file()) {
                    problems.push(format!("the token path is now {}", snapshot(&t.path)));
                }
                #[cfg(unix)] // mode bits
                if support::mode(&t.path) != 0o600 {
                    problems.push(format!("mode {:o}", support::mode(&t.path)));
                }
            }
            (Ok(Err(Error::File { action, path, .. })), Want::FileError(want_action)) => {
                if *action != want_action {
                    problems.push(format!("Error::File while trying to {action}"));
                }
                let shown = result.as_ref().unwrap().as_ref().unwrap_err().to_string();
                if !shown.contains(&path.display().to_string()) {
                    problems.push(format!("the message does not name the file: {shown}"));
                }
                if !requests.is_empty() {
                    problems.push(format!("requests {requests:?}"));
                }
            }
            (Ok(other), _) => problems.push(format!(
                "bind() returned {:?}",
                other.as_ref().map(UserToken::outcome)
            )),
        }
        let calls = t.generator_calls();
        if calls != usize::from(want == Want::Generated) {
            problems.push(format!("the generator ran {calls} times"));
        }
        for (path, before) in keep.iter().zip(&before) {
            let after = snapshot(path);
            if after != *before {
                problems.push(format!("{} was {before}, is now {after}", path.display()));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{name} (want {want:?}): {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Mode 000: a user's way of saying "not this file". Root reads it anyway (permissions do not
/// apply to root), so what happens depends on who runs the test; both are checked.
#[cfg(unix)] // mode bits
#[test]
fn an_unreadable_token_file() {
    use std::os::unix::fs::PermissionsExt;
    let t = Setup::new();
    t.write_file(format!("{}}}", live_pair(&t)).as_bytes());
    std::fs::set_permissions(&t.path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let bypassed = std::fs::read(&t.path).is_ok();

    let result = bind_within(t.generating_helper(&CHAT), Duration::from_secs(15)).unwrap();

    if bypassed {
        say("running as root: mode 000 does not stop root, so the file was read");
        let token = result.unwrap_or_else(|e| panic!("bind() on a mode 000 file: {e:?}"));
        assert_eq!(token.outcome(), Outcome::Reused);
        assert_eq!(t.generator_calls(), 0);
        // Reuse completes the file with what the validation said (its mode is the writer's).
        assert_eq!(t.file_json()["login"], t.fake.login());
    } else {
        // A file that cannot be read may hold a live pair: an error naming it, never a login
        // over it (tests/half_written.rs).
        match result {
            Err(Error::File {
                action: FileAction::Read,
                path,
                ..
            }) => assert_eq!(path, t.path),
            other => panic!(
                "bind() on a mode 000 file: {:?}",
                other.map(|token| token.outcome())
            ),
        }
        assert_eq!(t.generator_calls(), 0);
        assert!(t.requests().is_empty(), "{:?}", t.requests());
        assert_eq!(support::mode(&t.path), 0o000);
    }
}

// Regressions: hostile files the crate did not handle well before these tests.

/// Regression (found by these tests): a named pipe at the token path makes `bind()` hang: `FileStore::load` opens it for
/// reading, which blocks until some process opens it for writing, while holding the store lock.
#[cfg(unix)] // named pipes
#[test]
fn a_named_pipe_at_the_token_path_does_not_hang_bind() {
    let t = Setup::new();
    parent(&t);
    let made = std::process::Command::new("mkfifo")
        .arg(&t.path)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        say("skipped: mkfifo is not available");
        return;
    }

    let result = bind_within(t.generating_helper(&CHAT), Duration::from_secs(5));

    if result.is_err() {
        // Let the stuck bind() go: a writer opens the pipe and closes it.
        let _ = std::fs::OpenOptions::new().write(true).open(&t.path);
    }
    match result {
        Ok(Ok(token)) => assert_eq!(token.outcome(), Outcome::Generated),
        Ok(Err(Error::File { .. })) => {}
        other => panic!(
            "with a named pipe at the token path: {:?} (generator calls {}, requests {:?})",
            other.map(|r| r.map(|t| t.outcome())),
            t.generator_calls(),
            t.requests()
        ),
    }
}

/// Regression (found by these tests): a file whose access token cannot travel in an HTTP header (CR/LF, NUL, non-ASCII,
/// 500 KB) makes every `bind()` fail with `Error::Unreachable { step: Validate }`, "could not
/// reach the Twitch auth server … try again later", a transient error, though no request was
/// sent: trying again never helps, and no login starts until the user deletes the file.
#[test]
fn a_token_no_header_can_carry_is_unusable_not_a_network_error() {
    let long = "t".repeat(500 * 1024);
    let cases = [
        ("CR LF and a header", r#"abc\r\nX-Injected: 1"#.to_owned()),
        ("NUL", r#"a\u0000b"#.to_owned()),
        ("non-ASCII", "tökén".to_owned()),
        ("500 KB", long),
    ];
    let mut failures = Vec::new();
    for (name, access) in cases {
        let t = Setup::new();
        t.write_file(format!(r#"{{"token": "{access}", "refresh": "r"}}"#).as_bytes());
        let result = bind_within(t.generating_helper(&CHAT), Duration::from_secs(15));
        match result {
            Ok(Ok(token)) if token.outcome() == Outcome::Generated => {}
            other => failures.push(format!(
                "{name}: {:?}, requests {:?}",
                other.map(|r| r.map(|t| t.outcome())),
                t.requests()
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A line on stderr that the test harness shows even for a passing test (it captures only
/// `eprintln!`), so that a skip is never silent.
#[cfg(unix)] // said by the Unix-only tests
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
