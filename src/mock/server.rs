//! The fake's HTTP/1.1 server: one request per connection, answered (or sabotaged), then closed.
//!
//! Hand-written over `TcpListener` rather than a server crate, because faults must happen at
//! the socket level: a hang, a connection closed before or in the middle of an answer.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::Fault;
use super::log::Request;
use super::routes::{self, Answer};
use super::state::Shared;
use crate::http1::{self, Head};

/// Largest request head (request line and headers) read; larger ones get 431.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body read; larger ones get 413.
const MAX_BODY: usize = 1024 * 1024;
/// A silent client must not pin a connection thread forever.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a delayed answer checks whether the fake was dropped.
const DELAY_STEP: Duration = Duration::from_millis(10);
/// How long each read may wait for what a rejected client still sends.
const DRAIN_WAIT: Duration = Duration::from_millis(200);

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
            // An early answer: the client may still be sending its request.
            http1::close(&mut stream, DRAIN_WAIT, MAX_BODY);
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

/// Reads one request: its head, then a `Content-Length` body.
fn read_request(stream: &mut TcpStream) -> Result<Request, Rejected> {
    // One silent read timeout is enough: the client stalled.
    let (mut bytes, len) = match http1::read_head(stream, MAX_HEAD, |timed_out| !timed_out) {
        Head::Complete { bytes, len } => (bytes, len),
        Head::TooLarge => return Err(Rejected::Status(431, "request header fields too large")),
        Head::Gone => return Err(Rejected::Io),
    };
    let mut body = bytes.split_off(len + http1::HEAD_END.len());
    let head = String::from_utf8_lossy(&bytes[..len]);
    let mut request = Request::parse_head(&head).ok_or(Rejected::Status(400, "bad request"))?;
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
    let mut chunk = [0u8; 4096];
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(Rejected::Io);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    request.received(&body);
    Ok(request)
}

fn write_answer(stream: &mut TcpStream, answer: &Answer) -> io::Result<()> {
    let headers: Vec<(&str, &str)> = answer
        .headers
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    http1::write_response(
        stream,
        answer.status,
        &answer.content_type,
        &headers,
        answer.body.as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    use super::super::browse::loopback_agent;
    use super::super::testing::{get, post};
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
        let result = loopback_agent().get(&url).call();
        assert!(result.is_err(), "{result:?}");

        fake.fail(Endpoint::Validate, Fault::CloseMidResponse);
        let outcome = loopback_agent()
            .get(&url)
            .call()
            .and_then(|mut r| r.body_mut().read_to_string());
        assert!(outcome.is_err(), "{outcome:?}");
        assert_eq!(fake.requests().len(), 2);
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

    #[test]
    fn drop_stops_the_server_and_delayed_answers() {
        let fake = FakeTwitch::start().unwrap();
        let url = fake.url();
        fake.fail(Endpoint::Validate, Fault::Delay(Duration::from_secs(60)));
        let waiting = thread::spawn({
            let url = url.clone();
            move || {
                loopback_agent()
                    .get(format!("{url}validate"))
                    .call()
                    .map(|r| r.status())
            }
        });
        // Let the request arrive and start waiting.
        let deadline = Instant::now() + Duration::from_secs(5);
        while fake.requests().is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(fake.requests().len(), 1);

        let start = Instant::now();
        drop(fake);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "drop took {:?}",
            start.elapsed()
        );
        // The delayed connection gives up instead of answering.
        let outcome = waiting.join().unwrap();
        assert!(outcome.is_err(), "{outcome:?}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "delay outlived the fake"
        );
        // Nothing listens any more.
        assert!(
            loopback_agent()
                .get(format!("{url}validate"))
                .call()
                .is_err()
        );
    }
}
