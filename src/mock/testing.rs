//! Plain ureq calls for the tests, with [`loopback_agent`]: no proxy, no redirects, statuses
//! as values.

use super::FakeTwitch;
use super::browse::loopback_agent;

/// An answer, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) location: Option<String>,
    pub(crate) content_type: Option<String>,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.unwrap_or_else(|e| panic!("request failed: {e}"));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (location, content_type) = (header("location"), header("content-type"));
    let body = response.body_mut().read_to_string().expect("body");
    Reply {
        status: response.status().as_u16(),
        body,
        location,
        content_type,
    }
}

/// GET, with `Authorization: OAuth <token>` when a token is given.
pub(crate) fn get(url: &str, token: Option<&str>) -> Reply {
    let mut request = loopback_agent().get(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("OAuth {token}"));
    }
    read(request.call())
}

/// POST a form (ureq URL-encodes it).
pub(crate) fn post(url: &str, form: &[(&str, &str)]) -> Reply {
    read(loopback_agent().post(url).send_form(form.iter().copied()))
}

/// Twitch's usual error body, `{"status":..,"message":..}`.
pub(crate) fn error(status: u16, message: &str) -> serde_json::Value {
    serde_json::json!({ "status": status, "message": message })
}

/// `GET validate` with `token`.
pub(crate) fn validate(fake: &FakeTwitch, token: &str) -> Reply {
    get(&format!("{}validate", fake.url()), Some(token))
}

/// A refresh of the registered app, with `secret` as `client_secret` or without the field.
pub(crate) fn refresh_with(fake: &FakeTwitch, refresh_token: &str, secret: Option<&str>) -> Reply {
    let mut form = vec![
        ("client_id", fake.client_id()),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    form.extend(secret.map(|s| ("client_secret", s)));
    post(&format!("{}token", fake.url()), &form)
}

/// Starts the device flow for the registered app and returns the device endpoint's JSON.
pub(crate) fn start_device(fake: &FakeTwitch, scopes: &str) -> serde_json::Value {
    let reply = post(
        &format!("{}device", fake.url()),
        &[("client_id", fake.client_id()), ("scopes", scopes)],
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()
}

/// One device-code poll as `client_id`, with `secret` as `client_secret` or without the field.
pub(crate) fn poll_device(
    fake: &FakeTwitch,
    client_id: &str,
    device_code: &str,
    secret: Option<&str>,
) -> Reply {
    let mut form = vec![
        ("client_id", client_id),
        ("device_code", device_code),
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
    ];
    form.extend(secret.map(|s| ("client_secret", s)));
    post(&format!("{}token", fake.url()), &form)
}
