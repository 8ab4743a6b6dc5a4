//! One app configuration for both kinds of token, and one Helix helper for both: the settings
//! written once reach the user token's helper and the app token's builder, and `HelixAuth`
//! lets the same function call Helix (and recover from a 401) with either.

mod support;

use std::time::Duration;

use support::{CHAT, Setup};
use twitch_auth::{AppConfig, HelixAuth};

/// `GET helix/users?login=…` with any token; after a 401, reported and tried once more.
fn user_json(helix: &str, token: &dyn HelixAuth, login: &str) -> (u16, String) {
    let mut status = 0;
    for _ in 0..2 {
        let authorization = token.authorization().unwrap();
        let mut answer = ureq::get(format!("{helix}users"))
            .query("login", login)
            .header("Authorization", &authorization)
            .header("Client-Id", token.client_id())
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        status = answer.status().as_u16();
        if status == 401 {
            token.report_unauthorized_header(&authorization);
            continue;
        }
        return (status, answer.body_mut().read_to_string().unwrap());
    }
    (status, String::new())
}

#[test]
fn one_configuration_serves_both_tokens_and_one_helix_helper_both() {
    let t = Setup::new();
    let app = AppConfig::new()
        .client_id(t.fake.client_id())
        .client_secret(t.fake.client_secret())
        .auth_base_url(t.fake.url())
        .http_timeout(Duration::from_secs(2));
    let grant = t.fake.grant(&CHAT);
    let user = app
        .helper(CHAT)
        .path(&t.path)
        .generator(move |_, _| Ok(grant.clone()))
        .bind()
        .unwrap();
    let server = app.app_token().build().unwrap();
    assert_eq!(user.client_id(), server.client_id());
    assert!(
        !format!("{app:?}").contains(t.fake.client_secret()),
        "Debug hides the secret"
    );

    let helix = t.fake.helix_url();
    for token in [&user as &dyn HelixAuth, &server] {
        let (status, body) = user_json(&helix, token, t.fake.login());
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(t.fake.user_id()), "{body}");
    }

    // Twitch ends both tokens early: each recovers through the same code path.
    t.fake.expire_access_tokens();
    for token in [&user as &dyn HelixAuth, &server] {
        let (status, body) = user_json(&helix, token, t.fake.login());
        assert_eq!(status, 200, "after a 401: {body}");
    }
    // Every request went to the configured auth server and Helix: none to the real Twitch.
    assert!(t.fake.requests().len() >= 6);
}
