//! HTTP/1 on a plain socket, as the redirect listener and the fake id.twitch.tv speak it: one
//! request head read under a size cap, one answer written, then the connection closed so that
//! the client still reads the answer.
//!
//! Each server keeps its own policy: how large a head may be, how long a client may stay silent,
//! what follows the head. Only the wire format lives here.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// The blank line that ends a request head.
pub(crate) const HEAD_END: &[u8] = b"\r\n\r\n";

/// What [`read_head`] found on a connection.
pub(crate) enum Head {
    /// A whole head: `bytes[..len]` is the request line and headers; the blank line follows,
    /// then whatever the client sent after it (the start of a body).
    Complete { bytes: Vec<u8>, len: usize },
    /// The head grew past the cap before its blank line: answer 431.
    TooLarge,
    /// The client closed, failed or stalled before the head ended: nothing to answer.
    Gone,
}

/// Reads a request head, at most `max` bytes with its blank line.
///
/// `go_on(timed_out)` is asked before every read whether to keep reading; `timed_out` says
/// that the last read found nothing within the socket's read timeout. A server that polls a
/// flag or a deadline sets a short read timeout and looks at them; one for which a single
/// silent timeout is enough answers `!timed_out`.
pub(crate) fn read_head(
    stream: &mut impl Read,
    max: usize,
    mut go_on: impl FnMut(bool) -> bool,
) -> Head {
    let mut bytes = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut timed_out = false;
    loop {
        if let Some(len) = find(&bytes, HEAD_END) {
            if len + HEAD_END.len() > max {
                return Head::TooLarge;
            }
            return Head::Complete { bytes, len };
        }
        if bytes.len() >= max {
            return Head::TooLarge;
        }
        if !go_on(timed_out) {
            return Head::Gone;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Head::Gone,
            Ok(n) => {
                bytes.extend_from_slice(&chunk[..n]);
                timed_out = false;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                timed_out = true;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Head::Gone,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The first line of a request head, without its line end; empty when it is not UTF-8 (and so
/// no request line: an empty line is rejected as malformed).
pub(crate) fn request_line(head: &[u8]) -> &str {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    std::str::from_utf8(line).map_or("", str::trim_end)
}

/// The three parts of a request line such as `GET /path?query HTTP/1.1`, each server checking
/// them by its own rules.
pub(crate) struct RequestLine<'a> {
    pub(crate) method: &'a str,
    /// Path and query, still encoded.
    pub(crate) target: &'a str,
    pub(crate) version: &'a str,
}

impl<'a> RequestLine<'a> {
    /// Splits `line` at single spaces; `None` unless it has exactly three parts.
    pub(crate) fn parse(line: &'a str) -> Option<Self> {
        let mut parts = line.split(' ');
        let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
        parts.next().is_none().then_some(RequestLine {
            method,
            target,
            version,
        })
    }
}

/// Writes one answer and flushes it: the status line, `Content-Type`, `Content-Length`,
/// `Cache-Control: no-store`, the `extra` headers, `Connection: close`, then the body.
///
/// Header values lose their line breaks, so that no value can add headers of its own.
pub(crate) fn write_response(
    stream: &mut impl Write,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let extra: String = extra
        .iter()
        .map(|(name, value)| format!("{name}: {}\r\n", header_safe(value)))
        .collect();
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\
         Cache-Control: no-store\r\n{extra}Connection: close\r\n\r\n",
        reason = reason(status),
        content_type = header_safe(content_type),
        length = body.len(),
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// Drops line breaks.
fn header_safe(value: &str) -> String {
    value.replace(['\r', '\n'], "")
}

/// Ends an answered connection without destroying the answer.
///
/// Closing a socket with unread bytes resets the connection, and a reset can reach the client
/// before it has read the answer. So: say we are done writing, then read what the client still
/// sends, waiting at most `wait` for each read and reading at most `at_most` bytes.
pub(crate) fn close(stream: &mut TcpStream, wait: Duration, at_most: usize) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(wait));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < at_most {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// The reason phrase of the statuses the listener and the fake send.
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
    use super::*;

    /// Hands out `chunks` one read at a time, then the end of the stream.
    struct Chunks(Vec<&'static [u8]>);

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let chunk = self.0.remove(0);
            buf[..chunk.len()].copy_from_slice(chunk);
            Ok(chunk.len())
        }
    }

    fn head(chunks: Vec<&'static [u8]>, max: usize) -> Head {
        read_head(&mut Chunks(chunks), max, |_| true)
    }

    #[test]
    fn heads_end_at_the_blank_line_and_keep_what_follows() {
        let Head::Complete { bytes, len } =
            head(vec![b"GET / HTTP/1.1\r\nA: b\r", b"\n\r\nbody"], 64)
        else {
            panic!("incomplete");
        };
        assert_eq!(&bytes[..len], b"GET / HTTP/1.1\r\nA: b");
        assert_eq!(&bytes[len + 4..], b"body");
    }

    #[test]
    fn heads_are_capped_with_their_blank_line() {
        let exact = b"GET / HTTP/1.1\r\n\r\n";
        assert!(matches!(
            head(vec![exact], 18),
            Head::Complete { len: 14, .. }
        ));
        assert!(matches!(head(vec![exact], 17), Head::TooLarge));
        assert!(matches!(
            head(vec![b"GET / HTTP/1.1\r\n"; 3], 32),
            Head::TooLarge
        ));
        assert!(matches!(head(vec![b"GET / HT"], 64), Head::Gone));
    }

    /// Times out once, then says nothing more.
    struct Silent(bool);

    impl Read for Silent {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                return Ok(0);
            }
            Err(io::ErrorKind::WouldBlock.into())
        }
    }

    #[test]
    fn go_on_hears_of_timeouts() {
        let mut heard = Vec::new();
        let found = read_head(&mut Silent(false), 64, |timed_out| {
            heard.push(timed_out);
            !timed_out
        });
        assert!(matches!(found, Head::Gone));
        assert_eq!(heard, [false, true]);
    }

    #[test]
    fn go_on_can_stop_the_read() {
        let mut asked = 0;
        let mut chunks = Chunks(vec![b"GET / HTTP/1.1\r\n", b"\r\n"]);
        let found = read_head(&mut chunks, 64, |_| {
            asked += 1;
            asked < 2
        });
        assert!(matches!(found, Head::Gone));
    }

    #[test]
    fn request_lines() {
        assert_eq!(
            request_line(b"GET / HTTP/1.1 \r\nHost: x\r\n"),
            "GET / HTTP/1.1"
        );
        assert_eq!(request_line(b"GET /\xff HTTP/1.1\r\n"), "");
        let line = RequestLine::parse("GET /cb?code=1 HTTP/1.1").expect("three parts");
        assert_eq!(
            (line.method, line.target, line.version),
            ("GET", "/cb?code=1", "HTTP/1.1")
        );
        for bad in ["GET /", "GET / HTTP/1.1 x", "GET  / HTTP/1.1", ""] {
            assert!(RequestLine::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn answers_carry_their_headers_and_no_injected_ones() {
        let mut out = Vec::new();
        write_response(
            &mut out,
            302,
            "text/html",
            &[("Location", "/x\r\nSet-Cookie: a=b")],
            b"hi",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 302 Found\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\
             Cache-Control: no-store\r\nLocation: /xSet-Cookie: a=b\r\nConnection: close\r\n\r\nhi"
        );
    }
}
