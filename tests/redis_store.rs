//! `RedisStore` against a real `redis-server` (Debian's package), started by each test on a free
//! loopback port in a temporary directory and stopped by its pid; `skipped: <reason>` where
//! none is installed. Work in progress of issue 19: the fleet tests are still to come.
#![cfg(feature = "redis")]

mod support;

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use support::{CHAT, Setup, TempDir, free_port};
use twitch_auth::{Error, Outcome, RedisStore, StoredToken, TokenStore};

/// A redis-server of the test's own; stopped when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server() -> Option<Server> {
    let dir = TempDir::new();
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
        return None;
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Server {
        child,
        url: format!("redis://127.0.0.1:{port}/0"),
        _dir: dir,
    })
}

/// Runs a command on the server directly, as another program would.
fn redis_cli(server: &Server, args: &[&str]) {
    let client = redis::Client::open(server.url.as_str()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    let _: redis::Value = cmd.query(&mut conn).unwrap();
}

#[test]
fn keys_are_kept_side_by_side() {
    let Some(server) = server() else { return };
    let redis = RedisStore::open(&server.url).unwrap();
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

#[test]
fn bind_reuses_and_refreshes_through_redis() {
    let Some(server) = server() else { return };
    let t = Setup::new();
    let redis = RedisStore::open(&server.url).unwrap();
    let grant = t.fake.grant(&CHAT);
    let mut token = StoredToken::new(grant.access_token.as_str(), grant.refresh_token.as_str());
    token.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
    redis.key("streamer").save(&token).unwrap();
    let helper = t
        .bare_helper(&CHAT)
        .store(redis.key("streamer"))
        .generator(|_, _| Err("no login here".into()));
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Refreshed);
    assert_eq!(helper.bind().unwrap().outcome(), Outcome::Reused);
    assert!(t.file_bytes().is_none());
}

/// A holder whose lease ran out (it was paused), another worker took the lock and saved: the
/// first's late save is refused by the fence, and the newer pair stays.
#[test]
fn a_holder_that_lost_its_lease_cannot_overwrite_a_newer_pair() {
    let Some(server) = server() else { return };
    let redis = RedisStore::open(&server.url).unwrap();
    let (first, second) = (redis.key("a"), redis.key("a"));
    let _held = first.lock().unwrap();
    redis_cli(&server, &["DEL", "a:lock"]); // as if its lease had run out
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
    let Some(server) = server() else { return };
    let redis = RedisStore::open(&server.url).unwrap();
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

#[test]
fn a_key_holding_something_else_is_a_clear_error_and_stays() {
    let Some(server) = server() else { return };
    redis_cli(&server, &["RPUSH", "a", "not", "a", "pair"]);
    let err = RedisStore::open(&server.url)
        .unwrap()
        .key("a")
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("holds something else"), "{err}");
}
