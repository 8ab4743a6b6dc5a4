//! Where a token file lives: under the user's profile on Windows (`%APPDATA%`), and under names
//! that are not ASCII (a user called Jürgen, a mod named in Japanese), on every platform.

mod support;

use std::path::Path;

use support::{CHAT, Setup, TempDir};
use twitch_auth::{Error, Helper, Outcome};

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

#[test]
fn user_data_puts_the_token_file_in_the_users_data_directory() {
    let helper = Helper::new(CHAT).user_data("MyMod");
    let shown = format!("{helper:?}");
    let tail = Path::new("MyMod").join("user_token.json");
    let base = if cfg!(windows) {
        std::env::var_os("APPDATA").map(std::path::PathBuf::from)
    } else if cfg!(target_os = "macos") {
        std::env::var_os("HOME").map(|h| Path::new(&h).join("Library/Application Support"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(std::path::PathBuf::from)
            .filter(|d| d.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
    };
    let Some(base) = base else {
        eprintln!("skipped: the environment names no data directory for this user");
        return;
    };
    let want = format!("{:?}", base.join(tail));
    assert!(shown.contains(&want), "{want} not in {shown}");
}

#[test]
fn user_data_with_a_name_that_is_not_one_folder_is_an_invalid_setting() {
    let t = Setup::new();
    let err = t
        .bare_helper(&CHAT)
        .user_data("../elsewhere")
        .bind()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidSetting {
                setting: "user_data",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(t.requests().is_empty());
}
