//! The `token` example as a program: one JSON line on stdout, everything else on stderr.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{Setup, describe, example, run, run_for};

fn command(t: &Setup) -> Command {
    let mut cmd = t.token_command();
    cmd.arg("--no-browser");
    cmd
}

/// Gives the fake's app credentials as options.
fn with_credentials(cmd: &mut Command, t: &Setup) {
    cmd.args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()]);
}

#[test]
fn generates_then_reuses_printing_one_json_line() {
    let t = Setup::new();
    let mut cmd = command(&t);
    with_credentials(&mut cmd, &t);
    cmd.args(["--scopes", "chat:read chat:edit"]);

    let output = run(cmd);

    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["outcome"], "generated");
    assert_eq!(json["login"], t.fake.login());
    assert_eq!(json["user_id"], t.fake.user_id());
    assert_eq!(json["access_token"], t.file_json()["token"]);
    assert!(json["expires_at"].as_u64().is_some());
    let mut scopes: Vec<&str> = json["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["chat:edit", "chat:read"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/oauth2/authorize?"),
        "the login URL goes to stderr: {stderr}"
    );
    assert!(
        !stderr.contains(json["access_token"].as_str().unwrap()),
        "{stderr}"
    );

    // The same again, with the credentials from the environment this time.
    let mut cmd = command(&t);
    cmd.env("TWITCH_CLIENT_ID", t.fake.client_id())
        .env("TWITCH_CLIENT_SECRET", t.fake.client_secret());
    cmd.args(["--scopes", "chat:read"]);
    let output = run(cmd);
    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcome"], "reused");
}

#[test]
fn no_client_id_fails_before_any_request() {
    let t = Setup::new();
    let output = run(command(&t));
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(output.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no client id"),
        "{}",
        describe(&output)
    );
    assert!(t.fake.requests().is_empty());
}

#[test]
fn browser_login_without_a_secret_says_what_to_do() {
    let t = Setup::new();
    let mut cmd = command(&t);
    cmd.args(["--client-id", t.fake.client_id()]);
    let output = run(cmd);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("client secret") && stderr.contains("TWITCH_CLIENT_SECRET"),
        "{stderr}"
    );
    assert!(t.fake.requests().is_empty());
}

#[test]
fn a_failure_prints_its_causes_and_exits_non_zero() {
    let t = Setup::new();
    let mut cmd = command(&t);
    let closed = format!("http://127.0.0.1:{}/oauth2/", support::free_port());
    cmd.args([
        "--client-id",
        "x",
        "--client-secret",
        "y",
        "--auth-base-url",
        &closed,
    ]);
    t.write_file(br#"{"token":"a","refresh":"b"}"#);
    let output = run(cmd);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("could not reach") && stderr.contains("caused by"),
        "{stderr}"
    );
    assert_eq!(t.file_bytes().unwrap(), br#"{"token":"a","refresh":"b"}"#);
}

/// `chattr +i`, undone when dropped: an immutable file may be read, and a temporary file
/// written beside it, but no rename replaces it (EPERM), even for root.
#[cfg(target_os = "linux")]
struct Immutable(std::path::PathBuf);

#[cfg(target_os = "linux")]
impl Immutable {
    /// `None` after saying why where the attribute cannot be set (not root, no `chattr`, a
    /// file system without it).
    fn new(path: &std::path::Path) -> Option<Immutable> {
        match Command::new("chattr").arg("+i").arg(path).output() {
            Ok(out) if out.status.success() => Some(Immutable(path.to_owned())),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot make the token file immutable (needs root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run chattr: {e}");
                None
            }
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// A refresh whose save fails though the check before it passed: the process is about to end,
/// so "saved again later" cannot happen; the run must say the new pair was not kept and fail.
#[cfg(target_os = "linux")] // chattr
#[test]
fn a_refreshed_pair_that_cannot_be_saved_fails_the_run() {
    let t = Setup::new();
    t.store_expired(&["chat:read"]);
    let before = t.file_bytes().unwrap();
    let Some(_immutable) = Immutable::new(&t.path) else {
        return;
    };
    let mut cmd = command(&t);
    with_credentials(&mut cmd, &t);
    cmd.args(["--scopes", "chat:read"]);

    let output = run_for(cmd, Duration::from_secs(60), false);

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the new token pair was NOT kept")
            && stderr.contains("could not write the token file")
            && stderr.contains("Operation not permitted"),
        "{}",
        describe(&output)
    );
    assert!(
        t.requests().iter().any(|r| r == "POST token"),
        "{:?}",
        t.requests()
    );
    assert_eq!(t.file_bytes().unwrap(), before);
    // The line is still printed: its access token works until it expires.
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", describe(&output)));
    assert_eq!(json["outcome"], "refreshed");
    let access = json["access_token"].as_str().unwrap();
    assert!(!stderr.contains(access), "a secret on stderr: {stderr}");
    assert!(
        !stderr.contains(t.fake.client_secret()),
        "a secret on stderr: {stderr}"
    );
}

#[test]
fn bad_arguments_print_the_usage() {
    let output = Command::new(example("token"))
        .arg("--frobnicate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: token"));
}

#[test]
fn device_login_shows_the_code_on_stderr_and_needs_no_secret() {
    let t = Setup::new();
    t.fake.set_public(true);
    t.fake.set_device_interval(0);
    let mut cmd = command(&t);
    cmd.args([
        "--client-id",
        t.fake.client_id(),
        "--device",
        "--scopes",
        "chat:read",
    ]);

    let output = run(cmd);

    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcome"], "generated");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("enter the code") && stderr.contains(&format!("{}activate", t.fake.url())),
        "{stderr}"
    );
    assert!(!stderr.contains(json["access_token"].as_str().unwrap()));
}

/// A browser that was launched but shows nothing: the login URL is on stderr all the same, so
/// the user can still log in (the test follows it from there, as the user would).
#[cfg(all(unix, feature = "browser"))]
#[test]
fn the_login_url_is_shown_also_when_a_browser_was_opened() {
    let t = Setup::new();
    let browser = support::SilentBrowser::new();
    let mut cmd = t.token_command();
    cmd.env("BROWSER", browser.script()).args([
        "--client-id",
        t.fake.client_id(),
        "--client-secret",
        t.fake.client_secret(),
        "--scopes",
        "chat:read",
    ]);

    let output = run_for(cmd, Duration::from_secs(30), true);

    assert!(output.status.success(), "{}", describe(&output));
    let opened = browser.opened().expect("the browser was launched");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "Opened the Twitch login in your browser; if nothing opened, visit: {opened}\n"
        )),
        "{}",
        describe(&output)
    );
}

/// `token ARGS` with no credentials in the environment, run in an empty directory for at most
/// 30 s; nobody follows a login URL. Returns the output and what the directory holds after.
fn run_in_empty_dir(args: &[&str]) -> (std::process::Output, Vec<String>) {
    let cwd = support::TempDir::new();
    let mut cmd = Command::new(example("token"));
    cmd.args(args)
        .current_dir(cwd.path())
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET");
    let output = run_for(cmd, Duration::from_secs(30), false);
    let left = std::fs::read_dir(cwd.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    (output, left)
}

/// Bad arguments: exit 2 at once with what is wrong and the usage on stderr, nothing on stdout,
/// nothing created, no login started.
fn refuses(args: &[&str], says: &str) {
    let (output, left) = run_in_empty_dir(args);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(says) && stderr.contains("usage: token"),
        "{}",
        describe(&output)
    );
    assert!(left.is_empty(), "created {left:?}: {}", describe(&output));
}

macro_rules! refuses {
    ($name:ident, $args:expr, $says:expr) => {
        #[test]
        fn $name() {
            super::refuses(&$args, $says);
        }
    };
}

/// One test per refused command line.
#[rustfmt::skip]
mod refuses {
    // `--path --no-browser` once made `./--no-browser.lock` and waited for a login.
    refuses!(an_option_as_a_value, ["--path", "--no-browser", "--scopes", "chat:read"], "--path=VALUE");
    refuses!(an_option_as_a_secret, ["--client-secret", "--device"], "--client-secret=VALUE");
    refuses!(a_timeout_in_words, ["--timeout", "ten"], "whole number of seconds");
    refuses!(a_timeout_of_zero, ["--timeout=0"], "at least 1 second");
    refuses!(a_value_for_a_switch, ["--no-browser=yes"], "--no-browser takes no value");
    refuses!(an_empty_value, ["--path="], "--path needs a value");
    refuses!(app_with_scopes, ["--app", "--scopes", "chat:read"], "--scopes is for user tokens; --app takes none");
    refuses!(app_with_device, ["--device", "--app"], "--device is for user tokens");
}

/// `-h` and `--help`: the usage on stdout, with the environment variables, the defaults and the
/// output format, and exit 0.
fn helps(flag: &str) {
    let (output, left) = run_in_empty_dir(&[flag]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(output.stderr.is_empty(), "{}", describe(&output));
    assert!(left.is_empty(), "created {left:?}");
    let help = String::from_utf8_lossy(&output.stdout);
    for needed in [
        "usage: token",
        "--scopes",
        "--client-id",
        "--client-secret",
        "--path",
        "--redirect-url",
        "--timeout",
        "--no-browser",
        "--device",
        "--auth-base-url",
        "TWITCH_CLIENT_ID",
        "TWITCH_CLIENT_SECRET",
        r#"{"outcome":"#,
        "expires_at",
    ] {
        assert!(help.contains(needed), "no {needed:?} in:\n{help}");
    }
    // The defaults it names are the library's.
    let library = format!(
        "{:?}",
        twitch_auth::Helper::new(Vec::<twitch_auth::Scope>::new())
    );
    for (shown, debug) in [
        ("user_token.json", r#"path: "user_token.json""#),
        (
            "http://localhost:17563",
            r#"redirect_url: "http://localhost:17563""#,
        ),
        (
            "https://id.twitch.tv/oauth2/",
            r#"auth_base_url: "https://id.twitch.tv/oauth2/""#,
        ),
        ("(default: 300", "login_timeout: 300s"),
    ] {
        assert!(help.contains(shown), "no {shown:?} in:\n{help}");
        assert!(
            library.contains(debug),
            "the library's default changed: {library}"
        );
    }
}

#[test]
fn help_prints_usage_environment_defaults_and_output() {
    helps("--help");
}

#[test]
fn h_prints_the_help_too() {
    helps("-h");
}

#[test]
fn options_take_their_value_after_an_equals_sign() {
    let t = Setup::new();
    let mut cmd = Command::new(example("token"));
    cmd.env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .arg(format!("--client-id={}", t.fake.client_id()))
        .arg(format!("--client-secret={}", t.fake.client_secret()))
        .arg(format!("--auth-base-url={}", t.fake.url()))
        .arg(format!("--redirect-url={}", t.redirect_url()))
        .arg(format!("--path={}", t.path.display()))
        .arg("--scopes=chat:read chat:edit")
        .arg("--timeout=60")
        .arg("--no-browser");

    let output = run(cmd);

    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcome"], "generated");
    assert_eq!(json["access_token"], t.file_json()["token"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn no_scopes_is_warned_about() {
    let t = Setup::new();
    let mut cmd = command(&t);
    with_credentials(&mut cmd, &t);

    let output = run(cmd);

    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("token: warning: no --scopes given"),
        "{}",
        describe(&output)
    );
}

#[test]
fn timeout_bounds_the_login_and_its_error_names_the_option() {
    let t = Setup::new();
    let mut cmd = command(&t);
    with_credentials(&mut cmd, &t);
    cmd.args(["--scopes", "chat:read", "--timeout", "1"]);

    // Nobody follows the login URL: only the timeout can end the wait.
    let output = run_for(cmd, Duration::from_secs(60), false);

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no login came back within 1 s")
            && stderr.contains("allow more time with --timeout"),
        "{}",
        describe(&output)
    );
    // The error line: the hint shown with the URL where there is no display names the
    // library's device login for the program's developer.
    let error = stderr.lines().find(|l| l.starts_with("token: error:"));
    assert!(
        error.is_some_and(|line| !line.contains("Helper::")),
        "{}",
        describe(&output)
    );
    assert!(t.file_bytes().is_none());
}

/// Runs `token` on the fake with `args` after `--no-browser --scopes chat:read`; it must fail
/// before any request, with a message that names the tool's options (`says`), never a `Helper`
/// method.
fn names_the_option(args: &[&str], says: &str) {
    let t = Setup::new();
    let mut cmd = command(&t);
    cmd.args(["--scopes", "chat:read"]).args(args);

    let output = run(cmd);

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(says), "{}", describe(&output));
    assert!(
        !stderr.contains("Helper") && !stderr.contains("bind()"),
        "{}",
        describe(&output)
    );
    assert!(t.fake.requests().is_empty(), "{:?}", t.requests());
}

macro_rules! names_the_option {
    ($name:ident, $args:expr, $says:expr) => {
        #[test]
        fn $name() {
            super::names_the_option(&$args, $says);
        }
    };
}

/// One test per error whose library message names a `Helper` method.
#[rustfmt::skip]
mod names_the_option {
    names_the_option!(no_client_id, [], "no client id: pass --client-id or set TWITCH_CLIENT_ID");
    names_the_option!(no_client_secret, ["--client-id", "x"], "pass --client-secret or set TWITCH_CLIENT_SECRET, or log in with --device");
    names_the_option!(bad_redirect_url, ["--client-id", "x", "--client-secret", "y", "--redirect-url", "ftp://x"], "invalid --redirect-url: ftp://x is not");
    names_the_option!(bad_auth_base_url, ["--client-id", "x", "--client-secret", "y", "--auth-base-url", "nope"], "invalid --auth-base-url: expected");
}

#[test]
fn a_taken_port_names_the_redirect_url_option() {
    let t = Setup::new();
    let _holder = std::net::TcpListener::bind(("127.0.0.1", t.port)).unwrap();
    let mut cmd = command(&t);
    with_credentials(&mut cmd, &t);
    cmd.args(["--scopes", "chat:read"]);

    let output = run_for(cmd, Duration::from_secs(30), false);

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("port in use") && stderr.contains("pass it with --redirect-url"),
        "{}",
        describe(&output)
    );
    assert!(!stderr.contains("Helper::"), "{}", describe(&output));
}

/// `token --app` on the fake with these credentials, no scopes, no browser.
fn app_command(t: &Setup, client_id: &str, client_secret: &str) -> Command {
    let mut cmd = Command::new(example("token"));
    cmd.env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .args(["--app", "--auth-base-url", &t.fake.url()])
        .args(["--client-id", client_id, "--client-secret", client_secret]);
    cmd
}

#[test]
fn app_prints_an_app_token_as_one_json_line() {
    let t = Setup::new();
    let output = run(app_command(&t, t.fake.client_id(), t.fake.client_secret()));

    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["access_token", "expires_at", "outcome"], "{json}");
    assert_eq!(json["outcome"], "app");
    let now = support::now();
    let expires_at = json["expires_at"].as_u64().unwrap();
    assert!(expires_at > now + 30 * 24 * 3600, "about 60 days: {json}");
    assert_eq!(t.requests(), ["POST token"], "no login, no file");
    assert!(t.file_bytes().is_none());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("--scopes"),
        "no scopes warning for --app: {stderr}"
    );
}

#[test]
fn app_with_a_wrong_secret_says_which_option_to_fix() {
    let t = Setup::new();
    let wrong = "wrong-secret-0123456789";
    let output = run(app_command(&t, t.fake.client_id(), wrong));

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("client secret (given on the command line) was rejected")
            && stderr.contains("--client-secret"),
        "{}",
        describe(&output)
    );
    assert!(!stderr.contains("AppTokenBuilder"), "{}", describe(&output));
    for secret in [wrong, t.fake.client_secret()] {
        assert!(!stderr.contains(secret), "{}", describe(&output));
    }
}
