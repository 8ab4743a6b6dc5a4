//! The fake's request log: what each request carried, decoded, as tests read it through
//! [`FakeTwitch::requests`](super::FakeTwitch::requests).

use std::fmt;
use std::time::Instant;

use super::Endpoint;
use crate::http1::RequestLine;

/// A request the fake received, as [`FakeTwitch::requests`](super::FakeTwitch::requests) lists it.
///
/// `Debug` shows the method, the path and the *names* of the headers, query parameters and
/// form fields, never their values: they carry tokens, codes and the client secret (read them
/// with [`header`](Self::header), [`query`](Self::query) and [`form`](Self::form)).
#[derive(Clone)]
pub struct Request {
    method: String,
    target: String,
    endpoint: Option<Endpoint>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    received_at: Instant,
}

impl Request {
    /// The method, e.g. `GET` or `POST`.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The endpoint its path names, whatever the method; `None` for other paths.
    pub fn endpoint(&self) -> Option<Endpoint> {
        self.endpoint
    }

    /// The request target exactly as received: path and query string, still encoded.
    ///
    /// Check this to assert that no secret or token travelled in a URL.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The decoded value of the first query parameter called `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }

    /// The decoded values of every query parameter called `name`, in order (Helix repeats
    /// `id` and `login`).
    pub(crate) fn query_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.query
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decoded value of the first form field called `name`.
    ///
    /// Only bodies sent as `application/x-www-form-urlencoded` are decoded as forms.
    pub fn form(&self, name: &str) -> Option<&str> {
        lookup(&self.form, name)
    }

    /// The names of the form fields, in the order they were sent.
    pub fn form_names(&self) -> Vec<&str> {
        self.form.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The value of the first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// When the fake finished reading the request (head and body).
    ///
    /// Compare two requests' instants to check how far apart an app sent them, for example that
    /// device polls are spaced by at least the `interval` the device endpoint answered.
    pub fn received_at(&self) -> Instant {
        self.received_at
    }

    /// A request from its head (request line and headers, without the blank line that ends
    /// them); `None` when the head is malformed. Its body comes with [`Request::received`].
    pub(crate) fn parse_head(head: &str) -> Option<Request> {
        let mut lines = head.split("\r\n");
        let RequestLine {
            method,
            target,
            version,
        } = RequestLine::parse(lines.next().unwrap_or_default())?;
        if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
            return None;
        }
        let mut headers = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':')?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Some(Request {
            method: method.to_owned(),
            target: target.to_owned(),
            endpoint: Endpoint::from_path(path),
            headers,
            query: decode(query.as_bytes()),
            form: Vec::new(),
            received_at: Instant::now(),
        })
    }

    /// Completes the request with its body, decoded when it was sent as a form, and notes that
    /// it has now arrived in full.
    pub(crate) fn received(&mut self, body: &[u8]) {
        let is_form = self.header("content-type").is_some_and(|t| {
            t.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if is_form {
            self.form = decode(body);
        }
        self.received_at = Instant::now();
    }

    /// A request without headers or body, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(method: &str, target: &str) -> Request {
        Request::parse_head(&format!("{method} {target} HTTP/1.1"))
            .unwrap_or_else(|| panic!("bad test request {method} {target}"))
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn decode(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn names(pairs: &[(String, String)]) -> Vec<&str> {
            pairs.iter().map(|(name, _)| name.as_str()).collect()
        }
        let path = self.target.split('?').next().unwrap_or_default();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &path)
            .field("endpoint", &self.endpoint)
            .field("headers", &names(&self.headers))
            .field("query", &names(&self.query))
            .field("form", &names(&self.form))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{get, post};
    use super::super::{Endpoint, FakeTwitch};

    #[test]
    fn the_log_decodes_query_form_and_headers() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant(&["chat:read"]);
        let _ = get(
            &format!(
                "{}authorize?client_id=fake-client-id&scope=chat%3Aread+chat%3Aedit&state=a%2Bb",
                fake.url()
            ),
            None,
        );
        let _ = post(
            &format!("{}token", fake.url()),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", grant.refresh_token.as_str()),
                ("client_id", fake.client_id()),
                ("client_secret", fake.client_secret()),
            ],
        );
        let log = fake.requests();
        assert_eq!(log.len(), 2);
        let (authorize, token) = (&log[0], &log[1]);
        assert_eq!(
            (authorize.method(), authorize.endpoint()),
            ("GET", Some(Endpoint::Authorize))
        );
        assert_eq!(authorize.query("scope"), Some("chat:read chat:edit"));
        assert_eq!(authorize.query("state"), Some("a+b"));
        assert!(authorize.target().starts_with(
            "/oauth2/authorize?client_id=fake-client-id&scope=chat%3Aread+chat%3Aedit"
        ));
        assert_eq!(authorize.form("state"), None);

        assert_eq!(
            (token.method(), token.endpoint()),
            ("POST", Some(Endpoint::Token))
        );
        assert_eq!(token.target(), "/oauth2/token");
        assert_eq!(
            token.form("refresh_token"),
            Some(grant.refresh_token.as_str())
        );
        assert_eq!(
            token.form_names(),
            ["grant_type", "refresh_token", "client_id", "client_secret"]
        );
        assert!(
            token
                .header("CONTENT-TYPE")
                .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
        );
        assert_eq!(token.query("client_secret"), None);
        // Debug names what was sent, never a value: no token, state or secret.
        for request in [authorize, token] {
            let debug = format!("{request:?}");
            for secret in [grant.refresh_token.as_str(), fake.client_secret(), "a%2Bb"] {
                assert!(!debug.contains(secret), "{debug}");
            }
            assert!(debug.contains("Request { method: "), "{debug}");
        }
        assert!(format!("{token:?}").contains(r#""client_secret""#));

        fake.clear_requests();
        assert!(fake.requests().is_empty());
    }
}
