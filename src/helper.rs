//! `Helper`: the builder, and `bind()`, which reuses, refreshes or generates the token.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::app::{
    App, DEFAULT_REDIRECT_URL, MAX_HTTP_TIMEOUT, MAX_WAIT, Redirect, TWITCH_AUTH_BASE_URL,
};
use crate::cancel::Watch;
use crate::error::BoxError;
use crate::keeper::{Fresh, Keeper, RefreshCallback};
use crate::login::{self, Login, LoginContext};
use crate::login_settings::{DeviceCallback, LoginSettings, UrlCallback};
use crate::oauth::{Client, Validation};
use crate::pacing::Backoff;
use crate::redirect::Pages;
use crate::scope;
use crate::screen::Screen;
use crate::secret::CsrfState;
use crate::{
    CancelLogin, ClientSecret, DeviceCode, Error, FileStore, Outcome, PendingLogin, RefreshToken,
    Scope, StoredToken, TokenPair, TokenStore, UserToken,
};

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
///
/// A `Helper` is cheap to clone: set up the app once, then one `.path()` per account (a bot and
/// a broadcaster). Clones share the HTTP connection pool.
///
/// ```no_run
/// use twitch_auth::Helper;
///
/// let app = Helper::new(["chat:read", "chat:edit"]).client_id("my_app_id");
/// let bot = app.clone().path("bot_token.json").bind()?;
/// let broadcaster = app.path("broadcaster_token.json").bind()?;
/// # Ok::<(), twitch_auth::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "a Helper does nothing until bind() is called"]
pub struct Helper {
    scopes: Vec<Scope>,
    path: PathBuf,
    /// Why [`user_data`](Helper::user_data) could not name a path, said by `bind()`.
    path_error: Option<String>,
    /// A store given to [`store`](Helper::store); the token file at `path` otherwise.
    store: Option<Arc<dyn TokenStore>>,
    lock_timeout: Duration,
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    /// [`public_client`](Helper::public_client): no secret at all, whatever is set.
    public_client: bool,
    auth_base_url: String,
    redirect_url: String,
    listen_addr: Option<SocketAddr>,
    open_browser: bool,
    on_url: Option<Arc<UrlCallback>>,
    on_device_code: Option<Arc<DeviceCallback>>,
    on_refresh: Option<Arc<RefreshCallback>>,
    force_verify: bool,
    pages: Pages,
    login_timeout: Duration,
    http_timeout: Duration,
    refresh_margin: Duration,
    validate_interval: Duration,
    backoff: Backoff,
    login: Login,
    /// Shared by clones: a cancel ends the logins of their binds in progress.
    cancel: CancelLogin,
    /// One HTTP agent per helper, made at the first `bind()` (its pool is reused after that).
    client: OnceLock<Client>,
}

impl Helper {
    /// A helper for `scopes` ([`Scope`]s, or their strings such as `"chat:read"`), with every
    /// other setting at its default.
    pub fn new<S: Into<Scope>>(scopes: impl IntoIterator<Item = S>) -> Self {
        let scopes: BTreeSet<Scope> = scopes.into_iter().map(Into::into).collect();
        Helper {
            scopes: scopes.into_iter().collect(),
            path: PathBuf::from("user_token.json"),
            path_error: None,
            store: None,
            lock_timeout: Duration::from_secs(60),
            client_id: None,
            client_secret: None,
            public_client: false,
            auth_base_url: TWITCH_AUTH_BASE_URL.to_owned(),
            redirect_url: DEFAULT_REDIRECT_URL.to_owned(),
            listen_addr: None,
            open_browser: true,
            on_url: None,
            on_device_code: None,
            on_refresh: None,
            force_verify: true,
            pages: Pages::default(),
            login_timeout: Duration::from_secs(5 * 60),
            http_timeout: Duration::from_secs(30),
            refresh_margin: Duration::from_secs(60),
            validate_interval: Duration::from_secs(60 * 60),
            backoff: Backoff::default(),
            login: Login::Browser,
            cancel: CancelLogin::default(),
            client: OnceLock::new(),
        }
    }

    /// Where the token is stored.
    ///
    /// Defaults to `user_token.json` in the current directory, the file pyTwitchAPI uses.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self.path_error = None;
        self.store = None;
        self
    }

    /// Keeps the token in the user's own data directory, under the app's name: where a game mod
    /// or a desktop program should, rather than in the current directory (which may be a shared
    /// game folder). That is `%APPDATA%\<app>\user_token.json` on Windows,
    /// `~/Library/Application Support/<app>/user_token.json` on macOS, and
    /// `$XDG_DATA_HOME/<app>/user_token.json` (else `~/.local/share/<app>/…`) elsewhere. The
    /// directories are created by the first save, readable by the user only (on Unix, mode 0700).
    ///
    /// ```no_run
    /// let token = twitch_auth::Helper::new(["chat:read"]).user_data("MyMod").bind()?;
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    ///
    /// `bind()` fails with [`Error::InvalidSetting`] when `app` is not one folder name, or when
    /// the environment does not say where the user's data directory is.
    pub fn user_data(mut self, app: &str) -> Self {
        match crate::data_dir::token_path(app, |name| std::env::var_os(name)) {
            Ok(path) => {
                self = self.path(path);
            }
            Err(reason) => {
                self.store = None;
                self.path_error = Some(reason);
            }
        }
        self
    }

    /// How long `bind()` and the token's refreshes wait for another process that holds the
    /// token file's lock (one stopped in a debugger, or hung) before they fail with
    /// [`Error::LockTimedOut`]. The lock is held only around reading, refreshing and saving,
    /// never during a login. Values above a day are taken as a day. A custom
    /// [`store`](Self::store) bounds its own lock.
    ///
    /// Defaults to 60 seconds.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout.min(MAX_WAIT);
        self
    }

    /// Where the token is stored, when it is not a file: a [`MemoryStore`](crate::MemoryStore),
    /// or your own [`TokenStore`] (a database row). Replaces [`path`](Self::path).
    ///
    /// Defaults to the file `user_token.json` in the current directory.
    pub fn store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Keeps the token in the OS credential store (macOS Keychain, Windows Credential Manager,
    /// the Secret Service on Linux), under `service` (the app's name, such as `"MyMod"`) and the
    /// account `default`; [`store`](Self::store) with a
    /// [`KeyringStore`](crate::KeyringStore) names another account. A locked or missing
    /// credential store is an error saying so, never a quiet fallback to a file.
    #[cfg(feature = "keyring")]
    #[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
    pub fn keyring(self, service: impl Into<String>) -> Self {
        self.store(crate::KeyringStore::new(service, "default"))
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
    /// Defaults to the `TWITCH_CLIENT_SECRET` environment variable, if set. It is read at each
    /// `bind()` (so a variable meant for another program, set in the same shell, is picked up
    /// too: a Public app says [`public_client`](Self::public_client)).
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = Some(ClientSecret::new(client_secret));
        self
    }

    /// The app is a Public client (a game mod, a desktop program: nothing it ships can keep a
    /// secret): no client secret is ever sent, neither a [`client_secret`](Self::client_secret)
    /// nor `TWITCH_CLIENT_SECRET` from the environment. Twitch refuses every refresh of a Public
    /// client that sends one, hours after a device login worked; this says so once, up front.
    /// Public clients log in with the [device flow](Self::device_flow).
    ///
    /// Defaults to off: a secret is sent when one is set.
    pub fn public_client(mut self) -> Self {
        self.public_client = true;
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
    /// developer console. It must be `http://localhost:PORT[/path]`, or name a loopback IP
    /// (`http://127.0.0.1:PORT`, `http://[::1]:PORT`): the helper listens there.
    ///
    /// Defaults to `http://localhost:17563`, pyTwitchAPI's.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = url.into();
        self
    }

    /// The address the redirect listener binds, instead of the redirect URL's.
    ///
    /// Defaults to the redirect URL's host and port, loopback only: its IP when it names one;
    /// for `localhost` both `127.0.0.1` and `[::1]` (where the machine has IPv6), since a
    /// browser may try either first.
    pub fn listen_addr(mut self, addr: SocketAddr) -> Self {
        self.listen_addr = Some(addr);
        self
    }

    /// Whether the browser login opens the login page in the user's browser. Either way the URL
    /// also goes to [`on_url`](Self::on_url), or to stderr, since a browser may show nothing.
    ///
    /// On Linux and the BSDs, no browser is launched where none could be seen: no `DISPLAY`,
    /// no `WAYLAND_DISPLAY` and no `BROWSER` (outside WSL). The URL on stderr then comes with a
    /// hint to the [device flow](Self::device_flow), and in an SSH session with how to forward
    /// the redirect's port ([`opens_browser`](Self::opens_browser) tells which).
    ///
    /// Defaults to `true` (with the default feature `browser`).
    pub fn open_browser(mut self, yes: bool) -> Self {
        self.open_browser = yes;
        self
    }

    /// Whether a login by this helper would launch a browser here and now: the feature
    /// `browser` is on, [`open_browser`](Self::open_browser) allows it, the login is the
    /// browser or device login, and the browser could be seen (on Linux and the BSDs: a
    /// `DISPLAY`, a `WAYLAND_DISPLAY` or a `BROWSER`, or WSL). An app with its own
    /// [`on_url`](Self::on_url) can tell from it whether to say "a browser opened".
    ///
    /// ```
    /// let helper = twitch_auth::Helper::new(["chat:read"]).open_browser(false);
    /// assert!(!helper.opens_browser());
    /// ```
    pub fn opens_browser(&self) -> bool {
        cfg!(feature = "browser")
            && self.open_browser
            && matches!(self.login, Login::Browser | Login::Device)
            && Screen::here() == Screen::Here
    }

    /// Shows the login URL in your own UI instead of on stderr. It is called at every browser
    /// login, also after a browser was opened (after the attempt): a browser that was launched
    /// may show nothing, so the user must always be able to open the URL themselves. The callback
    /// runs on a helper thread while the login is waited for, so it must return promptly. Where
    /// no browser can be seen (see [`open_browser`](Self::open_browser)), the hint that stderr
    /// would show goes to the `log` crate as a warning; [`opens_browser`](Self::opens_browser)
    /// tells your UI the same.
    ///
    /// Defaults to none: the URL is printed to stderr, after "Opened the Twitch login in your
    /// browser; if nothing opened, visit:" when a browser was opened.
    ///
    /// What the callback returns is dropped, so that a function such as
    /// `mock::browse_in_background` (which plays the browser in tests) fits as it is:
    /// `.on_url(twitch_auth::mock::browse_in_background)`.
    pub fn on_url<R>(mut self, on_url: impl Fn(&str) -> R + Send + Sync + 'static) -> Self {
        self.on_url = Some(Arc::new(move |url: &str| drop(on_url(url))));
        self
    }

    /// The whole HTML page the browser shows when the browser login worked, instead of ours
    /// ("You are logged in. You can close this tab…"): your app's look, your words.
    ///
    /// ```no_run
    /// # use twitch_auth::Helper;
    /// let helper = Helper::new(["chat:read"])
    ///     .success_page("<!doctype html><title>MyMod</title><h1>MyMod is connected to Twitch</h1>")
    ///     .failure_page("<!doctype html><title>MyMod</title><h1>Not connected</h1><p>{message}</p>");
    /// ```
    ///
    /// Defaults to a plain page of ours.
    pub fn success_page(mut self, html: impl Into<String>) -> Self {
        self.pages.success = Some(html.into().into());
        self
    }

    /// The whole HTML page the browser shows when the browser login failed (declined, scopes
    /// unticked, a code that could not be exchanged), instead of ours. `{message}` in it is
    /// replaced by what went wrong, HTML-escaped.
    ///
    /// Defaults to a plain page of ours, saying what went wrong and what to do.
    pub fn failure_page(mut self, html: impl Into<String>) -> Self {
        self.pages.failure = Some(html.into().into());
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

    /// How long a browser or device login is waited for before `bind()` gives up with
    /// [`Error::LoginTimedOut`]. Values above a day are taken as a day.
    ///
    /// Defaults to 5 minutes.
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout.min(MAX_WAIT);
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

    /// Gets new tokens your own way (a UI of your own, a headless setup) instead of the browser
    /// login. The closure returns a [`TokenPair`] (a pair minted by `mock::FakeTwitch` is one),
    /// or an error: `?` takes any error type, and a string will do
    /// (`Err("the user closed the window".into())`, also in a closure that returns nothing
    /// else). `bind()` checks the pair is not empty, saves it, then validates it and checks its
    /// scopes. It must be `'static`: share state with it through an `Arc`.
    ///
    /// ```no_run
    /// use std::sync::{Arc, Mutex};
    /// use twitch_auth::{Helper, Scope, TokenPair};
    ///
    /// // Tokens your app got elsewhere, shared with the generator.
    /// let pending = Arc::new(Mutex::new(Some(("access-token", "refresh-token"))));
    /// let from_generator = Arc::clone(&pending);
    /// let token = Helper::new([Scope::ChatRead])
    ///     .generator(move |ctx, scopes| {
    ///         eprintln!("log in to app {} with scopes {scopes:?}", ctx.client_id());
    ///         let (access, refresh) = from_generator
    ///             .lock()
    ///             .unwrap()
    ///             .take()
    ///             .ok_or("no token was handed to this program")?;
    ///         Ok(TokenPair {
    ///             access_token: access.to_owned(),
    ///             refresh_token: refresh.to_owned(),
    ///         })
    ///     })
    ///     .bind()?;
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    ///
    /// Defaults to the browser login (authorization-code flow).
    pub fn generator<F>(mut self, generator: F) -> Self
    where
        F: Fn(&LoginContext<'_>, &[Scope]) -> Result<TokenPair, BoxError> + Send + Sync + 'static,
    {
        self.login = Login::Custom(Arc::new(generator));
        self
    }

    /// Logs in with the device-code flow instead of the browser redirect: the user opens a URL on
    /// any device (a phone will do) and enters a short code. For consoles, servers, SSH
    /// sessions, and apps that must not ship a client secret (a Public client needs none).
    ///
    /// The code is shown through [`on_device_code`](Self::on_device_code), or on stderr; the
    /// page is opened in the browser where [`open_browser`](Self::open_browser) allows.
    ///
    /// ```no_run
    /// use twitch_auth::{Helper, Scope};
    ///
    /// let token = Helper::new([Scope::ChatRead])
    ///     .client_id("my_public_app_id") // no secret needed
    ///     .device_flow()
    ///     .on_device_code(|code| {
    ///         println!("Go to {} and enter {}", code.verification_uri(), code.user_code())
    ///     })
    ///     .bind()?;
    /// # Ok::<(), twitch_auth::Error>(())
    /// ```
    ///
    /// Defaults to off: the browser login.
    pub fn device_flow(mut self) -> Self {
        self.login = Login::Device;
        self
    }

    /// Never logs in: for a daemon or a service that must not ask a person. `bind()` reuses or
    /// refreshes the stored token as always, and where only a login would help it fails with
    /// [`Error::LoginDisabled`] instead, before anything is opened, listened on or written.
    ///
    /// ```no_run
    /// use twitch_auth::{Error, Helper};
    ///
    /// match Helper::new(["chat:read"]).path("bot_token.json").no_login().bind() {
    ///     Ok(token) => println!("running as {}", token.login()),
    ///     Err(Error::LoginDisabled) => eprintln!("log the bot in once with the token example"),
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// ```
    ///
    /// Defaults to off: the browser login.
    pub fn no_login(mut self) -> Self {
        self.login = Login::Never;
        self
    }

    /// Shows the device login's code in your own UI (a game's overlay) instead of stderr. The
    /// callback must return promptly; the wait for the user happens after it.
    ///
    /// Defaults to none: the code and URL are printed to stderr.
    pub fn on_device_code(mut self, on_code: impl Fn(&DeviceCode) + Send + Sync + 'static) -> Self {
        self.on_device_code = Some(Arc::new(on_code));
        self
    }

    /// Called with every refreshed pair, after it was saved (or, when the save failed, kept in
    /// memory: see [`UserToken::is_saved`]), and with a newer pair another program stored when
    /// the handle takes it over: for apps that mirror tokens elsewhere. It runs while the token's other users wait for the refresh: keep it short,
    /// and do not call back into the [`UserToken`] or `bind()` from it (they wait for this refresh).
    ///
    /// Defaults to none.
    pub fn on_refresh(mut self, on_refresh: impl Fn(&StoredToken) + Send + Sync + 'static) -> Self {
        self.on_refresh = Some(Arc::new(on_refresh));
        self
    }

    /// How long before its expiry [`UserToken::access_token`] refreshes a token, so it never
    /// hands out one about to expire. Values above a day are taken as a day (Twitch's tokens
    /// live about four hours, so a day means "refresh at every call").
    ///
    /// Defaults to 60 seconds.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin.min(MAX_WAIT);
        self
    }

    /// How often [`UserToken::validate_if_due`] validates the token. Twitch requires apps to
    /// validate at start (`bind()` does) and hourly after that; change it only for tests.
    ///
    /// Defaults to 1 hour.
    pub fn validate_interval(mut self, interval: Duration) -> Self {
        self.validate_interval = interval;
        self
    }

    /// Starts a login on your service's own web page, without a local listener: send the
    /// person to the [`PendingLogin`]'s URL, keep its state with their session, and finish it
    /// with what your redirect URL's handler received
    /// ([`PendingLogin::finish_redirect`]); the pair goes into this helper's store. The
    /// redirect URL ([`redirect_url`](Self::redirect_url)) is your service's own, registered
    /// for the app: https, or `http://localhost` while developing. Needs the client secret.
    /// Such a helper usually says [`no_login`](Self::no_login) too: its `bind()` then reuses or
    /// refreshes a stored token and never listens for a login itself.
    ///
    /// # Errors
    ///
    /// A redirect URL Twitch would not accept; no client id; the OS's randomness.
    pub fn start_login(&self) -> Result<PendingLogin, Error> {
        let state = CsrfState::random().map_err(|e| Error::Randomness {
            source: Box::new(e),
        })?;
        PendingLogin::new(self, state)
    }

    /// The [`PendingLogin`] whose [`state`](PendingLogin::state) was kept: a stateless web
    /// server's callback request, answered by another process or after a restart. Give it the
    /// same settings as the helper that started the login (and the store the token goes to).
    ///
    /// # Errors
    ///
    /// As [`start_login`](Self::start_login); a state that is not 32 hex digits is
    /// [`Error::LoginFailed`] (`state_mismatch`).
    pub fn resume_login(&self, state: &str) -> Result<PendingLogin, Error> {
        if state.len() != 32 || !state.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::LoginFailed {
                error: "state_mismatch".to_owned(),
                description: "the kept state is not a login's state; start the login again"
                    .to_owned(),
            });
        }
        PendingLogin::new(self, CsrfState::new(state))
    }

    /// The scopes asked for, for a web login.
    pub(crate) fn wanted_scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// The redirect URL set, for a web login.
    pub(crate) fn configured_redirect_url(&self) -> &str {
        &self.redirect_url
    }

    /// Whether the consent page is shown again, for a web login.
    pub(crate) fn forces_verify(&self) -> bool {
        self.force_verify
    }

    /// A handle that cancels this helper's login from another thread (a Cancel button): the
    /// browser or device login of a `bind()` in progress ends within about 100 ms with
    /// [`Error::LoginCancelled`], and nothing is saved. Clones of the helper share it.
    ///
    /// ```
    /// let helper = twitch_auth::Helper::new(["chat:read"]);
    /// let cancel = helper.cancel_handle(); // Clone + Send + Sync: give it to the UI
    /// # let _ = cancel;
    /// ```
    pub fn cancel_handle(&self) -> CancelLogin {
        self.cancel.clone()
    }

    /// How long a [`UserToken`] waits after a failed refresh or validation before it asks
    /// Twitch again: `first` after the first failure, doubling with each failure in a row up to
    /// `max`, and at least as long as a `Retry-After` the server sent (up to 10 minutes).
    /// Meanwhile [`UserToken::access_token`] hands out the current token while it has not
    /// expired, and returns the failure's error once it has, without a request; a success
    /// ends the back-off. `Duration::ZERO` for both asks again at every call.
    ///
    /// Defaults to 1 second, doubling up to 60 seconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use twitch_auth::Helper;
    ///
    /// let helper = Helper::new(["chat:read"])
    ///     .retry_backoff(Duration::from_millis(500), Duration::from_secs(30));
    /// # let _ = helper;
    /// ```
    pub fn retry_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = Backoff {
            first: first.min(MAX_WAIT),
            max: max.max(first).min(MAX_WAIT),
        };
        self
    }

    /// Returns a usable user token: the stored one if it is valid and has the scopes, else a
    /// refreshed one, else a new one from the login; a new pair is saved before it is returned.
    ///
    /// 1. Read the stored pair. None or unusable: go to 5 (a bad file is left alone until a new
    ///    token is in hand).
    /// 2. If the store says the token has expired, go to 4; otherwise validate it.
    /// 3. Valid, for this app, for a user, with every requested scope: [`Outcome::Reused`]
    ///    (a file that lacks what the validation said, such as pyTwitchAPI's, is completed
    ///    where it can be written). Valid but lacking scopes or for another app: go to 5.
    ///    Invalid: go to 4.
    /// 4. Check that the store can be written, refresh, save the new pair, and if it has the
    ///    scopes: [`Outcome::Refreshed`]. Refresh token rejected: go to 5.
    /// 5. Check that the store can be written, log in (browser, device, or your generator),
    ///    save the new pair, then validate it and save what the validation said:
    ///    [`Outcome::Generated`].
    ///
    /// Steps 1 to 4 hold the store's lock, so processes sharing a token file take turns: a
    /// second one finds the pair the first one refreshed, and does not spend the refresh token
    /// again. No lock is held while a person logs in (step 5): other processes' refreshes do not
    /// wait for them; the lock is taken again to save.
    ///
    /// A save that fails after the request (the disk filled up in between) does not lose the
    /// pair: the returned token keeps it, reports the failure on stderr, and saves it again
    /// later ([`UserToken::is_saved`], [`UserToken::save`]).
    ///
    /// # Errors
    ///
    /// Settings that cannot work, before any request; a store that cannot be written, before
    /// a refresh token or a login is spent ([`Error::File`]); a lock another process held too
    /// long ([`Error::LockTimedOut`]); a request that failed (unreachable, timed out, 5xx, 429),
    /// which never starts a login ([`Error::is_transient`]); a login that failed or was
    /// declined. See [`Error`].
    pub fn bind(&self) -> Result<UserToken, Error> {
        // A cancel from before this bind is for another one.
        let cancel = self.cancel.watch();
        crate::unknown_scope::warn_unknown(&self.scopes);
        let keeper = self.keeper()?;
        if matches!(self.login, Login::Browser) {
            Redirect::parse(&self.redirect_url)?; // now, not after a failed refresh
        }
        let mut stored_before = match self.reuse_or_refresh(&keeper)? {
            FromStore::Usable(usable) => return Ok(usable.handed_out(keeper)),
            FromStore::LoginNeeded { stored } => stored,
        };
        if matches!(self.login, Login::Never) {
            return Err(Error::LoginDisabled); // said before anything else could hide it
        }
        keeper.store.prepare_save()?; // before the user logs in and a code is spent
        // One login at a time per store, across processes: the person is asked once.
        let store = Arc::clone(&keeper.store);
        let (_login, waited) = login::one_at_a_time(&*store, self.login_timeout, &cancel)?;
        if waited {
            // The other program's login may have stored what this bind needs.
            match self.reuse_or_refresh(&keeper)? {
                FromStore::Usable(usable) => return Ok(usable.handed_out(keeper)),
                FromStore::LoginNeeded { stored } => stored_before = stored,
            }
        }
        log::debug!(
            "twitch-auth: no usable stored token; logging in ({})",
            self.login_name()
        );
        let token = self
            .login
            .run(&keeper.app, &keeper.client, &self.login_settings(&cancel))?;
        self.keep_login(keeper, token, stored_before)
    }

    /// The end of a login (step 5, or a [web login](Self::start_login)): the pair is saved
    /// before any further request (a failed validation must not lose a pair the user just
    /// consented to; what it displaces is read under the lock, now), then validated and
    /// checked. `stored_before` is what the store held at the last read under the lock.
    pub(crate) fn keep_login(
        &self,
        keeper: Keeper,
        token: StoredToken,
        stored_before: Option<RefreshToken>,
    ) -> Result<UserToken, Error> {
        let (fresh, displaced, lock) = match keeper.store.lock() {
            Ok(held) => {
                let displaced = match keeper.store.load() {
                    Ok(stored) => stored.map(|s| s.refresh_token),
                    Err(_) => stored_before, // the last read under the lock
                };
                (keeper.keep(token), displaced, Some(held))
            }
            Err(e) => (
                Fresh {
                    token,
                    unsaved: Some(e),
                },
                stored_before,
                None,
            ),
        };
        let validated = keeper.validate_new(fresh);
        drop(lock);
        let (fresh, info) = validated?;
        info.check_fit(&keeper.app, &self.scopes)?;
        log_outcome(Outcome::Generated, &fresh.token);
        Ok(UserToken::new(keeper, fresh, Outcome::Generated, displaced))
    }

    /// Steps 1 to 4, under the store's lock. A store that cannot be read is an error, never a
    /// reason to log in over it.
    fn reuse_or_refresh(&self, keeper: &Keeper) -> Result<FromStore, Error> {
        let _lock = keeper.store.lock()?;
        let Some(stored) = keeper.store.load()? else {
            log::debug!("twitch-auth: no stored token in {:?}", keeper.store);
            return Ok(FromStore::LoginNeeded { stored: None });
        };
        let login_needed = FromStore::LoginNeeded {
            stored: Some(stored.refresh_token.clone()),
        };
        if !stored.expires_by(SystemTime::now()) {
            log::debug!("twitch-auth: validating the stored token");
            match keeper.validate(&stored.access_token)? {
                Validation::Valid(info) if info.check_fit(&keeper.app, &self.scopes).is_ok() => {
                    let token = StoredToken::validated(
                        stored.access_token.clone(),
                        stored.refresh_token.clone(),
                        info,
                    );
                    if !describes(&stored, &token) {
                        // Completed so that its next expiry costs one request; quietly left
                        // as it is where it cannot be written: reuse needs no write access.
                        let _ = keeper.store.save(&token);
                    }
                    let fresh = Fresh {
                        token,
                        unsaved: None,
                    };
                    return Ok(FromStore::Usable(Usable {
                        fresh: Box::new(fresh),
                        outcome: Outcome::Reused,
                        displaced: None,
                    }));
                }
                // A refresh cannot add scopes nor move the token to another app.
                Validation::Valid(_) => {
                    log::debug!("twitch-auth: the stored token lacks scopes or is another app's");
                    return Ok(login_needed);
                }
                Validation::Rejected => log::debug!("twitch-auth: the stored token is invalid"),
            }
        }
        // Saved before it is used, and kept even when it lacks scopes: a login may still fail.
        let Some(fresh) = keeper.refresh(&stored)? else {
            return Ok(login_needed);
        };
        if !scope::missing(&self.scopes, &fresh.token.scopes).is_empty() {
            return Ok(login_needed);
        }
        Ok(FromStore::Usable(Usable {
            fresh: Box::new(fresh),
            outcome: Outcome::Refreshed,
            displaced: Some(stored.refresh_token),
        }))
    }

    /// Checks the settings, before any request, and ties them to the store and HTTP client.
    pub(crate) fn keeper(&self) -> Result<Keeper, Error> {
        if let (Some(reason), None) = (&self.path_error, &self.store) {
            return Err(Error::InvalidSetting {
                setting: "user_data",
                reason: reason.clone(),
            });
        }
        let public = self.public_client;
        let app = App::new(
            self.client_id.as_deref(),
            self.client_secret.as_ref().filter(|_| !public),
            &self.auth_base_url,
            |name| (!public || name != "TWITCH_CLIENT_SECRET").then(|| std::env::var(name).ok())?,
        )?;
        let client = self
            .client
            .get_or_init(|| Client::new(&app, self.http_timeout))
            .clone();
        let store = match &self.store {
            Some(store) => Arc::clone(store),
            None => Arc::new(FileStore::new(&self.path).lock_timeout(self.lock_timeout)),
        };
        Ok(Keeper {
            app,
            client,
            store,
            on_refresh: self.on_refresh.clone(),
            scopes: self.scopes.clone(),
            refresh_margin: self.refresh_margin,
            validate_interval: self.validate_interval,
            backoff: self.backoff,
        })
    }

    /// How this helper logs in, in a word (for `Debug` and the log).
    fn login_name(&self) -> &'static str {
        match self.login {
            Login::Browser => "browser",
            Login::Device => "device",
            Login::Custom(_) => "generator",
            Login::Never => "none",
        }
    }

    fn login_settings<'a>(&'a self, cancel: &'a Watch) -> LoginSettings<'a> {
        LoginSettings {
            scopes: &self.scopes,
            redirect_url: &self.redirect_url,
            listen_addr: self.listen_addr,
            open_browser: self.open_browser,
            on_url: self.on_url.as_deref(),
            on_device_code: self.on_device_code.as_deref(),
            force_verify: self.force_verify,
            timeout: self.login_timeout,
            pages: &self.pages,
            cancel,
        }
    }
}

/// What the store gave `bind()`, under its lock.
enum FromStore {
    /// A pair to use (reused or refreshed).
    Usable(Usable),
    /// Only a login helps; `stored` is the refresh token of the pair the store held, if any.
    LoginNeeded { stored: Option<RefreshToken> },
}

/// A stored pair to use; `displaced` is the stored pair's refresh token when the pair replaced
/// it (a refresh), for a save that failed.
struct Usable {
    fresh: Box<Fresh>,
    outcome: Outcome,
    displaced: Option<RefreshToken>,
}

impl Usable {
    /// The handle `bind()` returns for it.
    fn handed_out(self, keeper: Keeper) -> UserToken {
        log_outcome(self.outcome, &self.fresh.token);
        UserToken::new(keeper, *self.fresh, self.outcome, self.displaced)
    }
}

/// One debug line per `bind()`: how it ended, and for whom (never a token).
fn log_outcome(outcome: Outcome, token: &StoredToken) {
    log::debug!(
        "twitch-auth: bind(): {outcome} token of {}",
        token.login.as_deref().unwrap_or("an unknown user")
    );
}

/// Whether the stored record already says all that `validated` does (whose token it is, its
/// scopes, whether it expires), so that rewriting it would add nothing.
fn describes(stored: &StoredToken, validated: &StoredToken) -> bool {
    let client_id = validated.client_id.as_deref().unwrap_or_default();
    stored.identity_for(client_id).is_some()
        && stored.scopes == validated.scopes
        && (stored.expires_at.is_some() || validated.expires_at.is_none())
}

impl fmt::Debug for Helper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let login = self.login_name();
        // Listed by hand, so a new field is never printed by accident; the HTTP client is left
        // out.
        f.debug_struct("Helper")
            .field("scopes", &self.scopes)
            .field("path", &self.path)
            .field("store", &self.store)
            .field("lock_timeout", &self.lock_timeout)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("public_client", &self.public_client)
            .field("auth_base_url", &self.auth_base_url)
            .field("redirect_url", &self.redirect_url)
            .field("listen_addr", &self.listen_addr)
            .field("open_browser", &self.open_browser)
            .field("on_url", &self.on_url.as_ref().map(|_| ".."))
            .field(
                "on_device_code",
                &self.on_device_code.as_ref().map(|_| ".."),
            )
            .field("on_refresh", &self.on_refresh.as_ref().map(|_| ".."))
            .field("force_verify", &self.force_verify)
            .field("success_page", &self.pages.success.as_ref().map(|_| ".."))
            .field("failure_page", &self.pages.failure.as_ref().map(|_| ".."))
            .field("login_timeout", &self.login_timeout)
            .field("http_timeout", &self.http_timeout)
            .field("refresh_margin", &self.refresh_margin)
            .field("validate_interval", &self.validate_interval)
            .field("backoff", &self.backoff)
            .field("login", &login)
            .finish_non_exhaustive()
    }
}
