//! Step 5 of `bind()`: getting a new token, by the browser login, the device login or the app's
//! own generator. The caller saves the pair, then validates it (see `Helper::bind`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::App;
use crate::cancel::Watch;
use crate::code_flow;
use crate::device_flow;
use crate::error::BoxError;
use crate::login_settings::LoginSettings;
use crate::oauth::Client;
use crate::secret::is_token_shaped;
use crate::{ClientSecret, Error, Scope, Step, StoreLock, StoredToken, TokenStore};

pub(crate) type GeneratorFn =
    dyn Fn(&LoginContext<'_>, &[Scope]) -> Result<TokenPair, BoxError> + Send + Sync;

/// A new token pair, as a custom [generator](crate::Helper::generator) returns it. The fields
/// are named, so the two tokens cannot be swapped by accident; `Debug` redacts both.
///
/// ```
/// use twitch_auth::TokenPair;
///
/// let pair = TokenPair {
///     access_token: "access-token".to_owned(),
///     refresh_token: "refresh-token".to_owned(),
/// };
/// assert_eq!(format!("{pair:?}"), "TokenPair { access_token: [redacted], refresh_token: [redacted] }");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// Its refresh token.
    pub refresh_token: String,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &format_args!("[redacted]"))
            .field("refresh_token", &format_args!("[redacted]"))
            .finish()
    }
}

/// How a new token is obtained. `Clone`, since `Helper` is.
#[derive(Clone)]
pub(crate) enum Login {
    /// The authorization-code flow through the browser and the redirect listener.
    Browser,
    /// The device-code flow.
    Device,
    /// The app's own generator.
    Custom(Arc<GeneratorFn>),
    /// None at all ([`Helper::no_login`](crate::Helper::no_login)): a daemon that must never
    /// ask a person.
    Never,
}

/// What a custom [generator](crate::Helper::generator) may need to know about the app.
#[derive(Debug)]
pub struct LoginContext<'a> {
    app: &'a App,
    redirect_url: &'a str,
    cancel: &'a Watch,
}

impl LoginContext<'_> {
    /// The app's client id.
    pub fn client_id(&self) -> &str {
        &self.app.client_id
    }

    /// The app's client secret, if one was configured.
    pub fn client_secret(&self) -> Option<&ClientSecret> {
        self.app.client_secret.as_ref()
    }

    /// The redirect URL configured on the helper.
    pub fn redirect_url(&self) -> &str {
        self.redirect_url
    }

    /// Whether the login was cancelled ([`CancelLogin::cancel`](crate::CancelLogin::cancel))
    /// since `bind()` started: a generator that waits for a person should then return
    /// `Err(Error::LoginCancelled.into())`.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The auth server's base URL, ending with `/` (`https://id.twitch.tv/oauth2/` by default).
    pub fn auth_base_url(&self) -> &str {
        &self.app.base_url
    }
}

impl Login {
    /// Logs in and returns the new pair with what the login said about it (scopes, expiry),
    /// not yet validated: the caller saves it before any further request.
    pub(crate) fn run(
        &self,
        app: &App,
        client: &Client,
        settings: &LoginSettings<'_>,
    ) -> Result<StoredToken, Error> {
        settings.cancel.check()?; // cancelled before the login began
        let (grant, step) = match self {
            Login::Custom(generator) => {
                let context = LoginContext {
                    app,
                    redirect_url: settings.redirect_url,
                    cancel: settings.cancel,
                };
                let pair = generator(&context, settings.scopes).map_err(generator_error)?;
                let (access, refresh) = checked(pair)?;
                // Nothing else is known until Twitch is asked whose token it is.
                return Ok(StoredToken::new(access, refresh));
            }
            Login::Browser => (code_flow::run(app, client, settings)?, Step::ExchangeCode),
            Login::Device => (device_flow::run(app, client, settings)?, Step::PollDevice),
            Login::Never => return Err(Error::LoginDisabled),
        };
        // A login always gives a refresh token; a pair without one would be stored unusable.
        let refresh_token = grant
            .refresh_token
            .clone()
            .ok_or_else(|| Error::InvalidResponse {
                step,
                detail: "no refresh_token in the token answer".to_owned(),
            })?;
        Ok(StoredToken::granted(grant, refresh_token, &app.client_id))
    }
}

/// How often a login waiting for another program's login looks again.
const LOGIN_LOCK_POLL: Duration = Duration::from_millis(100);

/// One login at a time per store: takes the store's login lock, waiting while another program
/// (or thread) holds it, for up to `timeout` and until a cancel. Whether it waited: that login
/// may have stored what this bind needs. Said on stderr once, since the person may be looking
/// at the other program's login page.
pub(crate) fn one_at_a_time<'s>(
    store: &'s dyn TokenStore,
    timeout: Duration,
    cancel: &Watch,
) -> Result<(StoreLock<'s>, bool), Error> {
    let started = Instant::now();
    let mut waited = false;
    loop {
        if let Some(lock) = store.try_lock_login()? {
            return Ok((lock, waited));
        }
        if !waited {
            log::debug!("twitch-auth: another login is in progress for {store:?}; waiting");
            eprintln!(
                "twitch-auth: another program is logging in to this token store; waiting for it \
                 to finish (up to {} s)",
                timeout.as_secs()
            );
            waited = true;
        }
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(Error::LoginElsewhere { after: timeout });
        }
        cancel.sleep(left.min(LOGIN_LOCK_POLL))?;
    }
}

/// Refuses, before any request, a pair that cannot be a token: Twitch's tokens are non-empty
/// and printable, and an empty refresh token would be stored unusable.
fn checked(pair: TokenPair) -> Result<(String, String), Error> {
    let shaped = (
        is_token_shaped(&pair.access_token),
        is_token_shaped(&pair.refresh_token),
    );
    let problem = match shaped {
        (true, true) => return Ok((pair.access_token, pair.refresh_token)),
        (false, _) if pair.access_token.is_empty() => "it returned an empty access token",
        (false, _) => "it returned an access token with spaces or control characters",
        (true, false) if pair.refresh_token.is_empty() => "it returned an empty refresh token",
        (true, false) => "it returned a refresh token with spaces or control characters",
    };
    Err(Error::Generator {
        source: problem.into(),
    })
}

/// A generator that failed with this crate's own error keeps it, so `is_transient` still works.
fn generator_error(source: BoxError) -> Error {
    match source.downcast::<Error>() {
        Ok(error) => *error,
        Err(source) => Error::Generator { source },
    }
}
