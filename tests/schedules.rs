//! Randomized schedules, in the spirit of simulation testing (FoundationDB, TigerBeetle's VOPR):
//! handles in threads, new binds, other programs logging in and out, child processes killed at
//! a random moment, a store failing and recovering, a server answering 5xx, dropping
//! connections, hanging or saying 401, all drawn at random by proptest-state-machine beside a
//! reference model, with six invariants checked after every step. A failing schedule is shrunk
//! to the shortest one that still fails.
//!
//! ```sh
//! cargo test --all-features --test schedules                        # about 2,000 schedules
//! SCHEDULE_CASES=20000 cargo test --all-features --test schedules   # a long run (per store kind)
//! SCHEDULE_SEED=42 cargo test --all-features --test schedules memory   # replay a seed
//! PROPTEST_RNG_SEED=42 cargo test --all-features --test schedules      # the same
//! SCHEDULE_SKIP=2,4 cargo test --all-features --test schedules     # leave invariants out
//! SCHEDULE_STRICT=all cargo test --all-features --test schedules   # check the limits too
//! PROPTEST_DISABLE_FAILURE_PERSISTENCE=1 …   # explore past the kept failures (see below)
//! ```
//!
//! `SCHEDULE_SKIP` takes invariant numbers. Three cases are limits no client can lift, and are
//! excused unless `SCHEDULE_STRICT` names them: `hang-reuse` (a refresh took effect at Twitch
//! but its answer never came), `unsaved-reuse` (a save failed after its check, and another
//! *process* sent the spent token left in the store) and `empty-relogin` (a login saved late
//! into a store that another program filled and emptied meanwhile). See [`checks`].
//!
//! Each test prints its seed and the command that replays it; the output is shown when it
//! fails (and with `--nocapture`, with the figures: schedules, operations, faults, reuses).
//! Failing cases are also kept in `tests/schedules.proptest-regressions`, run first next time.
//!
//! The invariants, numbered as in the failure messages and in RELIABILITY.md:
//! 1. no refresh token is ever sent twice (the fake counts reuses);
//! 2. after a handle's `revoke()` returned `Ok`, that handle hands out no token, and no pair the
//!    store or the handle held then is alive at Twitch;
//! 3. a log out is never undone: no pair from before it comes back into the store;
//! 4. once faults clear (and the handles' back-off after failed requests has passed), one
//!    `access_token()` (after a `save()` if one is pending, and once more after a 401) leaves a
//!    live pair in the store, or says `needs_login()` after a log out;
//! 5. no error says something untrue about the store ("not changed", "a log out?");
//! 6. no call waits longer than its bound (lock timeout plus a few HTTP timeouts).

mod support;

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestError, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use support::{TempDir, example, secret_in_env};
use twitch_auth::mock::{Endpoint, FakeTwitch, Fault, Grant};
use twitch_auth::{
    AccessToken, Error, FileStore, Helper, MemoryStore, StoreLock, StoredToken, TokenStore,
    UserToken,
};

/// Short, so that a hang costs little wall time.
const HTTP_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a hanging endpoint waits before it answers (and the request takes effect).
const HANG: Duration = Duration::from_millis(500);
const LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// The handles' back-off after failed requests: short, so that a heal waits little for it, and
/// long enough that calls in a row meet it (a still-usable token served, or the last error).
const BACKOFF_FIRST: Duration = Duration::from_millis(2);
const BACKOFF_MAX: Duration = Duration::from_millis(8);
/// Invariant 6: generous, but finite.
const CALL_BOUND: Duration = Duration::from_millis(2000 + 4 * 300 + 1000);
/// How many handles a schedule keeps at most (slots that binds fill or replace).
const SLOTS: usize = 3;
const SCOPES: [&str; 1] = ["chat:read"];

// ---------------------------------------------------------------------------------------------
// The operations and the reference model
// ---------------------------------------------------------------------------------------------

/// Where the pair is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Memory,
    /// A custom store that keeps the access and refresh token only: no expiry, no owner.
    PairOnly,
    File,
    /// A token file shared with child processes (the `token` example), some of them killed.
    FileWithProcesses,
}

/// A store kind as a type, so that each `#[test]` has its own reference machine.
trait Kind: 'static {
    const KIND: StoreKind;
}
struct Memory;
struct PairOnlyKind;
struct File;
struct Processes;
impl Kind for Memory {
    const KIND: StoreKind = StoreKind::Memory;
}
impl Kind for PairOnlyKind {
    const KIND: StoreKind = StoreKind::PairOnly;
}
impl Kind for File {
    const KIND: StoreKind = StoreKind::File;
}
impl Kind for Processes {
    const KIND: StoreKind = StoreKind::FileWithProcesses;
}

/// What a handle is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `access_token()`.
    Access,
    /// `report_unauthorized` of the last token it handed out, then `access_token()`.
    Unauthorized,
    Validate,
    Save,
    Revoke,
}

/// How the server misbehaves for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerFault {
    Status5xx,
    Close,
    CloseMidResponse,
    /// 401 `invalid access token` (validate only).
    Unauthorized,
    /// No answer before the HTTP timeout; the request still takes effect.
    Hang,
}

/// How a failing store takes writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    Work,
    /// Every write fails, and `prepare_save` says so first (a read-only mount).
    Fail,
    /// `prepare_save` passes, then the save fails (the disk filled up in between): the new
    /// pair is then kept by the handle only, with a save pending.
    FailAfterCheck,
}

/// One step of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// A call on the handle in this slot (nothing when the slot is empty).
    Call(Call, usize),
    /// Calls on handles from threads at the same time.
    Together(Vec<(Call, usize)>),
    /// A new `Helper::bind()` in this process into a slot; `own_store`: a `FileStore` value of
    /// its own on the same path (file kinds), else the shared store instance.
    Bind { slot: usize, own_store: bool },
    /// Another program logs in: a fresh pair stored through the store API, pyTwitchAPI-style.
    OtherLogin,
    /// Another program logs out: revokes the stored token, then deletes it.
    OtherLogout,
    /// The store fails reads, writes, or both until healed.
    StoreFails { reads: bool, writes: Writes },
    /// The server fails this endpoint's next `times` requests.
    Server {
        endpoint: Endpoint,
        fault: ServerFault,
        times: u32,
    },
    /// Twitch expires every access token (the handles don't know).
    Expire,
    /// Faults clear (server and store), then invariant 4 is checked on every handle.
    Heal,
    /// A new process binds (the `token` example), killed after this many ms if given.
    Child { kill_after_ms: Option<u64> },
}

/// The reference model: what the schedule generator needs to know about the world.
#[derive(Debug, Clone)]
struct Model {
    kind: StoreKind,
    /// Short lifetimes: every access token is due for a refresh at every `access_token()`.
    always_due: bool,
    /// Faults set and not healed since (for the weights only).
    faulty: bool,
}

/// The reference state machine of one store kind.
struct Schedules<K>(PhantomData<K>);

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        5 => Just(Call::Access),
        3 => Just(Call::Unauthorized),
        2 => Just(Call::Validate),
        2 => Just(Call::Save),
        1 => Just(Call::Revoke),
    ]
}

fn writes() -> impl Strategy<Value = Writes> {
    prop_oneof![
        1 => Just(Writes::Work),
        1 => Just(Writes::Fail),
        2 => Just(Writes::FailAfterCheck),
    ]
}

fn server_fault() -> impl Strategy<Value = Op> {
    let endpoint = prop_oneof![
        3 => Just(Endpoint::Token),
        2 => Just(Endpoint::Validate),
        1 => Just(Endpoint::Revoke),
    ];
    let fault = prop_oneof![
        8 => Just(ServerFault::Status5xx),
        4 => Just(ServerFault::Close),
        3 => Just(ServerFault::CloseMidResponse),
        3 => Just(ServerFault::Unauthorized),
        1 => Just(ServerFault::Hang),
    ];
    (endpoint, fault, 1..4u32).prop_map(|(endpoint, fault, times)| {
        // A 401 means "this access token is invalid" on validate only; a hang costs wall time,
        // so it hangs one request.
        let endpoint = match fault {
            ServerFault::Unauthorized => Endpoint::Validate,
            _ => endpoint,
        };
        let times = if fault == ServerFault::Hang { 1 } else { times };
        Op::Server {
            endpoint,
            fault,
            times,
        }
    })
}

impl<K: Kind> ReferenceStateMachine for Schedules<K> {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        any::<bool>()
            .prop_map(|always_due| Model {
                kind: K::KIND,
                always_due,
                faulty: false,
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Op> {
        let slot = 0..SLOTS;
        let heal = if state.faulty { 8 } else { 1 };
        let child = if state.kind == StoreKind::FileWithProcesses {
            6
        } else {
            0
        };
        prop_oneof![
            20 => (call(), slot.clone()).prop_map(|(c, h)| Op::Call(c, h)),
            5 => prop::collection::vec((call(), slot.clone()), 2..4).prop_map(Op::Together),
            4 => (slot, any::<bool>()).prop_map(|(slot, own_store)| Op::Bind { slot, own_store }),
            2 => Just(Op::OtherLogin),
            2 => Just(Op::OtherLogout),
            3 => (any::<bool>(), writes()).prop_map(|(reads, writes)| Op::StoreFails {
                reads: reads || writes == Writes::Work,
                writes,
            }),
            6 => server_fault(),
            1 => Just(Op::Expire),
            heal => Just(Op::Heal),
            child => prop::option::weighted(0.5, 0..40u64)
                .prop_map(|kill_after_ms| Op::Child { kill_after_ms }),
        ]
        .boxed()
    }

    fn apply(mut state: Model, op: &Op) -> Model {
        match op {
            Op::StoreFails { .. } | Op::Server { .. } => state.faulty = true,
            Op::Heal => state.faulty = false,
            _ => {}
        }
        state
    }
}

// ---------------------------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------------------------

/// A minimal custom store, as the trait allows: the two tokens and a lock, nothing else.
#[derive(Default)]
struct PairOnly {
    pair: Mutex<Option<(String, String)>>,
    lock: Mutex<()>,
}

impl fmt::Debug for PairOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairOnly") // the pair is secret
    }
}

impl TokenStore for PairOnly {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        let pair = self.pair.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(pair.clone().map(|(a, r)| StoredToken::new(a, r)))
    }
    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        let pair = (token.access_token.secret(), token.refresh_token.secret());
        *self.pair.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((pair.0.to_owned(), pair.1.to_owned()));
        Ok(())
    }
    fn delete(&self) -> Result<(), Error> {
        *self.pair.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(())
    }
    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        Ok(StoreLock::new(
            self.lock.lock().unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

/// The switches of a failing store, shared by every store value of one schedule.
#[derive(Debug, Default)]
struct Switches {
    reads: AtomicBool,
    /// `save` and `delete` fail.
    writes: AtomicBool,
    /// `prepare_save` fails.
    checks: AtomicBool,
}

impl Switches {
    fn set(&self, reads: bool, writes: Writes) {
        self.reads.store(reads, Ordering::SeqCst);
        self.writes.store(writes != Writes::Work, Ordering::SeqCst);
        self.checks.store(writes == Writes::Fail, Ordering::SeqCst);
    }
}

/// A store whose reads or writes fail while a switch is on: a disk gone bad, a database down.
#[derive(Debug)]
struct Switched {
    inner: Arc<dyn TokenStore>,
    switches: Arc<Switches>,
}

impl Switched {
    fn check(&self, switch: &AtomicBool, what: &str) -> Result<(), Error> {
        if switch.load(Ordering::SeqCst) {
            return Err(Error::Store {
                source: format!("the test made the store's {what} fail").into(),
            });
        }
        Ok(())
    }
}

impl TokenStore for Switched {
    fn load(&self) -> Result<Option<StoredToken>, Error> {
        self.check(&self.switches.reads, "reads")?;
        self.inner.load()
    }
    fn save(&self, token: &StoredToken) -> Result<(), Error> {
        self.check(&self.switches.writes, "writes")?;
        self.inner.save(token)
    }
    fn prepare_save(&self) -> Result<(), Error> {
        self.check(&self.switches.checks, "writes")?;
        self.inner.prepare_save()
    }
    fn delete(&self) -> Result<(), Error> {
        self.check(&self.switches.writes, "writes")?;
        self.inner.delete()
    }
    fn lock(&self) -> Result<StoreLock<'_>, Error> {
        self.inner.lock()
    }
}

// ---------------------------------------------------------------------------------------------
// The system under test, and what the checks remember about it
// ---------------------------------------------------------------------------------------------

/// What one test function counted, printed at its end.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    schedules: u64,
    ops: u64,
    faults: u64,
    reuses: u64,
    children: u64,
    kills: u64,
}

thread_local! {
    // The runner runs a test's cases on the test's own thread: one count per test function.
    static FIGURES: Cell<Figures> = Cell::new(Figures::default());
}

fn count(f: impl FnOnce(&mut Figures)) {
    FIGURES.with(|cell| {
        let mut figures = cell.get();
        f(&mut figures);
        cell.set(figures);
    });
}

/// Whether a check runs: `SCHEDULE_SKIP` (e.g. `2,4`) leaves out invariants by number, to look
/// for failures of the others. Three cases are limits of what any client can know, excused
/// unless `SCHEDULE_STRICT` names them (or says `all`): `hang-reuse` (a refresh took effect at
/// Twitch while its answer never came, so the store still holds the spent token),
/// `unsaved-reuse` (a save failed past its `prepare_save`, and another process then sent the
/// spent token still in the store; handles of one process share what they spent and never do),
/// `empty-relogin` (a login's save failed into an empty store, which another program then filled
/// and emptied again: the store cannot say it was ever filled).
fn checks(what: &str) -> bool {
    static SKIP: OnceLock<Vec<String>> = OnceLock::new();
    let skip = SKIP.get_or_init(|| {
        let strict = std::env::var("SCHEDULE_STRICT").unwrap_or_default();
        let mut skip: Vec<String> = INHERENT
            .iter()
            .filter(|name| {
                !strict
                    .split(',')
                    .any(|s| s.trim() == **name || s.trim() == "all")
            })
            .map(|name| (*name).to_owned())
            .collect();
        skip.extend(
            std::env::var("SCHEDULE_SKIP")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_owned()),
        );
        skip
    });
    !skip.iter().any(|s| s == what)
}

/// The limits no store-side code can lift, excused unless `SCHEDULE_STRICT` names them (see
/// RELIABILITY.md, "What the model cannot promise").
const INHERENT: [&str; 3] = ["hang-reuse", "unsaved-reuse", "empty-relogin"];

/// A handle and what the checks know of it.
struct Handle {
    token: UserToken,
    /// The access token it holds now, as far as the test saw (calls, `on_refresh`).
    current: Arc<Mutex<Option<AccessToken>>>,
    /// Its `revoke()` returned `Ok`.
    revoked: bool,
    /// Its `revoke()` was called (a timed-out revoke may still have taken effect).
    revoke_tried: bool,
    /// How many log outs had happened, or been tried, when it was bound.
    logouts_at_bind: u64,
}

impl Handle {
    fn current(&self) -> Option<AccessToken> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    fn saw(&self, access: &AccessToken) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(access.clone());
    }
}

/// One schedule's world: the fake, the store, the handles, and the bookkeeping of the checks.
struct World {
    fake: Arc<FakeTwitch>,
    /// Holds the token file of the file kinds; removed when the schedule ends.
    _dir: Option<TempDir>,
    path: Option<PathBuf>,
    switches: Arc<Switches>,
    /// The store instance the handles share.
    shared: Arc<dyn TokenStore>,
    /// The same store without the switches: what is really stored.
    truth: Arc<dyn TokenStore>,
    handles: Vec<Option<Handle>>,
    /// Pairs the generators minted (logins), not yet numbered.
    minted: Arc<Mutex<Vec<Grant>>>,
    /// For each token seen (access or refresh), the number of the login it descends from.
    epochs: HashMap<String, u64>,
    logins: u64,
    /// Log outs done, and revokes tried: a revoke that failed may have taken effect at Twitch
    /// (a hang, or a delete that failed after it), which no handle can know of.
    logouts: u64,
    /// How many logins had happened at the last log out: pairs of those may not come back.
    logged_out_after: Option<u64>,
    /// Access tokens that a successful revoke must have killed, and why.
    must_be_dead: Vec<(String, String)>,
    /// How many of the fake's requests the checks have looked at.
    requests_seen: usize,
    /// A fault may still be set on validate (our own checks would meet it too).
    validate_faulty: bool,
    /// A server fault was set since the last heal: a back-off may be running.
    server_faulted: bool,
    /// A request to the token endpoint hung (its refresh may have taken effect unseen).
    token_hung: bool,
    /// A handle kept a pair the store could not take (`is_saved()` was false).
    unsaved_seen: bool,
    /// A child process ran while the store may have held a refresh token spent by a refresh
    /// whose pair it could not keep: the child cannot know it is spent.
    child_after_unsaved: bool,
    /// Refresh tokens of logins whose save failed while the store held nothing: the store
    /// cannot tell "never held a pair" from "logged in and out again meanwhile".
    empty_unsaved_logins: Vec<String>,
    /// An excused reuse revoked the grant: invariant 4 then accepts `needs_login()`.
    grant_lost: bool,
    /// The reuses already counted in the figures.
    reuses_counted: u32,
    /// A child was killed after spending the stored refresh token and before saving the new
    /// pair: the pair is lost with it, and a reuse of its refresh token is no bug of ours.
    lost_by_kill: bool,
    agent: ureq::Agent,
    step: usize,
    log: Vec<String>,
}

/// `(access, refresh)` of a stored pair.
fn pair_of(token: &StoredToken) -> (String, String) {
    (
        token.access_token.secret().to_owned(),
        token.refresh_token.secret().to_owned(),
    )
}

impl World {
    fn new(kind: StoreKind, always_due: bool) -> World {
        let fake = Arc::new(FakeTwitch::start().expect("the fake starts"));
        fake.set_public(true); // single-use refresh tokens: a reuse revokes the grant
        fake.set_device_interval(0);
        if always_due {
            fake.set_expires_in(Some(30)); // inside the 60 s refresh margin: always due
        }
        let switches = Arc::new(Switches::default());
        let (dir, path, inner): (_, _, Arc<dyn TokenStore>) = match kind {
            StoreKind::Memory => (None, None, Arc::new(MemoryStore::new())),
            StoreKind::PairOnly => (None, None, Arc::new(PairOnly::default())),
            StoreKind::File | StoreKind::FileWithProcesses => {
                let dir = TempDir::new();
                let path = dir.path().join("user_token.json");
                let store = FileStore::new(&path).lock_timeout(LOCK_TIMEOUT);
                (Some(dir), Some(path), Arc::new(store))
            }
        };
        let shared: Arc<dyn TokenStore> = Arc::new(Switched {
            inner: Arc::clone(&inner),
            switches: Arc::clone(&switches),
        });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        let mut world = World {
            fake,
            _dir: dir,
            path,
            switches,
            shared,
            truth: inner,
            handles: (0..SLOTS).map(|_| None).collect(),
            minted: Arc::default(),
            epochs: HashMap::new(),
            logins: 0,
            logouts: 0,
            logged_out_after: None,
            must_be_dead: Vec::new(),
            requests_seen: 0,
            validate_faulty: false,
            server_faulted: false,
            token_hung: false,
            unsaved_seen: false,
            child_after_unsaved: false,
            empty_unsaved_logins: Vec::new(),
            grant_lost: false,
            reuses_counted: 0,
            lost_by_kill: false,
            agent,
            step: 0,
            log: Vec::new(),
        };
        world.bind(0, false, "init");
        world.observe("init");
        world
    }

    /// A helper on this world's fake and `store`, whose logins mint a pair at the fake.
    fn helper(
        &self,
        store: Arc<dyn TokenStore>,
        current: &Arc<Mutex<Option<AccessToken>>>,
    ) -> Helper {
        let (fake, minted, seen) = (
            Arc::clone(&self.fake),
            Arc::clone(&self.minted),
            Arc::clone(current),
        );
        Helper::new(SCOPES)
            .client_id(self.fake.client_id())
            .auth_base_url(self.fake.url())
            .open_browser(false)
            .http_timeout(HTTP_TIMEOUT)
            .lock_timeout(LOCK_TIMEOUT)
            .retry_backoff(BACKOFF_FIRST, BACKOFF_MAX)
            .store(store)
            .on_refresh(move |t| {
                *seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(t.access_token.clone());
            })
            .generator(move |_, scopes| {
                let grant = fake.grant(scopes);
                minted
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(grant.clone());
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(grant)
            })
    }

    /// What the store really holds (`None` also when it cannot be read).
    fn stored(&self) -> Option<(String, String)> {
        self.truth.load().ok().flatten().map(|t| pair_of(&t))
    }

    /// Whether Twitch takes `access` now; `None` when it could not be asked.
    fn alive(&self, access: &str) -> Option<bool> {
        let answer = self
            .agent
            .get(format!("{}validate", self.fake.url()))
            .header("Authorization", format!("OAuth {access}"))
            .call()
            .ok()?;
        match answer.status().as_u16() {
            200 => Some(true),
            401 => Some(false),
            _ => None,
        }
    }

    /// Fails the schedule: names the step, the invariant, and the steps so far.
    fn broke(&self, label: &str, invariant: u8, what: String) -> ! {
        panic!(
            "{label}: invariant {invariant} broke: {what}\n  steps so far:\n    {}",
            self.log.join("\n    ")
        );
    }

    /// Runs one call with the bound of invariant 6.
    fn timed<T>(&self, label: &str, what: &str, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = f();
        let took = started.elapsed();
        if checks("6") && took > CALL_BOUND {
            self.broke(
                label,
                6,
                format!("{what} took {took:?}, past {CALL_BOUND:?}"),
            );
        }
        result
    }

    /// Invariant 5 for an error of a call made alone: what it says of the store is true.
    fn check_message(&self, label: &str, err: &Error, before: &Option<(String, String)>) {
        if !checks("5") {
            return;
        }
        let text = err.to_string();
        let after = self.stored();
        let says_unchanged = ["not changed", "unchanged", "nothing was changed"]
            .iter()
            .any(|s| text.contains(s));
        if says_unchanged && after != *before {
            self.broke(
                label,
                5,
                format!("the error says the store was not changed, yet it was: {text}"),
            );
        }
        let says_logged_out = text.contains("a log out?")
            || matches!(err, Error::StoreChanged { stored_login: None });
        if says_logged_out && after.is_some() {
            self.broke(
                label,
                5,
                format!("the error says the store holds nothing, yet it holds a pair: {text}"),
            );
        }
    }

    fn bind(&mut self, slot: usize, own_store: bool, label: &str) {
        let store: Arc<dyn TokenStore> = match (&self.path, own_store) {
            (Some(path), true) => Arc::new(Switched {
                inner: Arc::new(FileStore::new(path).lock_timeout(LOCK_TIMEOUT)),
                switches: Arc::clone(&self.switches),
            }),
            _ => Arc::clone(&self.shared),
        };
        let current = Arc::default();
        let helper = self.helper(store, &current);
        let before = self.stored();
        match self.timed(label, "bind()", || helper.bind()) {
            Ok(token) => {
                let handle = Handle {
                    token,
                    current,
                    revoked: false,
                    revoke_tried: false,
                    logouts_at_bind: self.logouts,
                };
                if before.is_none() && !handle.token.is_saved() {
                    let refresh = handle.token.refresh_token().secret().to_owned();
                    self.empty_unsaved_logins.push(refresh);
                }
                // The pair it holds is the stored one, when the store kept it.
                if let Some((access, refresh)) = self.stored()
                    && handle.token.refresh_token().secret() == refresh
                {
                    handle.saw(&AccessToken::new(access));
                }
                self.handles[slot] = Some(handle);
            }
            Err(e) => self.check_message(label, &e, &before),
        }
    }

    /// One call on a handle; `alone`: no other call runs meanwhile (invariant 5 applies).
    fn call(&mut self, label: &str, call: Call, slot: usize) {
        let Some(handle) = &self.handles[slot] else {
            return;
        };
        let before = self.stored();
        let at_revoke = (before.clone(), handle.current());
        let result = self.timed(label, &format!("{call:?}"), || run_call(handle, call));
        let revoked = handle.revoked;
        self.after_call(label, call, slot, result, Some(&before), at_revoke, revoked);
    }

    /// What a call's result tells the checks; `before`: the store before, for a call alone.
    #[allow(clippy::too_many_arguments)]
    fn after_call(
        &mut self,
        label: &str,
        call: Call,
        slot: usize,
        result: Result<Option<AccessToken>, Error>,
        before: Option<&Option<(String, String)>>,
        (stored_then, held_then): (Option<(String, String)>, Option<AccessToken>),
        revoked_before: bool,
    ) {
        let Some(handle) = self.handles[slot].as_mut() else {
            return;
        };
        if call == Call::Revoke {
            handle.revoke_tried = true;
            if result.is_err() {
                self.logouts += 1;
            }
        }
        let Some(handle) = self.handles[slot].as_mut() else {
            return;
        };
        match &result {
            Ok(Some(access)) => {
                if checks("2") && revoked_before {
                    self.broke(
                        label,
                        2,
                        format!("handle {slot} handed out a token after its revoke() returned Ok"),
                    );
                }
                handle.saw(access);
            }
            Ok(None) if call == Call::Revoke => {
                handle.revoked = true;
                self.logged_out(label);
                if let Some((access, _)) = stored_then {
                    let why = format!("{label}: the stored pair at handle {slot}'s revoke");
                    self.must_be_dead.push((access, why));
                }
                if let Some(access) = held_then {
                    let why = format!("{label}: handle {slot}'s pair at its revoke");
                    self.must_be_dead.push((access.secret().to_owned(), why));
                }
            }
            Ok(None) => {}
            Err(e) => {
                if let Some(before) = before {
                    self.check_message(label, e, before);
                }
            }
        }
    }

    fn logged_out(&mut self, label: &str) {
        self.logouts += 1;
        self.logged_out_after = Some(self.logins);
        self.log
            .push(format!("  ({label}: log out after login #{})", self.logins));
    }

    fn together(&mut self, label: &str, calls: &[(Call, usize)]) {
        let jobs: Vec<(Call, usize, UserToken, AtRevoke)> = calls
            .iter()
            .filter_map(|&(call, slot)| {
                let handle = self.handles[slot].as_ref()?;
                Some((
                    call,
                    slot,
                    handle.token.clone(),
                    (self.stored(), handle.current()),
                ))
            })
            .collect();
        let results: Vec<_> = std::thread::scope(|scope| {
            let threads: Vec<_> = jobs
                .iter()
                .map(|(call, slot, token, _)| {
                    let (call, slot) = (*call, *slot);
                    scope.spawn(move || {
                        let started = Instant::now();
                        let result = run_call_on(token, call, slot);
                        (result, started.elapsed())
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("a call panicked"))
                .collect()
        });
        // A token handed out by a call running beside the revoke may have come before it: only
        // handles logged out before the group started must hand out none.
        let revoked_before: Vec<bool> = (0..SLOTS)
            .map(|slot| self.handles[slot].as_ref().is_some_and(|h| h.revoked))
            .collect();
        let slots: Vec<usize> = jobs.iter().map(|(_, slot, _, _)| *slot).collect();
        for ((call, slot, _, mut then), (result, took)) in jobs.into_iter().zip(results) {
            // Another handle's call beside the revoke may have replaced the stored pair before
            // the revoke took the lock (Twitch keeps a refreshed pair's access token alive, and
            // that handle holds it, live): then only the revoking handle's own pair must die.
            if call == Call::Revoke && slots.iter().any(|s| *s != slot) {
                then.0 = None;
            }
            if checks("6") && took > CALL_BOUND {
                self.broke(
                    label,
                    6,
                    format!("{call:?} on handle {slot} took {took:?}, past {CALL_BOUND:?}"),
                );
            }
            self.after_call(label, call, slot, result, None, then, revoked_before[slot]);
        }
    }

    fn other_login(&mut self) {
        let grant = self.fake.grant(&SCOPES);
        let truth = Arc::clone(&self.truth);
        let _lock = truth.lock().expect("another program locks the store");
        truth
            .save(&StoredToken::new(&grant.access_token, &grant.refresh_token))
            .expect("another program stores its pair");
        self.register_login(&grant.access_token, Some(&grant.refresh_token));
    }

    fn other_logout(&mut self, label: &str) {
        let truth = Arc::clone(&self.truth);
        let _lock = truth.lock().expect("another program locks the store");
        let Some((access, _)) = self.stored() else {
            return; // nothing to log out of
        };
        let revoked = self
            .agent
            .post(format!("{}revoke", self.fake.url()))
            .send_form([
                ("client_id", self.fake.client_id()),
                ("token", access.as_str()),
            ])
            // A 200 whose answer is cut off (`CloseMidResponse`) did not take effect.
            .and_then(|mut r| {
                let status = r.status().as_u16();
                r.body_mut().read_to_string().map(|_| status)
            });
        if !revoked.is_ok_and(|status| status == 200) {
            return; // the server failed it: the other program stays logged in
        }
        truth.delete().expect("another program deletes the pair");
        self.must_be_dead
            .push((access, format!("{label}: the pair another program revoked")));
        self.logged_out(label);
    }

    fn register_login(&mut self, access: &str, refresh: Option<&str>) {
        self.logins += 1;
        self.epochs.insert(access.to_owned(), self.logins);
        if let Some(refresh) = refresh {
            self.epochs.insert(refresh.to_owned(), self.logins);
        }
    }

    fn server_fault(&mut self, endpoint: Endpoint, fault: ServerFault, times: u32) {
        let set = match fault {
            ServerFault::Status5xx => Fault::status(502, "<html>502 Bad Gateway</html>"),
            ServerFault::Close => Fault::Close,
            ServerFault::CloseMidResponse => Fault::CloseMidResponse,
            ServerFault::Unauthorized => {
                Fault::json(401, r#"{"status":401,"message":"invalid access token"}"#)
            }
            ServerFault::Hang => Fault::Delay(HANG),
        };
        self.server_faulted = true;
        if endpoint == Endpoint::Validate {
            self.validate_faulty = true;
        }
        if endpoint == Endpoint::Token && fault == ServerFault::Hang {
            self.token_hung = true;
        }
        self.fake.fail_times(endpoint, set, times);
    }

    fn heal(&mut self, label: &str) {
        self.fake.clear_faults();
        self.switches.set(false, Writes::Work);
        self.validate_faulty = false;
        if std::mem::take(&mut self.server_faulted) {
            // A handle whose request failed asks again only after its back-off.
            std::thread::sleep(BACKOFF_MAX + Duration::from_millis(2));
        }
        if !checks("4") || self.lost_by_kill {
            return;
        }
        self.unsaved_seen |= self.handles.iter().flatten().any(|h| !h.token.is_saved());
        for slot in 0..SLOTS {
            let Some(handle) = &self.handles[slot] else {
                continue;
            };
            if handle.revoked {
                continue;
            }
            let after_logout =
                handle.revoke_tried || self.logouts > handle.logouts_at_bind || self.grant_lost;
            let token = handle.token.clone();
            if !token.is_saved() {
                let _ = self.timed(label, "save()", || token.save());
            }
            // As an app does after Helix's 401, a few times: a pair another program stored
            // may have been killed behind the store's back too (Op::Expire).
            let mut result = self.timed(label, "access_token()", || token.access_token());
            for _ in 0..3 {
                match &result {
                    Ok(access) if self.alive(access.secret()) == Some(false) => {
                        token.report_unauthorized(access);
                        result = self.timed(label, "access_token()", || token.access_token());
                    }
                    _ => break,
                }
            }
            // A reuse during this probe that invariant 1 excuses (or skips) killed the grant.
            let grant_lost =
                self.fake.refresh_token_reuses() > 0 && (self.reuse_excused() || !checks("1"));
            match result {
                Err(e) if e.needs_login() && (after_logout || grant_lost) => {}
                Err(e) => self.broke(
                    label,
                    4,
                    format!("faults cleared, yet handle {slot}'s access_token() failed (no log out since its bind): {e}"),
                ),
                Ok(access) => {
                    handle.saw(&access);
                    if after_logout {
                        continue; // invariant 3 watches what it stores
                    }
                    match self.stored() {
                        Some((stored, _)) if self.alive(&stored) == Some(true) => {}
                        Some(_) => self.broke(label, 4, format!("faults cleared and handle {slot}'s access_token() succeeded, yet the stored pair is not alive")),
                        None => self.broke(label, 4, format!("faults cleared and handle {slot}'s access_token() succeeded, yet the store holds nothing (no log out happened)")),
                    }
                }
            }
        }
    }

    fn child(&mut self, label: &str, kill_after_ms: Option<u64>) {
        let Some(path) = self.path.clone() else {
            return;
        };
        count(|f| f.children += 1);
        self.unsaved_seen |= self.handles.iter().flatten().any(|h| !h.token.is_saved());
        self.child_after_unsaved |= self.unsaved_seen;
        let before = self.stored();
        let requests_before = self.fake.requests().len();
        let mut cmd = Command::new(example("token"));
        cmd.env_remove("TWITCH_CLIENT_ID")
            .env_remove("TWITCH_CLIENT_SECRET")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .args(["--auth-base-url", &self.fake.url()])
            .args(["--client-id", self.fake.client_id()])
            .args([
                "--scopes",
                "chat:read",
                "--no-browser",
                "--device",
                "--timeout",
                "5",
            ])
            .arg("--path")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // A process that cannot start (Wine now and then fails a start with "Internal error")
        // is no step of the schedule: nothing ran.
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                self.log
                    .push(format!("  ({label}: the child could not start: {e})"));
                return;
            }
        };
        if let Some(ms) = kill_after_ms {
            std::thread::sleep(Duration::from_millis(ms));
            let _ = child.kill();
            let _ = child.wait();
            // A request the child sent just before it died may still be in the fake's socket:
            // let the fake take it (and spend its refresh token) before the checks look. On a
            // loaded machine that takes a while: wait until no request came for 100 ms.
            let mut seen = self.fake.requests().len();
            let settle = Instant::now();
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let now = self.fake.requests().len();
                if now == seen || settle.elapsed() > Duration::from_secs(2) {
                    break;
                }
                seen = now;
            }
            count(|f| f.kills += 1);
            self.check_file_after_kill(label, &path, &before, requests_before);
            return;
        }
        let line = self.timed(label, "a child's bind()", || {
            wait_for(child, CALL_BOUND + Duration::from_secs(5))
        });
        if let Some(json) = line.and_then(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
            && json["outcome"] == "generated"
            && let Some(access) = json["access_token"].as_str()
        {
            self.register_login(access, None); // a device login: a new grant
        }
    }

    /// After a kill the token file holds a complete pair (the old one or a new one), never a
    /// torn one.
    fn check_file_after_kill(
        &mut self,
        label: &str,
        path: &PathBuf,
        before: &Option<(String, String)>,
        requests_before: usize,
    ) {
        if let Ok(bytes) = std::fs::read(path) {
            let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
            let complete = json.as_ref().is_some_and(|j| {
                j["token"].as_str().is_some_and(|s| !s.is_empty())
                    && j["refresh"].as_str().is_some_and(|s| !s.is_empty())
            });
            if !complete {
                self.broke(
                    label,
                    3,
                    format!(
                        "after a kill the token file is not a complete pair ({} bytes)",
                        bytes.len()
                    ),
                );
            }
        }
        // The kill fell between the refresh's answer and the save: the new pair died with it.
        if let Some((_, refresh)) = before
            && self.stored().as_ref() == Some(before.as_ref().unwrap())
            && self.fake.requests()[requests_before..]
                .iter()
                .any(|r| r.form("refresh_token") == Some(refresh.as_str()))
        {
            self.lost_by_kill = true;
            self.log.push(format!(
                "  ({label}: the child was killed after its refresh, before its save)"
            ));
        }
    }

    /// Whether a reuse now would be one that invariant 1 excuses (see [`checks`]).
    fn reuse_excused(&self) -> bool {
        self.lost_by_kill
            || (self.token_hung && !checks("hang-reuse"))
            || (self.child_after_unsaved && !checks("unsaved-reuse"))
    }

    /// After every step: number the new pairs, then invariants 1, 2 (dead pairs) and 3.
    fn observe(&mut self, label: &str) {
        let minted: Vec<Grant> =
            std::mem::take(&mut *self.minted.lock().unwrap_or_else(PoisonError::into_inner));
        for grant in minted {
            self.register_login(&grant.access_token, Some(&grant.refresh_token));
        }
        // A new pair descends from the login of the refresh token spent for it in this step.
        let requests = self.fake.requests();
        let spent: Vec<u64> = requests[self.requests_seen.min(requests.len())..]
            .iter()
            .filter_map(|r| r.form("refresh_token"))
            .filter_map(|t| self.epochs.get(t).copied())
            .collect();
        self.requests_seen = requests.len();
        let stored = self.stored();
        let mut seen: Vec<String> = stored
            .iter()
            .flat_map(|(a, r)| [a.clone(), r.clone()])
            .collect();
        for handle in self.handles.iter().flatten() {
            seen.push(handle.token.refresh_token().secret().to_owned());
            seen.extend(handle.current().map(|a| a.secret().to_owned()));
        }
        seen.retain(|token| !self.epochs.contains_key(token));
        // Lenient where it cannot tell: the newest login of those refreshed in this step; with
        // no refresh, a login the test did not see (a child's device login that then failed).
        let guess = match spent.iter().copied().max() {
            Some(epoch) => epoch,
            None if seen.is_empty() => self.logins,
            None => {
                self.logins += 1;
                self.logins
            }
        };
        for token in seen {
            self.epochs.insert(token, guess);
        }

        let reuses = self.fake.refresh_token_reuses();
        let new_reuses = reuses.saturating_sub(self.reuses_counted);
        self.reuses_counted = reuses;
        count(|f| f.reuses += u64::from(new_reuses));
        self.unsaved_seen |= self.handles.iter().flatten().any(|h| !h.token.is_saved());
        let excused = self.reuse_excused();
        if reuses > 0 && excused {
            // A Public client's grant dies of a reuse: from here, "log in again" is the truth.
            self.grant_lost = true;
        }
        if checks("1") && reuses > 0 && !excused {
            let mut why = String::new();
            if self.token_hung {
                why += " (a request to the token endpoint hung earlier: its refresh took effect, \
                         its answer never came; SCHEDULE_STRICT=hang-reuse checks this)";
            }
            if self.child_after_unsaved {
                why += " (a save failed after its check earlier, and a child process then found \
                         the spent refresh token in the store; SCHEDULE_STRICT=unsaved-reuse \
                         checks this)";
            }
            self.broke(
                label,
                1,
                format!("{reuses} spent refresh token(s) sent again{why}"),
            );
        }
        if checks("3")
            && let (Some(after), Some((access, refresh))) = (self.logged_out_after, &stored)
        {
            let epoch = self
                .epochs
                .get(refresh)
                .or(self.epochs.get(access))
                .copied()
                .unwrap_or(guess);
            let relogin = self
                .empty_unsaved_logins
                .iter()
                .any(|t| self.epochs.get(t) == Some(&epoch));
            let excused = relogin && !checks("empty-relogin");
            if epoch <= after && !excused {
                self.broke(label, 3, format!("the store holds a pair of login #{epoch}, from before the log out (after login #{after}); no login since made it"));
            }
        }
        if checks("2") && !self.validate_faulty {
            let dead = std::mem::take(&mut self.must_be_dead);
            for (access, why) in dead {
                match self.alive(&access) {
                    Some(true) => self.broke(
                        label,
                        2,
                        format!("a pair a revoke must have killed is alive at Twitch ({why})"),
                    ),
                    Some(false) => {}
                    None => self.must_be_dead.push((access, why)), // ask again later
                }
            }
        }
    }
}

/// What a revoke must kill: the stored pair and the handle's, as they were when it was called.
type AtRevoke = (Option<(String, String)>, Option<AccessToken>);

/// Runs `call` on the handle; `Ok(Some(access))` when it handed out a token.
fn run_call(handle: &Handle, call: Call) -> Result<Option<AccessToken>, Error> {
    let last = handle.current();
    run_call_with(&handle.token, call, last)
}

fn run_call_on(token: &UserToken, call: Call, _slot: usize) -> Result<Option<AccessToken>, Error> {
    run_call_with(token, call, None)
}

fn run_call_with(
    token: &UserToken,
    call: Call,
    last: Option<AccessToken>,
) -> Result<Option<AccessToken>, Error> {
    match call {
        Call::Access => token.access_token().map(Some),
        Call::Unauthorized => {
            let rejected = match last {
                Some(access) => access,
                None => token.access_token()?,
            };
            token.report_unauthorized(&rejected);
            token.access_token().map(Some)
        }
        Call::Validate => token.validate().map(|()| None),
        Call::Save => token.save().map(|()| None),
        Call::Revoke => token.revoke().map(|()| None),
    }
}

/// The child's stdout line, or `None` when it failed or ran past `limit` (then it is killed).
fn wait_for(mut child: Child, limit: Duration) -> Option<String> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = String::new();
                child.stdout.take()?.read_to_string(&mut out).ok()?;
                return status.success().then(|| out.trim().to_owned());
            }
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(2)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// The harness: applies each step to the world, then checks the invariants.
struct Harness<K>(PhantomData<K>);

impl<K: Kind> StateMachineTest for Harness<K> {
    type SystemUnderTest = World;
    type Reference = Schedules<K>;

    fn init_test(model: &Model) -> World {
        count(|f| f.schedules += 1);
        World::new(model.kind, model.always_due)
    }

    fn apply(mut world: World, _model: &Model, op: Op) -> World {
        world.step += 1;
        let label = format!("step {} ({op:?})", world.step);
        world.log.push(label.clone());
        count(|f| f.ops += 1);
        match op {
            Op::Call(call, slot) => world.call(&label, call, slot),
            Op::Together(calls) => world.together(&label, &calls),
            Op::Bind { slot, own_store } => world.bind(slot, own_store, &label),
            Op::OtherLogin => world.other_login(),
            Op::OtherLogout => world.other_logout(&label),
            Op::StoreFails { reads, writes } => {
                count(|f| f.faults += 1);
                world.switches.set(reads, writes);
            }
            Op::Server {
                endpoint,
                fault,
                times,
            } => {
                count(|f| f.faults += 1);
                world.server_fault(endpoint, fault, times);
            }
            Op::Expire => world.fake.expire_access_tokens(),
            Op::Heal => world.heal(&label),
            Op::Child { kill_after_ms } => world.child(&label, kill_after_ms),
        }
        world.observe(&label);
        world
    }
}

// ---------------------------------------------------------------------------------------------
// Running: seeds, case counts, failure output
// ---------------------------------------------------------------------------------------------

/// A number from the environment.
fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Runs `cases` schedules (`SCHEDULE_CASES` overrides) of `ops` steps for one store kind, from
/// `SCHEDULE_SEED` or `PROPTEST_RNG_SEED` or a new seed, which a failure prints.
fn run<K: Kind>(test: &str, cases: u32, ops: std::ops::RangeInclusive<usize>) {
    if secret_in_env() {
        return;
    }
    let seed = env_number("SCHEDULE_SEED")
        .or_else(|| env_number("PROPTEST_RNG_SEED"))
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos() as u64;
            nanos ^ (u64::from(std::process::id()) << 32)
        });
    // The Windows build's run (CI runs it under Wine, where a process start costs far more)
    // explores a quarter of the schedules; the native run keeps the full count.
    let cases = if cfg!(windows) { cases / 4 } else { cases };
    let cases = env_number("SCHEDULE_CASES").map_or(cases, |n| n as u32);
    let replay = format!("SCHEDULE_SEED={seed} cargo test --all-features --test schedules {test}");
    // On stderr, which the test harness shows when the test fails.
    eprintln!("{test}: seed {seed}, {cases} schedules; replay with: {replay}");
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        source_file: Some(file!()),
        // Failing cases are kept beside this file and run first next time, unless
        // PROPTEST_DISABLE_FAILURE_PERSISTENCE is set (to explore past a known failure).
        failure_persistence: std::env::var_os("PROPTEST_DISABLE_FAILURE_PERSISTENCE")
            .is_none()
            .then(|| Box::new(FileFailurePersistence::WithSource("proptest-regressions")) as _),
        max_shrink_iters: 400,
        ..Config::default()
    };
    let started = Instant::now();
    let mut runner = TestRunner::new(config.clone());
    let strategy = Schedules::<K>::sequential_strategy(ops);
    let result = runner.run(&strategy, |(model, steps, seen)| {
        Harness::<K>::test_sequential(config.clone(), model, steps, seen);
        Ok(())
    });
    let figures = FIGURES.with(Cell::get);
    eprintln!(
        "{test}: {} schedules (with shrinking), {} operations, {} faults injected, {} reuses \
         found, {} child processes ({} killed), in {:.1} s",
        figures.schedules,
        figures.ops,
        figures.faults,
        figures.reuses,
        figures.children,
        figures.kills,
        started.elapsed().as_secs_f64()
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, (model, steps, _))) => {
            let steps: Vec<String> = steps.iter().map(|s| format!("{s:?}")).collect();
            panic!(
                "{reason}\n\nminimal failing schedule ({model:?}):\n  {}\n\nseed {seed}; replay with: {replay}",
                steps.join("\n  ")
            );
        }
        Err(TestError::Abort(reason)) => panic!("{reason}; seed {seed}; replay with: {replay}"),
    }
}

#[test]
fn memory_store() {
    run::<Memory>("memory_store", 800, 5..=20);
}

#[test]
fn pair_only_store() {
    run::<PairOnlyKind>("pair_only_store", 700, 5..=20);
}

#[test]
fn file_store() {
    run::<File>("file_store", 400, 5..=20);
}

#[test]
fn file_store_with_processes() {
    run::<Processes>("file_store_with_processes", 100, 3..=10);
}
