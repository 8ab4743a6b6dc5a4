//! A small synchronous web service that many streamers connect to: `/login` sends each to
//! Twitch, `/callback` finishes the login and keeps the streamer's token in their own account of
//! a SQLite database, and `/streamers` lists who is connected. No local listener is involved:
//! the redirect URL is the service's own.
//!
//! ```sh
//! TWITCH_CLIENT_ID=... TWITCH_CLIENT_SECRET=... cargo run --example web_service --features sqlite -- \
//!     --listen 127.0.0.1:8080 --redirect-url http://localhost:8080/callback --db tokens.db
//! ```
//!
//! Register the redirect URL for the app in the Twitch developer console (in production an
//! https URL on the service's domain, behind a TLS proxy). It prints `listening on ADDR`, then
//! serves until stopped. `--auth-base-url URL` points it at another auth server (tests use the
//! crate's fake). It never prints or serves a token.

use std::process::ExitCode;
use std::sync::Arc;

use tiny_http::{Header, Request, Response, Server};
use twitch_auth::{Helper, MemoryStore, SqliteStore, TokenStore};

/// The cookie that keeps a login's state between `/login` and `/callback`.
const STATE_COOKIE: &str = "twitch_login_state";

struct Service {
    /// The app's settings: every streamer's helper is this one with their store.
    app: Helper,
    db: SqliteStore,
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut db, mut redirect, mut auth) = (
        "127.0.0.1:8080".to_owned(),
        "tokens.db".to_owned(),
        None,
        None,
    );
    while let Some(option) = args.next() {
        let mut value = || args.next().ok_or(format!("{option} needs a value"));
        match option.as_str() {
            "--listen" => listen = value()?,
            "--db" => db = value()?,
            "--redirect-url" => redirect = Some(value()?),
            "--auth-base-url" => auth = Some(value()?),
            _ => return Err(format!("unknown option {option}").into()),
        }
    }
    let server = Server::http(&listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or("the server is not on an IP address")?;
    let redirect = redirect.unwrap_or_else(|| format!("http://localhost:{}/callback", addr.port()));
    // Logins happen on the service's pages only: bind() reuses or refreshes a stored token.
    let mut app = Helper::new(["chat:read", "chat:edit"])
        .redirect_url(redirect)
        .no_login();
    if let Some(auth) = auth {
        app = app.auth_base_url(auth);
    }
    let service = Service {
        app,
        db: SqliteStore::open(&db)?,
    };
    println!("listening on {addr}");
    for request in server.incoming_requests() {
        service.answer(request);
    }
    Ok(())
}

impl Service {
    fn answer(&self, request: Request) {
        let target = request.url().to_owned();
        let path = target.split('?').next().unwrap_or_default();
        let cookie = cookie(&request, STATE_COOKIE);
        let response = match path {
            "/login" => self.login(),
            "/callback" => self.callback(&target, cookie.as_deref()),
            "/streamers" => self.streamers(),
            _ => text(404, "not found"),
        };
        // A client that went away is no reason to stop serving the others.
        let _ = request.respond(response);
    }

    /// `/login`: to Twitch, with the login's state in a cookie.
    fn login(&self) -> Response<std::io::Cursor<Vec<u8>>> {
        match self.app.start_login() {
            Ok(pending) => text(302, "to Twitch")
                .with_header(header("Location", pending.url()))
                .with_header(header(
                    "Set-Cookie",
                    &format!(
                        "{STATE_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/",
                        pending.state()
                    ),
                )),
            Err(err) => failure(500, &err),
        }
    }

    /// `/callback?code=…&state=…`: the login finished into a store of its own, then kept in
    /// the account of the user it turned out to be.
    fn callback(&self, target: &str, state: Option<&str>) -> Response<std::io::Cursor<Vec<u8>>> {
        let Some(state) = state else {
            return text(400, "no login in progress: start at /login");
        };
        let landed = Arc::new(MemoryStore::new());
        let finished = self
            .app
            .clone()
            .store(Arc::clone(&landed))
            .resume_login(state)
            .and_then(|pending| pending.finish_redirect(target));
        let token = match finished {
            Ok(token) => token,
            Err(err) => return failure(400, &err),
        };
        let kept = landed
            .load()
            .and_then(|pair| pair.ok_or(twitch_auth::Error::LoginRequired))
            .and_then(|pair| self.db.account(token.login()).save(&pair));
        match kept {
            Ok(()) => {
                // The streamer's token from now on: reused or refreshed, never a login.
                match self
                    .app
                    .clone()
                    .store(self.db.account(token.login()))
                    .bind()
                {
                    Ok(token) => text(200, &format!("connected {}", token.login())),
                    Err(err) => failure(500, &err),
                }
            }
            Err(err) => failure(500, &err),
        }
    }

    /// `/streamers`: who is connected, one login a line.
    fn streamers(&self) -> Response<std::io::Cursor<Vec<u8>>> {
        match self.db.accounts() {
            Ok(accounts) => text(200, &accounts.join("\n")),
            Err(err) => failure(500, &err),
        }
    }
}

fn text(status: u16, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string(body)
        .with_status_code(status)
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

/// The error for the person (Display says what to do; it holds no secret) and the log.
fn failure(status: u16, err: &twitch_auth::Error) -> Response<std::io::Cursor<Vec<u8>>> {
    eprintln!("web_service: {err}");
    text(status, &format!("the login did not work: {err}"))
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name, value).expect("ASCII header")
}

/// The value of cookie `name` in the request's `Cookie` header.
fn cookie(request: &Request, name: &str) -> Option<String> {
    let header = request.headers().iter().find(|h| h.field.equiv("Cookie"))?;
    header.value.as_str().split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

fn main() -> ExitCode {
    let Err(err) = run() else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {err}");
    let mut cause = err.source();
    while let Some(source) = cause {
        eprintln!("  caused by: {source}");
        cause = source.source();
    }
    ExitCode::FAILURE
}
