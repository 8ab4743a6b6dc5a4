//! A real browser: the `token` example opens the login URL through `$BROWSER`, which points at
//! a script running headless Chromium against the fake. Chromium follows the authorize redirect
//! to the listener, `bind()` returns Generated, and the page Chromium ended on is the success
//! page. Where Chromium is not installed the test says so and is skipped.
#![cfg(all(unix, feature = "browser"))]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{Setup, TempDir};
use twitch_auth::mock::Endpoint;

/// Opens `$1` in headless Chromium and writes the DOM it ends on to `$TWITCH_AUTH_TEST_DOM`
/// (renamed into place once complete), Chromium's stderr beside it, `.log`.
const SCRIPT: &str = r#"#!/bin/sh
out="$TWITCH_AUTH_TEST_DOM"
"$TWITCH_AUTH_TEST_CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-quic \
    --no-proxy-server --user-data-dir="$TWITCH_AUTH_TEST_PROFILE" --dump-dom "$1" \
    >"$out.part" 2>"$out.log"
echo "chromium exited with $?" >>"$out.log"
mv "$out.part" "$out"
"#;

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn wait_for(path: &Path, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while !path.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    path.exists()
}

#[test]
fn headless_chromium_logs_in_through_the_browser_variable() {
    let Some(chromium) = find_chromium() else {
        say("skipped: chromium not installed (apt-get install chromium)");
        return;
    };
    let t = Setup::new();
    let scratch = TempDir::new();
    let script = scratch.path().join("browser.sh");
    let dom = scratch.path().join("page.html");
    std::fs::write(&script, SCRIPT).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // webbrowser splits $BROWSER at ':' and whitespace.
    assert!(
        !script.to_string_lossy().contains([':', ' ', '\t']),
        "the script's path cannot go in $BROWSER: {}",
        script.display()
    );

    let mut child = t
        .token_command()
        .env("BROWSER", &script)
        .env("TWITCH_AUTH_TEST_CHROMIUM", &chromium)
        .env("TWITCH_AUTH_TEST_DOM", &dom)
        .env("TWITCH_AUTH_TEST_PROFILE", scratch.path().join("profile"))
        // If $BROWSER failed, nothing else is to be opened.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()])
        .args(["--scopes", "chat:read chat:edit"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the token example was built by cargo test");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let finished = child.try_wait().unwrap().is_some();
    if !finished {
        child.kill().unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let took = started.elapsed();
    let dumped = wait_for(&dom, Duration::from_secs(30));
    let log = std::fs::read_to_string(dom.with_extension("html.log")).unwrap_or_default();
    let report = format!(
        "{}\n--- chromium's log\n{}\n--- requests at the fake\n{:?}",
        support::describe(&output),
        log.lines().rev().take(30).collect::<Vec<_>>().join("\n"),
        t.requests()
    );

    assert!(finished, "no login after 60 s:\n{report}");
    assert!(output.status.success(), "{report}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert_eq!(json["outcome"], "generated", "{report}");
    assert_eq!(json["access_token"], t.file_json()["token"], "{report}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("Opened the Twitch login in your browser; if nothing opened, visit: http://"),
        "the login URL is shown also when a browser opened:\n{report}"
    );
    // The authorize page was visited by Chromium itself, and the code exchanged once.
    let requests = t.fake.requests();
    let authorize = requests
        .iter()
        .find(|r| r.endpoint() == Some(Endpoint::Authorize))
        .expect("the login page was visited");
    let agent = authorize.header("User-Agent").unwrap_or_default();
    assert!(
        agent.contains("Chrome"),
        "authorize visited by {agent:?}\n{report}"
    );
    assert_eq!(
        t.requests(),
        [
            "POST token",
            "POST revoke",
            "GET authorize",
            "POST token",
            "GET validate"
        ],
        "{report}"
    );
    assert!(dumped, "Chromium wrote no page within 30 s:\n{report}");
    let page = std::fs::read_to_string(&dom).unwrap();
    assert!(
        page.contains("<title>Logged in</title>") && page.contains("You are logged in"),
        "Chromium ended on:\n{page}\n{report}"
    );
    eprintln!("logged in through headless Chromium in {took:?}");
}

/// A line on stderr that the test harness shows even for a passing test (it captures only
/// `eprintln!`), so that a skip is never silent.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
