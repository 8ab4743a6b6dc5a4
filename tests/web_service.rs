//! `examples/web_service.rs` end to end against the fake: two streamers connect through the
//! service's `/login` and `/callback` (the person's browser played here), each token lands in
//! its own account of the SQLite database, and a callback without a login is refused.
#![cfg(feature = "sqlite")]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use support::{TempDir, example};
use twitch_auth::mock::FakeTwitch;
use twitch_auth::{SqliteStore, TokenStore};

struct Service {
    child: Child,
    base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(fake: &FakeTwitch, db: &std::path::Path) -> Service {
    let mut child = Command::new(example("web_service"))
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .envs(fake.env())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args(["--listen", "127.0.0.1:0", "--auth-base-url", &fake.url()])
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    Service {
        child,
        base: format!("http://{addr}"),
    }
}

/// A GET that follows no redirect: (status, Location, Set-Cookie, body).
fn get(url: &str, cookie: Option<&str>) -> (u16, String, String, String) {
    let mut request = ureq::get(url)
        .config()
        .max_redirects(0)
        .http_status_as_error(false)
        .build();
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    let mut answer = request.call().unwrap();
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (location, set_cookie) = (header("location"), header("set-cookie"));
    let status = answer.status().as_u16();
    let body = answer.body_mut().read_to_string().unwrap_or_default();
    (status, location, set_cookie, body)
}

/// One streamer connecting: `/login`, Twitch's page (the fake), back to `/callback` with the
/// cookie, as a browser goes; the service's answer.
fn connect(service: &Service) -> (u16, String) {
    let (status, to_twitch, set_cookie, _) = get(&format!("{}/login", service.base), None);
    assert_eq!(status, 302);
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let (status, back, _, _) = get(&to_twitch, None);
    assert_eq!(status, 302, "the fake's login page");
    let (status, _, _, body) = get(&back, Some(&cookie));
    (status, body)
}

#[test]
fn two_streamers_connect_and_each_token_lands_in_its_own_account() {
    let fake = FakeTwitch::start().unwrap();
    let dir = TempDir::new();
    let db = dir.path().join("tokens.db");
    let service = start(&fake, &db);

    let first = connect(&service);
    fake.set_other_user_logs_in(true);
    let second = connect(&service);

    assert_eq!(first, (200, format!("connected {}", fake.login())));
    assert_eq!(second, (200, format!("connected {}", fake.other_login())));
    let (_, _, _, listed) = get(&format!("{}/streamers", service.base), None);
    let mut want = vec![fake.login().to_owned(), fake.other_login().to_owned()];
    want.sort();
    assert_eq!(listed.lines().collect::<Vec<_>>(), want);
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.accounts().unwrap(), want);

    let other = store.account(fake.other_login()).load().unwrap().unwrap();
    assert_eq!(other.login.as_deref(), Some(fake.other_login()));
    // Nothing secret went into a URL: the code exchange carried the secret in its body.
    for request in fake.requests() {
        assert!(
            !request.target().contains(fake.client_secret()),
            "{}",
            request.target()
        );
    }
}

#[test]
fn a_callback_without_a_login_in_progress_is_refused() {
    let fake = FakeTwitch::start().unwrap();
    let dir = TempDir::new();
    let service = start(&fake, &dir.path().join("tokens.db"));

    let (status, _, _, body) = get(
        &format!("{}/callback?code=abc&state=def", service.base),
        None,
    );
    assert_eq!(
        (status, body.as_str()),
        (400, "no login in progress: start at /login")
    );
    let forged = "twitch_login_state=0123456789abcdef0123456789abcdef";
    let (status, _, _, body) = get(
        &format!(
            "{}/callback?code=abc&state=fedcba98765432100123456789abcdef",
            service.base
        ),
        Some(forged),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("start the login again"), "{body}");
    assert!(
        fake.requests().iter().all(|r| r.form("code").is_none()),
        "no code was exchanged"
    );
}
