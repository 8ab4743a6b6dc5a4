//! The token endpoint: which grant a request asks for, whether the registered app may ask for
//! it, and the refresh grant.
//!
//! Twitch's rules for the app's client type, Public or Confidential, and the secret each must
//! send: a Confidential app sends its secret to exchange a code and to refresh; a Public app has
//! no secret, cannot use the authorization-code flow, and its refresh tokens are single use.
//! Device polls need no secret, but a Confidential app's must be right if sent. The other grants
//! live with their flows: `authorize.rs`, `device.rs`, `app_tokens.rs`.

use serde::Serialize;

use super::log::Request;
use super::routes::{Answer, ErrorBody, split_scopes};
use super::state::{CLIENT_ID, CLIENT_SECRET, Minted, State};
use super::{app_tokens, authorize, device, scopes};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `POST token`: dispatched on `grant_type`.
pub(crate) fn token(state: &mut State, request: &Request) -> Answer {
    // Before anything is used up: a refused request spends no code and no refresh token.
    if let Some(scope) = scopes::refused(state, &split_scopes(request.form("scope"))) {
        return scopes::answer(scope);
    }
    match request.form("grant_type") {
        Some("authorization_code") => authorize::exchange_code(state, request),
        Some("refresh_token") => refresh(state, request),
        Some(DEVICE_GRANT) => device::poll(state, request),
        Some("client_credentials") => app_tokens::client_credentials(state, request),
        _ => Answer::error(400, "unsupported grant type"),
    }
}

/// A token request that checks the registered app's credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenRequest {
    /// `grant_type=authorization_code`.
    Code,
    /// `grant_type=refresh_token`.
    Refresh,
    /// A device-code poll.
    DevicePoll,
    /// `grant_type=client_credentials`: an app access token.
    ClientCredentials,
}

/// Checks that a token request comes from the registered app, with the secret its type wants.
pub(crate) fn check_app(
    state: &State,
    request: &Request,
    kind: TokenRequest,
) -> Result<(), Answer> {
    if request.form("client_id") != Some(CLIENT_ID) {
        return Err(Answer::error(400, "invalid client"));
    }
    check_secret(state.public, request, kind)
}

/// Checks the `client_secret` field of the registered app's token request.
pub(crate) fn check_secret(
    public: bool,
    request: &Request,
    kind: TokenRequest,
) -> Result<(), Answer> {
    let secret = request.form("client_secret");
    if public {
        return match (kind, secret) {
            // "A Public client gets a 400", whatever it sends; it cannot get app tokens either.
            (TokenRequest::Code | TokenRequest::ClientCredentials, _) => {
                Err(Answer::error(400, "invalid client"))
            }
            // Public apps must leave the field out: even an empty one is a secret sent.
            (_, Some(_)) => Err(Answer::error(400, "invalid client secret")),
            (_, None) => Ok(()),
        };
    }
    match (kind, secret) {
        (_, Some(CLIENT_SECRET)) => Ok(()),
        (TokenRequest::DevicePoll, None | Some("")) => Ok(()),
        (_, None | Some("")) => Err(Answer::error(400, "missing client secret")),
        (_, Some(_)) => Err(Answer::error(403, "invalid client secret")),
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{
        Reply, error, get, poll_device, post, refresh_with, start_device, validate,
    };
    use super::super::{FakeTwitch, Grant};

    /// A refresh that also sends a `scope` field, which the token endpoint ignores.
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

    const INVALID_REFRESH: &str =
        r#"{"error":"Bad Request","status":400,"message":"Invalid refresh token"}"#;

    /// A refresh that succeeds, and the pair it returns.
    fn rotate(fake: &FakeTwitch, refresh_token: &str, secret: Option<&str>) -> Grant {
        let reply = refresh_with(fake, refresh_token, secret);
        assert_eq!(reply.status, 200, "{reply:?}");
        let body = reply.json();
        Grant {
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    fn assert_invalid_refresh(reply: &Reply) {
        assert_eq!((reply.status, reply.body.as_str()), (400, INVALID_REFRESH));
    }

    /// An authorization code from the fake's authorize page.
    fn code(fake: &FakeTwitch, redirect: &str) -> String {
        let url = format!(
            "{}authorize?client_id=fake-client-id&response_type=code&redirect_uri={redirect}",
            fake.url()
        );
        let location = get(&url, None).location.expect("Location");
        let (_, query) = location.split_once('?').expect("query");
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code")
    }

    #[test]
    fn public_refresh_tokens_are_single_use_and_reuse_kills_the_grant() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_public(true);
        let first = fake.grant(&["chat:read"]);
        let bystander = fake.grant(&["chat:read"]);
        let second = rotate(&fake, &first.refresh_token, None);
        assert_ne!(second.refresh_token, first.refresh_token);
        let third = rotate(&fake, &second.refresh_token, None);
        assert_eq!(validate(&fake, &third.access_token).status, 200);
        assert_eq!(fake.refresh_token_reuses(), 0);

        // The first token is spent: a reuse.
        assert_invalid_refresh(&refresh_with(&fake, &first.refresh_token, None));
        assert_eq!(fake.refresh_token_reuses(), 1);
        // The whole grant is dead, down to the newest pair.
        for access in [&first, &second, &third].map(|g| &g.access_token) {
            let reply = validate(&fake, access);
            assert_eq!(
                (reply.status, reply.json()),
                (401, error(401, "invalid access token"))
            );
        }
        assert_invalid_refresh(&refresh_with(&fake, &third.refresh_token, None));
        // A revoked token is not a spent one.
        assert_eq!(fake.refresh_token_reuses(), 1);
        // Presenting a spent token again counts again.
        assert_invalid_refresh(&refresh_with(&fake, &second.refresh_token, None));
        assert_eq!(fake.refresh_token_reuses(), 2);

        // Another login's grant is untouched.
        assert_eq!(validate(&fake, &bystander.access_token).status, 200);
        rotate(&fake, &bystander.refresh_token, None);
    }

    #[test]
    fn public_apps_send_no_secret_and_cannot_exchange_codes() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_public(true);
        let grant = fake.grant::<&str>(&[]);
        for secret in [fake.client_secret(), "", "wrong"] {
            let reply = refresh_with(&fake, &grant.refresh_token, Some(secret));
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, "invalid client secret")),
                "{secret:?}"
            );
        }
        // Refused before the token is looked at: it is neither spent nor counted.
        rotate(&fake, &grant.refresh_token, None);
        assert_eq!(fake.refresh_token_reuses(), 0);

        let redirect = "http://localhost:1/cb";
        let url = format!("{}token", fake.url());
        let c = code(&fake, redirect);
        for secret in [Some(fake.client_secret()), None] {
            let mut form = vec![
                ("client_id", fake.client_id()),
                ("code", c.as_str()),
                ("grant_type", "authorization_code"),
                ("redirect_uri", redirect),
            ];
            form.extend(secret.map(|s| ("client_secret", s)));
            let reply = post(&url, &form);
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, "invalid client")),
                "{secret:?}"
            );
        }

        // Back to Confidential: the secret is required again, and the code was not spent.
        fake.set_public(false);
        let reply = refresh_with(&fake, &grant.refresh_token, None);
        assert_eq!(reply.json(), error(400, "missing client secret"));
        let form = [
            ("client_id", fake.client_id()),
            ("client_secret", fake.client_secret()),
            ("code", c.as_str()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect),
        ];
        assert_eq!(post(&url, &form).status, 200);
    }

    #[test]
    fn confidential_reuse_is_counted_but_not_punished() {
        let fake = FakeTwitch::start().unwrap();
        let secret = Some(fake.client_secret());
        let first = fake.grant(&["chat:read"]);
        let second = rotate(&fake, &first.refresh_token, secret);
        assert_invalid_refresh(&refresh_with(&fake, &first.refresh_token, secret));
        assert_eq!(fake.refresh_token_reuses(), 1);
        // The grant lives on: the old access token until it expires, the new pair as usual.
        assert_eq!(validate(&fake, &first.access_token).status, 200);
        assert_eq!(validate(&fake, &second.access_token).status, 200);
        rotate(&fake, &second.refresh_token, secret);

        // Revoked and unknown tokens are not reuses.
        let revoked = fake.grant::<&str>(&[]);
        fake.revoke_refresh_token(&revoked.refresh_token);
        assert_invalid_refresh(&refresh_with(&fake, &revoked.refresh_token, secret));
        assert_invalid_refresh(&refresh_with(&fake, "nope", secret));
        assert_eq!(fake.refresh_token_reuses(), 1);

        let reply = refresh_with(&fake, &second.refresh_token, Some("wrong"));
        assert_eq!(
            (reply.status, reply.json()),
            (403, error(403, "invalid client secret"))
        );
        let reply = refresh_with(&fake, &second.refresh_token, None);
        assert_eq!(
            (reply.status, reply.json()),
            (400, error(400, "missing client secret"))
        );
    }

    #[test]
    fn device_polls_need_no_secret_and_public_ones_refuse_it() {
        let fake = FakeTwitch::start().unwrap();
        let id = fake.client_id();
        let code = |fake: &FakeTwitch| {
            let body = start_device(fake, "chat:read");
            body["device_code"].as_str().unwrap().to_owned()
        };
        // Confidential: without a secret, or with the right one; a wrong one is refused.
        assert_eq!(poll_device(&fake, id, &code(&fake), None).status, 200);
        let c = code(&fake);
        let reply = poll_device(&fake, id, &c, Some("wrong"));
        assert_eq!(
            (reply.status, reply.json()),
            (403, error(403, "invalid client secret"))
        );
        assert_eq!(
            poll_device(&fake, id, &c, Some(fake.client_secret())).status,
            200
        );

        fake.set_public(true);
        let c = code(&fake);
        for secret in [fake.client_secret(), ""] {
            let reply = poll_device(&fake, id, &c, Some(secret));
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, "invalid client secret")),
                "{secret:?}"
            );
        }
        let reply = poll_device(&fake, id, &c, None);
        assert_eq!(reply.status, 200, "{reply:?}");
        // Device-flow tokens of a Public app are single use too.
        let refresh_token = reply.json()["refresh_token"].as_str().unwrap().to_owned();
        rotate(&fake, &refresh_token, None);
        assert_invalid_refresh(&refresh_with(&fake, &refresh_token, None));
        assert_eq!(fake.refresh_token_reuses(), 1);
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
}
