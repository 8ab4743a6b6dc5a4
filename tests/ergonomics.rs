//! Everyday use as the docs show it: errors a person can act on, one expression for Helix's
//! `Authorization`, one configuration for several accounts, scopes as strings, generators that
//! return a named pair or any error.

mod support;

use std::sync::Arc;

use support::{CHAT, Setup, pair};
use twitch_auth::mock::FakeTwitch;
use twitch_auth::{Error, Helper, Outcome, Scope, TokenPair};

#[test]
fn a_generator_returning_an_unusable_pair_fails_without_a_request() {
    let cases = [
        ("", "refresh", "empty access token"),
        ("access", "", "empty refresh token"),
        ("acc ess", "refresh", "access token with spaces"),
        ("access", "re\nfresh", "refresh token with spaces"),
    ];
    for (access, refresh, said) in cases {
        let t = Setup::new();
        let returned = pair(access, refresh);
        let err = t
            .bare_helper(&CHAT)
            .generator(move |_, _| Ok(returned.clone()))
            .bind()
            .unwrap_err();
        assert!(
            matches!(err, Error::Generator { .. }),
            "{access:?}: {err:?}"
        );
        assert!(err.to_string().contains(said), "{access:?}: {err}");
        assert!(t.requests().is_empty(), "{access:?}: {:?}", t.requests());
        assert!(t.file_bytes().is_none());
    }
}

#[test]
fn a_token_path_that_cannot_be_used_says_why() {
    let t = Setup::new();
    let not_a_dir = t.dir.path().join("a-file");
    std::fs::write(&not_a_dir, b"").unwrap();
    let path = not_a_dir.join("user_token.json");

    let err = t.generating_helper(&CHAT).path(&path).bind().unwrap_err();

    let message = err.to_string();
    assert!(matches!(err, Error::File { .. }), "{err:?}");
    assert!(message.contains("token file"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!(
            "{} is a file, not a directory",
            not_a_dir.display()
        )),
        "{message}"
    );
    assert!(!message.contains("lock"), "{message}");
}

#[test]
fn authorization_is_one_expression_and_a_401_on_it_refreshes() {
    let t = Setup::new();
    t.store(&CHAT);
    let token = t.generating_helper(&CHAT).bind().unwrap();

    let authorization = token.authorization().unwrap();
    assert_eq!(
        authorization,
        format!("Bearer {}", token.access_token().unwrap().secret())
    );
    t.fake.clear_requests();
    token.report_unauthorized_header("Bearer some-older-token"); // ignored
    assert_eq!(token.authorization().unwrap(), authorization);
    token.report_unauthorized_header(&authorization);
    let refreshed = token.authorization().unwrap();

    assert_ne!(refreshed, authorization);
    assert_eq!(t.requests(), ["POST token"]);
}

#[test]
fn one_configuration_serves_several_accounts() {
    let t = Setup::new();
    let fake = Arc::new(FakeTwitch::start().unwrap());
    let minter = Arc::clone(&fake);
    let app = Helper::new(["chat:read", "chat:edit"])
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .auth_base_url(fake.url())
        .generator(move |_, scopes| Ok(minter.grant(scopes)));
    let bot_path = t.dir.path().join("bot.json");
    let broadcaster_path = t.dir.path().join("broadcaster.json");

    let bot = app.clone().path(&bot_path).bind().unwrap();
    let broadcaster = app.clone().path(&broadcaster_path).bind().unwrap();

    assert_eq!(bot.outcome(), Outcome::Generated);
    assert_eq!(broadcaster.outcome(), Outcome::Generated);
    assert_eq!(bot.scopes(), [Scope::ChatEdit, Scope::ChatRead]);
    assert_ne!(
        bot.access_token().unwrap(),
        broadcaster.access_token().unwrap()
    );
    assert!(bot_path.exists() && broadcaster_path.exists());
    assert_eq!(
        app.path(&bot_path).bind().unwrap().outcome(),
        Outcome::Reused
    );
}

#[test]
fn a_generator_may_fail_with_any_error_type() {
    let t = Setup::new();
    let err = t
        .bare_helper(&CHAT)
        .generator(|_, _| {
            let port: u16 = "not a number".parse()?; // a ParseIntError, through `?`
            Ok(pair(&port.to_string(), "refresh"))
        })
        .bind()
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid digit found in string"),
        "{err}"
    );
    let _: fn(TokenPair) -> TokenPair = |p| p; // the named pair is public
}

#[test]
#[allow(clippy::needless_borrows_for_generic_args)] // the borrows are what is tested
fn scopes_may_be_borrowed_arrays_or_slices() {
    let strings = ["chat:read", "chat:edit"];
    let owned: Vec<String> = strings.iter().map(|s| (*s).to_owned()).collect();
    let scopes = [Scope::ChatRead, Scope::ChatEdit];
    let debug = |helper: Helper| format!("{helper:?}");
    let from_array = debug(Helper::new(strings));
    assert_eq!(debug(Helper::new(&strings)), from_array);
    assert_eq!(debug(Helper::new(&strings[..])), from_array);
    assert_eq!(debug(Helper::new(&owned)), from_array);
    assert_eq!(debug(Helper::new(&scopes)), from_array);
    assert_eq!(debug(Helper::new(&scopes[..])), from_array);
}

#[test]
fn a_handle_can_be_used_inside_catch_unwind() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    // A game's FFI boundary: compiles only if the handle is unwind-safe.
    let got = std::panic::catch_unwind(|| token.access_token().map(|a| a.secret().len()));
    assert!(got.unwrap().unwrap() > 0);
    let app = support::app_token_builder(&t.fake).build().unwrap();
    assert!(std::panic::catch_unwind(|| app.expires_in()).is_ok());
}

#[test]
fn expires_in_says_how_long_the_token_has_left() {
    let t = Setup::new();
    let token = t.generating_helper(&CHAT).bind().unwrap();
    let left = token.expires_in().expect("the fake's tokens expire");
    // The fake's tokens live 14124 s, as Twitch's answer says.
    assert!(left > std::time::Duration::from_secs(14_000), "{left:?}");
    assert!(left <= std::time::Duration::from_secs(14_124), "{left:?}");
    t.fake.set_expires_in(None);
    let never = t
        .bare_helper(&CHAT)
        .path(t.dir.path().join("legacy.json"))
        .generator({
            let grant = t.fake.grant(&CHAT);
            move |_, _| Ok(grant.clone())
        })
        .bind()
        .unwrap();
    assert_eq!(never.expires_in(), None, "a legacy token never expires");
}

#[test]
fn a_daemon_that_may_not_log_in_says_so_and_asks_no_one() {
    let t = Setup::new();
    let err = t.bare_helper(&CHAT).no_login().bind().unwrap_err();
    assert!(matches!(err, Error::LoginDisabled), "{err:?}");
    assert!(err.needs_login());
    assert!(err.to_string().contains("Helper::no_login"), "{err}");
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    assert!(t.file_bytes().is_none(), "nothing was written");
    // With a stored token it runs as ever.
    t.store(&CHAT);
    let token = t.bare_helper(&CHAT).no_login().bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);
}

#[test]
#[allow(clippy::redundant_closure)] // the closure form is what users write, and must compile
fn on_url_takes_the_fakes_browser_as_it_is() {
    let t = Setup::new();
    // Both the function itself and a closure calling it, as the docs of `browse_in_background`
    // say: its join handle is dropped.
    let token = t
        .bare_helper(&CHAT)
        .on_url(twitch_auth::mock::browse_in_background)
        .bind()
        .unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    std::fs::remove_file(&t.path).unwrap();
    let token = t
        .bare_helper(&CHAT)
        .on_url(|url| twitch_auth::mock::browse_in_background(url))
        .bind()
        .unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
}

/// A daemon's generator that never logs in, as the docs show it: a closure that returns only
/// `Err("...".into())` compiles (it was E0283 while the generator was generic over its pair).
#[test]
fn a_generator_that_only_fails_compiles_and_says_why() {
    let t = Setup::new();
    let err = t
        .bare_helper(&CHAT)
        .generator(|_, _| Err("log in with the launcher first".into()))
        .bind()
        .unwrap_err();
    assert!(matches!(err, Error::Generator { .. }), "{err:?}");
    assert!(
        err.to_string().contains("log in with the launcher first"),
        "{err}"
    );
}
