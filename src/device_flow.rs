//! The device-code login: for machines without a browser (consoles, servers, SSH sessions) and
//! for apps that must not ship a client secret (games, mods: Public clients).
//!
//! The user opens a URL on any device and enters a short code; meanwhile `bind()` polls Twitch no
//! faster than it asks, backs off on `slow_down`, and gives up when the code expires or the
//! caller's deadline passes.

use std::time::{Duration, Instant};

use crate::Error;
use crate::app::App;
use crate::login_settings::LoginSettings;
use crate::oauth::{Client, DeviceStart, Grant, Poll};
use crate::screen::{Screen, open_in_browser};
use crate::unknown_scope::name_refused_scope;

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

/// Starts a device login, shows the code, and polls until the user has logged in.
pub(crate) fn run(
    app: &App,
    client: &Client,
    settings: &LoginSettings<'_>,
) -> Result<Grant, Error> {
    DeviceFlow {
        app,
        client,
        settings,
    }
    .run()
}

/// One device login.
struct DeviceFlow<'a> {
    app: &'a App,
    client: &'a Client,
    settings: &'a LoginSettings<'a>,
}

impl DeviceFlow<'_> {
    fn run(&self) -> Result<Grant, Error> {
        let started = Instant::now();
        // Twitch refuses a scope it does not know with a 400 that quotes it: named, and final.
        let start = self
            .client
            .start_device(self.app, self.settings.scopes)
            .map_err(|err| name_refused_scope(err, self.settings.scopes))?;
        let code_life = Duration::from_secs(start.expires_in);
        let code = DeviceCode {
            user_code: start.user_code.clone(),
            verification_uri: start.verification_uri.clone(),
            expires_in: code_life,
        };
        // `Instant + Duration` panics past the clock's range: a deadline that far (a code living
        // 2^64 s, and no login timeout) is none in practice.
        let deadline = started.checked_add(code_life.min(self.settings.timeout));
        // A scoped thread, as in the browser login: a text-mode browser blocks until it exits.
        std::thread::scope(|scope| {
            scope.spawn(|| self.show(&code));
            self.poll(&start, deadline, code_life)
        })
    }

    /// Polls every `interval` until Twitch grants the token or `deadline` (`None`: never) comes.
    /// A poll that would come after the deadline is not made: the wait ends at the deadline.
    fn poll(
        &self,
        start: &DeviceStart,
        deadline: Option<Instant>,
        code_life: Duration,
    ) -> Result<Grant, Error> {
        let mut interval = Duration::from_secs(start.interval).max(MIN_INTERVAL);
        loop {
            let now = Instant::now();
            if let Some(deadline) = deadline
                // An interval too long for the clock (2^64 s) ends after any deadline.
                && now.checked_add(interval).is_none_or(|next| next > deadline)
            {
                self.settings
                    .cancel
                    .sleep(deadline.saturating_duration_since(now))?;
                return Err(if code_life <= self.settings.timeout {
                    Error::DeviceCodeExpired { after: code_life }
                } else {
                    Error::LoginTimedOut {
                        after: self.settings.timeout,
                        redirect_url: None,
                    }
                });
            }
            self.settings.cancel.sleep(interval)?;
            match self.client.poll_device(self.app, &start.device_code)? {
                Poll::Granted(grant) => return Ok(grant),
                Poll::Pending => {}
                Poll::SlowDown => interval = interval.saturating_add(SLOW_DOWN),
                // Also seen briefly while the user is still authorizing (twitchdev/issues#971):
                // keep going until the code's life is over.
                Poll::InvalidCode => {}
                Poll::Denied => {
                    return Err(Error::Denied {
                        description: "the device login was declined".to_owned(),
                    });
                }
            }
        }
    }

    /// Opens the verification page where allowed, and shows the code (callback, or stderr).
    fn show(&self, code: &DeviceCode) {
        // The code can be entered on any device: without a display here, nothing is launched.
        let screen = Screen::here();
        let opened = open_in_browser(code.verification_uri(), self.settings.open_browser, screen);
        match self.settings.on_device_code {
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

#[cfg(all(test, feature = "mock"))]
mod tests {
    use super::*;
    use crate::ClientSecret;
    use crate::mock::FakeTwitch;

    /// A device login at `fake` with no login timeout at all: only the server's durations count.
    fn run_without_timeout(fake: &FakeTwitch) -> Result<Grant, Error> {
        let secret = ClientSecret::new(fake.client_secret());
        let app = App::new(Some(fake.client_id()), Some(&secret), &fake.url(), |_| None)?;
        let client = Client::new(&app, Duration::from_secs(5));
        let quiet = |_: &DeviceCode| {};
        let settings = LoginSettings {
            scopes: &[crate::Scope::ChatRead],
            redirect_url: "http://localhost:17563",
            listen_addr: None,
            open_browser: false,
            on_url: None,
            on_device_code: Some(&quiet),
            force_verify: true,
            timeout: Duration::MAX,
            pages: &crate::redirect::Pages::default(),
            cancel: &crate::CancelLogin::default().watch(),
        };
        run(&app, &client, &settings)
    }

    #[test]
    fn a_code_living_2_64_seconds_has_no_deadline() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_device_interval(0);
        fake.set_device_expires_in(u64::MAX);
        fake.set_device_pending_polls(1);

        let grant = run_without_timeout(&fake);

        assert!(grant.is_ok(), "{grant:?}");
    }

    #[test]
    fn polls_2_64_seconds_apart_end_when_the_code_expires() {
        let fake = FakeTwitch::start().unwrap();
        fake.set_device_interval(u64::MAX);
        fake.set_device_expires_in(1);

        let err = run_without_timeout(&fake).unwrap_err();

        assert!(matches!(err, Error::DeviceCodeExpired { .. }), "{err:?}");
        assert_eq!(
            fake.requests().len(),
            1,
            "only `device`: {:?}",
            fake.requests()
        );
    }
}
