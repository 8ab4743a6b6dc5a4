//! Secrets never show: not in Debug, not in Display, not in any URL.

mod support;

use support::{CHAT, Setup};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Error, Helper, UserToken};

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Helper>();
    check::<UserToken>();
    check::<twitch_auth::Error>();
    check::<twitch_auth::mock::FakeTwitch>();
}

#[test]
fn debug_of_a_token_and_a_helper_shows_no_secret() {
    let t = Setup::new();
    let helper = t.helper(&CHAT);
    let token = helper.bind().unwrap();
    let shown = format!(
        "{token:?} {helper:?} {:?} {:?}",
        token.access_token(),
        token.refresh_token()
    );
    for secret in [
        token.access_token().unwrap().secret(),
        token.refresh_token().secret(),
        t.fake.client_secret(),
    ] {
        assert!(!shown.contains(secret), "a secret in {shown}");
    }
    assert!(shown.contains("AccessToken([redacted])"), "{shown}");
    assert!(shown.contains("ClientSecret([redacted])"), "{shown}");
    assert!(shown.contains(t.fake.login()), "the rest is shown: {shown}");
}

#[test]
fn errors_of_a_failed_exchange_and_refresh_show_no_secret() {
    let t = Setup::new();
    // A server echoing the secrets back must not get them into our errors.
    let echo = format!(
        r#"{{"status":400,"message":"bad {}"}}"#,
        t.fake.client_secret()
    );
    t.fake.fail(Endpoint::Token, Fault::json(400, &echo));
    let err = t.helper(&CHAT).bind().unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("400"), "{shown}");
    assert!(!shown.contains(t.fake.client_secret()), "{shown}");
    t.assert_no_secret_in_urls(&[]);
}

/// The requests whose error answer echoes a secret.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// A browser login: the echo answers the code exchange.
    Exchange,
    /// A stored token known to be expired: the echo answers the refresh.
    Refresh,
    /// A device login: the echo answers the first poll.
    DevicePoll,
}

/// The secrets a test knows before the bind; the stored pair is empty unless one was stored.
struct Known {
    client_secret: String,
    access_token: String,
    refresh_token: String,
}

/// A server answers `via` with a 400 whose message repeats part of a secret (`echo`): the message
/// is dropped, and no run of 8 characters of any secret the bind used shows in the error.
fn check_echo(via: Via, echo: fn(&Known) -> String) {
    let t = Setup::new();
    let mut known = Known {
        client_secret: t.fake.client_secret().to_owned(),
        access_token: String::new(),
        refresh_token: String::new(),
    };
    let helper = match via {
        Via::Exchange => t.helper(&CHAT),
        Via::Refresh => {
            let grant = t.store_expired(&CHAT);
            known.access_token = grant.access_token;
            known.refresh_token = grant.refresh_token;
            t.generating_helper(&CHAT)
        }
        Via::DevicePoll => {
            t.fake.set_device_interval(0);
            t.bare_helper(&CHAT).device_flow().on_device_code(|_| {})
        }
    };
    let message = format!("bad {} here", echo(&known));
    let body = serde_json::json!({ "status": 400, "message": message }).to_string();
    t.fake.fail(Endpoint::Token, Fault::json(400, &body));

    let err = helper.bind().unwrap_err();

    assert!(
        matches!(&err, Error::Status { status: 400, message, .. } if message.is_empty()),
        "the echo is dropped: {err:?}"
    );
    assert!(err.to_string().contains("400"), "the rest is shown: {err}");
    // Every secret the bind sent, the login code and device code included.
    let mut secrets = vec![known.client_secret, known.access_token, known.refresh_token];
    for request in t.fake.requests() {
        for name in [
            "client_secret",
            "refresh_token",
            "code",
            "device_code",
            "token",
        ] {
            secrets.extend(request.form(name).map(str::to_owned));
        }
    }
    let shown = shown_with_sources(&err);
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert_no_run_of(secret, &shown);
    }
}

/// `Display` and `Debug` of the error and of every error in its `source()` chain.
fn shown_with_sources(err: &Error) -> String {
    let mut shown = String::new();
    let mut next: Option<&dyn std::error::Error> = Some(err);
    while let Some(error) = next {
        shown.push_str(&format!("{error}\n{error:?}\n"));
        next = error.source();
    }
    shown
}

/// Fails when `shown` holds 8 characters in a row of `secret` (all of it when shorter), in any
/// letter case, as sent or form-encoded.
fn assert_no_run_of(secret: &str, shown: &str) {
    let shown = shown.to_lowercase();
    let encoded = encoded(secret);
    for form in [
        secret.to_owned(),
        encoded.clone(),
        encoded.replace('+', "%20"),
    ] {
        let chars: Vec<char> = form.to_lowercase().chars().collect();
        for run in chars.windows(8.min(chars.len())) {
            let run: String = run.iter().collect();
            assert!(
                !shown.contains(&run),
                "{run:?}, part of a secret, is in the error:\n{shown}"
            );
        }
    }
}

/// Makes `secret` form-encoded, as the request body carried it.
fn encoded(secret: &str) -> String {
    form_urlencoded::byte_serialize(secret.as_bytes()).collect()
}

macro_rules! echo_matrix {
    ($($name:ident: $via:expr, $echo:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check_echo($via, $echo);
            }
        )*
    };
}

echo_matrix! {
    exchange_echo_of_the_client_secret_upper_cased: Via::Exchange,
        |k| k.client_secret.to_uppercase();
    exchange_echo_of_the_client_secret_cut_short: Via::Exchange, |k| k.client_secret[5..15].into();
    refresh_echo_of_the_client_secret_cut_and_upper_cased: Via::Refresh,
        |k| k.client_secret[..9].to_uppercase();
    refresh_echo_of_the_refresh_token_upper_cased: Via::Refresh,
        |k| k.refresh_token.to_uppercase();
    refresh_echo_of_the_refresh_token_cut_short: Via::Refresh, |k| k.refresh_token[1..11].into();
    refresh_echo_of_the_encoded_refresh_token_lower_cased: Via::Refresh,
        |k| encoded(&k.refresh_token).to_lowercase();
    device_poll_echo_of_the_client_secret_upper_cased: Via::DevicePoll,
        |k| k.client_secret.to_uppercase();
}
