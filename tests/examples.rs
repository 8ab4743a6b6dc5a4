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
