//! Log outs: the handle's own `revoke()`, and another program's seen by the handle; both end
//! the handle, as the pair model (`model.rs`) decides.

use crate::Error;
use crate::StoredToken;
use crate::handle::{Shared, State};
use crate::model::{self, Act, Decision, Held};

impl Shared {
    /// Another program logged out: the handle follows, sending nothing for a pair that was the
    /// stored one (the log out was for it; a later `revoke()` revokes it, should it still be
    /// alive). An unsaved pair, which only this handle knows, is revoked rather than written
    /// back.
    pub(crate) fn log_out_seen(&self, mine: &StoredToken, held: &Held) -> Error {
        let mine_alive = match held {
            Held::Unsaved { .. } => !self.revoke_quietly(mine, true),
            _ => true,
        };
        self.end(
            Held::LoggedOut { mine_alive },
            Error::LoggedOut {
                by_this_handle: false,
            },
        );
        // What is true now; later calls say what happened, in the past tense.
        Error::StoreChanged { stored_login: None }
    }

    /// Ends the handle: from now on every call returns `why`, which is returned.
    pub(crate) fn end(&self, held: Held, why: Error) -> Error {
        let mut state = self.state();
        state.held = held;
        state.ended_by = Some(why.duplicate());
        why
    }

    /// `revoke()`, decided by the model from one read of the store under its lock.
    pub(crate) fn revoke(&self) -> Result<(), Error> {
        let _turn = self.refreshing();
        let store = &self.keeper.store;
        let _lock = store.lock()?;
        let stored = store.load();
        let (mine, held) = self.mine_and_held();
        let seen = self.classify(&stored, &mine, &held);
        // Unreadable: what it holds cannot be revoked, so nothing is.
        let stored = stored?;
        let decision = model::decide(Act::Revoke, &held, seen);
        log::debug!("twitch-auth: revoke: the store holds {seen:?}: {decision:?}");
        // The handle's earlier access tokens first: each revoked is forgotten, so a revoke()
        // that failed halfway goes on where it stopped.
        loop {
            let Some(earlier) = self.state().replaced.last().cloned() else {
                break;
            };
            self.keeper.revoke(&earlier)?;
            self.state().replaced.pop();
        }
        if matches!(
            decision,
            Decision::RevokeMine | Decision::RevokeMineAndStored
        ) {
            self.keeper.revoke(&mine.access_token)?;
            self.end(
                Held::LoggedOut { mine_alive: false },
                Error::LoggedOut {
                    by_this_handle: true,
                },
            );
        }
        if matches!(
            decision,
            Decision::RevokeMineAndStored | Decision::RevokeStored
        ) && let Some(stored) = &stored
        {
            self.revoke_as_its_app(stored)?;
        }
        if stored.is_some() {
            store.delete()?;
        }
        Ok(())
    }

    /// Revokes a stored pair with the client id it was issued to, when the store says.
    pub(crate) fn revoke_as_its_app(&self, token: &StoredToken) -> Result<(), Error> {
        match &token.client_id {
            Some(client_id) if *client_id != self.keeper.app.client_id => {
                let mut app = self.keeper.app.clone();
                app.client_id = client_id.clone();
                self.keeper.revoke_as(&app, &token.access_token)
            }
            _ => self.keeper.revoke(&token.access_token),
        }
    }

    /// Revokes a pair nobody will use, as well as can be: a failure leaves it to expire.
    /// Returns whether it is gone. `log_out`: it is revoked for a log out, which ends its line
    /// for every handle of this process (`spent.rs`); a pair merely abandoned for a newer one
    /// does not end anything.
    pub(crate) fn revoke_quietly(&self, token: &StoredToken, log_out: bool) -> bool {
        let revoked = if log_out {
            self.keeper.revoke(&token.access_token)
        } else {
            let app = &self.keeper.app;
            self.keeper.client.revoke(app, &token.access_token)
        };
        match revoked {
            Ok(()) => true,
            Err(e) => {
                log::debug!("twitch-auth: could not revoke a pair nobody will use: {e}");
                false
            }
        }
    }

    pub(crate) fn refuse_if_logged_out(&self, state: &State) -> Result<(), Error> {
        match state.held {
            Held::LoggedOut { .. } => Err(self.logged_out_error_for(state)),
            _ => Ok(()),
        }
    }

    pub(crate) fn logged_out_error(&self) -> Error {
        let state = self.state();
        self.logged_out_error_for(&state)
    }

    pub(crate) fn logged_out_error_for(&self, state: &State) -> Error {
        match &state.ended_by {
            Some(why) => why.duplicate(),
            None => Error::LoggedOut {
                by_this_handle: false,
            },
        }
    }
}
