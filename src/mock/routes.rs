//! The fake's endpoints: what id.twitch.tv answers to each request, with Twitch's bodies.

use serde::Serialize;

use super::clients::{TokenRequest, check_app};
use super::http::{Answer, ErrorBody, Request};
use super::state::{CLIENT_ID, Code, LOGIN, Minted, Shared, State, USER_ID};
use super::{Authorize, Endpoint, app_tokens, device, scopes};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The endpoint a request path names.
pub(crate) fn endpoint(path: &str) -> Option<Endpoint> {
    match path {
        "/oauth2/authorize" => Some(Endpoint::Authorize),
        "/oauth2/token" => Some(Endpoint::Token),
        "/oauth2/validate" => Some(Endpoint::Validate),
        "/oauth2/revoke" => Some(Endpoint::Revoke),
        "/oauth2/device" => Some(Endpoint::Device),
        _ => None,
    }
}

/// The real answer to `request`, applying its effects (codes used, tokens minted or revoked).
pub(crate) fn answer(shared: &Shared, request: &Request) -> Answer {
    let mut state = shared.lock();
    // A wrong method gets the same 404 as an unknown path, as on Twitch.
    match (request.endpoint(), request.method()) {
        (Some(Endpoint::Authorize), "GET") => authorize(&mut state, request),
        (Some(Endpoint::Token), "POST") => token(&mut state, request),
        (Some(Endpoint::Validate), "GET") => validate(&state, request),
        (Some(Endpoint::Revoke), "POST") => revoke(&mut state, request),
        (Some(Endpoint::Device), "POST") => device::start(&mut state, request),
        _ => Answer::error(404, "not found"),
    }
}

fn authorize(state: &mut State, request: &Request) -> Answer {
    if request.query("client_id") != Some(CLIENT_ID) {
        return Answer::error(400, "invalid client");
    }
    if request.query("response_type") != Some("code") {
        return Answer::error(400, "unsupported response_type");
    }
    let Some(redirect_uri) = request.query("redirect_uri").filter(|u| !u.is_empty()) else {
        return Answer::error(400, "missing redirect_uri");
    };
    let requested = split_scopes(request.query("scope"));
    let mut params = form_urlencoded::Serializer::new(String::new());
    // The redirect URI is checked first; a refused scope is refused before the user is asked.
    let refused = scopes::refused(state, &requested);
    match (state.authorize, refused) {
        (Authorize::RedirectMismatch, _) => {
            params.append_pair("error", "redirect_mismatch");
            params.append_pair(
                "error_description",
                "Parameter redirect_uri does not match registered URI",
            );
        }
        (_, Some(scope)) => {
            params.append_pair("error", "invalid_scope");
            params.append_pair("error_description", &scopes::message(scope));
        }
        (Authorize::Approve, None) => {
            let scopes = state.granted(requested.clone());
            let code = state.new_code(Code {
                client_id: CLIENT_ID.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scopes: scopes.clone(),
            });
            params.append_pair("code", &code);
            params.append_pair("scope", &scopes.join(" "));
        }
        (Authorize::Deny, None) => {
            params.append_pair("error", "access_denied");
            params.append_pair("error_description", "The user denied you access");
        }
    }
    if let Some(csrf) = request.query("state") {
        params.append_pair("state", csrf);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Answer::redirect(format!("{redirect_uri}{separator}{}", params.finish()))
}

fn token(state: &mut State, request: &Request) -> Answer {
    // Before anything is used up: a refused request spends no code and no refresh token.
    if let Some(scope) = scopes::refused(state, &split_scopes(request.form("scope"))) {
        return scopes::answer(scope);
    }
    match request.form("grant_type") {
        Some("authorization_code") => exchange_code(state, request),
        Some("refresh_token") => refresh(state, request),
        Some(DEVICE_GRANT) => device::poll(state, request),
        Some("client_credentials") => app_tokens::client_credentials(state, request),
        _ => Answer::error(400, "unsupported grant type"),
    }
}

fn exchange_code(state: &mut State, request: &Request) -> Answer {
    if let Err(answer) = check_app(state, request, TokenRequest::Code) {
        return answer;
    }
    // Taken before the redirect check: like a real server, a misused code is spent.
    let code = request.form("code").and_then(|c| state.take_code(c));
    let Some(code) = code.filter(|c| c.client_id == CLIENT_ID) else {
        return Answer::error(400, "Invalid authorization code");
    };
    if request.form("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Answer::error(400, "Parameter redirect_uri does not match registered URI");
    }
    granted(&state.mint_user(CLIENT_ID, code.scopes))
}

fn refresh(state: &mut State, request: &Request) -> Answer {
    if let Err(answer) = check_app(state, request, TokenRequest::Refresh) {
        return answer;
    }
    // A `scope` field is ignored: a refresh keeps the grant's scopes, as on Twitch. Unknown,
    // revoked and spent tokens get the same answer; `rotate` counts (and in Public mode
    // punishes) the spent ones.
    match request
        .form("refresh_token")
        .and_then(|t| state.rotate(CLIENT_ID, t))
    {
        Some(minted) => granted(&minted),
        None => Answer::json(
            400,
            &ErrorBody {
                error: Some("Bad Request"),
                status: 400,
                message: "Invalid refresh token",
            },
        ),
    }
}

/// The token endpoint's success body.
#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    /// Absent for legacy tokens that never expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    refresh_token: &'a str,
    /// Absent when nothing was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a [String]>,
    token_type: &'a str,
}

/// The token endpoint's success body for `minted`.
pub(crate) fn granted(minted: &Minted) -> Answer {
    Answer::json(
        200,
        &TokenBody {
            access_token: &minted.access_token,
            expires_in: minted.expires_in,
            refresh_token: &minted.refresh_token,
            scope: (!minted.scopes.is_empty()).then_some(minted.scopes.as_slice()),
            token_type: "bearer",
        },
    )
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
            login: info.user.then_some(LOGIN),
            scopes: (!info.scopes.is_empty()).then_some(info.scopes.as_slice()),
            user_id: info.user.then_some(USER_ID),
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

    use super::super::testing::{Reply, error, get, post, validate};
    use super::super::{Authorize, FakeTwitch};

    const REDIRECT: &str = "http://localhost:17563/callback";

    fn authorize(fake: &FakeTwitch, query: &str) -> Reply {
        get(&format!("{}authorize?{query}", fake.url()), None)
    }

    fn login(fake: &FakeTwitch, scope: &str, csrf: &str) -> Reply {
        authorize(
            fake,
            &format!(
                "client_id=fake-client-id&redirect_uri={}&response_type=code&scope={scope}&state={csrf}&force_verify=true",
                encode(REDIRECT)
            ),
        )
    }

    fn encode(s: &str) -> String {
        form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    /// The decoded query of a Location, after checking it goes back to `REDIRECT`.
    fn callback(reply: &Reply) -> Vec<(String, String)> {
        assert_eq!(reply.status, 302, "{reply:?}");
        let location = reply.location.as_deref().expect("Location");
        let query = location
            .strip_prefix(&format!("{REDIRECT}?"))
            .unwrap_or_else(|| panic!("unexpected Location {location}"));
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn exchange(fake: &FakeTwitch, code: &str, secret: &str) -> Reply {
        post(
            &format!("{}token", fake.url()),
            &[
                ("client_id", fake.client_id()),
                ("client_secret", secret),
                ("code", code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT),
            ],
        )
    }

    fn refresh(fake: &FakeTwitch, refresh_token: &str) -> Reply {
        post(
            &format!("{}token", fake.url()),
            &[
                ("client_id", fake.client_id()),
                ("client_secret", fake.client_secret()),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("scope", "channel:bot"),
            ],
        )
    }

    #[test]
    fn approve_redirects_with_code_scopes_and_state() {
        let fake = FakeTwitch::start().unwrap();
        let reply = login(&fake, "chat%3Aread+chat%3Aedit", "a%2Fb+c");
        let location = reply.location.clone().unwrap_or_default();
        assert!(
            location.contains("scope=chat%3Aread+chat%3Aedit"),
            "{location}"
        );
        let params = callback(&reply);
        let names: Vec<_> = params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["code", "scope", "state"]);
        assert_eq!(field(&params, "state"), Some("a/b c"));
        assert_eq!(field(&params, "scope"), Some("chat:read chat:edit"));

        let code = field(&params, "code").unwrap();
        let reply = exchange(&fake, code, fake.client_secret());
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        let body = reply.json();
        assert_eq!(body["expires_in"], 14124);
        assert_eq!(body["scope"], json!(["chat:read", "chat:edit"]));
        assert_eq!(body["token_type"], "bearer");
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(validate(&fake, access).json()["login"], "fakeuser");

        let again = exchange(&fake, code, fake.client_secret());
        assert_eq!(again.status, 400);
        assert_eq!(again.json(), error(400, "Invalid authorization code"));
    }

    #[test]
    fn deny_and_mismatch_redirect_with_errors() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_authorize(Authorize::Deny);
        let params = callback(&login(&fake, "chat%3Aread", "xyz"));
        assert_eq!(field(&params, "error"), Some("access_denied"));
        assert_eq!(
            field(&params, "error_description"),
            Some("The user denied you access")
        );
        assert_eq!(field(&params, "state"), Some("xyz"));
        assert_eq!(field(&params, "code"), None);

        fake.set_authorize(Authorize::RedirectMismatch);
        let reply = login(&fake, "chat%3Aread", "xyz");
        let location = reply.location.clone().unwrap_or_default();
        assert!(
            location.ends_with("?error=redirect_mismatch&error_description=Parameter+redirect_uri+does+not+match+registered+URI&state=xyz"),
            "{location}"
        );
    }

    #[test]
    fn redirect_with_a_query_and_no_state() {
        let fake = FakeTwitch::start().unwrap();
        let reply = authorize(
            &fake,
            "client_id=fake-client-id&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%2Fcb%3Fx%3D1",
        );
        let location = reply.location.unwrap_or_default();
        assert!(
            location.starts_with("http://localhost/cb?x=1&code="),
            "{location}"
        );
        assert!(location.ends_with("&scope="), "{location}");
    }

    #[test]
    fn authorize_rejects_bad_requests() {
        let fake = FakeTwitch::start().unwrap();
        let cases = [
            (
                "client_id=nope&response_type=code&redirect_uri=x",
                "invalid client",
            ),
            (
                "client_id=fake-client-id&response_type=token&redirect_uri=x",
                "unsupported response_type",
            ),
            (
                "client_id=fake-client-id&response_type=code",
                "missing redirect_uri",
            ),
        ];
        for (query, message) in cases {
            let reply = authorize(&fake, query);
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, message)),
                "{query}"
            );
        }
    }

    #[test]
    fn code_exchange_checks_the_app() {
        let fake = FakeTwitch::start().unwrap();
        let code = |fake: &FakeTwitch| {
            let params = callback(&login(fake, "", "s"));
            field(&params, "code").unwrap().to_owned()
        };
        let reply = exchange(&fake, &code(&fake), "wrong");
        assert_eq!(
            (reply.status, reply.json()),
            (403, error(403, "invalid client secret"))
        );
        let reply = exchange(&fake, &code(&fake), "");
        assert_eq!(
            (reply.status, reply.json()),
            (400, error(400, "missing client secret"))
        );

        let url = format!("{}token", fake.url());
        let c = code(&fake);
        let form = [
            ("client_id", "other"),
            ("client_secret", "x"),
            ("code", c.as_str()),
            ("grant_type", "authorization_code"),
        ];
        assert_eq!(post(&url, &form).json(), error(400, "invalid client"));
        let form = [
            ("client_id", fake.client_id()),
            ("client_secret", fake.client_secret()),
            ("code", c.as_str()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://localhost:1/other"),
        ];
        let reply = post(&url, &form);
        let expected = error(400, "Parameter redirect_uri does not match registered URI");
        assert_eq!((reply.status, reply.json()), (400, expected));

        // Nothing requested, nothing granted: no `scope` field.
        let body = exchange(&fake, &code(&fake), fake.client_secret()).json();
        assert!(body.get("scope").is_none(), "{body}");
    }

    #[test]
    fn granted_scopes_and_legacy_lifetime() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_granted_scopes(Some(vec!["chat:read".to_owned()]));
        fake.set_expires_in(None);
        let params = callback(&login(&fake, "chat%3Aread+chat%3Aedit", "s"));
        assert_eq!(field(&params, "scope"), Some("chat:read"));
        let body = exchange(&fake, field(&params, "code").unwrap(), fake.client_secret()).json();
        assert_eq!(body["scope"], json!(["chat:read"]));
        assert!(body.get("expires_in").is_none(), "{body}");
        let info = validate(&fake, body["access_token"].as_str().unwrap()).json();
        assert_eq!(info["expires_in"], 0);
    }

    #[test]
    fn refresh_rotates_and_rejects_the_old_token() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant(&["chat:read"]);
        let reply = refresh(&fake, &grant.refresh_token);
        assert_eq!(reply.status, 200, "{reply:?}");
        let body = reply.json();
        assert_eq!(
            body["scope"],
            json!(["chat:read"]),
            "scope param must be ignored"
        );
        assert_ne!(body["refresh_token"], grant.refresh_token.as_str());
        assert_ne!(body["access_token"], grant.access_token.as_str());

        let reply = refresh(&fake, &grant.refresh_token);
        assert_eq!(reply.status, 400);
        assert_eq!(
            reply.body,
            r#"{"error":"Bad Request","status":400,"message":"Invalid refresh token"}"#
        );
        let next = body["refresh_token"].as_str().unwrap();
        fake.revoke_refresh_token(next);
        assert_eq!(refresh(&fake, next).status, 400);

        let other = fake.grant_for_client::<&str>("other-app", &[]);
        assert_eq!(refresh(&fake, &other.refresh_token).status, 400);
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

        let bearer = super::super::testing::agent()
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
