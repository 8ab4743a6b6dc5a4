//! The calls to the Twitch auth server: the only module that speaks HTTP.
//!
//! Each function returns Twitch's answer as a value when Twitch said something this crate acts on
//! (a 401 from `validate` is `Validation::Rejected`, not an error), and an [`Error`] naming its
//! [`Step`] when the request failed or the answer cannot be acted on. So `?` alone guarantees that
//! a 502 or a dropped connection never counts as "token invalid".

use std::time::Duration;

use serde::Deserialize;

use crate::app::App;
use crate::echo::echoes;
use crate::scope;
use crate::secret::{AuthCode, DeviceCodeSecret, is_token_shaped};
use crate::{AccessToken, ClientSecret, Error, RefreshToken, Scope, Step};

/// Twitch's answers are a few hundred bytes; anything far larger is not Twitch.
const BODY_LIMIT: u64 = 64 * 1024;

/// The longest request timeout given to ureq, which adds it to an `Instant` and panics past the
/// clock's range (`Duration::MAX`): a request allowed a day has no timeout in practice.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// An HTTP client for one app's auth server (cloning shares its connection pool).
#[derive(Debug, Clone)]
pub(crate) struct Client {
    agent: ureq::Agent,
}

/// What `GET validate` says about an access token.
#[derive(Debug)]
pub(crate) enum Validation {
    Valid(TokenInfo),
    /// 401: expired, revoked or unknown. The refresh token may still work.
    Rejected,
}

/// The body of a 200 from `validate`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenInfo {
    pub(crate) client_id: String,
    /// Absent for app access tokens.
    pub(crate) login: Option<String>,
    pub(crate) user_id: Option<String>,
    /// `null` when the token has no scopes.
    #[serde(default, deserialize_with = "scopes_or_null")]
    pub(crate) scopes: Vec<Scope>,
    /// Seconds left; 0 for a token that never expires.
    pub(crate) expires_in: u64,
}

impl TokenInfo {
    /// Whether the validated token is a user token of this app with every requested scope.
    pub(crate) fn check_fit(&self, app: &App, scopes: &[Scope]) -> Result<(), Error> {
        if self.client_id != app.client_id {
            return Err(Error::WrongClient {
                token_client_id: self.client_id.clone(),
            });
        }
        if self.user_id.is_none() {
            return Err(Error::NotUserToken);
        }
        scope::require(scopes, &self.scopes)
    }
}

/// What `POST token` with a refresh token says.
#[derive(Debug)]
pub(crate) enum Refresh {
    Granted(Grant),
    /// 400 `Invalid refresh token` or 401: only a new login helps.
    Rejected,
}

/// A token pair from `POST token` (code exchange, refresh, device poll).
#[derive(Debug, Deserialize)]
pub(crate) struct Grant {
    pub(crate) access_token: AccessToken,
    /// Some answers may omit it; the caller then keeps the one it had.
    pub(crate) refresh_token: Option<RefreshToken>,
    /// Absent for legacy clients: the token does not expire.
    pub(crate) expires_in: Option<u64>,
    /// An array, absent when nothing was granted; an old doc example shows a string.
    #[serde(default, rename = "scope", deserialize_with = "scope_list_or_string")]
    pub(crate) scopes: Vec<Scope>,
}

/// An app access token from `POST token` with `grant_type=client_credentials`: no refresh token
/// (a new one is requested instead) and no scopes.
#[derive(Debug, Deserialize)]
pub(crate) struct AppGrant {
    pub(crate) access_token: AccessToken,
    /// About 60 days; absent (or 0) for a token that does not expire.
    pub(crate) expires_in: Option<u64>,
}

/// The body of a 200 from `device`.
#[derive(Debug, Deserialize)]
pub(crate) struct DeviceStart {
    pub(crate) device_code: DeviceCodeSecret,
    pub(crate) expires_in: u64,
    pub(crate) interval: u64,
    pub(crate) user_code: String,
    pub(crate) verification_uri: String,
}

/// What a device poll says.
#[derive(Debug)]
pub(crate) enum Poll {
    Granted(Grant),
    /// `authorization_pending`: the user has not entered the code yet.
    Pending,
    /// `slow_down`: poll less often (RFC 8628; not documented by Twitch).
    SlowDown,
    /// `invalid device code`: expired, redeemed or unknown, or briefly while the user authorizes.
    InvalidCode,
    /// `access_denied`: the person declined (RFC 8628's answer; Twitch does not document one).
    Denied,
}

/// Twitch's error body: `{"status": 400, "message": "..."}`.
#[derive(Debug, Default, Deserialize)]
struct TwitchError {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    message: String,
}

impl Client {
    /// One agent per helper: connect and overall timeouts, no redirects, 4xx bodies readable.
    /// A `timeout` longer than [`LONGEST_TIMEOUT`] is cut to it.
    pub(crate) fn new(app: &App, timeout: Duration) -> Client {
        let timeout = timeout.min(LONGEST_TIMEOUT);
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false) // Twitch's {"status","message"} bodies decide what to do
            .max_redirects(0) // a redirect must never carry a token elsewhere
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .timeout_global(Some(timeout)) // ureq 3 has no timeout by default
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ));
        if app.is_loopback() {
            // An environment proxy must not carry requests meant for this machine elsewhere.
            config = config.proxy(None);
        }
        Client {
            agent: config.build().into(),
        }
    }

    /// `GET validate` with `Authorization: OAuth <token>`.
    pub(crate) fn validate(&self, app: &App, token: &AccessToken) -> Result<Validation, Error> {
        let step = Step::Validate;
        if !fits_in_a_header(token.secret()) {
            // Not a token Twitch could have issued (a damaged file): invalid, without asking.
            return Ok(Validation::Rejected);
        }
        let request = self
            .agent
            .get(app.endpoint("validate"))
            .header("Authorization", format!("OAuth {}", token.secret()));
        let reply = answer(step, request.call())?;
        match reply.status {
            200 => parse(step, &reply.body).map(Validation::Valid),
            401 if is_twitch_401(&reply.body) => Ok(Validation::Rejected),
            _ => Err(status_error(
                step,
                &reply,
                &secrets(app, &[("token", token.secret())]),
            )),
        }
    }

    /// `POST token` with `grant_type=refresh_token`; the secret only for Confidential apps.
    pub(crate) fn refresh(&self, app: &App, refresh: &RefreshToken) -> Result<Refresh, Error> {
        let step = Step::Refresh;
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.secret()),
            ("client_id", &app.client_id),
        ];
        if let Some(secret) = &app.client_secret {
            form.push(("client_secret", secret.secret()));
        }
        let sent = secrets(app, &form);
        let reply = answer(
            step,
            self.agent
                .post(app.endpoint("token"))
                .send_form(form.iter().copied()),
        )?;
        match reply.status {
            200 => parse_grant(step, &reply.body).map(Refresh::Granted),
            401 if is_twitch_401(&reply.body) => Ok(Refresh::Rejected),
            400 if twitch_message(&reply.body).eq_ignore_ascii_case("invalid refresh token") => {
                Ok(Refresh::Rejected)
            }
            _ => Err(rejected_credentials(step, app, &reply)
                .unwrap_or_else(|| status_error(step, &reply, &sent))),
        }
    }

    /// `POST token` with `grant_type=authorization_code`.
    pub(crate) fn exchange_code(
        &self,
        app: &App,
        code: &AuthCode,
        redirect_url: &str,
    ) -> Result<Grant, Error> {
        let step = Step::ExchangeCode;
        let secret = app.client_secret.as_ref().ok_or(Error::NoClientSecret)?;
        let form = [
            ("client_id", app.client_id.as_str()),
            ("client_secret", secret.secret()),
            ("code", code.secret()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_url),
        ];
        let sent = secrets(app, &form);
        let reply = answer(step, self.agent.post(app.endpoint("token")).send_form(form))?;
        match reply.status {
            200 => parse_grant(step, &reply.body),
            _ => Err(rejected_credentials(step, app, &reply)
                .unwrap_or_else(|| status_error(step, &reply, &sent))),
        }
    }

    /// `POST revoke`; 200, and 400 `Invalid token`, both mean the token is gone.
    pub(crate) fn revoke(&self, app: &App, token: &AccessToken) -> Result<(), Error> {
        let step = Step::Revoke;
        let form = [
            ("client_id", app.client_id.as_str()),
            ("token", token.secret()),
        ];
        let reply = answer(
            step,
            self.agent.post(app.endpoint("revoke")).send_form(form),
        )?;
        match reply.status {
            200 => Ok(()),
            400 if twitch_message(&reply.body).eq_ignore_ascii_case("invalid token") => Ok(()),
            _ => Err(status_error(step, &reply, &secrets(app, &form))),
        }
    }

    /// Whether Twitch accepts the app's client id and secret: an app access token is
    /// requested and revoked at once. Before a browser login, whose page would otherwise only
    /// show Twitch's `invalid client` to the person, and the app wait out its timeout.
    pub(crate) fn check_credentials(&self, app: &App, secret: &ClientSecret) -> Result<(), Error> {
        let grant = self
            .app_token(app, secret)
            .map_err(|e| e.at_step(Step::CheckCredentials))?;
        if let Err(e) = self.revoke(app, &grant.access_token) {
            // It expires on its own; the check itself succeeded.
            log::debug!("twitch-auth: the credential check's app token was not revoked: {e}");
        }
        Ok(())
    }

    /// `POST token` with `grant_type=client_credentials`: an app access token. Only Confidential
    /// apps have a secret to send; Twitch's refusals of the id or secret become
    /// [`Error::InvalidCredentials`], since only fixing that setting helps.
    pub(crate) fn app_token(&self, app: &App, secret: &ClientSecret) -> Result<AppGrant, Error> {
        let step = Step::RequestAppToken;
        let form = [
            ("client_id", app.client_id.as_str()),
            ("client_secret", secret.secret()),
            ("grant_type", "client_credentials"),
        ];
        let sent = secrets(app, &form);
        let reply = answer(step, self.agent.post(app.endpoint("token")).send_form(form))?;
        if reply.status == 200 {
            return parse_app_grant(step, &reply.body);
        }
        Err(rejected_credentials(step, app, &reply)
            .unwrap_or_else(|| status_error(step, &reply, &sent)))
    }

    /// `POST device` with `scopes` (plural, unlike everywhere else).
    pub(crate) fn start_device(&self, app: &App, scopes: &[Scope]) -> Result<DeviceStart, Error> {
        let step = Step::StartDevice;
        let scopes = crate::scope::space_separated(scopes);
        let form = [("client_id", app.client_id.as_str()), ("scopes", &scopes)];
        let reply = answer(
            step,
            self.agent.post(app.endpoint("device")).send_form(form),
        )?;
        match reply.status {
            200 => parse(step, &reply.body),
            // A wrong client id: said before any code is shown to the person.
            _ => Err(rejected_credentials(step, app, &reply)
                .unwrap_or_else(|| status_error(step, &reply, &secrets(app, &form)))),
        }
    }

    /// `POST token` with the device code; no secret.
    pub(crate) fn poll_device(&self, app: &App, code: &DeviceCodeSecret) -> Result<Poll, Error> {
        let step = Step::PollDevice;
        let form = [
            ("client_id", app.client_id.as_str()),
            ("device_code", code.secret()),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ];
        let sent = secrets(app, &form);
        let reply = answer(step, self.agent.post(app.endpoint("token")).send_form(form))?;
        if reply.status == 200 {
            return parse_grant(step, &reply.body).map(Poll::Granted);
        }
        let message = twitch_message(&reply.body);
        match (reply.status, message.to_ascii_lowercase().as_str()) {
            (400, "authorization_pending") => Ok(Poll::Pending),
            (400, "slow_down") => Ok(Poll::SlowDown),
            (400, "invalid device code") => Ok(Poll::InvalidCode),
            (400, "access_denied") => Ok(Poll::Denied),
            _ => Err(status_error(step, &reply, &sent)),
        }
    }
}

/// What the auth server answered.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    body: Vec<u8>,
    /// `Retry-After` in seconds, as a 429 may carry.
    retry_after: Option<Duration>,
}

/// Twitch's tokens are 30 visible ASCII characters; anything that could not travel in a header
/// (line breaks, non-ASCII, kilobytes) did not come from Twitch.
fn fits_in_a_header(token: &str) -> bool {
    is_token_shaped(token) && token.len() <= 4096
}

/// The status and body of an answer, or `Unreachable` when there was none.
fn answer(
    step: Step,
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Reply, Error> {
    let unreachable = |source: ureq::Error| Error::Unreachable {
        step,
        reason: transport_reason(&source),
        source: Box::new(source),
    };
    let mut response = result.map_err(unreachable)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    match response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_vec()
    {
        Ok(body) => Ok(Reply {
            status,
            body,
            retry_after,
        }),
        Err(ureq::Error::BodyExceedsLimit(_)) => Err(Error::InvalidResponse {
            step,
            detail: format!("the body of the {status} answer is larger than {BODY_LIMIT} bytes"),
        }),
        Err(source) => Err(unreachable(source)),
    }
}

/// A few words on a transport error, for the message; the details stay in `source()`.
fn transport_reason(error: &ureq::Error) -> &'static str {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(_) => "timed out",
        ureq::Error::HostNotFound => "host not found",
        ureq::Error::ConnectionFailed => "could not connect",
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused",
            ErrorKind::TimedOut | ErrorKind::WouldBlock => "timed out",
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof => "connection closed before the answer was complete",
            _ => "network error",
        },
        ureq::Error::Protocol(_) => "connection closed or the answer was not HTTP",
        _ => "request failed",
    }
}

/// Parses a 200 body, keeping serde's category and position but never the body's text.
fn parse<T: for<'de> Deserialize<'de>>(step: Step, body: &[u8]) -> Result<T, Error> {
    use serde_json::error::Category;
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            Category::Syntax => "is not JSON",
            Category::Data => "lacks a field or has one of the wrong type",
            Category::Eof => "ends too early",
            Category::Io => "could not be read",
        };
        let (line, column) = (e.line(), e.column());
        Error::InvalidResponse {
            step,
            detail: format!("the 200 answer {what} (line {line}, column {column})"),
        }
    })
}

/// Parses a 200 token answer, and refuses a pair that could not be used: saved, an empty token
/// would leave a file that no later `bind()` can read, so the old file must stay instead.
fn parse_grant(step: Step, body: &[u8]) -> Result<Grant, Error> {
    let grant: Grant = parse(step, body)?;
    let malformed = |what: &str| Error::InvalidResponse {
        step,
        detail: format!("the 200 answer has {what}"),
    };
    if grant.access_token.secret().is_empty() {
        return Err(malformed("an empty access_token"));
    }
    if !fits_in_a_header(grant.access_token.secret()) {
        return Err(malformed(
            "an access_token that is not a token (too long, or not visible ASCII)",
        ));
    }
    // Left out, the caller keeps the refresh token it had; present, it must be one.
    if grant
        .refresh_token
        .as_ref()
        .is_some_and(|refresh| refresh.secret().is_empty())
    {
        return Err(malformed("an empty refresh_token"));
    }
    Ok(grant)
}

/// Parses a 200 app token answer, refusing a token that could not be sent in a header.
fn parse_app_grant(step: Step, body: &[u8]) -> Result<AppGrant, Error> {
    let grant: AppGrant = parse(step, body)?;
    if !fits_in_a_header(grant.access_token.secret()) {
        return Err(Error::InvalidResponse {
            step,
            detail: "the 200 answer has an access_token that is empty or not a token".to_owned(),
        });
    }
    Ok(grant)
}

/// Twitch's refusal of the app's credentials, which no retry can fix: 400 `invalid client`
/// (the client id; also a Public client's request for an app token) and 403 `invalid client
/// secret` (400 when a Public client sent one).
fn rejected_credentials(step: Step, app: &App, reply: &Reply) -> Option<Error> {
    let message = twitch_message(&reply.body).to_ascii_lowercase();
    let setting = match (reply.status, message.as_str()) {
        (400, "invalid client") => "client_id",
        // 403 for a Confidential client's wrong secret; 400 for a secret sent by a Public
        // client (which has none).
        (400 | 403, "invalid client secret") => "client_secret",
        _ => return None,
    };
    let from_env = match setting {
        "client_id" => app.id_from_env,
        _ => app.secret_from_env,
    };
    Some(Error::InvalidCredentials {
        step,
        setting,
        from_env,
    })
}

/// What an error message must not repeat: the secret values of a form, and the app's client
/// secret even where the form lacks it (the same server may have been sent it before).
fn secrets<'a>(app: &'a App, form: &[(&str, &'a str)]) -> Vec<&'a str> {
    form.iter()
        .filter(|(name, _)| {
            matches!(
                *name,
                "refresh_token" | "client_secret" | "code" | "device_code" | "token"
            )
        })
        .map(|(_, value)| *value)
        .chain(app.client_secret.as_ref().map(|secret| secret.secret()))
        .collect()
}

/// Whether a 401 is Twitch's (its JSON error body, `"status":401`): a 401 page of a proxy or a
/// captive portal says nothing about the token, and must not send anyone to log in again.
fn is_twitch_401(body: &[u8]) -> bool {
    serde_json::from_slice::<TwitchError>(body).is_ok_and(|e| e.status == Some(401))
}

fn twitch_message(body: &[u8]) -> String {
    serde_json::from_slice::<TwitchError>(body)
        .unwrap_or_default()
        .message
}

/// An answer this step cannot act on. Twitch's `message` is kept unless it is long or repeats
/// part of a secret (see [`echoes`]): a broken proxy or server echoing the request must not leak
/// it.
fn status_error(step: Step, reply: &Reply, sent: &[&str]) -> Error {
    let mut message = twitch_message(&reply.body);
    if message.len() > 200 || message.contains(char::is_control) || echoes(&message, sent) {
        message.clear();
    }
    Error::Status {
        step,
        status: reply.status,
        message,
        retry_after: reply.retry_after,
    }
}

fn scopes_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Scope>, D::Error> {
    Ok(Option::<Vec<Scope>>::deserialize(d)?.unwrap_or_default())
}

fn scope_list_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Scope>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Field {
        List(Vec<Scope>),
        Text(String),
    }
    Ok(match Option::<Field>::deserialize(d)? {
        Some(Field::List(scopes)) => scopes,
        Some(Field::Text(text)) => text.split_whitespace().map(Scope::from).collect(),
        None => Vec::new(),
    })
}

/// Runs every parser of Twitch's answers over `body`, as the fuzz targets do.
#[cfg(any(fuzzing, test))]
pub(crate) fn parse_any_answer(body: &[u8]) {
    let _ = parse::<TokenInfo>(Step::Validate, body);
    let _ = parse_grant(Step::Refresh, body);
    let _ = parse::<DeviceStart>(Step::StartDevice, body);
    let _ = parse_app_grant(Step::RequestAppToken, body);
    let reply = Reply {
        status: 400,
        body: body.to_vec(),
        retry_after: None,
    };
    let _ = status_error(Step::Refresh, &reply, &["secret"]);
    if let Ok(app) = App::new(Some("id"), None, "http://127.0.0.1:1/", |_| None) {
        let _ = rejected_credentials(Step::RequestAppToken, &app, &reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_parsers_take_any_bytes() {
        let bodies: [&[u8]; 6] = [
            b"",
            b"\xff",
            b"null",
            b"[[[[",
            b"{\"scopes\":7}",
            &[b'['; 10_000],
        ];
        for body in bodies {
            parse_any_answer(body);
        }
    }

    #[test]
    fn only_header_safe_tokens_are_sent() {
        let long = "t".repeat(5000);
        let cases = [
            ("abc123", true),
            ("", false),
            ("a b", false),
            ("a\r\nX: 1", false),
            ("tökén", false),
            (long.as_str(), false),
        ];
        for (token, fits) in cases {
            assert_eq!(fits_in_a_header(token), fits, "{token:?}");
        }
    }

    #[test]
    fn validate_bodies() {
        let info: TokenInfo = serde_json::from_str(
            r#"{"client_id":"c","login":"twitchdev","scopes":["chat:read"],"user_id":"1","expires_in":5520}"#,
        )
        .unwrap();
        assert_eq!(
            (info.login.as_deref(), info.scopes),
            (Some("twitchdev"), vec![Scope::ChatRead])
        );
        let app: TokenInfo =
            serde_json::from_str(r#"{"client_id":"c","scopes":null,"expires_in":0}"#).unwrap();
        assert_eq!((app.login, app.user_id, app.scopes.len()), (None, None, 0));
    }

    #[test]
    fn grant_scope_shapes() {
        let cases = [
            (
                r#"{"access_token":"a","refresh_token":"r","expires_in":1,"scope":["chat:read","chat:edit"]}"#,
                2,
            ),
            (
                r#"{"access_token":"a","refresh_token":"r","scope":"chat:read chat:edit"}"#,
                2,
            ),
            (
                r#"{"access_token":"a","refresh_token":"r","scope":null}"#,
                0,
            ),
            (r#"{"access_token":"a","refresh_token":"r"}"#, 0),
        ];
        for (body, count) in cases {
            let grant: Grant = serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(grant.scopes.len(), count, "{body}");
        }
    }

    #[test]
    fn unusable_pairs_are_malformed_answers() {
        let long = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(5000));
        let cases = [
            (r#"{"access_token":"a","refresh_token":"r"}"#, None),
            (r#"{"access_token":"a"}"#, None),
            (r#"{"access_token":"a","refresh_token":null}"#, None),
            (
                r#"{"access_token":"","refresh_token":"r"}"#,
                Some("an empty access_token"),
            ),
            (
                r#"{"access_token":"a","refresh_token":""}"#,
                Some("an empty refresh_token"),
            ),
            (
                r#"{"access_token":"a b","refresh_token":"r"}"#,
                Some("not a token"),
            ),
            (long.as_str(), Some("not a token")),
            (r#"{"refresh_token":"r"}"#, Some("lacks a field")),
            (r#"{"access_token":null}"#, Some("lacks a field")),
        ];
        for (body, want) in cases {
            match (parse_grant(Step::Refresh, body.as_bytes()), want) {
                (Ok(_), None) => {}
                (Err(err @ Error::InvalidResponse { .. }), Some(want)) => {
                    assert!(err.to_string().contains(want), "{body}: {err}");
                    assert!(err.is_transient(), "{body}: {err:?}");
                }
                (got, _) => panic!("{body}: expected {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn parse_errors_do_not_quote_the_body() {
        let body = br#"{"access_token": 12, "secret-ish": "abcdef"}"#;
        let err = parse::<Grant>(Step::Refresh, body).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("abcdef"), "{text}");
    }

    fn reply(status: u16, body: &[u8]) -> Reply {
        Reply {
            status,
            body: body.to_vec(),
            retry_after: None,
        }
    }

    #[test]
    fn error_messages_are_kept_only_when_short() {
        let invalid = reply(403, br#"{"status":403,"message":"invalid client secret"}"#);
        let err = status_error(Step::Refresh, &invalid, &["s3cr3t"]);
        assert!(
            err.to_string().contains("\"invalid client secret\""),
            "{err}"
        );
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(500));
        let Error::Status { message, .. } =
            status_error(Step::Refresh, &reply(500, long.as_bytes()), &[])
        else {
            unreachable!()
        };
        assert!(message.is_empty());
        let echo = status_error(
            Step::Refresh,
            &reply(400, br#"{"message":"bad s3cr3t"}"#),
            &["s3cr3t"],
        );
        assert!(!format!("{echo} {echo:?}").contains("s3cr3t"), "{echo:?}");
        let body = br#"{"message":"refresh_token=r%2B%2F%3D%25x+y is bad"}"#;
        let Error::Status { message, .. } =
            status_error(Step::Refresh, &reply(400, body), &["r+/=%x y"])
        else {
            unreachable!()
        };
        assert!(
            message.is_empty(),
            "a form-encoded echo is dropped: {message}"
        );
    }

    #[test]
    fn echoes_of_any_run_of_a_secret_are_caught() {
        let secret = "fake-client-secret";
        // Form-encoded: r%2B%2F%3D%25x+y0123, or with %20 for the space.
        let refresh = "r+/=%x y0123";
        let cases: [(&str, &[&str], bool); 18] = [
            ("bad fake-client-secret", &[secret], true),
            ("bad FAKE-CLIENT-SECRET", &[secret], true),
            ("bad Fake-Client-Secret!", &[secret], true),
            ("bad fake-cli", &[secret], true),
            ("bad ENT-SECR", &[secret], true),
            ("bad fake-cl", &[secret], false),
            ("invalid client secret", &[secret], false),
            ("bad s3cr3t", &["s3cr3t"], true),
            ("bad S3CR3T", &["s3cr3t"], true),
            ("bad s3cr", &["s3cr3t"], false),
            ("refresh_token=R%2B%2F%3D%25X+Y0123", &[refresh], true),
            ("token %2b%2f%3d%25x", &[refresh], true),
            ("token X%20Y0123", &[refresh], true),
            ("token x y0123", &[refresh], false),
            ("bad GEHEIMNIS-ÄÖÜ", &["geheimnis-äöü"], true),
            ("missing client secret", &["", secret], false),
            ("nothing to see", &[], false),
            ("bad x", &["", "x"], true),
        ];
        for (message, sent, caught) in cases {
            assert_eq!(echoes(message, sent), caught, "{message:?} {sent:?}");
            let body = serde_json::json!({ "message": message }).to_string();
            let err = status_error(Step::Refresh, &reply(400, body.as_bytes()), sent);
            let shown = format!("{err} {err:?}");
            assert_eq!(!shown.contains(message), caught, "{shown}");
        }
    }

    #[cfg(feature = "mock")]
    #[test]
    fn a_timeout_too_long_for_the_clock_is_cut() {
        let fake = crate::mock::FakeTwitch::start().unwrap();
        let app = App::new(Some(fake.client_id()), None, &fake.url(), |_| None).unwrap();
        let token = AccessToken::new(fake.grant(&["chat:read"]).access_token);

        let answer = Client::new(&app, Duration::MAX).validate(&app, &token);

        assert!(matches!(answer, Ok(Validation::Valid(_))), "{answer:?}");
    }

    #[test]
    fn app_token_answers() {
        let cases: [(&[u8], Option<u64>, Option<&str>); 6] = [
            (
                br#"{"access_token":"jostpf5q0uzmxmkba9iyug38kjtgh","expires_in":5011271,"token_type":"bearer"}"#,
                Some(5011271),
                None,
            ),
            (br#"{"access_token":"a"}"#, None, None),
            (br#"{"access_token":"a","refresh_token":"r"}"#, None, None),
            (br#"{"access_token":""}"#, None, Some("not a token")),
            (br#"{"access_token":"a b"}"#, None, Some("not a token")),
            (br#"{"expires_in":1}"#, None, Some("lacks a field")),
        ];
        for (body, expires_in, error) in cases {
            let shown = String::from_utf8_lossy(body);
            match (parse_app_grant(Step::RequestAppToken, body), error) {
                (Ok(grant), None) => assert_eq!(grant.expires_in, expires_in, "{shown}"),
                (Err(err @ Error::InvalidResponse { .. }), Some(want)) => {
                    assert!(err.to_string().contains(want), "{shown}: {err}");
                    assert!(err.is_transient(), "{shown}: {err:?}");
                }
                (got, _) => panic!("{shown}: expected {error:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn refused_credentials_name_the_setting_to_fix() {
        let cases: [(u16, &[u8], Option<&str>); 7] = [
            (
                403,
                br#"{"status":403,"message":"invalid client secret"}"#,
                Some("client_secret"),
            ),
            (
                400,
                br#"{"status":400,"message":"invalid client"}"#,
                Some("client_id"),
            ),
            (
                400,
                br#"{"status":400,"message":"Invalid Client"}"#,
                Some("client_id"),
            ),
            (
                400,
                br#"{"status":400,"message":"missing client secret"}"#,
                None,
            ),
            (403, br#"{"status":403,"message":"invalid client"}"#, None),
            (
                400,
                br#"{"status":400,"message":"invalid client secret"}"#,
                Some("client_secret"),
            ),
            (
                500,
                br#"{"status":500,"message":"invalid client secret"}"#,
                None,
            ),
        ];
        let app = App::new(Some("id"), None, "http://127.0.0.1:1/", |name| {
            (name == "TWITCH_CLIENT_SECRET").then(|| "from-env".to_owned())
        })
        .unwrap();
        for (status, body, want) in cases {
            let got = rejected_credentials(Step::RequestAppToken, &app, &reply(status, body));
            match (got, want) {
                (None, None) => {}
                (
                    Some(Error::InvalidCredentials {
                        setting,
                        step,
                        from_env,
                    }),
                    Some(want),
                ) => {
                    assert_eq!((setting, step), (want, Step::RequestAppToken));
                    assert_eq!(from_env, setting == "client_secret", "{setting}");
                }
                (got, _) => panic!("{status} {body:?}: expected {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn retry_after_is_kept_and_shown() {
        let limited = Reply {
            retry_after: Some(Duration::from_secs(7)),
            ..reply(429, b"{}")
        };
        let err = status_error(Step::Validate, &limited, &[]);
        assert!(
            matches!(err, Error::Status { retry_after: Some(d), .. } if d.as_secs() == 7),
            "{err:?}"
        );
        assert!(err.to_string().contains("in 7 s"), "{err}");
    }
}
