//! One bounded retry loop, for what clears by itself in a moment: a lock another process
//! holds, a file another program holds open, a file being rewritten.

use std::io;
use std::time::{Duration, Instant};

/// Runs `op` until it succeeds, fails for another reason than `retryable`, or `budget` is
/// spent (then its last error is returned), pausing a little longer each time (1 ms, doubling
/// up to 50 ms). Serves the lock wait, the replace of a file held open and the read of one
/// being written.
pub(crate) fn retrying<T>(
    mut op: impl FnMut() -> io::Result<T>,
    retryable: impl Fn(&io::Error) -> bool,
    budget: Duration,
) -> io::Result<T> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match op() {
            Err(e) if retryable(&e) && start.elapsed() < budget => {
                std::thread::sleep(pause.min(budget.saturating_sub(start.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replace_is_retried_while_retryable_and_within_its_budget() {
        let busy = || io::Error::other("in use by another program");
        let retryable = |e: &io::Error| e.kind() == io::ErrorKind::Other;
        let mut calls = 0;
        let result = retrying(
            || {
                calls += 1;
                if calls < 4 { Err(busy()) } else { Ok(calls) }
            },
            retryable,
            Duration::from_secs(5),
        );
        assert_eq!(result.unwrap(), 4, "retried until it worked");

        let mut calls = 0;
        let result: io::Result<()> = retrying(
            || {
                calls += 1;
                Err(busy())
            },
            retryable,
            Duration::from_millis(50),
        );
        assert!(result.is_err(), "gives up after its budget");
        assert!(calls > 1);

        let mut calls = 0;
        let result: io::Result<()> = retrying(
            || {
                calls += 1;
                Err(io::Error::from(io::ErrorKind::NotFound))
            },
            retryable,
            Duration::from_secs(5),
        );
        assert!(result.is_err());
        assert_eq!(calls, 1, "other errors are not retried");
    }
}
