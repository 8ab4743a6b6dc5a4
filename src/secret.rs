//! Secret strings: access and refresh tokens, the client secret, the login code and CSRF state.
//!
//! Each is a newtype whose `Debug` prints `Name([redacted])` and which has no `Display`, so a
//! container that derives `Debug` can never print a secret by accident. The value is reachable only
//! through `secret()`, which makes every place a secret leaves the crate easy to find.

use std::fmt;

macro_rules! secret_type {
    ($(#[$doc:meta])* $vis:vis $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, serde::Deserialize)]
        #[serde(transparent)]
        $vis struct $name(String);

        impl $name {
            /// Wraps a secret value.
            #[allow(dead_code)]
            $vis fn new(secret: impl Into<String>) -> Self {
                Self(secret.into())
            }

            /// The secret itself.
            ///
            /// # Security
            /// Whoever reads this value can act with it: keep it out of logs, URLs and error
            /// messages.
            $vis fn secret(&self) -> &str {
                &self.0
            }

            /// The secret itself, consuming the wrapper.
            ///
            /// # Security
            /// As for [`secret`](Self::secret).
            #[allow(dead_code)]
            $vis fn into_secret(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A user access token, sent to Helix as `Authorization: Bearer <token>`.
    ///
    /// `Debug` prints `AccessToken([redacted])`; there is no `Display`.
    ///
    /// ```
    /// let token = twitch_auth::AccessToken::new("abc123");
    /// assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
    /// assert_eq!(token.secret(), "abc123");
    /// ```
    pub AccessToken
);

/// Whether `token` could be a token at all: not empty, visible ASCII only (no space, no line
/// break), so that it can travel in a form body or a header as it is.
pub(crate) fn is_token_shaped(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

impl AccessToken {
    /// The `Authorization` header's value for it: `Bearer <token>`.
    pub(crate) fn bearer(&self) -> String {
        format!("Bearer {}", self.secret())
    }

    /// Whether `authorization` (a header value from [`bearer`](Self::bearer), or the bare
    /// token) carries this token.
    pub(crate) fn is_carried_by(&self, authorization: &str) -> bool {
        authorization
            .strip_prefix("Bearer ")
            .unwrap_or(authorization)
            == self.secret()
    }
}

secret_type!(
    /// A refresh token, exchanged for a new access token when the old one expires.
    ///
    /// For Public clients a refresh token is single use: spending it twice can revoke the user's
    /// grant. `Debug` prints `RefreshToken([redacted])`; there is no `Display`.
    pub RefreshToken
);

secret_type!(
    /// The client secret of a Confidential Twitch app.
    ///
    /// `Debug` prints `ClientSecret([redacted])`; there is no `Display`.
    pub ClientSecret
);

secret_type!(
    /// The one-time authorization code the login redirect carries.
    pub(crate) AuthCode
);

secret_type!(
    /// The `device_code` of a device login: whoever has it can collect the user's token.
    pub(crate) DeviceCodeSecret
);

secret_type!(
    /// The CSRF `state` of one login: 128 bits from the OS, as 32 hex digits.
    pub(crate) CsrfState
);

impl CsrfState {
    /// A new state from the operating system's random source.
    pub(crate) fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// Compares in constant time, so the listener's answer time says nothing about the state.
    pub(crate) fn matches(&self, other: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), other.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let cases = [
            (
                format!("{:?}", AccessToken::new("a1")),
                "AccessToken([redacted])",
            ),
            (
                format!("{:?}", RefreshToken::new("r1")),
                "RefreshToken([redacted])",
            ),
            (
                format!("{:?}", ClientSecret::new("s1")),
                "ClientSecret([redacted])",
            ),
            (format!("{:?}", AuthCode::new("c1")), "AuthCode([redacted])"),
            (
                format!("{:?}", DeviceCodeSecret::new("d1")),
                "DeviceCodeSecret([redacted])",
            ),
            (
                format!("{:?}", CsrfState::new("x1")),
                "CsrfState([redacted])",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn states_are_128_bit_and_fresh() {
        let a = CsrfState::random().unwrap();
        let b = CsrfState::random().unwrap();
        assert_eq!(a.secret().len(), 32);
        assert!(a.secret().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(a.matches(a.secret()));
        assert!(!a.matches(b.secret()));
        assert!(!a.matches(""));
    }
}
