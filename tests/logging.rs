//! Logging through the `log` facade: a debug line per step, a warning for a failed save, and
//! never a secret, from this crate or from the HTTP stack below it, at any level.

mod support;

use std::sync::{Arc, Mutex, Once};

use log::{Level, LevelFilter, Log, Metadata, Record};
use support::{CHAT, Setup, expire_stored};
use twitch_auth::mock::{Endpoint, Fault};
use twitch_auth::{Error, MemoryStore, StoreLock, StoredToken, TokenStore};

/// Every record of every crate, at every level.
struct Capture;

static RECORDS: Mutex<Vec<(Level, String, String)>> = Mutex::new(Vec::new());

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        let line = format!("{}", record.args());
        let target = record.target().to_owned();
        RECORDS.lock().unwrap().push((record.level(), target, line));
    }
    fn flush(&self) {}
}

fn capture() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(LevelFilter::Trace);
    });
}

/// A store whose saves fail, to provoke the warning.
#[derive(Debug, Default)]
struct FullDisk(MemoryStore);

impl TokenStore for FullDisk {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        self.0.load()
    }
    fn save(&self, _: &StoredToken) -> Result<(), Error> {
        Err(Error::Store {
            source: "no space left on the device".into(),
        })
    }
    fn delete(&self) -> Result<(), Error> {
        self.0.delete()
    }
    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        self.0.lock()
    }
}

#[test]
fn steps_are_logged_and_no_secret_ever_is() {
    capture();
    let t = Setup::new();
    let secrets = Mutex::new(vec![t.fake.client_secret().to_owned()]);
    let remember = |token: &twitch_auth::UserToken| {
        let mut secrets = secrets.lock().unwrap();
        secrets.push(token.access_token().unwrap().secret().to_owned());
        secrets.push(token.refresh_token().secret().to_owned());
    };

    // Generated, reused, refreshed, refreshed by the handle, a login through the browser.
    remember(&t.generating_helper(&CHAT).bind().unwrap());
    let token = t.generating_helper(&CHAT).bind().unwrap();
    remember(&token);
    expire_stored(&t);
    remember(&t.generating_helper(&CHAT).bind().unwrap());
    token.report_unauthorized(&token.access_token().unwrap());
    remember(&token);
    std::fs::remove_file(&t.path).unwrap();
    remember(&t.helper(&CHAT).bind().unwrap());

    // A failed save after a refresh, and a server echoing the request back.
    let grant = t.fake.grant(&CHAT);
    let mut stored = StoredToken::new(&grant.access_token, &grant.refresh_token);
    stored.expires_at = Some(std::time::UNIX_EPOCH);
    secrets.lock().unwrap().push(grant.access_token.clone());
    secrets.lock().unwrap().push(grant.refresh_token.clone());
    let store = Arc::new(FullDisk::default());
    store.0.save(&stored).unwrap();
    let unsaved = t.bare_helper(&CHAT).store(store).bind().unwrap();
    remember(&unsaved);
    let echo = format!(
        r#"{{"status":400,"message":"{}"}}"#,
        t.fake.client_secret().to_uppercase()
    );
    t.fake.fail(Endpoint::Token, Fault::json(400, &echo));
    expire_stored(&t);
    let _ = t.generating_helper(&CHAT).bind();

    let records = RECORDS.lock().unwrap().clone();
    let ours: Vec<&(Level, String, String)> = records
        .iter()
        .filter(|(_, target, _)| target.starts_with("twitch_auth"))
        .collect();
    let said = |level: Level, text: &str| {
        ours.iter()
            .any(|(l, _, line)| *l == level && line.contains(text))
    };
    for (level, text) in [
        (Level::Debug, "validating the stored token"),
        (Level::Debug, "refreshing the token"),
        (Level::Debug, "logging in (generator)"),
        (Level::Debug, "logging in (browser)"),
        (Level::Debug, "bind(): reused token of"),
        (Level::Debug, "bind(): refreshed token of"),
        (Level::Debug, "bind(): generated token of"),
        (Level::Warn, "kept in memory"),
    ] {
        assert!(
            said(level, text),
            "no {level} line with {text:?} in {ours:#?}"
        );
    }
    for (level, target, line) in &records {
        for secret in secrets.lock().unwrap().iter() {
            for form in [secret.clone(), secret.to_uppercase(), encoded(secret)] {
                assert!(
                    !line.contains(&form),
                    "a secret in a {level} line of {target}: {line}"
                );
            }
        }
    }
}

fn encoded(secret: &str) -> String {
    form_urlencoded::byte_serialize(secret.as_bytes()).collect()
}
