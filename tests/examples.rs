//! The quickstart runs anywhere: no browser, no credentials, no network.

mod support;

use std::process::Command;

use support::{describe, example, run};

#[test]
fn quickstart_generates_reuses_and_refreshes() {
    let mut cmd = Command::new(example("quickstart"));
    cmd.arg("--no-browser")
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET");

    let output = run(cmd);

    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcomes: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split(": ").nth(1)?.split(' ').next())
        .collect();
    assert_eq!(
        outcomes[..3],
        ["generated", "reused", "refreshed"],
        "{}",
        describe(&output)
    );
    assert!(stdout.contains("POST /oauth2/token"), "{stdout}");
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
        stdout.trim_end().ends_with("the user must log in again"),
        "{stdout}"
    );
}
