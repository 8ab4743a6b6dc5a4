//! Logins on the app's own web page: a service that many streamers connect to sends each to
//! Twitch from its own `/login`, and hands the `code` and `state` its `/callback` received back
//! to the crate, which checks the state, exchanges the code, validates and saves the pair into
//! the helper's store. No local listener: the redirect URL is the service's own (https on its
//! own domain, or `http://localhost` while developing).

use std::fmt;

use crate::code_flow::authorize_url;
use crate::listener::login_error;
use crate::redirect::{Verdict, judge};
use crate::scope::require;
use crate::secret::CsrfState;
use crate::{Error, Helper, Scope, Step, StoredToken, UserToken};

/// A login started with [`Helper::start_login`]: send the person to [`url`](Self::url), keep
/// [`state`](Self::state) (in the session, or a cookie), and when Twitch sends them back to
/// the redirect URL, [`finish`](Self::finish) with what the request carried.
///
/// ```no_run
/// use twitch_auth::{Helper, PendingLogin};
///
/// // bind() reuses or refreshes a streamer's stored token, and never logs in itself: where a
/// // login is needed (Error::LoginDisabled) the service sends the person to /login.
/// let helper = Helper::new(["chat:read"])
///     .client_id("my_app_id")
///     .client_secret("my_app_secret")
///     .redirect_url("https://bot.example.com/callback")
///     .no_login();
/// // GET /login: redirect the browser to the login page, keep the state.
/// let pending = helper.start_login()?;
/// let (location, kept) = (pending.url().to_owned(), pending.state().to_owned());
/// # let _ = location;
/// // GET /callback?code=…&state=…: the same helper (with this streamer's store), the state
/// // kept, and the request's target as the server received it.
/// let token = helper
///     .resume_login(&kept)?
///     .finish_redirect("/callback?code=…&scope=chat%3Aread&state=…")?;
/// println!("{} connected", token.login());
/// # Ok::<(), twitch_auth::Error>(())
/// ```
///
/// The state is the login's CSRF secret: `Debug` redacts it, and it is checked in constant time.
pub struct PendingLogin {
    helper: Helper,
    state: CsrfState,
    url: String,
}

impl PendingLogin {
    /// A login for `helper` with `state`, new or kept.
    pub(crate) fn new(helper: &Helper, state: CsrfState) -> Result<PendingLogin, Error> {
        let redirect_url = checked_redirect_url(helper.configured_redirect_url())?;
        let app = helper.keeper()?.app;
        let url = authorize_url(
            &app,
            &redirect_url,
            helper.wanted_scopes(),
            helper.forces_verify(),
            &state,
        );
        Ok(PendingLogin {
            helper: helper.clone(),
            state,
            url,
        })
    }

    /// The Twitch login page to send the person to (`302 Location`). It carries the state, as
    /// every authorize URL does; nothing else secret.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The login's state (32 hex digits): keep it with the person's session until the
    /// callback, then give it to [`Helper::resume_login`]. It is a secret: keep it out of logs.
    pub fn state(&self) -> &str {
        self.state.secret()
    }

    /// Finishes the login with the `code` and `state` the callback received: checks the state,
    /// exchanges the code, saves the pair in the helper's store, validates it, and returns the
    /// handle ([`Outcome::Generated`](crate::Outcome::Generated)).
    ///
    /// # Errors
    ///
    /// [`Error::LoginFailed`] (`state_mismatch`) when the state is not this login's (a forged
    /// or stale callback: nothing is sent); the code exchange's errors; the store's.
    pub fn finish(&self, code: &str, state: &str) -> Result<UserToken, Error> {
        if !self.state.matches(state) {
            return Err(state_mismatch());
        }
        self.exchange(code, None)
    }

    /// Finishes the login from the callback's request target as the web server received it
    /// (`/callback?code=…&scope=…&state=…`, still encoded): as [`finish`](Self::finish), and
    /// also for Twitch's `error=` (a declined consent: [`Error::Denied`]), and with the
    /// granted scopes checked before the code is exchanged.
    ///
    /// # Errors
    ///
    /// As [`finish`](Self::finish); [`Error::Denied`], [`Error::RedirectMismatch`] or
    /// [`Error::LoginFailed`] for Twitch's errors; [`Error::MissingScopes`] when the person
    /// unticked a requested scope (the code is then not exchanged).
    pub fn finish_redirect(&self, target: &str) -> Result<UserToken, Error> {
        let path = target.split('?').next().unwrap_or_default();
        match judge(target, path, &self.state) {
            Verdict::Code { code, granted } => self.exchange(&code, granted.as_deref()),
            Verdict::Error { error, description } => Err(login_error(
                error,
                description,
                self.helper.configured_redirect_url(),
            )),
            Verdict::NotFound | Verdict::BadRequest(_) => Err(state_mismatch()),
        }
    }

    /// The code exchange, its scope checks, and the save: [`Helper::keep_login`].
    fn exchange(&self, code: &str, granted: Option<&[Scope]>) -> Result<UserToken, Error> {
        let scopes = self.helper.wanted_scopes();
        if let Some(granted) = granted {
            require(scopes, granted)?;
        }
        let keeper = self.helper.keeper()?;
        keeper.store.prepare_save()?; // before the code is spent
        let code = crate::secret::AuthCode::new(code);
        let redirect_url = checked_redirect_url(self.helper.configured_redirect_url())?;
        let grant = keeper
            .client
            .exchange_code(&keeper.app, &code, &redirect_url)?;
        require(scopes, &grant.scopes)?;
        let refresh_token = grant
            .refresh_token
            .clone()
            .ok_or_else(|| Error::InvalidResponse {
                step: Step::ExchangeCode,
                detail: "no refresh_token in the token answer".to_owned(),
            })?;
        let token = StoredToken::granted(grant, refresh_token, &keeper.app.client_id);
        let stored_before = keeper.store.load().ok().flatten().map(|s| s.refresh_token);
        self.helper.keep_login(keeper, token, stored_before)
    }
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &self.state)
            .field("redirect_url", &self.helper.configured_redirect_url())
            .finish_non_exhaustive()
    }
}

/// A callback whose state is not this login's.
fn state_mismatch() -> Error {
    Error::LoginFailed {
        error: "state_mismatch".to_owned(),
        description: "the callback's state is not this login's (a forged or stale request); \
                      start the login again"
            .to_owned(),
    }
}

/// A redirect URL Twitch accepts: https, or http on localhost (while developing); exactly as
/// registered, so it is sent as it is.
fn checked_redirect_url(url: &str) -> Result<String, Error> {
    let invalid = |reason: String| Error::InvalidSetting {
        setting: "redirect_url",
        reason,
    };
    let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"];
    let allowed = url.starts_with("https://")
        || local.iter().any(|prefix| {
            url.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    if !allowed {
        return Err(invalid(format!(
            "{url} is neither https nor on localhost: Twitch accepts only those; register the \
             service's https callback URL in the Twitch developer console and pass it here"
        )));
    }
    if url.contains('#') {
        return Err(invalid(format!(
            "{url} has a #fragment, which no redirect keeps"
        )));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls_twitch_accepts() {
        let cases = [
            ("https://bot.example.com/callback", true),
            ("https://bot.example.com:8443/twitch/callback?x=1", true),
            ("http://localhost:8080/callback", true),
            ("http://localhost", true),
            ("http://127.0.0.1:8080/callback", true),
            ("http://[::1]:8080/", true),
            ("http://bot.example.com/callback", false),
            ("http://localhost.example.com/callback", false),
            ("ftp://bot.example.com/", false),
            ("https://bot.example.com/callback#top", false),
            ("", false),
        ];
        for (url, ok) in cases {
            assert_eq!(checked_redirect_url(url).is_ok(), ok, "{url}");
        }
    }
}
