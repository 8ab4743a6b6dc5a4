//! The fake's Helix (`api.twitch.tv/helix/`): `GET users`, so that an app's Helix loop (send
//! the token, report a 401, refresh, try again) can be tested against tokens the fake issued.
//!
//! Helix checks what id.twitch.tv's `validate` does not: the `Bearer` scheme (exactly so
//! spelled; `OAuth` and `bearer` are refused, twitchdev/issues#105 and #219) and a `Client-Id`
//! header naming the token's app. Its errors carry the reason phrase:
//! `{"error":"Unauthorized","status":401,"message":"Invalid OAuth token"}`.

use serde::Serialize;

use super::log::Request;
use super::routes::{Answer, ErrorBody};
use super::state::{LOGIN, OTHER_LOGIN, OTHER_USER_ID, State, TokenInfo, USER_ID};

/// The users the fake knows, as `GET users` describes them.
const USERS: [User; 2] = [
    User {
        id: USER_ID,
        login: LOGIN,
        display_name: "FakeUser",
        created_at: "2016-12-14T20:32:28Z",
    },
    User {
        id: OTHER_USER_ID,
        login: OTHER_LOGIN,
        display_name: "OtherUser",
        created_at: "2019-11-18T00:47:34Z",
    },
];

struct User {
    id: &'static str,
    login: &'static str,
    display_name: &'static str,
    created_at: &'static str,
}

/// One entry of `GET users`' `data`, fields in Twitch's order.
#[derive(Serialize)]
struct UserBody<'a> {
    id: &'a str,
    login: &'a str,
    display_name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    broadcaster_type: &'a str,
    description: &'a str,
    profile_image_url: &'a str,
    offline_image_url: &'a str,
    view_count: u64,
    /// Only for the token's own user, and only with `user:read:email`, as on Twitch.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    created_at: &'a str,
}

#[derive(Serialize)]
struct Data<T> {
    data: Vec<T>,
}

/// A request under `/helix/`: `GET users` is answered, anything else is a 404.
pub(crate) fn helix(state: &State, request: &Request) -> Answer {
    let path = request.target().split('?').next().unwrap_or_default();
    match (request.method(), path) {
        ("GET", "/helix/users") => users(state, request),
        _ => failure(404, "Not Found", ""),
    }
}

/// `GET users`: the users named by `id` and `login`, or without either the token's user.
fn users(state: &State, request: &Request) -> Answer {
    let token = match authenticate(state, request) {
        Ok(token) => token,
        Err(answer) => return answer,
    };
    let own = token.user.then_some(if token.other_user { 1 } else { 0 });
    let asked: Vec<usize> = USERS
        .iter()
        .enumerate()
        .filter(|(_, u)| {
            request.query_all("id").any(|id| id == u.id)
                || request
                    .query_all("login")
                    .any(|login| login.eq_ignore_ascii_case(u.login))
        })
        .map(|(i, _)| i)
        .collect();
    let named = request.query("id").is_some() || request.query("login").is_some();
    let wanted = match (named, own) {
        (true, _) => asked,
        (false, Some(own)) => vec![own],
        (false, None) => {
            return failure(
                400,
                "Bad Request",
                "Must provide an ID, Login or OAuth Token",
            );
        }
    };
    let email = token.scopes.iter().any(|s| s == "user:read:email");
    let data = wanted
        .into_iter()
        .map(|i| {
            let user = &USERS[i];
            UserBody {
                id: user.id,
                login: user.login,
                display_name: user.display_name,
                kind: "",
                broadcaster_type: "",
                description: "",
                profile_image_url: "",
                offline_image_url: "",
                view_count: 0,
                email: (email && own == Some(i)).then(|| format!("{}@example.com", user.login)),
                created_at: user.created_at,
            }
        })
        .collect();
    Answer::json(200, &Data { data })
}

/// The live token of a request whose `Client-Id` is that token's app, or Helix's 401.
fn authenticate(state: &State, request: &Request) -> Result<TokenInfo, Answer> {
    let unauthorized = |message| Err(failure(401, "Unauthorized", message));
    // Helix takes the scheme as spelled, unlike validate.
    let token = request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return unauthorized("OAuth token is missing");
    };
    // Twitch answers a missing Client-Id with 401 too (pilcrowonpaper/arctic#35, 2024).
    let Some(client_id) = request.header("client-id") else {
        return unauthorized("Client ID is missing");
    };
    let Some(info) = state.token_info(token) else {
        return unauthorized("Invalid OAuth token");
    };
    if info.client_id != client_id {
        return unauthorized("Client ID and OAuth token do not match");
    }
    Ok(info)
}

/// Helix's error body, which always carries the reason phrase.
fn failure(status: u16, error: &str, message: &str) -> Answer {
    Answer::json(
        status,
        &ErrorBody {
            error: Some(error),
            status,
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::browse::loopback_agent;
    use super::super::testing::Reply;
    use super::super::{Endpoint, FakeTwitch, Fault};

    /// `GET helix/<path>` with these headers.
    fn get(fake: &FakeTwitch, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = loopback_agent().get(format!("{}{path}", fake.helix_url()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.call().expect("the fake answers");
        Reply {
            status: response.status().as_u16(),
            body: response.body_mut().read_to_string().expect("a body"),
            location: None,
            content_type: None,
        }
    }

    fn users(fake: &FakeTwitch, token: &str, client_id: &str) -> Reply {
        let bearer = format!("Bearer {token}");
        get(
            fake,
            "users",
            &[("Authorization", &bearer), ("Client-Id", client_id)],
        )
    }

    fn unauthorized(message: &str) -> serde_json::Value {
        json!({"error": "Unauthorized", "status": 401, "message": message})
    }

    #[test]
    fn users_answers_the_tokens_user_in_twitchs_shape() {
        let fake = FakeTwitch::start().unwrap();
        assert_eq!(
            fake.helix_url(),
            format!("http://{}/helix/", fake.addr()),
            "beside url(), on the same server"
        );
        let grant = fake.grant(&["chat:read"]);
        let reply = users(&fake, &grant.access_token, fake.client_id());
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(
            reply.json(),
            json!({"data": [{
                "id": "141981764", "login": "fakeuser", "display_name": "FakeUser",
                "type": "", "broadcaster_type": "", "description": "",
                "profile_image_url": "", "offline_image_url": "", "view_count": 0,
                "created_at": "2016-12-14T20:32:28Z"
            }]})
        );

        let other = fake.grant_for_another_user(&["user:read:email"]);
        let body = users(&fake, &other.access_token, fake.client_id()).json();
        assert_eq!(body["data"][0]["login"], fake.other_login());
        assert_eq!(body["data"][0]["email"], "otheruser@example.com");

        let log = fake.requests();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].endpoint(), Some(Endpoint::Helix));
        assert_eq!(log[0].target(), "/helix/users");
        assert_eq!(log[0].header("client-id"), Some(fake.client_id()));
    }

    #[test]
    fn users_by_id_and_login() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant::<&str>(&[]);
        let bearer = format!("Bearer {}", grant.access_token);
        let headers = [
            ("Authorization", bearer.as_str()),
            ("Client-Id", "fake-client-id"),
        ];
        let logins = |path: &str| -> Vec<String> {
            let reply = get(&fake, path, &headers);
            assert_eq!(reply.status, 200, "{path}: {reply:?}");
            let data = reply.json()["data"].as_array().unwrap().clone();
            data.iter()
                .map(|u| u["login"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(logins("users?login=otheruser"), ["otheruser"]);
        assert_eq!(
            logins("users?id=141981764&login=OtherUser"),
            ["fakeuser", "otheruser"]
        );
        assert!(
            logins("users?login=nobody").is_empty(),
            "unknown users are left out"
        );

        // An app token has no user of its own.
        let app = users(&fake, &fake.app_token(), fake.client_id());
        assert_eq!(
            (app.status, app.json()),
            (
                400,
                json!({"error": "Bad Request", "status": 400,
                       "message": "Must provide an ID, Login or OAuth Token"})
            )
        );
    }

    #[test]
    fn users_refuses_what_helix_refuses() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant::<&str>(&[]);
        let refused = |reply: Reply, message: &str| {
            assert_eq!((reply.status, reply.json()), (401, unauthorized(message)));
        };
        refused(
            users(&fake, "nope", fake.client_id()),
            "Invalid OAuth token",
        );
        refused(
            users(&fake, &grant.access_token, "another-app"),
            "Client ID and OAuth token do not match",
        );
        let other_app = fake.grant_for_client::<&str>("another-app", &[]);
        refused(
            users(&fake, &other_app.access_token, fake.client_id()),
            "Client ID and OAuth token do not match",
        );
        let bearer = format!("Bearer {}", grant.access_token);
        refused(
            get(&fake, "users", &[("Authorization", &bearer)]),
            "Client ID is missing",
        );
        refused(
            get(&fake, "users", &[("Client-Id", fake.client_id())]),
            "OAuth token is missing",
        );
        for scheme in ["OAuth", "bearer"] {
            let header = format!("{scheme} {}", grant.access_token);
            refused(
                get(
                    &fake,
                    "users",
                    &[("Authorization", &header), ("Client-Id", fake.client_id())],
                ),
                "OAuth token is missing",
            );
        }

        fake.expire_access_token(&grant.access_token);
        refused(
            users(&fake, &grant.access_token, fake.client_id()),
            "Invalid OAuth token",
        );
        let revoked = fake.grant::<&str>(&[]);
        let reply = loopback_agent()
            .post(format!("{}revoke", fake.url()))
            .send_form([
                ("client_id", fake.client_id()),
                ("token", revoked.access_token.as_str()),
            ])
            .unwrap();
        assert_eq!(reply.status(), 200);
        refused(
            users(&fake, &revoked.access_token, fake.client_id()),
            "Invalid OAuth token",
        );
    }

    #[test]
    fn other_helix_paths_are_not_found_and_faults_apply() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant::<&str>(&[]);
        let reply = users(&fake, &grant.access_token, fake.client_id());
        assert_eq!(reply.status, 200);
        let streams = get(&fake, "streams", &[]);
        assert_eq!(
            (streams.status, streams.json()),
            (
                404,
                json!({"error": "Not Found", "status": 404, "message": ""})
            )
        );

        fake.fail_times(Endpoint::Helix, Fault::status(502, "<html>502</html>"), 1);
        let reply = users(&fake, &grant.access_token, fake.client_id());
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (502, "<html>502</html>")
        );
        assert_eq!(
            users(&fake, &grant.access_token, fake.client_id()).status,
            200
        );
        // A Helix fault leaves id.twitch.tv alone, and the other way round.
        fake.fail(Endpoint::Validate, Fault::Close);
        assert_eq!(
            users(&fake, &grant.access_token, fake.client_id()).status,
            200
        );
        assert_eq!(fake.requests().len(), 5);
    }
}
