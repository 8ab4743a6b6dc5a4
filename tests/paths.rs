//! Where a token file lives: under the user's profile on Windows (`%APPDATA%`), and under names
//! that are not ASCII (a user called Jürgen, a mod named in Japanese), on every platform.

mod support;

use std::path::Path;

use support::{CHAT, Setup, TempDir};
use twitch_auth::Outcome;

/// A login stores the pair at `path` (creating its directories), and the next bind reuses it.
fn stores_and_reuses(t: &mut Setup, path: &Path) {
    t.path = path.to_path_buf();
    let first = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(first.outcome(), Outcome::Generated);
    assert!(path.is_file(), "{} was not written", path.display());
    let second = t.bare_helper(&CHAT).bind().unwrap();
    assert_eq!(second.outcome(), Outcome::Reused);
    assert_eq!(
        second.access_token().unwrap(),
        first.access_token().unwrap()
    );
}

#[test]
fn names_that_are_not_ascii_hold_a_token_file() {
    let dir = TempDir::new();
    let path = dir
        .path()
        .join("Jürgen's Mod – トークン")
        .join("user_tökën.json");
    stores_and_reuses(&mut Setup::new(), &path);
}

#[cfg(windows)]
#[test]
fn a_token_file_under_the_users_profile() {
    let Some(appdata) = std::env::var_os("APPDATA") else {
        eprintln!("skipped: APPDATA is not set");
        return;
    };
    let dir = Path::new(&appdata).join(format!("twitch-auth-test-{}", std::process::id()));
    let path = dir.join("MyMod").join("user_token.json");
    stores_and_reuses(&mut Setup::new(), &path);
    std::fs::remove_dir_all(&dir).unwrap();
}
