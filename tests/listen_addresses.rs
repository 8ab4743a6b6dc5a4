//! Where the redirect listener listens: at the redirect URL's own IP.

mod support;

use std::net::{Ipv4Addr, TcpListener};

use support::{CHAT, Setup, has_ipv6_loopback};
use twitch_auth::mock::Page;
use twitch_auth::{Error, Outcome};

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
        ["GET authorize", "POST token", "GET validate"]
    );
    let page = page();
    assert!(page.body().contains("You are logged in"), "{}", page.body());
}

#[test]
fn an_ipv6_redirect_url_is_listened_on_at_its_own_address() {
    if !has_ipv6_loopback() {
        return;
    }
    let t = Setup::new();
    let url = format!("http://[::1]:{}/cb", t.port);

    let result = t.helper(&CHAT).redirect_url(&url).bind();

    logged_in(&t, result, || {
        let page = t.page();
        assert!(page.url().starts_with(&url), "{}", page.url());
        page
    });
}

#[test]
fn a_127_0_0_2_redirect_url_is_listened_on_at_its_own_address() {
    let ip = Ipv4Addr::new(127, 0, 0, 2);
    if TcpListener::bind((ip, 0)).is_err() {
        eprintln!("skipped: 127.0.0.2 is not configured on this machine");
        return;
    }
    let t = Setup::new();
    let url = format!("http://{ip}:{}", t.port);

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
