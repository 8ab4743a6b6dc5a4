//! A token file that is briefly unreadable or half-written is not "no token": pyTwitchAPI
//! rewrites the file in place (truncate, then write), so a reader can see it empty or cut off
//! mid-JSON; a file may fail to open for a moment (no file descriptors left, a scanner holding
//! it). Neither may start a login over the file, nor make a handle report a log out.

mod support;

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use support::{CHAT, Setup};
use twitch_auth::{Error, FileAction, Outcome};

/// Asserts that `result` is an `Error::File` about reading `t`'s file, and no log out.
fn assert_read_error<T>(t: &Setup, result: Result<T, Error>) {
    match result {
        Err(
            ref err @ Error::File {
                action: FileAction::Read,
                ref path,
                ..
            },
        ) => {
            assert_eq!(path, &t.path);
            assert!(!err.needs_login(), "{err:?}");
            assert!(
                err.to_string().contains(&t.path.display().to_string()),
                "the message names the file: {err}"
            );
        }
        Err(other) => panic!(
            "expected Error::File (read), got {other:?} (needs_login {}): {other}",
            other.needs_login()
        ),
        Ok(_) => panic!("expected Error::File (read), got a token"),
    }
}

/// The moments of an in-place rewrite a reader can see.
const CUTS: [&str; 2] = ["empty", "cut mid-JSON"];

/// The file `whole` as it is at that moment.
fn cut(case: &str, whole: &[u8]) -> Vec<u8> {
    if case == "empty" {
        Vec::new()
    } else {
        whole[..whole.len() / 2].to_vec()
    }
}

#[test]
fn a_handle_does_not_take_a_half_written_file_for_a_log_out() {
    for case in CUTS {
        let t = Setup::new();
        t.store(&CHAT);
        let token = t.generating_helper(&CHAT).bind().unwrap();
        // Helix said 401: the next access_token() refreshes, re-reading the file first.
        token.report_unauthorized(&token.access_token().unwrap());
        let whole = t.file_bytes().unwrap();
        let bytes = cut(case, &whole);
        t.write_file(&bytes);
        t.fake.clear_requests();

        let result = token.access_token();

        assert_read_error(&t, result);
        assert!(
            t.requests().is_empty(),
            "{case}: requests {:?}",
            t.requests()
        );
        assert_eq!(t.file_bytes().unwrap(), bytes, "{case}: the file changed");
        assert_eq!(t.generator_calls(), 0, "{case}");

        // The writer finishes: the handle goes on with the pair.
        t.write_file(&whole);
        token
            .access_token()
            .unwrap_or_else(|e| panic!("{case}: once the file is whole again: {e:?}"));
    }
}

#[test]
fn bind_on_a_file_left_half_written_is_a_read_error_not_a_login() {
    for case in CUTS {
        let t = Setup::new();
        t.store(&CHAT);
        let bytes = cut(case, &t.file_bytes().unwrap());
        t.write_file(&bytes);

        let result = t.generating_helper(&CHAT).bind();

        assert_read_error(&t, result);
        assert_eq!(t.generator_calls(), 0, "{case}: a login started");
        assert!(
            t.requests().is_empty(),
            "{case}: requests {:?}",
            t.requests()
        );
        assert_eq!(t.file_bytes().unwrap(), bytes, "{case}: the file changed");
    }
}

/// As pyTwitchAPI saves: the file is truncated in place, then (50 ms later here) written.
#[test]
fn bind_waits_out_a_writer_rewriting_the_file_in_place() {
    for cut_at_half in [false, true] {
        let t = Setup::new();
        t.store(&CHAT);
        let whole = t.file_bytes().unwrap();
        let (tx, rx) = mpsc::channel();
        let path = t.path.clone();
        let writer = std::thread::spawn(move || {
            let mut file = std::fs::File::create(&path).unwrap();
            let half = if cut_at_half { whole.len() / 2 } else { 0 };
            file.write_all(&whole[..half]).unwrap();
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(50));
            file.write_all(&whole[half..]).unwrap();
        });
        rx.recv().unwrap();

        let token = t.generating_helper(&CHAT).bind();

        writer.join().unwrap();
        let token = token.unwrap_or_else(|e| panic!("cut at half {cut_at_half}: {e:?}"));
        assert!(
            matches!(token.outcome(), Outcome::Reused | Outcome::Refreshed),
            "cut at half {cut_at_half}: {}",
            token.outcome()
        );
        assert_eq!(t.generator_calls(), 0, "cut at half {cut_at_half}");
    }
}

/// A file that cannot be opened (here: root's, mode 0600, read by the `token` example running
/// as `nobody` in a directory anyone may write) is an error, never a login over it.
#[cfg(unix)] // runs a process as another user (uid, gid)
#[test]
fn a_token_file_that_cannot_be_read_is_an_error_not_a_login() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    if support::effective_uid() != Some(0) {
        eprintln!("skipped: running another user's process needs root");
        return;
    }
    let t = Setup::new();
    t.store_expired(&CHAT);
    std::fs::set_permissions(&t.path, std::fs::Permissions::from_mode(0o600)).unwrap();
    // nobody creates its own lock file, and could replace the token file.
    std::fs::remove_file(t.path.with_file_name("user_token.json.lock")).unwrap();
    let dir = t.path.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = t.file_bytes().unwrap();
    t.fake.clear_requests();

    let mut cmd = t.token_command();
    cmd.args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()])
        .args(["--scopes", "chat:read chat:edit", "--no-browser"])
        .uid(65534) // nobody
        .gid(65534);
    let output = support::run_for(cmd, Duration::from_secs(60), true);

    let shown = support::describe(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("could not read the token file"), "{shown}");
    assert!(t.requests().is_empty(), "no login: {:?}", t.requests());
    assert_eq!(t.file_bytes().unwrap(), before, "the file was replaced");
}
