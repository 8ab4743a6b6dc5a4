//! `RedisStore` against a real `redis-server` (Debian's package), started by each test on a free
//! loopback port in a temporary directory and stopped by its pid; `skipped: <reason>` where
//! none is installed (CI always has one).
//!
//! The fleet's workers are this test binary again (`as_worker`), separate processes sharing
//! nothing but the server and the fake: no file, no directory, no memory.
#![cfg(feature = "redis")]

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use support::{CHAT, Setup, TempDir, describe, example, free_port, secret_in_env};
use twitch_auth::mock::{Endpoint, FakeTwitch, Fault};
use twitch_auth::{Error, Helper, Outcome, RedisStore, Scope, StoredToken, TokenStore};

/// A redis-server of the test's own, on a loopback port in a directory of its own; killed
/// (SIGKILL: a crash) when dropped.
struct Server {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    args: Vec<String>,
    url: String,
}

impl Server {
    /// A server that keeps every write on disk before answering (`appendonly yes`,
    /// `appendfsync always`: what README asks of a fleet's server), with `args` besides.
    fn durable(args: &[&str]) -> Option<Server> {
        let mut all = vec!["--appendonly", "yes", "--appendfsync", "always"];
        all.extend_from_slice(args);
        Server::start(&all)
    }

    fn start(args: &[&str]) -> Option<Server> {
        let port = free_port();
        let mut server = Server {
            child: None,
            port,
            dir: TempDir::new(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            url: format!("redis://127.0.0.1:{port}/0"),
        };
        if let Err(e) = server.spawn() {
            eprintln!(
                "skipped: redis-server cannot be started ({e}): apt-get install redis-server"
            );
            return None;
        }
        Some(server)
    }

    /// Starts the server (again: on the same port, in the same directory, with its files).
    fn spawn(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", ""])
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Kills the server with SIGKILL, as a crash or an OOM kill would.
    fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn store(&self) -> RedisStore {
        RedisStore::open(&self.url)
            .unwrap()
            .timeout(Duration::from_millis(500))
    }

    /// Runs a command on the server directly, as another program would.
    fn cli(&self, args: &[&str]) -> redis::Value {
        let client = redis::Client::open(self.url.as_str()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query(&mut conn).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.crash();
    }
}

/// A pair minted at the fake, as a store that keeps only the pair holds it: `bind()` asks
/// Twitch the rest.
fn stored(fake: &FakeTwitch) -> StoredToken {
    let grant = fake.grant(&CHAT);
    StoredToken::new(grant.access_token.as_str(), grant.refresh_token.as_str())
}

fn expired(fake: &FakeTwitch) -> StoredToken {
    let mut token = stored(fake);
    fake.expire_access_token(token.access_token.secret());
    token.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
    token
}

/// A worker's helper on the fake and `store`, for the app `fake.env()` names; no login.
fn worker(fake_url: &str, client_id: &str, store: impl TokenStore + 'static) -> Helper {
    Helper::new(CHAT.iter().map(|s| Scope::from(*s)))
        .client_id(client_id)
        .auth_base_url(fake_url)
        .store(store)
        .open_browser(false)
        .http_timeout(Duration::from_secs(30))
        .generator(|_, _| Err("a worker never logs in".into()))
}

fn refreshes(fake: &FakeTwitch) -> usize {
    fake.requests()
        .iter()
        .filter(|r| {
            r.endpoint() == Some(Endpoint::Token) && r.form("grant_type") == Some("refresh_token")
        })
        .count()
}

fn validations(fake: &FakeTwitch) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.endpoint() == Some(Endpoint::Validate))
        .count()
}

const ROLE: &str = "TWITCH_AUTH_REDIS_ROLE";

/// The roles this binary plays when `ROLE` is set, on the server `TWITCH_AUTH_REDIS_URL`, the
/// key `fleet`, and the fake at `TWITCH_AUTH_FAKE_URL` with the app of `TWITCH_CLIENT_ID`:
/// - `worker`: binds, then asks for the access token `TWITCH_AUTH_ROUNDS` times, each time a
///   refresh (the fake's tokens are short-lived); prints `served N of M`;
/// - `refresh`: binds a pair that has expired, its lease 1 s (the test delays the refresh);
/// - `hold`: takes the lock (lease 600 ms), says `ready`, and tries a save after a line.
#[test]
fn as_worker() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let env = |name: &str| std::env::var(name).unwrap();
    let redis = RedisStore::open(&env("TWITCH_AUTH_REDIS_URL")).unwrap();
    let (fake_url, client_id) = (env("TWITCH_AUTH_FAKE_URL"), env("TWITCH_CLIENT_ID"));
    match role.as_str() {
        "worker" => {
            let token = worker(&fake_url, &client_id, redis.key("fleet"))
                .bind()
                .unwrap();
            let rounds: usize = env("TWITCH_AUTH_ROUNDS").parse().unwrap();
            let served = (0..rounds)
                .filter(|_| match token.access_token() {
                    Ok(_) => true,
                    Err(e) => {
                        eprintln!("not served: {e}");
                        false
                    }
                })
                .count();
            println!("served {served} of {rounds}");
        }
        "refresh" => {
            let redis = redis.lease(Duration::from_secs(1));
            println!("ready");
            let result = worker(&fake_url, &client_id, redis.key("fleet")).bind();
            println!("bound: {:?}", result.map(|t| t.outcome()));
        }
        _ => {
            let account = redis.lease(Duration::from_millis(600)).key("fleet");
            let _held = account.lock().unwrap();
            println!("ready");
            std::io::stdout().flush().unwrap();
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
            match account.save(&StoredToken::new("late", "late-refresh")) {
                Ok(()) => println!("saved"),
                Err(e) => println!("refused: {e}"),
            }
        }
    }
}

/// This binary as a worker of `role` on `server` and `fake`.
fn spawn_worker(role: &str, server: &Server, fake: &FakeTwitch, rounds: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["as_worker", "--exact", "--nocapture", "--test-threads=1"])
        .env_remove("TWITCH_CLIENT_SECRET")
        .envs(fake.env())
        .env(ROLE, role)
        .env("TWITCH_AUTH_REDIS_URL", &server.url)
        .env("TWITCH_AUTH_FAKE_URL", fake.url())
        .env("TWITCH_AUTH_ROUNDS", rounds.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads `child`'s lines until one contains `what`; returns it. Only the SIGSTOP test reads a
/// child's lines, so only Unix has it.
#[cfg(unix)]
fn wait_for(stdout: &mut std::io::BufReader<std::process::ChildStdout>, what: &str) -> String {
    use std::io::BufRead;
    loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the child ended");
        if line.contains(what) {
            return line;
        }
    }
}

/// The fleet: 8 processes × 50 rounds on a Public client whose tokens live 1 s (less than the
/// refresh margin, so each round is a refresh), sharing nothing but Redis and the fake.
#[test]
fn a_fleet_of_processes_spends_each_refresh_token_once() {
    if secret_in_env() {
        return;
    }
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);
    fake.set_expires_in(Some(1));
    server.store().key("fleet").save(&stored(&fake)).unwrap();
    let (workers, rounds) = (8, 50);
    let started = Instant::now();

    let children: Vec<Child> = (0..workers)
        .map(|_| spawn_worker("worker", &server, &fake, rounds))
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();

    let elapsed = started.elapsed();
    for output in &outputs {
        assert!(output.status.success(), "{}", describe(output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!("served {rounds} of {rounds}")),
            "{}",
            describe(output)
        );
    }
    let refreshed = refreshes(&fake);
    eprintln!(
        "figures: {workers} workers × {rounds} rounds: {refreshed} refreshes, {} refresh tokens \
         reused, {elapsed:?}",
        fake.refresh_token_reuses()
    );
    assert_eq!(
        fake.refresh_token_reuses(),
        0,
        "a refresh token was spent twice"
    );
    assert!(refreshed >= rounds, "{refreshed} refreshes");
}

/// A worker killed with SIGKILL (TerminateProcess on Windows) while its refresh request is on
/// its way: the key is free after its lease, and the next worker refreshes, reusing nothing.
#[test]
fn a_worker_killed_mid_refresh_frees_the_lock_after_its_lease() {
    if secret_in_env() {
        return;
    }
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);
    server.store().key("fleet").save(&expired(&fake)).unwrap();
    // Its refresh never reaches the fake's handling before the worker is killed.
    fake.fail_times(Endpoint::Token, Fault::Delay(Duration::from_secs(60)), 1);
    let mut child = spawn_worker("refresh", &server, &fake, 0);
    let started = Instant::now();
    while refreshes(&fake) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no refresh came"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        server.store().key("fleet").try_lock().unwrap().is_none(),
        "the worker holds it"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = Instant::now();
    let token = worker(&fake.url(), fake.client_id(), server.store().key("fleet"))
        .bind()
        .unwrap();

    assert_eq!(token.outcome(), Outcome::Refreshed);
    let waited = killed_at.elapsed();
    eprintln!("figures: the next worker refreshed {waited:?} after the kill (lease 1 s)");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(fake.refresh_token_reuses(), 0);
    let stored = server.store().key("fleet").load().unwrap().unwrap();
    assert_eq!(stored.access_token, token.access_token().unwrap());
}

/// A holder stopped (SIGSTOP, as a debugger or a frozen VM does) past its lease, then resumed:
/// its late save is refused by the fence, and the pair saved meanwhile stays. No SIGSTOP on
/// Windows; the fence itself is tested there by `a_holder_that_lost_its_lease_…` below.
#[cfg(unix)]
#[test]
fn a_holder_stopped_past_its_lease_cannot_overwrite_the_newer_pair() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let fake = FakeTwitch::start().unwrap();
    let mut child = spawn_worker("hold", &server, &fake, 0);
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    wait_for(&mut stdout, "ready");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(900));

    let account = server.store().key("fleet");
    {
        let _lock = account.lock().unwrap();
        account
            .save(&StoredToken::new("newer", "newer-refresh"))
            .unwrap();
    }
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .unwrap()
            .success()
    );
    writeln!(child.stdin.as_mut().unwrap()).unwrap();
    let answer = wait_for(&mut stdout, "");
    let answer = answer.trim_end();
    child.wait().unwrap();

    assert!(answer.starts_with("refused: "), "{answer}");
    assert!(answer.contains("its lock was lost"), "{answer}");
    assert_eq!(
        account.load().unwrap().unwrap().access_token.secret(),
        "newer"
    );
}

/// Redis killed and restarted (AOF, fsync always) between refreshes: the last pair whose save
/// returned is there after the restart, and the handle goes on from it.
#[test]
fn a_server_restarted_with_aof_keeps_every_saved_pair() {
    if secret_in_env() {
        return;
    }
    let Some(mut server) = Server::durable(&[]) else {
        return;
    };
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);
    server.store().key("fleet").save(&stored(&fake)).unwrap();
    let redis = server.store();
    let token = worker(&fake.url(), fake.client_id(), redis.key("fleet"))
        .bind()
        .unwrap();

    for restart in 0..5 {
        for _ in 0..10 {
            token.report_unauthorized(&token.access_token().unwrap());
            token.access_token().unwrap();
            assert!(token.is_saved());
        }
        let last = token.refresh_token();
        server.crash();
        server.spawn().unwrap();
        let after = redis.key("fleet").load().unwrap().unwrap();
        assert_eq!(
            after.refresh_token, last,
            "restart {restart} lost a saved pair"
        );
    }
    token.report_unauthorized(&token.access_token().unwrap());
    token.access_token().unwrap();
    assert_eq!(fake.refresh_token_reuses(), 0);
}

/// Redis down: the handle serves its token while it is valid, a refresh fails as a transient
/// `StoreUnavailable` (no login, nothing sent), and it recovers by itself once Redis is back.
#[test]
fn a_server_down_is_transient_and_recovered_from_by_itself() {
    if secret_in_env() {
        return;
    }
    let Some(mut server) = Server::durable(&[]) else {
        return;
    };
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);
    server.store().key("fleet").save(&stored(&fake)).unwrap();
    let token = worker(&fake.url(), fake.client_id(), server.store().key("fleet"))
        .retry_backoff(Duration::ZERO, Duration::ZERO)
        .bind()
        .unwrap();
    let before = token.access_token().unwrap();
    fake.clear_requests();

    server.crash();
    assert_eq!(token.access_token().unwrap(), before, "served while valid");
    token.report_unauthorized(&before);
    let err = token.access_token().unwrap_err();
    assert!(matches!(err, Error::StoreUnavailable { .. }), "{err:?}");
    assert!(err.is_transient() && !err.needs_login(), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("127.0.0.1:{}", server.port)),
        "{err}"
    );
    assert!(
        fake.requests().is_empty(),
        "nothing is sent without the lock"
    );

    server.spawn().unwrap();
    let after = token.access_token().unwrap();

    assert_ne!(after, before, "refreshed once Redis was back");
    assert_eq!(fake.refresh_token_reuses(), 0);
    let stored = server.store().key("fleet").load().unwrap().unwrap();
    assert_eq!(stored.access_token, after);
}

/// A pair another worker refreshed reaches every worker at its next use, with `on_refresh`,
/// without a request of its own.
#[test]
fn a_pair_another_worker_refreshed_is_taken_up_at_the_next_use() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let t = Setup::new();
    server.store().key("fleet").save(&stored(&t.fake)).unwrap();
    let heard = Arc::new(AtomicUsize::new(0));
    let counter = heard.clone();
    let first = t
        .bare_helper(&CHAT)
        .store(server.store().key("fleet"))
        .bind()
        .unwrap();
    let second = t
        .bare_helper(&CHAT)
        .store(server.store().key("fleet"))
        .on_refresh(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .bind()
        .unwrap();
    first.report_unauthorized(&first.access_token().unwrap());
    let newer = first.access_token().unwrap();
    t.fake.clear_requests();

    assert_eq!(second.access_token().unwrap(), newer);
    assert_eq!(heard.load(Ordering::SeqCst), 1);
    assert!(t.fake.requests().is_empty(), "{:?}", t.requests());
    assert_eq!(second.access_token().unwrap(), newer);
    assert_eq!(heard.load(Ordering::SeqCst), 1, "told once");
}

/// The store gone back in time (Redis restored from an old snapshot, or its last writes lost
/// in a failover): it holds a pair whose refresh token another worker spent. A worker that held
/// that pair and took up its successor refreshes its own pair, not the stored one: the spent
/// refresh token is never sent again (a Public client's grant can be revoked for it).
#[test]
fn a_store_gone_back_in_time_never_has_its_spent_refresh_token_sent_again() {
    if secret_in_env() {
        return;
    }
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let fake = FakeTwitch::start().unwrap();
    fake.set_public(true);
    let first = stored(&fake);
    let account = server.store().key("fleet");
    account.save(&first).unwrap();
    let token = worker(&fake.url(), fake.client_id(), server.store().key("fleet"))
        .bind()
        .unwrap();
    assert_eq!(token.outcome(), Outcome::Reused);
    // Another process (its refreshes unknown to this one) finds the pair expired and refreshes.
    let mut old = account.load().unwrap().unwrap();
    fake.expire_access_token(old.access_token.secret());
    old.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
    account.save(&old).unwrap();
    let child = spawn_worker("refresh", &server, &fake, 0)
        .wait_with_output()
        .unwrap();
    assert!(child.status.success(), "{}", describe(&child));
    let second = account.load().unwrap().unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        token.access_token().unwrap(),
        second.access_token,
        "taken up"
    );

    // The snapshot the server is restored from holds the first pair.
    {
        let _lock = account.lock().unwrap();
        account.save(&old).unwrap();
    }
    token.report_unauthorized(&second.access_token);
    let third = token.access_token();

    assert_eq!(fake.refresh_token_reuses(), 0, "{:?}", fake.requests());
    let third = third.unwrap();
    assert_ne!(third, second.access_token);
    assert_eq!(account.load().unwrap().unwrap().access_token, third);
}

/// Workers on one account over a simulated run of 12 "hours" (an interval of 250 ms), each
/// asking `validate_if_due` every 10 ms: one validation per interval for the fleet, not one
/// per worker.
#[test]
fn a_fleet_validates_once_per_interval_not_once_per_worker() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let t = Setup::new();
    server.store().key("fleet").save(&stored(&t.fake)).unwrap();
    let (workers, interval, hours) = (6, Duration::from_millis(250), 12);
    let tokens: Vec<_> = (0..workers)
        .map(|_| {
            t.bare_helper(&CHAT)
                .store(server.store().key("fleet"))
                .validate_interval(interval)
                .bind()
                .unwrap()
        })
        .collect();
    t.fake.clear_requests();
    let started = Instant::now();

    std::thread::scope(|scope| {
        for token in &tokens {
            scope.spawn(move || {
                while started.elapsed() < interval * hours {
                    token.validate_if_due().unwrap();
                    token.access_token().unwrap();
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
        }
    });

    let made = validations(&t.fake);
    eprintln!("figures: {workers} workers, {hours} intervals: {made} validations");
    assert!(
        made <= hours as usize + 2,
        "{made} validations for {hours} intervals"
    );
    assert!(
        made >= hours as usize / 3,
        "{made} validations: the fleet stopped validating"
    );
}

#[test]
fn keys_are_kept_side_by_side() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let redis = server.store();
    let (a, b) = (redis.key("bot"), redis.key("broadcaster"));
    assert_eq!(a.load().unwrap(), None);
    a.save(&StoredToken::new("access-a", "refresh-a")).unwrap();
    b.save(&StoredToken::new("access-b", "refresh-b")).unwrap();
    assert_eq!(
        a.load().unwrap().unwrap().refresh_token.secret(),
        "refresh-a"
    );
    assert_eq!(
        b.load().unwrap().unwrap().refresh_token.secret(),
        "refresh-b"
    );
    a.delete().unwrap();
    assert_eq!(a.load().unwrap(), None);
}

/// Settings at their extremes neither panic nor hang: a zero timeout is raised to the least one
/// a socket takes, a lease of `Duration::MAX` is lowered to a day (one Redis accepts), a zero
/// lock_timeout is a single try.
#[test]
fn settings_at_their_extremes_still_keep_a_pair() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let redis = RedisStore::open(&server.url)
        .unwrap()
        .timeout(Duration::ZERO)
        .lease(Duration::MAX)
        .lock_timeout(Duration::ZERO);
    let account = redis.key("bot");
    {
        let _lock = account.lock().unwrap();
        account
            .save(&StoredToken::new("access", "refresh"))
            .unwrap();
    }
    assert_eq!(
        account.load().unwrap().unwrap().access_token.secret(),
        "access"
    );
    let ttl = server.cli(&["PTTL", "bot:lock"]);
    assert_eq!(ttl, redis::Value::Int(-2), "the lock is released");

    // Held by another worker, a zero lock_timeout is one try, not a wait.
    let other = redis.key("bot");
    let _held = other.lock().unwrap();
    let started = Instant::now();
    assert!(matches!(account.lock(), Err(Error::LockTimedOut { .. })));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn bind_reuses_and_refreshes_through_redis() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let t = Setup::new();
    server
        .store()
        .key("streamer")
        .save(&expired(&t.fake))
        .unwrap();
    let helper = t
        .bare_helper(&CHAT)
        .store(server.store().key("streamer"))
        .generator(|_, _| Err("no login here".into()));
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Refreshed);
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Reused);
    assert!(t.file_bytes().is_none());
}

/// A holder whose lease ran out (it was paused), another worker took the lock and saved: the
/// first's late save is refused by the fence, and the newer pair stays.
#[test]
fn a_holder_that_lost_its_lease_cannot_overwrite_a_newer_pair() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let redis = server.store();
    let (first, second) = (redis.key("a"), redis.key("a"));
    let _held = first.lock().unwrap();
    server.cli(&["DEL", "a:lock"]); // as if its lease had run out
    {
        let _mine = second.lock().unwrap();
        second
            .save(&StoredToken::new("newer", "newer-refresh"))
            .unwrap();
    }

    let err = first
        .save(&StoredToken::new("late", "late-refresh"))
        .unwrap_err();

    assert!(err.to_string().contains("its lock was lost"), "{err}");
    assert_eq!(
        second.load().unwrap().unwrap().access_token.secret(),
        "newer"
    );
}

#[test]
fn a_save_without_the_lock_never_lands_while_another_worker_holds_it() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let redis = server.store();
    let holder = redis.key("a");
    let _held = holder.lock().unwrap();
    let err = redis
        .key("a")
        .save(&StoredToken::new("x", "y"))
        .unwrap_err();
    assert!(
        err.to_string().contains("another worker holds its lock"),
        "{err}"
    );
    assert!(redis.key("a").try_lock().unwrap().is_none());
}

#[test]
fn an_unreachable_server_is_a_transient_error_naming_it_without_its_password() {
    let port = free_port();
    let redis = RedisStore::open(&format!("redis://:hunter2@127.0.0.1:{port}/0"))
        .unwrap()
        .timeout(Duration::from_millis(500));
    let err = redis.key("a").load().unwrap_err();
    assert!(matches!(err, Error::StoreUnavailable { .. }), "{err:?}");
    assert!(err.is_transient());
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(
        !text.contains("hunter2") && !format!("{err:?}").contains("hunter2"),
        "{text}"
    );
}

/// A key that holds a list, or a string that is no pair: a clear error at load and at save,
/// and what is there stays (a login would otherwise overwrite it).
#[test]
fn a_key_holding_something_else_is_a_clear_error_and_stays() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    server.cli(&["RPUSH", "list", "not", "a", "pair"]);
    server.cli(&["SET", "text", "someone else's"]);
    let t = Setup::new();
    for key in ["list", "text"] {
        let account = server.store().key(key);
        let err = account.load().unwrap_err();
        assert!(err.to_string().contains("something else"), "{key}: {err}");
        if key == "list" {
            let err = account.save(&StoredToken::new("x", "y")).unwrap_err();
            assert!(err.to_string().contains("something else"), "{err}");
        }
        let helper = t.generating_helper(&CHAT).store(server.store().key(key));
        assert!(helper.bind().is_err(), "{key}: a login over it");
    }
    assert_eq!(t.generator_calls(), 0);
    assert_eq!(server.cli(&["LLEN", "list"]), redis::Value::Int(3));
    assert_eq!(
        server.cli(&["GET", "text"]),
        redis::Value::BulkString(b"someone else's".to_vec())
    );
}

/// A wrong password, no password for a server that needs one, a database the server does not
/// have: errors that say what to check, never the password; nothing written.
#[test]
fn wrong_credentials_and_databases_are_clear_errors() {
    let Some(server) = Server::durable(&["--requirepass", "right-pw"]) else {
        return;
    };
    let base = format!("127.0.0.1:{}", server.port);
    let good = RedisStore::open(&format!("redis://:right-pw@{base}/0")).unwrap();
    good.key("fleet")
        .save(&StoredToken::new("kept", "kept-refresh"))
        .unwrap();
    for (url, says) in [
        (format!("redis://:wrong-pw@{base}/0"), "check the password"),
        (format!("redis://{base}/0"), "check the password"),
        (format!("redis://:right-pw@{base}/99"), "fewer databases"),
    ] {
        let redis = RedisStore::open(&url).unwrap();
        let err = redis.key("fleet").load().unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains(says), "{url}: {text}");
        assert!(
            !text.contains("wrong-pw") && !text.contains("right-pw"),
            "{text}"
        );
        assert!(
            redis
                .key("fleet")
                .save(&StoredToken::new("x", "y"))
                .is_err()
        );
    }
    let kept = good.key("fleet").load().unwrap().unwrap();
    assert_eq!(kept.access_token.secret(), "kept");
}

/// An ACL user with a password, kept to its own keys, is enough for the store.
#[test]
fn an_acl_user_limited_to_its_keys_can_keep_an_account() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    server.cli(&[
        "ACL",
        "SETUSER",
        "bot",
        "on",
        ">bot-pw",
        "~fleet*",
        "+@all",
        "-@dangerous",
    ]);
    let redis =
        RedisStore::open(&format!("redis://bot:bot-pw@127.0.0.1:{}/0", server.port)).unwrap();
    let account = redis.key("fleet");
    {
        let _lock = account.lock().unwrap();
        account.save(&StoredToken::new("a", "r")).unwrap();
    }
    assert_eq!(account.load().unwrap().unwrap().access_token.secret(), "a");
    let err = redis.key("other").load().unwrap_err();
    assert!(!err.to_string().contains("bot-pw"), "{err}");
}

/// What the server promises is read from its settings: nothing at all without AOF, a second of
/// saves with `everysec`, nothing lost with `always`; asynchronous replicas can lose the last
/// save unless saves wait for them.
#[test]
fn the_servers_durability_is_read_and_its_risks_named() {
    let Some(plain) = Server::start(&["--appendonly", "no"]) else {
        return;
    };
    let risk = plain.store().durability().unwrap().risk(0).unwrap();
    assert!(risk.contains("appendonly yes"), "{risk}");
    let everysec = Server::start(&["--appendonly", "yes", "--appendfsync", "everysec"]).unwrap();
    let risk = everysec.store().durability().unwrap().risk(0).unwrap();
    assert!(risk.contains("appendfsync always"), "{risk}");
    let durable = Server::durable(&[]).unwrap();
    assert_eq!(durable.store().durability().unwrap().risk(0), None);

    let replica_of = format!("127.0.0.1 {}", durable.port);
    let replica = Server::durable(&["--replicaof", &replica_of]).unwrap();
    let started = Instant::now();
    while durable.store().durability().unwrap().replicas == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the replica never connected"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let risk = durable.store().durability().unwrap().risk(0).unwrap();
    assert!(risk.contains("RedisStore::replicas"), "{risk}");
    assert_eq!(durable.store().durability().unwrap().risk(1), None);
    durable
        .store()
        .replicas(1)
        .key("a")
        .save(&StoredToken::new("a", "r"))
        .unwrap();
    let err = durable
        .store()
        .replicas(2)
        .key("a")
        .save(&StoredToken::new("b", "r"))
        .unwrap_err();
    assert!(err.to_string().contains("1 of the 2 replicas"), "{err}");
    drop(replica);
}

/// `token --store redis://HOST:PORT --account NAME`: the CLI binds on the fleet's key.
#[test]
fn the_token_cli_keeps_its_account_in_redis() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let t = Setup::new();
    server.store().key("cli").save(&expired(&t.fake)).unwrap();
    let output = Command::new(example("token"))
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .envs(t.fake.env())
        .args(["--auth-base-url", &t.fake.url(), "--no-browser"])
        .args(["--scopes", "chat:read chat:edit"])
        .args(["--store", &format!("redis://127.0.0.1:{}", server.port)])
        .args(["--account", "cli"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcome"], "refreshed");
    let stored = server.store().key("cli").load().unwrap().unwrap();
    assert_eq!(json["access_token"], stored.access_token.secret());
    assert!(t.file_bytes().is_none());
}

/// The store benchmark README's Performance section quotes runs, and times each store.
#[test]
fn the_store_benchmark_times_the_redis_store() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let output = Command::new(example("store_bench"))
        .args(["--runs", "5", "--redis", &server.url])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let timed: Vec<&str> = stdout.lines().filter(|l| l.ends_with(" ms")).collect();
    assert!(timed[0].starts_with("token file"), "{stdout}");
    assert!(timed.last().unwrap().starts_with("Redis key"), "{stdout}");
}

/// A lock held four times its lease (a slow refresh) is renewed: nobody else takes it
/// meanwhile, the holder's save lands, and the release frees it at once.
#[test]
fn a_lease_is_renewed_for_as_long_as_it_is_held() {
    let Some(server) = Server::durable(&[]) else {
        return;
    };
    let lease = Duration::from_millis(300);
    let holder = server.store().lease(lease).key("fleet");
    let other = server.store().key("fleet");
    let lock = holder.lock().unwrap();
    let started = Instant::now();
    while started.elapsed() < lease * 4 {
        assert!(
            other.try_lock().unwrap().is_none(),
            "taken after {:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    holder
        .save(&StoredToken::new("slow", "slow-refresh"))
        .unwrap();
    drop(lock);
    assert!(other.try_lock().unwrap().is_some(), "released");
    assert_eq!(other.load().unwrap().unwrap().access_token.secret(), "slow");
}
