//! The refresh tokens this process spent, and the pairs that replaced them: what the handles of
//! one process share beyond the store.
//!
//! When a store cannot keep a refreshed pair (its save failed after the check), it still holds
//! the spent refresh token. Another handle of this process, or a new `bind()` here, would send it
//! again, and a Public client's grant is revoked for that. So every refresh is remembered here,
//! and a refresh of a token this process already spent takes the newest pair that descends from
//! it instead, without a request. Other processes cannot know: see the pair model (`model.rs`).

use std::sync::{Mutex, PoisonError};

use crate::{AccessToken, RefreshToken, StoredToken};

/// How many refreshes are remembered: a handle refreshes about every four hours, so this covers
/// days of one process, and far more than a store can stay broken while it runs.
const REMEMBERED: usize = 64;

/// One refresh made here: the refresh token it spent, the pair it gave, and whether that pair
/// was revoked since (by a log out here).
struct Refreshed {
    spent: RefreshToken,
    successor: StoredToken,
    revoked: bool,
}

/// The refreshes made here, oldest first.
static SPENT: Mutex<Vec<Refreshed>> = Mutex::new(Vec::new());

/// What became of a refresh token this process spent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Successor {
    /// The newest pair that descends from it.
    Alive(StoredToken),
    /// That pair was revoked here: the grant is logged out, as Twitch would say.
    Revoked,
}

/// Remembers that `spent` was refreshed into `successor`.
pub(crate) fn record(spent: &RefreshToken, successor: &StoredToken) {
    let mut remembered = SPENT.lock().unwrap_or_else(PoisonError::into_inner);
    if remembered.len() == REMEMBERED {
        remembered.remove(0);
    }
    remembered.push(Refreshed {
        spent: spent.clone(),
        successor: successor.clone(),
        revoked: false,
    });
}

/// Remembers that the pair of `access` was revoked here.
pub(crate) fn revoked(access: &AccessToken) {
    let mut remembered = SPENT.lock().unwrap_or_else(PoisonError::into_inner);
    for refreshed in remembered.iter_mut() {
        if refreshed.successor.access_token == *access {
            refreshed.revoked = true;
        }
    }
}

/// The newest pair descending from `refresh` through refreshes made in this process; `None`
/// when this process never spent it.
pub(crate) fn newest_successor(refresh: &RefreshToken) -> Option<Successor> {
    let remembered = SPENT.lock().unwrap_or_else(PoisonError::into_inner);
    // The latest refresh of `token` made after record `after`: each step goes to a later
    // record, so the walk ends (also when an answer gave the same refresh token back).
    let next = |token: &RefreshToken, after: Option<usize>| {
        (0..remembered.len())
            .rev()
            .take_while(|&i| after.is_none_or(|after| i > after))
            .find(|&i| remembered[i].spent == *token)
    };
    let mut newest = next(refresh, None)?;
    while let Some(later) = next(&remembered[newest].successor.refresh_token, Some(newest)) {
        newest = later;
    }
    let newest = &remembered[newest];
    Some(if newest.revoked {
        Successor::Revoked
    } else {
        Successor::Alive(newest.successor.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_successor_is_found_through_every_refresh() {
        let pair = |n: u32| StoredToken::new(format!("a-spent-{n}"), format!("r-spent-{n}"));
        let alive = |n| Some(Successor::Alive(pair(n)));
        assert!(newest_successor(&pair(0).refresh_token).is_none());
        record(&pair(0).refresh_token, &pair(1));
        record(&pair(1).refresh_token, &pair(2));
        assert_eq!(newest_successor(&pair(0).refresh_token), alive(2));
        assert_eq!(newest_successor(&pair(1).refresh_token), alive(2));
        assert!(newest_successor(&pair(2).refresh_token).is_none());
        // An answer without a refresh token keeps the old one: no endless walk.
        let third = StoredToken::new("a-spent-3", "r-spent-2");
        record(&pair(2).refresh_token, &third);
        assert!(newest_successor(&pair(0).refresh_token).is_some());
        // A log out here ends the line.
        revoked(&third.access_token);
        assert_eq!(
            newest_successor(&pair(0).refresh_token),
            Some(Successor::Revoked)
        );
    }
}
