//! Where a program's token file belongs: the user's own data directory, per platform.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// `<the user's data directory>/<app>/user_token.json`: `%APPDATA%\<app>` on Windows,
/// `~/Library/Application Support/<app>` on macOS, `$XDG_DATA_HOME/<app>` (else
/// `~/.local/share/<app>`) elsewhere. `env` reads the environment (the process's, except in
/// tests). The directories are created, owner-only, by the first save.
pub(crate) fn token_path(
    app: &str,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, String> {
    let mut components = Path::new(app).components();
    let one_name = matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(_)), None)
    );
    if !one_name || app.trim() != app {
        return Err(format!(
            "{app:?} is not a folder name: give the app's name, such as \"MyMod\""
        ));
    }
    let set = |name: &str| {
        env(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        set("APPDATA").ok_or("APPDATA is not set, so the user's data directory is unknown")?
    } else if cfg!(target_os = "macos") {
        set("HOME")
            .ok_or("HOME is not set, so the user's data directory is unknown")?
            .join("Library/Application Support")
    } else {
        match set("XDG_DATA_HOME").filter(|dir| dir.is_absolute()) {
            Some(dir) => dir,
            None => set("HOME")
                .ok_or("neither XDG_DATA_HOME nor HOME is set, so the user's data directory is unknown")?
                .join(".local/share"),
        }
    };
    Ok(base.join(app).join("user_token.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_users_data_directory_per_platform() {
        let vars = [
            ("APPDATA", "C:\\Users\\jo\\AppData\\Roaming"),
            ("HOME", "/home/jo"),
            ("XDG_DATA_HOME", "/data/jo"),
        ];
        let got = token_path("MyMod", env(&vars)).unwrap();
        let want = if cfg!(windows) {
            PathBuf::from("C:\\Users\\jo\\AppData\\Roaming")
        } else if cfg!(target_os = "macos") {
            PathBuf::from("/home/jo/Library/Application Support")
        } else {
            PathBuf::from("/data/jo")
        };
        assert_eq!(got, want.join("MyMod").join("user_token.json"));
        if !cfg!(windows) && !cfg!(target_os = "macos") {
            // A relative XDG_DATA_HOME is to be ignored, as the XDG spec says.
            let relative = [("HOME", "/home/jo"), ("XDG_DATA_HOME", "data")];
            assert_eq!(
                token_path("MyMod", env(&relative)).unwrap(),
                Path::new("/home/jo/.local/share/MyMod/user_token.json")
            );
        }
    }

    #[test]
    fn names_that_are_not_one_folder_or_an_unknown_home_are_refused() {
        let vars = [("APPDATA", "C:\\x"), ("HOME", "/home/jo")];
        for app in ["", ".", "..", "a/b", "/abs", " padded", "a\\b"] {
            if app == "a\\b" && !cfg!(windows) {
                continue; // a backslash is part of a name on Unix
            }
            assert!(token_path(app, env(&vars)).is_err(), "{app:?}");
        }
        assert!(token_path("MyMod", env(&[])).is_err());
    }
}
