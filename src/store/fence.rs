//! What the stores whose locks are leases (SQLite, Redis) share: the fence, 128 bits from the
//! OS in hex that no other holder has, and the thread that renews a held lease.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::Error;

/// A new fence.
pub(crate) fn random() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Randomness {
        source: Box::new(e),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The thread that keeps a held lease alive: `renew` every `every`, until dropped (the drop
/// waits for it, so no renewal comes after the lease's release). Without a thread the lease is
/// still held for its length: the first requests fit in it.
pub(crate) struct Renewer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Renewer {
    pub(crate) fn start(
        name: &str,
        every: Duration,
        mut renew: impl FnMut() + Send + 'static,
    ) -> Renewer {
        let (stop, stopped) = mpsc::channel::<()>();
        // Until the lease is dropped (or its sender is: the channel disconnects).
        let run = move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                renew();
            }
        };
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(run)
            .ok();
        Renewer {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Renewer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
