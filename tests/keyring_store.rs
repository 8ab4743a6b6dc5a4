//! `KeyringStore` against the real credential store. On Linux: a Secret Service, gnome-keyring in
//! a D-Bus session of its own (`dbus-run-session`), in a temporary home, started by the test;
//! each test runs this binary again inside that session (the "child") and checks what it says.
//! Without `dbus-run-session` or `gnome-keyring-daemon` it prints `skipped: <reason>` (CI
//! installs both). On Windows (CI runs it under Wine, whose Credential Manager is an emulation
//! in its registry): save, load, delete and a bind, through the Win32 credential API.
#![cfg(feature = "keyring")]

mod support;

#[cfg(windows)]
mod credential_manager {
    use super::support::{CHAT, Setup};
    use twitch_auth::{KeyringStore, Outcome, StoredToken, TokenStore};

    #[test]
    fn save_load_delete_and_bind_through_the_credential_manager() {
        let store = KeyringStore::new("twitch-auth-test", "windows");
        let _ = store.delete();
        assert_eq!(store.load().unwrap(), None);
        let mut token = StoredToken::new("a".repeat(30), "r".repeat(50));
        token.scopes = twitch_auth::Scope::known().collect(); // the largest record
        store.save(&token).unwrap();
        assert_eq!(
            store.load().unwrap().unwrap().refresh_token,
            token.refresh_token
        );
        store.delete().unwrap();
        assert_eq!(store.load().unwrap(), None);

        let t = Setup::new();
        let grant = t.fake.grant(&CHAT);
        let helper = t
            .bare_helper(&CHAT)
            .store(KeyringStore::new("twitch-auth-test", "bind"))
            .generator(move |_, _| Ok(grant.clone()));
        assert_eq!(helper.bind().unwrap().outcome(), Outcome::Generated);
        assert_eq!(helper.bind().unwrap().outcome(), Outcome::Reused);
        KeyringStore::new("twitch-auth-test", "bind")
            .delete()
            .unwrap();
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
mod secret_service {
    use super::support;
    use std::process::{Command, Output};
    use std::time::{Duration, Instant};

    use support::{CHAT, Setup, TempDir};
    use twitch_auth::{Error, KeyringStore, Outcome, StoredToken, TokenStore};

    /// Set in the child: which session it runs in.
    const SESSION: &str = "TWITCH_AUTH_KEYRING_SESSION";

    /// How the child's session is made.
    #[derive(Clone, Copy)]
    enum Session {
        /// gnome-keyring running, its login keyring unlocked.
        Unlocked,
        /// gnome-keyring running, never unlocked.
        Locked,
        /// No D-Bus session at all.
        NoBus,
    }

    /// Runs test `name` of this binary as the child in `session`; `None` (after `skipped:`) when no
    /// session can be had here.
    fn in_session(name: &str, session: Session) -> Option<Output> {
        for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
            if Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .map_or(true, |o| !o.status.success())
            {
                eprintln!("skipped: {tool} is not installed (apt-get install gnome-keyring dbus)");
                return None;
            }
        }
        let home = TempDir::new();
        let exe = std::env::current_exe().unwrap();
        let name = format!("secret_service::{name}");
        let test = [name.as_str(), "--exact", "--nocapture", "--test-threads=1"];
        let mut cmd = match session {
            Session::NoBus => {
                let mut cmd = Command::new(&exe);
                cmd.args(test).env_remove("DBUS_SESSION_BUS_ADDRESS");
                cmd
            }
            Session::Unlocked | Session::Locked => {
                let start = match session {
                    Session::Unlocked => {
                        "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
                    }
                    _ => "gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1",
                };
                let mut cmd = Command::new("dbus-run-session");
                cmd.args(["--", "sh", "-c", &format!("{start} && exec \"$0\" \"$@\"")])
                    .arg(&exe)
                    .args(test);
                cmd
            }
        };
        let output = cmd
            .env(SESSION, "1")
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .unwrap();
        Some(output)
    }

    /// Asserts the child passed, and that it ran its checks (it prints `checked`).
    fn passed(output: Option<Output>) {
        let Some(output) = output else { return };
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(
            output.status.success(),
            "the child failed:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("checked"),
            "the child checked nothing:\n{stdout}\n{stderr}"
        );
    }

    /// The `token` CLI on the fake, its device login, keeping its pair in the keyring under
    /// `account`.
    fn token_cli(t: &Setup, account: &str) -> Command {
        let mut cmd = Command::new(support::example("token"));
        cmd.env_remove("TWITCH_CLIENT_ID")
            .env_remove("TWITCH_CLIENT_SECRET")
            .args(["--auth-base-url", &t.fake.url()])
            .args(["--client-id", t.fake.client_id()])
            .args([
                "--scopes",
                "chat:read chat:edit",
                "--device",
                "--no-browser",
            ])
            .args(["--store", "keyring:twitch-auth-test", "--account", account]);
        cmd
    }

    fn is_child() -> bool {
        std::env::var_os(SESSION).is_some()
    }

    #[test]
    fn save_load_and_delete_in_the_secret_service() {
        if !is_child() {
            return passed(in_session(
                "save_load_and_delete_in_the_secret_service",
                Session::Unlocked,
            ));
        }
        let store = KeyringStore::new("twitch-auth-test", "streamer");
        assert_eq!(store.load().unwrap(), None);
        let mut token = StoredToken::new("access-token", "refresh-token");
        token.login = Some("someone".to_owned());
        store.save(&token).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.refresh_token.secret(), "refresh-token");
        // Another account under the same service is another credential.
        assert_eq!(
            KeyringStore::new("twitch-auth-test", "bot").load().unwrap(),
            None
        );
        store.delete().unwrap();
        assert_eq!(store.load().unwrap(), None);
        store.delete().unwrap(); // nothing there: fine
        println!("checked");
    }

    #[test]
    fn bind_reuses_refreshes_and_logs_in_into_the_keyring() {
        if !is_child() {
            return passed(in_session(
                "bind_reuses_refreshes_and_logs_in_into_the_keyring",
                Session::Unlocked,
            ));
        }
        let t = Setup::new();
        let grant = t.fake.grant(&CHAT);
        let helper = t
            .bare_helper(&CHAT)
            .keyring("twitch-auth-test")
            .generator(move |_, _| Ok(grant.clone()));
        assert_eq!(helper.bind().unwrap().outcome(), Outcome::Generated);
        assert_eq!(helper.bind().unwrap().outcome(), Outcome::Reused);
        t.fake.expire_access_tokens();
        let store = KeyringStore::new("twitch-auth-test", "default");
        let mut stored = store.load().unwrap().unwrap();
        stored.expires_at = Some(std::time::SystemTime::now() - Duration::from_secs(60));
        store.save(&stored).unwrap();
        let refreshed = helper.bind().unwrap();
        assert_eq!(refreshed.outcome(), Outcome::Refreshed);
        assert_eq!(
            store.load().unwrap().unwrap().access_token,
            refreshed.access_token().unwrap()
        );
        assert!(t.file_bytes().is_none(), "no plaintext token file");
        // The lock file sits in the user's data directory, not beside any token file.
        let lock = store.lock_path().unwrap();
        assert!(
            lock.starts_with(std::env::var("XDG_DATA_HOME").unwrap()),
            "{}",
            lock.display()
        );
        println!("checked");
    }

    #[test]
    fn a_locked_keyring_is_a_clear_error_and_nothing_else_is_touched() {
        if !is_child() {
            return passed(in_session(
                "a_locked_keyring_is_a_clear_error_and_nothing_else_is_touched",
                Session::Locked,
            ));
        }
        let t = Setup::new();
        let grant = t.fake.grant(&CHAT);
        let started = Instant::now();
        let err = t
            .bare_helper(&CHAT)
            .store(
                KeyringStore::new("twitch-auth-test", "default")
                    .call_timeout(Duration::from_secs(3)),
            )
            .generator(move |_, _| Ok(grant.clone()))
            .bind()
            .unwrap_err();
        assert!(matches!(err, Error::Store { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("OS credential store cannot be used"),
            "{text}"
        );
        assert!(
            text.contains("unlock it") && text.contains("Helper::path"),
            "{text}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(t.file_bytes().is_none(), "no fallback to a plaintext file");
        println!("checked: {text}");
    }

    #[test]
    fn no_d_bus_at_all_is_a_clear_error() {
        if !is_child() {
            return passed(in_session(
                "no_d_bus_at_all_is_a_clear_error",
                Session::NoBus,
            ));
        }
        let err = KeyringStore::new("twitch-auth-test", "default")
            .load()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("OS credential store cannot be used"),
            "{text}"
        );
        assert!(text.contains("D-Bus"), "{text}");
        println!("checked: {text}");
    }

    #[test]
    fn a_record_at_the_size_limit_is_kept_whole() {
        if !is_child() {
            return passed(in_session(
                "a_record_at_the_size_limit_is_kept_whole",
                Session::Unlocked,
            ));
        }
        let store = KeyringStore::new("twitch-auth-test", "big");
        let mut token = StoredToken::new("a".repeat(30), "r".repeat(50));
        token.user_id = Some("141981764".to_owned());
        token.client_id = Some("c".repeat(30));
        token.scopes = twitch_auth::Scope::known().collect();
        store.save(&token).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.refresh_token, token.refresh_token);
        println!("checked");
    }

    #[test]
    fn two_processes_take_turns_on_the_credentials_lock() {
        if !is_child() {
            return passed(in_session(
                "two_processes_take_turns_on_the_credentials_lock",
                Session::Unlocked,
            ));
        }
        // The lock is a lock file: a second store value (another process's) waits for the first.
        let first = KeyringStore::new("twitch-auth-test", "default");
        let second = KeyringStore::new("twitch-auth-test", "default")
            .lock_timeout(Duration::from_millis(300));
        let held = first.lock().unwrap();
        assert!(second.try_lock().unwrap().is_none(), "the lock is held");
        let err = second.lock().unwrap_err();
        assert!(matches!(err, Error::LockTimedOut { .. }), "{err:?}");
        drop(held);
        assert!(second.try_lock().unwrap().is_some());
        println!("checked");
    }
    #[test]
    fn the_token_cli_keeps_its_token_in_the_keyring() {
        if !is_child() {
            return passed(in_session(
                "the_token_cli_keeps_its_token_in_the_keyring",
                Session::Unlocked,
            ));
        }
        let t = Setup::new();
        t.fake.set_device_interval(0);
        let run = || {
            let output = token_cli(&t, "cli").output().unwrap();
            assert!(output.status.success(), "{}", support::describe(&output));
            let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            line["outcome"].as_str().unwrap().to_owned()
        };
        assert_eq!(run(), "generated");
        assert_eq!(run(), "reused");
        let stored = KeyringStore::new("twitch-auth-test", "cli").load().unwrap();
        assert!(stored.is_some());
        println!("checked");
    }
    /// Four `token` processes sharing one keyring credential of a Public client (single-use
    /// refresh tokens), its token expired: they take turns through the lock file, so no refresh
    /// token is sent twice and every one prints the stored token.
    #[test]
    fn processes_sharing_a_credential_never_spend_a_refresh_token_twice() {
        if !is_child() {
            return passed(in_session(
                "processes_sharing_a_credential_never_spend_a_refresh_token_twice",
                Session::Unlocked,
            ));
        }
        let t = Setup::new();
        t.fake.set_public(true);
        let grant = t.fake.grant(&CHAT);
        let mut token = StoredToken::new(grant.access_token.as_str(), grant.refresh_token.as_str());
        token.expires_at = Some(std::time::SystemTime::now() - Duration::from_secs(60));
        let store = KeyringStore::new("twitch-auth-test", "shared");
        store.save(&token).unwrap();
        let children: Vec<_> = (0..4)
            .map(|_| {
                token_cli(&t, "shared")
                    .args(["--timeout", "5"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut printed = Vec::new();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{}", support::describe(&output));
            let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            printed.push(line["access_token"].as_str().unwrap().to_owned());
        }
        assert_eq!(t.fake.refresh_token_reuses(), 0);
        let stored = store.load().unwrap().unwrap();
        assert!(
            printed.iter().all(|p| p == stored.access_token.secret()),
            "{printed:?}"
        );
        println!("checked");
    }
}
