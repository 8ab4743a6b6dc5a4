//! Where the redirect listener listens: at the redirect URL's own IP, and for `localhost` on
//! both 127.0.0.1 and `[::1]`, since a browser may try either first. A port taken on any of
//! them is an error before the login URL is shown.

mod support;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{CHAT, Setup, has_ipv6_loopback, redirect_of};
use twitch_auth::mock::{self, BrowseError, Page};
use twitch_auth::{Error, Outcome};

/// A visit made by `on_url`, joined by the test.
type Visit = Arc<Mutex<Option<std::thread::JoinHandle<Result<Page, BrowseError>>>>>;

/// Asserts that a browser login completed: its outcome, one authorize, exchange and validate at
/// the fake, and the page the browser ended on (joined only after the login ended).
fn logged_in(
    t: &Setup,
    result: Result<twitch_auth::UserToken, Error>,
    page: impl FnOnce() -> Page,
) {
    let token = result.unwrap_or_else(|err| panic!("the login failed: {err:?}"));
    assert_eq!(token.outcome(), Outcome::Generated);
    assert_eq!(
        t.requests(),
        [
            "POST token",
            "POST revoke",
            "GET authorize",
            "POST token",
            "GET validate"
        ]
    );
    let page = page();
    assert!(page.body().contains("You are logged in"), "{}", page.body());
}

/// The page a visit ended on.
fn join(visit: &Visit) -> Page {
    let handle = visit
        .lock()
        .unwrap()
        .take()
        .expect("the login URL was visited");
    handle.join().unwrap().expect("the visit completed")
}

#[test]
fn an_ipv6_redirect_url_is_listened_on_at_its_own_address() {
    if !has_ipv6_loopback() {
        return;
    }
    logs_in_at(|port| format!("http://[::1]:{port}/cb"));
}

#[test]
fn a_127_0_0_2_redirect_url_is_listened_on_at_its_own_address() {
    let ip = Ipv4Addr::new(127, 0, 0, 2);
    if TcpListener::bind((ip, 0)).is_err() {
        eprintln!("skipped: 127.0.0.2 is not configured on this machine");
        return;
    }
    logs_in_at(|port| format!("http://{ip}:{port}"));
}

/// A browser login whose redirect URL is `url(port)` completes, the browser ending there.
fn logs_in_at(url: impl Fn(u16) -> String) {
    let t = Setup::new();
    let url = url(t.port);

    let result = t.helper(&CHAT).redirect_url(&url).bind();

    logged_in(&t, result, || {
        let page = t.page();
        assert!(page.url().starts_with(&url), "{}", page.url());
        page
    });
}

#[test]
fn a_redirect_url_on_a_non_loopback_ip_is_an_invalid_setting() {
    for host in ["0.0.0.0", "[::]", "192.168.1.2"] {
        let t = Setup::new();
        let err = t
            .helper(&CHAT)
            .redirect_url(format!("http://{host}:{}", t.port))
            .bind()
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidSetting {
                    setting: "redirect_url",
                    ..
                }
            ),
            "{host}: {err:?}"
        );
        assert!(t.requests().is_empty(), "{host}: {:?}", t.requests());
    }
}

#[test]
fn a_port_taken_on_ipv6_loopback_is_in_use_before_the_login_url_is_shown() {
    if !has_ipv6_loopback() {
        return;
    }
    let t = Setup::new();
    let _holder = TcpListener::bind(("::1", t.port)).unwrap();
    let shown = Arc::new(AtomicBool::new(false));
    let shown_in = shown.clone();

    let err = t
        .bare_helper(&CHAT)
        .on_url(move |_| shown_in.store(true, Ordering::SeqCst))
        // Only so that a listener that misses the holder gives up soon.
        .login_timeout(Duration::from_secs(1))
        .bind()
        .unwrap_err();

    match &err {
        Error::PortInUse { addr, .. } => {
            assert_eq!(
                *addr,
                SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], t.port))
            )
        }
        other => panic!("expected PortInUse, got {other:?}"),
    }
    assert!(err.to_string().contains(&t.redirect_url()), "{err}");
    assert!(!shown.load(Ordering::SeqCst), "the login URL was shown");
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    TcpListener::bind(("127.0.0.1", t.port)).expect("127.0.0.1 is closed again");
}

#[test]
fn a_redirect_arriving_on_ipv6_loopback_completes_the_login() {
    if !has_ipv6_loopback() {
        return;
    }
    let t = Setup::new();
    let visit: Visit = Arc::default();
    let visit_in = visit.clone();
    let localhost = format!("http://localhost:{}", t.port);
    let ipv6 = format!("http://[::1]:{}", t.port);

    // A browser that resolves `localhost` to [::1].
    let result = t
        .bare_helper(&CHAT)
        .on_url(move |url| {
            let (url, localhost, ipv6) = (url.to_owned(), localhost.clone(), ipv6.clone());
            *visit_in.lock().unwrap() = Some(std::thread::spawn(move || {
                let redirect = redirect_of(&url);
                let via_ipv6 = redirect.replacen(&localhost, &ipv6, 1);
                assert_ne!(via_ipv6, redirect, "the redirect goes to {redirect}");
                mock::browse(&via_ipv6)
            }));
        })
        .bind();

    logged_in(&t, result, || join(&visit));
    TcpListener::bind(("::1", t.port)).expect("[::1] is closed after bind() returns");
    TcpListener::bind(("127.0.0.1", t.port)).expect("127.0.0.1 is closed after bind() returns");
}

#[test]
fn listen_addr_wins_over_the_redirect_url() {
    let t = Setup::new();
    // Something else on [::1]: with an explicit listen_addr, it is none of the login's business.
    let _other = TcpListener::bind(("::1", t.port)).ok();
    let visit: Visit = Arc::default();
    let visit_in = visit.clone();
    let localhost = format!("http://localhost:{}", t.port);
    let ipv4 = format!("http://127.0.0.1:{}", t.port);

    let result = t
        .bare_helper(&CHAT)
        .listen_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, t.port)))
        .on_url(move |url| {
            let (url, localhost, ipv4) = (url.to_owned(), localhost.clone(), ipv4.clone());
            *visit_in.lock().unwrap() = Some(std::thread::spawn(move || {
                mock::browse(&redirect_of(&url).replacen(&localhost, &ipv4, 1))
            }));
        })
        .bind();

    logged_in(&t, result, || join(&visit));
}

/// `http://localhost` (port 80) where this process may not listen on it (Unix, not root): an
/// invalid setting naming a port that works, before the login URL is shown or a browser opened.
/// Where port 80 can be bound (root, Windows), the refusal cannot happen: the login on port 80
/// is checked to work instead.
#[test]
fn a_redirect_url_on_a_port_this_process_may_not_bind_is_refused_before_anything_is_shown() {
    match TcpListener::bind(("127.0.0.1", 80)) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
        Ok(probe) => {
            drop(probe);
            // Where port 80 may be listened on, the login works there.
            let t = Setup::new();
            let result = t.helper(&CHAT).redirect_url("http://localhost").bind();
            logged_in(&t, result, || t.page());
            if support::effective_uid() == Some(0) {
                // As root (as CI runs), the refusal is checked by this test as `nobody`.
                return as_nobody(
                    "a_redirect_url_on_a_port_this_process_may_not_bind_is_refused_before_anything_is_shown",
                );
            }
            support::say(
                "skipped: this system lets this process listen on port 80, so it is not refused",
            );
            return;
        }
        Err(e) => {
            support::say(&format!("skipped: port 80 cannot be probed: {e}"));
            return;
        }
    }
    let t = Setup::new();
    let shown = Arc::new(AtomicBool::new(false));
    let shown_in = shown.clone();

    let err = t
        .bare_helper(&CHAT)
        .redirect_url("http://localhost")
        .on_url(move |_| shown_in.store(true, Ordering::SeqCst))
        .bind()
        .unwrap_err();

    match &err {
        Error::InvalidSetting { setting, .. } => assert_eq!(*setting, "redirect_url", "{err}"),
        other => panic!("expected InvalidSetting, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("http://localhost needs port 80")
            && text.contains("above 1024")
            && text.contains("http://localhost:17563")
            && text.contains("register that URL"),
        "{text}"
    );
    assert!(!shown.load(Ordering::SeqCst), "the login URL was shown");
    assert!(t.requests().is_empty(), "{:?}", t.requests());
    println!("checked: port 80 refused up front");
}

/// Runs the test `name` of this binary again as `nobody` (uid 65534), which may not listen on
/// port 80 where the system keeps low ports for root; its own skip is passed on.
#[cfg(unix)]
fn as_nobody(name: &str) {
    use std::os::unix::process::CommandExt;
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .uid(65534)
        .gid(65534)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "as nobody:\n{stdout}\n{stderr}");
    match stderr.lines().find(|l| l.starts_with("skipped: ")) {
        Some(skip) => support::say(&format!("{skip} (as nobody)")),
        None => {
            assert!(
                stdout.contains("checked: port 80 refused up front"),
                "{stdout}\n{stderr}"
            );
            support::say("checked as nobody: port 80 refused up front");
        }
    }
}

#[cfg(not(unix))]
fn as_nobody(_: &str) {}
