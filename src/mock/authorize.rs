//! The authorization-code flow at the fake: the authorize page, which plays the user (approve,
//! deny, a redirect URI it does not know), and the code exchange at the `token` endpoint.

use super::log::Request;
use super::routes::{Answer, split_scopes};
use super::scopes;
use super::state::{CLIENT_ID, Code, State};
use super::token::{TokenRequest, check_app, granted};

/// What the fake's authorize page does when a browser arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Authorize {
    /// The user approves: redirect with `code`, `scope` and `state`.
    #[default]
    Approve,
    /// The user clicks "Cancel": redirect with `error=access_denied`. For a device login, the
    /// polls after the pending ones answer 400 `access_denied` (RFC 8628's answer: Twitch does
    /// not document what a declined device login answers).
    Deny,
    /// The redirect URI is not registered: redirect with `error=redirect_mismatch`.
    ///
    /// Twitch sends the user to the app's first registered URL; the fake uses the given one.
    RedirectMismatch,
}

/// `GET authorize`: the login page, answered with a redirect back to the app.
pub(crate) fn authorize(state: &mut State, request: &Request) -> Answer {
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
                other_user: state.other_user_logs_in,
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

/// `POST token` with `grant_type=authorization_code`: a code the authorize page issued, once.
pub(crate) fn exchange_code(state: &mut State, request: &Request) -> Answer {
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
    if code.other_user {
        return granted(&state.mint_other_user(CLIENT_ID, code.scopes));
    }
    granted(&state.mint_user(CLIENT_ID, code.scopes))
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
}
