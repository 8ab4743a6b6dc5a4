//! What the logins need from the helper: one value, borrowed, passed down to the browser and
//! device flows (and the callbacks through which they show a URL or a code). A file of its own
//! so that the flows depend on it, and `login.rs`, which runs them, on both.

use std::net::SocketAddr;
use std::time::Duration;

use crate::cancel::Watch;
use crate::redirect::Pages;
use crate::{DeviceCode, Scope};

/// Shows the login URL in the app's own UI.
pub(crate) type UrlCallback = dyn Fn(&str) + Send + Sync;

/// Shows the device code in the app's own UI.
pub(crate) type DeviceCallback = dyn Fn(&DeviceCode) + Send + Sync;

/// The settings the logins need, borrowed from the helper: the one value passed down to the
/// browser and device flows.
pub(crate) struct LoginSettings<'a> {
    pub(crate) scopes: &'a [Scope],
    pub(crate) redirect_url: &'a str,
    pub(crate) listen_addr: Option<SocketAddr>,
    pub(crate) open_browser: bool,
    pub(crate) on_url: Option<&'a UrlCallback>,
    pub(crate) on_device_code: Option<&'a DeviceCallback>,
    pub(crate) force_verify: bool,
    pub(crate) timeout: Duration,
    pub(crate) pages: &'a Pages,
    /// The bind's cancel handle: every wait for the person looks at it.
    pub(crate) cancel: &'a Watch,
}
