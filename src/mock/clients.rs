//! The registered app's client type, Public or Confidential, and the secret each must send.
//!
//! Twitch's rules: a Confidential app sends its secret to exchange a code and to refresh; a
//! Public app has no secret, cannot use the authorization-code flow, and its refresh tokens are
//! single use. Device polls need no secret, but a Confidential app's must be right if sent.

use super::FakeTwitch;
use super::http::{Answer, Request};
use super::state::{CLIENT_ID, CLIENT_SECRET, State};

impl FakeTwitch {
    /// Makes the registered app Public (`true`) or Confidential (`false`, the default).
    ///
    /// A Public app has no secret: a refresh or device poll that sends `client_secret` (even
    /// empty) gets 400 `invalid client secret`, and the code exchange and app token requests
    /// (`client_credentials`) are refused with 400 `invalid client`. Its refresh tokens are
    /// single use: presenting a spent one revokes the whole grant, that is every access and
    /// refresh token descending from the same login, as Twitch may do (issue #903). Applies to
    /// tokens already minted too.
    pub fn set_public(&self, public: bool) {
        self.shared.lock().public = public;
    }

    /// How many spent refresh tokens were presented to the token endpoint so far.
    ///
    /// A spent token is one that was live and has been rotated away by a refresh. Counted in
    /// both modes (only a Public app loses its grant for it); revoked or unknown tokens are not.
    pub fn refresh_token_reuses(&self) -> u32 {
        self.shared.lock().refresh_token_reuses
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

#[cfg(test)]
mod tests {
    use super::super::testing::{
        Reply, error, get, poll_device, post, refresh_with, start_device, validate,
    };
    use super::super::{FakeTwitch, Grant};

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
}
