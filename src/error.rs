//! The crate's one error type, and the step of the login or refresh it happened in.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::Scope;

/// A boxed cause, kept in [`Error::source`](StdError::source) rather than in the message.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The request to the Twitch auth server during which an [`Error`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// `GET validate`: checking a stored access token.
    Validate,
    /// `GET validate`: asking whose token a pair just obtained (by a refresh or a login) is.
    /// The pair was saved before this request.
    ValidateNew,
    /// `POST token` with a refresh token.
    Refresh,
    /// `POST token` with the code from the login redirect.
    ExchangeCode,
    /// `POST device`: starting a device-code login.
    StartDevice,
    /// `POST token` with a device code.
    PollDevice,
    /// `POST revoke`.
    Revoke,
    /// `POST token` with the app's client credentials: getting an app access token.
    RequestAppToken,
    /// `GET validate` of an app access token.
    ValidateApp,
    /// `POST revoke` of an app access token.
    RevokeApp,
    /// `POST token` with the app's client credentials before a browser login, to find a wrong
    /// client id or secret before the person is sent to log in (the app token is revoked at
    /// once).
    CheckCredentials,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Validate => "validating the token",
            Step::ValidateNew => "validating the new token",
            Step::Refresh => "refreshing the token",
            Step::ExchangeCode => "exchanging the login code for a token",
            Step::StartDevice => "starting the device login",
            Step::PollDevice => "waiting for the device login",
            Step::Revoke => "revoking the token",
            Step::RequestAppToken => "requesting an app access token",
            Step::ValidateApp => "validating the app access token",
            Step::RevokeApp => "revoking the app access token",
            Step::CheckCredentials => "checking the app's client id and secret before the login",
        })
    }
}

/// What was being done to the token file when an [`Error::File`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileAction {
    /// Reading the stored pair.
    Read,
    /// Saving a pair (or checking, before a request, that one could be saved).
    Write,
    /// Taking the lock file beside it.
    Lock,
    /// Deleting it after a log out.
    Delete,
}

impl fmt::Display for FileAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileAction::Read => "read",
            FileAction::Write => "write",
            FileAction::Lock => "lock",
            FileAction::Delete => "delete",
        })
    }
}

/// Why a token could not be obtained or kept.
///
/// Messages say what happened and, where you can act, what to do; causes are in
/// [`source()`](StdError::source). No variant holds a token, a secret or a response body.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No client id was given and `TWITCH_CLIENT_ID` is not set. No request was made.
    NoClientId,
    /// The browser login needs a client secret and none was given. Nothing was opened.
    NoClientSecret,
    /// A setting of the [`Helper`](crate::Helper) cannot be used. No request was made.
    InvalidSetting {
        /// The setting's name, as the `Helper` method that sets it.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The auth server could not be reached, or did not answer in time. The token file is
    /// unchanged; trying again later may work.
    Unreachable {
        /// The request that failed.
        step: Step,
        /// What went wrong, in a few words: `timed out`, `connection refused`, …
        reason: &'static str,
        /// The transport error.
        source: BoxError,
    },
    /// The auth server answered with a status this step cannot act on: 5xx and 429 (try again
    /// later), or a 4xx that points at the app's settings (for example `invalid client secret`).
    Status {
        /// The request that failed.
        step: Step,
        /// The HTTP status.
        status: u16,
        /// Twitch's `message`, when the body was Twitch's JSON error; otherwise empty.
        message: String,
        /// How long the server asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The auth server answered 200 with a body that is not what Twitch sends.
    InvalidResponse {
        /// The request that failed.
        step: Step,
        /// What was wrong, without quoting the body (which may hold a token).
        detail: String,
    },
    /// The port of the redirect URL is taken by another program.
    PortInUse {
        /// The address the listener tried.
        addr: SocketAddr,
        /// The redirect URL that needs this port.
        redirect_url: String,
        /// The error from the operating system.
        source: io::Error,
    },
    /// The redirect listener could not be started for another reason, which the message
    /// includes.
    Listen {
        /// The address the listener tried.
        addr: SocketAddr,
        /// The error from the operating system.
        source: io::Error,
    },
    /// The user declined the authorization at the Twitch login page.
    Denied {
        /// Twitch's `error_description`.
        description: String,
    },
    /// Twitch does not have the redirect URL registered for this app.
    RedirectMismatch {
        /// The redirect URL to register in the Twitch developer console.
        redirect_url: String,
    },
    /// The Twitch login page answered with another error.
    LoginFailed {
        /// Twitch's `error` code, for example `server_error`.
        error: String,
        /// Twitch's `error_description`.
        description: String,
    },
    /// No login was completed before the deadline. For the browser login, the message names
    /// the likely causes in order: the Twitch page showed an error (the client id or the
    /// redirect URL is not registered for the app: Twitch then sends the browser to the app's
    /// first registered URL, and nothing comes back), or no page opened.
    LoginTimedOut {
        /// How long the login was waited for.
        after: Duration,
        /// The redirect URL the browser login waited on; `None` for a device login.
        redirect_url: Option<String>,
    },
    /// Twitch refused a requested scope as invalid (misspelled, or one it no longer grants),
    /// at the login page or when the device login started. Nothing was granted and the token
    /// file is unchanged.
    InvalidScope {
        /// The refused scope, as it was requested.
        scope: String,
    },
    /// The user did not grant every requested scope at the login (they unticked some on the
    /// consent page), or the new token lacks them.
    MissingScopes {
        /// The requested scopes that were not granted.
        missing: Vec<Scope>,
    },
    /// The new token is an app access token: it has no user.
    NotUserToken,
    /// The new token was issued to another app.
    WrongClient {
        /// The client id the token belongs to.
        token_client_id: String,
    },
    /// The auth server said the token that was just obtained is invalid.
    NewTokenRejected,
    /// The custom generator returned an error, or a pair that cannot be a token (empty, or
    /// not sendable in a header). The message includes what the generator said.
    Generator {
        /// The generator's error.
        source: BoxError,
    },
    /// The operating system gave no randomness for the login's CSRF state.
    Randomness {
        /// The error from the random source.
        source: BoxError,
    },
    /// The token file could not be read, written, locked or deleted. The message includes the
    /// system's reason (`No such file or directory`, `Read-only file system`).
    File {
        /// The token file.
        path: PathBuf,
        /// What was being done.
        action: FileAction,
        /// The error from the file system.
        source: io::Error,
    },
    /// Another process held the token file's lock for longer than the lock timeout (it may be
    /// stopped, or hung). Nothing was read, written or requested.
    LockTimedOut {
        /// The lock file.
        path: PathBuf,
        /// How long the lock was waited for.
        after: Duration,
    },
    /// Another program replaced the stored pair with another user's, or removed it (a log out
    /// elsewhere), while this handle needed a refresh: the handle's own refresh token is then
    /// not sent on a guess (it may be spent or revoked). Call `bind()` again.
    StoreChanged {
        /// The user whose token the store holds now (login, else id); `None` when it holds
        /// none.
        stored_login: Option<String>,
    },
    /// A custom [`TokenStore`](crate::TokenStore) failed.
    Store {
        /// The store's error.
        source: BoxError,
    },
    /// The token store's server (Redis) could not be reached, or did not answer in time:
    /// nothing was changed, and no login was started. Trying again later may work.
    StoreUnavailable {
        /// The server, without its password.
        store: String,
        /// What went wrong.
        reason: String,
    },
    /// Twitch rejects the token and its refresh token: the user must log in again. Apps should
    /// end the user's sessions (Twitch requires it when a token is revoked).
    LoginRequired,
    /// No stored token could be used, and the helper may not log in
    /// ([`Helper::no_login`](crate::Helper::no_login)). Nothing was opened or written.
    LoginDisabled,
    /// The login was cancelled with [`CancelLogin::cancel`](crate::CancelLogin::cancel) (the
    /// person clicked Cancel). Nothing was saved.
    LoginCancelled,
    /// Another program (or thread) was logging in to the same store for the whole login
    /// timeout: one login at a time per store, so this one waited for it instead of asking the
    /// person twice. Trying again later may work.
    LoginElsewhere {
        /// How long it waited ([`Helper::login_timeout`](crate::Helper::login_timeout)).
        after: Duration,
    },
    /// The device code expired before the user entered it.
    DeviceCodeExpired {
        /// How long the code was valid.
        after: Duration,
    },
    /// A setting of the [`AppTokenBuilder`](crate::AppTokenBuilder) cannot be used: no client
    /// id, no client secret (a Public client has none, and cannot get app tokens), or an
    /// `auth_base_url` that is not an http(s) URL. No request was made.
    InvalidAppSetting {
        /// The setting's name, as the `AppTokenBuilder` method that sets it.
        setting: &'static str,
        /// What is wrong with it, and where to fix it.
        reason: String,
    },
    /// This handle was logged out, and hands out no token: its own
    /// [`revoke`](crate::UserToken::revoke) succeeded, or earlier it found that another program
    /// (or another handle of this one) had logged out. Call `bind()` again to log in.
    LoggedOut {
        /// Whether it was this handle's own `revoke()`.
        by_this_handle: bool,
    },
    /// A new pair was obtained (a login, or a refresh of a pair whose owner the store did not
    /// say), but could neither be saved nor validated. It is nowhere else:
    /// [`unsaved_token`](Error::unsaved_token) gives it, to store it yourself once the store
    /// works; otherwise a refresh token may have been spent for nothing.
    Unsaved {
        /// The pair.
        token: Box<crate::StoredToken>,
        /// Why it could not be saved.
        save: Box<Error>,
        /// Why it could not be validated.
        validation: Box<Error>,
    },
    /// Twitch rejected the app's credentials: 400 `invalid client` (the client id, or a Public
    /// client asking for an app token) or 403 `invalid client secret`. Trying again will not
    /// help until the setting the message names is fixed.
    InvalidCredentials {
        /// The request that was refused.
        step: Step,
        /// The setting to fix: `client_id` or `client_secret`.
        setting: &'static str,
        /// Whether its value came from the environment (`TWITCH_CLIENT_ID` or
        /// `TWITCH_CLIENT_SECRET`) rather than the builder.
        from_env: bool,
    },
}

impl Error {
    /// Whether trying again later may succeed without changing anything: the auth server was
    /// unreachable, overloaded (5xx, 429) or answered nonsense, or another process held the
    /// token file's lock too long. The message says what happened to the token file.
    ///
    /// ```
    /// # use twitch_auth::{Error, Step};
    /// let err = Error::Status { step: Step::Refresh, status: 502, message: String::new(), retry_after: None };
    /// assert!(err.is_transient());
    /// assert!(!Error::NoClientId.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. }
            | Error::InvalidResponse { .. }
            | Error::LockTimedOut { .. }
            | Error::LoginElsewhere { .. }
            | Error::StoreUnavailable { .. } => true,
            Error::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Whether only a new login helps: the token and its refresh token were rejected. Apps
    /// should end the user's sessions and call `bind()` again (or ask the user to log in).
    pub fn needs_login(&self) -> bool {
        matches!(
            self,
            Error::LoginRequired
                | Error::StoreChanged { .. }
                | Error::LoggedOut { .. }
                | Error::LoginDisabled
        )
    }

    /// How long the server asked to wait (`Retry-After` on a 429 or 503), if it said.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The pair an [`Error::Unsaved`] carries: the only copy of a new token pair that could
    /// not be saved. Store it yourself (a [`TokenStore`](crate::TokenStore)'s `save`) once the
    /// store works, before anything else refreshes the stored pair.
    pub fn unsaved_token(&self) -> Option<&crate::StoredToken> {
        match self {
            Error::Unsaved { token, .. } => Some(token),
            _ => None,
        }
    }

    /// A copy of this error for the threads that waited for the same failed attempt: the same
    /// variant and message; causes that cannot be cloned (an `io::Error`, a boxed error) are
    /// carried as their kind and text.
    pub(crate) fn duplicate(&self) -> Error {
        let io = |e: &io::Error| io::Error::new(e.kind(), e.to_string());
        let boxed = |e: &BoxError| -> BoxError { e.to_string().into() };
        match self {
            Error::NoClientId => Error::NoClientId,
            Error::NoClientSecret => Error::NoClientSecret,
            Error::InvalidSetting { setting, reason } => Error::InvalidSetting {
                setting,
                reason: reason.clone(),
            },
            Error::Unreachable {
                step,
                reason,
                source,
            } => Error::Unreachable {
                step: *step,
                reason,
                source: boxed(source),
            },
            Error::Status {
                step,
                status,
                message,
                retry_after,
            } => Error::Status {
                step: *step,
                status: *status,
                message: message.clone(),
                retry_after: *retry_after,
            },
            Error::InvalidResponse { step, detail } => Error::InvalidResponse {
                step: *step,
                detail: detail.clone(),
            },
            Error::PortInUse {
                addr,
                redirect_url,
                source,
            } => Error::PortInUse {
                addr: *addr,
                redirect_url: redirect_url.clone(),
                source: io(source),
            },
            Error::Listen { addr, source } => Error::Listen {
                addr: *addr,
                source: io(source),
            },
            Error::Denied { description } => Error::Denied {
                description: description.clone(),
            },
            Error::RedirectMismatch { redirect_url } => Error::RedirectMismatch {
                redirect_url: redirect_url.clone(),
            },
            Error::LoginFailed { error, description } => Error::LoginFailed {
                error: error.clone(),
                description: description.clone(),
            },
            Error::LoginTimedOut {
                after,
                redirect_url,
            } => Error::LoginTimedOut {
                after: *after,
                redirect_url: redirect_url.clone(),
            },
            Error::InvalidScope { scope } => Error::InvalidScope {
                scope: scope.clone(),
            },
            Error::MissingScopes { missing } => Error::MissingScopes {
                missing: missing.clone(),
            },
            Error::NotUserToken => Error::NotUserToken,
            Error::WrongClient { token_client_id } => Error::WrongClient {
                token_client_id: token_client_id.clone(),
            },
            Error::NewTokenRejected => Error::NewTokenRejected,
            Error::Generator { source } => Error::Generator {
                source: boxed(source),
            },
            Error::Randomness { source } => Error::Randomness {
                source: boxed(source),
            },
            Error::File {
                path,
                action,
                source,
            } => Error::File {
                path: path.clone(),
                action: *action,
                source: io(source),
            },
            Error::LockTimedOut { path, after } => Error::LockTimedOut {
                path: path.clone(),
                after: *after,
            },
            Error::StoreChanged { stored_login } => Error::StoreChanged {
                stored_login: stored_login.clone(),
            },
            Error::Store { source } => Error::Store {
                source: boxed(source),
            },
            Error::StoreUnavailable { store, reason } => Error::StoreUnavailable {
                store: store.clone(),
                reason: reason.clone(),
            },
            Error::LoginRequired => Error::LoginRequired,
            Error::LoginDisabled => Error::LoginDisabled,
            Error::LoginCancelled => Error::LoginCancelled,
            Error::LoginElsewhere { after } => Error::LoginElsewhere { after: *after },
            Error::DeviceCodeExpired { after } => Error::DeviceCodeExpired { after: *after },
            Error::InvalidAppSetting { setting, reason } => Error::InvalidAppSetting {
                setting,
                reason: reason.clone(),
            },
            Error::InvalidCredentials {
                step,
                setting,
                from_env,
            } => Error::InvalidCredentials {
                step: *step,
                setting,
                from_env: *from_env,
            },
            Error::LoggedOut { by_this_handle } => Error::LoggedOut {
                by_this_handle: *by_this_handle,
            },
            Error::Unsaved {
                token,
                save,
                validation,
            } => Error::Unsaved {
                token: token.clone(),
                save: Box::new(save.duplicate()),
                validation: Box::new(validation.duplicate()),
            },
        }
    }

    /// The same error, as it happened at `step` (a validation of a pair just saved).
    pub(crate) fn at_step(mut self, new_step: Step) -> Error {
        if let Error::Unreachable { step, .. }
        | Error::Status { step, .. }
        | Error::InvalidResponse { step, .. }
        | Error::InvalidCredentials { step, .. } = &mut self
        {
            *step = new_step;
        }
        self
    }

    /// The request to the auth server this error happened in, if any.
    pub fn step(&self) -> Option<Step> {
        match self {
            Error::Unreachable { step, .. }
            | Error::Status { step, .. }
            | Error::InvalidResponse { step, .. }
            | Error::InvalidCredentials { step, .. } => Some(*step),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoClientId => {
                f.write_str("no client id: pass one to Helper::client_id or set TWITCH_CLIENT_ID")
            }
            Error::NoClientSecret => f.write_str(
                "the browser login needs a client secret: pass one to Helper::client_secret or \
                 set TWITCH_CLIENT_SECRET, or log in another way (Helper::generator)",
            ),
            Error::InvalidSetting { setting, reason } => {
                write!(f, "invalid Helper::{setting}: {reason}")
            }
            Error::Unreachable { step, reason, .. } => write!(
                f,
                "could not reach the Twitch auth server while {step} ({reason}); {}, try again \
                 later",
                file_fate(*step)
            ),
            Error::Status {
                step,
                status,
                message,
                retry_after,
            } => {
                write!(f, "the Twitch auth server answered {status}")?;
                if !message.is_empty() {
                    write!(f, " {message:?}")?;
                }
                write!(f, " while {step}")?;
                if self.is_transient() {
                    write!(f, "; {}, try again later", file_fate(*step))?;
                    if let Some(wait) = retry_after {
                        write!(f, " (in {} s, the server asks)", wait.as_secs())?;
                    }
                }
                Ok(())
            }
            Error::InvalidResponse { step, detail } => write!(
                f,
                "unexpected answer from the Twitch auth server while {step}: {detail}; {}",
                file_fate(*step)
            ),
            Error::PortInUse {
                addr, redirect_url, ..
            } => write!(
                f,
                "cannot listen on {addr} for the login redirect: port in use; stop the program \
                 holding it, or register another redirect URL than {redirect_url} in the Twitch \
                 developer console and pass it to Helper::redirect_url"
            ),
            Error::Listen { addr, source } => {
                write!(
                    f,
                    "cannot listen on {addr} for the login redirect: {source}"
                )
            }
            Error::Denied { description } => write!(
                f,
                "log in again, and choose Authorize at Twitch: the login was declined \
                 ({description})"
            ),
            Error::RedirectMismatch { redirect_url } => write!(
                f,
                "Twitch does not know the redirect URL {redirect_url}: add it, exactly as \
                 written, to the app's OAuth Redirect URLs in the Twitch developer console"
            ),
            Error::LoginFailed { error, description } => write!(
                f,
                "log in again, or later if it fails again: the Twitch login failed: {error} \
                 ({description})"
            ),
            // The person at the keyboard first, then the causes in the order they are likely,
            // then the developer's setting.
            Error::LoginTimedOut {
                after,
                redirect_url: Some(redirect_url),
            } => write!(
                f,
                "log in again, and finish in the browser: no login came back within {} s; if \
                 the Twitch page showed an error, the app's client id or its redirect URL \
                 {redirect_url} is not registered for the app (add the URL, exactly as written, \
                 to the app's OAuth Redirect URLs in the Twitch developer console); if no page \
                 opened, open the login URL shown yourself; allow more time with \
                 Helper::login_timeout",
                after.as_secs()
            ),
            Error::LoginTimedOut {
                after,
                redirect_url: None,
            } => write!(
                f,
                "log in again, and enter the code sooner: no login came back within {} s; allow \
                 more time with Helper::login_timeout",
                after.as_secs()
            ),
            Error::InvalidScope { scope } => {
                write!(f, "the Twitch login refused the scope {scope:?} as invalid")?;
                let helper = "the scopes given to the Helper";
                if let Some(near) = crate::unknown_scope::nearest_known(scope) {
                    let near = near.as_str();
                    write!(
                        f,
                        ", perhaps a misspelling of {near:?}: correct it in {helper}"
                    )
                } else if Scope::from(scope.as_str()).is_deprecated() {
                    write!(f, ": Twitch no longer grants it, leave it out of {helper}")
                } else {
                    let list = crate::unknown_scope::SCOPES_URL;
                    write!(
                        f,
                        ": check its spelling against {list}, or leave it out of {helper}"
                    )
                }
            }
            Error::MissingScopes { missing } => {
                f.write_str(
                    "log in again, and allow every permission the app asks for: the requested \
                     scopes were not granted:",
                )?;
                for scope in missing {
                    write!(f, " {scope}")?;
                }
                Ok(())
            }
            Error::NotUserToken => f.write_str(
                "the new token has no user: it is an app access token, and a user token is needed",
            ),
            Error::WrongClient { token_client_id } => write!(
                f,
                "the new token was issued to another app (client id {token_client_id}) than the \
                 one configured"
            ),
            Error::NewTokenRejected => {
                f.write_str("the Twitch auth server says the token just obtained is invalid")
            }
            Error::Generator { source } => write!(f, "the token generator failed: {source}"),
            Error::Randomness { .. } => {
                f.write_str("the operating system gave no randomness for the login state")
            }
            // The lock file is ours, not the user's: the message speaks of the token file.
            Error::File {
                path,
                action: FileAction::Lock,
                source,
            } => write!(
                f,
                "could not use the token file {}: {source}",
                path.display()
            ),
            Error::File {
                path,
                action,
                source,
            } => write!(
                f,
                "could not {action} the token file {}: {source}",
                path.display()
            ),
            Error::LockTimedOut { path, after } => write!(
                f,
                "another process held the token file's lock {} for more than {} s (it may be \
                 stopped or hung); nothing was changed, try again when it has finished, or \
                 allow more time with Helper::lock_timeout",
                path.display(),
                after.as_secs()
            ),
            Error::StoreChanged {
                stored_login: Some(login),
            } => write!(
                f,
                "another program replaced the stored token with {login}'s; call bind() again \
                 to use it or to log in"
            ),
            Error::StoreChanged { stored_login: None } => f.write_str(
                "another program removed the stored token (a log out?); call bind() again to \
                 log in",
            ),
            Error::Store { source } => write!(f, "the token store failed: {source}"),
            Error::StoreUnavailable { store, reason } => {
                write!(
                    f,
                    "the token store at {store} could not be reached: {reason}"
                )
            }
            Error::LoginRequired => f.write_str(
                "log in again: Twitch no longer accepts this login (it rejects the token and its \
                 refresh token: the app was disconnected, or the password changed)",
            ),
            Error::LoginElsewhere { after } => write!(
                f,
                "finish the login in the other program, then try again: another program was \
                 logging in to this token store for {} s, the whole wait (Helper::login_timeout)",
                after.as_secs()
            ),
            Error::LoginCancelled => f.write_str(
                "log in again when you are ready: the login was cancelled (CancelLogin::cancel), \
                 and nothing was saved",
            ),
            Error::LoginDisabled => f.write_str(
                "no usable stored token, and this program may not log in (Helper::no_login): \
                 log in once with another program (for example the token example) on the same \
                 token file, then run again",
            ),
            Error::DeviceCodeExpired { after } => write!(
                f,
                "log in again, and enter the new code in time: the code expired after {} s \
                 without being entered",
                after.as_secs()
            ),
            Error::InvalidAppSetting { reason, .. } => {
                write!(f, "cannot get an app access token: {reason}")
            }
            Error::LoggedOut {
                by_this_handle: true,
            } => f.write_str(
                "this token was logged out (UserToken::revoke); call bind() again to log in",
            ),
            Error::LoggedOut {
                by_this_handle: false,
            } => f.write_str(
                "this token was logged out elsewhere (by another program, or another handle of \
                 this one); call bind() again to log in",
            ),
            Error::Unsaved {
                save, validation, ..
            } => write!(
                f,
                "a new token pair was obtained but could not be saved ({save}) nor validated \
                 ({validation}); it is kept only in this error (Error::unsaved_token): store it \
                 once the store works, or it is lost"
            ),
            Error::InvalidCredentials {
                step,
                setting: "client_secret",
                from_env,
            } => {
                let (builder, origin) = (builder_of(*step), origin(*from_env, "SECRET"));
                write!(
                    f,
                    "the client secret {origin} was rejected (403 invalid client secret) while \
                     {step}: pass the app's current secret from the Twitch developer console to \
                     {builder}::client_secret or set TWITCH_CLIENT_SECRET"
                )?;
                if *from_env && *step != Step::RequestAppToken {
                    f.write_str(
                        "; a Public client has no secret: unset TWITCH_CLIENT_SECRET or call \
                         Helper::public_client",
                    )?;
                }
                Ok(())
            }
            Error::InvalidCredentials { step, from_env, .. } => {
                let origin = origin(*from_env, "ID");
                write!(
                    f,
                    "the client id {origin} was rejected (400 invalid client) while {step}: pass \
                     the id shown in the Twitch developer console to {}::client_id or set \
                     TWITCH_CLIENT_ID",
                    builder_of(*step)
                )?;
                if *step == Step::RequestAppToken {
                    // The same answer as for an unknown id, so both causes are named.
                    f.write_str(
                        "; if it is right, the app is a Public client, which cannot get app \
                         access tokens: use a Confidential app's credentials",
                    )?;
                }
                if *step == Step::CheckCredentials {
                    f.write_str(
                        "; if it is right, the app is a Public client, which cannot use the \
                         browser login: use Helper::device_flow and Helper::public_client \
                         (nobody was sent to log in)",
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Where a credential came from, for a refusal's message: `(from TWITCH_CLIENT_SECRET)` or
/// `(given to the builder)`.
fn origin(from_env: bool, what: &str) -> String {
    if from_env {
        format!("(from TWITCH_CLIENT_{what})")
    } else {
        "(given to the builder)".to_owned()
    }
}

/// The builder whose settings a request of `step` was made with.
fn builder_of(step: Step) -> &'static str {
    match step {
        Step::RequestAppToken | Step::ValidateApp | Step::RevokeApp => "AppTokenBuilder",
        _ => "Helper",
    }
}

/// What a failed request left in the token store, said truly: only a validation of a pair just
/// obtained comes after a save.
fn file_fate(step: Step) -> &'static str {
    match step {
        Step::ValidateNew => "the new pair was saved first",
        // App tokens are kept in memory only: there is no file to speak of.
        Step::RequestAppToken => "no new app token was obtained",
        Step::ValidateApp => "the app token is kept",
        Step::RevokeApp => "the app token was not revoked",
        Step::CheckCredentials => "nobody was sent to log in, and the token file was not changed",
        _ => "the token file was not changed",
    }
}

/// The cause is in `source()` or in the message, never both (a chain printer would show it
/// twice): in the message where it is the useful part (what a generator, a store or the file
/// system said), in `source()` where a few words say it already (`Unreachable`'s reason).
impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Unreachable { source, .. } | Error::Randomness { source } => {
                Some(source.as_ref())
            }
            Error::PortInUse { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static_and_small() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
        assert!(
            std::mem::size_of::<Error>() <= 80,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn messages_are_lowercase_fragments() {
        let errors = [
            Error::NoClientId,
            Error::NoClientSecret,
            Error::Status {
                step: Step::Refresh,
                status: 502,
                message: String::new(),
                retry_after: None,
            },
            Error::LoginTimedOut {
                after: Duration::from_secs(300),
                redirect_url: Some("http://localhost:17563".to_owned()),
            },
            Error::LoginTimedOut {
                after: Duration::from_secs(300),
                redirect_url: None,
            },
            Error::DeviceCodeExpired {
                after: Duration::from_secs(1800),
            },
            Error::Denied {
                description: "The user denied you access".to_owned(),
            },
            Error::MissingScopes {
                missing: vec![Scope::ChatEdit],
            },
            Error::InvalidScope {
                scope: "chat:reed".to_owned(),
            },
            Error::InvalidAppSetting {
                setting: "client_secret",
                reason: "no client secret".into(),
            },
            Error::InvalidCredentials {
                step: Step::RequestAppToken,
                setting: "client_secret",
                from_env: true,
            },
            Error::InvalidCredentials {
                step: Step::RequestAppToken,
                setting: "client_id",
                from_env: false,
            },
        ];
        for err in errors {
            let text = err.to_string();
            assert!(!text.ends_with('.'), "{text}");
            assert!(!text.starts_with(char::is_uppercase), "{text}");
        }
    }

    /// The messages a player may read say first what to do, in words for them; what happened
    /// comes after the colon, and the developer's setting last.
    #[test]
    fn login_messages_say_first_what_the_person_should_do() {
        let browser = Error::LoginTimedOut {
            after: Duration::from_secs(300),
            redirect_url: Some("http://localhost:17563".to_owned()),
        };
        let device = Error::LoginTimedOut {
            after: Duration::from_secs(300),
            redirect_url: None,
        };
        let expired = Error::DeviceCodeExpired {
            after: Duration::from_secs(1800),
        };
        let denied = Error::Denied {
            description: "The user denied you access".to_owned(),
        };
        let cases = [
            (&browser, "log in again, and finish in the browser"),
            (&device, "log in again, and enter the code sooner"),
            (&expired, "log in again, and enter the new code in time"),
            (&denied, "log in again, and choose Authorize at Twitch"),
            (
                &Error::MissingScopes {
                    missing: vec![Scope::ChatEdit],
                },
                "log in again, and allow every permission the app asks for",
            ),
            (&Error::LoginRequired, "log in again"),
            (&Error::LoginCancelled, "log in again when you are ready"),
            (
                &Error::LoginElsewhere {
                    after: Duration::from_secs(300),
                },
                "finish the login in the other program, then try again",
            ),
            (
                &Error::LoginFailed {
                    error: "server_error".to_owned(),
                    description: "Try again".to_owned(),
                },
                "log in again, or later if it fails again",
            ),
        ];
        for (err, first) in cases {
            let text = err.to_string();
            let sentence = text.split([':', ';']).next().unwrap_or_default();
            assert_eq!(sentence, first, "{text}");
            let developer = text.find("Helper::").unwrap_or(text.len());
            assert!(developer > text.find(':').unwrap_or(0), "{text}");
        }
        // The browser login's causes, in order: an error page (naming the URL to register),
        // then no page at all, then the setting.
        let text = browser.to_string();
        let at = |part: &str| {
            text.find(part)
                .unwrap_or_else(|| panic!("{part:?} in {text}"))
        };
        assert!(
            at("showed an error") < at("http://localhost:17563"),
            "{text}"
        );
        assert!(
            at("http://localhost:17563") < at("no page opened"),
            "{text}"
        );
        assert!(at("no page opened") < at("Helper::login_timeout"), "{text}");
        assert!(!device.to_string().contains("redirect URL"), "{device}");
    }

    #[test]
    fn transient_only_for_server_side_trouble() {
        let status = |status| Error::Status {
            step: Step::Validate,
            status,
            message: String::new(),
            retry_after: None,
        };
        let cases = [
            (status(502), true),
            (status(500), true),
            (status(429), true),
            (status(403), false),
            (status(400), false),
        ];
        for (err, want) in cases {
            assert_eq!(err.is_transient(), want, "{err}");
        }
    }
}
