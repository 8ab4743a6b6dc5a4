//! Times a store's work around one refresh: take the lock, load the pair, check it can be
//! replaced, save the new one, release the lock (what `UserToken` does besides the refresh
//! request itself), for the token file and, with their features, SQLite and Redis.
//!
//! ```sh
//! redis-server --port 6390 --appendonly yes --appendfsync always --dir "$(mktemp -d)" &
//! cargo run --release --features redis,sqlite --example store_bench -- --redis redis://127.0.0.1:6390/0
//! cargo run --release --features redis --example store_bench -- --runs 1000 --redis …
//! ```
//!
//! Each store is timed over `--runs` rounds (500 by default) after 20 rounds of warm-up, on one
//! store value (a program keeps its store; a Redis connection is made once), and the median and
//! 90th percentile of a round are printed. The file and the database are in a temporary
//! directory: where it is on a disk, its sync dominates their rounds (`TMPDIR=/dev/shm` leaves the
//! disk out). Redis's rounds are on loopback, with the server's own settings: with
//! `appendfsync always` each save waits for the server's disk.

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use twitch_auth::{FileStore, StoredToken, TokenStore};

type Error = Box<dyn std::error::Error>;

/// One round: what a refresh does with the store.
fn round(store: &dyn TokenStore, n: u64) -> Result<(), Error> {
    let _lock = store.lock()?;
    let stored = store.load()?.ok_or("the pair is missing")?;
    store.prepare_refresh(&stored)?;
    store.save(&pair(n))?;
    Ok(())
}

fn pair(n: u64) -> StoredToken {
    let mut token = StoredToken::new(format!("access-{n:030}"), format!("refresh-{n:045}"));
    token.client_id = Some("bench-client-id-0123456789abcd".to_owned());
    token.user_id = Some("141981764".to_owned());
    token.login = Some("benchuser".to_owned());
    token.scopes = vec!["chat:edit".into(), "chat:read".into()];
    token.expires_at = Some(SystemTime::now() + Duration::from_secs(14_000));
    token
}

/// The median and 90th percentile of `runs` rounds on `store`.
fn time(store: &dyn TokenStore, runs: usize) -> Result<(Duration, Duration), Error> {
    store.save(&pair(0))?;
    for n in 0..20 {
        round(store, n)?;
    }
    let mut times = Vec::with_capacity(runs);
    for n in 0..runs as u64 {
        let started = Instant::now();
        round(store, n)?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() * 9 / 10]))
}

fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| {
                args.get(i + 1)
                    .cloned()
                    .ok_or(format!("{name} needs a value"))
            })
            .transpose()
    };
    let runs: usize = value("--runs")?.map_or(Ok(500), |n| n.parse())?.max(1);
    let redis = value("--redis")?;
    let unique = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let dir = std::env::temp_dir().join(format!("twitch-auth-store-bench-{unique}"));
    std::fs::create_dir_all(&dir)?;

    let mut stores: Vec<(String, Box<dyn TokenStore>)> = vec![(
        "token file".to_owned(),
        Box::new(FileStore::new(dir.join("user_token.json"))),
    )];
    #[cfg(feature = "sqlite")]
    stores.push((
        "SQLite account".to_owned(),
        Box::new(twitch_auth::SqliteStore::open(dir.join("tokens.db"))?.account("bench")),
    ));
    #[cfg(feature = "redis")]
    if let Some(url) = &redis {
        let store = twitch_auth::RedisStore::open(url)?;
        stores.push((
            format!("Redis key ({})", redacted(url)),
            Box::new(store.key("bench")),
        ));
    }
    #[cfg(not(feature = "redis"))]
    if redis.is_some() {
        return Err("--redis needs the redis feature: --features redis".into());
    }

    println!("{runs} rounds of lock, load, prepare_refresh, save, release");
    println!("{:<44} {:>9} {:>9}", "store", "median", "p90");
    let result = stores.iter().try_for_each(|(name, store)| {
        let (median, p90) = time(store.as_ref(), runs)?;
        println!("{name:<44} {:>6.3} ms {:>6.3} ms", ms(median), ms(p90));
        Ok::<(), Error>(())
    });
    drop(stores);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The URL without its password.
#[cfg(feature = "redis")]
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("store_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
