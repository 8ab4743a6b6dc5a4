//! App access tokens (the client-credentials grant): minted for the registered Confidential
//! app's id and secret, with no refresh token, no scopes and no user.

use serde::Serialize;

use super::log::Request;
use super::routes::Answer;
use super::state::State;
use super::token::{TokenRequest, check_app};

/// The token endpoint's success body for an app token: no `refresh_token`, no `scope`.
#[derive(Serialize)]
struct AppTokenBody<'a> {
    access_token: &'a str,
    /// Absent for tokens that never expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    token_type: &'a str,
}

/// `POST token` with `grant_type=client_credentials`: the registered app's id and secret mint an
/// app token; a Public app is refused with 400 `invalid client`, as it has no secret.
pub(crate) fn client_credentials(state: &mut State, request: &Request) -> Answer {
    if let Err(answer) = check_app(state, request, TokenRequest::ClientCredentials) {
        return answer;
    }
    let access_token = state.mint_app();
    Answer::json(
        200,
        &AppTokenBody {
            access_token: &access_token,
            expires_in: state.app_expires_in,
            token_type: "bearer",
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::FakeTwitch;
    use super::super::testing::{Reply, error, post, validate};

    fn client_credentials(fake: &FakeTwitch, id: &str, secret: Option<&str>) -> Reply {
        let mut form = vec![("client_id", id), ("grant_type", "client_credentials")];
        form.extend(secret.map(|s| ("client_secret", s)));
        post(&format!("{}token", fake.url()), &form)
    }

    #[test]
    fn client_credentials_mint_an_app_token_that_validates_without_a_user() {
        let fake = FakeTwitch::start().unwrap();
        let reply = client_credentials(&fake, fake.client_id(), Some(fake.client_secret()));
        assert_eq!(reply.status, 200, "{reply:?}");
        let body = reply.json();
        let names: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(
            names,
            ["access_token", "expires_in", "token_type"],
            "{body}"
        );
        assert_eq!(body["expires_in"], 60 * 24 * 3600);
        let access = body["access_token"].as_str().unwrap();

        let info = validate(&fake, access).json();
        assert_eq!(
            info,
            json!({"client_id": "fake-client-id", "scopes": null, "expires_in": info["expires_in"]})
        );
        let left = info["expires_in"].as_u64().unwrap();
        assert!(left > 59 * 24 * 3600, "{info}");
    }

    #[test]
    fn app_token_lifetimes_can_be_set() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_app_token_expires_in(Some(30));
        let reply = client_credentials(&fake, fake.client_id(), Some(fake.client_secret()));
        assert_eq!(reply.json()["expires_in"], 30);
        let left = validate(&fake, &fake.app_token()).json()["expires_in"].clone();
        assert!(left.as_u64().is_some_and(|s| s <= 30), "{left}");

        fake.set_app_token_expires_in(None);
        let body = client_credentials(&fake, fake.client_id(), Some(fake.client_secret())).json();
        assert!(body.get("expires_in").is_none(), "{body}");
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(validate(&fake, access).json()["expires_in"], 0);
    }

    #[test]
    fn client_credentials_check_the_app() {
        let fake = FakeTwitch::start().unwrap();
        let id = fake.client_id();
        let cases = [
            (id, Some("wrong"), 403, "invalid client secret"),
            (id, None, 400, "missing client secret"),
            (id, Some(""), 400, "missing client secret"),
            ("other", Some(fake.client_secret()), 400, "invalid client"),
        ];
        for (client_id, secret, status, message) in cases {
            let reply = client_credentials(&fake, client_id, secret);
            assert_eq!(
                (reply.status, reply.json()),
                (status, error(status, message)),
                "{client_id} {secret:?}"
            );
        }

        // A Public app has no secret and cannot get app tokens, whatever it sends.
        fake.set_public(true);
        for secret in [Some(fake.client_secret()), None] {
            let reply = client_credentials(&fake, id, secret);
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, "invalid client")),
                "{secret:?}"
            );
        }
    }
}
