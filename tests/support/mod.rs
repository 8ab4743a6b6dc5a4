//! What every integration test needs: a fake id.twitch.tv, a temporary token file, a helper
//! pointed at both, and assertions that print what they found.
#![allow(dead_code)] // each test file uses part of this

pub mod faults;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use twitch_auth::mock::{self, BrowseError, Endpoint, FakeTwitch, Fault, Grant, Page};
use twitch_auth::{Helper, Scope};

pub const CHAT: [&str; 2] = ["chat:read", "chat:edit"];

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("twitch-auth-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A login page visit made by the helper's `on_url`, joined by the test.
pub type Visit = Arc<Mutex<Option<JoinHandle<Result<Page, BrowseError>>>>>;

pub struct Setup {
    /// In an `Arc`, so that a callback (`on_url`) can script the fake too.
    pub fake: Arc<FakeTwitch>,
    pub dir: TempDir,
    pub path: PathBuf,
    pub port: u16,
    generator_calls: Arc<AtomicUsize>,
    pub visit: Visit,
}

impl Setup {
    pub fn new() -> Setup {
        let dir = TempDir::new();
        let path = dir.path().join("tokens").join("user_token.json");
        Setup {
            fake: Arc::new(FakeTwitch::start().expect("the fake starts")),
            path,
            dir,
            port: free_port(),
            generator_calls: Arc::new(AtomicUsize::new(0)),
            visit: Arc::new(Mutex::new(None)),
        }
    }

    pub fn redirect_url(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// A helper on the fake whose browser login is followed by `mock::browse`, as a browser
    /// would; the visit's page can be read with `page()`.
    pub fn helper(&self, scopes: &[&str]) -> Helper {
        let visit = self.visit.clone();
        self.bare_helper(scopes).on_url(move |url| {
            *visit.lock().unwrap() = Some(mock::browse_in_background(url));
        })
    }

    /// As [`helper`](Self::helper), with `fault` set on `POST token` once the login URL is
    /// shown: after the credential check, so that it hits the code exchange.
    pub fn helper_failing_exchange(&self, scopes: &[&str], fault: Fault) -> Helper {
        let (fake, visit) = (Arc::clone(&self.fake), self.visit.clone());
        let pending = Mutex::new(Some(fault));
        self.bare_helper(scopes).on_url(move |url| {
            if let Some(fault) = pending.lock().unwrap().take() {
                fake.fail(Endpoint::Token, fault);
            }
            *visit.lock().unwrap() = Some(mock::browse_in_background(url));
        })
    }

    /// A helper on the fake with no `on_url`: nobody follows the login URL.
    pub fn bare_helper(&self, scopes: &[&str]) -> Helper {
        Helper::new(scopes.iter().map(|s| Scope::from(*s)))
            .client_id(self.fake.client_id())
            .client_secret(self.fake.client_secret())
            .auth_base_url(self.fake.url())
            .redirect_url(self.redirect_url())
            .path(&self.path)
            .open_browser(false)
            .http_timeout(Duration::from_secs(1))
            .login_timeout(Duration::from_secs(20))
    }

    /// A helper whose generator mints a token at the fake and counts its calls.
    pub fn generating_helper(&self, scopes: &[&str]) -> Helper {
        let fake_grant = self.fake.grant(scopes);
        let calls = self.generator_calls.clone();
        self.bare_helper(scopes).generator(move |_, _| {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(fake_grant.clone())
        })
    }

    pub fn generator_calls(&self) -> usize {
        self.generator_calls.load(Ordering::SeqCst)
    }

    /// The page the simulated browser ended on.
    pub fn page(&self) -> Page {
        let handle = self
            .visit
            .lock()
            .unwrap()
            .take()
            .expect("the login URL was visited");
        handle.join().unwrap().expect("the visit completed")
    }

    /// Stores a token the way this crate does, by a bind through the generator; forgets the
    /// requests it took. Returns the pair.
    pub fn store(&self, scopes: &[&str]) -> Grant {
        let grant = self.fake.grant(scopes);
        let pair = grant.clone();
        let token = self
            .bare_helper(scopes)
            .generator(move |_, _| Ok(pair.clone()))
            .bind()
            .expect("storing a token");
        assert_eq!(token.access_token().unwrap().secret(), grant.access_token);
        self.fake.clear_requests();
        grant
    }

    /// Stores a token whose file says it expired an hour ago, and expires it at the fake.
    pub fn store_expired(&self, scopes: &[&str]) -> Grant {
        let grant = self.store(scopes);
        self.fake.expire_access_token(&grant.access_token);
        let mut json = self.file_json();
        json["expires_at"] = serde_json::json!(now() - 3600);
        self.write_file(&serde_json::to_vec_pretty(&json).unwrap());
        grant
    }

    /// Writes the pair the way pyTwitchAPI does: exactly its two keys.
    pub fn write_pytwitchapi_file(&self, grant: &Grant) -> String {
        let file = format!(
            r#"{{"token": "{}", "refresh": "{}"}}"#,
            grant.access_token, grant.refresh_token
        );
        self.write_file(file.as_bytes());
        file
    }

    /// The `token` example pointed at this fake, redirect URL and token file, with no
    /// credentials from the environment (each test says which it gives).
    pub fn token_command(&self) -> Command {
        let mut cmd = Command::new(example("token"));
        cmd.env_remove("TWITCH_CLIENT_ID")
            .env_remove("TWITCH_CLIENT_SECRET");
        cmd.args([
            "--auth-base-url",
            &self.fake.url(),
            "--redirect-url",
            &self.redirect_url(),
        ]);
        cmd.arg("--path").arg(&self.path);
        cmd
    }

    pub fn write_file(&self, bytes: &[u8]) {
        std::fs::create_dir_all(self.path.parent().unwrap()).unwrap();
        std::fs::write(&self.path, bytes).unwrap();
    }

    pub fn file_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(&self.path).ok()
    }

    pub fn file_json(&self) -> serde_json::Value {
        let bytes = self.file_bytes().expect("a token file");
        serde_json::from_slice(&bytes).expect("the token file is JSON")
    }

    /// `METHOD endpoint` for each request the fake received, e.g. `POST token`.
    pub fn requests(&self) -> Vec<String> {
        self.fake
            .requests()
            .iter()
            .map(|r| {
                let path = r.target().split('?').next().unwrap_or_default();
                format!("{} {}", r.method(), path.trim_start_matches("/oauth2/"))
            })
            .collect()
    }

    /// Fails when any secret appears in any request target the fake received.
    pub fn assert_no_secret_in_urls(&self, secrets: &[&str]) {
        let mut all: Vec<&str> = secrets.to_vec();
        all.push(self.fake.client_secret());
        for request in self.fake.requests() {
            for secret in &all {
                assert!(
                    !request.target().contains(secret),
                    "a secret is in the URL {}",
                    request.target()
                );
            }
        }
    }
}

/// This test binary again, running only its test `helper` with `envs`, as another process
/// (one that holds a lock or a file); returns once that process printed `ready`.
pub fn this_test_as_another_process(
    helper: &str,
    envs: &[(&str, &std::ffi::OsStr)],
    ready: &str,
) -> std::process::Child {
    use std::io::BufRead;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([helper, "--exact", "--nocapture", "--test-threads=1"])
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        if line.unwrap().contains(ready) {
            break;
        }
    }
    child
}

/// The names in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A port nobody listens on right now, on 127.0.0.1 and (where the machine has IPv6) on
/// `[::1]`: a `localhost` redirect URL is listened on both.
pub fn free_port() -> u16 {
    let mut port = 0;
    for _ in 0..100 {
        let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
        port = v4.local_addr().unwrap().port();
        match TcpListener::bind(("::1", port)) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            _ => return port, // free on both, or no IPv6 loopback
        }
    }
    port
}

/// Whether this machine can listen on `[::1]`; prints that the test is skipped when not.
pub fn has_ipv6_loopback() -> bool {
    let yes = TcpListener::bind("[::1]:0").is_ok();
    if !yes {
        eprintln!("skipped: no IPv6 loopback");
    }
    yes
}

/// Where the fake's login page sends the browser for `login_url` (its `Location`), fetched
/// without following it, so a test can go there its own way.
pub fn redirect_of(login_url: &str) -> String {
    let rest = login_url
        .strip_prefix("http://")
        .expect("an http:// login URL");
    let (host, target) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = TcpStream::connect(host).expect("the fake answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("the fake answers in time");
    answer
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no Location in {answer:?}"))
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `target/<profile>/examples/<name>`, built by `cargo test`.
pub fn example(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop(); // the test binary
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples, `cargo test --test <name>` does not \
         (run `cargo build --all-features --examples` first)",
        path.display()
    );
    path
}

/// The command, status, stdout and stderr of a run, for failure messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs a program; a login URL it prints on stderr is followed like a browser would.
pub fn run(cmd: Command) -> Output {
    run_for(cmd, Duration::from_secs(600), true)
}

/// Runs a program for at most `limit`, then kills it (its stderr then ends with a line saying
/// so, and its status is not a success). With `browse`, a login URL it prints on stderr is
/// followed as a user reading it would: a line that is a URL, or that ends with `visit: URL`.
pub fn run_for(mut cmd: Command, limit: Duration, browse: bool) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example was built by cargo test");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let url = if line.starts_with("http://") {
                Some(line.as_str())
            } else {
                line.find("visit: http://")
                    .map(|at| &line[at + "visit: ".len()..])
            };
            if let (true, Some(url)) = (browse, url) {
                mock::browse_in_background(url);
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut stdout = child.stdout.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let started = std::time::Instant::now();
    let mut killed = false;
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() >= limit {
            let _ = child.kill();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    let mut stderr = reader.join().unwrap();
    if killed {
        stderr.push_str(&format!("[killed: still running after {limit:?}]\n"));
    }
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: stderr.into_bytes(),
    }
}

/// A `$BROWSER` that shows nothing, as a browser launched where nobody sees it: a script that
/// writes the URL it was given to a file and exits at once. Unix only (a shell script).
#[cfg(unix)]
pub struct SilentBrowser {
    dir: TempDir,
}

#[cfg(unix)]
impl SilentBrowser {
    pub fn new() -> SilentBrowser {
        use std::os::unix::fs::PermissionsExt;
        let browser = SilentBrowser {
            dir: TempDir::new(),
        };
        let script = browser.script();
        // Written aside and renamed, so a reader never sees half a URL.
        std::fs::write(
            &script,
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >\"$0.part\" && mv \"$0.part\" \"$0.url\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        // webbrowser splits $BROWSER at ':' and whitespace.
        assert!(
            !script.to_string_lossy().contains([':', ' ', '\t']),
            "the script's path cannot go in $BROWSER: {}",
            script.display()
        );
        browser
    }

    /// The value for `$BROWSER`.
    pub fn script(&self) -> PathBuf {
        self.dir.path().join("browser.sh")
    }

    /// The URL the browser was given, if it was launched; waits up to 10 s for the script,
    /// which runs in the background.
    pub fn opened(&self) -> Option<String> {
        let file = self.dir.path().join("browser.sh.url");
        let started = std::time::Instant::now();
        while !file.exists() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = std::fs::read_to_string(file).ok()?;
        Some(text.trim_end().to_owned())
    }
}

/// A pair as a generator returns it.
pub fn pair(access_token: &str, refresh_token: &str) -> twitch_auth::TokenPair {
    twitch_auth::TokenPair {
        access_token: access_token.to_owned(),
        refresh_token: refresh_token.to_owned(),
    }
}

/// A helper for a Public client (no secret) whose generator hands out `grant`: Public refresh
/// tokens are single use at the fake, which counts any reuse.
pub fn public_helper(t: &Setup, scopes: &[&str], grant: &Grant) -> Helper {
    let pair = grant.clone();
    Helper::new(scopes.iter().map(|s| Scope::from(*s)))
        .client_id(t.fake.client_id())
        .auth_base_url(t.fake.url())
        .path(&t.path)
        .open_browser(false)
        .http_timeout(Duration::from_secs(1))
        .generator(move |_, _| Ok(pair.clone()))
}

/// Whether the environment gives a client secret, which Public-client tests cannot have.
pub fn secret_in_env() -> bool {
    if std::env::var_os("TWITCH_CLIENT_SECRET").is_some() {
        eprintln!("skipped: TWITCH_CLIENT_SECRET is set in this environment");
        return true;
    }
    false
}

/// Marks the stored pair expired in the file (an hour ago) and at the fake.
pub fn expire_stored(t: &Setup) {
    let mut json = t.file_json();
    t.fake.expire_access_token(json["token"].as_str().unwrap());
    json["expires_at"] = serde_json::json!(now() - 3600);
    t.write_file(&serde_json::to_vec_pretty(&json).unwrap());
}

/// A small tmpfs, mounted for one test and unmounted when dropped. Mounting needs root (CI
/// runs as root); elsewhere `mount` returns `None` after printing `skipped: <reason>`.
pub struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let skip = |reason: &str| {
            eprintln!("skipped: {reason}");
            None
        };
        if !cfg!(target_os = "linux") {
            return skip("a tmpfs is mounted on Linux only");
        }
        let dir = TempDir::new();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Tmpfs { dir }),
            Ok(out) => skip(&format!(
                "cannot mount a tmpfs here (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => skip(&format!("cannot run mount: {e}")),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A setup whose token file is on this file system.
    pub fn setup(&self) -> Setup {
        let mut t = Setup::new();
        t.path = self.path().join("user_token.json");
        t
    }

    /// Makes the mount read-only, as a mounted secret or a container's image is.
    pub fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount read-only");
    }

    /// Uses up the file system's inodes with empty files, as a disk full of small files is.
    pub fn fill_inodes(&self) {
        let dir = self.path().join("inodes");
        let _ = std::fs::create_dir(&dir);
        let mut n = 0;
        while std::fs::File::create(dir.join(n.to_string())).is_ok() {
            n += 1;
        }
    }

    /// Fills the file system, as a full disk is.
    pub fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = [0u8; 4096];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.path()).status();
    }
}

/// The user this process runs as, where the system says (Linux).
pub fn effective_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").ok().map(|meta| meta.uid())
    }
    #[cfg(not(unix))]
    None
}

/// An app token builder for the fake's app, with a short HTTP timeout.
pub fn app_token_builder(fake: &FakeTwitch) -> twitch_auth::AppTokenBuilder {
    twitch_auth::AppToken::builder()
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .auth_base_url(fake.url())
        .http_timeout(Duration::from_secs(1))
}

/// A line on stderr that the test harness shows even for a passing test (it captures only
/// `eprintln!`), so that a skip is never silent.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
