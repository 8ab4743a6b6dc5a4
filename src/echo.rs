//! A server or proxy that echoes the request back in an error body must not put a secret into
//! an error message: what counts as an echo.

/// The shortest part of a secret whose echo drops a message; a shorter secret counts whole.
/// Long enough that Twitch's own words ("invalid client secret") do not match a secret by chance,
/// short enough that what is left of a secret is not worth much.
pub(crate) const ECHO_RUN: usize = 8;

/// Whether `message` repeats [`ECHO_RUN`] characters in a row of one of the secrets (all of a
/// shorter one), in any letter case, as sent or as the form body encoded it (`+` or `%20` for a
/// space). A proxy or server that echoes the request may also change its case or cut it short.
pub(crate) fn echoes(message: &str, sent: &[&str]) -> bool {
    // Both cases, because case mappings are not one to one (`ß` upper-cases to `SS`).
    let cases: [fn(&str) -> String; 2] = [str::to_lowercase, str::to_uppercase];
    sent.iter()
        .filter(|secret| !secret.is_empty())
        .any(|secret| {
            let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            let spaced = encoded.replace('+', "%20");
            [*secret, &encoded, &spaced].into_iter().any(|form| {
                cases
                    .iter()
                    .any(|case| shares_a_run(&case(message), &case(form)))
            })
        })
}

/// Whether `text` holds [`ECHO_RUN`] characters in a row of `secret`, or all of a shorter one.
fn shares_a_run(text: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    // At least 1: `windows(0)` panics, and an empty secret shares nothing.
    let run = ECHO_RUN.min(chars.len()).max(1);
    chars
        .windows(run)
        .any(|run| text.contains(&run.iter().collect::<String>()))
}
