//! Secrets are never printed: the `token` example's stderr through a browser login, a reuse, a
//! refresh and failed refreshes holds no access token, refresh token, login code or client
//! secret (stdout holds the access token, by design); and no error this crate returns shows one
//! in its `Display`, its `Debug` or its causes.
//!
//! The secrets looked for are everything the crate sent as one, read back from the fake's log
//! (form fields and `Authorization` headers), plus the pairs in the token file and on stdout,
//! each raw and form-encoded (the fake's refresh tokens hold `+/=%`, which encoding changes).

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::time::Duration;

use support::{CHAT, Setup, describe, pair, run};
use twitch_auth::mock::{Authorize, Endpoint, Fault};
use twitch_auth::{Error, Helper, Scope};

fn token_command(t: &Setup) -> Command {
    // Credentials from the environment, so they are not on the command line.
    let mut cmd = t.token_command();
    cmd.env("TWITCH_CLIENT_ID", t.fake.client_id())
        .env("TWITCH_CLIENT_SECRET", t.fake.client_secret())
        .args(["--scopes", "chat:read chat:edit", "--no-browser"]);
    cmd
}

/// Every secret the fake has seen the crate send, the client secret, and what the token file
/// holds now.
fn secrets_seen(t: &Setup, known: &mut BTreeSet<String>) {
    known.insert(t.fake.client_secret().to_owned());
    for request in t.fake.requests() {
        for field in [
            "refresh_token",
            "code",
            "client_secret",
            "token",
            "device_code",
        ] {
            known.extend(request.form(field).map(str::to_owned));
        }
        if let Some(auth) = request.header("Authorization") {
            known.extend(auth.split_once(' ').map(|(_, token)| token.to_owned()));
        }
    }
    if let Some(bytes) = t.file_bytes()
        && let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        for key in ["token", "refresh"] {
            known.extend(json[key].as_str().map(str::to_owned));
        }
    }
    known.retain(|s| s.len() >= 8); // "r", "x": not secrets, and would match anything
}

/// The forms a secret can take in text: raw, and form- or percent-encoded.
fn forms(secret: &str) -> Vec<String> {
    let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut forms = vec![secret.to_owned(), encoded.replace('+', "%20"), encoded];
    forms.dedup();
    forms
}

/// The secrets (in any of their forms) found in `text`.
fn leaked<'a>(text: &str, secrets: &'a BTreeSet<String>) -> Vec<&'a str> {
    secrets
        .iter()
        .filter(|s| forms(s).iter().any(|f| text.contains(f.as_str())))
        .map(String::as_str)
        .collect()
}

fn outcome(output: &Output) -> String {
    serde_json::from_slice::<serde_json::Value>(&output.stdout)
        .ok()
        .and_then(|json| json["outcome"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn the_token_example_prints_no_secret_on_stderr() {
    let t = Setup::new();
    let mut runs: Vec<(&str, Output)> = Vec::new();
    let mut secrets = BTreeSet::new();

    // A browser login: the URL on stderr is followed as a browser would.
    let output = run(token_command(&t));
    assert_eq!(outcome(&output), "generated", "{}", describe(&output));
    runs.push(("login", output));

    let output = run(token_command(&t));
    assert_eq!(outcome(&output), "reused", "{}", describe(&output));
    runs.push(("reuse", output));

    t.fake.expire_access_tokens();
    let output = run(token_command(&t));
    assert_eq!(outcome(&output), "refreshed", "{}", describe(&output));
    runs.push(("refresh", output));

    // The refresh fails: an HTML 502, then a server that echoes the request's secrets back.
    t.fake.expire_access_tokens();
    t.fake.fail(
        Endpoint::Token,
        Fault::status(502, "<html>502 Bad Gateway</html>"),
    );
    let output = run(token_command(&t));
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    runs.push(("failed refresh (502)", output));

    secrets_seen(&t, &mut secrets);
    let refresh = t.file_json()["refresh"].as_str().unwrap().to_owned();
    let echo = format!(
        r#"{{"status":400,"message":"bad request: {refresh} {}"}}"#,
        t.fake.client_secret()
    );
    t.fake.fail(Endpoint::Token, Fault::json(400, &echo));
    let output = run(token_command(&t));
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(stderr.contains("400"), "{stderr}");
    runs.push(("failed refresh (400 echoing the secrets)", output));

    // The refresh token is revoked: a new login.
    t.fake.clear_faults();
    t.fake.revoke_refresh_token(&refresh);
    let output = run(token_command(&t));
    assert_eq!(outcome(&output), "generated", "{}", describe(&output));
    runs.push(("login after a revoked refresh token", output));

    secrets_seen(&t, &mut secrets);
    for (_, output) in &runs {
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&output.stdout) {
            secrets.extend(json["access_token"].as_str().map(str::to_owned));
        }
    }
    let codes = t
        .fake
        .requests()
        .iter()
        .filter(|r| r.form("code").is_some())
        .count();
    assert!(
        secrets.len() >= 9 && codes == 2,
        "too few secrets to look for: {} ({codes} codes)",
        secrets.len()
    );
    for (name, output) in &runs {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let found = leaked(&stderr, &secrets);
        assert!(found.is_empty(), "{name}: {found:?} on stderr:\n{stderr}");
    }
    // stdout is where the token goes, by design: the check above would have seen it there.
    let stdout = String::from_utf8_lossy(&runs[0].1.stdout);
    assert!(
        !leaked(&stdout, &secrets).is_empty(),
        "the check finds a token where one is: {stdout}"
    );
}

/// `Display`, `Debug` and every cause's `Display` of an error, as an app would log them.
fn shown(err: &Error) -> String {
    let mut text = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    text
}

/// The name of an error's variant, from its `Debug`.
fn variant(err: &Error) -> String {
    format!("{err:?}")
        .split([' ', '(', '{'])
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn no_error_shows_a_secret() {
    let t = Setup::new();
    let mut errors: Vec<(&str, Error)> = Vec::new();
    let mut provoke = |name: &'static str, result: Result<twitch_auth::UserToken, Error>| {
        let err = result.map(|t| t.outcome()).expect_err(name);
        errors.push((name, err));
    };

    let grant = t.store(&CHAT);
    t.fake.expire_access_tokens();
    t.fake
        .fail(Endpoint::Token, Fault::status(502, "<html>down</html>"));
    provoke("refresh answered 502", t.generating_helper(&CHAT).bind());
    let echo = format!(
        r#"{{"status":400,"message":"{} {} {}"}}"#,
        grant.refresh_token,
        t.fake.client_secret(),
        grant.access_token
    );
    t.fake.fail(Endpoint::Token, Fault::json(400, &echo));
    provoke(
        "refresh answered 400 with the secrets",
        t.generating_helper(&CHAT).bind(),
    );
    t.fake
        .fail(Endpoint::Token, Fault::json(200, r#"{"access_token":1}"#));
    provoke(
        "refresh answered nonsense",
        t.generating_helper(&CHAT).bind(),
    );
    t.fake.clear_faults();
    let closed = format!("http://127.0.0.1:{}/oauth2/", support::free_port());
    provoke(
        "auth server unreachable",
        t.generating_helper(&CHAT).auth_base_url(closed).bind(),
    );
    // A live token whose refresh is revoked, refreshed by the handle: log in again.
    let token = t
        .generating_helper(&CHAT)
        .refresh_margin(Duration::from_secs(365 * 24 * 3600))
        .bind()
        .unwrap();
    t.fake.revoke_refresh_token(token.refresh_token().secret());
    let revoked = token
        .access_token()
        .map(|_| ())
        .expect_err("refresh token revoked");
    std::fs::remove_file(&t.path).unwrap();

    // Browser logins that fail after the user saw the login page.
    t.fake.set_authorize(Authorize::Deny);
    provoke("login declined", t.helper(&CHAT).bind());
    t.fake.set_authorize(Authorize::RedirectMismatch);
    provoke("redirect URL unknown", t.helper(&CHAT).bind());
    t.fake.set_authorize(Authorize::Approve);
    let exchange_echo = format!(
        r#"{{"status":400,"message":"bad {}"}}"#,
        t.fake.client_secret()
    );
    t.fake
        .fail(Endpoint::Token, Fault::json(400, &exchange_echo));
    provoke("code exchange answered 400", t.helper(&CHAT).bind());
    t.fake.clear_faults();
    t.fake
        .set_granted_scopes(Some(vec!["chat:read".to_owned()]));
    provoke("scopes not granted", t.helper(&CHAT).bind());
    t.fake.set_granted_scopes(None);
    provoke(
        "nobody logs in",
        t.bare_helper(&CHAT)
            .on_url(|_| {})
            .login_timeout(Duration::from_millis(200))
            .bind(),
    );
    let holder = std::net::TcpListener::bind(("127.0.0.1", t.port)).unwrap();
    provoke("port taken", t.helper(&CHAT).bind());
    drop(holder);

    // Generated tokens that are refused.
    let app_token = t.fake.app_token();
    provoke(
        "an app token",
        t.bare_helper(&CHAT)
            .generator(move |_, _| Ok(pair(&app_token, "refresh-of-app")))
            .bind(),
    );
    let other = t.fake.grant_for_client("another-app", &CHAT);
    provoke(
        "another app's token",
        t.bare_helper(&CHAT)
            .generator(move |_, _| Ok(other.clone()))
            .bind(),
    );
    provoke(
        "a made-up token",
        t.bare_helper(&CHAT)
            .generator(|_, _| Ok(pair("made-up-access-token", "made-up-refresh")))
            .bind(),
    );
    provoke(
        "the generator fails",
        t.bare_helper(&CHAT)
            .generator(|_, _| Err::<twitch_auth::TokenPair, _>("the user closed the window".into()))
            .bind(),
    );

    // Settings and files.
    if std::env::var_os("TWITCH_CLIENT_SECRET").is_none() {
        provoke(
            "no client secret for the browser login",
            Helper::new([Scope::ChatRead])
                .client_id(t.fake.client_id())
                .auth_base_url(t.fake.url())
                .path(&t.path)
                .open_browser(false)
                .on_url(|_| {})
                .bind(),
        );
    }
    provoke(
        "a redirect URL that cannot be listened on",
        t.helper(&CHAT)
            .redirect_url("https://example.com/cb")
            .bind(),
    );
    let _ = std::fs::remove_file(&t.path); // a refused login's pair, saved first
    std::fs::create_dir_all(&t.path).unwrap();
    provoke(
        "a directory at the token path",
        t.generating_helper(&CHAT).bind(),
    );

    errors.push(("refresh token revoked", revoked));
    let mut secrets = BTreeSet::new();
    secrets_seen(&t, &mut secrets);
    secrets.extend([grant.access_token.clone(), grant.refresh_token.clone()]);
    let mut variants = BTreeSet::new();
    let mut failures = Vec::new();
    for (name, err) in &errors {
        let text = shown(err);
        let found = leaked(&text, &secrets);
        if !found.is_empty() {
            failures.push(format!("{name}: {found:?} in {text}"));
        }
        if err.to_string().is_empty() {
            failures.push(format!("{name}: an empty message ({err:?})"));
        }
        variants.insert(variant(err));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // The errors above are 15 of the variants, not the same few again and again.
    assert!(
        variants.len() >= 15,
        "only {} variants provoked: {variants:?}",
        variants.len()
    );
    eprintln!(
        "{} errors, {} variants, {} secrets looked for: {variants:?}",
        errors.len(),
        variants.len(),
        secrets.len()
    );
}

/// Regression (found by these tests): the crate drops Twitch's `message` from an error when it repeats a secret of the
/// request, but only the secret as it is, not as it was sent: form-encoded. A server or proxy
/// that echoes the request body (`refresh_token=r…%2B%2F%3D…`) gets the refresh token into the
/// error message, and the `token` example prints it on stderr. The fake's refresh tokens hold
/// `+/=%` as, per the fake, Twitch's may; tokens of letters and digits only are not affected.
#[test]
fn an_echo_of_the_form_encoded_request_is_not_printed() {
    let t = Setup::new();
    let grant = t.store_expired(&CHAT);
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("refresh_token", &grant.refresh_token)
        .finish();
    let echo = format!(r#"{{"status":400,"message":"could not parse {body}"}}"#);
    t.fake.fail(Endpoint::Token, Fault::json(400, &echo));

    let output = run(token_command(&t));

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let secrets = BTreeSet::from([grant.refresh_token.clone()]);
    let found = leaked(&stderr, &secrets);
    assert!(
        found.is_empty(),
        "the refresh token {found:?}, form-encoded, is on stderr:\n{stderr}"
    );
}
