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

#[test]
fn generates_then_reuses_printing_one_json_line() {
    let t = Setup::new();
    let mut cmd = command(&t);
    cmd.args([
        "--client-id",
        t.fake.client_id(),
        "--client-secret",
        t.fake.client_secret(),
    ]);
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
        stderr.contains("enter the code") && stderr.contains("twitch.tv/activate"),
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
