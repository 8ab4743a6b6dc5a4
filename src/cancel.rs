//! Cancelling a login from another thread: a game's Cancel button, a window closed while the
//! browser or device login waits for the person.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::Error;

/// How often a waiting login looks at its cancel handle: a cancel ends it within this.
pub(crate) const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Ends the login of a [`Helper::bind`](crate::Helper::bind) in progress, from any thread,
/// within about 100 ms, with [`Error::LoginCancelled`]; nothing is saved. Get it from the
/// helper before `bind()` with [`Helper::cancel_handle`](crate::Helper::cancel_handle).
///
/// A cancel ends the browser and device logins of the binds in progress of that helper and
/// its clones; a bind started after it is not affected (press Cancel, then Log in again). A
/// custom generator is the app's own code: it can ask [`LoginContext::is_cancelled`].
///
/// ```no_run
/// use twitch_auth::{Error, Helper};
///
/// let helper = Helper::new(["chat:read"]).device_flow();
/// let cancel = helper.cancel_handle();
/// // The game's UI thread, when the player clicks Cancel:
/// std::thread::spawn(move || cancel.cancel());
/// match helper.bind() {
///     Ok(token) => println!("logged in as {}", token.login()),
///     Err(Error::LoginCancelled) => println!("login cancelled"),
///     Err(e) => eprintln!("twitch: {e}"),
/// }
/// ```
///
/// [`LoginContext::is_cancelled`]: crate::LoginContext::is_cancelled
#[derive(Clone, Debug, Default)]
pub struct CancelLogin {
    /// How many times `cancel()` was called: a bind remembers it at its start, and any later
    /// cancel is for it.
    cancels: Arc<AtomicU64>,
}

impl CancelLogin {
    /// Cancels the logins in progress (or about to start) of binds already running.
    pub fn cancel(&self) {
        self.cancels.fetch_add(1, Ordering::SeqCst);
    }

    /// What a bind starting now watches: cancels from now on.
    pub(crate) fn watch(&self) -> Watch {
        Watch {
            cancels: Arc::clone(&self.cancels),
            seen: self.cancels.load(Ordering::SeqCst),
        }
    }
}

/// One bind's view of its [`CancelLogin`].
#[derive(Clone, Debug)]
pub(crate) struct Watch {
    cancels: Arc<AtomicU64>,
    seen: u64,
}

impl Watch {
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancels.load(Ordering::SeqCst) != self.seen
    }

    /// `Err(LoginCancelled)` once cancelled.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.is_cancelled() {
            Err(Error::LoginCancelled)
        } else {
            Ok(())
        }
    }

    /// Sleeps `time`, waking every [`CANCEL_POLL`] to end early with `LoginCancelled`.
    pub(crate) fn sleep(&self, time: Duration) -> Result<(), Error> {
        let start = Instant::now();
        loop {
            self.check()?;
            let left = time.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(CANCEL_POLL));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_is_for_the_binds_running_then_not_for_later_ones() {
        let cancel = CancelLogin::default();
        let running = cancel.watch();
        assert!(!running.is_cancelled());
        cancel.clone().cancel();
        assert!(running.is_cancelled());
        assert!(matches!(running.check(), Err(Error::LoginCancelled)));
        let later = cancel.watch();
        assert!(!later.is_cancelled(), "a bind started after the cancel");
    }

    #[test]
    fn a_sleep_ends_soon_after_a_cancel() {
        let cancel = CancelLogin::default();
        let watch = cancel.watch();
        let canceller = cancel.clone();
        let started = Instant::now();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            canceller.cancel();
        });
        assert!(matches!(
            watch.sleep(Duration::from_secs(30)),
            Err(Error::LoginCancelled)
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(cancel.watch().sleep(Duration::from_millis(1)).is_ok());
    }
}
