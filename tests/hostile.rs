//! Hostile clients on the redirect listener while a real browser login runs: raw connections
//! with wrong, missing, repeated and 100 KB states, garbage and non-UTF-8 request lines, 1 MB
//! headers, 50 connections at once, a client that connects and says nothing and one whose
//! HTTP/2.0 request line is never answered. None of it ends the login, the listener keeps
//! answering, the real callback still completes the flow (one code exchange, with its code), a
//! deadline still ends a login that nobody completes, and nothing answers on a non-loopback
//! address.
//!
//! The tests at the end are regressions: abuse that did harm while the listener was built on
//! tiny_http 0.12 (found by these tests; the listener now reads each connection itself).

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use support::{CHAT, Setup};
use twitch_auth::mock::{self, Page};
use twitch_auth::{Error, Outcome};

/// Where an `on_url` callback leaves the thread it started, for the test to join.
type Slot<T> = Arc<Mutex<Option<JoinHandle<T>>>>;

/// What the listener did with one raw request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    /// Answered with this status.
    Status(u16),
    /// Closed the connection without an answer.
    Closed,
    /// No answer and no close within 5 s: the listener hangs on it.
    Silent,
}

/// Sends `bytes` on a new connection, ends the sending side, and reads the answer's status.
fn send_raw(port: u16, bytes: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the listener accepts");
    send_on(&mut stream, bytes)
}

fn send_on(stream: &mut TcpStream, bytes: &[u8]) -> Reply {
    let timeout = Some(Duration::from_secs(5));
    stream.set_read_timeout(timeout).unwrap();
    stream.set_write_timeout(timeout).unwrap();
    // The listener may close before it has read everything; what it answered still counts.
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&chunk[..n]);
                if answer.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Reply::Silent;
            }
            Err(_) => break, // reset: closed
        }
    }
    let line = String::from_utf8_lossy(&answer);
    match line.split(' ').nth(1).and_then(|s| s.parse().ok()) {
        Some(status) if line.starts_with("HTTP/1.") => Reply::Status(status),
        _ if answer.is_empty() => Reply::Closed,
        _ => panic!("not an HTTP answer: {line:?}"),
    }
}

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// The `state` of a login URL.
fn state_of(url: &str) -> String {
    url.split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("state="))
        .expect("the login URL has a state")
        .to_owned()
}

/// Raw requests no login may accept, and what the listener must do with each. `state` is the
/// running login's: several cases misuse it.
fn hostile_requests(state: &str) -> Vec<(&'static str, Vec<u8>, Reply)> {
    let wrong = "0123456789abcdef0123456789abcdef";
    let long = "a".repeat(100 * 1024);
    let bad = Reply::Status(400);
    let mut cases = vec![
        (
            "wrong state",
            get(&format!("/?code=hostile&state={wrong}")),
            bad.clone(),
        ),
        ("no state", get("/?code=hostile"), bad.clone()),
        ("empty state", get("/?code=hostile&state="), bad.clone()),
        (
            "our state twice",
            get(&format!("/?code=hostile&state={state}&state={state}")),
            bad.clone(),
        ),
        (
            "our state, then another",
            get(&format!("/?code=hostile&state={state}&state={wrong}")),
            bad.clone(),
        ),
        (
            "another state, then ours",
            get(&format!("/?code=hostile&state={wrong}&state={state}")),
            bad.clone(),
        ),
        (
            "our state with a NUL after it",
            get(&format!("/?code=hostile&state={state}%00")),
            bad.clone(),
        ),
        (
            "our state, then 100 KB more",
            get(&format!("/?code=hostile&state={state}{long}")),
            Reply::Status(431),
        ),
        (
            "a 100 KB state",
            get(&format!("/?code=hostile&state={long}")),
            Reply::Status(431),
        ),
        (
            "a state of invalid UTF-8",
            get("/?code=hostile&state=%ff%fe%fd"),
            bad.clone(),
        ),
        (
            "our state, empty code",
            get(&format!("/?code=&state={state}")),
            bad.clone(),
        ),
        (
            "our state, no code",
            get(&format!("/?state={state}")),
            bad.clone(),
        ),
        (
            "our state on another path",
            get(&format!("/callback?code=hostile&state={state}")),
            Reply::Status(404),
        ),
        (
            "our state in an absolute-form target",
            get(&format!("http://localhost/?code=hostile&state={state}")),
            Reply::Status(404),
        ),
        (
            "garbage request line",
            b"HELLO THERE\r\n\r\n".to_vec(),
            bad.clone(),
        ),
        (
            "binary request line",
            b"\x00\x01\x02\xff\xfe GET \x80\r\n\r\n".to_vec(),
            bad.clone(),
        ),
        (
            "non-UTF-8 request line with our state",
            [
                format!("GET /?code=hostile&state={state}").as_bytes(),
                b"\xff\xfe HTTP/1.1\r\n\r\n",
            ]
            .concat(),
            bad.clone(),
        ),
        (
            "request line with our state, cut before its end",
            format!("GET /?code=hostile&state={state} HTTP/1.1").into_bytes(),
            Reply::Closed,
        ),
        (
            "1 MB header",
            format!(
                "GET /?code=hostile&state={wrong} HTTP/1.1\r\nX-Padding: {}\r\n\r\n",
                "p".repeat(1024 * 1024)
            )
            .into_bytes(),
            Reply::Status(431),
        ),
        (
            "1 MB of small headers, no state",
            [
                b"GET /?code=hostile HTTP/1.1\r\n".to_vec(),
                b"X-A: b\r\n".repeat(128 * 1024),
                b"\r\n".to_vec(),
            ]
            .concat(),
            Reply::Status(431),
        ),
        (
            "1 MB request target",
            get(&format!(
                "/?code=hostile&state={wrong}&x={}",
                "x".repeat(1024 * 1024)
            )),
            Reply::Status(431),
        ),
    ];
    let upper = state.to_uppercase();
    if upper != state {
        cases.push((
            "our state in upper case",
            get(&format!("/?code=hostile&state={upper}")),
            bad,
        ));
    }
    cases
}

/// What the abusers saw, then how the real login went.
struct Abuse {
    /// (case, what was expected, what the listener did)
    replies: Vec<(&'static str, Reply, Reply)>,
    /// The replies to 50 simultaneous connections.
    crowd: Vec<Reply>,
    /// A favicon request after all that: its reply and how long it took.
    probe: (Reply, Duration),
    /// The real browser's visit, and how long it took.
    login: (Page, Duration),
}

#[test]
fn hostile_clients_neither_end_nor_block_a_browser_login() {
    let t = Setup::new();
    let port = t.port;
    let silent: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let abuse: Slot<Abuse> = Arc::default();
    let (silent_in, abuse_in) = (silent.clone(), abuse.clone());

    let helper = t.bare_helper(&CHAT).on_url(move |url| {
        let (url, silent) = (url.to_owned(), silent_in.clone());
        *abuse_in.lock().unwrap() = Some(std::thread::spawn(move || {
            // Connects and says nothing, for the whole login.
            let mut held = silent.lock().unwrap();
            held.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
            // Sends an HTTP/2.0 request line, which tiny_http 0.12 never answers (see
            // `http_2_request_lines_are_answered_and_leak_nothing`), and stays.
            let mut h2 = TcpStream::connect(("127.0.0.1", port)).unwrap();
            h2.write_all(b"GET / HTTP/2.0\r\n\r\n").unwrap();
            held.push(h2);
            drop(held);
            let state = state_of(&url);
            let replies = hostile_requests(&state)
                .into_iter()
                .map(|(case, bytes, want)| (case, want, send_raw(port, &bytes)))
                .collect();
            let crowd = crowd(port, 50);
            let started = Instant::now();
            let probe = (send_raw(port, &get("/favicon.ico")), started.elapsed());
            let started = Instant::now();
            let page = mock::browse(&url).expect("the real callback is answered");
            Abuse {
                replies,
                crowd,
                probe,
                login: (page, started.elapsed()),
            }
        }));
    });

    let token = helper
        .bind()
        .expect("the login completes despite the abuse");

    let abuse = abuse.lock().unwrap().take().unwrap().join().unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    let wrong: Vec<_> = abuse
        .replies
        .iter()
        .filter(|(_, want, got)| want != got)
        .collect();
    assert!(
        wrong.is_empty(),
        "(case, expected, got) for the requests handled otherwise than expected: {wrong:#?}"
    );
    assert!(
        abuse.crowd.iter().all(|r| *r == Reply::Status(400)),
        "50 simultaneous connections with a wrong state got {:?}",
        abuse.crowd
    );
    assert!(
        abuse.probe.0 == Reply::Status(404) && abuse.probe.1 < Duration::from_secs(2),
        "after the abuse, a favicon request got {:?} in {:?}",
        abuse.probe.0,
        abuse.probe.1
    );
    let (page, took) = &abuse.login;
    assert!(
        page.status() == 200 && page.body().contains("You are logged in"),
        "the real callback ended on {page:?}"
    );
    assert!(
        took < &Duration::from_secs(5),
        "the real login took {took:?}"
    );
    // Exactly one code exchange, with the code the real callback carried.
    assert_eq!(
        t.requests(),
        [
            "POST token",
            "POST revoke",
            "GET authorize",
            "POST token",
            "GET validate"
        ],
        "one exchange"
    );
    let code = page
        .url()
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap();
    let exchange = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.form("grant_type") == Some("authorization_code"))
        .unwrap();
    assert_eq!(exchange.form("code"), Some(code));
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
    drop(silent);
}

/// `n` connections at once, each with a wrong state.
fn crowd(port: u16, n: usize) -> Vec<Reply> {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                barrier.wait();
                send_on(
                    &mut stream,
                    &get(&format!("/?code=crowd-{i}&state=crowd-{i}")),
                )
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn the_deadline_ends_a_login_while_silent_clients_hold_connections() {
    let t = Setup::new();
    let port = t.port;
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let held_in = held.clone();
    let deadline = Duration::from_secs(1);
    let started = Instant::now();

    let err = t
        .bare_helper(&CHAT)
        .login_timeout(deadline)
        .on_url(move |_| {
            let mut held = held_in.lock().unwrap();
            for _ in 0..3 {
                held.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
            }
            // Half a request line, and nothing after it.
            let mut partial = TcpStream::connect(("127.0.0.1", port)).unwrap();
            partial.write_all(b"GET /?code=x&sta").unwrap();
            held.push(partial);
        })
        .bind()
        .unwrap_err();

    let took = started.elapsed();
    assert!(matches!(err, Error::LoginTimedOut { .. }), "{err:?}");
    assert!(
        took < deadline + Duration::from_secs(2),
        "bind() returned {took:?} after a {deadline:?} deadline"
    );
    assert_eq!(held.lock().unwrap().len(), 4, "the clients were connected");
    TcpListener::bind(("127.0.0.1", port))
        .expect("the listener is closed after bind() returns, connections or not");
    assert!(t.file_bytes().is_none());
}

/// This machine's IPv4 address on the way out, found without sending anything: a UDP socket
/// "connected" to a private address only picks the route.
fn non_loopback_ipv4() -> Option<Ipv4Addr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("10.255.255.255:9").ok()?;
    match socket.local_addr().ok()?.ip() {
        IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

#[test]
fn the_listener_does_not_answer_on_a_non_loopback_address() {
    let Some(ip) = non_loopback_ipv4() else {
        say("skipped: this machine has no non-loopback IPv4 address");
        return;
    };
    let t = Setup::new();
    let port = t.port;
    let tried: Slot<(std::io::Result<TcpStream>, bool, Page)> = Arc::default();
    let tried_in = tried.clone();

    let token = t
        .bare_helper(&CHAT)
        .on_url(move |url| {
            let url = url.to_owned();
            *tried_in.lock().unwrap() = Some(std::thread::spawn(move || {
                let outside = TcpStream::connect_timeout(
                    &SocketAddr::new(IpAddr::V4(ip), port),
                    Duration::from_secs(2),
                );
                // The listener was up meanwhile: loopback answers.
                let loopback = TcpStream::connect(("127.0.0.1", port)).is_ok();
                (outside, loopback, mock::browse(&url).unwrap())
            }));
        })
        .bind()
        .unwrap();

    let (outside, loopback, page) = tried.lock().unwrap().take().unwrap().join().unwrap();
    assert!(loopback, "the listener was not up on loopback");
    match outside {
        Ok(stream) => panic!(
            "the listener accepted a connection on {ip}:{port} from {:?}",
            stream.peer_addr()
        ),
        Err(e) => eprintln!("{ip}:{port} during the login: {e} ({:?})", e.kind()),
    }
    assert_eq!(token.outcome(), Outcome::Generated);
    assert!(page.body().contains("You are logged in"), "{}", page.body());
}

// Regressions: abuse that did harm while the listener was built on tiny_http 0.12.

/// Regression: tiny_http 0.12 answers a request line with a version above HTTP/1.1 with a 505
/// written through a second response writer that waits for the first request's writer, which
/// is never dropped: the connection's pool thread blocks forever, the client gets no answer,
/// and the thread and both of its socket's descriptors stay for the life of the process, after
/// `bind()` returned and after the client closed.
#[test]
fn http_2_request_lines_are_answered_and_leak_nothing() {
    let t = Setup::new();
    let port = t.port;
    let fds_before = open_fds();
    let visit: Slot<Vec<Reply>> = Arc::default();
    let visit_in = visit.clone();

    let token = t
        .bare_helper(&CHAT)
        .on_url(move |url| {
            let url = url.to_owned();
            *visit_in.lock().unwrap() = Some(std::thread::spawn(move || {
                let threads: Vec<_> = (0..100)
                    .map(|_| std::thread::spawn(move || send_raw(port, b"GET / HTTP/2.0\r\n\r\n")))
                    .collect();
                let replies = threads.into_iter().map(|t| t.join().unwrap()).collect();
                mock::browse(&url).unwrap();
                replies
            }));
        })
        .bind()
        .unwrap();

    let replies = visit.lock().unwrap().take().unwrap().join().unwrap();
    assert_eq!(token.outcome(), Outcome::Generated);
    std::thread::sleep(Duration::from_millis(500));
    let leaked = open_fds()
        .zip(fds_before)
        .map(|(after, before)| after.saturating_sub(before));
    let unanswered = replies.iter().filter(|r| **r == Reply::Silent).count();
    assert!(
        unanswered == 0 && leaked.is_none_or(|n| n < 50),
        "{unanswered} of 100 HTTP/2.0 requests were neither answered nor closed within 5 s; \
         {leaked:?} more descriptors are open after bind() returned and the clients closed"
    );
}

/// Open file descriptors of this process, where the OS shows them.
fn open_fds() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd").ok().map(Iterator::count)
}

/// Regression: the listener answers each stray request on the thread that waits for the login,
/// with a blocking write and no timeout, and tiny_http hands it a connection's next pipelined
/// request as soon as the previous one was answered. A client that pipelines requests and never
/// reads the answers fills the socket buffers, and a write blocks: the deadline is not checked,
/// the real callback is not served, and `bind()` returns only after that client disconnects
/// (and the listener has answered, into the closed socket, what it had sent), or never.
#[test]
fn a_client_that_never_reads_its_answers_does_not_hold_the_login_past_the_deadline() {
    let t = Setup::new();
    let port = t.port;
    let deadline = Duration::from_secs(2);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent: Slot<usize> = Arc::default();
    let (done_in, sent_in) = (done.clone(), sent.clone());
    let started = Instant::now();

    let result = t
        .bare_helper(&CHAT)
        .login_timeout(deadline)
        .on_url(move |_| {
            let done = done_in.clone();
            *sent_in.lock().unwrap() = Some(std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream
                    .set_write_timeout(Some(Duration::from_secs(1)))
                    .unwrap();
                let request = get("/favicon.ico");
                // 100 000 requests (4.8 MB), or fewer if the listener stops reading.
                let sent = (0..100_000)
                    .take_while(|_| stream.write_all(&request).is_ok())
                    .count();
                // Hold the connection until bind() returns, or 10 s.
                let until = Instant::now() + Duration::from_secs(10);
                while !done.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20));
                }
                sent
            }));
        })
        .bind();

    let took = started.elapsed();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let sent = sent.lock().unwrap().take().unwrap().join().unwrap();
    assert!(
        matches!(result, Err(Error::LoginTimedOut { .. })),
        "{:?}",
        result.map(|t| t.outcome())
    );
    assert!(
        took < deadline + Duration::from_secs(2),
        "bind() returned after {took:?} with a {deadline:?} deadline, held by a client that sent \
         {sent} pipelined requests and read none of the answers"
    );
}

/// Regression: when `accept` fails (here: the process is out of file descriptors, as a local
/// client opening more connections than the soft limit causes; macOS's default limit is 256),
/// tiny_http 0.12's accept thread gives up for good and closes the listening socket; the
/// listener ignores the error and waits on. The real callback then gets "connection refused",
/// and `bind()` returns only at the deadline (5 minutes by default), though the login can no
/// longer succeed.
#[cfg(unix)] // the descriptor limit is a Unix resource limit
#[test]
fn running_out_of_file_descriptors_does_not_kill_the_listener() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let t = Setup::new();
    // The token example under a soft limit of 64 descriptors, so that 80 connections exhaust it.
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
        .arg(support::example("token"))
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()])
        .args(["--auth-base-url", &t.fake.url()])
        .args(["--redirect-url", &t.redirect_url(), "--no-browser"])
        .arg("--path")
        .arg(&t.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh and the token example");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let Some(url) = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.starts_with("http://"))
    else {
        let _ = child.kill();
        panic!("no login URL on stderr: {:?}", child.wait_with_output());
    };
    let idle: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", t.port)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    drop(idle);
    std::thread::sleep(Duration::from_millis(500));

    let visit = mock::browse(&url);
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let ended = child.try_wait().unwrap();
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let visit = visit.map(|p| p.status()).map_err(|e| {
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        format!("{e}: {cause:?}")
    });
    assert!(
        visit == Ok(200) && ended.is_some_and(|s| s.success()),
        "after 80 idle connections came and went, the real callback got {visit:?} and the \
         program {}; stdout {:?}; requests at the fake: {:?}",
        if ended.is_some() {
            "ended"
        } else {
            "was still waiting 10 s later"
        },
        String::from_utf8_lossy(&output.stdout),
        t.requests()
    );
}

/// A line on stderr that the test harness shows even for a passing test (it captures only
/// `eprintln!`), so that a skip is never silent.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
