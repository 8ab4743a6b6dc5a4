//! No display: on Linux and the BSDs without `DISPLAY`, `WAYLAND_DISPLAY` and `BROWSER`, no
//! browser is launched (a GUI browser would die unseen and leave its profile behind), and the
//! login URL on stderr comes with a hint: the device flow, and over SSH how to forward the port.
//!
//! Each case runs a child process (this test binary again, or the quickstart) with those
//! variables removed and a `PATH` holding only stub browsers (`xdg-open`, `chromium`,
//! `firefox`, …) that write to a file when run; the test checks the file was never written.
#![cfg(unix)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use support::{CHAT, Setup, TempDir, describe, say};
use twitch_auth::Error;

/// Set in the child process: run the logins instead of spawning the child.
const CHILD: &str = "TWITCH_AUTH_TEST_HEADLESS_CHILD";

/// Every program webbrowser may try on Linux and the BSDs (xdg-open, desktop openers, browsers,
/// text browsers).
const STUBS: &[&str] = &[
    "xdg-open",
    "x-www-browser",
    "www-browser",
    "sensible-browser",
    "gio",
    "gvfs-open",
    "gnome-open",
    "kde-open",
    "kde-open5",
    "kfmclient",
    "exo-open",
    "mate-open",
    "wslview",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "firefox",
    "lynx",
    "links",
    "links2",
    "elinks",
    "w3m",
];

/// A `PATH` of stub browsers, each of which appends its name and arguments to `launched`.
struct StubBrowsers {
    dir: TempDir,
}

impl StubBrowsers {
    fn new() -> StubBrowsers {
        let stubs = StubBrowsers {
            dir: TempDir::new(),
        };
        let script = format!(
            "#!/bin/sh\nprintf '%s %s\\n' \"$0\" \"$*\" >>'{}'\n",
            stubs.launched().display()
        );
        for name in STUBS {
            let path = stubs.dir.path().join(name);
            std::fs::write(&path, &script).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        stubs
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    fn launched(&self) -> PathBuf {
        self.dir.path().join("launched.txt")
    }

    /// What the stubs wrote: empty when none was run.
    fn runs(&self) -> String {
        std::fs::read_to_string(self.launched()).unwrap_or_default()
    }

    /// `cmd` with no display, no `BROWSER`, not in WSL or SSH, and only the stubs on `PATH`.
    fn headless(&self, cmd: &mut Command) {
        for var in [
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "BROWSER",
            "WSL_DISTRO_NAME",
            "WSL_INTEROP",
            "SSH_CONNECTION",
            "SSH_TTY",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("PATH", self.path());
    }
}

/// Why the cases cannot run here, if they cannot.
fn cannot_run() -> Option<&'static str> {
    let os = std::env::consts::OS;
    if matches!(os, "macos" | "ios" | "android") {
        return Some("this system has a desktop of its own: a browser is always launched");
    }
    if !std::path::Path::new("/bin/sh").exists() {
        return Some("no /bin/sh for the stub browsers");
    }
    None
}

/// This test binary again, running only `child` with `CHILD` set, headless; its output.
fn run_child(stubs: &StubBrowsers, child: &str, ssh: bool) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([child, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    stubs.headless(&mut cmd);
    if ssh {
        cmd.env("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22");
    }
    support::run_for(cmd, Duration::from_secs(60), false)
}

/// In the child: a browser login nobody follows (it ends at its timeout), then a device login
/// the fake grants at once, both allowed to open a browser.
#[test]
fn child_logs_in_with_a_browser_allowed() {
    if std::env::var_os(CHILD).is_none() {
        return; // only as the child of the tests below
    }
    let t = Setup::new();
    let helper = t
        .bare_helper(&CHAT)
        .open_browser(true)
        .login_timeout(Duration::from_secs(1));
    println!("opens_browser: {}", helper.opens_browser());
    let err = helper.bind().unwrap_err();
    assert!(matches!(err, Error::LoginTimedOut { .. }), "{err:?}");
    println!("port: {}", t.port);

    t.fake.set_device_interval(0);
    let token = t.bare_helper(&CHAT).open_browser(true).device_flow().bind();
    assert!(token.is_ok(), "{token:?}");
    println!("child done");
}

/// The port the child's browser login listened on, from its stdout.
fn child_port(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("port: "))
        .unwrap_or_else(|| panic!("no port in the child's output:\n{}", describe(output)))
        .to_owned()
}

fn child_ran(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("child done"),
        "{}",
        describe(output)
    );
    assert!(
        stdout.contains("opens_browser: false"),
        "{}",
        describe(output)
    );
}

#[test]
fn without_a_display_no_browser_is_launched_and_the_device_flow_is_suggested() {
    if let Some(reason) = cannot_run() {
        return say(&format!("skipped: {reason}"));
    }
    let stubs = StubBrowsers::new();

    let output = run_child(&stubs, "child_logs_in_with_a_browser_allowed", false);

    child_ran(&output);
    assert_eq!(
        stubs.runs(),
        "",
        "a browser was launched:\n{}",
        describe(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("To log in to Twitch, open this URL in a browser:\nhttp://")
            && stderr.contains("There is no display here")
            && stderr.contains("Helper::device_flow"),
        "{}",
        describe(&output)
    );
    assert!(
        !stderr.contains("Opened the Twitch login"),
        "{}",
        describe(&output)
    );
    assert!(!stderr.contains("SSH"), "{}", describe(&output));
}

#[test]
fn over_ssh_without_a_display_the_hint_says_the_redirect_cannot_come_back() {
    if let Some(reason) = cannot_run() {
        return say(&format!("skipped: {reason}"));
    }
    let stubs = StubBrowsers::new();

    let output = run_child(&stubs, "child_logs_in_with_a_browser_allowed", true);

    child_ran(&output);
    assert_eq!(
        stubs.runs(),
        "",
        "a browser was launched:\n{}",
        describe(&output)
    );
    let port = child_port(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("This is an SSH session")
            && stderr.contains(&format!("cannot send the login back to localhost:{port}"))
            && stderr.contains(&format!("ssh -L {port}:localhost:{port}"))
            && stderr.contains("Helper::device_flow"),
        "{}",
        describe(&output)
    );
}

/// The quickstart tries no browser there, so it follows the login URL at once rather than after
/// waiting 5 s for a browser that was never going to bring the login back.
#[test]
fn the_quickstart_goes_on_at_once_without_a_display() {
    if let Some(reason) = cannot_run() {
        return say(&format!("skipped: {reason}"));
    }
    let stubs = StubBrowsers::new();
    let mut cmd = Command::new(support::example("quickstart"));
    stubs.headless(&mut cmd);
    cmd.env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET");

    let output = support::run_for(cmd, Duration::from_secs(60), false);

    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        stubs.runs(),
        "",
        "a browser was launched:\n{}",
        describe(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no browser: following the login URL myself"),
        "{}",
        describe(&output)
    );
    assert!(
        !stderr.contains("no login came back within"),
        "it waited for a browser:\n{}",
        describe(&output)
    );
}
