//! Processes sharing a token file take turns: two processes binding the same expired file at the
//! same moment both succeed, and the single-use refresh token is spent once.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::{CHAT, Setup, describe};
use twitch_auth::mock::{Endpoint, Fault};

#[test]
fn two_processes_refresh_a_shared_file_once() {
    if std::env::var_os("TWITCH_CLIENT_SECRET").is_some() {
        eprintln!("skipped: TWITCH_CLIENT_SECRET is set in this environment");
        return;
    }
    for round in 0..5 {
        let t = Setup::new();
        t.fake.set_public(true);
        t.store_expired(&CHAT);
        // A slow refresh, so the second process starts while the first is refreshing.
        t.fake
            .fail(Endpoint::Token, Fault::Delay(Duration::from_millis(500)));

        let children: Vec<_> = (0..2)
            .map(|_| {
                t.token_command()
                    .args(["--client-id", t.fake.client_id()])
                    .args(["--scopes", "chat:read chat:edit", "--no-browser"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("the token example was built by cargo test")
            })
            .collect();
        let outputs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();

        let mut outcomes = Vec::new();
        for output in &outputs {
            assert!(
                output.status.success(),
                "round {round}: {}",
                describe(output)
            );
            let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(
                json["access_token"],
                t.file_json()["token"],
                "round {round}: both use the newest pair"
            );
            outcomes.push(json["outcome"].as_str().unwrap().to_owned());
        }
        outcomes.sort();
        assert_eq!(outcomes, ["refreshed", "reused"], "round {round}");
        assert_eq!(
            t.fake.refresh_token_reuses(),
            0,
            "round {round}: a spent refresh token was sent again"
        );
        let refreshes = t
            .fake
            .requests()
            .iter()
            .filter(|r| r.form("grant_type") == Some("refresh_token"))
            .count();
        assert_eq!(refreshes, 1, "round {round}");
    }
}
