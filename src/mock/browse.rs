//! A browser stand-in: follows a login URL through its redirects, as a browser would.

use std::thread;
use std::time::Duration;

/// Redirects [`browse`] follows before giving up.
const MAX_REDIRECTS: usize = 10;

/// The page a [`browse`] ended on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    status: u16,
    url: String,
    body: String,
}

impl Page {
    /// The final answer's status, e.g. 200 (or a 3xx that had no `Location`).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The URL of the final page, after every redirect.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The final page's body.
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// Why [`browse`] could not reach a final page.
#[derive(Debug)]
#[non_exhaustive]
pub enum BrowseError {
    /// The URL, or a redirect's `Location`, is not an `http://` URL.
    NotHttp {
        /// The offending URL.
        url: String,
    },
    /// A request failed: refused, timed out (after 10 s) or cut off.
    Request {
        /// The URL that was being fetched.
        url: String,
        /// What went wrong.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// More than 10 redirects in a row.
    TooManyRedirects {
        /// The last URL redirected to.
        url: String,
    },
}

impl std::fmt::Display for BrowseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BrowseError::NotHttp { url } => write!(f, "cannot browse {url}: not an http URL"),
            BrowseError::Request { url, .. } => write!(f, "request to {url} failed"),
            BrowseError::TooManyRedirects { url } => {
                write!(f, "more than {MAX_REDIRECTS} redirects, the last to {url}")
            }
        }
    }
}

impl std::error::Error for BrowseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BrowseError::Request { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

/// Follows a login URL the way a browser would, and returns the page it ends on.
///
/// GETs `url`, follows up to 10 redirects (`3xx` with a `Location`) to any `http://` URL, for
/// example from the fake's authorize page to your app's redirect listener on `localhost`, and
/// returns the final answer, whatever its status. It never uses a proxy, so it stays on
/// loopback whatever the environment says; each request times out after 10 s.
///
/// # Errors
///
/// [`BrowseError`] when a URL is not `http://`, a request fails, or redirects do not end.
pub fn browse(url: &str) -> Result<Page, BrowseError> {
    let agent = loopback_agent();
    let mut current = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        if !is_http(&current) {
            return Err(BrowseError::NotHttp { url: current });
        }
        let failed = |url: &str, e: ureq::Error| BrowseError::Request {
            url: url.to_owned(),
            source: Box::new(e),
        };
        let mut response = agent
            .get(&current)
            .call()
            .map_err(|e| failed(&current, e))?;
        let status = response.status().as_u16();
        let location = response.headers().get("location");
        if let (300..=399, Some(location)) = (status, location) {
            let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
            current = resolve(&current, &location);
            continue;
        }
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| failed(&current, e))?;
        return Ok(Page {
            status,
            url: current,
            body,
        });
    }
    Err(BrowseError::TooManyRedirects { url: current })
}

/// A client that stays on loopback whatever the environment says (no proxy), follows no
/// redirect itself, takes every status as an answer, and gives up on a request after 10 s.
///
/// [`browse`] follows redirects with it one at a time; the fake's tests call endpoints with it.
pub(crate) fn loopback_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// [`browse`] on a new thread, for a `Helper::on_url` callback, which must not block.
///
/// Join the handle to see where the browser ended up.
pub fn browse_in_background(url: &str) -> thread::JoinHandle<Result<Page, BrowseError>> {
    let url = url.to_owned();
    thread::spawn(move || browse(&url))
}

fn is_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

/// Resolves a `Location` against the URL that sent it.
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_owned();
    }
    // scheme://host:port, without path, query or fragment
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |i| after_scheme + i);
    if let Some(rest) = location.strip_prefix("//") {
        let scheme = &base[..after_scheme.saturating_sub(3)];
        return format!("{scheme}://{rest}");
    }
    if location.starts_with('/') {
        return format!("{}{location}", &base[..origin_end]);
    }
    let path_end = base[origin_end..]
        .find(['?', '#'])
        .map_or(base.len(), |i| origin_end + i);
    if location.starts_with('?') {
        return format!("{}{location}", &base[..path_end]);
    }
    // A relative path replaces the last segment of the base path.
    let dir_end = base[origin_end..path_end]
        .rfind('/')
        .map_or(origin_end, |i| origin_end + i);
    format!("{}/{location}", &base[..dir_end])
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::super::{Endpoint, FakeTwitch, Fault};
    use super::*;

    #[test]
    fn browse_follows_authorize_to_the_app() {
        let fake = FakeTwitch::start().unwrap();
        let app = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = app.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut stream, _) = app.accept().unwrap();
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .unwrap();
            line
        });
        let redirect = format!("http://localhost:{port}/callback");
        let login = format!(
            "{}authorize?client_id=fake-client-id&response_type=code&scope=chat%3Aread&state=s1&redirect_uri={}",
            fake.url(),
            form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
        );
        let page = browse_in_background(&login).join().unwrap().unwrap();
        assert_eq!((page.status(), page.body()), (200, "ok"));
        assert!(
            page.url().starts_with(&format!("{redirect}?code=")),
            "{}",
            page.url()
        );
        let line = server.join().unwrap();
        assert!(line.starts_with("GET /callback?code="), "{line}");
        assert!(line.contains("&scope=chat%3Aread&state=s1 "), "{line}");
    }

    #[test]
    fn browse_reports_errors() {
        let fake = FakeTwitch::start().unwrap();
        let err = browse("https://id.twitch.tv/oauth2/authorize").unwrap_err();
        assert!(matches!(err, BrowseError::NotHttp { .. }), "{err:?}");
        fake.fail(Endpoint::Authorize, Fault::Close);
        let err = browse(&format!("{}authorize", fake.url())).unwrap_err();
        assert!(matches!(err, BrowseError::Request { .. }), "{err:?}");
        assert!(std::error::Error::source(&err).is_some());
        fake.fail(Endpoint::Authorize, Fault::status(502, "<html>down</html>"));
        let page = browse(&format!("{}authorize", fake.url())).unwrap();
        assert_eq!((page.status(), page.body()), (502, "<html>down</html>"));
        fn check<T: Send + Sync + std::error::Error + 'static>() {}
        check::<BrowseError>();
    }

    #[test]
    fn locations_resolve_like_a_browser() {
        let base = "http://127.0.0.1:8/oauth2/authorize?x=1";
        assert_eq!(
            resolve(base, "http://localhost:9/cb?a"),
            "http://localhost:9/cb?a"
        );
        assert_eq!(resolve(base, "/cb?a"), "http://127.0.0.1:8/cb?a");
        assert_eq!(resolve(base, "//localhost/cb"), "http://localhost/cb");
        assert_eq!(resolve(base, "cb"), "http://127.0.0.1:8/oauth2/cb");
        assert_eq!(
            resolve(base, "?y=2"),
            "http://127.0.0.1:8/oauth2/authorize?y=2"
        );
        assert_eq!(resolve("http://h:1", "cb"), "http://h:1/cb");
        assert_eq!(resolve("http://h:1?q", "/cb"), "http://h:1/cb");
    }
}
