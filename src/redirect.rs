//! The login redirect as the listener sees it: what a request means (only our `state` counts),
//! and the small pages the browser is shown.

use crate::Scope;
use crate::secret::CsrfState;
use std::sync::Arc;

/// What one request to the listener means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not the redirect path: 404, keep waiting.
    NotFound,
    /// The redirect path without our state, or with neither code nor error: 400, keep waiting.
    BadRequest(&'static str),
    /// Twitch sent the user back with `error=` and our state.
    Error { error: String, description: String },
    /// Twitch sent the user back with a code and our state.
    Code {
        /// The authorization code, to exchange for a token.
        code: String,
        /// The scopes the redirect says were granted; `None` when it has no `scope` parameter.
        granted: Option<Vec<Scope>>,
    },
}

/// Decides what a request target means, given the redirect path and our state.
pub(crate) fn judge(target: &str, path: &str, state: &CsrfState) -> Verdict {
    let (target_path, query) = target.split_once('?').unwrap_or((target, ""));
    if target_path != path {
        return Verdict::NotFound;
    }
    let mut states = Vec::new();
    let (mut code, mut error, mut description) = (None, None, String::new());
    let mut granted = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*name {
            "state" => states.push(value),
            "code" => code = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = value.into_owned(),
            // Space separated; `+` in the query already decoded to a space.
            "scope" => {
                granted = Some(
                    value
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(Scope::from)
                        .collect(),
                )
            }
            _ => {}
        }
    }
    match states.as_slice() {
        [only] if state.matches(only) => {}
        [] => return Verdict::BadRequest("This request has no state: it is not from this login."),
        _ => return Verdict::BadRequest("This request's state does not belong to this login."),
    }
    match (error, code) {
        (Some(error), _) => Verdict::Error { error, description },
        (None, Some(code)) if !code.is_empty() => Verdict::Code { code, granted },
        _ => Verdict::BadRequest("This request carries neither a code nor an error."),
    }
}

/// The pages that tell the browser how the login ended: ours, or the app's own
/// ([`Helper::success_page`](crate::Helper::success_page),
/// [`Helper::failure_page`](crate::Helper::failure_page)).
#[derive(Clone, Default)]
pub(crate) struct Pages {
    pub(crate) success: Option<Arc<str>>,
    /// May hold `{message}`, replaced by what went wrong (escaped).
    pub(crate) failure: Option<Arc<str>>,
}

impl Pages {
    /// The page for a login that worked.
    pub(crate) fn success(&self) -> String {
        match &self.success {
            Some(html) => html.to_string(),
            None => page(
                "Logged in",
                "You are logged in. You can close this tab and return to the app.",
            ),
        }
    }

    /// The page for a login that failed; `default` is ours, built only when there is no
    /// page of the app's.
    pub(crate) fn failure(&self, message: &str, default: impl FnOnce() -> String) -> String {
        match &self.failure {
            Some(html) => html.replace("{message}", &escape(message)),
            None => default(),
        }
    }
}

/// The page for a login whose user did not grant every requested scope: it names them, so the
/// user knows what to leave ticked next time.
pub(crate) fn missing_scopes_page(missing: &[Scope]) -> String {
    page("Permissions not granted", &missing_scopes_text(missing))
}

/// What the missing-scopes page says, also given to an app's own failure page.
pub(crate) fn missing_scopes_text(missing: &[Scope]) -> String {
    let names = crate::scope::space_separated(missing).replace(' ', ", ");
    format!(
        "The app asked for permissions that were not granted: {names}. It will not work \
         without them: start the login again from the app and leave them ticked. You can close \
         this tab."
    )
}

/// A small HTML page for the browser: `title` as its title and heading, `text` as its one
/// paragraph.
///
/// Both are escaped: the text may quote what the redirect carried, and a title that is one of
/// ours today need not stay so.
pub(crate) fn page(title: &str, text: &str) -> String {
    let title = escape(title);
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{}</p></body></html>",
        escape(text)
    )
}

/// `text` with HTML's special characters escaped: page text may quote what the redirect carried.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! judged {
        ($name:ident, $target:expr, $want:expr) => {
            #[test]
            fn $name() {
                let state = CsrfState::new("s1");
                assert_eq!(judge($target, "/cb", &state), $want, "{}", $target);
            }
        };
    }

    judged!(favicon, "/favicon.ico", Verdict::NotFound);
    judged!(other_path, "/cb/x?code=c&state=s1", Verdict::NotFound);
    judged!(root, "/?code=c&state=s1", Verdict::NotFound);
    judged!(
        code,
        "/cb?code=c%2B1&scope=chat%3Aread&state=s1",
        Verdict::Code {
            code: "c+1".into(),
            granted: Some(vec![Scope::ChatRead])
        }
    );
    judged!(
        scopes_plus_separated,
        "/cb?code=c&scope=chat%3Aread+chat%3Aedit+some%3Anew&state=s1",
        Verdict::Code {
            code: "c".into(),
            granted: Some(vec![
                Scope::ChatRead,
                Scope::ChatEdit,
                Scope::from("some:new")
            ])
        }
    );
    judged!(
        scopes_space_separated,
        "/cb?code=c&scope=chat%3Aread%20chat%3Aedit&state=s1",
        Verdict::Code {
            code: "c".into(),
            granted: Some(vec![Scope::ChatRead, Scope::ChatEdit])
        }
    );
    judged!(
        nothing_granted,
        "/cb?code=c&scope=&state=s1",
        Verdict::Code {
            code: "c".into(),
            granted: Some(vec![])
        }
    );
    judged!(
        no_scope_parameter,
        "/cb?code=c&state=s1",
        Verdict::Code {
            code: "c".into(),
            granted: None
        }
    );
    judged!(
        wrong_state,
        "/cb?code=c&state=s2",
        Verdict::BadRequest("This request's state does not belong to this login.")
    );
    judged!(
        missing_state,
        "/cb?code=c",
        Verdict::BadRequest("This request has no state: it is not from this login.")
    );
    judged!(
        repeated_state,
        "/cb?code=c&state=s1&state=s1",
        Verdict::BadRequest("This request's state does not belong to this login.")
    );
    judged!(
        empty_code,
        "/cb?code=&state=s1",
        Verdict::BadRequest("This request carries neither a code nor an error.")
    );
    judged!(
        nothing,
        "/cb?state=s1",
        Verdict::BadRequest("This request carries neither a code nor an error.")
    );
    judged!(
        denied,
        "/cb?error=access_denied&error_description=The+user+denied+you+access&state=s1",
        Verdict::Error {
            error: "access_denied".into(),
            description: "The user denied you access".into()
        }
    );
    judged!(
        denied_wrong_state,
        "/cb?error=access_denied&state=nope",
        Verdict::BadRequest("This request's state does not belong to this login.")
    );

    #[test]
    fn an_apps_failure_page_gets_the_message_escaped() {
        let pages = Pages {
            success: Some("<p>ok</p>".into()),
            failure: Some("<p>{message}</p><p>{message}</p>".into()),
        };
        assert_eq!(pages.success(), "<p>ok</p>");
        let html = pages.failure("<b>denied</b> & more", || unreachable!());
        assert_eq!(
            html,
            "<p>&lt;b&gt;denied&lt;/b&gt; &amp; more</p><p>&lt;b&gt;denied&lt;/b&gt; &amp; more</p>"
        );
        assert!(Pages::default().success().contains("Logged in"));
    }

    #[test]
    fn pages_escape_what_twitch_sent() {
        let html = page("t", "<script>alert('x')</script> & \"more\"");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn pages_escape_their_title() {
        let html = page("<b>Login</b> & more", "text");
        assert!(!html.contains("<b>"), "{html}");
        assert_eq!(
            html.matches("&lt;b&gt;Login&lt;/b&gt; &amp; more").count(),
            2,
            "{html}"
        );
    }

    #[test]
    fn missing_scopes_page_names_them_escaped() {
        let html = missing_scopes_page(&[Scope::ChatEdit, Scope::from("x:<b>")]);
        assert!(html.contains("chat:edit, x:&lt;b&gt;."), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }
}
