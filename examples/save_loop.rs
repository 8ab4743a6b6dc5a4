//! A test helper, not an example to copy: saves token pairs to a file as fast as it can,
//! forever, through the crate's own `FileStore`, so that `tests/crash.rs` can kill it with
//! SIGKILL at random moments and check what is left.
//!
//! ```sh
//! cargo run --example save_loop -- /tmp/crash/user_token.json
//! ```
//!
//! It continues after the pair already in the file (`access-N`/`refresh-N`, or 0 when there is
//! none) and saves `access-N`/`refresh-N` with N increasing by one each time. Every pair's other
//! fields say N too (login `user-N`, user id `N`, expiry at unix second N), so a file mixing two
//! saves shows. It prints nothing and never exits on its own.

use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use twitch_auth::{FileStore, Scope, StoredToken, TokenStore};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: save_loop PATH");
        return ExitCode::from(2);
    };
    let store = FileStore::new(path);
    let mut n = match store.load() {
        Ok(Some(token)) => number(token.access_token.secret()).map_or(0, |n| n + 1),
        Ok(None) => 0,
        Err(err) => {
            eprintln!("save_loop: {err}");
            return ExitCode::FAILURE;
        }
    };
    loop {
        if let Err(err) = store.save(&pair(n)) {
            eprintln!("save_loop: {err}");
            return ExitCode::FAILURE;
        }
        n += 1;
    }
}

/// The pair number N, and every other field saying N too.
fn pair(n: u64) -> StoredToken {
    let mut token = StoredToken::new(format!("access-{n}"), format!("refresh-{n}"));
    token.client_id = Some("save-loop".to_owned());
    token.user_id = Some(n.to_string());
    token.login = Some(format!("user-{n}"));
    token.scopes = vec![Scope::ChatRead];
    token.expires_at = Some(UNIX_EPOCH + Duration::from_secs(n));
    token
}

fn number(access: &str) -> Option<u64> {
    access.strip_prefix("access-")?.parse().ok()
}
