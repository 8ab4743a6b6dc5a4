//! The benchmark examples keep working and count the requests the README promises.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use support::{describe, example};

#[test]
fn bench_counts_the_requests_of_each_path() {
    let output = Command::new(example("bench"))
        .args(["--runs", "2"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Each row: path (36 columns), median, p90, requests, browser visits, the requests made.
    let rows: Vec<(String, String)> = stdout
        .lines()
        .filter(|line| line.len() > 36 && line.contains(" ms "))
        .map(|line| {
            let fields: Vec<&str> = line[36..].split_whitespace().collect();
            let counted = format!("{} {} {}", fields[4], fields[5], fields[6..].join(" "));
            (line[..36].trim_end().to_owned(), counted)
        })
        .collect();
    let want = [
        ("valid stored token", "1 0 GET validate"),
        ("expired, expiry in file", "1 0 POST token"),
        ("expired, no expiry in file", "2 0 GET validate, POST token"),
        (
            "expired, pyTwitchAPI 2-key file",
            "3 0 GET validate, POST token, GET validate",
        ),
        (
            "no file: browser login (simulated)",
            "4 1 POST token, POST revoke, POST token, GET validate",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(path, counted)| (path.to_string(), counted.to_string()))
        .collect();
    assert_eq!(rows, want, "{stdout}");
    assert!(stdout.contains("peak memory (VmHWM)"), "{stdout}");
}

#[test]
fn fake_server_serves_until_stdin_closes() {
    let mut child = Command::new(example("fake_server"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let url = next();
    assert!(url.starts_with("url http://127.0.0.1:"), "{url}");
    assert_eq!(next(), "client_id fake-client-id");
    assert_eq!(next(), "client_secret fake-client-secret");
    let grant: Vec<String> = next().split(' ').map(str::to_owned).collect();
    assert_eq!((grant[0].as_str(), grant.len()), ("grant", 3));

    writeln!(stdin, "expire {}\ncount\ngrant chat:read", grant[1]).unwrap();
    assert_eq!(next(), "ok");
    assert_eq!(next(), "count 0");
    assert!(next().starts_with("grant "));
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
