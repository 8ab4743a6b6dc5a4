//! Containers sharing a volume: each container's processes count their ids from 1, so two
//! writers of one token file may have the same process id, and neither sees the other in
//! `/proc`. Their temporary names must not collide, and neither may sweep the other's
//! temporary file while it writes. Needs root (`unshare --pid`); prints `skipped:` elsewhere.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{TempDir, example};

/// `save_loop PATH` as the first process of a new pid namespace (its id there is 1).
fn writer_in_its_own_pid_namespace(path: &std::path::Path) -> Option<Child> {
    Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(example("save_loop"))
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()
}

#[test]
fn writers_with_the_same_process_id_in_two_containers_do_not_collide() {
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: unshare --pid needs root (CAP_SYS_ADMIN)");
        return;
    }
    let dir = TempDir::new();
    let path = dir.path().join("user_token.json");
    let mut writers: Vec<Child> = (0..2)
        .map(|_| writer_in_its_own_pid_namespace(&path).expect("unshare starts"))
        .collect();

    std::thread::sleep(Duration::from_secs(2));

    let mut failures = Vec::new();
    for writer in &mut writers {
        if let Some(status) = writer.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(writer.stderr.as_mut().unwrap(), &mut err).unwrap();
            failures.push(format!("{status}: {err}"));
        }
        let _ = writer.kill();
        let _ = writer.wait();
    }
    assert!(failures.is_empty(), "a writer stopped: {failures:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("a complete token file");
    assert!(
        json["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("access-"))
    );
}
