//! The default way to get a new token: the authorization-code flow through the user's browser.
//!
//! The listener is up before the browser opens, the login URL is shown even when a browser was
//! opened, the `state` is fresh from the OS for every login, and the browser is told the login
//! worked only once the code has been exchanged and every requested scope was granted.

use crate::Error;
use crate::app::{App, Redirect};
use crate::listener::{Callback, ListenOn, Listener};
use crate::login::{LoginSettings, open_in_browser};
use crate::oauth::{Client, Grant};
use crate::scope::require;
use crate::secret::CsrfState;
use crate::unknown_scope::name_refused_scope;

/// Shows the login URL in the app's own UI.
pub(crate) type UrlCallback = dyn Fn(&str) + Send + Sync;

/// Logs the user in through the browser and exchanges the code for a token pair.
pub(crate) fn run(
    app: &App,
    client: &Client,
    settings: &LoginSettings<'_>,
) -> Result<Grant, Error> {
    if app.client_secret.is_none() {
        return Err(Error::NoClientSecret);
    }
    let redirect = Redirect::parse(settings.redirect_url)?;
    let listen = settings
        .listen_addr
        .map_or_else(|| redirect.listen_on(), ListenOn::Addr);
    let listener = Listener::bind(
        listen,
        &redirect.path,
        &redirect.url,
        settings.pages.clone(),
    )?;
    // A wrong client id or secret would only show on Twitch's page ("invalid client"), and
    // the login would wait out its timeout: asked first, so the error names the setting.
    if let Some(secret) = &app.client_secret {
        client.check_credentials(app, secret)?;
    }
    let state = CsrfState::random().map_err(|e| Error::Randomness {
        source: Box::new(e),
    })?;
    let flow = CodeFlow {
        app,
        client,
        settings,
        redirect: &redirect,
    };
    let url = flow.authorize_url(&state);
    // A scoped thread: a text-mode browser blocks until it exits, and the listener must answer
    // it meanwhile; the scope ends with `run`, so no thread outlives the login.
    std::thread::scope(|scope| {
        scope.spawn(|| show(&url, settings));
        // The listener reports Twitch's `error=invalid_scope` without knowing the scopes; here
        // they are known, so the error can name the one refused.
        let callback = listener
            .wait(&state, settings.timeout)
            .map_err(|err| name_refused_scope(err, settings.scopes))?;
        let grant = flow.exchange(&callback);
        callback.answer(grant.as_ref().map(|_| ()));
        grant
    })
}

/// One browser login: what it needs beside the settings.
struct CodeFlow<'a> {
    app: &'a App,
    client: &'a Client,
    settings: &'a LoginSettings<'a>,
    redirect: &'a Redirect,
}

impl CodeFlow<'_> {
    /// Exchanges the redirect's code, unless the user did not grant every requested scope.
    fn exchange(&self, callback: &Callback) -> Result<Grant, Error> {
        // Twitch names the granted scopes in the redirect. When the user unticked some, no token
        // from this code can serve the app, so the code is not exchanged: it expires unused
        // within minutes, and no token is minted only to be thrown away (Twitch caps the live
        // tokens of a user and app).
        if let Some(granted) = &callback.granted {
            require(self.settings.scopes, granted)?;
        }
        let grant = self
            .client
            .exchange_code(self.app, &callback.code, &self.redirect.url)?;
        // The exchange names them too, should the redirect not have.
        require(self.settings.scopes, &grant.scopes)?;
        Ok(grant)
    }

    /// The Twitch login page for this app, scopes and state.
    fn authorize_url(&self, state: &CsrfState) -> String {
        let scope = crate::scope::space_separated(self.settings.scopes);
        let force_verify = if self.settings.force_verify {
            "true"
        } else {
            "false"
        };
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", &self.redirect.url)
            .append_pair("response_type", "code")
            .append_pair("scope", &scope)
            .append_pair("force_verify", force_verify)
            .append_pair("state", state.secret())
            .finish();
        format!("{}?{query}", self.app.endpoint("authorize"))
    }
}

/// Opens the browser where allowed, then shows the URL anyway (to `on_url`, or on stderr): a
/// browser that was launched may show nothing (a headless machine, a browser on another
/// display, a `$BROWSER` that does nothing), and the user must still be able to log in. `gh`,
/// `gcloud` and Twitch's own CLI do the same.
fn show(url: &str, settings: &LoginSettings<'_>) {
    let opened = open_in_browser(url, settings.open_browser);
    match settings.on_url {
        Some(on_url) => on_url(url),
        None if opened => {
            eprintln!("Opened the Twitch login in your browser; if nothing opened, visit: {url}")
        }
        None => eprintln!("To log in to Twitch, open this URL in a browser:\n{url}"),
    }
}
