//! A scope this version does not know is requested anyway (Twitch adds scopes), but `bind()`
//! says so: one line on stderr per unknown scope, with the known scope it is near, and the same
//! through the `log` facade at warn level.

mod support;

use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};
use support::{Setup, describe, run};

/// The stderr line the `token` example prints for `chat:reed`, whatever follows it.
const WARNING: &str = "twitch-auth: warning: unknown scope \"chat:reed\", perhaps a misspelling \
                       of \"chat:read\"";

/// Warnings (and worse) logged by any test in this binary: level, target, message.
static LOGGED: Mutex<Vec<(Level, String, String)>> = Mutex::new(Vec::new());

struct Capture;

impl Log for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Warn
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let entry = (
                record.level(),
                record.target().to_owned(),
                record.args().to_string(),
            );
            LOGGED.lock().unwrap().push(entry);
        }
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture;

/// Starts capturing warnings, for the whole test binary (later calls change nothing).
fn capture_warnings() {
    let _ = log::set_logger(&CAPTURE);
    log::set_max_level(LevelFilter::Warn);
}

/// What was logged so far that mentions `needle`.
fn logged_about(needle: &str) -> Vec<(Level, String, String)> {
    LOGGED
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, message)| message.contains(needle))
        .cloned()
        .collect()
}

#[test]
fn the_cli_warns_about_a_misspelled_scope_and_the_login_goes_ahead() {
    let t = Setup::new();
    let cmd = token_with_scopes(&t, "chat:read chat:reed made:up");

    let output = run(cmd);

    // The fake, like an older Twitch, grants what it is asked for when the knob is off.
    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcome"], "generated", "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("twitch-auth: warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "one line per unknown scope: {stderr}");
    assert!(warnings[0].starts_with(WARNING), "{stderr}");
    assert!(
        warnings[1].starts_with("twitch-auth: warning: unknown scope \"made:up\"")
            && !warnings[1].contains("misspelling"),
        "no suggestion when no known scope is near: {stderr}"
    );
    assert!(
        !stderr.contains("unknown scope \"chat:read\""),
        "the known scope is not warned about: {stderr}"
    );
}

#[test]
fn the_cli_warns_then_names_the_scope_twitch_refused() {
    let t = Setup::new();
    t.fake.set_reject_unknown_scopes(true);
    let cmd = token_with_scopes(&t, "chat:reed");

    let output = run(cmd);

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(WARNING), "{stderr}");
    let error = stderr
        .lines()
        .find(|line| line.starts_with("token: error:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(
        error.contains("refused the scope \"chat:reed\"") && error.contains("\"chat:read\""),
        "{stderr}"
    );
    assert_eq!(
        t.requests(),
        ["POST token", "POST revoke", "GET authorize"],
        "no exchange"
    );
}

#[test]
fn bind_logs_a_warning_per_unknown_or_deprecated_scope_and_none_for_current_ones() {
    capture_warnings();
    let t = Setup::new();
    // whispers:edit is deprecated, and still a known scope.
    let scopes = ["chat:read", "whispers:edit", "moderator:read:chaters"];

    t.generating_helper(&scopes).bind().unwrap();

    let about_typo = logged_about("\"moderator:read:chaters\"");
    assert_eq!(about_typo.len(), 1, "{about_typo:?}");
    let (level, target, message) = &about_typo[0];
    assert_eq!(*level, Level::Warn);
    assert!(target.starts_with("twitch_auth"), "{target}");
    assert!(
        message.contains("perhaps a misspelling of \"moderator:read:chatters\""),
        "{message}"
    );
    // whispers:edit is known but deprecated: warned about, without a misspelling suggested.
    let about_deprecated = logged_about("\"whispers:edit\"");
    assert_eq!(about_deprecated.len(), 1, "{about_deprecated:?}");
    assert!(
        about_deprecated[0].2.contains("deprecated")
            && !about_deprecated[0].2.contains("misspelling"),
        "{about_deprecated:?}"
    );
    assert!(logged_about("\"chat:read\"").is_empty(), "a current scope");
}

#[test]
fn bind_with_no_scopes_at_all_warns() {
    capture_warnings();
    let t = Setup::new();

    t.generating_helper(&[]).bind().unwrap();

    let warned = logged_about("no scopes requested");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0].0, Level::Warn);
    assert!(warned[0].2.contains("Helper::new"), "{warned:?}");
}

/// The `token` example on the fake with its app's credentials and these scopes, no browser.
fn token_with_scopes(t: &Setup, scopes: &str) -> std::process::Command {
    let mut cmd = t.token_command();
    cmd.args(["--no-browser", "--scopes", scopes])
        .args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()]);
    cmd
}
