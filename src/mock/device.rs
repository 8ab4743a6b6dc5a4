//! The device code flow: the `device` endpoint and device-code polls of `token`.
//!
//! Each device code answers its polls in order: `slow_down` a set number of times, then
//! `authorization_pending` a set number of times, then the token pair, once. Past its lifetime,
//! or after it was redeemed, it is an `invalid device code`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::authorize::Authorize;
use super::log::Request;
use super::routes::{Answer, split_scopes};
use super::scopes::{answer as refuse_scope, refused};
use super::state::{CLIENT_ID, LOWER_ALNUM, State, UPPER, random};
use super::token::{TokenRequest, check_secret, granted};

/// Seconds a device code stays redeemable unless set otherwise, as Twitch answers.
const EXPIRES_IN: u64 = 1800;
/// Seconds between polls unless set otherwise, as Twitch answers.
const INTERVAL: u64 = 5;

/// The device codes issued, and the knobs that shape their polls (set through `FakeTwitch`).
pub(crate) struct Devices {
    pub(crate) pending_polls: u32,
    pub(crate) slow_down_polls: u32,
    pub(crate) interval: u64,
    pub(crate) expires_in: u64,
    codes: HashMap<String, DeviceCode>,
    /// How many codes were issued: salt for the random fallback.
    issued: u64,
}

impl Default for Devices {
    fn default() -> Self {
        Devices {
            pending_polls: 0,
            slow_down_polls: 0,
            interval: INTERVAL,
            expires_in: EXPIRES_IN,
            codes: HashMap::new(),
            issued: 0,
        }
    }
}

/// A device code waiting to be redeemed.
struct DeviceCode {
    client_id: String,
    scopes: Vec<String>,
    issued_at: Instant,
    slow_down: u32,
    pending: u32,
}

/// A device-code poll's outcome.
enum Poll {
    /// Unknown, expired, redeemed or another app's.
    Invalid,
    SlowDown,
    Pending,
    /// The user approved these (requested) scopes; the code is now redeemed.
    Approved(Vec<String>),
}

impl Devices {
    /// Issues a device code for `scopes` and the code the user types.
    fn issue(&mut self, client_id: &str, scopes: Vec<String>) -> (String, String) {
        let device_code = loop {
            self.issued += 1;
            let candidate = random(LOWER_ALNUM, 30, self.issued);
            if !self.codes.contains_key(&candidate) {
                break candidate;
            }
        };
        let user_code = random(UPPER, 8, self.issued);
        let code = DeviceCode {
            client_id: client_id.to_owned(),
            scopes,
            issued_at: Instant::now(),
            slow_down: self.slow_down_polls,
            pending: self.pending_polls,
        };
        self.codes.insert(device_code.clone(), code);
        (device_code, user_code)
    }

    /// One poll of `device_code` by `client_id`.
    fn poll(&mut self, client_id: &str, device_code: &str) -> Poll {
        let lifetime = Duration::from_secs(self.expires_in);
        let Some(code) = self.codes.get_mut(device_code) else {
            return Poll::Invalid;
        };
        // Another app's poll counts for nothing: the code's own polls go on as before.
        if code.client_id != client_id || code.issued_at.elapsed() >= lifetime {
            return Poll::Invalid;
        }
        if code.slow_down > 0 {
            code.slow_down -= 1;
            return Poll::SlowDown;
        }
        if code.pending > 0 {
            code.pending -= 1;
            return Poll::Pending;
        }
        // Redeemed: the code is gone, so a second poll is "invalid device code".
        match self.codes.remove(device_code) {
            Some(code) => Poll::Approved(code.scopes),
            None => Poll::Invalid,
        }
    }
}

/// The device endpoint's success body.
#[derive(Serialize)]
struct DeviceBody<'a> {
    device_code: &'a str,
    expires_in: u64,
    interval: u64,
    user_code: &'a str,
    verification_uri: &'a str,
}

/// `POST device`: starts the device flow for the registered app.
pub(crate) fn start(state: &mut State, request: &Request) -> Answer {
    if request.form("client_id") != Some(CLIENT_ID) {
        return Answer::error(400, "invalid client");
    }
    // `scopes`, plural: the device endpoint's own spelling.
    let scopes = split_scopes(request.form("scopes"));
    if let Some(scope) = refused(state, &scopes) {
        return refuse_scope(scope);
    }
    let (device_code, user_code) = state.device.issue(CLIENT_ID, scopes);
    // On the fake itself, never the real https://www.twitch.tv/activate: a test that opens it
    // in a browser stays on loopback. The request's Host is the fake's own address.
    let host = request.header("host").unwrap_or("127.0.0.1");
    let verification_uri =
        format!("http://{host}/oauth2/activate?public=true&device-code={user_code}");
    Answer::json(
        200,
        &DeviceBody {
            device_code: &device_code,
            expires_in: state.device.expires_in,
            interval: state.device.interval,
            user_code: &user_code,
            verification_uri: &verification_uri,
        },
    )
}

/// `GET activate`: the page a person would enter the code on. The fake needs nobody there: its
/// device logins are approved by the fake itself (after the pending polls it was told of).
pub(crate) fn activate_page() -> Answer {
    Answer {
        status: 200,
        content_type: "text/html; charset=utf-8".to_owned(),
        body: "<!doctype html><title>Fake Twitch</title><h1>Fake Twitch: device login</h1>\
               <p>This is the fake id.twitch.tv of twitch-auth's tests. It approves device \
               logins by itself; there is nothing to enter here.</p>"
            .to_owned(),
        headers: Vec::new(),
    }
}

/// `POST token` with the device-code grant type: one poll.
pub(crate) fn poll(state: &mut State, request: &Request) -> Answer {
    let client_id = request.form("client_id").unwrap_or_default();
    if !state.is_client(client_id) {
        return Answer::error(400, "invalid client");
    }
    // The fake knows only the registered app's secret. Another app it knows (from
    // `grant_for_client`) gets no device codes, so its polls end at "invalid device code".
    if client_id == CLIENT_ID
        && let Err(answer) = check_secret(state.public, request, TokenRequest::DevicePoll)
    {
        return answer;
    }
    let device_code = request.form("device_code").unwrap_or_default();
    match state.device.poll(client_id, device_code) {
        Poll::Invalid => Answer::error(400, "invalid device code"),
        Poll::SlowDown => Answer::error(400, "slow_down"),
        Poll::Pending => Answer::error(400, "authorization_pending"),
        // The person looked at the code and declined: RFC 8628's answer.
        Poll::Approved(_) if state.authorize == Authorize::Deny => {
            Answer::error(400, "access_denied")
        }
        Poll::Approved(scopes) => {
            let scopes = state.granted(scopes);
            granted(&state.mint_user(client_id, scopes))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread;
    use std::time::Duration;

    use serde_json::json;

    use super::super::testing::{error, poll_device, post, start_device};
    use super::super::{Endpoint, FakeTwitch};

    #[test]
    fn device_flow_pends_then_grants_once() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_device_pending_polls(2);
        fake.set_device_interval(1);
        let device = post(
            &format!("{}device", fake.url()),
            &[
                ("client_id", fake.client_id()),
                ("scopes", "chat:read user:read:chat"),
            ],
        );
        assert_eq!(device.status, 200, "{device:?}");
        let body = device.json();
        let user_code = body["user_code"].as_str().unwrap();
        assert!(user_code.len() == 8 && user_code.bytes().all(|b| b.is_ascii_uppercase()));
        assert_eq!(
            body["verification_uri"],
            format!(
                "http://{}/oauth2/activate?public=true&device-code={user_code}",
                fake.addr()
            )
        );
        let page = super::super::testing::get(body["verification_uri"].as_str().unwrap(), None);
        assert_eq!(page.status, 200, "the verification page is on the fake");
        assert_eq!(
            (body["expires_in"].as_u64(), body["interval"].as_u64()),
            (Some(1800), Some(1))
        );

        let device_code = body["device_code"].as_str().unwrap();
        let poll = |client_id: &str| {
            post(
                &format!("{}token", fake.url()),
                &[
                    ("client_id", client_id),
                    ("device_code", device_code),
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ],
            )
        };
        assert_eq!(poll("nope").json(), error(400, "invalid client"));
        for _ in 0..2 {
            let reply = poll(fake.client_id());
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, "authorization_pending"))
            );
        }
        let reply = poll(fake.client_id());
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(
            reply.json()["scope"],
            json!(["chat:read", "user:read:chat"])
        );
        let reply = poll(fake.client_id());
        assert_eq!(
            (reply.status, reply.json()),
            (400, error(400, "invalid device code"))
        );

        let device = post(&format!("{}device", fake.url()), &[("client_id", "nope")]);
        assert_eq!(
            (device.status, device.json()),
            (400, error(400, "invalid client"))
        );
    }

    #[test]
    fn slow_down_then_pending_then_the_token() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_device_slow_down_polls(2);
        fake.set_device_pending_polls(1);
        fake.set_device_interval(0);
        let body = start_device(&fake, "chat:read");
        assert_eq!(
            (body["expires_in"].as_u64(), body["interval"].as_u64()),
            (Some(1800), Some(0))
        );
        let code = body["device_code"].as_str().unwrap();
        let expected = ["slow_down", "slow_down", "authorization_pending"];
        for (i, message) in expected.into_iter().enumerate() {
            if i > 0 {
                thread::sleep(Duration::from_millis(30));
            }
            let reply = poll_device(&fake, fake.client_id(), code, None);
            assert_eq!((reply.status, reply.json()), (400, error(400, message)));
        }
        thread::sleep(Duration::from_millis(30));
        let reply = poll_device(&fake, fake.client_id(), code, None);
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.json()["scope"], json!(["chat:read"]));

        // The log says when each poll arrived: in order, at least the sleeps apart.
        let polls: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| r.endpoint() == Some(Endpoint::Token))
            .map(|r| r.received_at())
            .collect();
        assert_eq!(polls.len(), 4);
        for pair in polls.windows(2) {
            let gap = pair[1].duration_since(pair[0]);
            assert!(gap >= Duration::from_millis(30), "{gap:?}");
        }

        // The knobs are per code: a new code starts over.
        let code = start_device(&fake, "")["device_code"]
            .as_str()
            .unwrap()
            .to_owned();
        let reply = poll_device(&fake, fake.client_id(), &code, None);
        assert_eq!(reply.json(), error(400, "slow_down"));
    }

    #[test]
    fn expired_codes_are_invalid_on_every_poll() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_device_pending_polls(5);
        let body = start_device(&fake, "chat:read");
        let code = body["device_code"].as_str().unwrap();
        let reply = poll_device(&fake, fake.client_id(), code, None);
        assert_eq!(reply.json(), error(400, "authorization_pending"));

        // Already issued codes expire too.
        fake.set_device_expires_in(0);
        for _ in 0..3 {
            let reply = poll_device(&fake, fake.client_id(), code, None);
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, "invalid device code"))
            );
        }
        assert_eq!(start_device(&fake, "")["expires_in"], 0);

        // A one-second code lives a second.
        fake.set_device_expires_in(1);
        fake.set_device_pending_polls(0);
        let body = start_device(&fake, "");
        assert_eq!(body["expires_in"], 1);
        thread::sleep(Duration::from_millis(1100));
        let code = body["device_code"].as_str().unwrap();
        let reply = poll_device(&fake, fake.client_id(), code, None);
        assert_eq!(reply.json(), error(400, "invalid device code"));
    }

    #[test]
    fn another_apps_poll_finds_no_code_and_changes_nothing() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_device_pending_polls(1);
        // Known to the fake, but the device code was issued to the registered app.
        let _ = fake.grant_for_client::<&str>("other-app", &[]);
        let code = start_device(&fake, "")["device_code"]
            .as_str()
            .unwrap()
            .to_owned();
        for secret in [None, Some("anything")] {
            let reply = poll_device(&fake, "other-app", &code, secret);
            assert_eq!(
                (reply.status, reply.json()),
                (400, error(400, "invalid device code"))
            );
        }
        let reply = poll_device(&fake, "unknown-app", &code, None);
        assert_eq!(reply.json(), error(400, "invalid client"));
        // The code's own pending poll is still there.
        let reply = poll_device(&fake, fake.client_id(), &code, None);
        assert_eq!(reply.json(), error(400, "authorization_pending"));
        assert_eq!(
            poll_device(&fake, fake.client_id(), &code, None).status,
            200
        );
    }
}
