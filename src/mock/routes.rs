//! The fake's endpoints: which one a request is for, what each answers (Twitch's status codes
//! and bodies), and the two small ones, `validate` and `revoke`.
//!
//! The others have files of their own: `authorize.rs` (the login page and the code exchange),
//! `token.rs` (grant types, client checks, refresh), `device.rs`, `app_tokens.rs`, and
//! `helix.rs`, the stand-in for `api.twitch.tv/helix/`.

use serde::Serialize;

use super::log::Request;
use super::state::{LOGIN, OTHER_LOGIN, OTHER_USER_ID, Shared, State, USER_ID};
use super::{authorize, device, helix, token};

/// One of the fake's endpoints, for [`FakeTwitch::fail`](super::FakeTwitch::fail) and
/// [`Request::endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /oauth2/authorize`: the login page.
    Authorize,
    /// `POST /oauth2/token`: code exchange, refresh, device polling and app tokens.
    Token,
    /// `GET /oauth2/validate`.
    Validate,
    /// `POST /oauth2/revoke`.
    Revoke,
    /// `POST /oauth2/device`: starts the device flow.
    Device,
    /// `GET /oauth2/activate`: the fake's stand-in for `https://www.twitch.tv/activate`, where
    /// the device answer's `verification_uri` points, so that a test that opens it in a browser
    /// never reaches the real Twitch. Its page says the fake approves device logins by itself.
    Activate,
    /// Any path under `/helix/` ([`FakeTwitch::helix_url`](super::FakeTwitch::helix_url)), the
    /// fake's stand-in for `https://api.twitch.tv/helix/`: `GET users` answers, other paths 404.
    /// A fault set on it makes every Helix call misbehave, and no id.twitch.tv endpoint.
    Helix,
}

impl Endpoint {
    /// The endpoint a request path names.
    pub(crate) fn from_path(path: &str) -> Option<Endpoint> {
        match path {
            "/oauth2/authorize" => Some(Endpoint::Authorize),
            "/oauth2/token" => Some(Endpoint::Token),
            "/oauth2/validate" => Some(Endpoint::Validate),
            "/oauth2/revoke" => Some(Endpoint::Revoke),
            "/oauth2/device" => Some(Endpoint::Device),
            "/oauth2/activate" => Some(Endpoint::Activate),
            _ if path.starts_with("/helix/") => Some(Endpoint::Helix),
            _ => None,
        }
    }
}

/// Twitch's error body; fields in Twitch's order.
#[derive(serde::Serialize)]
pub(crate) struct ErrorBody<'a> {
    /// The reason phrase, which Twitch adds to a few errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<&'a str>,
    pub(crate) status: u16,
    pub(crate) message: &'a str,
}

/// What a route answers.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: String,
    /// Extra headers, such as `Location` or `Retry-After`.
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: &impl serde::Serialize) -> Answer {
        Answer {
            status,
            content_type: "application/json".to_owned(),
            // Serializing our own plain structs cannot fail; "{}" keeps this panic-free anyway.
            body: serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()),
            headers: Vec::new(),
        }
    }

    /// `{"status":..,"message":..}`, Twitch's usual error body.
    pub(crate) fn error(status: u16, message: &str) -> Answer {
        Answer::json(
            status,
            &ErrorBody {
                error: None,
                status,
                message,
            },
        )
    }

    /// A `302 Found` to `location`.
    pub(crate) fn redirect(location: String) -> Answer {
        Answer {
            status: 302,
            content_type: "text/html".to_owned(),
            body: String::new(),
            headers: vec![("Location", location)],
        }
    }
}

/// The real answer to `request`, applying its effects (codes used, tokens minted or revoked).
pub(crate) fn answer(shared: &Shared, request: &Request) -> Answer {
    let mut state = shared.lock();
    // A wrong method gets the same 404 as an unknown path, as on Twitch.
    match (request.endpoint(), request.method()) {
        (Some(Endpoint::Authorize), "GET") => authorize::authorize(&mut state, request),
        (Some(Endpoint::Token), "POST") => token::token(&mut state, request),
        (Some(Endpoint::Validate), "GET") => validate(&state, request),
        (Some(Endpoint::Revoke), "POST") => revoke(&mut state, request),
        (Some(Endpoint::Device), "POST") => device::start(&mut state, request),
        (Some(Endpoint::Activate), "GET") => device::activate_page(),
        (Some(Endpoint::Helix), _) => helix::helix(&state, request),
        _ => Answer::error(404, "not found"),
    }
}

/// The validate endpoint's success body.
#[derive(Serialize)]
struct ValidateBody<'a> {
    client_id: &'a str,
    /// Absent for app tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    login: Option<&'a str>,
    /// `null` when empty, as Twitch answers.
    scopes: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    expires_in: u64,
}

fn validate(state: &State, request: &Request) -> Answer {
    let token = request.header("authorization").and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        let known = scheme.eq_ignore_ascii_case("oauth") || scheme.eq_ignore_ascii_case("bearer");
        Some(token.trim()).filter(|t| known && !t.is_empty())
    });
    let Some(token) = token else {
        return Answer::error(401, "missing authorization token");
    };
    let Some(info) = state.token_info(token) else {
        return Answer::error(401, "invalid access token");
    };
    Answer::json(
        200,
        &ValidateBody {
            client_id: &info.client_id,
            login: info
                .user
                .then_some(if info.other_user { OTHER_LOGIN } else { LOGIN }),
            scopes: (!info.scopes.is_empty()).then_some(info.scopes.as_slice()),
            user_id: info.user.then_some(if info.other_user {
                OTHER_USER_ID
            } else {
                USER_ID
            }),
            expires_in: info.expires_in,
        },
    )
}

fn revoke(state: &mut State, request: &Request) -> Answer {
    let client_id = request.form("client_id").unwrap_or_default();
    if !state.is_client(client_id) {
        return Answer::error(404, "client does not exist");
    }
    match request.form("token") {
        Some(token) if state.revoke(client_id, token) => Answer {
            status: 200,
            content_type: "text/plain".to_owned(),
            body: String::new(),
            headers: Vec::new(),
        },
        _ => Answer::error(400, "Invalid token"),
    }
}

/// Space-separated scopes, as the authorize and device endpoints take them.
pub(crate) fn split_scopes(scopes: Option<&str>) -> Vec<String> {
    scopes
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::FakeTwitch;
    use super::super::browse::loopback_agent;
    use super::super::testing::{Reply, error, get, post, refresh_with, validate};

    fn refresh(fake: &FakeTwitch, refresh_token: &str) -> Reply {
        refresh_with(fake, refresh_token, Some(fake.client_secret()))
    }

    #[test]
    fn validate_shapes_and_errors() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant(&["chat:read", "chat:edit"]);
        let reply = validate(&fake, &grant.access_token);
        assert_eq!(reply.status, 200);
        let body = reply.json();
        assert_eq!(body["client_id"], "fake-client-id");
        assert_eq!(body["login"], "fakeuser");
        assert_eq!(body["user_id"], "141981764");
        assert_eq!(body["scopes"], json!(["chat:read", "chat:edit"]));
        assert!(
            (14123..=14124).contains(&body["expires_in"].as_u64().unwrap()),
            "{body}"
        );

        let empty = fake.grant::<&str>(&[]);
        let reply = validate(&fake, &empty.access_token);
        assert!(reply.body.contains(r#""scopes":null"#), "{}", reply.body);

        let app = validate(&fake, &fake.app_token()).json();
        assert!(
            app.get("login").is_none() && app.get("user_id").is_none(),
            "{app}"
        );
        assert_eq!(app["client_id"], "fake-client-id");

        let bearer = loopback_agent()
            .get(format!("{}validate", fake.url()))
            .header("Authorization", format!("Bearer {}", grant.access_token))
            .call()
            .unwrap();
        assert_eq!(bearer.status(), 200);

        let other = fake.grant_for_client::<&str>("other-app", &[]);
        assert_eq!(
            validate(&fake, &other.access_token).json()["client_id"],
            "other-app"
        );

        let missing = get(&format!("{}validate", fake.url()), None);
        assert_eq!(
            (missing.status, missing.json()),
            (401, error(401, "missing authorization token"))
        );
        let unknown = validate(&fake, "nope");
        assert_eq!(
            (unknown.status, unknown.json()),
            (401, error(401, "invalid access token"))
        );

        fake.expire_access_token(&grant.access_token);
        assert_eq!(validate(&fake, &grant.access_token).status, 401);
        assert_eq!(validate(&fake, &empty.access_token).status, 200);
        fake.expire_access_tokens();
        assert_eq!(validate(&fake, &empty.access_token).status, 401);
        // An expired access token can still be refreshed.
        assert_eq!(refresh(&fake, &grant.refresh_token).status, 200);
    }

    #[test]
    fn revoke_kills_the_pair() {
        let fake = FakeTwitch::start().unwrap();
        let url = format!("{}revoke", fake.url());
        let grant = fake.grant(&["chat:read"]);
        let reply = post(
            &url,
            &[("client_id", "nope"), ("token", &grant.access_token)],
        );
        assert_eq!(
            (reply.status, reply.json()),
            (404, error(404, "client does not exist"))
        );
        let reply = post(&url, &[("client_id", fake.client_id()), ("token", "nope")]);
        assert_eq!(
            (reply.status, reply.json()),
            (400, error(400, "Invalid token"))
        );

        let reply = post(
            &url,
            &[
                ("client_id", fake.client_id()),
                ("token", &grant.access_token),
            ],
        );
        assert_eq!((reply.status, reply.body.as_str()), (200, ""));
        assert_eq!(validate(&fake, &grant.access_token).status, 401);
        assert_eq!(refresh(&fake, &grant.refresh_token).status, 400);
        let again = post(
            &url,
            &[
                ("client_id", fake.client_id()),
                ("token", &grant.access_token),
            ],
        );
        assert_eq!(again.status, 400);

        let other = fake.grant_for_client::<&str>("other-app", &[]);
        let reply = post(
            &url,
            &[("client_id", "other-app"), ("token", &other.refresh_token)],
        );
        assert_eq!(reply.status, 200);
        assert_eq!(validate(&fake, &other.access_token).status, 401);
    }

    #[test]
    fn unknown_paths_methods_and_grants() {
        let fake = FakeTwitch::start().unwrap();
        let not_found = error(404, "not found");
        let reply = get(&format!("{}nothing", fake.url()), None);
        assert_eq!((reply.status, reply.json()), (404, not_found.clone()));
        let reply = get(&format!("{}token", fake.url()), None);
        assert_eq!((reply.status, reply.json()), (404, not_found));
        let reply = post(
            &format!("{}token", fake.url()),
            &[("grant_type", "password")],
        );
        assert_eq!(
            (reply.status, reply.json()),
            (400, error(400, "unsupported grant type"))
        );
        let reply = post(&format!("{}token", fake.url()), &[]);
        assert_eq!(reply.json(), error(400, "unsupported grant type"));
    }
}
