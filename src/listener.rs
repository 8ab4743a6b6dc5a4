//! The one-shot redirect listener: waits for the login redirect on loopback, until a deadline.
//!
//! Only a request on the redirect URL's path carrying our `state` ends the wait. Anything else
//! (the browser's `/favicon.ico`, a stray request, a wrong or missing state) is answered and
//! ignored, so nobody but the browser that started the login can end or hijack it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::Error;
use crate::secret::{AuthCode, CsrfState};

/// A listener on the redirect URL's port, closed when dropped.
pub(crate) struct Listener {
    /// `None` only while dropping.
    server: Option<tiny_http::Server>,
    /// Where the socket listens, to see it closed.
    local: SocketAddr,
    path: String,
    redirect_url: String,
}

/// The login's redirect with our state and a code; the browser waits for [`Callback::answer`].
pub(crate) struct Callback {
    pub(crate) code: AuthCode,
    request: tiny_http::Request,
}

/// What one request to the listener means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not the redirect path: 404, keep waiting.
    NotFound,
    /// The redirect path without our state, or with neither code nor error: 400, keep waiting.
    BadRequest(&'static str),
    /// Twitch sent the user back with `error=` and our state.
    Error { error: String, description: String },
    /// Twitch sent the user back with a code and our state.
    Code(String),
}

impl Listener {
    /// Starts listening; fails at once when the port is taken.
    pub(crate) fn bind(addr: SocketAddr, path: &str, redirect_url: &str) -> Result<Self, Error> {
        let socket = TcpListener::bind(addr).map_err(|source| match source.kind() {
            io::ErrorKind::AddrInUse => Error::PortInUse {
                addr,
                redirect_url: redirect_url.to_owned(),
                source,
            },
            _ => Error::Listen { addr, source },
        })?;
        let local = socket
            .local_addr()
            .map_err(|source| Error::Listen { addr, source })?;
        let server = tiny_http::Server::from_listener(socket, None).map_err(|e| Error::Listen {
            addr,
            source: io::Error::other(e),
        })?;
        Ok(Listener {
            server: Some(server),
            local,
            path: path.to_owned(),
            redirect_url: redirect_url.to_owned(),
        })
    }

    /// Waits for the redirect with our state until `deadline`.
    ///
    /// An `error=` redirect with our state is answered with an error page and returned as the
    /// matching [`Error`]; a code is returned with the request still open, so the browser is told
    /// whether the login worked only once the code has been exchanged.
    pub(crate) fn wait(&self, state: &CsrfState, timeout: Duration) -> Result<Callback, Error> {
        let deadline = Instant::now() + timeout;
        let Some(server) = &self.server else {
            return Err(Error::LoginTimedOut { after: timeout }); // only while dropping
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let request = match server.recv_timeout(left) {
                Ok(Some(request)) => request,
                Ok(None) => return Err(Error::LoginTimedOut { after: timeout }),
                // A broken connection is the client's problem, not the end of the login.
                Err(_) => continue,
            };
            match judge(request.url(), &self.path, state) {
                Verdict::NotFound => answer(request, 404, &page("Not found", "Nothing here.")),
                Verdict::BadRequest(why) => answer(request, 400, &page("Bad request", why)),
                Verdict::Error { error, description } => {
                    let text = format!("Twitch says: {description}. You can close this tab.");
                    answer(request, 400, &page("Login failed", &text));
                    return Err(self.login_error(error, description));
                }
                Verdict::Code(code) => {
                    return Ok(Callback {
                        code: AuthCode::new(code),
                        request,
                    });
                }
            }
        }
    }
}

impl Listener {
    fn login_error(&self, error: String, description: String) -> Error {
        match error.as_str() {
            "access_denied" => Error::Denied { description },
            "redirect_mismatch" => Error::RedirectMismatch {
                redirect_url: self.redirect_url.clone(),
            },
            _ => Error::LoginFailed { error, description },
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        drop(self.server.take());
        // tiny_http closes the socket on its own accept thread, a moment after the drop. Wait
        // for that (briefly), so the port is free when bind() returns: an app that retries at
        // once must not find its own port taken.
        let mut probe = self.local;
        if probe.ip().is_unspecified() {
            probe.set_ip(match probe.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline
            && TcpStream::connect_timeout(&probe, Duration::from_millis(100)).is_ok()
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Callback {
    /// Tells the browser how the login ended: a success page, or what went wrong.
    pub(crate) fn answer(self, outcome: Result<(), &Error>) {
        match outcome {
            Ok(()) => answer(
                self.request,
                200,
                &page(
                    "Logged in",
                    "You are logged in. You can close this tab and return to the app.",
                ),
            ),
            Err(err) => answer(
                self.request,
                500,
                &page(
                    "Login failed",
                    &format!("The login could not be completed: {err}."),
                ),
            ),
        }
    }
}

/// Decides what a request target means, given the redirect path and our state.
pub(crate) fn judge(target: &str, path: &str, state: &CsrfState) -> Verdict {
    let (target_path, query) = target.split_once('?').unwrap_or((target, ""));
    if target_path != path {
        return Verdict::NotFound;
    }
    let mut states = Vec::new();
    let (mut code, mut error, mut description) = (None, None, String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*name {
            "state" => states.push(value),
            "code" => code = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = value.into_owned(),
            _ => {}
        }
    }
    match states.as_slice() {
        [only] if state.matches(only) => {}
        [] => return Verdict::BadRequest("This request has no state: it is not from this login."),
        _ => return Verdict::BadRequest("This request's state does not belong to this login."),
    }
    match (error, code) {
        (Some(error), _) => Verdict::Error { error, description },
        (None, Some(code)) if !code.is_empty() => Verdict::Code(code),
        _ => Verdict::BadRequest("This request carries neither a code nor an error."),
    }
}

fn answer(request: tiny_http::Request, status: u16, html: &str) {
    let headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        // The page's URL holds the code: keep it out of any Referer.
        ("Referrer-Policy", "no-referrer"),
    ];
    let mut response = tiny_http::Response::from_string(html).with_status_code(status);
    for (name, value) in headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    // The browser may have gone away; the login's result does not depend on it.
    let _ = request.respond(response);
}

fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{}</p></body></html>",
        escape(text)
    )
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! judged {
        ($name:ident, $target:expr, $want:expr) => {
            #[test]
            fn $name() {
                let state = CsrfState::new("s1");
                assert_eq!(judge($target, "/cb", &state), $want, "{}", $target);
            }
        };
    }

    judged!(favicon, "/favicon.ico", Verdict::NotFound);
    judged!(other_path, "/cb/x?code=c&state=s1", Verdict::NotFound);
    judged!(root, "/?code=c&state=s1", Verdict::NotFound);
    judged!(
        code,
        "/cb?code=c%2B1&scope=chat%3Aread&state=s1",
        Verdict::Code("c+1".into())
    );
    judged!(
        wrong_state,
        "/cb?code=c&state=s2",
        Verdict::BadRequest("This request's state does not belong to this login.")
    );
    judged!(
        missing_state,
        "/cb?code=c",
        Verdict::BadRequest("This request has no state: it is not from this login.")
    );
    judged!(
        repeated_state,
        "/cb?code=c&state=s1&state=s1",
        Verdict::BadRequest("This request's state does not belong to this login.")
    );
    judged!(
        empty_code,
        "/cb?code=&state=s1",
        Verdict::BadRequest("This request carries neither a code nor an error.")
    );
    judged!(
        nothing,
        "/cb?state=s1",
        Verdict::BadRequest("This request carries neither a code nor an error.")
    );
    judged!(
        denied,
        "/cb?error=access_denied&error_description=The+user+denied+you+access&state=s1",
        Verdict::Error {
            error: "access_denied".into(),
            description: "The user denied you access".into()
        }
    );
    judged!(
        denied_wrong_state,
        "/cb?error=access_denied&state=nope",
        Verdict::BadRequest("This request's state does not belong to this login.")
    );

    #[test]
    fn pages_escape_what_twitch_sent() {
        let html = page("t", "<script>alert('x')</script> & \"more\"");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
