//! A token file bind-mounted on its own (Docker's `-v ./user_token.json:/app/user_token.json`,
//! a Kubernetes `subPath`): it can be read and written in place, but never replaced by a
//! rename, so a refresh there would spend the refresh token and lose the new pair. Refused
//! before any request; a file in a mounted directory, or on no mount at all, still refreshes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{CHAT, Setup, Tmpfs, expire_stored, public_helper, secret_in_env};
use twitch_auth::mock::Grant;
use twitch_auth::{Error, FileAction, Outcome};

/// A bind mount, unmounted when dropped (before the tmpfs under it, when declared after it).
struct BindMount(PathBuf);

impl BindMount {
    /// Mounts `source` on `target`, which must exist and be of the same kind (file or
    /// directory); `None` after saying why where that cannot be done.
    fn new(source: &Path, target: &Path) -> Option<BindMount> {
        let out = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(target)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(BindMount(target.to_owned())),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot bind-mount here: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A small tmpfs for a Public client's test; `None` (having said why) where either cannot be.
fn tmpfs_for_a_public_client() -> Option<Tmpfs> {
    if secret_in_env() {
        return None;
    }
    Tmpfs::mount("1M")
}

/// A Public client's pair stored in `t`'s file and expired there and at the fake, so the next
/// `bind()` goes straight to the refresh (no validation).
fn store_expired_public(t: &Setup) -> Grant {
    t.fake.set_public(true);
    let grant = t.fake.grant(&CHAT);
    public_helper(t, &CHAT, &grant)
        .bind()
        .expect("storing a pair");
    expire_stored(t);
    t.fake.clear_requests();
    grant
}

#[test]
fn a_token_file_bind_mounted_on_its_own_is_refused_before_the_refresh() {
    let Some(tmpfs) = tmpfs_for_a_public_client() else {
        return;
    };
    let t = tmpfs.setup();
    let grant = store_expired_public(&t);
    // The file the container's host holds, mounted on the token path (which must exist).
    let outside = tmpfs.path().join("host_user_token.json");
    std::fs::copy(&t.path, &outside).unwrap();
    let Some(_mounted) = BindMount::new(&outside, &t.path) else {
        return;
    };
    let before = t.file_bytes().unwrap();

    let result = public_helper(&t, &CHAT, &grant).bind();

    match &result {
        Err(Error::File {
            action: FileAction::Write,
            path,
            source,
        }) => {
            assert_eq!(path, &t.path);
            let shown = result.as_ref().unwrap_err().to_string();
            assert!(
                source.to_string().contains("mount point")
                    && shown.contains("mount its directory instead"),
                "the message says what to do: {shown}"
            );
        }
        other => panic!(
            "expected Error::File (write), got {:?} (requests {:?})",
            other.as_ref().map(|t| (t.outcome(), t.is_saved())),
            t.requests()
        ),
    }
    assert!(t.requests().is_empty(), "requests {:?}", t.requests());
    assert_eq!(t.fake.refresh_token_reuses(), 0);
    assert_eq!(t.file_bytes().unwrap(), before, "the token file changed");
    assert_eq!(
        std::fs::read(&outside).unwrap(),
        before,
        "the host's file changed"
    );
    assert_eq!(
        support::file_names(tmpfs.path()),
        [
            "host_user_token.json",
            "user_token.json",
            "user_token.json.lock",
            "user_token.json.login.lock"
        ],
        "no temporary file is left"
    );

    // The next start is refused the same way: the stored refresh token was never sent.
    assert!(matches!(
        public_helper(&t, &CHAT, &grant).bind(),
        Err(Error::File { .. })
    ));
    assert_eq!(t.fake.refresh_token_reuses(), 0);
}

#[test]
fn a_token_file_in_a_bind_mounted_directory_still_refreshes() {
    let Some(tmpfs) = tmpfs_for_a_public_client() else {
        return;
    };
    let host_dir = tmpfs.path().join("host");
    let app_dir = tmpfs.path().join("app");
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::create_dir_all(&app_dir).unwrap();
    let Some(_mounted) = BindMount::new(&host_dir, &app_dir) else {
        return;
    };
    let mut t = tmpfs.setup();
    t.path = app_dir.join("user_token.json");
    let grant = store_expired_public(&t);

    assert_refreshes_and_saves(&t, &grant);
}

#[test]
fn a_token_file_on_no_mount_point_still_refreshes() {
    let Some(tmpfs) = tmpfs_for_a_public_client() else {
        return;
    };
    let t = tmpfs.setup();
    let grant = store_expired_public(&t);

    assert_refreshes_and_saves(&t, &grant);
}

/// `bind()` refreshes the stored pair, saves the new one, and spends nothing twice.
fn assert_refreshes_and_saves(t: &Setup, grant: &Grant) {
    let token = public_helper(t, &CHAT, grant).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    assert!(token.is_saved());
    assert_eq!(
        t.file_json()["token"],
        token.access_token().unwrap().secret()
    );
    assert_eq!(t.fake.refresh_token_reuses(), 0);
}
