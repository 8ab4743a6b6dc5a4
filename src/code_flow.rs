//! The default way to get a new token: the authorization-code flow through the user's browser.
//!
//! The listener is up before the browser opens, the login URL is shown even when a browser was
//! opened, the `state` is fresh from the OS for every login, and the browser is told the login
//! worked only once the code has been exchanged and every requested scope was granted.

use std::io;

use crate::app::{App, DEFAULT_REDIRECT_URL, Redirect};
use crate::listener::{Callback, ListenOn, Listener};
use crate::login_settings::LoginSettings;
use crate::oauth::{Client, Grant};
use crate::scope::require;
use crate::screen::{Screen, open_in_browser};
use crate::secret::CsrfState;
use crate::unknown_scope::name_refused_scope;
use crate::{Error, Scope};

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
    // Bound before anything is shown or opened: a port that cannot be listened on ends the
    // login here, and no browser is left on a page that nothing will answer.
    let listener = Listener::bind(
        listen,
        &redirect.path,
        &redirect.url,
        settings.pages.clone(),
    )
    .map_err(|err| privileged_port(err, settings))?;
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
        scope.spawn(|| show(&url, settings, redirect.port));
        // The listener reports Twitch's `error=invalid_scope` without knowing the scopes; here
        // they are known, so the error can name the one refused.
        let callback = listener
            .wait(&state, settings.timeout, settings.cancel)
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
        authorize_url(
            self.app,
            &self.redirect.url,
            self.settings.scopes,
            self.settings.force_verify,
            state,
        )
    }
}

/// The Twitch login page for `app`, sending the person back to `redirect_url` with `state`:
/// the browser login's, and a web login's ([`Helper::start_login`](crate::Helper::start_login)).
pub(crate) fn authorize_url(
    app: &App,
    redirect_url: &str,
    scopes: &[Scope],
    force_verify: bool,
    state: &CsrfState,
) -> String {
    let scope = crate::scope::space_separated(scopes);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", redirect_url)
        .append_pair("response_type", "code")
        .append_pair("scope", &scope)
        .append_pair("force_verify", if force_verify { "true" } else { "false" })
        .append_pair("state", state.secret())
        .finish();
    format!("{}?{query}", app.endpoint("authorize"))
}

/// Opens the browser where allowed and where it can be seen, then shows the URL anyway (to
/// `on_url`, or on stderr): a browser that was launched may show nothing (a browser on another
/// display, a `$BROWSER` that does nothing), and the user must still be able to log in. `gh`,
/// `gcloud` and Twitch's own CLI do the same. With no display here, no browser is launched, and
/// the URL comes with how the login can still come back (`redirect_port`: over SSH, forwarded).
fn show(url: &str, settings: &LoginSettings<'_>, redirect_port: u16) {
    let screen = Screen::here();
    let opened = open_in_browser(url, settings.open_browser, screen);
    let hint = screen.hint(redirect_port);
    match settings.on_url {
        Some(on_url) => {
            if let Some(hint) = &hint {
                log::warn!("twitch-auth: {hint}");
            }
            on_url(url)
        }
        None if opened => {
            eprintln!("Opened the Twitch login in your browser; if nothing opened, visit: {url}")
        }
        None => match hint {
            Some(hint) => {
                eprintln!("To log in to Twitch, open this URL in a browser:\n{url}\n{hint}")
            }
            None => eprintln!("To log in to Twitch, open this URL in a browser:\n{url}"),
        },
    }
}

/// A port below 1024 that this process may not listen on (Unix, unless root or allowed): the
/// redirect URL (or `listen_addr`) can never work here, so the error says which setting to change
/// and to what, rather than the system's "Permission denied". Other errors are kept.
fn privileged_port(err: Error, settings: &LoginSettings<'_>) -> Error {
    let Error::Listen { addr, source } = err else {
        return err;
    };
    if source.kind() != io::ErrorKind::PermissionDenied || addr.port() >= 1024 {
        return Error::Listen { addr, source };
    }
    let port = addr.port();
    let rights = "ports below 1024 need administrator rights";
    match settings.listen_addr {
        Some(_) => Error::InvalidSetting {
            setting: "listen_addr",
            reason: format!(
                "{addr} has port {port}, which this program may not listen on ({rights}); \
                 listen on a port above 1024"
            ),
        },
        None => Error::InvalidSetting {
            setting: "redirect_url",
            reason: format!(
                "{} needs port {port}, which this program may not listen on ({rights}); use a \
                 port above 1024, such as the default {DEFAULT_REDIRECT_URL}, and register that \
                 URL in the Twitch developer console",
                settings.redirect_url
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;
    use crate::redirect::Pages;

    #[test]
    fn a_port_below_1024_that_may_not_be_bound_names_the_setting_to_change() {
        let pages = Pages::default();
        let watch = crate::CancelLogin::default().watch();
        let settings = |redirect_url, listen_addr| LoginSettings {
            scopes: &[],
            redirect_url,
            listen_addr,
            open_browser: false,
            on_url: None,
            on_device_code: None,
            force_verify: true,
            timeout: Duration::from_secs(1),
            pages: &pages,
            cancel: &watch,
        };
        let listen = |port: u16, kind: io::ErrorKind| Error::Listen {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            source: kind.into(),
        };
        let own: SocketAddr = "127.0.0.1:443".parse().unwrap();
        let denied = io::ErrorKind::PermissionDenied;
        // (redirect URL, listen_addr, error) -> the setting named, or None: the error is kept.
        let cases = [
            (
                "http://localhost",
                None,
                listen(80, denied),
                Some("redirect_url"),
            ),
            (
                "http://localhost:1023",
                None,
                listen(1023, denied),
                Some("redirect_url"),
            ),
            (
                "http://localhost:17563",
                Some(own),
                listen(443, denied),
                Some("listen_addr"),
            ),
            ("http://localhost:1024", None, listen(1024, denied), None),
            (
                "http://localhost",
                None,
                listen(80, io::ErrorKind::AddrNotAvailable),
                None,
            ),
        ];
        for (url, listen_addr, err, want) in cases {
            let got = privileged_port(err, &settings(url, listen_addr));
            let text = got.to_string();
            match (want, &got) {
                (Some(want), Error::InvalidSetting { setting, .. }) => {
                    assert_eq!(*setting, want, "{url}: {text}");
                    assert!(text.contains("above 1024"), "{text}");
                }
                (None, Error::Listen { .. }) => {}
                _ => panic!("{url}: expected {want:?}, got {got:?}"),
            }
        }
        let text = privileged_port(listen(80, denied), &settings("http://localhost", None));
        let text = text.to_string();
        assert!(
            text.contains("http://localhost needs port 80")
                && text.contains("http://localhost:17563")
                && text.contains("register that URL"),
            "{text}"
        );
    }
}
