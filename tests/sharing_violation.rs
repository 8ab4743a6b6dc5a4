//! Windows: another program (an antivirus scan, an editor, a Python reader) holding the token
//! file open without sharing it for deletion makes the rename over it fail with a sharing
//! violation. The replace is retried for up to 2 s: a brief hold is waited out, a longer one
//! leaves the new pair with the handle, unsaved, until it can be saved. Unix renames over an open
//! file, so the promise is Windows' only (CI runs it under Wine).
#![cfg(windows)]

mod support;

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use support::{CHAT, Setup, expire_stored};
use twitch_auth::{FileStore, Outcome, StoredToken, TokenStore};

/// Not a test of its own: the process the tests below start to hold the token file open
/// without `FILE_SHARE_DELETE` for a while, as another program would.
#[test]
fn file_holder() {
    use std::os::windows::fs::OpenOptionsExt;
    let (Some(path), Some(ms)) = (
        std::env::var_os("TWITCH_AUTH_TEST_HOLD_OPEN"),
        std::env::var("TWITCH_AUTH_TEST_HOLD_MS").ok(),
    ) else {
        return;
    };
    const FILE_SHARE_READ: u32 = 1;
    const FILE_SHARE_WRITE: u32 = 2;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE)
        .open(path)
        .unwrap();
    println!("\nholding the file open");
    std::thread::sleep(Duration::from_millis(ms.parse().unwrap()));
    drop(file);
}

/// Another process holding `path` open for `hold`; killed on drop if it is still there.
struct Holder(Child);

impl Holder {
    fn start(path: &Path, hold: Duration) -> Holder {
        let hold = hold.as_millis().to_string();
        let child = support::this_test_as_another_process(
            "file_holder",
            &[
                ("TWITCH_AUTH_TEST_HOLD_OPEN", path.as_os_str()),
                ("TWITCH_AUTH_TEST_HOLD_MS", hold.as_ref()),
            ],
            "holding the file open",
        );
        Holder(child)
    }

    fn wait(mut self) {
        let _ = self.0.wait();
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_brief_hold_is_waited_out_by_the_retry() {
    let t = Setup::new();
    t.store(&CHAT);
    let store = FileStore::new(&t.path);
    let holder = Holder::start(&t.path, Duration::from_millis(700));

    store
        .save(&StoredToken::new("access-after-hold", "refresh-after-hold"))
        .expect("the replace is retried past a brief hold");

    holder.wait();
    assert_eq!(t.file_json()["token"], "access-after-hold");
}

#[test]
fn a_longer_hold_leaves_the_refreshed_pair_with_the_handle_until_it_can_be_saved() {
    let t = Setup::new();
    t.store(&CHAT);
    expire_stored(&t);
    let holder = Holder::start(&t.path, Duration::from_secs(6));

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert!(
        !token.is_saved(),
        "the save should have failed while the file was held"
    );
    assert_eq!(t.generator_calls(), 0);
    holder.wait();
    token.save().expect("saved once the other program let go");
    assert!(token.is_saved());
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
}
