//! One app configuration for both kinds of token: the client id, secret, auth server and HTTP
//! timeout written once, and a [`Helper`] (user tokens) or an [`AppTokenBuilder`] (app tokens)
//! made from it. And [`HelixAuth`], what a Helix call needs of either token.

use std::fmt;
use std::time::Duration;

use crate::{AppToken, AppTokenBuilder, ClientSecret, Error, Helper, Scope, UserToken};

/// The app's settings, once, for both kinds of token: a service with a user token for chat and
/// an app token for its server-side Helix calls.
///
/// ```no_run
/// use twitch_auth::{AppConfig, Scope};
///
/// let app = AppConfig::new().client_id("my_app_id").client_secret("my_app_secret");
/// let user = app.helper([Scope::ChatRead]).path("bot_token.json").bind()?;
/// let server = app.app_token().build()?;
/// # let _ = (user, server);
/// # Ok::<(), twitch_auth::Error>(())
/// ```
///
/// A setting left out falls back as the builders' own do (`TWITCH_CLIENT_ID`,
/// `TWITCH_CLIENT_SECRET`, `https://id.twitch.tv/oauth2/`, 30 s). `Debug` redacts the secret.
#[derive(Clone, Default)]
pub struct AppConfig {
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    auth_base_url: Option<String>,
    http_timeout: Option<Duration>,
}

impl AppConfig {
    /// Nothing set: every setting falls back.
    pub fn new() -> Self {
        Self::default()
    }

    /// The app's client id ([`Helper::client_id`], [`AppTokenBuilder::client_id`]).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The app's client secret ([`Helper::client_secret`], [`AppTokenBuilder::client_secret`]).
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = Some(ClientSecret::new(client_secret));
        self
    }

    /// The auth server ([`Helper::auth_base_url`], [`AppTokenBuilder::auth_base_url`]).
    pub fn auth_base_url(mut self, url: impl Into<String>) -> Self {
        self.auth_base_url = Some(url.into());
        self
    }

    /// The bound on each request ([`Helper::http_timeout`], [`AppTokenBuilder::http_timeout`]).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = Some(timeout);
        self
    }

    /// A [`Helper`] for user tokens with `scopes`, with these settings.
    pub fn helper<S: Into<Scope>>(&self, scopes: impl IntoIterator<Item = S>) -> Helper {
        let mut helper = Helper::new(scopes);
        if let Some(id) = &self.client_id {
            helper = helper.client_id(id.clone());
        }
        if let Some(secret) = &self.client_secret {
            helper = helper.client_secret(secret.secret());
        }
        if let Some(url) = &self.auth_base_url {
            helper = helper.auth_base_url(url.clone());
        }
        if let Some(timeout) = self.http_timeout {
            helper = helper.http_timeout(timeout);
        }
        helper
    }

    /// An [`AppTokenBuilder`] for app access tokens, with these settings.
    pub fn app_token(&self) -> AppTokenBuilder {
        let mut builder = AppToken::builder();
        if let Some(id) = &self.client_id {
            builder = builder.client_id(id.clone());
        }
        if let Some(secret) = &self.client_secret {
            builder = builder.client_secret(secret.secret());
        }
        if let Some(url) = &self.auth_base_url {
            builder = builder.auth_base_url(url.clone());
        }
        if let Some(timeout) = self.http_timeout {
            builder = builder.http_timeout(timeout);
        }
        builder
    }
}

impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth_base_url", &self.auth_base_url)
            .field("http_timeout", &self.http_timeout)
            .finish()
    }
}

/// What a Helix call needs of a token, user or app: the `Authorization` value, the app's
/// `Client-Id`, and where to report a 401. A Helix helper takes `&dyn HelixAuth` and does not
/// branch on the kind.
///
/// ```no_run
/// use twitch_auth::HelixAuth;
///
/// /// `GET helix/users?login=…` with any token; one retry after a 401.
/// fn user_json(token: &dyn HelixAuth, login: &str) -> Result<String, Box<dyn std::error::Error>> {
///     for _ in 0..2 {
///         let authorization = token.authorization()?;
///         let mut answer = ureq::get("https://api.twitch.tv/helix/users")
///             .query("login", login)
///             .header("Authorization", &authorization)
///             .header("Client-Id", token.client_id())
///             .config()
///             .http_status_as_error(false)
///             .build()
///             .call()?;
///         if answer.status() == 401 {
///             token.report_unauthorized_header(&authorization);
///             continue;
///         }
///         return Ok(answer.body_mut().read_to_string()?);
///     }
///     Err("Helix refused the token twice".into())
/// }
/// ```
pub trait HelixAuth {
    /// `Bearer <access token>`, refreshed or renewed first when due.
    ///
    /// # Errors
    ///
    /// When no usable token could be had.
    fn authorization(&self) -> Result<String, Error>;

    /// Helix answered 401 for a request sent with `authorization`: the next
    /// [`authorization`](Self::authorization) gets a new token.
    fn report_unauthorized_header(&self, authorization: &str);

    /// The app's client id, for `Client-Id`.
    fn client_id(&self) -> &str;
}

impl HelixAuth for UserToken {
    fn authorization(&self) -> Result<String, Error> {
        UserToken::authorization(self)
    }
    fn report_unauthorized_header(&self, authorization: &str) {
        UserToken::report_unauthorized_header(self, authorization);
    }
    fn client_id(&self) -> &str {
        UserToken::client_id(self)
    }
}

impl HelixAuth for AppToken {
    fn authorization(&self) -> Result<String, Error> {
        AppToken::authorization(self)
    }
    fn report_unauthorized_header(&self, authorization: &str) {
        AppToken::report_unauthorized_header(self, authorization);
    }
    fn client_id(&self) -> &str {
        AppToken::client_id(self)
    }
}
