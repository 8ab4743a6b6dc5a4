//! A fake id.twitch.tv, in-process, for testing your own app without Twitch.
//!
//! [`FakeTwitch::start`] listens on `127.0.0.1` on a free port and answers the five identity
//! endpoints (`authorize`, `token`, `validate`, `revoke`, `device`) with Twitch's own status codes
//! and bodies. Give [`FakeTwitch::url`] to `Helper::auth_base_url`, log in with
//! [`FakeTwitch::client_id`] and [`FakeTwitch::client_secret`], and your app talks to the fake
//! instead of Twitch. Nothing leaves loopback. It also answers Helix's `GET users` at
//! [`FakeTwitch::helix_url`], where your app's Helix calls go instead of
//! `https://api.twitch.tv/helix/`, so that what the app does with a Helix 401 can be tested too.
//!
//! Tests steer it through knobs on [`FakeTwitch`]: what the login page does ([`Authorize`]),
//! which scopes are granted, token lifetimes, expired or revoked tokens, a Public app with
//! single-use refresh tokens ([`FakeTwitch::set_public`]), the device flow's pending and
//! `slow_down` polls, interval and expiry, scopes refused as Twitch refuses a misspelled one
//! ([`FakeTwitch::set_reject_unknown_scopes`]), and socket-level [`Fault`]s (an HTML 502, a hang,
//! a dropped connection).
//! [`FakeTwitch::requests`] shows what your app sent, so a test can check that no secret went
//! into a URL. [`browse()`] plays the user's browser for the authorization-code flow.
//!
//! # Example
//!
//! ```
//! use twitch_auth::mock::FakeTwitch;
//! use twitch_auth::{Helper, Outcome, Scope};
//!
//! let fake = FakeTwitch::start()?;
//! // As if the user had logged in elsewhere: a live token pair for the fake's app.
//! let grant = fake.grant(&["chat:read"]);
//! let dir = std::env::temp_dir().join(format!("twitch-auth-mock-doc-{}", std::process::id()));
//! let helper = Helper::new([Scope::ChatRead])
//!     .client_id(fake.client_id())
//!     .client_secret(fake.client_secret())
//!     .auth_base_url(fake.url())
//!     .path(dir.join("token.json"))
//!     .generator(move |_, _| Ok(grant.clone()));
//!
//! assert_eq!(helper.bind()?.outcome(), Outcome::Generated);
//! assert_eq!(helper.bind()?.outcome(), Outcome::Reused);
//! fake.expire_access_tokens();
//! assert_eq!(helper.bind()?.outcome(), Outcome::Refreshed);
//!
//! // What the app sent: validate (new token), validate (reuse), validate + refresh.
//! let targets: Vec<String> = fake.requests().iter().map(|r| r.target().to_owned()).collect();
//! assert_eq!(targets.len(), 4);
//! assert!(targets.iter().all(|t| !t.contains(fake.client_secret())));
//! std::fs::remove_dir_all(dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Several processes
//!
//! A crate cannot run another crate's examples, so `examples/fake_server` is no use to your
//! tests; start the fake in the test instead, and run your program as a child process pointed
//! at it. [`FakeTwitch::env`] lists the environment variables that give the child the fake's
//! app (`TWITCH_CLIENT_ID`, `TWITCH_CLIENT_SECRET`); the URLs ([`FakeTwitch::url`],
//! [`FakeTwitch::helix_url`]) go by your program's own options, since no variable moves
//! `Helper` off id.twitch.tv. The fake answers as long as the test holds it, every child's
//! requests land in the one log, and the test can follow a child's login URL with [`browse()`].
//! An integration test finds its crate's binaries at `env!("CARGO_BIN_EXE_<name>")`; a library
//! can run its own test executable again (`std::env::current_exe()`, with the test's name as
//! the filter) as the child.
//!
//! ```no_run
//! use std::process::Command;
//! use twitch_auth::mock::{Endpoint, FakeTwitch};
//!
//! let fake = FakeTwitch::start()?;
//! let bot = "target/debug/my-bot"; // in an integration test: env!("CARGO_BIN_EXE_my-bot")
//! let status = Command::new(bot)
//!     .env_remove("TWITCH_CLIENT_SECRET")
//!     .envs(fake.env())
//!     .args(["--auth-base-url", &fake.url(), "--helix-url", &fake.helix_url()])
//!     .status()?;
//! assert!(status.success());
//! // What the bot sent: here, that it validated its token, as Twitch requires at start.
//! assert!(fake.requests().iter().any(|r| r.endpoint() == Some(Endpoint::Validate)));
//! # Ok::<(), std::io::Error>(())
//! ```

mod app_tokens;
mod authorize;
mod browse;
mod device;
mod fault;
mod helix;
mod log;
mod routes;
mod scopes;
mod server;
mod state;
#[cfg(test)]
pub(crate) mod testing;
mod token;

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use authorize::Authorize;
pub use browse::{BrowseError, Page, browse, browse_in_background};
pub use fault::Fault;
pub use log::Request;
pub use routes::Endpoint;

use state::Shared;

/// A running fake id.twitch.tv with one registered app and one user.
///
/// Dropping it stops the server: the listening thread is joined, and connection threads that
/// are waiting in a [`Fault::Delay`] give up within a few milliseconds.
pub struct FakeTwitch {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeTwitch {
    /// Starts the fake on 127.0.0.1 on an ephemeral port.
    ///
    /// # Errors
    ///
    /// Fails when no loopback socket can be bound or the server thread cannot be spawned.
    pub fn start() -> io::Result<FakeTwitch> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new());
        let acceptor = thread::Builder::new()
            .name(format!("fake-twitch-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                move || server::serve(&listener, &shared)
            })?;
        Ok(FakeTwitch {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Base URL to give `Helper::auth_base_url`, e.g. `http://127.0.0.1:41234/oauth2/`.
    ///
    /// It ends with a slash, so endpoint names can be appended.
    pub fn url(&self) -> String {
        format!("http://{}/oauth2/", self.addr)
    }

    /// Base URL of the fake's Helix, e.g. `http://127.0.0.1:41234/helix/`: where your app sends
    /// the Helix calls it sends to `https://api.twitch.tv/helix/` in production.
    ///
    /// The same server as [`url`](Self::url) serves it, and its requests are logged
    /// ([`Endpoint::Helix`]) and faulted like the others. It answers `GET users` with the
    /// users the fake knows, as Helix does: 200 with the token's user for a live token sent as
    /// `Authorization: Bearer <token>` beside the token's app in `Client-Id`, and 401
    /// `{"error":"Unauthorized","status":401,"message":".."}` otherwise, with the message
    /// `Invalid OAuth token` (unknown, expired or revoked), `Client ID and OAuth token do not
    /// match`, `Client ID is missing` or `OAuth token is missing` (no `Bearer` token; Helix
    /// refuses the `OAuth` scheme that validate takes). `?id=` and `?login=` name other users;
    /// `email` is there for the token's user when it has `user:read:email`.
    ///
    /// It ends with a slash, so endpoint names can be appended.
    ///
    /// # Example
    ///
    /// ```
    /// use twitch_auth::mock::FakeTwitch;
    ///
    /// let fake = FakeTwitch::start()?;
    /// let grant = fake.grant(&["user:read:email"]);
    /// let agent: ureq::Agent = ureq::Agent::config_builder()
    ///     .http_status_as_error(false)
    ///     .proxy(None) // loopback: no proxy from the environment
    ///     .build()
    ///     .into();
    /// let call = |client_id: &str| {
    ///     agent
    ///         .get(format!("{}users", fake.helix_url()))
    ///         .header("Authorization", format!("Bearer {}", grant.access_token))
    ///         .header("Client-Id", client_id)
    ///         .call()
    /// };
    /// let body = call(fake.client_id())?.into_body().read_to_string()?;
    /// assert!(body.contains(r#""login":"fakeuser""#), "{body}");
    /// assert_eq!(call("another-app")?.status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn helix_url(&self) -> String {
        format!("http://{}/helix/", self.addr)
    }

    /// The address the fake listens on (always on 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Client id of the one registered app: `fake-client-id`.
    pub fn client_id(&self) -> &str {
        state::CLIENT_ID
    }

    /// Client secret of the one registered app: `fake-client-secret`.
    ///
    /// The app is Confidential by default: code exchange and refresh require this secret. After
    /// [`FakeTwitch::set_public`] it has none, and a request that sends one is refused.
    pub fn client_secret(&self) -> &str {
        state::CLIENT_SECRET
    }

    /// The environment variables a child process needs to log in as the fake's app:
    /// `TWITCH_CLIENT_ID`, and `TWITCH_CLIENT_SECRET` unless the app is Public
    /// ([`set_public`](Self::set_public)). They are the ones `Helper` and `AppToken` read.
    ///
    /// For tests of programs: the test starts the fake and keeps it, starts the program with
    /// these variables, and reads the fake's [`requests`](Self::requests) and tokens after. The
    /// fake's URL is not among them, because no variable moves `Helper` off id.twitch.tv: it
    /// takes [`url`](Self::url) only through `Helper::auth_base_url`, so hand the URL (and
    /// [`helix_url`](Self::helix_url)) to the program your own way, as an argument like the
    /// `token` example's `--auth-base-url`. Remove `TWITCH_CLIENT_SECRET` from the child's
    /// environment when it is not in the list, or the child inherits one of yours.
    ///
    /// # Example
    ///
    /// ```
    /// use std::process::Command;
    /// use twitch_auth::mock::FakeTwitch;
    ///
    /// let fake = FakeTwitch::start()?;
    /// let env = fake.env();
    /// let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
    /// assert_eq!(names, ["TWITCH_CLIENT_ID", "TWITCH_CLIENT_SECRET"]);
    ///
    /// // In an integration test of your own binary `my-bot`: env!("CARGO_BIN_EXE_my-bot").
    /// let mut bot = Command::new("my-bot");
    /// bot.env_remove("TWITCH_CLIENT_SECRET")
    ///     .envs(fake.env())
    ///     .args(["--auth-base-url", &fake.url(), "--helix-url", &fake.helix_url()]);
    /// // bot.status()? … then check fake.requests() and the token file.
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![("TWITCH_CLIENT_ID".to_owned(), state::CLIENT_ID.to_owned())];
        if !self.shared.lock().public {
            env.push((
                "TWITCH_CLIENT_SECRET".to_owned(),
                state::CLIENT_SECRET.to_owned(),
            ));
        }
        env
    }

    /// Login name of the one user: `fakeuser`.
    pub fn login(&self) -> &str {
        state::LOGIN
    }

    /// User id of the user every login and grant is for (but those of
    /// [`grant_for_another_user`](Self::grant_for_another_user)): `141981764`.
    pub fn user_id(&self) -> &str {
        state::USER_ID
    }

    /// Login name of a second user, `otheruser`, whose tokens only
    /// [`grant_for_another_user`](Self::grant_for_another_user) mints: to test a token file
    /// that another program filled with another account's token.
    pub fn other_login(&self) -> &str {
        state::OTHER_LOGIN
    }

    /// Mints a user token pair for the registered app, as if the second user
    /// ([`other_login`](Self::other_login)) had logged in; its refreshes stay that user's.
    pub fn grant_for_another_user<S: AsRef<str>>(&self, scopes: &[S]) -> Grant {
        let scopes = scopes.iter().map(|s| s.as_ref().to_owned()).collect();
        let minted = self.shared.lock().mint_other_user(state::CLIENT_ID, scopes);
        Grant {
            access_token: minted.access_token,
            refresh_token: minted.refresh_token,
        }
    }

    /// Who logs in on the authorize page from now on: the second user
    /// ([`other_login`](Self::other_login)) when `true`, the first (the default) when `false`.
    /// For a service that many streamers connect to.
    pub fn set_other_user_logs_in(&self, other: bool) {
        self.shared.lock().other_user_logs_in = other;
    }

    /// What the authorize page does with the next logins, and what a person does with the next
    /// device logins ([`Authorize::Deny`] declines them too).
    ///
    /// Defaults to [`Authorize::Approve`].
    pub fn set_authorize(&self, mode: Authorize) {
        self.shared.lock().authorize = mode;
    }

    /// Scopes granted when the user approves (authorize page or device flow).
    ///
    /// `None` grants exactly the requested scopes; `Some` grants the given ones instead, for
    /// testing an app that did not get what it asked for. Defaults to `None`.
    pub fn set_granted_scopes(&self, scopes: Option<Vec<String>>) {
        self.shared.lock().granted_scopes = scopes;
    }

    /// Lifetime in seconds of newly minted user access tokens.
    ///
    /// `None` mints legacy tokens that never expire: token answers omit `expires_in` and
    /// validate says `expires_in: 0`. Defaults to `Some(14124)`, as Twitch answers.
    pub fn set_expires_in(&self, secs: Option<u64>) {
        self.shared.lock().expires_in = secs;
    }

    /// Lifetime in seconds of newly minted app access tokens (by `grant_type=client_credentials`
    /// or [`FakeTwitch::app_token`]).
    ///
    /// `None` mints tokens that never expire: token answers omit `expires_in` and validate says
    /// `expires_in: 0`. Defaults to `Some(5184000)`, 60 days, about what Twitch gives.
    ///
    /// ```
    /// use twitch_auth::AppToken;
    /// use twitch_auth::mock::FakeTwitch;
    ///
    /// let fake = FakeTwitch::start()?;
    /// fake.set_app_token_expires_in(Some(30)); // inside the default 60 s refresh margin
    /// let token = AppToken::builder()
    ///     .client_id(fake.client_id())
    ///     .client_secret(fake.client_secret())
    ///     .auth_base_url(fake.url())
    ///     .build()?;
    /// token.access_token()?; // due already: a new one is requested
    /// assert_eq!(fake.requests().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_app_token_expires_in(&self, secs: Option<u64>) {
        self.shared.lock().app_expires_in = secs;
    }

    /// Makes the registered app Public (`true`) or Confidential (`false`, the default).
    ///
    /// A Public app has no secret: a refresh or device poll that sends `client_secret` (even
    /// empty) gets 400 `invalid client secret`, and the code exchange and app token requests
    /// (`client_credentials`) are refused with 400 `invalid client`. Its refresh tokens are
    /// single use: presenting a spent one revokes the whole grant, that is every access and
    /// refresh token descending from the same login, as Twitch may do (issue #903). Applies to
    /// tokens already minted too.
    pub fn set_public(&self, public: bool) {
        self.shared.lock().public = public;
    }

    /// Whether scopes this crate does not know are refused, as Twitch refuses a misspelled one.
    ///
    /// When on, a request naming one is refused and nothing is issued:
    /// - the authorize page redirects back with `error=invalid_scope` and
    ///   `error_description=invalid scope requested: '<scope>'` (and the `state`), checked after
    ///   the redirect URI and before the user is asked;
    /// - `POST device` answers 400 `{"status":400,"message":"invalid scope requested: '<scope>'"}`;
    /// - `POST token` answers the same to a request with a `scope` field naming one (Twitch has
    ///   answered so to a refresh, although it otherwise ignores that field there).
    ///
    /// `<scope>` is the first unknown scope of the request. Defaults to `false`: every scope
    /// string is granted as asked.
    ///
    /// Deprecated scopes (`Scope::is_deprecated`, which `bind()` warns Twitch no longer grants)
    /// are granted either way: they count as known, since Twitch does not document how it
    /// answers each of them. A test of an app that must not ask for them checks the warning, not
    /// the fake's answer.
    pub fn set_reject_unknown_scopes(&self, reject: bool) {
        self.shared.lock().reject_unknown_scopes = reject;
    }

    /// How many device-flow polls answer `authorization_pending` before the user approves.
    ///
    /// Read when a device code is issued, so set it before the app calls `device`.
    /// Defaults to 0: the first poll (after any `slow_down` ones) gets the token.
    pub fn set_device_pending_polls(&self, n: u32) {
        self.shared.lock().device.pending_polls = n;
    }

    /// How many device-flow polls answer 400 `slow_down` first, before the pending ones.
    ///
    /// Twitch does not document `slow_down`; RFC 8628 says to add 5 s to the interval on it.
    /// Read when a device code is issued, so set it before the app calls `device`.
    /// Defaults to 0.
    pub fn set_device_slow_down_polls(&self, n: u32) {
        self.shared.lock().device.slow_down_polls = n;
    }

    /// The `interval` (seconds between polls) in the device answer.
    ///
    /// Defaults to 5, as Twitch answers; 0 is allowed, and tests usually want 0 or 1. The fake
    /// does not enforce it: check the spacing with [`Request::received_at`].
    pub fn set_device_interval(&self, secs: u64) {
        self.shared.lock().device.interval = secs;
    }

    /// The lifetime in seconds of device codes: the device answer's `expires_in`.
    ///
    /// A device code older than this answers every poll with 400 `invalid device code`.
    /// Unlike the other device knobs it is read at every poll, so setting 0 also expires the
    /// codes already issued. Defaults to 1800, as Twitch answers.
    pub fn set_device_expires_in(&self, secs: u64) {
        self.shared.lock().device.expires_in = secs;
    }

    /// Mints a user token pair for the registered app, as if the user had logged in earlier.
    /// Takes the scopes a generator receives (`&[Scope]`) as well as strings.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use twitch_auth::{Helper, Scope, mock::FakeTwitch};
    ///
    /// let fake = Arc::new(FakeTwitch::start()?);
    /// let minter = Arc::clone(&fake);
    /// let dir = std::env::temp_dir().join(format!("twitch-auth-grant-{}", std::process::id()));
    /// let token = Helper::new([Scope::ChatRead])
    ///     .client_id(fake.client_id())
    ///     .auth_base_url(fake.url())
    ///     .path(dir.join("user_token.json"))
    ///     .generator(move |_, scopes| Ok(minter.grant(scopes)))
    ///     .bind()?;
    /// assert_eq!(token.login(), fake.login());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grant<S: AsRef<str>>(&self, scopes: &[S]) -> Grant {
        self.grant_for_client(state::CLIENT_ID, scopes)
    }

    /// Mints a user token pair for another app, to test "this token belongs to another app".
    ///
    /// Validate reports `client_id`; refreshing it with the registered app's credentials fails
    /// with `Invalid refresh token`, and revoke accepts `client_id` from then on.
    pub fn grant_for_client<S: AsRef<str>>(&self, client_id: &str, scopes: &[S]) -> Grant {
        let scopes = scopes.iter().map(|s| s.as_ref().to_owned()).collect();
        let minted = self.shared.lock().mint_user(client_id, scopes);
        Grant {
            access_token: minted.access_token,
            refresh_token: minted.refresh_token,
        }
    }

    /// Mints an app access token (client credentials, no user) for the registered app, as a
    /// `grant_type=client_credentials` request does.
    ///
    /// Validate answers without `login` and `user_id`, with `scopes: null`. It lives 60 days
    /// (see [`FakeTwitch::set_app_token_expires_in`]) and has no scopes.
    pub fn app_token(&self) -> String {
        self.shared.lock().mint_app()
    }

    /// Makes one access token expired: validate then answers 401 `invalid access token`.
    ///
    /// Its refresh token stays usable. Unknown tokens are ignored.
    pub fn expire_access_token(&self, access_token: &str) {
        self.shared.lock().expire_access(Some(access_token));
    }

    /// Makes every access token minted so far expired (see [`FakeTwitch::expire_access_token`]).
    pub fn expire_access_tokens(&self) {
        self.shared.lock().expire_access(None);
    }

    /// Revokes a refresh token: refreshing with it answers 400 `Invalid refresh token`.
    ///
    /// Its access token stays valid until it expires. Unknown tokens are ignored.
    pub fn revoke_refresh_token(&self, refresh_token: &str) {
        self.shared.lock().revoke_refresh(refresh_token);
    }

    /// How many spent refresh tokens were presented to the token endpoint so far.
    ///
    /// A spent token is one that was live and has been rotated away by a refresh. Counted in
    /// both modes (only a Public app loses its grant for it); revoked or unknown tokens are not.
    pub fn refresh_token_reuses(&self) -> u32 {
        self.shared.lock().refresh_token_reuses
    }

    /// Makes `endpoint` answer with `fault` from its next request until [`FakeTwitch::clear_faults`].
    ///
    /// Replaces any fault already set for that endpoint. Requests are still logged.
    ///
    /// # Example
    ///
    /// ```
    /// use twitch_auth::mock::{Endpoint, FakeTwitch, Fault};
    /// use std::time::Duration;
    ///
    /// let fake = FakeTwitch::start()?;
    /// // A proxy error page instead of JSON: the app must not take it for "token invalid".
    /// fake.fail(Endpoint::Validate, Fault::status(502, "<html>502 Bad Gateway</html>"));
    /// // The next refresh hangs for a minute (or until the fake is dropped).
    /// fake.fail_times(Endpoint::Token, Fault::Delay(Duration::from_secs(60)), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn fail(&self, endpoint: Endpoint, fault: Fault) {
        self.shared.lock().set_fault(endpoint, fault, None);
    }

    /// Makes the next `times` requests to `endpoint` answer with `fault`, then behaves again.
    ///
    /// `times == 0` removes the endpoint's fault.
    pub fn fail_times(&self, endpoint: Endpoint, fault: Fault, times: u32) {
        self.shared.lock().set_fault(endpoint, fault, Some(times));
    }

    /// Removes every fault: all endpoints behave again.
    pub fn clear_faults(&self) {
        self.shared.lock().clear_faults();
    }

    /// Every request received so far, in order, including those answered with a fault.
    ///
    /// Each says when it arrived ([`Request::received_at`]), for checking how an app paces
    /// its device polls or retries.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }
}

impl fmt::Debug for FakeTwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTwitch")
            .field("url", &self.url())
            .field("client_id", &self.client_id())
            .field("login", &self.login())
            .finish_non_exhaustive()
    }
}

impl Drop for FakeTwitch {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The accept thread blocks in accept(); a connection of our own wakes it up to see
        // `stopping`. If even that fails, detach rather than hang the test in join().
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(acceptor) = self.acceptor.take()
            && woke
        {
            let _ = acceptor.join();
        }
    }
}

/// A user token pair minted by [`FakeTwitch::grant`]: a [`TokenPair`](crate::TokenPair), what
/// a [generator](crate::Helper::generator) returns (its refresh token, like the fake's others,
/// contains `+`, `/`, `=` and `%`).
pub type Grant = crate::TokenPair;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_the_credentials_and_a_public_app_has_no_secret() {
        let fake = FakeTwitch::start().unwrap();
        let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
        assert_eq!(
            fake.env(),
            [
                pair("TWITCH_CLIENT_ID", "fake-client-id"),
                pair("TWITCH_CLIENT_SECRET", "fake-client-secret")
            ]
        );
        fake.set_public(true);
        assert_eq!(fake.env(), [pair("TWITCH_CLIENT_ID", "fake-client-id")]);
    }

    #[test]
    fn is_send_sync_and_debug() {
        fn check<T: Send + Sync + 'static>() {}
        check::<FakeTwitch>();
        check::<Request>();
        check::<Fault>();
        let fake = FakeTwitch::start().unwrap();
        let debug = format!("{fake:?}");
        assert!(
            debug.contains(&fake.url()) && !debug.contains(fake.client_secret()),
            "{debug}"
        );
        assert_eq!(fake.addr().ip(), std::net::Ipv4Addr::LOCALHOST);
        assert_eq!(
            (
                fake.client_id(),
                fake.client_secret(),
                fake.login(),
                fake.user_id()
            ),
            (
                "fake-client-id",
                "fake-client-secret",
                "fakeuser",
                "141981764"
            )
        );
    }
}
