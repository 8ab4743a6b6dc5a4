//! The token file: pyTwitchAPI's keys, stale extra keys, owner-only and atomic writes.

mod support;

use support::{CHAT, Setup, now};
use twitch_auth::Outcome;

#[test]
fn written_file_has_pytwitchapi_keys_first_and_our_extras() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    let text = String::from_utf8(t.file_bytes().unwrap()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(text.trim_start().starts_with("{\n  \"token\""), "{text}");
    assert_eq!(json["token"], token.access_token().unwrap().secret());
    assert_eq!(json["refresh"], token.refresh_token().secret());
    for key in [
        "client_id",
        "user_id",
        "login",
        "scopes",
        "expires_at",
        "token_fingerprint",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {text}");
    }
    let expires_at = json["expires_at"].as_u64().unwrap();
    assert!(
        expires_at > now() && expires_at <= now() + 14_124 + 5,
        "{expires_at}"
    );
}

#[test]
fn stale_extra_keys_are_ignored() {
    let t = Setup::new();
    t.store(&["bits:read"]);
    // As if another program replaced the pair but kept our keys: they describe the old token
    // (an expiry in the past, other scopes, another user).
    let fresh = t.fake.grant(&CHAT);
    let mut json = t.file_json();
    json["token"] = fresh.access_token.as_str().into();
    json["refresh"] = fresh.refresh_token.as_str().into();
    json["expires_at"] = (now() - 3600).into();
    json["login"] = "someone-else".into();
    t.write_file(&serde_json::to_vec(&json).unwrap());

    let token = t.generating_helper(&CHAT).bind().unwrap();

    // The stale expiry did not cause a refresh, the stale scopes no login.
    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(t.requests(), ["GET validate"]);
    assert_eq!(token.login(), t.fake.login());
}

#[test]
fn stale_extra_keys_do_not_name_the_user_after_a_refresh() {
    let t = Setup::new();
    t.store(&CHAT);
    let fresh = t.fake.grant(&CHAT);
    t.fake.expire_access_token(&fresh.access_token);
    let mut json = t.file_json();
    json["token"] = fresh.access_token.as_str().into();
    json["refresh"] = fresh.refresh_token.as_str().into();
    json["login"] = "someone-else".into();
    t.write_file(&serde_json::to_vec(&json).unwrap());

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert_eq!(token.login(), t.fake.login());
    assert_eq!(t.file_json()["login"], t.fake.login());
}

#[test]
fn saving_leaves_no_temporary_files() {
    let t = Setup::new();
    let helper = t.generating_helper(&CHAT);
    for _ in 0..3 {
        helper.bind().unwrap();
        std::fs::remove_file(&t.path).unwrap();
    }
    helper.bind().unwrap();
    assert_eq!(
        support::file_names(t.path.parent().unwrap()),
        [
            "user_token.json",
            "user_token.json.lock",
            "user_token.json.login.lock"
        ],
        "only the file and its two locks"
    );
}

#[cfg(unix)] // mode bits
#[test]
fn an_existing_world_readable_file_is_replaced_by_an_owner_only_one() {
    use std::os::unix::fs::PermissionsExt;
    let t = Setup::new();
    t.write_file(b"{}");
    std::fs::set_permissions(&t.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(support::mode(&t.path), 0o600);
}

#[cfg(unix)] // making a symlink on Windows needs a privilege tests do not have
#[test]
fn a_symlinked_token_path_replaces_the_link_not_its_target() {
    let t = Setup::new();
    let elsewhere = t.dir.path().join("not-ours.txt");
    std::fs::write(&elsewhere, b"the user's own file").unwrap();
    std::fs::create_dir_all(t.path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &t.path).unwrap();

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(std::fs::read(&elsewhere).unwrap(), b"the user's own file");
    assert!(
        !std::fs::symlink_metadata(&t.path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn file_in_the_current_directory_by_default() {
    let shown = format!(
        "{:?}",
        twitch_auth::Helper::new(Vec::<twitch_auth::Scope>::new())
    );
    assert!(shown.contains(r#"path: "user_token.json""#), "{shown}");
}
