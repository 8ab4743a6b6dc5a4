//! Whether a browser can show the login here: none is launched where it would die unseen (no
//! display on Linux and the BSDs), and what to tell the person instead.

use std::ffi::OsString;

/// Opens `url` in the user's browser when `allowed`, the `browser` feature is on and `screen`
/// has a browser to show it; whether it did. Shared by the browser and device logins.
pub(crate) fn open_in_browser(url: &str, allowed: bool, screen: Screen) -> bool {
    let allowed = allowed && screen == Screen::Here;
    #[cfg(feature = "browser")]
    return allowed && webbrowser::open(url).is_ok();
    #[cfg(not(feature = "browser"))]
    {
        let _ = (url, allowed);
        false
    }
}

/// Whether a browser launched by this process could show the login to the person running it,
/// as the environment says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Screen {
    /// A browser can be launched: on Windows and macOS always; on Linux and the BSDs with a
    /// display (`DISPLAY`, `WAYLAND_DISPLAY`), a `BROWSER` of the user's choice, or in WSL
    /// (which opens the Windows browser).
    Here,
    /// Linux or a BSD with none of those: a GUI browser would die unseen (leaving its profile
    /// behind), so none is launched.
    Missing,
    /// As `Missing`, in an SSH session: the person's browser is on another machine, from which
    /// the redirect to localhost cannot come back.
    Remote,
}

impl Screen {
    /// The screen of this process.
    pub(crate) fn here() -> Screen {
        Screen::of(std::env::consts::OS, |name| std::env::var_os(name))
    }

    /// The screen on `os` (as `std::env::consts::OS` names it) with the environment `env`;
    /// empty variables count as unset.
    pub(crate) fn of(os: &str, env: impl Fn(&str) -> Option<OsString>) -> Screen {
        let set = |name: &str| env(name).is_some_and(|value| !value.is_empty());
        // The systems on which webbrowser looks for X11 or Wayland (xdg-open, then a list of
        // browsers); the others have a desktop of their own or no browser at all.
        let needs_display = matches!(
            os,
            "linux" | "freebsd" | "dragonfly" | "netbsd" | "openbsd" | "solaris" | "illumos"
        );
        let shown = [
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "BROWSER",
            "WSL_DISTRO_NAME",
            "WSL_INTEROP",
        ];
        if !needs_display || shown.into_iter().any(set) {
            Screen::Here
        } else if set("SSH_CONNECTION") || set("SSH_TTY") {
            Screen::Remote
        } else {
            Screen::Missing
        }
    }

    /// What to tell the person about the browser login's URL when no browser can show it here:
    /// how the login can still come back to the listener on `port`.
    pub(crate) fn hint(self, port: u16) -> Option<String> {
        // The developer's name for it last: the person reading may not be the developer.
        let device = "or log in with a code from any device instead, where the program offers \
                      it (its device login: Helper::device_flow)";
        match self {
            Screen::Here => None,
            Screen::Missing => Some(format!(
                "There is no display here (DISPLAY and WAYLAND_DISPLAY are not set), so no \
                 browser was opened: open the URL in a browser on this machine (BROWSER names \
                 the one to open), {device}."
            )),
            Screen::Remote => Some(format!(
                "This is an SSH session with no display, so no browser was opened, and a \
                 browser on your own machine cannot send the login back to localhost:{port} \
                 here: forward the port first (ssh -L {port}:localhost:{port} <this host>) and \
                 open the URL on your machine, {device}."
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (os, DISPLAY, WAYLAND_DISPLAY, BROWSER, SSH_CONNECTION) -> (a browser is launched, what
    /// the hint says).
    #[test]
    #[rustfmt::skip]
    fn a_browser_is_launched_only_where_it_can_be_seen() {
        let (x, none, ssh) = (Some(":0"), None, Some("10.0.0.1 50000 10.0.0.2 22"));
        let empty = Some("");
        let cases = [
            ("linux",   x,    none,          none,               none, true,  None),
            ("linux",   none, Some("wayland-0"), none,           none, true,  None),
            ("linux",   none, none,          Some("w3m"),        none, true,  None),
            ("linux",   none, none,          none,               none, false, Some("no display here")),
            ("linux",   empty, empty,        empty,              none, false, Some("no display here")),
            ("linux",   none, none,          none,               ssh,  false, Some("ssh -L 17563:localhost:17563")),
            // X forwarding: the browser runs here, shown on the other machine.
            ("linux",   x,    none,          none,               ssh,  true,  None),
            ("linux",   none, none,          Some("lynx"),       ssh,  true,  None),
            ("freebsd", none, none,          none,               none, false, Some("Helper::device_flow")),
            ("openbsd", none, none,          none,               ssh,  false, Some("Helper::device_flow")),
            ("macos",   none, none,          none,               none, true,  None),
            ("macos",   none, none,          none,               ssh,  true,  None),
            ("windows", none, none,          none,               none, true,  None),
            ("windows", none, none,          none,               ssh,  true,  None),
        ];
        for (os, display, wayland, browser, ssh, launch, hint) in cases {
            let env = |name: &str| {
                match name {
                    "DISPLAY" => display,
                    "WAYLAND_DISPLAY" => wayland,
                    "BROWSER" => browser,
                    "SSH_CONNECTION" => ssh,
                    _ => None,
                }
                .map(OsString::from)
            };
            let screen = Screen::of(os, env);
            let case = format!("{os} {display:?} {wayland:?} {browser:?} {ssh:?}: {screen:?}");
            assert_eq!(screen == Screen::Here, launch, "{case}");
            match (hint, screen.hint(17563)) {
                (None, None) => {}
                (Some(want), Some(text)) => {
                    assert!(text.contains(want), "{case}: {text}");
                    assert!(text.contains("Helper::device_flow"), "{case}: {text}");
                }
                (want, got) => panic!("{case}: expected a hint {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn wsl_opens_the_windows_browser_and_ssh_tty_counts_as_ssh() {
        let only = |var: &'static str| move |name: &str| (name == var).then(|| OsString::from("x"));
        assert_eq!(Screen::of("linux", only("WSL_DISTRO_NAME")), Screen::Here);
        assert_eq!(Screen::of("linux", only("WSL_INTEROP")), Screen::Here);
        assert_eq!(Screen::of("linux", only("SSH_TTY")), Screen::Remote);
        assert_eq!(Screen::of("linux", only("HOME")), Screen::Missing);
    }

    #[test]
    fn nothing_is_opened_without_a_screen() {
        // No webbrowser call at all: a launch would not be seen.
        assert!(!open_in_browser(
            "http://127.0.0.1:9/",
            true,
            Screen::Missing
        ));
        assert!(!open_in_browser(
            "http://127.0.0.1:9/",
            true,
            Screen::Remote
        ));
        assert!(!open_in_browser("http://127.0.0.1:9/", false, Screen::Here));
    }
}
