//! Unknown scopes at the fake: accepted by default, or refused the way Twitch refuses them.
//!
//! Off by default because the fake grants whatever it is asked for, which lets tests request any
//! string; on, a scope outside this crate's table ([`Scope::is_known`]: deprecated ones count as
//! known) is refused at the login page and at the `device` and `token` endpoints.

use super::routes::Answer;
use super::state::State;
use crate::Scope;

/// The first of `scopes` the fake refuses: none unless it refuses unknown scopes.
pub(crate) fn refused<'a>(state: &State, scopes: &'a [String]) -> Option<&'a str> {
    if !state.reject_unknown_scopes {
        return None;
    }
    scopes
        .iter()
        .map(String::as_str)
        .find(|scope| !Scope::from(*scope).is_known())
}

/// Twitch's message for a refused scope, in the `device` and `token` answers and the authorize
/// redirect's `error_description`.
pub(crate) fn message(scope: &str) -> String {
    format!("invalid scope requested: '{scope}'")
}

/// The 400 the `device` and `token` endpoints answer for a refused scope.
pub(crate) fn answer(scope: &str) -> Answer {
    Answer::error(400, &message(scope))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Reply, error, get, post, start_device};
    use super::super::{Authorize, FakeTwitch};

    const REDIRECT: &str = "http%3A%2F%2Flocalhost%3A1%2Fcb";

    fn authorize(fake: &FakeTwitch, scope: &str) -> Reply {
        let url = format!(
            "{}authorize?client_id=fake-client-id&response_type=code&redirect_uri={REDIRECT}\
             &scope={scope}&state=s1",
            fake.url()
        );
        get(&url, None)
    }

    fn device(fake: &FakeTwitch, scopes: &str) -> Reply {
        let url = format!("{}device", fake.url());
        post(&url, &[("client_id", fake.client_id()), ("scopes", scopes)])
    }

    #[test]
    fn unknown_scopes_pass_by_default() {
        let fake = FakeTwitch::start().unwrap();
        let location = authorize(&fake, "chat%3Areed").location.unwrap();
        assert!(location.contains("code=") && location.contains("scope=chat%3Areed"));
        start_device(&fake, "chat:reed");
    }

    #[test]
    fn the_authorize_page_redirects_with_invalid_scope_naming_the_first_unknown_one() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_reject_unknown_scopes(true);
        fake.set_authorize(Authorize::Deny); // the user is not even asked

        let reply = authorize(&fake, "chat%3Aread+chat%3Areed+made%3Aup");

        assert_eq!(reply.status, 302, "{reply:?}");
        let location = reply.location.unwrap_or_default();
        assert_eq!(
            location,
            "http://localhost:1/cb?error=invalid_scope&error_description=invalid+scope+\
             requested%3A+%27chat%3Areed%27&state=s1"
        );
        fake.set_authorize(Authorize::RedirectMismatch);
        let location = authorize(&fake, "chat%3Areed").location.unwrap_or_default();
        assert!(location.contains("error=redirect_mismatch"), "{location}");
    }

    #[test]
    fn device_and_token_answer_400_naming_the_scope() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_reject_unknown_scopes(true);

        let reply = device(&fake, "chat:read made:up");
        let refused = error(400, "invalid scope requested: 'made:up'");
        assert_eq!((reply.status, reply.json()), (400, refused));
        assert_eq!(
            reply.body,
            r#"{"status":400,"message":"invalid scope requested: 'made:up'"}"#
        );

        let grant = fake.grant(&["chat:read"]);
        let refresh = |scope: &str| {
            post(
                &format!("{}token", fake.url()),
                &[
                    ("client_id", fake.client_id()),
                    ("client_secret", fake.client_secret()),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &grant.refresh_token),
                    ("scope", scope),
                ],
            )
        };
        let reply = refresh("invalid:scope");
        let refused = error(400, "invalid scope requested: 'invalid:scope'");
        assert_eq!((reply.status, reply.json()), (400, refused));
        // Refused before the refresh token is looked at: it is still live.
        assert_eq!(refresh("chat:read").status, 200);
    }

    #[test]
    fn known_and_deprecated_scopes_pass_the_knob() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_reject_unknown_scopes(true);
        let location = authorize(&fake, "chat%3Aread+whispers%3Aedit").location;
        assert!(location.unwrap_or_default().contains("code="));
        start_device(&fake, "chat:read channel_subscriptions");
    }
}
