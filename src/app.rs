//! The Twitch app: its client id, optional client secret, and the auth server's endpoints.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::listener::ListenOn;
use crate::{ClientSecret, Error};

/// The longest wait a setter accepts (login, lock, refresh margin): a day is "forever" for any
/// program that asks, and keeps all time arithmetic far from overflowing.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest HTTP timeout a setter accepts.
pub(crate) const MAX_HTTP_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Where the auth server lives unless `Helper::auth_base_url` says otherwise.
pub(crate) const TWITCH_AUTH_BASE_URL: &str = "https://id.twitch.tv/oauth2/";
/// pyTwitchAPI's redirect URL, so an app registered for it works here unchanged.
pub(crate) const DEFAULT_REDIRECT_URL: &str = "http://localhost:17563";

/// The app's credentials and endpoints, checked once at the start of `bind()`.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<ClientSecret>,
    /// Whether the id and the secret came from `TWITCH_CLIENT_ID` / `TWITCH_CLIENT_SECRET`
    /// rather than the builder: a refusal's message says which to fix.
    pub(crate) id_from_env: bool,
    pub(crate) secret_from_env: bool,
    /// Ends with `/`, so endpoint names can be appended.
    pub(crate) base_url: String,
}

impl App {
    /// Takes the settings, falling back to `TWITCH_CLIENT_ID` / `TWITCH_CLIENT_SECRET` as
    /// `env` reports them (the process environment, except in tests).
    pub(crate) fn new(
        client_id: Option<&str>,
        client_secret: Option<&ClientSecret>,
        base_url: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<App, Error> {
        // Twitch's ids and secrets are letters and digits: spaces or a line end around one come
        // from how it was pasted or set (`set TWITCH_CLIENT_ID=abc ` in cmd keeps the space),
        // and would only earn an "invalid client" later.
        let env_var = |name| env(name).filter(|value: &String| !value.trim().is_empty());
        let (given_id, given_secret) = (client_id, client_secret);
        let client_id = client_id
            .map(str::to_owned)
            .or_else(|| env_var("TWITCH_CLIENT_ID"))
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
            .ok_or(Error::NoClientId)?;
        let client_secret = client_secret
            .map(|secret| secret.secret().to_owned())
            .or_else(|| env_var("TWITCH_CLIENT_SECRET"))
            .map(|secret| secret.trim().to_owned())
            .filter(|secret| !secret.is_empty())
            .map(ClientSecret::new);
        Ok(App {
            client_id,
            client_secret,
            id_from_env: given_id.is_none(),
            secret_from_env: given_secret.is_none(),
            base_url: base_url_checked(base_url)?,
        })
    }

    /// The URL of an endpoint such as `token` or `validate`.
    pub(crate) fn endpoint(&self, name: &str) -> String {
        format!("{}{name}", self.base_url)
    }

    /// Whether the auth server is on this machine (the fake, in tests): no proxy is used then.
    pub(crate) fn is_loopback(&self) -> bool {
        host_of(&self.base_url).is_some_and(is_loopback_host)
    }
}

fn base_url_checked(url: &str) -> Result<String, Error> {
    let invalid = |reason: &str| Error::InvalidSetting {
        setting: "auth_base_url",
        reason: reason.into(),
    };
    if host_of(url).is_none_or(str::is_empty) {
        return Err(invalid(
            "expected an http:// or https:// URL such as https://id.twitch.tv/oauth2/",
        ));
    }
    if url.contains(['?', '#']) {
        return Err(invalid("the base URL cannot have a query or fragment"));
    }
    Ok(if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    })
}

/// The host of an `http(s)://host[:port]/...` URL, brackets removed.
fn host_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next();
    }
    authority.split(':').next()
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The redirect URL of the login flow, and what the local listener must serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    /// Exactly as registered at Twitch and sent in the authorize URL and code exchange.
    pub(crate) url: String,
    pub(crate) port: u16,
    /// The host when it is an IP literal (`127.0.0.1`, `[::1]`); `None` for `localhost`.
    pub(crate) ip: Option<IpAddr>,
    /// The path the listener answers on, `/` when the URL has none.
    pub(crate) path: String,
}

impl Redirect {
    /// Checks that the URL can be served by a listener on this machine.
    pub(crate) fn parse(url: &str) -> Result<Redirect, Error> {
        let invalid = |reason: String| Error::InvalidSetting {
            setting: "redirect_url",
            reason,
        };
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(invalid(format!(
                "{url} is not an http:// URL on this machine; use one like {DEFAULT_REDIRECT_URL}"
            )));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if path.contains(['?', '#']) {
            return Err(invalid(format!(
                "{url} has a query or fragment; Twitch adds its own"
            )));
        }
        let host = host_of(url).unwrap_or_default();
        if !is_loopback_host(host) {
            return Err(invalid(format!(
                "the host of {url} is not localhost, so the login would not come back to this \
                 machine; use one like {DEFAULT_REDIRECT_URL}"
            )));
        }
        let port = match authority.rsplit_once(':') {
            Some((_, port)) if !port.ends_with(']') => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| invalid(format!("{url} has an invalid port")))?,
            _ => 80,
        };
        Ok(Redirect {
            url: url.to_owned(),
            port,
            ip: host.parse().ok(),
            path: path.to_owned(),
        })
    }

    /// Where the listener must listen for the browser to reach it: the URL's own IP, or for
    /// `localhost` both loopbacks, since browsers may resolve it to either first.
    pub(crate) fn listen_on(&self) -> ListenOn {
        match self.ip {
            Some(ip) => ListenOn::Addr(SocketAddr::new(ip, self.port)),
            None => ListenOn::Localhost(self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls() {
        let ok = [
            ("http://localhost:17563", 17563, "/"),
            ("http://localhost:17563/", 17563, "/"),
            (
                "http://localhost:8080/auth/callback",
                8080,
                "/auth/callback",
            ),
            ("http://127.0.0.1:3000/cb", 3000, "/cb"),
            ("http://[::1]:3000", 3000, "/"),
            ("http://localhost", 80, "/"),
        ];
        for (url, port, path) in ok {
            let r = Redirect::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!((r.port, r.path.as_str()), (port, path), "{url}");
        }
        let bad = [
            "https://localhost:17563",
            "http://example.com:17563",
            "http://0.0.0.0:17563",
            "http://[::]:17563",
            "http://192.168.1.2:17563",
            "http://[::ffff:127.0.0.1]:17563",
            "localhost:17563",
            "http://localhost:0",
            "http://localhost:99999",
            "http://localhost:1/cb?x=1",
            "",
        ];
        for url in bad {
            assert!(Redirect::parse(url).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn the_listener_listens_where_the_redirect_url_points() {
        let cases = [
            ("http://localhost:17563", ListenOn::Localhost(17563)),
            ("http://LocalHost:80/cb", ListenOn::Localhost(80)),
            (
                "http://127.0.0.1:3000/cb",
                ListenOn::Addr("127.0.0.1:3000".parse().unwrap()),
            ),
            (
                "http://127.0.0.2:3000",
                ListenOn::Addr("127.0.0.2:3000".parse().unwrap()),
            ),
            (
                "http://[::1]:3000",
                ListenOn::Addr("[::1]:3000".parse().unwrap()),
            ),
        ];
        for (url, want) in cases {
            let r = Redirect::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(r.listen_on(), want, "{url}");
        }
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url_checked("https://id.twitch.tv/oauth2").unwrap(),
            "https://id.twitch.tv/oauth2/"
        );
        assert_eq!(
            base_url_checked("http://127.0.0.1:9/oauth2/").unwrap(),
            "http://127.0.0.1:9/oauth2/"
        );
        for bad in [
            "",
            "id.twitch.tv/oauth2",
            "ftp://x/",
            "https:///x",
            "https://x/?a=b",
        ] {
            assert!(base_url_checked(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn credentials_around_which_spaces_or_line_ends_were_pasted_are_trimmed() {
        let base = TWITCH_AUTH_BASE_URL;
        let env = |name: &str| match name {
            "TWITCH_CLIENT_ID" => Some(" env-id \r\n".to_owned()),
            "TWITCH_CLIENT_SECRET" => Some("  \t".to_owned()),
            _ => None,
        };
        let app = App::new(None, None, base, env).unwrap();
        assert_eq!(app.client_id, "env-id");
        assert!(app.client_secret.is_none(), "a blank secret is none");
        let secret = ClientSecret::new("set-secret\n");
        let app = App::new(Some("set-id "), Some(&secret), base, env).unwrap();
        assert_eq!(app.client_id, "set-id");
        assert_eq!(app.client_secret.unwrap().secret(), "set-secret");
    }

    #[test]
    fn credentials_from_settings_then_environment() {
        let env = |name: &str| match name {
            "TWITCH_CLIENT_ID" => Some("env-id".to_owned()),
            "TWITCH_CLIENT_SECRET" => Some("env-secret".to_owned()),
            _ => None,
        };
        let none = |_: &str| None;
        let base = TWITCH_AUTH_BASE_URL;
        let secret = ClientSecret::new("set-secret");
        let app = App::new(Some("set-id"), Some(&secret), base, env).unwrap();
        assert_eq!(
            (app.client_id.as_str(), app.client_secret),
            ("set-id", Some(secret))
        );
        let app = App::new(None, None, base, env).unwrap();
        assert_eq!(app.client_id, "env-id");
        assert_eq!(app.client_secret.unwrap().secret(), "env-secret");
        let app = App::new(Some("set-id"), None, base, none).unwrap();
        assert!(app.client_secret.is_none(), "the secret is optional");
        assert!(matches!(
            App::new(None, None, base, none),
            Err(Error::NoClientId)
        ));
        assert!(matches!(
            App::new(Some(" "), None, base, none),
            Err(Error::NoClientId)
        ));
    }

    #[test]
    fn loopback_detection() {
        let app = |url: &str| App {
            client_id: "x".into(),
            client_secret: None,
            id_from_env: false,
            secret_from_env: false,
            base_url: url.into(),
        };
        assert!(app("http://127.0.0.1:1/oauth2/").is_loopback());
        assert!(app("http://localhost:1/").is_loopback());
        assert!(app("http://[::1]:1/").is_loopback());
        assert!(!app("https://id.twitch.tv/oauth2/").is_loopback());
    }
}
