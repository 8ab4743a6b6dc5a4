//! Times one `bind()` on each path against the built-in fake id.twitch.tv on loopback, and counts
//! the requests each bind made.
//!
//! ```sh
//! cargo run --release --example bench                 # 50 binds per path, then a table
//! cargo run --release --example bench -- --runs 200
//! cargo run --release --example bench -- --one         # one login bind, then peak memory
//! ```
//!
//! Every bind gets a fresh temporary directory and a fresh `Helper` (so a new HTTP agent and no
//! pooled connection), like a program that binds once at start-up. The token file is prepared
//! as the tests do: a token stored by an earlier bind; for "expired", the fake expires it and the
//! file's `expires_at` is set an hour in the past or removed; for "pyTwitchAPI file", the file
//! holds only pyTwitchAPI's two keys. The login path has no file and plays the browser with
//! `mock::browse_in_background` on a free port per run; the browser's `GET authorize` is
//! counted apart from the requests `bind()` itself made.
//!
//! The fake runs in this process, so the times are the crate's own cost plus loopback HTTP, not
//! Twitch's: against id.twitch.tv add one network round trip (plus a TLS handshake for the
//! first) per request. Binds that save a token (refresh, login) sync the file and its directory
//! to disk, so where the temporary directory is on a disk that dominates their time;
//! `TMPDIR=/dev/shm` leaves the disk out. The last line is the process's peak resident memory
//! (VmHWM, Linux), the in-process fake and simulated browser included.

use std::net::TcpListener;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use twitch_auth::mock::{self, BrowseError, Endpoint, FakeTwitch, Page};
use twitch_auth::{Helper, Outcome, Scope};

type Error = Box<dyn std::error::Error>;

const SCOPES: [&str; 2] = ["chat:read", "chat:edit"];

/// The paths `bind()` can take, each timed on its own.
#[derive(Clone, Copy)]
enum Case {
    Valid,
    ExpiredKnown,
    ExpiredUnknown,
    PyExpired,
    Login,
}

impl Case {
    const ALL: [Case; 5] = [
        Case::Valid,
        Case::ExpiredKnown,
        Case::ExpiredUnknown,
        Case::PyExpired,
        Case::Login,
    ];

    fn name(self) -> &'static str {
        match self {
            Case::Valid => "valid stored token",
            Case::ExpiredKnown => "expired, expiry in file",
            Case::ExpiredUnknown => "expired, no expiry in file",
            Case::PyExpired => "expired, pyTwitchAPI 2-key file",
            Case::Login => "no file: browser login (simulated)",
        }
    }

    fn outcome(self) -> Outcome {
        match self {
            Case::Valid => Outcome::Reused,
            Case::Login => Outcome::Generated,
            _ => Outcome::Refreshed,
        }
    }
}

type Visit = Arc<Mutex<Option<JoinHandle<Result<Page, BrowseError>>>>>;

/// One timed bind: its wall time, the requests `bind()` made, and the browser's.
struct Run {
    time: Duration,
    requests: Vec<String>,
    browser: usize,
}

fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fake = FakeTwitch::start()?;
    let base = std::env::temp_dir().join(format!("twitch-auth-bench-{}", std::process::id()));
    let result = if args.iter().any(|a| a == "--one") {
        one(&fake, &base)
    } else {
        let runs = match args.iter().position(|a| a == "--runs") {
            Some(i) => args.get(i + 1).ok_or("--runs needs a number")?.parse()?,
            None => 50,
        };
        table(&fake, &base, runs)
    };
    let _ = std::fs::remove_dir_all(&base);
    result?;
    println!("peak memory (VmHWM): {}", vm_hwm());
    Ok(())
}

fn table(fake: &FakeTwitch, base: &Path, runs: usize) -> Result<(), Error> {
    println!("{runs} binds per path, each with a fresh Helper and token file\n");
    println!(
        "{:<36} {:>9} {:>9}  {:<8} {:<8} requests made by bind()",
        "path", "median", "p90", "requests", "browser"
    );
    for case in Case::ALL {
        let mut times = Vec::with_capacity(runs);
        let mut seen: Vec<(Vec<String>, usize)> = Vec::new();
        for n in 0..runs {
            let run = bind_once(fake, &base.join(n.to_string()), case)?;
            times.push(run.time);
            if !seen
                .iter()
                .any(|(r, b)| *r == run.requests && *b == run.browser)
            {
                seen.push((run.requests, run.browser));
            }
        }
        times.sort();
        for (requests, browser) in &seen {
            println!(
                "{:<36} {:>9} {:>9}  {:<8} {:<8} {}",
                case.name(),
                ms(percentile(&times, 50)),
                ms(percentile(&times, 90)),
                requests.len(),
                browser,
                requests.join(", ")
            );
        }
    }
    Ok(())
}

/// `--one`: a single login bind (the path that does the most), for the peak memory.
fn one(fake: &FakeTwitch, base: &Path) -> Result<(), Error> {
    let run = bind_once(fake, base, Case::Login)?;
    println!(
        "one login bind: {}, {} requests + {} browser",
        ms(run.time),
        run.requests.len(),
        run.browser
    );
    Ok(())
}

/// Prepares `dir` for `case`, then times one bind of a fresh helper in it.
fn bind_once(fake: &FakeTwitch, dir: &Path, case: Case) -> Result<Run, Error> {
    let file = dir.join("user_token.json");
    let visit: Visit = Arc::new(Mutex::new(None));
    let helper = {
        let visit = Arc::clone(&visit);
        new_helper(fake, &file).on_url(move |url| {
            *visit.lock().unwrap() = Some(mock::browse_in_background(url));
        })
    };
    if !matches!(case, Case::Login) {
        let grant = fake.grant(&SCOPES);
        let pair = grant.clone();
        new_helper(fake, &file)
            .generator(move |_, _| Ok(pair.clone()))
            .bind()?;
        if !matches!(case, Case::Valid) {
            fake.expire_access_token(&grant.access_token);
        }
        match case {
            Case::ExpiredKnown => edit_file(&file, |json| {
                json["expires_at"] = serde_json::json!(unix_now() - 3600);
            })?,
            Case::ExpiredUnknown => edit_file(&file, |json| {
                if let Some(object) = json.as_object_mut() {
                    object.remove("expires_at");
                }
            })?,
            Case::PyExpired => std::fs::write(
                &file,
                serde_json::json!({"token": grant.access_token, "refresh": grant.refresh_token})
                    .to_string(),
            )?,
            _ => {}
        }
    }

    fake.clear_requests();
    let start = Instant::now();
    let token = helper.bind()?;
    let time = start.elapsed();

    if let Some(handle) = visit.lock().unwrap().take() {
        handle.join().map_err(|_| "the browser panicked")??;
    }
    if token.outcome() != case.outcome() {
        let (want, got) = (case.outcome(), token.outcome());
        return Err(format!("{}: expected {want}, got {got}", case.name()).into());
    }
    let (mut requests, mut browser) = (Vec::new(), 0);
    for request in fake.requests() {
        if request.endpoint() == Some(Endpoint::Authorize) {
            browser += 1;
        } else {
            let target = request.target().split('?').next().unwrap_or_default();
            let name = target.trim_start_matches("/oauth2/");
            requests.push(format!("{} {name}", request.method()));
        }
    }
    std::fs::remove_dir_all(dir)?;
    Ok(Run {
        time,
        requests,
        browser,
    })
}

fn new_helper(fake: &FakeTwitch, file: &Path) -> Helper {
    Helper::new(SCOPES.map(Scope::from))
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .auth_base_url(fake.url())
        // 127.0.0.1, where the port was found free (`localhost` would listen on [::1] too).
        .redirect_url(format!("http://127.0.0.1:{}", free_port()))
        .path(file)
        .open_browser(false)
        .login_timeout(Duration::from_secs(20))
}

fn edit_file(file: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> Result<(), Error> {
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(file)?)?;
    edit(&mut json);
    std::fs::write(file, serde_json::to_vec(&json)?)?;
    Ok(())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(17563, |a| a.port())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The `p`th percentile (nearest rank) of sorted times.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Peak resident set size from /proc/self/status ("n/a" off Linux).
fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".to_owned())
}

fn main() -> ExitCode {
    let Err(err) = run() else {
        return ExitCode::SUCCESS;
    };
    // Display says what happened and what to do, each source() why; `main() -> Result` would
    // print `Debug` instead (`Error: NoClientId`).
    eprintln!("error: {err}");
    let mut cause = err.source();
    while let Some(source) = cause {
        eprintln!("  caused by: {source}");
        cause = source.source();
    }
    ExitCode::FAILURE
}
