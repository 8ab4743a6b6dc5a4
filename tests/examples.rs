//! The quickstart runs anywhere: no browser, no credentials, no network.

mod support;

use std::process::{Command, Output};

use support::{describe, example, run};

/// The outcomes of the quickstart's three binds, as it prints them.
fn outcomes(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| Some(line.split(": ").nth(1)?.split(' ').next()?.to_owned()))
        .collect()
}

#[test]
fn quickstart_generates_reuses_and_refreshes() {
    let mut cmd = Command::new(example("quickstart"));
    cmd.arg("--no-browser")
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET");

    let output = run(cmd);

    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        outcomes(&output)[..3],
        ["generated", "reused", "refreshed"],
        "{}",
        describe(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("POST /oauth2/token"), "{stdout}");
    // Each bind's requests are explained, and the third's two (a validation that answered
    // 401, then the refresh) say why there are two.
    let lines: Vec<&str> = stdout.lines().collect();
    let third = lines
        .iter()
        .position(|l| l.starts_with("third bind"))
        .unwrap();
    assert!(
        lines[third].ends_with("GET /oauth2/validate, POST /oauth2/token"),
        "{stdout}"
    );
    assert!(lines[third + 1].contains("answered 401"), "{stdout}");
    // The token file is named before the binds, as what is removed at the end; it is gone.
    let named = lines[0]
        .strip_prefix("The token file is ")
        .and_then(|rest| rest.strip_suffix(" (removed at the end)."))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(!std::path::Path::new(named).exists(), "{named}");
    assert!(lines.iter().skip(1).all(|l| !l.contains(named)), "{stdout}");
}

/// A browser is launched but shows nothing (`$BROWSER` is a script that only notes the URL, as
/// `/bin/true` would but checkably): the quickstart shows the URL, says it follows it itself,
/// does, and finishes.
#[cfg(all(unix, feature = "browser"))]
#[test]
fn quickstart_finishes_when_the_browser_shows_nothing() {
    use std::time::Duration;

    let browser = support::SilentBrowser::new();
    let mut cmd = Command::new(example("quickstart"));
    cmd.env("BROWSER", browser.script())
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET");

    // Nobody follows the URL on stderr here: only the quickstart itself can.
    let output = support::run_for(cmd, Duration::from_secs(20), false);

    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        outcomes(&output)[..3],
        ["generated", "reused", "refreshed"],
        "{}",
        describe(&output)
    );
    let opened = browser.opened().expect("the browser was launched");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("login URL: {opened}\n")),
        "{}",
        describe(&output)
    );
    assert!(
        stderr.contains("following the login URL myself"),
        "{}",
        describe(&output)
    );
}

#[test]
fn long_running_refreshes_validates_and_ends_when_the_grant_is_revoked() {
    let output = run(Command::new(example("long_running")));

    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("using token #3"),
        "refreshed at least twice: {stdout}"
    );
    assert!(stdout.contains("(validated)"), "{stdout}");
    assert!(stdout.contains("(a new token was saved)"), "{stdout}");
    assert!(
        stdout.contains("session ended: log in again: Twitch no longer accepts this login"),
        "{stdout}"
    );
}

/// What is taken from an example so that it fails.
#[derive(Clone, Copy)]
enum Broken {
    /// No `TWITCH_CLIENT_ID` or `TWITCH_CLIENT_SECRET`.
    Credentials,
    /// The temporary directory is a file, so the token file cannot be written (the examples
    /// that need no credentials keep theirs there).
    TempDir,
}

/// Runs an example with `broken`, and checks that it exits with 1 and says what happened in
/// words (`Display`, then `caused by:` per cause), not as `Debug` (`Error: NoClientId`).
fn fails_readably(name: &str, args: &[&str], broken: Broken, says: &str) {
    let cwd = support::TempDir::new();
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .current_dir(cwd.path())
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET");
    if let Broken::TempDir = broken {
        let file = cwd.path().join("not-a-directory");
        std::fs::write(&file, b"").unwrap();
        for var in ["TMPDIR", "TMP", "TEMP"] {
            cmd.env(var, &file);
        }
    }

    let output = support::run_for(cmd, std::time::Duration::from_secs(60), false);

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: "), "{}", describe(&output));
    assert!(stderr.contains(says), "{}", describe(&output));
    assert!(
        !stderr.contains("Error: ") && !stderr.contains(" { ") && !stderr.contains("NoClientId"),
        "an error printed with Debug: {}",
        describe(&output)
    );
}

macro_rules! fails_readably {
    ($name:ident, $example:expr, $args:expr, $broken:expr, $says:expr) => {
        #[test]
        fn $name() {
            super::fails_readably($example, $args, $broken, $says);
        }
    };
}

/// One test per example that can fail here, named after it.
#[rustfmt::skip]
mod reports_errors {
    use super::Broken::{Credentials, TempDir};

    fails_readably!(basic, "basic", &[], Credentials, "set TWITCH_CLIENT_ID");
    fails_readably!(custom_path, "custom_path", &[], Credentials, "set TWITCH_CLIENT_ID");
    fails_readably!(custom_generator, "custom_generator", &[], Credentials, "set TWITCH_CLIENT_ID");
    fails_readably!(device_flow, "device_flow", &[], Credentials, "set TWITCH_CLIENT_ID");
    fails_readably!(app_token, "app_token", &[], Credentials, "set TWITCH_CLIENT_ID");
    fails_readably!(quickstart, "quickstart", &["--no-browser"], TempDir, "is a file, not a directory");
    fails_readably!(long_running, "long_running", &[], TempDir, "is a file, not a directory");
    fails_readably!(bench, "bench", &["--runs", "1"], TempDir, "is a file, not a directory");
}
