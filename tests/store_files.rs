//! The files beside the token file: a read-only mount still reuses, the lock file is never
//! created through a link, and the sweep of dead writers' temporary files touches exactly those.

mod support;

use support::{CHAT, Tmpfs};
use twitch_auth::Outcome;

#[test]
fn a_valid_token_on_a_read_only_mount_is_reused() {
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let t = fs.setup();
    t.store(&CHAT);
    let before = t.file_bytes().unwrap();
    fs.remount_read_only();

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(t.requests(), ["GET validate"]);
    assert_eq!(t.file_bytes().unwrap(), before);
}

#[test]
fn a_pytwitchapi_file_on_a_read_only_mount_is_reused_as_it_is() {
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let t = fs.setup();
    let file = t.write_pytwitchapi_file(&t.fake.grant(&CHAT));
    fs.remount_read_only();

    let token = t.generating_helper(&CHAT).bind().unwrap();

    assert_eq!(token.outcome(), Outcome::Reused);
    assert_eq!(
        t.file_bytes().unwrap(),
        file.as_bytes(),
        "quietly not completed"
    );
}

#[test]
fn a_token_on_a_disk_with_no_free_inode_is_reused_and_a_refresh_refused_first() {
    // A tmpfs of 16 inodes, used up: no lock file, no temporary file can be created.
    let Some(fs) = Tmpfs::mount("1m,nr_inodes=16") else {
        return;
    };
    let t = fs.setup();
    t.write_pytwitchapi_file(&t.fake.grant(&CHAT)); // another program's file: no lock file
    fs.fill_inodes();

    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);

    t.fake.expire_access_tokens();
    t.fake.clear_requests();
    token.report_unauthorized(&token.access_token().unwrap());
    let err = token.access_token().unwrap_err();
    assert!(
        matches!(&err, twitch_auth::Error::File { source, .. }
            if source.kind() == std::io::ErrorKind::StorageFull),
        "{err:?}"
    );
    assert!(
        !t.requests().iter().any(|r| r == "POST token"),
        "a refresh token was spent on a pair that could not be kept: {:?}",
        t.requests()
    );
}

#[cfg(unix)] // making a symlink on Windows needs a privilege tests do not have
#[test]
fn a_pair_read_through_a_symlinked_token_file_is_not_refreshed_over_the_link() {
    if support::secret_in_env() {
        return;
    }
    // Another program keeps its token in `real.json`; this one was given a link to it.
    let t = support::Setup::new();
    t.fake.set_public(true);
    let grant = t.fake.grant(&CHAT);
    let real = t.dir.path().join("real.json");
    let at_real = support::public_helper(&t, &CHAT, &grant).path(&real);
    at_real.bind().unwrap();
    std::fs::create_dir_all(t.path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &t.path).unwrap();
    t.fake.expire_access_tokens();
    let before = std::fs::read(&real).unwrap();
    t.fake.clear_requests();

    let err = support::public_helper(&t, &CHAT, &grant)
        .bind()
        .unwrap_err();

    assert!(
        matches!(&err, twitch_auth::Error::File { .. }) && err.to_string().contains("real.json"),
        "{err}"
    );
    assert!(
        !t.requests().iter().any(|r| r == "POST token"),
        "{:?}",
        t.requests()
    );
    assert_eq!(std::fs::read(&real).unwrap(), before);
    // The program that uses the file itself refreshes it, spending nothing twice.
    assert_eq!(at_real.bind().unwrap().outcome(), Outcome::Refreshed);
    assert_eq!(t.fake.refresh_token_reuses(), 0);
}

#[cfg(unix)] // making a symlink on Windows needs a privilege tests do not have
#[test]
fn a_dangling_symlink_at_the_lock_path_is_refused_not_followed() {
    use twitch_auth::Error;
    let t = support::Setup::new();
    t.store(&CHAT);
    let mut lock = t.path.as_os_str().to_owned();
    lock.push(".lock");
    let lock = std::path::PathBuf::from(lock);
    std::fs::remove_file(&lock).unwrap();
    let target = t.dir.path().join("created-by-the-lock");
    std::os::unix::fs::symlink(&target, &lock).unwrap();

    let err = t.generating_helper(&CHAT).bind().unwrap_err();

    assert!(!target.exists(), "the link's target was created");
    match &err {
        Error::File { action, source, .. } => {
            assert_eq!(*action, twitch_auth::FileAction::Lock);
            let cause = source.to_string();
            assert!(cause.contains("symbolic link"), "{cause}");
            assert!(cause.contains(&lock.display().to_string()), "{cause}");
        }
        other => panic!("expected a file error, got {other:?}"),
    }
    assert!(t.requests().is_empty(), "{:?}", t.requests());
}

#[cfg(target_os = "linux")] // writers are told apart by /proc
#[test]
fn the_sweep_leaves_a_neighbouring_stores_temporary_file() {
    let t = support::Setup::new();
    t.store(&CHAT);
    // A store beside ours named `user_token.json.<digits>`, in the middle of a save by a live
    // process: its temporary file is `.user_token.json.99999999.<pid>.<n>.tmp`.
    let writer = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let dir = t.path.parent().unwrap();
    let theirs = dir.join(format!(".user_token.json.99999999.{}.0.tmp", writer.id()));
    std::fs::write(&theirs, b"{\"token\":\"in progress\"}").unwrap();

    // Our store saves (a refresh), sweeping dead writers' temporary files first.
    support::expire_stored(&t);
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Refreshed);

    assert!(
        theirs.exists(),
        "another store's temporary file was deleted"
    );
    kill(writer);
}

#[cfg(target_os = "linux")] // writers are told apart by /proc; names are bytes on Unix
#[test]
fn the_sweep_removes_a_dead_writers_file_under_a_name_that_is_not_utf8() {
    use std::os::unix::ffi::OsStringExt;
    let mut t = support::Setup::new();
    let name = std::ffi::OsString::from_vec(b"user_token_\xff.json".to_vec());
    t.path = t.path.with_file_name(&name);
    t.store(&CHAT);
    let dead = {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        child.id()
    };
    let mut temp_name = b".user_token_\xff.json".to_vec();
    temp_name.extend_from_slice(format!(".{dead}.0.tmp").as_bytes());
    let temp = t
        .path
        .with_file_name(std::ffi::OsString::from_vec(temp_name));
    std::fs::write(&temp, b"{\"token\":\"a pair\",\"refresh\":\"left behind\"}").unwrap();

    support::expire_stored(&t);
    let token = t.generating_helper(&CHAT).bind().unwrap();
    assert_eq!(token.outcome(), Outcome::Refreshed);

    assert!(
        !temp.exists(),
        "a dead writer's temporary file (a pair) was left"
    );
}

#[cfg(target_os = "linux")] // used by the Linux-only tests above
fn kill(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(unix)] // named pipes, and a process run as another user
#[test]
fn a_named_pipe_at_the_lock_path_is_refused_not_waited_on() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    if support::effective_uid() != Some(0) {
        eprintln!("skipped: running another user's process needs root");
        return;
    }
    let t = support::Setup::new();
    t.store(&CHAT);
    let mut lock = t.path.as_os_str().to_owned();
    lock.push(".lock");
    std::fs::remove_file(&lock).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&lock)
        .status()
        .unwrap();
    assert!(made.success());
    // The directory is root's: the other user can only open the pipe for reading, which
    // would wait for a writer forever.
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&t.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    for dir in t.path.ancestors().skip(1).take(2) {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut cmd = t.token_command();
    cmd.args(["--no-browser", "--scopes", "chat:read"])
        .args(["--client-id", t.fake.client_id()])
        .args(["--client-secret", t.fake.client_secret()])
        .uid(65534)
        .gid(65534);

    let output = support::run_for(cmd, std::time::Duration::from_secs(20), false);

    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        support::describe(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a regular file"), "{stderr}");
}
