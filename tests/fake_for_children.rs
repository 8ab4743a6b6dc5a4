//! A fake started by the test and used by child processes, as `FakeTwitch::env` documents: the
//! `token` example gets its app from the environment the fake names, and its URL by option.

mod support;

use std::process::Command;

use support::{CHAT, Setup, describe, example, run};
use twitch_auth::mock::FakeTwitch;

/// The `token` example on `t`'s fake and file, with the app from `fake.env()` only.
fn child(t: &Setup) -> Command {
    let mut cmd = Command::new(example("token"));
    cmd.env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .envs(t.fake.env())
        .args(["--auth-base-url", &t.fake.url()])
        .args(["--redirect-url", &t.redirect_url()])
        .arg("--path")
        .arg(&t.path)
        .args(["--scopes", "chat:read chat:edit", "--no-browser"]);
    cmd
}

/// `GET helix/users` at the fake with `access_token`: the status.
fn helix_status(fake: &FakeTwitch, access_token: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    agent
        .get(format!("{}users", fake.helix_url()))
        .header("Authorization", format!("Bearer {access_token}"))
        .header("Client-Id", fake.client_id())
        .call()
        .expect("the fake answers")
        .status()
        .as_u16()
}

#[test]
fn a_child_logs_in_at_the_tests_fake_with_its_env() {
    let t = Setup::new();
    // `run` follows the login URL the child prints, as the user's browser would.
    let output = run(child(&t));

    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", describe(&output)));
    assert_eq!(json["outcome"], "generated", "{}", describe(&output));
    assert_eq!(json["login"], t.fake.login());
    let access = json["access_token"].as_str().expect("an access token");
    assert_eq!(
        helix_status(&t.fake, access),
        200,
        "the child's token is live at the fake"
    );
    assert_eq!(t.file_json()["token"], access);

    // The child's requests are in the test's log, with the credentials from env().
    let log = t.fake.requests();
    let exchange = log
        .iter()
        .find(|r| r.form("grant_type") == Some("authorization_code"))
        .unwrap_or_else(|| panic!("no code exchange in {:?}", t.requests()));
    assert_eq!(exchange.form("client_id"), Some(t.fake.client_id()));
    assert_eq!(exchange.form("client_secret"), Some(t.fake.client_secret()));
    t.assert_no_secret_in_urls(&[access]);
}

#[test]
fn a_child_refreshes_what_the_test_stored_with_the_secret_from_env() {
    let t = Setup::new();
    let grant = t.store_expired(&CHAT);

    let output = run(child(&t));

    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcome"], "refreshed", "{}", describe(&output));
    let access = json["access_token"].as_str().unwrap();
    assert_ne!(access, grant.access_token);
    assert_eq!(helix_status(&t.fake, access), 200);
    assert_eq!(helix_status(&t.fake, &grant.access_token), 401);
    let refresh = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.form("grant_type") == Some("refresh_token"))
        .unwrap_or_else(|| panic!("no refresh in {:?}", t.requests()));
    assert_eq!(refresh.form("client_secret"), Some(t.fake.client_secret()));
}

#[test]
fn a_public_apps_env_has_no_secret_and_its_child_sends_none() {
    let t = Setup::new();
    t.fake.set_public(true);
    t.store_expired(&CHAT);
    let mut cmd = child(&t);
    // Set in the parent, as it may be on a developer's machine: env() says to remove it.
    cmd.env("TWITCH_CLIENT_SECRET", "inherited");
    cmd.env_remove("TWITCH_CLIENT_SECRET").envs(t.fake.env());

    let output = run(cmd);

    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcome"], "refreshed", "{}", describe(&output));
    let refresh = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.form("grant_type") == Some("refresh_token"))
        .unwrap_or_else(|| panic!("no refresh in {:?}", t.requests()));
    assert_eq!(
        refresh.form("client_secret"),
        None,
        "{:?}",
        refresh.form_names()
    );
}
