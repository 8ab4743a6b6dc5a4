//! The built-in fake id.twitch.tv as a process of its own, for measuring another process against
//! it (`examples/token`, or pyTwitchAPI through `scripts/pytwitchapi_bench.py`).
//!
//! ```sh
//! cargo run --release --example fake_server
//! ```
//!
//! It prints `url URL`, `client_id ID`, `client_secret SECRET` and `grant ACCESS REFRESH` (a
//! live pair with `chat:read chat:edit`), then reads commands on stdin, one a line:
//!
//! - `grant SCOPE...`: mints a pair, answers `grant ACCESS REFRESH`;
//! - `expire ACCESS`: expires that access token (its refresh token stays usable), answers `ok`;
//! - `count`: answers `count N`, the number of requests received so far;
//! - `log`: answers one line per request received so far (`METHOD path`), then `end`.
//!
//! When stdin closes it prints the request log and exits.

use std::error::Error as _;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use twitch_auth::mock::FakeTwitch;

fn run() -> std::io::Result<()> {
    let fake = FakeTwitch::start()?;
    let mut out = std::io::stdout().lock();
    let grant = fake.grant(&["chat:read", "chat:edit"]);
    writeln!(out, "url {}", fake.url())?;
    writeln!(out, "client_id {}", fake.client_id())?;
    writeln!(out, "client_secret {}", fake.client_secret())?;
    writeln!(out, "grant {} {}", grant.access_token, grant.refresh_token)?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        match words.next() {
            Some("grant") => {
                let scopes: Vec<&str> = words.collect();
                let grant = fake.grant(&scopes);
                writeln!(out, "grant {} {}", grant.access_token, grant.refresh_token)?;
            }
            Some("expire") => {
                fake.expire_access_token(words.next().unwrap_or_default());
                writeln!(out, "ok")?;
            }
            Some("count") => writeln!(out, "count {}", fake.requests().len())?,
            Some("log") => {
                log(&fake, &mut out)?;
                writeln!(out, "end")?;
            }
            _ => writeln!(out, "unknown command: {line}")?,
        }
        out.flush()?;
    }
    log(&fake, &mut out)
}

fn log(fake: &FakeTwitch, out: &mut impl Write) -> std::io::Result<()> {
    for request in fake.requests() {
        let path = request.target().split('?').next().unwrap_or_default();
        writeln!(out, "{} {path}", request.method())?;
    }
    Ok(())
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
