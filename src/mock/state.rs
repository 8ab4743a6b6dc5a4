//! The fake's memory: the tokens, codes and device codes it issued, and the knobs tests turn.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::device::Devices;
use super::{Authorize, Endpoint, Fault, Request};

/// Client id of the one registered app.
pub(crate) const CLIENT_ID: &str = "fake-client-id";
/// Client secret of the one registered app.
pub(crate) const CLIENT_SECRET: &str = "fake-client-secret";
/// Login of the one user.
pub(crate) const LOGIN: &str = "fakeuser";
/// User id of the one user (the one in Twitch's validate example).
pub(crate) const USER_ID: &str = "141981764";
/// The second user, whose tokens only [`FakeTwitch::grant_for_another_user`] mints.
pub(crate) const OTHER_LOGIN: &str = "otheruser";
/// The second user's id.
pub(crate) const OTHER_USER_ID: &str = "987654321";
/// Lifetime of app access tokens unless a test sets another: about 60 days, like Twitch's.
const APP_TOKEN_SECS: u64 = 60 * 24 * 3600;

pub(crate) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// What the server thread and the [`FakeTwitch`](super::FakeTwitch) handle share.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Set when the fake is dropped: the accept loop and delayed answers stop.
    pub(crate) stopping: AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Shared {
            state: Mutex::new(State::default()),
            stopping: AtomicBool::new(false),
        }
    }

    /// Locks the state; a panicking test thread must not make every later request panic too.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Everything the fake remembers.
pub(crate) struct State {
    pub(crate) authorize: Authorize,
    /// The second user is the one who logs in on the authorize page.
    pub(crate) other_user_logs_in: bool,
    pub(crate) granted_scopes: Option<Vec<String>>,
    pub(crate) expires_in: Option<u64>,
    /// Lifetime of new app tokens; `None`: they never expire.
    pub(crate) app_expires_in: Option<u64>,
    /// The registered app is Public: no secret, no code exchange, single-use refresh tokens.
    pub(crate) public: bool,
    /// Scopes this crate does not know are refused, as Twitch does (see `scopes.rs`).
    pub(crate) reject_unknown_scopes: bool,
    /// Spent refresh tokens presented to the token endpoint.
    pub(crate) refresh_token_reuses: u32,
    pub(crate) device: Devices,
    pub(crate) requests: Vec<Request>,
    /// Client ids that exist: the registered app and those given to `grant_for_client`.
    clients: Vec<String>,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    faults: HashMap<Endpoint, (Fault, Option<u32>)>,
    counter: u64,
    /// The last grant id handed out (one per login; refreshes keep it).
    grants: u64,
    /// The grants (logins) of the second user; every other grant is the first user's.
    other_user_grants: Vec<u64>,
}

impl Default for State {
    fn default() -> Self {
        State {
            authorize: Authorize::Approve,
            other_user_logs_in: false,
            granted_scopes: None,
            expires_in: Some(14124),
            app_expires_in: Some(APP_TOKEN_SECS),
            public: false,
            reject_unknown_scopes: false,
            refresh_token_reuses: 0,
            device: Devices::default(),
            requests: Vec::new(),
            clients: vec![CLIENT_ID.to_owned()],
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            faults: HashMap::new(),
            counter: 0,
            grants: 0,
            other_user_grants: Vec::new(),
        }
    }
}

/// An authorization code, remembered until it is exchanged.
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    /// The second user logged in for it.
    pub(crate) other_user: bool,
}

struct Access {
    client_id: String,
    /// False for app tokens, which validate reports without login and user id.
    user: bool,
    scopes: Vec<String>,
    expires_at: Option<Instant>,
    dead: bool,
    refresh: Option<String>,
    /// The login this token descends from through refreshes; 0 for app tokens.
    grant: u64,
}

struct Refresh {
    client_id: String,
    scopes: Vec<String>,
    access: String,
    standing: Standing,
    /// The login this token descends from through refreshes.
    grant: u64,
}

/// Where a refresh token stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    Live,
    /// Rotated away by a refresh: presenting it again is a reuse.
    Spent,
    /// Revoked (revoke endpoint, `revoke_refresh_token`, or its grant revoked after a reuse).
    Revoked,
}

/// A newly minted user token pair, as the token endpoint reports it.
pub(crate) struct Minted {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_in: Option<u64>,
}

/// What validate reports about a live access token.
pub(crate) struct TokenInfo {
    pub(crate) client_id: String,
    pub(crate) user: bool,
    /// Whose it is, for a user token: the second user's, or the first's.
    pub(crate) other_user: bool,
    pub(crate) scopes: Vec<String>,
    /// Seconds left; 0 for a token that never expires.
    pub(crate) expires_in: u64,
}

impl State {
    /// Whether `client_id` names an app the fake knows.
    pub(crate) fn is_client(&self, client_id: &str) -> bool {
        self.clients.iter().any(|c| c == client_id)
    }

    /// The scopes a user grants when asked for `requested`.
    pub(crate) fn granted(&self, requested: Vec<String>) -> Vec<String> {
        self.granted_scopes.clone().unwrap_or(requested)
    }

    /// Mints a user access token and its refresh token, as a new login (a new grant).
    pub(crate) fn mint_user(&mut self, client_id: &str, scopes: Vec<String>) -> Minted {
        self.grants += 1;
        let grant = self.grants;
        self.mint_pair(client_id, scopes, grant)
    }

    /// Mints a pair as [`mint_user`](Self::mint_user) does, for the second user.
    pub(crate) fn mint_other_user(&mut self, client_id: &str, scopes: Vec<String>) -> Minted {
        let minted = self.mint_user(client_id, scopes);
        self.other_user_grants.push(self.grants);
        minted
    }

    /// Mints a user token pair descending from `grant`.
    fn mint_pair(&mut self, client_id: &str, scopes: Vec<String>, grant: u64) -> Minted {
        if !self.is_client(client_id) {
            self.clients.push(client_id.to_owned());
        }
        let access_token = self.unique(LOWER_ALNUM, 30, |s, t| s.access.contains_key(t));
        // Twitch's refresh tokens may contain these; a client that forgets to URL-encode them
        // gets "Invalid refresh token" here too. The counter keeps every token unique.
        self.counter += 1;
        let refresh_token = format!(
            "r{}+/={}%{}",
            random(LOWER_ALNUM, 14, self.counter),
            random(LOWER_ALNUM, 8, self.counter),
            self.counter
        );
        let expires_in = self.expires_in;
        self.access.insert(
            access_token.clone(),
            Access {
                client_id: client_id.to_owned(),
                user: true,
                scopes: scopes.clone(),
                expires_at: expires_in.map(deadline),
                dead: false,
                refresh: Some(refresh_token.clone()),
                grant,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            Refresh {
                client_id: client_id.to_owned(),
                scopes: scopes.clone(),
                access: access_token.clone(),
                standing: Standing::Live,
                grant,
            },
        );
        Minted {
            access_token,
            refresh_token,
            scopes,
            expires_in,
        }
    }

    /// Mints an app access token for the registered app.
    pub(crate) fn mint_app(&mut self) -> String {
        let token = self.unique(LOWER_ALNUM, 30, |s, t| s.access.contains_key(t));
        self.access.insert(
            token.clone(),
            Access {
                client_id: CLIENT_ID.to_owned(),
                user: false,
                scopes: Vec::new(),
                expires_at: self.app_expires_in.map(deadline),
                dead: false,
                refresh: None,
                grant: 0,
            },
        );
        token
    }

    /// Issues a single-use authorization code.
    pub(crate) fn new_code(&mut self, code: Code) -> String {
        let key = self.unique(LOWER_ALNUM, 30, |s, t| s.codes.contains_key(t));
        self.codes.insert(key.clone(), code);
        key
    }

    /// Uses up an authorization code: a second exchange finds nothing.
    pub(crate) fn take_code(&mut self, code: &str) -> Option<Code> {
        self.codes.remove(code)
    }

    /// Spends a live refresh token of `client_id` and mints the next pair with the same grant.
    ///
    /// `None` when the token is unknown, another app's, revoked or spent. A spent one is a
    /// reuse: it is counted, and for a Public app its whole grant is revoked (issue #903).
    pub(crate) fn rotate(&mut self, client_id: &str, refresh_token: &str) -> Option<Minted> {
        let old = self.refresh.get_mut(refresh_token)?;
        if old.client_id != client_id {
            return None;
        }
        match old.standing {
            Standing::Revoked => None,
            Standing::Spent => {
                let grant = old.grant;
                self.refresh_token_reuses = self.refresh_token_reuses.saturating_add(1);
                if self.public {
                    self.revoke_grant(grant);
                }
                None
            }
            Standing::Live => {
                // The old access token stays valid until it expires, as on Twitch.
                old.standing = Standing::Spent;
                let (scopes, grant) = (old.scopes.clone(), old.grant);
                Some(self.mint_pair(client_id, scopes, grant))
            }
        }
    }

    /// Kills every access and live refresh token descending from `grant`.
    ///
    /// Spent refresh tokens stay spent, so presenting one again still counts as a reuse.
    fn revoke_grant(&mut self, grant: u64) {
        for access in self.access.values_mut().filter(|a| a.grant == grant) {
            access.dead = true;
        }
        for refresh in self.refresh.values_mut() {
            if refresh.grant == grant && refresh.standing == Standing::Live {
                refresh.standing = Standing::Revoked;
            }
        }
    }

    /// Validate's view of an access token; `None` when unknown, expired or revoked.
    pub(crate) fn token_info(&self, access_token: &str) -> Option<TokenInfo> {
        let token = self.access.get(access_token)?;
        if token.dead {
            return None;
        }
        let expires_in = match token.expires_at {
            None => 0,
            Some(at) => {
                let left = at.checked_duration_since(Instant::now())?;
                if left.is_zero() {
                    return None;
                }
                // Rounded up: a live token must not report 0, which means "never expires".
                left.as_secs() + u64::from(left.subsec_nanos() > 0)
            }
        };
        Some(TokenInfo {
            client_id: token.client_id.clone(),
            user: token.user,
            other_user: self.other_user_grants.contains(&token.grant),
            scopes: token.scopes.clone(),
            expires_in,
        })
    }

    /// Revokes an access or refresh token of `client_id`, and the other half of its pair.
    ///
    /// Returns false when no live token of that app matches.
    pub(crate) fn revoke(&mut self, client_id: &str, token: &str) -> bool {
        let (access, refresh) = if let Some(a) = self.access.get(token) {
            if a.dead || a.client_id != client_id {
                return false;
            }
            (token.to_owned(), a.refresh.clone())
        } else if let Some(r) = self.refresh.get(token) {
            if r.standing != Standing::Live || r.client_id != client_id {
                return false;
            }
            (r.access.clone(), Some(token.to_owned()))
        } else {
            return false;
        };
        if let Some(a) = self.access.get_mut(&access) {
            a.dead = true;
        }
        // A refresh token already spent stays spent: presenting it is still a reuse.
        if let Some(r) = refresh.and_then(|r| self.refresh.get_mut(&r))
            && r.standing == Standing::Live
        {
            r.standing = Standing::Revoked;
        }
        true
    }

    /// Marks one access token (or, with `None`, all of them) expired.
    pub(crate) fn expire_access(&mut self, access_token: Option<&str>) {
        let past = Some(Instant::now());
        match access_token {
            Some(token) => {
                if let Some(a) = self.access.get_mut(token) {
                    a.expires_at = past;
                }
            }
            None => self.access.values_mut().for_each(|a| a.expires_at = past),
        }
    }

    /// Kills a live refresh token; its access token lives on.
    pub(crate) fn revoke_refresh(&mut self, refresh_token: &str) {
        if let Some(r) = self.refresh.get_mut(refresh_token)
            && r.standing == Standing::Live
        {
            r.standing = Standing::Revoked;
        }
    }

    /// Sets (or with `Some(0)`, removes) an endpoint's fault.
    pub(crate) fn set_fault(&mut self, endpoint: Endpoint, fault: Fault, times: Option<u32>) {
        if times == Some(0) {
            self.faults.remove(&endpoint);
        } else {
            self.faults.insert(endpoint, (fault, times));
        }
    }

    pub(crate) fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Logs a request and returns the fault it must get, counting it down.
    pub(crate) fn record(&mut self, request: Request) -> Option<Fault> {
        let endpoint = request.endpoint();
        self.requests.push(request);
        let endpoint = endpoint?;
        let (fault, left) = self.faults.get_mut(&endpoint)?;
        let fault = fault.clone();
        if let Some(left) = left {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.faults.remove(&endpoint);
            }
        }
        Some(fault)
    }

    /// A random string not yet taken (by the `taken` test).
    fn unique(&mut self, alphabet: &[u8], len: usize, taken: fn(&State, &str) -> bool) -> String {
        loop {
            self.counter += 1;
            let candidate = random(alphabet, len, self.counter);
            if !taken(self, &candidate) {
                return candidate;
            }
        }
    }
}

fn deadline(secs: u64) -> Instant {
    let now = Instant::now();
    // A lifetime too large for Instant (u64::MAX seconds) is as good as "far away".
    now.checked_add(Duration::from_secs(secs))
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// `len` characters from `alphabet`, from OS randomness.
///
/// Should the OS refuse, a generator seeded with the clock and `salt` stands in: tokens only
/// need to differ, not to be secret.
pub(crate) fn random(alphabet: &[u8], len: usize, salt: u64) -> String {
    let mut bytes = vec![0u8; len];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() ^ (u64::from(d.subsec_nanos()) << 32));
        let mut x = nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for b in &mut bytes {
            // splitmix64
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *b = (z ^ (z >> 31)).to_le_bytes()[0];
        }
    }
    bytes
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn tokens_look_like_twitch_and_refresh_tokens_need_encoding() {
        let mut state = State::default();
        let a = state.mint_user(CLIENT_ID, scopes(&["chat:read"]));
        let b = state.mint_user(CLIENT_ID, scopes(&["chat:read"]));
        assert_eq!(a.access_token.len(), 30);
        assert!(a.access_token.bytes().all(|c| LOWER_ALNUM.contains(&c)));
        assert_ne!(a.access_token, b.access_token);
        assert_ne!(a.refresh_token, b.refresh_token);
        for c in ['+', '/', '=', '%'] {
            assert!(a.refresh_token.contains(c), "{} lacks {c}", a.refresh_token);
        }
    }

    #[test]
    fn rotation_spends_the_old_refresh_token_but_not_the_access_token() {
        let mut state = State::default();
        let first = state.mint_user(CLIENT_ID, scopes(&["a", "b"]));
        let next = state
            .rotate(CLIENT_ID, &first.refresh_token)
            .expect("rotates");
        assert_eq!(next.scopes, scopes(&["a", "b"]));
        assert!(state.rotate(CLIENT_ID, &first.refresh_token).is_none());
        assert!(state.token_info(&first.access_token).is_some());
        assert!(state.rotate("other", &next.refresh_token).is_none());
        assert!(state.rotate(CLIENT_ID, &next.refresh_token).is_some());
    }

    #[test]
    fn reuse_is_counted_and_a_public_one_revokes_the_grant() {
        let mut state = State::default();
        let first = state.mint_user(CLIENT_ID, Vec::new());
        let second = state.rotate(CLIENT_ID, &first.refresh_token).unwrap();
        let keeper = state.mint_user(CLIENT_ID, Vec::new());
        // Confidential: counted, nothing revoked.
        assert!(state.rotate(CLIENT_ID, &first.refresh_token).is_none());
        assert_eq!(state.refresh_token_reuses, 1);
        assert!(state.token_info(&first.access_token).is_some());
        // Revoking the spent token's access token leaves the refresh token spent.
        assert!(state.revoke(CLIENT_ID, &first.access_token));
        assert!(state.rotate(CLIENT_ID, &first.refresh_token).is_none());
        assert_eq!(state.refresh_token_reuses, 2);

        state.public = true;
        // Another app's, revoked and unknown tokens are not reuses.
        assert!(state.rotate("other", &first.refresh_token).is_none());
        let revoked = state.mint_user(CLIENT_ID, Vec::new());
        state.revoke_refresh(&revoked.refresh_token);
        assert!(state.rotate(CLIENT_ID, &revoked.refresh_token).is_none());
        assert!(state.rotate(CLIENT_ID, "nope").is_none());
        assert_eq!(state.refresh_token_reuses, 2);

        assert!(state.rotate(CLIENT_ID, &first.refresh_token).is_none());
        assert_eq!(state.refresh_token_reuses, 3);
        assert!(state.token_info(&second.access_token).is_none());
        assert!(state.rotate(CLIENT_ID, &second.refresh_token).is_none());
        assert_eq!(state.refresh_token_reuses, 3);
        // Other logins are other grants.
        assert!(state.token_info(&keeper.access_token).is_some());
        assert!(state.rotate(CLIENT_ID, &keeper.refresh_token).is_some());
    }

    #[test]
    fn expiry_and_legacy_tokens() {
        let mut state = State::default();
        let live = state.mint_user(CLIENT_ID, Vec::new());
        let info = state.token_info(&live.access_token).expect("live");
        assert!(
            (14123..=14124).contains(&info.expires_in),
            "{}",
            info.expires_in
        );
        state.expire_access(Some(&live.access_token));
        assert!(state.token_info(&live.access_token).is_none());

        state.expires_in = None;
        let legacy = state.mint_user(CLIENT_ID, Vec::new());
        assert_eq!(legacy.expires_in, None);
        assert_eq!(
            state.token_info(&legacy.access_token).map(|i| i.expires_in),
            Some(0)
        );
        state.expires_in = Some(u64::MAX);
        let forever = state.mint_user(CLIENT_ID, Vec::new());
        assert!(state.token_info(&forever.access_token).is_some());
    }

    #[test]
    fn revoking_either_half_kills_the_pair() {
        let mut state = State::default();
        let a = state.mint_user(CLIENT_ID, Vec::new());
        assert!(!state.revoke("other", &a.access_token));
        assert!(state.revoke(CLIENT_ID, &a.access_token));
        assert!(!state.revoke(CLIENT_ID, &a.access_token));
        assert!(state.rotate(CLIENT_ID, &a.refresh_token).is_none());

        let b = state.mint_user(CLIENT_ID, Vec::new());
        assert!(state.revoke(CLIENT_ID, &b.refresh_token));
        assert!(state.token_info(&b.access_token).is_none());
    }

    #[test]
    fn fail_times_counts_down() {
        let mut state = State::default();
        state.set_fault(Endpoint::Token, Fault::Close, Some(2));
        let request = || Request::for_test("POST", "/oauth2/token");
        assert_eq!(state.record(request()), Some(Fault::Close));
        assert_eq!(state.record(request()), Some(Fault::Close));
        assert_eq!(state.record(request()), None);
        assert_eq!(state.requests.len(), 3);
        state.set_fault(Endpoint::Token, Fault::Close, Some(0));
        assert_eq!(state.record(request()), None);
    }

    #[test]
    fn random_uses_only_the_alphabet() {
        let s = random(UPPER, 8, 1);
        assert_eq!(s.len(), 8);
        assert!(s.bytes().all(|c| c.is_ascii_uppercase()));
    }
}
