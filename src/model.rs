//! The pair model: what a [`UserToken`](crate::UserToken) does, decided from what it holds and
//! what the store holds, in one table and one function ([`decide`]).
//!
//! A handle acts on the store only under the store's lock, and reads the store once per action,
//! under that lock (but for a use of a shared store, which only reads: see below). What it
//! learns then is all it decides from: what it holds ([`Held`]), what the store holds compared
//! with that ([`Seen`]), and what it was asked to do ([`Act`]). Nothing is re-derived
//! elsewhere, and nothing is learnt by a second read after the lock is gone.
//!
//! # What the handle holds
//!
//! - **saved**: its pair is the one it last saw stored (or stored itself);
//! - **unsaved**: its pair could not be saved; it remembers the refresh token the store held when
//!   that pair was made (*displaced*, read under the lock then), or that the store held nothing;
//! - **logged out**: its own `revoke()` succeeded, or it saw another program's log out: it hands
//!   out no token and writes no pair. If its own pair may still be alive (the log out was
//!   another program's, or revoking it failed), a later `revoke()` revokes it as a saved
//!   handle's.
//!
//! # What the store holds, compared with the handle
//!
//! - **nothing**: no pair (the file is missing);
//! - **mine**: the handle's own pair;
//! - **displaced**: the pair the handle's unsaved pair replaced (only for an unsaved handle);
//! - **older**: a pair the handle held before and replaced, whose refresh token is spent: the
//!   store went back in time (a Redis restored from an old snapshot or failed over before its
//!   last writes reached the replica, a token file put back from a backup), as far back as the
//!   handle remembers (the access tokens it replaced, its last 16);
//! - **newer, fresh** / **newer, due**: another pair of the same user and app with every wanted
//!   scope (another program refreshed or logged in), valid past the refresh margin or not;
//! - **unknown**: another pair that does not say whose it is (pyTwitchAPI's two keys, a store
//!   that keeps only the pair): Twitch is asked before it is used;
//! - **foreign**: another user's pair, another app's, an app token, or one without a wanted
//!   scope: never used by this handle;
//! - **unreadable**: the store could not be read, or holds something that is no pair (a file
//!   half-written in place): never taken for "nothing".
//!
//! # The table
//!
//! For a refresh (`access_token()` when due, after a reported 401, or when `validate()` found
//! the token invalid), a save retry (`save()`, and `access_token()` once a minute without
//! waiting), `revoke()`, and a use on a store workers share (`access_token()`, which reads such
//! a store at each call: [`TokenStore::is_shared`](crate::TokenStore::is_shared)):
//!
//! | held     | seen         | refresh                      | save retry            | revoke                   | use, shared store |
//! |----------|--------------|------------------------------|-----------------------|--------------------------|-------------------|
//! | saved    | nothing      | log out seen                 | nothing to do         | revoke mine              | nothing to do     |
//! | saved    | mine         | refresh mine                 | nothing to do         | revoke mine              | nothing to do     |
//! | saved    | older        | refresh mine                 | nothing to do         | revoke mine              | nothing to do     |
//! | saved    | newer, fresh | adopt stored                 | nothing to do         | revoke mine and stored   | adopt stored      |
//! | saved    | newer, due   | refresh stored               | nothing to do         | revoke mine and stored   | adopt stored      |
//! | saved    | unknown      | identify stored              | nothing to do         | revoke mine and stored   | nothing to do     |
//! | saved    | foreign      | refuse                       | nothing to do         | revoke mine and stored   | nothing to do     |
//! | saved    | unreadable   | refuse                       | nothing to do         | refuse                   | nothing to do     |
//! | unsaved  | nothing      | log out seen (1)             | log out seen (1)      | revoke mine              | nothing to do     |
//! | unsaved  | mine         | refresh mine                 | mark saved            | revoke mine              | nothing to do     |
//! | unsaved  | displaced    | refresh mine                 | write mine            | revoke mine and stored   | nothing to do     |
//! | unsaved  | older        | refresh mine                 | write mine            | revoke mine              | nothing to do     |
//! | unsaved  | newer, fresh | adopt stored, revoke mine    | refuse                | revoke mine and stored   | nothing to do     |
//! | unsaved  | newer, due   | refresh stored, revoke mine  | refuse                | revoke mine and stored   | nothing to do     |
//! | unsaved  | unknown      | identify stored              | refuse                | revoke mine and stored   | nothing to do     |
//! | unsaved  | foreign      | refuse                       | refuse                | revoke mine and stored   | nothing to do     |
//! | unsaved  | unreadable   | refuse                       | refuse                | refuse                   | nothing to do     |
//! | logged out | any        | refuse                       | refuse                | revoke stored (2)        | refuse            |
//!
//! (1) The store held a pair when the handle's unsaved pair was made, and holds none now: another
//! program logged out. The handle's pair is revoked rather than written back. When the store held
//! nothing then either (a login into an empty store), the cells are *refresh mine* and *write
//! mine*.
//! (2) When the store holds a pair; nothing to do when it holds none; refuse when unreadable. A
//! logged-out handle whose own pair may still be alive is revoked as a saved one.
//!
//! A use is the one action that reads the store without its lock: it only ever adopts a pair
//! another worker stored, and sends and writes nothing. Whatever else it sees is left to the
//! next refresh, which reads the store again under the lock: a server that lost its data (a
//! Redis restarted without persistence) does not log every worker out at its next use.
//!
//! What the words mean:
//!
//! - *refresh mine*: send the handle's own refresh token; it is the newest (it is the stored one,
//!   or it replaced the stored one and nobody wrote since, or the stored one is older than it
//!   and spent: sending that would reuse it).
//! - *refresh stored* / *adopt stored*: use the stored pair, refreshed with *its* refresh token
//!   or as it is. The handle's own refresh token is never sent: it may be spent.
//! - *identify stored*: validate the stored pair; the answer makes it *newer* or *foreign*. An
//!   expired one can only say whose it is by being refreshed; its new pair is checked before any
//!   use and kept by the handle until it is saved.
//! - *refuse*: nothing is sent or written; the error says why (another user, app or scopes;
//!   a store that could not be read; a log out).
//! - *log out seen*: [`Error::StoreChanged`](crate::Error::StoreChanged) with no login; the
//!   handle is logged out from then on. A saved pair was the one logged out, and nothing is
//!   sent for it; an unsaved one, which only the handle knows, is revoked.
//! - *revoke*: every pair named is revoked at Twitch, and the access tokens the handle replaced
//!   (Twitch keeps an access token alive after its refresh), then the store is emptied and the
//!   handle is logged out. An unreadable store is refused, since what it holds cannot be
//!   revoked.
//!
//! # The other actors
//!
//! - **`bind()` in a new process** holds nothing, so only the store decides: nothing is a login;
//!   a pair is validated, adopted or refreshed (its own refresh token, the stored one); unreadable
//!   is an error, never a login over it. A pair obtained whose save fails is handed to the new
//!   handle (unsaved, displacing what the store held under the lock), or, when it could not be
//!   validated either, carried by the error ([`Error::Unsaved`](crate::Error::Unsaved)).
//! - **Handles of one process** share the refresh tokens they spent (`spent.rs`): one this
//!   process spent while the store could not keep its successor is never sent again; the newest
//!   pair of its line is refreshed instead, or, after a log out here, it counts as rejected.
//! - **The end of the process** loses an unsaved pair with it, and the store still holds the
//!   displaced one, whose refresh token may be spent. The last clone of a handle tries one save,
//!   without waiting for the lock; a program about to exit checks
//!   [`UserToken::is_saved`](crate::UserToken::is_saved) and calls
//!   [`UserToken::save`](crate::UserToken::save) (the `token` example exits with 1 when it still
//!   fails).

use crate::RefreshToken;

/// What the handle holds (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Held {
    Saved,
    /// `displaced`: the refresh token the store held, under the lock, when the unsaved pair was
    /// made; `None` when it held nothing.
    Unsaved {
        displaced: Option<RefreshToken>,
    },
    /// `mine_alive`: revoking the handle's own pair failed, so it may still be alive.
    LoggedOut {
        mine_alive: bool,
    },
}

/// What the store holds, compared with what the handle holds (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    Nothing,
    Mine,
    Displaced,
    Older,
    NewerFresh,
    NewerDue,
    Unknown,
    Foreign,
    Unreadable,
}

/// What the handle was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Refresh,
    SaveRetry,
    Revoke,
    /// `access_token()` on a shared store, which reads it without the lock.
    Use,
}

/// What the handle does: one cell of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    RefreshMine,
    RefreshStored,
    AdoptStored,
    Identify,
    /// Use the stored pair (refreshed or as it is), and revoke the handle's unsaved one, which
    /// nobody else knows and nobody will use.
    RefreshStoredRevokeMine,
    AdoptStoredRevokeMine,
    Refuse,
    LogOutSeen,
    WriteMine,
    MarkSaved,
    NothingToDo,
    RevokeMine,
    RevokeMineAndStored,
    RevokeStored,
}

/// The table, as code: the one place a handle's action is decided.
pub(crate) fn decide(act: Act, held: &Held, seen: Seen) -> Decision {
    use Decision as D;
    use Seen as S;
    match (act, held) {
        (Act::Revoke, Held::LoggedOut { mine_alive: false }) => match seen {
            S::Nothing => D::NothingToDo,
            S::Unreadable => D::Refuse,
            _ => D::RevokeStored,
        },
        (Act::Revoke, _) => match seen {
            // An older pair's access token is among those the handle replaced: revoked with them.
            S::Nothing | S::Mine | S::Older => D::RevokeMine,
            S::Unreadable => D::Refuse,
            _ => D::RevokeMineAndStored,
        },
        (_, Held::LoggedOut { .. }) => D::Refuse,
        (Act::Use, Held::Saved) => match seen {
            S::NewerFresh | S::NewerDue => D::AdoptStored,
            _ => D::NothingToDo,
        },
        (Act::Use, Held::Unsaved { .. }) => D::NothingToDo,
        (Act::SaveRetry, Held::Saved) => D::NothingToDo,
        (Act::SaveRetry, Held::Unsaved { displaced }) => match seen {
            S::Nothing if displaced.is_none() => D::WriteMine,
            S::Nothing => D::LogOutSeen,
            S::Mine => D::MarkSaved,
            S::Displaced | S::Older => D::WriteMine,
            _ => D::Refuse,
        },
        (Act::Refresh, Held::Saved) => match seen {
            S::Nothing => D::LogOutSeen,
            S::Mine | S::Older => D::RefreshMine,
            // A saved handle has displaced nothing; a store matching that is another's pair.
            S::NewerFresh | S::Displaced => D::AdoptStored,
            S::NewerDue => D::RefreshStored,
            S::Unknown => D::Identify,
            S::Foreign | S::Unreadable => D::Refuse,
        },
        (Act::Refresh, Held::Unsaved { displaced }) => match seen {
            S::Nothing if displaced.is_none() => D::RefreshMine,
            S::Nothing => D::LogOutSeen,
            S::Mine | S::Displaced | S::Older => D::RefreshMine,
            S::NewerFresh => D::AdoptStoredRevokeMine,
            S::NewerDue => D::RefreshStoredRevokeMine,
            S::Unknown => D::Identify,
            S::Foreign | S::Unreadable => D::Refuse,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table in the module docs, read back from this file, is what `decide` does: the docs
    /// cannot drift from the code.
    #[test]
    fn the_documented_table_is_what_decide_does() {
        // Here, and in RELIABILITY.md ("The pair model").
        table_is_decide(include_str!("model.rs"), "//! |");
        table_is_decide(include_str!("../RELIABILITY.md"), "|");
    }

    /// Checks the table whose rows start with `prefix` in `source` against `decide`.
    fn table_is_decide(source: &str, prefix: &str) {
        let mut rows = 0;
        for line in source.lines() {
            let Some(row) = line.strip_prefix(prefix) else {
                continue;
            };
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let is_model_row = ["saved", "unsaved", "logged out"].contains(&cells[0]);
            if cells.len() < 6 || !is_model_row {
                continue;
            }
            let helds: Vec<Held> = match cells[0] {
                "saved" => vec![Held::Saved],
                "unsaved" => vec![displacing()],
                "logged out" => vec![Held::LoggedOut { mine_alive: false }],
                other => panic!("unknown held {other:?}"),
            };
            let seens: Vec<Seen> = match cells[1] {
                "any" => ALL_SEEN.to_vec(),
                name => vec![seen_named(name)],
            };
            for held in &helds {
                for &seen in &seens {
                    for (act, cell) in [
                        (Act::Refresh, cells[2]),
                        (Act::SaveRetry, cells[3]),
                        (Act::Revoke, cells[4]),
                        (Act::Use, cells[5]),
                    ] {
                        let footnote = cell.ends_with(" (2)");
                        let want =
                            decision_named(cell.trim_end_matches(" (1)").trim_end_matches(" (2)"));
                        let got = decide(act, held, seen);
                        // Footnote (2): the row names the case of a stored pair.
                        let want = match seen {
                            Seen::Nothing if footnote => Decision::NothingToDo,
                            Seen::Unreadable if footnote => Decision::Refuse,
                            _ => want,
                        };
                        assert_eq!(got, want, "{held:?} × {seen:?} × {act:?}");
                    }
                    rows += 1;
                }
            }
        }
        assert!(rows >= 15 + ALL_SEEN.len(), "only {rows} rows read");
        // Footnote (1): a store that was empty when the pair was made.
        let empty = Held::Unsaved { displaced: None };
        assert_eq!(
            decide(Act::Refresh, &empty, Seen::Nothing),
            Decision::RefreshMine
        );
        assert_eq!(
            decide(Act::SaveRetry, &empty, Seen::Nothing),
            Decision::WriteMine
        );
        for act in [Act::Refresh, Act::SaveRetry] {
            assert_eq!(
                decide(act, &displacing(), Seen::Nothing),
                Decision::LogOutSeen
            );
        }
    }

    /// An unsaved pair that replaced a stored one.
    fn displacing() -> Held {
        Held::Unsaved {
            displaced: Some(RefreshToken::new("displaced")),
        }
    }

    const ALL_SEEN: [Seen; 9] = [
        Seen::Nothing,
        Seen::Mine,
        Seen::Displaced,
        Seen::Older,
        Seen::NewerFresh,
        Seen::NewerDue,
        Seen::Unknown,
        Seen::Foreign,
        Seen::Unreadable,
    ];

    fn seen_named(name: &str) -> Seen {
        match name {
            "nothing" => Seen::Nothing,
            "mine" => Seen::Mine,
            "displaced" => Seen::Displaced,
            "older" => Seen::Older,
            "newer, fresh" => Seen::NewerFresh,
            "newer, due" => Seen::NewerDue,
            "unknown" => Seen::Unknown,
            "foreign" => Seen::Foreign,
            "unreadable" => Seen::Unreadable,
            other => panic!("unknown store content {other:?}"),
        }
    }

    fn decision_named(name: &str) -> Decision {
        match name {
            "refresh mine" => Decision::RefreshMine,
            "refresh stored" => Decision::RefreshStored,
            "adopt stored" => Decision::AdoptStored,
            "identify stored" => Decision::Identify,
            "adopt stored, revoke mine" => Decision::AdoptStoredRevokeMine,
            "refresh stored, revoke mine" => Decision::RefreshStoredRevokeMine,
            "refuse" => Decision::Refuse,
            "log out seen" => Decision::LogOutSeen,
            "write mine" => Decision::WriteMine,
            "mark saved" => Decision::MarkSaved,
            "nothing to do" => Decision::NothingToDo,
            "revoke mine" => Decision::RevokeMine,
            "revoke mine and stored" => Decision::RevokeMineAndStored,
            "revoke stored" => Decision::RevokeStored,
            other => panic!("unknown decision {other:?}"),
        }
    }
}
