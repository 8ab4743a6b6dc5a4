//! The fake's HTTP/1.1 server: one request per connection, answered (or sabotaged), then closed.
//!
//! Hand-written over `TcpListener` rather than a server crate, because faults must happen at
//! the socket level: a hang, a connection closed before or in the middle of an answer.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::state::Shared;
use super::{Endpoint, Fault, routes};

/// Largest request head (request line and headers) read; larger ones get 431.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body read; larger ones get 413.
const MAX_BODY: usize = 1024 * 1024;
/// A silent client must not pin a connection thread forever.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a delayed answer checks whether the fake was dropped.
const DELAY_STEP: Duration = Duration::from_millis(10);

/// A request the fake received, as [`FakeTwitch::requests`](super::FakeTwitch::requests) lists it.
#[derive(Clone, Debug)]
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

    /// A request without headers or body, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(method: &str, target: &str) -> Request {
        parse_head(&format!("{method} {target} HTTP/1.1"))
            .unwrap_or_else(|_| panic!("bad test request {method} {target}"))
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Twitch's error body; fields in Twitch's order.
#[derive(serde::Serialize)]
pub(crate) struct ErrorBody<'a> {
    /// The reason phrase, which Twitch adds to a few errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<&'a str>,
    pub(crate) status: u16,
    pub(crate) message: &'a str,
}

/// What a route answers.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: String,
    /// Extra headers, such as `Location` or `Retry-After`.
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: &impl serde::Serialize) -> Answer {
        Answer {
            status,
            content_type: "application/json".to_owned(),
            // Serializing our own plain structs cannot fail; "{}" keeps this panic-free anyway.
            body: serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()),
            headers: Vec::new(),
        }
    }

    /// `{"status":..,"message":..}`, Twitch's usual error body.
    pub(crate) fn error(status: u16, message: &str) -> Answer {
        Answer::json(
            status,
            &ErrorBody {
                error: None,
                status,
                message,
            },
        )
    }

    /// A `302 Found` to `location`.
    pub(crate) fn redirect(location: String) -> Answer {
        Answer {
            status: 302,
            content_type: "text/html".to_owned(),
            body: String::new(),
            headers: vec![("Location", location)],
        }
    }
}

/// Accepts connections until the fake is dropped, each on its own short-lived thread.
pub(crate) fn serve(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        match stream {
            Ok(stream) => {
                let shared = Arc::clone(shared);
                // If no thread can be spawned, the stream is dropped: the client sees a close.
                let _ = thread::Builder::new()
                    .name("fake-twitch-conn".to_owned())
                    .spawn(move || connection(stream, &shared));
            }
            // E.g. out of file descriptors: wait a little instead of spinning.
            Err(_) => thread::sleep(DELAY_STEP),
        }
    }
}

fn connection(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let request = match read_request(&mut stream) {
        Ok(request) => request,
        Err(Rejected::Io) => return,
        Err(Rejected::Status(status, message)) => {
            let _ = write_answer(&mut stream, &Answer::error(status, message));
            drain(&mut stream);
            return;
        }
    };
    // Logged before faults apply: a test sees the request even when the answer was sabotaged.
    let fault = shared.lock().record(request.clone());
    let _ = match fault {
        None => write_answer(&mut stream, &routes::answer(shared, &request)),
        Some(Fault::Status {
            status,
            content_type,
            body,
        }) => write_answer(
            &mut stream,
            &Answer {
                status,
                content_type,
                body,
                headers: Vec::new(),
            },
        ),
        Some(Fault::RateLimited { retry_after }) => {
            let mut answer = Answer::error(429, "Too Many Requests");
            answer
                .headers
                .push(("Retry-After", retry_after.to_string()));
            write_answer(&mut stream, &answer)
        }
        Some(Fault::Delay(wait)) => {
            if !sleep_unless_stopped(shared, wait) {
                return;
            }
            write_answer(&mut stream, &routes::answer(shared, &request))
        }
        Some(Fault::Close) => return,
        Some(Fault::CloseMidResponse) => stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\
                  Connection: close\r\n\r\n{\"access_token\":\"",
            )
            .and_then(|()| stream.flush()),
    };
}

/// Sleeps for `wait` in small steps; false when the fake was dropped meanwhile.
fn sleep_unless_stopped(shared: &Shared, wait: Duration) -> bool {
    let start = Instant::now();
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return false;
        }
        let left = wait.saturating_sub(start.elapsed());
        if left.is_zero() {
            return true;
        }
        thread::sleep(left.min(DELAY_STEP));
    }
}

/// Why no request could be read.
#[derive(Clone, Copy)]
enum Rejected {
    /// The client went away or stalled: nothing to answer.
    Io,
    /// A malformed or oversized request: answer with this status and message, then close.
    Status(u16, &'static str),
}

impl From<io::Error> for Rejected {
    fn from(_: io::Error) -> Self {
        Rejected::Io
    }
}

fn read_request(stream: &mut TcpStream) -> Result<Request, Rejected> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            break end;
        }
        if buf.len() >= MAX_HEAD {
            return Err(Rejected::Status(431, "request header fields too large"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(Rejected::Io);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_end + 4 > MAX_HEAD {
        return Err(Rejected::Status(431, "request header fields too large"));
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut body = buf.split_off(head_end + 4);
    let mut request = parse_head(&head)?;
    if request.header("transfer-encoding").is_some() {
        return Err(Rejected::Status(501, "transfer-encoding not supported"));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| Rejected::Status(400, "bad content-length"))?,
    };
    if length > MAX_BODY {
        return Err(Rejected::Status(413, "payload too large"));
    }
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(Rejected::Io);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let is_form = request.header("content-type").is_some_and(|t| {
        t.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if is_form {
        request.form = decode(&body);
    }
    request.received_at = Instant::now();
    Ok(request)
}

/// Parses the request line and headers (without the blank line that ends them).
fn parse_head(head: &str) -> Result<Request, Rejected> {
    let bad = Rejected::Status(400, "bad request");
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad);
    };
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err(bad);
    }
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(bad)?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        endpoint: routes::endpoint(path),
        headers,
        query: decode(query.as_bytes()),
        form: Vec::new(),
        received_at: Instant::now(),
    })
}

fn decode(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn write_answer(stream: &mut TcpStream, answer: &Answer) -> io::Result<()> {
    let extra: String = answer
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {}\r\n", header_safe(value)))
        .collect();
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\n{extra}Content-Type: {content_type}\r\n\
         Content-Length: {length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        status = answer.status,
        reason = reason(answer.status),
        content_type = header_safe(&answer.content_type),
        length = answer.body.len(),
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(answer.body.as_bytes())?;
    stream.flush()
}

/// Drops line breaks, so no value can add headers of its own.
fn header_safe(value: &str) -> String {
    value.replace(['\r', '\n'], "")
}

/// Reads what the client still sends after an early answer, so closing does not reset the
/// connection and destroy the answer before the client has read it.
fn drain(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let mut left = MAX_BODY;
    while left > 0 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    use super::super::testing::{agent, get, post};
    use super::super::{Endpoint, FakeTwitch, Fault};
    use super::*;

    /// Sends raw bytes and returns the whole answer.
    fn raw(fake: &FakeTwitch, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(fake.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // The server may answer and close before everything is written.
        let _ = stream.write_all(request);
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }

    #[test]
    fn status_fault_replaces_the_answer() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant::<&str>(&[]);
        let validate = || {
            get(
                &format!("{}validate", fake.url()),
                Some(&grant.access_token),
            )
        };
        fake.fail(
            Endpoint::Validate,
            Fault::status(502, "<html>Bad Gateway</html>"),
        );
        for _ in 0..2 {
            let reply = validate();
            assert_eq!(
                (reply.status, reply.body.as_str()),
                (502, "<html>Bad Gateway</html>")
            );
            assert_eq!(reply.content_type.as_deref(), Some("text/html"));
        }
        // Other endpoints are untouched.
        assert_eq!(get(&format!("{}device", fake.url()), None).status, 404);
        fake.clear_faults();
        assert_eq!(validate().status, 200);

        fake.fail_times(Endpoint::Validate, Fault::json(429, r#"{"status":429}"#), 1);
        let reply = validate();
        assert_eq!(
            (reply.status, reply.content_type.as_deref()),
            (429, Some("application/json"))
        );
        assert_eq!(
            validate().status,
            200,
            "fail_times(.., 1) lasts one request"
        );
        assert_eq!(fake.requests().len(), 6, "faulted requests are logged too");
    }

    #[test]
    fn status_fault_does_not_spend_the_refresh_token() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant::<&str>(&[]);
        let form = [
            ("client_id", fake.client_id()),
            ("client_secret", fake.client_secret()),
            ("grant_type", "refresh_token"),
            ("refresh_token", grant.refresh_token.as_str()),
        ];
        fake.fail_times(Endpoint::Token, Fault::status(500, "oops"), 1);
        assert_eq!(post(&format!("{}token", fake.url()), &form).status, 500);
        assert_eq!(post(&format!("{}token", fake.url()), &form).status, 200);
    }

    #[test]
    fn delay_fault_answers_late() {
        let fake = FakeTwitch::start().unwrap();
        fake.fail_times(
            Endpoint::Validate,
            Fault::Delay(Duration::from_millis(300)),
            1,
        );
        let start = Instant::now();
        let reply = get(&format!("{}validate", fake.url()), None);
        assert!(
            start.elapsed() >= Duration::from_millis(300),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(reply.status, 401);

        // A client with a short timeout sees no answer at all.
        fake.fail(Endpoint::Validate, Fault::Delay(Duration::from_secs(60)));
        let impatient: ureq::Agent = ureq::Agent::config_builder()
            .proxy(None)
            .timeout_global(Some(Duration::from_millis(200)))
            .build()
            .into();
        let err = impatient
            .get(format!("{}validate", fake.url()))
            .call()
            .unwrap_err();
        assert!(matches!(err, ureq::Error::Timeout(_)), "{err:?}");
    }

    #[test]
    fn close_faults_break_the_client() {
        let fake = FakeTwitch::start().unwrap();
        let url = format!("{}validate", fake.url());
        fake.fail(Endpoint::Validate, Fault::Close);
        let result = agent().get(&url).call();
        assert!(result.is_err(), "{result:?}");

        fake.fail(Endpoint::Validate, Fault::CloseMidResponse);
        let outcome = agent()
            .get(&url)
            .call()
            .and_then(|mut r| r.body_mut().read_to_string());
        assert!(outcome.is_err(), "{outcome:?}");
        assert_eq!(fake.requests().len(), 2);
    }

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

        fake.clear_requests();
        assert!(fake.requests().is_empty());
    }

    #[test]
    fn an_unencoded_refresh_token_is_rejected() {
        let fake = FakeTwitch::start().unwrap();
        let grant = fake.grant::<&str>(&[]);
        let body = format!(
            "grant_type=refresh_token&client_id=fake-client-id&client_secret=fake-client-secret&refresh_token={}",
            grant.refresh_token
        );
        let request = format!(
            "POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let answer = raw(&fake, request.as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer}"
        );
        assert!(
            answer.ends_with(r#""message":"Invalid refresh token"}"#),
            "{answer}"
        );
    }

    #[test]
    fn oversized_and_malformed_requests() {
        let fake = FakeTwitch::start().unwrap();
        let huge = format!(
            "GET /oauth2/validate HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(70 * 1024)
        );
        assert!(raw(&fake, huge.as_bytes()).starts_with("HTTP/1.1 431 "));
        let big = "POST /oauth2/token HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n";
        assert!(raw(&fake, big.as_bytes()).starts_with("HTTP/1.1 413 "));
        assert!(raw(&fake, b"NONSENSE\r\n\r\n").starts_with("HTTP/1.1 400 "));
        assert!(raw(&fake, b"GET /x HTTP/1.1\r\nno colon\r\n\r\n").starts_with("HTTP/1.1 400 "));
        assert!(
            fake.requests().is_empty(),
            "unparsable requests are not logged"
        );

        // A well-formed answer, read line by line.
        let answer = raw(&fake, b"GET /oauth2/validate HTTP/1.1\r\nHost: x\r\n\r\n");
        let lines: Vec<String> = BufReader::new(answer.as_bytes())
            .lines()
            .map_while(Result::ok)
            .collect();
        assert_eq!(lines[0], "HTTP/1.1 401 Unauthorized");
        assert!(lines.contains(&"Connection: close".to_owned()), "{lines:?}");
        assert!(
            lines.contains(&"Content-Type: application/json".to_owned()),
            "{lines:?}"
        );
    }
}
