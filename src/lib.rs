//! Get a Twitch user access token and keep it usable, from plain blocking Rust: no async runtime.
//!
//! For scripts, game mods and sync programs that need a user token for chat or Helix:
//!
//! ```no_run
//! use twitch_auth::{Helper, Scope};
//!
//! let token = Helper::new([Scope::ChatRead, Scope::ChatEdit]).path("user_token.json").bind()?;
//! println!("logged in as {}", token.login());
//! # Ok::<(), twitch_auth::Error>(())
//! ```
//!
//! # What `bind()` does
//!
//! [`Helper::bind`] reads the token file and, in this order:
//!
//! 1. reuses the stored token if Twitch says it is valid, belongs to this app and user and holds
//!    every requested scope ([`Outcome::Reused`], one request);
//! 2. refreshes it if it has expired, and saves the new pair before returning it
//!    ([`Outcome::Refreshed`], one request when the file knows the expiry);
//! 3. otherwise logs the user in (the browser login, or your own
//!    [generator](Helper::generator)), saves the new pair at once, then validates it
//!    ([`Outcome::Generated`]).
//!
//! A refresh token or a login is spent only once the store is known to be writable, and a pair
//! in hand is never dropped (see [`UserToken::is_saved`]). A request that fails (network down,
//! timeout, 5xx, 429) is an [`Error`] and never a reason to log in again: no login starts, and the
//! message says what happened to the file ([`Error::is_transient`]). The token file's lock is
//! held only around reading, refreshing and saving, never while a person logs in, and waiting
//! for it is bounded ([`Helper::lock_timeout`]).
//!
//! # Logging in
//!
//! The default login is Twitch's authorization-code flow. It needs the app's client secret and
//! its redirect URL (default `http://localhost:17563`) registered in the Twitch developer console.
//! `bind()` listens on that port (loopback only), opens the login page in the browser and shows
//! its URL in case nothing opened (on stderr, or through [`Helper::on_url`]), checks the returned
//! `state`, exchanges the code, and gives up after [`Helper::login_timeout`]. A declined login, a
//! redirect URL Twitch does not know, and a taken port are errors that say what to do.
//!
//! With [`Helper::device_flow`] the user logs in with a device code instead: for machines without
//! a browser and for Public clients, which have no secret.
//!
//! # Keeping the token usable
//!
//! The [`UserToken`] that `bind()` returns is a handle to keep for the life of the program:
//! [`UserToken::access_token`] refreshes it shortly before it expires (one refresh at a time,
//! across threads and processes), [`UserToken::validate_if_due`] validates it hourly as Twitch
//! requires, and [`Error::needs_login`] says when the user must log in again.
//!
//! # App access tokens
//!
//! For Helix calls made as the app rather than as a user (EventSub subscriptions, lookups before
//! anyone has logged in), [`AppToken::builder`] gets an app access token with the app's client id
//! and secret (Confidential apps only). The [`AppToken`] handle requests a new one when it is
//! about to expire or after a reported 401, one request at a time, and keeps it in memory only
//! (its docs say why).
//!
//! # The token file
//!
//! `user_token.json` by default: a JSON object with pyTwitchAPI's keys `token` and `refresh`, so
//! both libraries read each other's file, plus the scopes, expiry, user and client id. It is
//! written atomically (temporary file, fsync, rename) and readable by its owner only. Another
//! [`TokenStore`] (a [`MemoryStore`], a database row) can take its place.
//!
//! # Features
//!
//! - `browser` (default): open the login page with the `webbrowser` crate.
//! - `mock`: `mock::FakeTwitch`, an in-process fake of id.twitch.tv to test your app against.
//!
//! # Secrets
//!
//! Tokens and the client secret are wrapped in types whose `Debug` prints `[redacted]` and that
//! have no `Display`; they travel only in form bodies and the `Authorization` header, never in a
//! URL, and no error message holds one.

//! # Architecture
//!
//! For contributors: one file per concept, and the arrows (imports) point down this list, so a
//! change has one place to go.
//!
//! - `helper.rs`: [`Helper`], the builder, and `bind()`, which reads top to bottom as its five
//!   steps. Calls `login`, `keeper` and the store.
//! - `token.rs`: [`UserToken`], the long-lived handle's public face; `handle.rs` does its
//!   refreshes and save retries under the store's lock, as `model.rs` decides, and `logout.rs`
//!   its log outs. `pacing.rs` decides when a refresh that failed is tried again, and when the
//!   current token is handed out meanwhile (also in RELIABILITY.md).
//! - `model.rs`: the pair model, the table of what the handle holds against what the store
//!   holds, and `decide`, the one function that reads it (also in RELIABILITY.md).
//! - `keeper.rs`: what `bind()` and the handle share: refresh (check the store can be written,
//!   request, save first), validation of a new pair, revoke. Calls `oauth`, the store and
//!   `spent.rs` (the refresh tokens this process spent, and what replaced them).
//! - `login.rs`: step 5, getting a new pair: your generator ([`TokenPair`]), one login at a
//!   time per store. Calls the two flows below, which both take `login_settings.rs`;
//!   `cancel.rs` is [`CancelLogin`], `screen.rs` says whether a browser can be seen here.
//! - `code_flow.rs` (browser login: credential check, URL, listener, code exchange) and
//!   `device_flow.rs` (device code, polling). Call `listener` and `oauth`.
//! - `listener.rs`: the one-shot redirect listener on loopback; `redirect.rs` judges a redirect
//!   and writes the pages; `http1.rs` is the bit of HTTP/1 it shares with the fake.
//! - `oauth.rs`: the only module that speaks HTTP to id.twitch.tv; typed answers. `echo.rs`
//!   says when an error body repeats a secret, so its message is dropped.
//! - `app_token.rs`, `app_token_builder.rs`: [`AppToken`], client credentials. Call `oauth`.
//! - `store/`: where tokens are kept, one file per store. `mod.rs` is [`TokenStore`] and its
//!   lock, `record.rs` [`StoredToken`], `memory.rs` [`MemoryStore`], `file.rs` [`FileStore`]
//!   (the file, its locks, atomic writes) with `token_file.rs`, its format, which never takes a
//!   half-written or unreadable file for "no token". A new store goes there, behind a feature
//!   when it needs a dependency. `retry.rs` is the bounded retry the file store uses.
//! - Leaves, imported by the rest: `app.rs` (client id and secret, endpoints, redirect URL),
//!   `scope.rs` and `unknown_scope.rs` ([`Scope`], [`UnknownScope`]), `secret.rs` (types that
//!   cannot be printed), `data_dir.rs` (the per-user data directory), `error.rs` ([`Error`]).
//! - `mock/` (feature `mock`): the fake id.twitch.tv; `mod.rs` is its whole public face.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod app;
mod app_config;
mod app_token;
mod app_token_builder;
mod cancel;
mod code_flow;
mod data_dir;
mod device_flow;
mod echo;
mod error;
mod handle;
mod helper;
mod http1;
mod keeper;
mod listener;
mod login;
mod login_settings;
mod logout;
mod model;
mod oauth;
mod pacing;
mod redirect;
mod retry;
mod scope;
mod screen;
mod secret;
mod spent;
mod store;
mod token;
mod unknown_scope;
mod web_login;

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;

pub use app_config::{AppConfig, HelixAuth};
pub use app_token::AppToken;
pub use app_token_builder::AppTokenBuilder;
pub use cancel::CancelLogin;
pub use device_flow::DeviceCode;
pub use error::{BoxError, Error, FileAction, Step};
pub use helper::Helper;
pub use login::{LoginContext, TokenPair};
pub use scope::Scope;
pub use secret::{AccessToken, ClientSecret, RefreshToken};
pub use store::FileStore;
#[cfg(feature = "keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
pub use store::KeyringStore;
pub use store::{MemoryStore, StoreLock, StoredToken, TokenStore};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use store::{RedisAccount, RedisDurability, RedisStore};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use store::{SqliteAccount, SqliteStore};
pub use token::{Outcome, UserToken};
pub use unknown_scope::UnknownScope;
pub use web_login::PendingLogin;

/// Entry points for the fuzz targets in `fuzz/` (built with `--cfg fuzzing` by cargo-fuzz);
/// not part of the API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    /// The token file parser.
    pub fn token_file(bytes: &[u8]) {
        let _ = crate::store::token_file::parse(bytes);
    }

    /// The redirect listener on a raw request head: its request line, then the judgement of
    /// the target's path and query (state, code, error); the whole input is also judged as a
    /// target, so the query parser sees what no request line would carry.
    pub fn callback(head: &[u8]) {
        let state = crate::secret::CsrfState::new("0123456789abcdef0123456789abcdef");
        let line = crate::http1::request_line(head);
        if let Some(target) = crate::listener::request_target(line) {
            let _ = crate::redirect::judge(target, "/", &state);
            let _ = crate::redirect::judge(target, "/callback", &state);
        }
        let _ = crate::redirect::judge(&String::from_utf8_lossy(head), "/", &state);
    }

    /// The parsers of Twitch's JSON answers (validate, token, device, error bodies).
    pub fn answer(body: &[u8]) {
        crate::oauth::parse_any_answer(body);
    }
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
