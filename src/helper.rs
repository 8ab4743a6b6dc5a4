//! `Helper`: the builder, and `bind()`, which reuses, refreshes or generates the token.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::app::{App, DEFAULT_REDIRECT_URL, Redirect, TWITCH_AUTH_BASE_URL};
use crate::code_flow::{CodeFlow, UrlCallback};
use crate::error::BoxError;
use crate::oauth::{Client, Grant, Refresh, TokenInfo, Validation};
use crate::storage::{self, Record, Stored};
use crate::token::{expiry_after, unix_seconds};
use crate::{AccessToken, ClientSecret, Error, Outcome, RefreshToken, Scope, UserToken};

type GeneratorFn =
    dyn Fn(&LoginContext<'_>, &[Scope]) -> Result<(String, String), BoxError> + Send + Sync;

/// Gets a Twitch user token with the given scopes: reused, refreshed or newly generated.
///
/// ```no_run
/// use twitch_auth::{Helper, Scope};
///
/// let token = Helper::new([Scope::ChatRead, Scope::ChatEdit])
///     .client_id("my_app_id")
///     .client_secret("my_app_secret")
///     .path("user_token.json")
///     .bind()?;
/// println!("logged in as {} ({})", token.login(), token.outcome());
/// # Ok::<(), twitch_auth::Error>(())
/// ```
#[must_use = "a Helper does nothing until bind() is called"]
pub struct Helper {
    scopes: Vec<Scope>,
    path: PathBuf,
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    auth_base_url: String,
    redirect_url: String,
    listen_addr: Option<SocketAddr>,
    open_browser: bool,
    on_url: Option<Arc<UrlCallback>>,
    force_verify: bool,
    login_timeout: Duration,
    http_timeout: Duration,
    generator: Option<Arc<GeneratorFn>>,
    /// One HTTP agent per helper, made at the first `bind()` (its pool is reused after that).
    client: OnceLock<Client>,
}

/// What a custom [generator](Helper::generator) may need to know about the app.
#[derive(Debug)]
pub struct LoginContext<'a> {
    app: &'a App,
    redirect_url: &'a str,
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

    /// The auth server's base URL, ending with `/` (`https://id.twitch.tv/oauth2/` by default).
    pub fn auth_base_url(&self) -> &str {
        &self.app.base_url
    }
}

impl Helper {
    /// A helper for `scopes`, with every other setting at its default.
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Self {
        let scopes: BTreeSet<Scope> = scopes.into_iter().collect();
        Helper {
            scopes: scopes.into_iter().collect(),
            path: PathBuf::from("user_token.json"),
            client_id: None,
            client_secret: None,
            auth_base_url: TWITCH_AUTH_BASE_URL.to_owned(),
            redirect_url: DEFAULT_REDIRECT_URL.to_owned(),
            listen_addr: None,
            open_browser: true,
            on_url: None,
            force_verify: true,
            login_timeout: Duration::from_secs(5 * 60),
            http_timeout: Duration::from_secs(30),
            generator: None,
            client: OnceLock::new(),
        }
    }

    /// Where the token is stored.
    ///
    /// Defaults to `user_token.json` in the current directory, the file pyTwitchAPI uses.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// The app's client id, from the Twitch developer console.
    ///
    /// Defaults to the `TWITCH_CLIENT_ID` environment variable.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The app's client secret. Needed by the browser login and by Confidential apps' refreshes;
    /// Public apps have none.
    ///
    /// Defaults to the `TWITCH_CLIENT_SECRET` environment variable, if set.
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

    /// The redirect URL of the browser login, exactly as registered for the app in the Twitch
    /// developer console. It must be `http://localhost:PORT[/path]`: the helper listens there.
    ///
    /// Defaults to `http://localhost:17563`, pyTwitchAPI's.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = url.into();
        self
    }

    /// The address the redirect listener binds.
    ///
    /// Defaults to `127.0.0.1` on the redirect URL's port: loopback only.
    pub fn listen_addr(mut self, addr: SocketAddr) -> Self {
        self.listen_addr = Some(addr);
        self
    }

    /// Whether the browser login opens the login page in the user's browser. When it does not,
    /// or cannot, the URL goes to [`on_url`](Self::on_url), or to stderr.
    ///
    /// Defaults to `true` (with the default feature `browser`).
    pub fn open_browser(mut self, yes: bool) -> Self {
        self.open_browser = yes;
        self
    }

    /// Shows the login URL in your own UI when no browser was opened, instead of printing it to
    /// stderr. The callback runs on a helper thread while the login is waited for, so it must
    /// return promptly.
    ///
    /// Defaults to none: the URL is printed to stderr.
    pub fn on_url(mut self, on_url: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_url = Some(Arc::new(on_url));
        self
    }

    /// Whether Twitch shows the consent page even to a user who already authorized the app, so
    /// they can pick another account.
    ///
    /// Defaults to `true`, as pyTwitchAPI's helper.
    pub fn force_verify(mut self, yes: bool) -> Self {
        self.force_verify = yes;
        self
    }

    /// How long the browser login is waited for before `bind()` gives up with
    /// [`Error::LoginTimedOut`].
    ///
    /// Defaults to 5 minutes.
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout;
        self
    }

    /// The longest one request to the auth server may take, connecting included.
    ///
    /// Defaults to 30 seconds.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Gets new tokens your own way (a UI of your own, a headless setup) instead of the browser
    /// login. The closure returns an access token and its refresh token; `bind()` validates the
    /// access token, checks its scopes and stores the pair.
    ///
    /// ```no_run
    /// use twitch_auth::{Helper, Scope};
    ///
    /// let token = Helper::new([Scope::ChatRead])
    ///     .generator(|ctx, scopes| {
    ///         eprintln!("log in to app {} with scopes {scopes:?}", ctx.client_id());
    ///         Ok(("access-token".to_owned(), "refresh-token".to_owned()))
    ///     })
    ///     .bind()?;
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    ///
    /// Defaults to the browser login (authorization-code flow).
    pub fn generator<F>(mut self, generator: F) -> Self
    where
        F: Fn(&LoginContext<'_>, &[Scope]) -> Result<(String, String), BoxError>
            + Send
            + Sync
            + 'static,
    {
        self.generator = Some(Arc::new(generator));
        self
    }

    /// Returns a usable user token: the stored one if it is valid and has the scopes, else a
    /// refreshed one, else a new one from the login; a new pair is saved before it is returned.
    ///
    /// 1. Read the token file. Missing or unusable: go to 5 (the file is left alone until a new
    ///    token is in hand).
    /// 2. If the file says the token has expired, go to 4; otherwise validate it.
    /// 3. Valid, for this app, for a user, with every requested scope: [`Outcome::Reused`].
    ///    Valid but lacking scopes or for another app: go to 5. Invalid: go to 4.
    /// 4. Refresh, save the new pair, and if it has the scopes: [`Outcome::Refreshed`].
    ///    Refresh token rejected: go to 5.
    /// 5. Log in (or run the generator), validate the new token, save: [`Outcome::Generated`].
    ///
    /// # Errors
    ///
    /// Settings that cannot work, before any request; a request that failed (unreachable, timed
    /// out, 5xx, 429), which never starts a login nor touches the file
    /// ([`Error::is_transient`]); a login that failed or was declined; a file that could not be
    /// written. See [`Error`].
    pub fn bind(&self) -> Result<UserToken, Error> {
        let app = self.app()?;
        if self.generator.is_none() {
            Redirect::parse(&self.redirect_url)?; // before a request, not after a failed refresh
        }
        let client = self
            .client
            .get_or_init(|| Client::new(&app, self.http_timeout));
        storage::check_path(&self.path).map_err(|source| self.save_error(source))?;
        if let Some(stored) = storage::load(&self.path) {
            if let Some(token) = self.reuse_or_refresh(&app, client, stored)? {
                return Ok(token);
            }
        }
        let (access, refresh) = self.generate(&app, client)?;
        let token = self.adopt(&app, client, access, refresh)?;
        self.save(&token)?;
        Ok(token)
    }

    /// Steps 2 to 4: `None` when only a new login helps.
    fn reuse_or_refresh(
        &self,
        app: &App,
        client: &Client,
        stored: Stored,
    ) -> Result<Option<UserToken>, Error> {
        if !stored.known_expired(unix_seconds(SystemTime::now())) {
            match client.validate(app, &stored.access)? {
                Validation::Valid(info) if self.fit(app, &info).is_ok() => {
                    let Stored {
                        access, refresh, ..
                    } = stored;
                    return Ok(Some(token_from(access, refresh, info, Outcome::Reused)));
                }
                // A refresh cannot add scopes nor move the token to another app.
                Validation::Valid(_) => return Ok(None),
                Validation::Rejected => {}
            }
        }
        match client.refresh(app, &stored.refresh)? {
            Refresh::Granted(grant) => self.keep_refreshed(app, client, stored, grant),
            Refresh::Rejected => Ok(None),
        }
    }

    /// Saves a refreshed pair before anything else: a rotated refresh token may be single use.
    fn keep_refreshed(
        &self,
        app: &App,
        client: &Client,
        stored: Stored,
        grant: Grant,
    ) -> Result<Option<UserToken>, Error> {
        let refresh = grant.refresh_token.unwrap_or(stored.refresh);
        let identity =
            stored
                .meta
                .and_then(|meta| match (meta.client_id, meta.user_id, meta.login) {
                    (Some(client_id), Some(user_id), Some(login)) if client_id == app.client_id => {
                        Some((user_id, login))
                    }
                    _ => None,
                });
        let token = match identity {
            Some((user_id, login)) => UserToken {
                access: grant.access_token,
                refresh,
                client_id: app.client_id.clone(),
                login,
                user_id,
                scopes: sorted(grant.scopes),
                expires_at: expiry_after(grant.expires_in),
                outcome: Outcome::Refreshed,
            },
            // The file did not say whose token it is (a pyTwitchAPI file): ask Twitch.
            None => match client.validate(app, &grant.access_token)? {
                Validation::Valid(info) => {
                    token_from(grant.access_token, refresh, info, Outcome::Refreshed)
                }
                Validation::Rejected => return Err(Error::NewTokenRejected),
            },
        };
        self.save(&token)?;
        let has_scopes = missing(&self.scopes, &token.scopes).is_empty();
        Ok(has_scopes.then_some(token))
    }

    /// Step 5's login: the custom generator, or the browser login.
    fn generate(&self, app: &App, client: &Client) -> Result<(AccessToken, RefreshToken), Error> {
        if let Some(generator) = &self.generator {
            let context = LoginContext {
                app,
                redirect_url: &self.redirect_url,
            };
            let (access, refresh) = generator(&context, &self.scopes).map_err(generator_error)?;
            return Ok((AccessToken::new(access), RefreshToken::new(refresh)));
        }
        let redirect = Redirect::parse(&self.redirect_url)?;
        let flow = CodeFlow {
            app,
            client,
            scopes: &self.scopes,
            listen_addr: self
                .listen_addr
                .unwrap_or_else(|| redirect.default_listen_addr()),
            redirect: &redirect,
            open_browser: self.open_browser,
            on_url: self.on_url.as_deref(),
            force_verify: self.force_verify,
            timeout: self.login_timeout,
        };
        let grant = flow.run()?;
        let refresh = grant.refresh_token.unwrap_or_else(|| RefreshToken::new(""));
        Ok((grant.access_token, refresh))
    }

    /// Validates a new token once: whose it is, when it expires, which scopes it has.
    fn adopt(
        &self,
        app: &App,
        client: &Client,
        access: AccessToken,
        refresh: RefreshToken,
    ) -> Result<UserToken, Error> {
        match client.validate(app, &access)? {
            Validation::Valid(info) => {
                self.fit(app, &info)?;
                Ok(token_from(access, refresh, info, Outcome::Generated))
            }
            Validation::Rejected => Err(Error::NewTokenRejected),
        }
    }

    /// Whether a validated token is a user token of this app with every requested scope.
    fn fit(&self, app: &App, info: &TokenInfo) -> Result<(), Error> {
        if info.client_id != app.client_id {
            return Err(Error::WrongClient {
                token_client_id: info.client_id.clone(),
            });
        }
        if info.user_id.is_none() {
            return Err(Error::NotUserToken);
        }
        let missing = missing(&self.scopes, &info.scopes);
        if !missing.is_empty() {
            return Err(Error::MissingScopes { missing });
        }
        Ok(())
    }

    fn app(&self) -> Result<App, Error> {
        App::new(
            self.client_id.as_deref(),
            self.client_secret.as_ref(),
            &self.auth_base_url,
            |name| std::env::var(name).ok(),
        )
    }

    fn save(&self, token: &UserToken) -> Result<(), Error> {
        let record = Record {
            token: token.access.secret(),
            refresh: token.refresh.secret(),
            client_id: &token.client_id,
            user_id: &token.user_id,
            login: &token.login,
            scopes: &token.scopes,
            expires_at: token.expires_at_unix(),
            token_fingerprint: storage::fingerprint(token.access.secret()),
        };
        storage::save(&self.path, &record).map_err(|source| self.save_error(source))
    }

    fn save_error(&self, source: std::io::Error) -> Error {
        Error::Save {
            path: self.path.clone(),
            source,
        }
    }

    /// The token file this helper reads and writes.
    pub fn token_path(&self) -> &Path {
        &self.path
    }
}

fn token_from(
    access: AccessToken,
    refresh: RefreshToken,
    info: TokenInfo,
    outcome: Outcome,
) -> UserToken {
    UserToken {
        access,
        refresh,
        client_id: info.client_id,
        login: info.login.unwrap_or_default(),
        user_id: info.user_id.unwrap_or_default(),
        scopes: sorted(info.scopes),
        expires_at: expiry_after(Some(info.expires_in)),
        outcome,
    }
}

fn sorted(scopes: Vec<Scope>) -> Vec<Scope> {
    scopes
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The requested scopes that `granted` lacks, compared as sets.
fn missing(requested: &[Scope], granted: &[Scope]) -> Vec<Scope> {
    requested
        .iter()
        .filter(|scope| !granted.contains(scope))
        .cloned()
        .collect()
}

/// A generator that failed with this crate's own error keeps it, so `is_transient` still works.
fn generator_error(source: BoxError) -> Error {
    match source.downcast::<Error>() {
        Ok(error) => *error,
        Err(source) => Error::Generator { source },
    }
}

impl fmt::Debug for Helper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Listed by hand, so a new field is never printed by accident.
        f.debug_struct("Helper")
            .field("scopes", &self.scopes)
            .field("path", &self.path)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth_base_url", &self.auth_base_url)
            .field("redirect_url", &self.redirect_url)
            .field("listen_addr", &self.listen_addr)
            .field("open_browser", &self.open_browser)
            .field("on_url", &self.on_url.as_ref().map(|_| ".."))
            .field("force_verify", &self.force_verify)
            .field("login_timeout", &self.login_timeout)
            .field("http_timeout", &self.http_timeout)
            .field("generator", &self.generator.as_ref().map(|_| ".."))
            .finish()
    }
}
