//! `AppTokenBuilder`: the app's credentials and settings, checked before the first app token is
//! requested.

use std::fmt;
use std::time::Duration;

use crate::app::{App, MAX_HTTP_TIMEOUT, MAX_WAIT, TWITCH_AUTH_BASE_URL};
use crate::oauth::Client;
use crate::{AppToken, ClientSecret, Error};

/// Settings for an [`AppToken`]: the app's client id and secret, and how requests are made.
/// Made by [`AppToken::builder`]; [`build`](Self::build) checks the settings, then requests the
/// first token.
///
/// ```no_run
/// use twitch_auth::AppToken;
///
/// let token = AppToken::builder()
///     .client_id("my_app_id")
///     .client_secret("my_app_secret")
///     .build()?;
/// let authorization = token.authorization()?; // "Bearer …", for Helix
/// # let _ = authorization;
/// # Ok::<(), twitch_auth::Error>(())
/// ```
///
/// Cheap to clone. `Debug` shows the secret as `ClientSecret([redacted])`.
#[derive(Clone)]
#[must_use = "an AppTokenBuilder does nothing until build() is called"]
pub struct AppTokenBuilder {
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    auth_base_url: String,
    http_timeout: Duration,
    refresh_margin: Duration,
}

impl Default for AppTokenBuilder {
    /// Every setting at its default: credentials from the environment, Twitch's auth server.
    fn default() -> Self {
        AppTokenBuilder {
            client_id: None,
            client_secret: None,
            auth_base_url: TWITCH_AUTH_BASE_URL.to_owned(),
            http_timeout: Duration::from_secs(30),
            refresh_margin: Duration::from_secs(60),
        }
    }
}

impl AppTokenBuilder {
    /// The app's client id, from the Twitch developer console.
    ///
    /// Defaults to the `TWITCH_CLIENT_ID` environment variable.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The app's client secret. App tokens need one, so only Confidential apps can get them: a
    /// Public app has no secret.
    ///
    /// Defaults to the `TWITCH_CLIENT_SECRET` environment variable.
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = Some(ClientSecret::new(client_secret));
        self
    }

    /// The base URL of the auth server: change it only to test against a fake such as
    /// `twitch_auth::mock::FakeTwitch`. It is never read from the environment.
    ///
    /// Defaults to `https://id.twitch.tv/oauth2/`.
    pub fn auth_base_url(mut self, url: impl Into<String>) -> Self {
        self.auth_base_url = url.into();
        self
    }

    /// The longest one request to the auth server may take, connecting included. Values are
    /// taken as at least 1 millisecond and at most an hour.
    ///
    /// Defaults to 30 seconds.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout.clamp(Duration::from_millis(1), MAX_HTTP_TIMEOUT);
        self
    }

    /// How long before its expiry [`AppToken::access_token`] requests a new token, so it never
    /// hands out one about to expire. Values above a day are taken as a day.
    ///
    /// Defaults to 60 seconds.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin.min(MAX_WAIT);
        self
    }

    /// Checks the settings, then requests an app access token (`POST token` with
    /// `grant_type=client_credentials`, the secret in the form body): one request. Each call
    /// requests a new token; keep the [`AppToken`] it returns for the life of the program.
    ///
    /// ```
    /// # #[cfg(feature = "mock")] {
    /// use twitch_auth::AppToken;
    /// use twitch_auth::mock::FakeTwitch;
    ///
    /// let fake = FakeTwitch::start()?;
    /// let token = AppToken::builder()
    ///     .client_id(fake.client_id())
    ///     .client_secret(fake.client_secret())
    ///     .auth_base_url(fake.url())
    ///     .build()?;
    /// assert!(token.authorization()?.starts_with("Bearer "));
    /// assert_eq!(fake.requests().len(), 1);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAppSetting`] before any request when there is no client id or no client
    /// secret, or the `auth_base_url` is not an http(s) URL; [`Error::InvalidCredentials`]
    /// when Twitch refuses the id or the secret (the message names the setting and the
    /// environment variable); a transient error ([`Error::is_transient`]) when the auth server
    /// could not be reached, timed out, answered 5xx or 429, or answered nonsense.
    pub fn build(&self) -> Result<AppToken, Error> {
        self.build_with_env(|name| std::env::var(name).ok())
    }

    /// [`build`](Self::build), with the environment as `env` reports it (tests give their own).
    pub(crate) fn build_with_env(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AppToken, Error> {
        let app = App::new(
            self.client_id.as_deref(),
            self.client_secret.as_ref(),
            &self.auth_base_url,
            env,
        )
        .map_err(for_app_tokens)?;
        let Some(secret) = app.client_secret.clone() else {
            return Err(Error::InvalidAppSetting {
                setting: "client_secret",
                reason: "no client secret; pass the app's secret to \
                         AppTokenBuilder::client_secret or set TWITCH_CLIENT_SECRET (a Public \
                         client has none, and cannot get app access tokens)"
                    .to_owned(),
            });
        };
        let client = Client::new(&app, self.http_timeout);
        log::debug!("twitch-auth: requesting an app access token");
        let grant = client.app_token(&app, &secret)?;
        Ok(AppToken::new(
            app,
            secret,
            client,
            self.refresh_margin,
            grant,
        ))
    }
}

/// The checks of [`App::new`], said in terms of this builder rather than `Helper`'s.
fn for_app_tokens(error: Error) -> Error {
    match error {
        Error::NoClientId => Error::InvalidAppSetting {
            setting: "client_id",
            reason: "no client id; pass one to AppTokenBuilder::client_id or set \
                     TWITCH_CLIENT_ID"
                .to_owned(),
        },
        Error::InvalidSetting { setting, reason } => Error::InvalidAppSetting {
            setting,
            reason: format!("invalid AppTokenBuilder::{setting}: {reason}"),
        },
        other => other,
    }
}

impl fmt::Debug for AppTokenBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Listed by hand, so a new field is never printed by accident.
        f.debug_struct("AppTokenBuilder")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth_base_url", &self.auth_base_url)
            .field("http_timeout", &self.http_timeout)
            .field("refresh_margin", &self.refresh_margin)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn settings_that_cannot_work_are_refused_before_any_request() {
        // Nothing listens on port 9 of this machine; an attempt would be an Unreachable error.
        let base = AppToken::builder().auth_base_url("http://127.0.0.1:9/oauth2/");
        let cases = [
            (
                base.clone().client_secret("s"),
                "client_id",
                "TWITCH_CLIENT_ID",
            ),
            (base.clone().client_id(" "), "client_id", "TWITCH_CLIENT_ID"),
            (
                base.clone().client_id("id"),
                "client_secret",
                "TWITCH_CLIENT_SECRET",
            ),
            (
                base.clone().client_id("id").client_secret(""),
                "client_secret",
                "Public client",
            ),
            (
                base.client_id("id")
                    .client_secret("s")
                    .auth_base_url("id.twitch.tv"),
                "auth_base_url",
                "AppTokenBuilder::auth_base_url",
            ),
        ];
        for (builder, want, said) in cases {
            match builder.build_with_env(no_env) {
                Err(err @ Error::InvalidAppSetting { setting, .. }) => {
                    assert_eq!(setting, want, "{err}");
                    assert!(err.to_string().contains(said), "{err}");
                    assert!(!err.to_string().contains("Helper"), "{err}");
                    assert!(!err.is_transient(), "{err:?}");
                }
                other => panic!("{builder:?}: expected InvalidAppSetting, got {other:?}"),
            }
        }
    }

    #[test]
    fn setters_clamp_and_debug_redacts() {
        let builder = AppToken::builder()
            .client_secret("s3cr3t-value")
            .http_timeout(Duration::ZERO)
            .refresh_margin(Duration::MAX);
        assert_eq!(builder.http_timeout, Duration::from_millis(1));
        assert_eq!(builder.refresh_margin, MAX_WAIT);
        let builder = builder.http_timeout(Duration::MAX);
        assert_eq!(builder.http_timeout, MAX_HTTP_TIMEOUT);
        let shown = format!("{builder:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("ClientSecret([redacted])"), "{shown}");
    }

    #[cfg(feature = "mock")]
    #[test]
    fn credentials_come_from_settings_then_the_environment() {
        let fake = crate::mock::FakeTwitch::start().unwrap();
        let env = |name: &str| match name {
            "TWITCH_CLIENT_ID" => Some("fake-client-id".to_owned()),
            "TWITCH_CLIENT_SECRET" => Some("fake-client-secret".to_owned()),
            _ => None,
        };
        let builder = AppToken::builder().auth_base_url(fake.url());

        let token = builder.build_with_env(env).unwrap();
        assert_eq!(token.client_id(), fake.client_id());

        // Settings win over the environment: a wrong secret given here is the one sent.
        let err = builder
            .clone()
            .client_secret("set-but-wrong")
            .build_with_env(env)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidCredentials {
                    setting: "client_secret",
                    ..
                }
            ),
            "{err:?}"
        );
        let sent: Vec<_> = fake
            .requests()
            .iter()
            .map(|r| r.form("client_secret").map(str::to_owned))
            .collect();
        assert_eq!(
            sent,
            [
                Some("fake-client-secret".to_owned()),
                Some("set-but-wrong".to_owned())
            ]
        );

        // An id from the environment without a secret: refused before any request.
        let id_only = |name: &str| (name == "TWITCH_CLIENT_ID").then(|| "fake-client-id".into());
        fake.clear_requests();
        let err = builder.build_with_env(id_only).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidAppSetting {
                    setting: "client_secret",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(fake.requests().is_empty());
    }
}
