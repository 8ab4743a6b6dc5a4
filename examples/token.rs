//! A small command line tool in the spirit of `twitch token`: prints one JSON line with a usable
//! user token, reusing, refreshing or generating it as needed; with `--app`, an app access token.
//!
//! ```sh
//! cargo run --example token -- --scopes "chat:read chat:edit" --path user_token.json
//! cargo run --example token -- --help
//! ```
//!
//! `--help` lists the options, the environment variables, the defaults and the output. Errors
//! are told in the tool's own words: its options, not the library's `Helper` methods.

use std::error::Error as _;
use std::process::ExitCode;
use std::time::Duration;

use twitch_auth::{AppToken, AppTokenBuilder, Error, Helper, Scope, UserToken};

const USAGE: &str = "\
usage: token [--scopes \"A B\"] [--client-id ID] [--client-secret SECRET] [--path FILE]
             [--store file:PATH|sqlite:PATH|keyring[:SERVICE]|redis://HOST:PORT]
             [--account NAME]
             [--redirect-url URL] [--timeout SECONDS] [--no-browser] [--device]
             [--auth-base-url URL]
       token --app [--client-id ID] [--client-secret SECRET] [--auth-base-url URL]";

const HELP: &str = "\
Prints a usable Twitch user token as one JSON line: the stored one while it is valid, else a
refreshed one, else a new one from a login in the browser (or, with --device, with a code).

Options (each also as --option=VALUE):
  --scopes \"A B\"          the scopes the token needs, space-separated: \"chat:read chat:edit\"
  --client-id ID          the app's client id (default: $TWITCH_CLIENT_ID)
  --client-secret SECRET  the app's client secret (default: $TWITCH_CLIENT_SECRET); prefer the
                          variable, since other users of this machine can see arguments
  --path FILE             the token file (default: user_token.json in the current directory)
  --store file:PATH       the same as --path PATH
  --store sqlite:PATH     the SQLite database at PATH, one account of it (--account); needs
                          the crate's sqlite feature
  --store keyring[:SERVICE]
                          the OS credential store (Keychain, Credential Manager, Secret
                          Service), under SERVICE (default: twitch-auth) and the account
                          (--account); needs the crate's keyring feature
  --store redis://[USER:PASSWORD@]HOST:PORT[/DB]
                          the Redis server a fleet of workers shares, the account's key
                          (--account); needs the crate's redis feature
  --account NAME          the account in the database, credential store or Redis (default:
                          default)
  --redirect-url URL      the redirect URL registered for the app in the Twitch developer
                          console (default: http://localhost:17563)
  --timeout SECONDS       how long to wait for the login (default: 300, at most a day)
  --no-browser            open no browser: the login URL or device code is on stderr only
  --device                log in with a device code instead: open a URL on any device and
                          enter the code shown; needs no client secret (Public clients)
  --app                   print an app access token instead (client credentials: the app
                          itself, no user, no login); needs the client id and secret, and
                          takes no --scopes, --path, --redirect-url, --timeout or --device
  --auth-base-url URL     the auth server, for testing (default: https://id.twitch.tv/oauth2/)
  -h, --help              print this help

Environment:
  TWITCH_CLIENT_ID        the client id, when --client-id is not given
  TWITCH_CLIENT_SECRET    the client secret, when --client-secret is not given

Output, one line on stdout:
  {\"outcome\":\"generated\",\"access_token\":\"...\",\"login\":\"...\",\"user_id\":\"...\",\"scopes\":[\"chat:read\"],\"expires_at\":1700000000}
  outcome is reused, refreshed or generated; expires_at is in unix seconds, null when the token
  does not expire. The login URL, the device code, warnings and errors go to stderr.
  With --app: {\"outcome\":\"app\",\"access_token\":\"...\",\"expires_at\":1700000000}

Exit status: 0 on success, 1 when no token could be had (the error and its causes on stderr),
2 for bad arguments. Also 1 when a refreshed or new token pair could not be saved to the token
file: the JSON line is still printed, since its access token works until it expires, but stderr
says the pair was NOT kept, and the next run may need a login.
";

/// What the command line asks for.
enum Request {
    /// `-h` or `--help`: the help, and nothing else.
    Help,
    /// A token, from this helper and, with `--store sqlite:`, this database's account.
    Token(Box<Helper>, Option<Database>),
    /// `--app`: an app access token, from this builder.
    App(Box<AppTokenBuilder>),
}

fn main() -> ExitCode {
    let (line, unkept) = match parse(std::env::args().skip(1)) {
        Ok(Request::Help) => {
            print!("{USAGE}\n\n{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Request::Token(helper, database)) => {
            match in_store(*helper, database).and_then(|helper| helper.bind()) {
                Ok(token) => (json_line(&token), keep(&token).err()),
                Err(err) => (Err(err), None),
            }
        }
        Ok(Request::App(builder)) => (
            builder.build().and_then(|token| app_json_line(&token)),
            None,
        ),
        Err(message) => {
            eprintln!("token: {message}\n{USAGE}\nrun token --help for more");
            return ExitCode::from(2);
        }
    };
    let line = match line {
        Ok(line) => line,
        Err(err) => {
            print_error("error", &err);
            return ExitCode::FAILURE;
        }
    };
    // Printed even when the pair was not kept: its access token works until it expires.
    println!("{line}");
    match unkept {
        None => ExitCode::SUCCESS,
        Some(err) => {
            print_error(
                "error: the new token pair was NOT kept, so the next run may need a login (the \
                 printed access token works until it expires)",
                &err,
            );
            ExitCode::FAILURE
        }
    }
}

/// Saves the pair again if its save right after the refresh or the login failed. The library
/// would try again later, but this process ends now: a pair it does not keep is lost, and with
/// it the refresh token spent to get it.
fn keep(token: &UserToken) -> Result<(), Error> {
    if token.is_saved() {
        return Ok(());
    }
    token.save()
}

/// `token: <what>: <the error in this tool's words>`, then its causes, on stderr. No error of
/// the library holds a secret, so none is printed.
fn print_error(what: &str, err: &Error) {
    eprintln!("token: {what}: {}", message(err));
    let mut cause = err.source();
    while let Some(source) = cause {
        eprintln!("  caused by: {source}");
        cause = source.source();
    }
}

/// The helper the arguments describe, or what is wrong with them.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Request, String> {
    let mut scopes = Vec::new();
    let mut settings = Vec::new();
    let (mut open_browser, mut device, mut timeout, mut app) = (true, false, None, false);
    // Options that only a user token takes, for the error when --app is given too.
    let mut user_only = None;
    let (mut database, mut account) = (None, None);
    while let Some(arg) = args.next() {
        let (option, inline) = match arg.split_once('=') {
            Some((option, value)) if option.starts_with("--") => (option, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        match option {
            "-h" | "--help" | "--no-browser" | "--device" | "--app" if inline.is_some() => {
                return Err(format!("{option} takes no value"));
            }
            "-h" | "--help" => return Ok(Request::Help),
            "--app" => app = true,
            "--no-browser" => open_browser = false,
            "--device" => device = true,
            "--scopes" | "--client-id" | "--client-secret" | "--path" | "--redirect-url"
            | "--timeout" | "--auth-base-url" | "--store" | "--account" => {
                let value = match inline {
                    Some(value) => value,
                    None => value_after(option, &mut args)?,
                };
                if !matches!(
                    option,
                    "--client-id" | "--client-secret" | "--auth-base-url"
                ) {
                    user_only.get_or_insert_with(|| option.to_owned());
                }
                match option {
                    "--scopes" => scopes.extend(value.split_whitespace().map(Scope::from)),
                    _ if value.is_empty() => return Err(format!("{option} needs a value")),
                    "--timeout" => timeout = Some(seconds(&value)?),
                    "--account" => account = Some(value),
                    "--store" => match value.split_once(':') {
                        Some(("file", path)) if !path.is_empty() => {
                            settings.push(("--path".to_owned(), path.to_owned()));
                        }
                        Some(("sqlite", path)) if !path.is_empty() => {
                            database = Some(Kind::Sqlite(path.to_owned()));
                        }
                        Some(("keyring", service)) if !service.is_empty() => {
                            database = Some(Kind::Keyring(service.to_owned()));
                        }
                        None if value == "keyring" => {
                            database = Some(Kind::Keyring("twitch-auth".to_owned()));
                        }
                        Some(("redis", rest)) if rest.starts_with("//") => {
                            database = Some(Kind::Redis(value.clone()));
                        }
                        _ => {
                            return Err("--store takes file:PATH, sqlite:PATH, \
                                        keyring[:SERVICE] or redis://HOST:PORT"
                                .to_owned());
                        }
                    },
                    _ => settings.push((option.to_owned(), value)),
                }
            }
            _ if option.starts_with('-') => return Err(format!("unknown option {option}")),
            _ => {
                return Err(format!(
                    "unexpected argument {arg:?}: values follow their option"
                ));
            }
        }
    }
    if device {
        user_only.get_or_insert_with(|| "--device".to_owned());
    }
    if app {
        if let Some(option) = user_only {
            return Err(format!("{option} is for user tokens; --app takes none"));
        }
        let mut builder = AppToken::builder();
        for (option, value) in settings {
            builder = match option.as_str() {
                "--client-id" => builder.client_id(value),
                "--client-secret" => builder.client_secret(value),
                _ => builder.auth_base_url(value),
            };
        }
        return Ok(Request::App(Box::new(builder)));
    }
    // A warning, not an error: a token without scopes is valid, but it can do almost nothing,
    // which is rarely what was meant.
    if scopes.is_empty() {
        eprintln!(
            "token: warning: no --scopes given: the token will carry no scopes, so it can only \
             identify the user; pass the ones your program needs, e.g. --scopes \"chat:read \
             chat:edit\""
        );
    }
    let mut helper = Helper::new(scopes).open_browser(open_browser);
    if device {
        helper = helper.device_flow();
    }
    if let Some(timeout) = timeout {
        helper = helper.login_timeout(timeout);
    }
    for (option, value) in settings {
        helper = match option.as_str() {
            "--client-id" => helper.client_id(value),
            "--client-secret" => helper.client_secret(value),
            "--path" => helper.path(value),
            "--auth-base-url" => helper.auth_base_url(value),
            _ => helper.redirect_url(value),
        };
    }
    let database = match (database, account) {
        (Some(kind), account) => Some(Database {
            kind,
            account: account.unwrap_or_else(|| "default".to_owned()),
        }),
        (None, Some(_)) => {
            return Err(
                "--account is for --store sqlite:PATH, keyring or redis://HOST:PORT".to_owned(),
            );
        }
        (None, None) => None,
    };
    Ok(Request::Token(Box::new(helper), database))
}

/// `--store sqlite:PATH`, `keyring[:SERVICE]` or `redis://HOST:PORT`, with `--account NAME`.
struct Database {
    kind: Kind,
    account: String,
}

enum Kind {
    Sqlite(String),
    Keyring(String),
    Redis(String),
}

/// The helper, on the chosen store's account when one was given.
fn in_store(helper: Helper, database: Option<Database>) -> Result<Helper, Error> {
    let Some(Database { kind, account }) = database else {
        return Ok(helper);
    };
    match kind {
        Kind::Sqlite(path) => sqlite(helper, &path, account),
        Kind::Keyring(service) => keyring(helper, service, account),
        Kind::Redis(url) => redis(helper, &url, account),
    }
}

#[cfg(feature = "sqlite")]
fn sqlite(helper: Helper, path: &str, account: String) -> Result<Helper, Error> {
    Ok(helper.store(twitch_auth::SqliteStore::open(path)?.account(account)))
}

#[cfg(not(feature = "sqlite"))]
fn sqlite(_: Helper, path: &str, _: String) -> Result<Helper, Error> {
    Err(needs("sqlite", &format!("sqlite:{path}")))
}

#[cfg(feature = "keyring")]
fn keyring(helper: Helper, service: String, account: String) -> Result<Helper, Error> {
    Ok(helper.store(twitch_auth::KeyringStore::new(service, account)))
}

#[cfg(not(feature = "keyring"))]
fn keyring(_: Helper, service: String, _: String) -> Result<Helper, Error> {
    Err(needs("keyring", &format!("keyring:{service}")))
}

#[cfg(feature = "redis")]
fn redis(helper: Helper, url: &str, account: String) -> Result<Helper, Error> {
    Ok(helper.store(twitch_auth::RedisStore::open(url)?.key(account)))
}

#[cfg(not(feature = "redis"))]
fn redis(_: Helper, _: &str, _: String) -> Result<Helper, Error> {
    Err(needs("redis", "redis://"))
}

/// `--store` names a store this build was made without.
#[cfg(not(all(feature = "sqlite", feature = "keyring", feature = "redis")))]
fn needs(feature: &str, store: &str) -> Error {
    Error::InvalidSetting {
        setting: "--store",
        reason: format!("{store} needs the {feature} feature: build with --features {feature}"),
    }
}

/// The argument after `option`: its value. One that starts with `--` is refused, since it is
/// far more likely a forgotten value (`--path --no-browser`) than a file named `--no-browser`;
/// such a value can still be given as `--path=--no-browser`. The argument is not quoted back:
/// it could be a secret.
fn value_after(option: &str, args: &mut impl Iterator<Item = String>) -> Result<String, String> {
    match args.next() {
        Some(value) if value.starts_with("--") => Err(format!(
            "{option} needs a value, but the next argument is an option; for a value that \
             starts with --, write {option}=VALUE"
        )),
        Some(value) => Ok(value),
        None => Err(format!("{option} needs a value")),
    }
}

/// A `--timeout` value: a whole number of seconds, at least 1.
fn seconds(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(0) => Err("--timeout must be at least 1 second".to_owned()),
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => Err(format!(
            "--timeout takes a whole number of seconds, such as 600, not {value:?}"
        )),
    }
}

/// The error in this tool's words: where the library's message names a `Helper` method or
/// `bind()`, this names the option or says to run the tool again.
fn message(err: &Error) -> String {
    match err {
        Error::NoClientId => "no client id: pass --client-id or set TWITCH_CLIENT_ID".to_owned(),
        Error::NoClientSecret => {
            let text = "the browser login needs a client secret: pass --client-secret or set \
                        TWITCH_CLIENT_SECRET, or log in with --device";
            text.to_owned()
        }
        Error::InvalidSetting { setting, reason } => match *setting {
            "redirect_url" => format!("invalid --redirect-url: {reason}"),
            "auth_base_url" => format!("invalid --auth-base-url: {reason}"),
            _ => err.to_string(),
        },
        Error::PortInUse {
            addr, redirect_url, ..
        } => format!(
            "cannot listen on {addr} for the login redirect: port in use; stop the program \
             holding it, or register another redirect URL than {redirect_url} in the Twitch \
             developer console and pass it with --redirect-url, or log in with --device"
        ),
        Error::LoginTimedOut { .. } => err
            .to_string()
            .replace("Helper::login_timeout", "--timeout"),
        Error::LockTimedOut { path, after } => format!(
            "another process held the token file's lock {} for more than {} s (it may be stopped \
             or hung); nothing was changed, run again when it has finished",
            path.display(),
            after.as_secs()
        ),
        Error::StoreChanged {
            stored_login: Some(login),
        } => format!(
            "another program replaced the stored token with {login}'s; run token again to use it \
             or to log in"
        ),
        Error::StoreChanged { stored_login: None } => {
            "another program removed the stored token (a log out?); run token again".to_owned()
        }
        // The app token's errors name the builder's setters: name the options instead.
        _ => err
            .to_string()
            .replace("AppTokenBuilder::client_secret", "--client-secret")
            .replace("AppTokenBuilder::client_id", "--client-id")
            .replace("AppTokenBuilder::auth_base_url", "--auth-base-url")
            .replace("(given to the builder)", "(given on the command line)"),
    }
}

/// The one line printed on stdout.
fn json_line(token: &UserToken) -> Result<serde_json::Value, Error> {
    let expires_at = token.expires_at().map(|at| {
        at.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let access = token.access_token()?;
    Ok(serde_json::json!({
        "outcome": token.outcome().as_str(),
        // Printing the token is this tool's job; it goes to stdout only.
        "access_token": access.secret(),
        "login": token.login(),
        "user_id": token.user_id(),
        "scopes": token.scopes(),
        "expires_at": expires_at,
    }))
}

/// The one line printed on stdout for `--app`.
fn app_json_line(token: &AppToken) -> Result<serde_json::Value, Error> {
    let access = token.access_token()?;
    let expires_at = token.expires_at().map(|at| {
        at.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    Ok(serde_json::json!({
        "outcome": "app",
        // Printing the token is this tool's job; it goes to stdout only.
        "access_token": access.secret(),
        "expires_at": expires_at,
    }))
}
