//! Scopes this version does not know: the strict parser's error, the known scope a misspelling is
//! near, the warning `bind()` gives, and Twitch's refusal of a scope turned into an error naming it.
//!
//! An unknown scope is not necessarily wrong: Twitch adds scopes several times a year, and one
//! newer than the table in `scope.rs` must still reach Twitch (`Scope::from` keeps it). So this
//! crate says that a scope is unknown and leaves the refusing to Twitch; when Twitch refuses,
//! `bind()` names the scope.

use std::fmt;

use crate::{Error, Scope, Step};

/// The most edits (a character added, removed or replaced, or two neighbours swapped) between a
/// misspelling and the known scope it is taken for: enough for `chat:reed` or
/// `moderator:read:chaters`, few enough that an unrelated new scope is rarely taken for a typo.
const MAX_EDITS: usize = 2;

/// Twitch's list of scopes, for messages that send the reader there.
pub(crate) const SCOPES_URL: &str = "https://dev.twitch.tv/docs/authentication/scopes/";

/// The error of the strict parser, [`str::parse::<Scope>`](Scope#impl-FromStr-for-Scope): the
/// string is not one of the scopes this version knows.
///
/// It keeps the string, and the known scope it is probably a misspelling of, if one is near.
/// [`Scope::from`] accepts the same string as [`Scope::Other`], for a scope newer than this
/// version.
///
/// # Example
///
/// ```
/// use twitch_auth::{Scope, UnknownScope};
///
/// let parsed: Result<Scope, UnknownScope> = "chat:reed".parse();
/// let suggestion = parsed.map_err(|err| err.suggestion().cloned());
/// assert_eq!(suggestion, Err(Some(Scope::ChatRead)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope {
    scope: String,
    suggestion: Option<Scope>,
}

impl UnknownScope {
    /// The error for `scope`, which the caller found unknown.
    pub(crate) fn new(scope: &str) -> UnknownScope {
        UnknownScope {
            scope: scope.to_owned(),
            suggestion: nearest_known(scope),
        }
    }

    /// The string that was parsed, exactly as given.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The known scope the string is probably a misspelling of: the nearest one within two
    /// edits (a character added, removed or replaced, or two neighbours swapped), letter case
    /// and surrounding spaces aside; `None` when no known scope is that near.
    ///
    /// Of equally near scopes, the first in [`Scope::known`]'s order; it may be a deprecated
    /// one.
    pub fn suggestion(&self) -> Option<&Scope> {
        self.suggestion.as_ref()
    }
}

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug-quoted: the string may come from anywhere, and must not bring control
        // characters into a terminal or a log.
        write!(f, "unknown scope {:?}", self.scope)?;
        match &self.suggestion {
            Some(near) => write!(f, ", perhaps a misspelling of {:?}", near.as_str()),
            None => f.write_str(": not among the Twitch scopes this version knows"),
        }
    }
}

impl std::error::Error for UnknownScope {}

/// The known scope `scope` is probably a misspelling of (see [`UnknownScope::suggestion`]);
/// `None` for a known scope, which is no misspelling.
pub(crate) fn nearest_known(scope: &str) -> Option<Scope> {
    if Scope::from(scope).is_known() {
        return None;
    }
    // Letter case and surrounding spaces cost nothing: `CHAT:READ` means `chat:read`.
    let typed: Vec<char> = scope.trim().to_lowercase().chars().collect();
    Scope::known()
        .map(|known| {
            let known_chars: Vec<char> = known.as_str().chars().collect();
            (edits(&typed, &known_chars), known)
        })
        .filter(|(edits, _)| *edits <= MAX_EDITS)
        .min_by_key(|(edits, _)| *edits) // the first of equals: table order
        .map(|(_, known)| known)
}

/// The optimal string alignment distance between `a` and `b`: how many characters must be
/// added, removed or replaced, or neighbours swapped, to turn one into the other. Strings whose
/// lengths differ by more than [`MAX_EDITS`] are not compared (the answer is only "too far"),
/// so a huge input costs no more than its length.
fn edits(a: &[char], b: &[char]) -> usize {
    if a.len().abs_diff(b.len()) > MAX_EDITS {
        return MAX_EDITS + 1;
    }
    // Three rows of the table: i - 2, i - 1 and i.
    let mut before_previous = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let replace = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = replace.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before_previous[j - 2] + 1); // a swap of neighbours
            }
            current[j] = best;
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Says which requested scopes this version does not know, each on one line of stderr and as
/// one warning through the `log` facade, with the known scope it is near: a misspelled scope
/// otherwise goes unnoticed until Twitch refuses the login, or, where it does not, until the
/// token lacks what the program needs. Known scopes, deprecated ones included, say nothing.
///
/// Called at the start of `Helper::bind`.
pub(crate) fn warn_unknown(scopes: &[Scope]) {
    if scopes.is_empty() {
        // Valid, but such a token can only say who the user is: most likely a forgotten list.
        let warning = "no scopes requested: the token will carry none, so it can only identify \
                       the user; pass the scopes your app needs to Helper::new";
        eprintln!("twitch-auth: warning: {warning}");
        log::warn!("{warning}");
    }
    for scope in scopes.iter().filter(|scope| !scope.is_known()) {
        let warning = format!(
            "{}; Twitch refuses a misspelled scope (one newer than this version of twitch-auth \
             is fine)",
            UnknownScope::new(scope.as_str())
        );
        // stderr, like the crate's other notices, since most programs install no logger; `log`
        // for those that do, and route warnings elsewhere.
        eprintln!("twitch-auth: warning: {warning}");
        log::warn!("{warning}");
    }
    // Known, but Twitch no longer grants them: the login would end without them.
    for scope in scopes.iter().filter(|scope| scope.is_deprecated()) {
        let warning = format!(
            "scope \"{}\" is deprecated: Twitch no longer grants it, so the token will lack it \
             (Error::MissingScopes); leave it out",
            scope.as_str()
        );
        eprintln!("twitch-auth: warning: {warning}");
        log::warn!("{warning}");
    }
}

/// Twitch's refusal of a requested scope, as [`Error::InvalidScope`] naming it; any other error
/// is returned unchanged.
///
/// Twitch refuses on the login redirect with `error=invalid_scope` (which the listener reports
/// as [`Error::LoginFailed`], not knowing what was requested) and when a device login starts
/// with 400 `invalid scope requested: '<scope>'`. The scope named is one of `requested`: the
/// one Twitch's message quotes if it is among them, else the first one this version does not
/// know, else the first deprecated one. When none fits, the error is left as it was rather
/// than blame a scope at random.
pub(crate) fn name_refused_scope(err: Error, requested: &[Scope]) -> Error {
    let message = match &err {
        Error::LoginFailed { error, description } if error == "invalid_scope" => description,
        Error::Status {
            step: Step::StartDevice,
            status: 400,
            message,
            ..
        } if message.to_ascii_lowercase().starts_with("invalid scope") => message,
        _ => return err,
    };
    match refused_scope(message, requested) {
        Some(scope) => Error::InvalidScope {
            scope: scope.as_str().to_owned(),
        },
        None => err,
    }
}

/// Which of `requested` Twitch's `message` refused (see [`name_refused_scope`]).
fn refused_scope<'a>(message: &str, requested: &'a [Scope]) -> Option<&'a Scope> {
    // `invalid scope requested: 'chat:reed'`: between the first quote and the last.
    let quoted = message
        .split_once('\'')
        .and_then(|(_, rest)| rest.rsplit_once('\''))
        .map(|(quoted, _)| quoted);
    quoted
        .and_then(|quoted| requested.iter().find(|scope| scope.as_str() == quoted))
        .or_else(|| requested.iter().find(|scope| !scope.is_known()))
        .or_else(|| requested.iter().find(|scope| scope.is_deprecated()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `$typed` is refused by the strict parser, which suggests `$suggestion`.
    macro_rules! suggests {
        ($name:ident, $typed:expr, $suggestion:expr) => {
            #[test]
            #[allow(deprecated)] // some suggestions are deprecated scopes
            fn $name() {
                let typed: &str = $typed;
                let suggestion: Option<Scope> = $suggestion;
                match typed.parse::<Scope>() {
                    Err(err) => {
                        assert_eq!(err.scope(), typed);
                        assert_eq!(err.suggestion(), suggestion.as_ref(), "{typed:?}");
                        assert_eq!(nearest_known(typed), suggestion, "{typed:?}");
                    }
                    Ok(scope) => panic!("{typed:?} parsed to {scope:?}"),
                }
                assert!(!Scope::from(typed).is_known(), "{typed:?}");
            }
        };
    }

    suggests!(one_letter_replaced, "chat:reed", Some(Scope::ChatRead));
    suggests!(neighbours_swapped, "chat:raed", Some(Scope::ChatRead));
    suggests!(
        one_letter_missing,
        "moderator:read:chaters",
        Some(Scope::ModeratorReadChatters)
    );
    suggests!(
        one_letter_extra,
        "user:read:chats",
        Some(Scope::UserReadChat)
    );
    suggests!(two_edits, "bit:reed", Some(Scope::BitsRead));
    suggests!(upper_case, "CHAT:READ", Some(Scope::ChatRead));
    suggests!(spaces_around, " chat:edit ", Some(Scope::ChatEdit));
    suggests!(underscore_for_colon, "chat_read", Some(Scope::ChatRead));
    suggests!(
        near_a_deprecated_one,
        "whispers:edt",
        Some(Scope::WhispersEdit)
    );
    suggests!(
        colon_for_underscore,
        "channel:subscriptions",
        Some(Scope::ChannelSubscriptions)
    );
    // `channel:manage:ads` and `channel:manage:raids` are one edit away each: the first wins.
    suggests!(
        equally_near_two,
        "channel:manage:rads",
        Some(Scope::ChannelManageAds)
    );
    suggests!(three_edits_is_too_far, "chat:rxxx", None);
    suggests!(unrelated, "made:up", None);
    suggests!(empty, "", None);
    suggests!(two_scopes_in_one_string, "chat:read chat:edit", None);
    suggests!(non_ascii, "ünïcödé:scope", None);

    #[test]
    fn a_huge_string_is_refused_quickly_without_a_suggestion() {
        let huge = "chat:read".repeat(100_000);
        let started = std::time::Instant::now();
        let err = huge.parse::<Scope>().unwrap_err();
        assert_eq!(err.suggestion(), None);
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    }

    #[test]
    fn known_scopes_have_no_suggestion() {
        for scope in Scope::known() {
            assert_eq!(nearest_known(scope.as_str()), None, "{scope}");
        }
    }

    #[test]
    fn edit_counts() {
        let cases = [
            ("", "", 0),
            ("abc", "abc", 0),
            ("abc", "abd", 1),
            ("abc", "acb", 1),
            ("abc", "ab", 1),
            ("abc", "xabc", 1),
            ("abcd", "badc", 2),
            ("abc", "", 3),
            ("abcdef", "a", 3),
        ];
        for (a, b, want) in cases {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            assert_eq!(edits(&a, &b), want, "{a:?} {b:?}");
            assert_eq!(edits(&b, &a), want, "{b:?} {a:?}");
        }
    }

    #[test]
    fn messages_name_the_string_and_the_suggestion() {
        let cases = [
            (
                "chat:reed",
                r#"unknown scope "chat:reed", perhaps a misspelling of "chat:read""#,
            ),
            (
                "made:up",
                r#"unknown scope "made:up": not among the Twitch scopes this version knows"#,
            ),
            (
                "bad\u{1b}[31m",
                r#"unknown scope "bad\u{1b}[31m": not among the Twitch scopes this version knows"#,
            ),
        ];
        for (typed, want) in cases {
            let err = UnknownScope::new(typed);
            assert_eq!(err.to_string(), want);
        }
        fn check<T: std::error::Error + Send + Sync + 'static>() {}
        check::<UnknownScope>();
    }

    #[test]
    fn invalid_scope_messages_say_what_to_do() {
        let cases = [
            (
                "chat:reed",
                "the Twitch login refused the scope \"chat:reed\" as invalid, perhaps a \
                 misspelling of \"chat:read\": correct it in the scopes given to the Helper",
            ),
            (
                "whispers:edit",
                "the Twitch login refused the scope \"whispers:edit\" as invalid: Twitch no \
                 longer grants it, leave it out of the scopes given to the Helper",
            ),
            (
                "made:up",
                "the Twitch login refused the scope \"made:up\" as invalid: check its spelling \
                 against https://dev.twitch.tv/docs/authentication/scopes/, or leave it out of \
                 the scopes given to the Helper",
            ),
        ];
        for (scope, want) in cases {
            let err = Error::InvalidScope {
                scope: scope.to_owned(),
            };
            assert_eq!(err.to_string(), want);
            assert!(!err.is_transient() && !err.needs_login() && err.step().is_none());
        }
    }

    #[test]
    #[allow(deprecated)]
    fn refusals_name_one_of_the_requested_scopes() {
        let requested = [
            Scope::ChatRead,
            Scope::from("chat:reed"),
            Scope::from("x:y"),
        ];
        let cases: [(&str, &[Scope], Option<&str>); 6] = [
            ("invalid scope requested: 'x:y'", &requested, Some("x:y")),
            // Not one we asked for: the first unknown one we did.
            (
                "invalid scope requested: 'a:b'",
                &requested,
                Some("chat:reed"),
            ),
            ("Invalid scopes requested", &requested, Some("chat:reed")),
            ("", &requested, Some("chat:reed")),
            (
                "",
                &[Scope::ChatRead, Scope::WhispersEdit],
                Some("whispers:edit"),
            ),
            ("invalid scope requested: 'a:b'", &[Scope::ChatRead], None),
        ];
        for (message, requested, want) in cases {
            let got = refused_scope(message, requested).map(Scope::as_str);
            assert_eq!(got, want, "{message:?} {requested:?}");
        }
    }

    #[test]
    fn only_twitchs_refusals_become_invalid_scope() {
        let requested = [Scope::from("chat:reed")];
        let named = |err| match name_refused_scope(err, &requested) {
            Error::InvalidScope { scope } => Some(scope),
            _ => None,
        };
        let login_failed = |error: &str| Error::LoginFailed {
            error: error.to_owned(),
            description: "invalid scope requested: 'chat:reed'".to_owned(),
        };
        let status = |step, status, message: &str| Error::Status {
            step,
            status,
            message: message.to_owned(),
            retry_after: None,
        };
        let refused = "invalid scope requested: 'chat:reed'";
        assert_eq!(
            named(login_failed("invalid_scope")),
            Some("chat:reed".into())
        );
        assert_eq!(named(login_failed("server_error")), None);
        assert_eq!(
            named(status(Step::StartDevice, 400, refused)),
            Some("chat:reed".into())
        );
        assert_eq!(
            named(status(Step::StartDevice, 400, "invalid client")),
            None
        );
        assert_eq!(named(status(Step::StartDevice, 500, refused)), None);
        assert_eq!(named(status(Step::Refresh, 400, refused)), None);
        assert_eq!(named(Error::NoClientId), None);
    }
}
