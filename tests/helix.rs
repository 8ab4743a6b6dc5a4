//! What a handle does with Helix's answers, against the fake's Helix: a 401 reported with
//! `report_unauthorized` costs one refresh, a dead grant ends in `needs_login`, and a 502 is no
//! reason to refresh. (The README's `get_users` loop is its doctest; these are the other cases.)

mod support;

use support::Setup;
use twitch_auth::mock::{Endpoint, FakeTwitch, Fault};
use twitch_auth::{AccessToken, UserToken};

const SCOPES: [&str; 1] = ["user:read:email"];

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

/// `GET helix/users` with `access` and `client_id`: the status and the body.
fn users(fake: &FakeTwitch, access: &AccessToken, client_id: &str) -> (u16, String) {
    let mut response = agent()
        .get(format!("{}users", fake.helix_url()))
        .header("Authorization", format!("Bearer {}", access.secret()))
        .header("Client-Id", client_id)
        .call()
        .expect("the fake answers");
    let body = response.body_mut().read_to_string().expect("a body");
    (response.status().as_u16(), body)
}

/// The README's loop, written with `access_token` and `report_unauthorized`.
fn users_retrying(
    fake: &FakeTwitch,
    token: &UserToken,
) -> Result<(u16, String), twitch_auth::Error> {
    let access = token.access_token()?;
    let (status, body) = users(fake, &access, token.client_id());
    if status != 401 {
        return Ok((status, body));
    }
    token.report_unauthorized(&access);
    Ok(users(fake, &token.access_token()?, token.client_id()))
}

fn bound(t: &Setup) -> UserToken {
    let token = t
        .generating_helper(&SCOPES)
        .bind()
        .expect("bind on the fake");
    t.fake.clear_requests();
    token
}

#[test]
fn a_helix_401_reported_costs_one_refresh_and_the_file_follows() {
    let t = Setup::new();
    let token = bound(&t);
    let before = token.access_token().unwrap();

    let (status, body) = users_retrying(&t.fake, &token).unwrap();
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["data"][0]["login"], t.fake.login());
    assert_eq!(json["data"][0]["id"], t.fake.user_id());
    assert_eq!(json["data"][0]["email"], "fakeuser@example.com");
    assert_eq!(t.requests(), ["GET /helix/users"]);

    t.fake.expire_access_tokens();
    t.fake.clear_requests();
    let (status, body) = users_retrying(&t.fake, &token).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        t.requests(),
        ["GET /helix/users", "POST token", "GET /helix/users"],
        "one refresh between the 401 and the retry"
    );
    let after = token.access_token().unwrap();
    assert_ne!(after, before);
    assert_eq!(
        t.file_json()["token"],
        after.secret(),
        "the new pair is saved"
    );

    // Many threads reporting the same 401 cause one refresh, not one each.
    t.fake.expire_access_tokens();
    t.fake.clear_requests();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| token.report_unauthorized(&after));
        }
    });
    assert_eq!(
        users(&t.fake, &token.access_token().unwrap(), token.client_id()).0,
        200
    );
    assert_eq!(t.requests(), ["POST token", "GET /helix/users"]);
    t.assert_no_secret_in_urls(&[after.secret()]);
}

#[test]
fn a_dead_grant_after_a_helix_401_needs_a_login() {
    let t = Setup::new();
    let token = bound(&t);
    t.fake.expire_access_tokens();
    t.fake.revoke_refresh_token(token.refresh_token().secret());

    let err = users_retrying(&t.fake, &token).unwrap_err();
    assert!(err.needs_login(), "expected needs_login, got {err:?}");
    assert_eq!(t.requests(), ["GET /helix/users", "POST token"]);
}

#[test]
fn a_helix_502_is_not_a_401_and_refreshes_nothing() {
    let t = Setup::new();
    let token = bound(&t);
    let file = t.file_bytes();
    t.fake.fail_times(
        Endpoint::Helix,
        Fault::status(502, "<html>502 Bad Gateway</html>"),
        1,
    );

    let (status, body) = users_retrying(&t.fake, &token).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (502, "<html>502 Bad Gateway</html>")
    );
    assert_eq!(t.requests(), ["GET /helix/users"], "no refresh for a 502");
    assert_eq!(t.file_bytes(), file, "token file changed");
    assert_eq!(users_retrying(&t.fake, &token).unwrap().0, 200);
}

#[test]
fn another_apps_client_id_is_refused() {
    let t = Setup::new();
    let token = bound(&t);
    let access = token.access_token().unwrap();
    let (status, body) = users(&t.fake, &access, "another-app");
    assert_eq!(status, 401);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"error": "Unauthorized", "status": 401,
                           "message": "Client ID and OAuth token do not match"})
    );
    // The token itself is fine: with its own app's Client-Id it goes through.
    assert_eq!(users(&t.fake, &access, token.client_id()).0, 200);
}
