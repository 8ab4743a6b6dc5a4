//! The device-code login: for machines without a browser (consoles, servers, SSH sessions) and
//! for apps that must not ship a client secret (games, mods: Public clients).
//!
//! The user opens a URL on any device and enters a short code; meanwhile `bind()` polls Twitch no
//! faster than it asks, backs off on `slow_down`, and gives up when the code expires or the
//! caller's deadline passes.

use std::time::{Duration, Instant};

use crate::app::App;
use crate::code_flow::open_in_browser;
use crate::oauth::{Client, DeviceStart, Grant, Poll};
use crate::{Error, Scope};

/// The shortest wait between polls, whatever the server says.
const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// What `slow_down` adds to the interval (RFC 8628).
const SLOW_DOWN: Duration = Duration::from_secs(5);

/// What the user must do to log in: open [`verification_uri`](Self::verification_uri) and
/// enter [`user_code`](Self::user_code) before [`expires_in`](Self::expires_in) has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    user_code: String,
    verification_uri: String,
    expires_in: Duration,
}

impl DeviceCode {
    /// The code to enter, e.g. `ABCDEFGH`.
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// The page to open, exactly as Twitch sent it (its query may already hold the code).
    pub fn verification_uri(&self) -> &str {
        &self.verification_uri
    }

    /// How long the code stays valid (30 minutes at Twitch).
    pub fn expires_in(&self) -> Duration {
        self.expires_in
    }
}

/// Shows the device code in the app's own UI.
pub(crate) type DeviceCallback = dyn Fn(&DeviceCode) + Send + Sync;

/// The settings of one device login.
pub(crate) struct DeviceFlow<'a> {
    pub(crate) app: &'a App,
    pub(crate) client: &'a Client,
    pub(crate) scopes: &'a [Scope],
    pub(crate) open_browser: bool,
    pub(crate) on_code: Option<&'a DeviceCallback>,
    /// The caller's bound on the whole wait.
    pub(crate) timeout: Duration,
}

impl DeviceFlow<'_> {
    /// Starts a device login, shows the code, and polls until the user has logged in.
    pub(crate) fn run(&self) -> Result<Grant, Error> {
        let started = Instant::now();
        let start = self.client.start_device(self.app, self.scopes)?;
        let code_life = Duration::from_secs(start.expires_in);
        let code = DeviceCode {
            user_code: start.user_code.clone(),
            verification_uri: start.verification_uri.clone(),
            expires_in: code_life,
        };
        // A scoped thread, as in the browser login: a text-mode browser blocks until it exits.
        std::thread::scope(|scope| {
            scope.spawn(|| self.show(&code));
            self.poll(&start, started + code_life.min(self.timeout), code_life)
        })
    }

    fn poll(
        &self,
        start: &DeviceStart,
        deadline: Instant,
        code_life: Duration,
    ) -> Result<Grant, Error> {
        let mut interval = Duration::from_secs(start.interval).max(MIN_INTERVAL);
        loop {
            let now = Instant::now();
            if now + interval > deadline {
                std::thread::sleep(deadline.saturating_duration_since(now));
                return Err(if code_life <= self.timeout {
                    Error::DeviceCodeExpired { after: code_life }
                } else {
                    Error::LoginTimedOut {
                        after: self.timeout,
                    }
                });
            }
            std::thread::sleep(interval);
            match self.client.poll_device(self.app, &start.device_code)? {
                Poll::Granted(grant) => return Ok(grant),
                Poll::Pending => {}
                Poll::SlowDown => interval += SLOW_DOWN,
                // Also seen briefly while the user is still authorizing (twitchdev/issues#971):
                // keep going until the code's life is over.
                Poll::InvalidCode => {}
            }
        }
    }

    /// Opens the verification page where allowed, and shows the code (callback, or stderr).
    fn show(&self, code: &DeviceCode) {
        let opened = open_in_browser(code.verification_uri(), self.open_browser);
        match self.on_code {
            Some(on_code) => on_code(code),
            None => eprintln!(
                "To log in to Twitch, {} {} and enter the code {}",
                if opened {
                    "finish in the browser that opened, or open"
                } else {
                    "open"
                },
                code.verification_uri(),
                code.user_code()
            ),
        }
    }
}
