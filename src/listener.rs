//! The one-shot redirect listener: waits for the login redirect on loopback, until a deadline.
//!
//! It listens where the browser will go: the redirect URL's IP, or for `localhost` both
//! 127.0.0.1 and `[::1]`, since browsers may try either first and a program holding the other
//! one would otherwise receive the code and state.
//!
//! Only a request on the redirect URL's path carrying our `state` ends the wait (see
//! `redirect.rs`). Anything else, the browser's `/favicon.ico`, a stray or hostile request, is
//! answered and ignored. Each connection gets one answer and is closed; it is read on its own
//! short-lived thread with a small size cap and a time budget, so a client that sends nothing,
//! sends too much or never reads cannot stall the login. All of them are scoped threads, joined
//! before `wait` returns, and the sockets close with the `Listener`: nothing outlives `bind()`.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cancel::Watch;
use crate::http1::{self, Head, RequestLine};
use crate::redirect::{Pages, Verdict, judge, missing_scopes_page, missing_scopes_text, page};
use crate::secret::{AuthCode, CsrfState};
use crate::{Error, Scope};

/// How often the waiting thread looks for new connections.
const POLL: Duration = Duration::from_millis(10);
/// The most a request head may be: a browser's is a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request head.
const CONNECTION_BUDGET: Duration = Duration::from_secs(2);
/// How long a read waits before the reader looks at the login's end and its budget again.
const READ_STEP: Duration = Duration::from_millis(100);
/// How long a connection may take to read its answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections served at once; more are closed at once (a flood cannot exhaust threads).
const MAX_CONNECTIONS: usize = 64;

/// Where the listener listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListenOn {
    /// One address: the redirect URL's IP, or `Helper::listen_addr`.
    Addr(SocketAddr),
    /// `localhost` on this port: 127.0.0.1 and, where the machine has IPv6, `[::1]`.
    Localhost(u16),
}

/// A listener on the redirect URL's port, closed when dropped.
pub(crate) struct Listener {
    /// One or two sockets (`localhost`), all non-blocking.
    sockets: Vec<TcpListener>,
    path: String,
    redirect_url: String,
    pages: Pages,
}

/// The login's redirect with our state and a code; the browser waits for [`Callback::answer`].
pub(crate) struct Callback {
    pub(crate) code: AuthCode,
    /// The scopes the redirect says were granted; `None` when it did not say.
    pub(crate) granted: Option<Vec<Scope>>,
    stream: TcpStream,
    pages: Pages,
}

/// What a connection found: the end of the login (a code or Twitch's error), sent to the waiter.
type Found = Result<Callback, Error>;

impl Listener {
    /// Starts listening; fails at once when the port is taken on any address it needs.
    pub(crate) fn bind(
        on: ListenOn,
        path: &str,
        redirect_url: &str,
        pages: Pages,
    ) -> Result<Self, Error> {
        let listen = |addr| listen(addr, redirect_url);
        let sockets = match on {
            ListenOn::Addr(addr) => vec![listen(addr)?],
            ListenOn::Localhost(port) => {
                let v4 = listen(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
                // IPv4's port, so that both families agree even if `port` is 0.
                let port = v4.local_addr().map_or(port, |addr| addr.port());
                let v6_addr = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
                match listen(v6_addr) {
                    Ok(v6) => vec![v4, v6],
                    // Without IPv6 no browser can reach [::1], and neither can a program there.
                    Err(Error::Listen { source, .. }) if no_ipv6_loopback(&source) => vec![v4],
                    Err(err) => return Err(err),
                }
            }
        };
        Ok(Listener {
            sockets,
            path: path.to_owned(),
            redirect_url: redirect_url.to_owned(),
            pages,
        })
    }

    /// Waits for the redirect with our state, at most `timeout`; a timeout too long for the
    /// clock to count (`Duration::MAX`) waits as long as it takes.
    ///
    /// An `error=` redirect with our state is answered with an error page and returned as the
    /// matching [`Error`]; a code is returned with its connection still open, so the browser is
    /// told whether the login worked only once the code has been exchanged.
    pub(crate) fn wait(
        &self,
        state: &CsrfState,
        timeout: Duration,
        cancel: &Watch,
    ) -> Result<Callback, Error> {
        // `Instant + Duration` panics past the clock's range; a deadline that far is none.
        let deadline = Instant::now().checked_add(timeout);
        let (found, results) = mpsc::channel::<Found>();
        let done = AtomicBool::new(false);
        let active = AtomicUsize::new(0);
        thread::scope(|scope| {
            let result = loop {
                if cancel.is_cancelled() {
                    break Err(Error::LoginCancelled);
                }
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    break Err(Error::LoginTimedOut {
                        after: timeout,
                        redirect_url: Some(self.redirect_url.clone()),
                    });
                }
                let mut accepted = false;
                // Nobody waiting to connect, or the OS is out of something (file descriptors):
                // the socket still listens, so go on to the next one.
                for (stream, _) in self.sockets.iter().filter_map(|s| s.accept().ok()) {
                    accepted = true;
                    if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                        continue; // dropped: closed without an answer
                    }
                    active.fetch_add(1, Ordering::SeqCst);
                    let (found, done, active) = (found.clone(), &done, &active);
                    let serve = move || {
                        self.serve(stream, state, done, &found);
                        active.fetch_sub(1, Ordering::SeqCst);
                    };
                    if thread::Builder::new().spawn_scoped(scope, serve).is_err() {
                        active.fetch_sub(1, Ordering::SeqCst); // no thread: connection dropped
                    }
                }
                // Nothing new on any socket: wait a moment, unless the login ends meanwhile.
                if !accepted && let Ok(result) = results.recv_timeout(POLL) {
                    break result;
                }
                if let Ok(result) = results.try_recv() {
                    break result;
                }
            };
            // The other connections' threads notice within one read and end.
            done.store(true, Ordering::SeqCst);
            result
        })
    }

    /// Reads one request from `stream`, answers it unless it ends the login, and closes it.
    fn serve(
        &self,
        mut stream: TcpStream,
        state: &CsrfState,
        done: &AtomicBool,
        found: &mpsc::Sender<Found>,
    ) {
        let (head, len) = match read_head(&mut stream, done) {
            Head::Complete { bytes, len } => (bytes, len),
            Head::TooLarge => {
                return respond(
                    stream,
                    431,
                    &page("Request too large", "This request is too large."),
                );
            }
            Head::Gone => return,
        };
        let Some(target) = request_target(http1::request_line(&head[..len])) else {
            return respond(
                stream,
                400,
                &page("Bad request", "This is not an HTTP request."),
            );
        };
        match judge(target, &self.path, state) {
            Verdict::NotFound => respond(stream, 404, &page("Not found", "Nothing here.")),
            Verdict::BadRequest(why) => respond(stream, 400, &page("Bad request", why)),
            Verdict::Error { error, description } => {
                let text = format!("Twitch says: {description}. You can close this tab.");
                let html = self.pages.failure(&text, || page("Login failed", &text));
                respond(stream, 400, &html);
                let _ = found.send(Err(self.login_error(error, description)));
            }
            Verdict::Code { code, granted } => {
                let _ = found.send(Ok(Callback {
                    code: AuthCode::new(code),
                    granted,
                    stream,
                    pages: self.pages.clone(),
                }));
            }
        }
    }

    fn login_error(&self, error: String, description: String) -> Error {
        login_error(error, description, &self.redirect_url)
    }
}

/// Twitch's `error=` in a login's redirect, as the error `bind()` returns.
pub(crate) fn login_error(error: String, description: String, redirect_url: &str) -> Error {
    match error.as_str() {
        "access_denied" => Error::Denied { description },
        "redirect_mismatch" => Error::RedirectMismatch {
            redirect_url: redirect_url.to_owned(),
        },
        _ => Error::LoginFailed { error, description },
    }
}

impl Callback {
    /// Tells the browser how the login ended: a success page, or what went wrong.
    pub(crate) fn answer(self, outcome: Result<(), &Error>) {
        let pages = &self.pages;
        let (status, html) = match outcome {
            Ok(()) => (200, pages.success()),
            Err(Error::MissingScopes { missing }) => (
                403,
                pages.failure(&missing_scopes_text(missing), || {
                    missing_scopes_page(missing)
                }),
            ),
            Err(err) => {
                let text = format!("The login could not be completed: {err}.");
                (500, pages.failure(&text, || page("Login failed", &text)))
            }
        };
        respond(self.stream, status, &html);
    }
}

/// A non-blocking socket on `addr`; a taken port is [`Error::PortInUse`].
fn listen(addr: SocketAddr, redirect_url: &str) -> Result<TcpListener, Error> {
    let socket = TcpListener::bind(addr).map_err(|source| match source.kind() {
        io::ErrorKind::AddrInUse => Error::PortInUse {
            addr,
            redirect_url: redirect_url.to_owned(),
            source,
        },
        _ => Error::Listen { addr, source },
    })?;
    // The waiting thread polls, so that the deadline is kept whatever clients do.
    socket
        .set_nonblocking(true)
        .map_err(|source| Error::Listen { addr, source })?;
    Ok(socket)
}

/// Whether binding `[::1]` failed because the machine has no IPv6 loopback: IPv6 turned off
/// (address not available) or absent from the kernel (address family not supported).
fn no_ipv6_loopback(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::AddrNotAvailable
        || err.raw_os_error().is_some_and(is_family_unsupported)
}

/// Whether an OS error code is "address family not supported", which std has no kind for.
#[cfg(unix)]
fn is_family_unsupported(code: i32) -> bool {
    code == libc::EAFNOSUPPORT
}

/// Whether an OS error code is "address family not supported", which std has no kind for.
#[cfg(windows)]
fn is_family_unsupported(code: i32) -> bool {
    const WSAEAFNOSUPPORT: i32 = 10047; // winsock2.h
    code == WSAEAFNOSUPPORT
}

/// Whether an OS error code is "address family not supported": unknown on other systems, so
/// only "address not available" counts there.
#[cfg(not(any(unix, windows)))]
fn is_family_unsupported(_code: i32) -> bool {
    false
}

/// The target of a request line such as `GET /path?query HTTP/1.1`; `None` when the line is
/// not one.
pub(crate) fn request_target(line: &str) -> Option<&str> {
    let RequestLine {
        method,
        target,
        version,
    } = RequestLine::parse(line)?;
    let well_formed = !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_uppercase())
        && version.starts_with("HTTP/");
    well_formed.then_some(target)
}

/// Reads a request head within the connection's budget: [`Head::Gone`] when the client sends
/// nothing usable in time, or the login ends meanwhile.
fn read_head(stream: &mut TcpStream, done: &AtomicBool) -> Head {
    let budget = Instant::now() + CONNECTION_BUDGET;
    // Short reads, so the thread sees `done` and its budget even while the client is silent.
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(READ_STEP)).is_err() {
        return Head::Gone;
    }
    http1::read_head(stream, MAX_HEAD, |_| {
        !done.load(Ordering::SeqCst) && Instant::now() < budget
    })
}

/// Sends one HTML answer and closes the connection.
fn respond(mut stream: TcpStream, status: u16, html: &str) {
    // The browser may have gone away, or never read: the login's result does not depend on it.
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let _ = http1::write_response(
        &mut stream,
        status,
        "text/html; charset=utf-8",
        &[("Referrer-Policy", "no-referrer")],
        html.as_bytes(),
    );
    http1::close(&mut stream, READ_STEP, 64 * 1024);
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::CancelLogin;

    #[test]
    fn only_a_missing_ipv6_loopback_skips_it() {
        #[cfg(unix)]
        let unsupported = libc::EAFNOSUPPORT;
        #[cfg(windows)]
        let unsupported = 10047;
        #[cfg(any(unix, windows))]
        assert!(no_ipv6_loopback(&io::Error::from_raw_os_error(unsupported)));
        assert!(no_ipv6_loopback(&io::ErrorKind::AddrNotAvailable.into()));
        for kind in [
            io::ErrorKind::AddrInUse,
            io::ErrorKind::PermissionDenied,
            io::ErrorKind::InvalidInput,
        ] {
            assert!(!no_ipv6_loopback(&kind.into()), "{kind:?}");
        }
    }

    #[test]
    fn request_lines() {
        let cases = [
            ("GET /cb?code=1 HTTP/1.1", Some("/cb?code=1")),
            ("GET / HTTP/2.0", Some("/")),
            ("HEAD /x HTTP/1.0", Some("/x")),
            ("HELLO THERE", None),
            ("get / HTTP/1.1", None),
            ("GET / HTTP/1.1 extra", None),
            ("GET /", None),
            ("", None),
        ];
        for (line, want) in cases {
            assert_eq!(request_target(line), want, "{line:?}");
        }
    }

    #[test]
    fn a_timeout_too_long_for_the_clock_waits_for_the_redirect() {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = Listener::bind(
            ListenOn::Addr(loopback),
            "/",
            "http://localhost/",
            Pages::default(),
        )
        .unwrap();
        let addr = listener.sockets[0].local_addr().unwrap();
        let state = CsrfState::random().unwrap();
        let request = format!("GET /?code=c0de&state={} HTTP/1.1\r\n\r\n", state.secret());
        let browser = thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut page = String::new();
            let _ = stream.read_to_string(&mut page);
            page
        });

        let callback = listener
            .wait(&state, Duration::MAX, &CancelLogin::default().watch())
            .unwrap();

        assert_eq!(callback.code.secret(), "c0de");
        callback.answer(Ok(()));
        let page = browser.join().unwrap();
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    }
}
