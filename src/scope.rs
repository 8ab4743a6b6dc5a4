//! Twitch OAuth scopes: one variant per scope string Twitch knows, plus `Other`.
//!
//! The list of known scopes lives in one place, the `scopes!` table further down this file;
//! the macro turns each row into a [`Scope`] variant and its arms in [`Scope::as_str`],
//! [`Scope::description`], [`Scope::is_deprecated`], the parsers and [`Scope::known`].

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::UnknownScope;

/// Defines [`Scope`] and its table-driven methods.
///
/// Each row is `Variant => "scope:string", "Description.",`, optionally preceded by
/// `#[deprecated]` for a scope Twitch no longer grants. Attributes written before
/// `pub enum Scope` (docs, derives) are copied onto the enum; the macro appends
/// `Other(String)` as the last variant.
macro_rules! scopes {
    (@is_deprecated deprecated) => { true };
    (@is_deprecated) => { false };
    (
        $(#[$meta:meta])*
        pub enum Scope {
            $(
                $(#[$deprecated:ident])?
                $variant:ident => $scope:literal, $description:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        pub enum Scope {
            $(
                #[doc = concat!($description, " (`", $scope, "`)")]
                $(#[$deprecated(note = "Twitch no longer grants this scope; \
                    it is kept so that old tokens and settings still parse.")])?
                $variant,
            )*
            /// A scope string this version does not know, kept verbatim so it survives a
            /// round trip.
            ///
            /// Parsing never yields `Other` for a string that has its own variant. Building
            /// `Other` by hand from a known string (`Scope::Other("chat:read".into())`) gives
            /// a value that is *not* equal to [`Scope::ChatRead`]; use [`Scope::from`] or
            /// [`str::parse`] instead. It still counts as known ([`Scope::is_known`]).
            Other(String),
        }

        #[allow(deprecated)] // the arms name deprecated variants too
        impl Scope {
            /// Every known variant, in declaration order, deprecated ones included.
            const KNOWN: &'static [Scope] = &[$(Scope::$variant),*];

            /// The scope string Twitch uses, e.g. `"chat:read"`; for [`Scope::Other`], the
            /// string it holds.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Scope::$variant => $scope,)*
                    Scope::Other(scope) => scope,
                }
            }

            /// Whether Twitch has deprecated this scope and no longer grants it.
            ///
            /// Always `false` for [`Scope::Other`]: an unknown scope is not known to be
            /// deprecated.
            pub fn is_deprecated(&self) -> bool {
                match self {
                    $(Scope::$variant => scopes!(@is_deprecated $($deprecated)?),)*
                    Scope::Other(_) => false,
                }
            }

            /// Twitch's one-line description of what the scope allows, or `None` for
            /// [`Scope::Other`].
            pub fn description(&self) -> Option<&'static str> {
                match self {
                    $(Scope::$variant => Some($description),)*
                    Scope::Other(_) => None,
                }
            }

            /// The variant whose scope string is exactly `scope` (case-sensitive), if any.
            fn from_known(scope: &str) -> Option<Scope> {
                match scope {
                    $($scope => Some(Scope::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

impl Scope {
    /// Every scope this version knows, in declaration order, deprecated ones included
    /// (filter with [`Scope::is_deprecated`] to keep only the ones Twitch still grants).
    /// Never yields [`Scope::Other`].
    ///
    /// ```
    /// use twitch_auth::Scope;
    ///
    /// assert!(Scope::known().any(|scope| scope == Scope::ChatRead));
    /// let grantable = Scope::known().filter(|scope| !scope.is_deprecated());
    /// assert!(grantable.count() < Scope::known().len());
    /// ```
    pub fn known() -> impl ExactSizeIterator<Item = Scope> {
        Self::KNOWN.iter().cloned()
    }

    /// Whether this is one of the scopes this version knows, deprecated ones included: true for
    /// every variant but [`Scope::Other`], and for an `Other` built by hand from a known string.
    ///
    /// An unknown scope may be newer than this version, or misspelled: [`Helper::bind`]
    /// warns about each one it is asked for, and [`str::parse`] refuses them.
    ///
    /// [`Helper::bind`]: crate::Helper::bind
    ///
    /// ```
    /// use twitch_auth::Scope;
    ///
    /// assert!(Scope::ChatRead.is_known());
    /// assert!(!Scope::from("chat:reed").is_known());
    /// ```
    pub fn is_known(&self) -> bool {
        match self {
            Scope::Other(scope) => Scope::from_known(scope).is_some(),
            _ => true,
        }
    }
}

impl fmt::Display for Scope {
    /// Writes the scope string, e.g. `chat:read` (honours width and alignment flags).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Scope {
    /// `Scope("chat:read")` for a known scope, `Scope::Other("made:up")` for an unknown one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Other(scope) => f.debug_tuple("Scope::Other").field(scope).finish(),
            known => f.debug_tuple("Scope").field(&known.as_str()).finish(),
        }
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;

    /// The strict parser: the variant for a scope this version knows (deprecated ones
    /// included), else an [`UnknownScope`] error naming the known scope the string is near, if
    /// any. For scopes a person typed (a config file, a command line). The match is exact, as
    /// for [`Scope::from`], which keeps an unknown string instead of refusing it.
    fn from_str(scope: &str) -> Result<Self, Self::Err> {
        Scope::from_known(scope).ok_or_else(|| UnknownScope::new(scope))
    }
}

impl From<&str> for Scope {
    /// The variant for a known scope string, else [`Scope::Other`] holding a copy of it: never
    /// fails, so that a scope newer than this version can still be requested (and
    /// [`Helper::bind`](crate::Helper::bind) warns about it). The match is exact: no trimming,
    /// no case folding.
    fn from(scope: &str) -> Self {
        Scope::from_known(scope).unwrap_or_else(|| Scope::Other(scope.to_owned()))
    }
}

impl From<String> for Scope {
    /// Like `From<&str>`, reusing the string's allocation for [`Scope::Other`].
    fn from(scope: String) -> Self {
        match Scope::from_known(&scope) {
            Some(known) => known,
            None => Scope::Other(scope),
        }
    }
}

/// A copy, so that `Helper::new(&scopes)` takes a borrowed array or slice of scopes too.
impl From<&Scope> for Scope {
    fn from(scope: &Scope) -> Self {
        scope.clone()
    }
}

/// As `From<&str>`, so that `Helper::new(&["chat:read"])` (a borrowed array of strings) works.
impl From<&&str> for Scope {
    fn from(scope: &&str) -> Self {
        Scope::from(*scope)
    }
}

/// As `From<&str>`, for a borrowed list of owned strings (scopes read from a config file).
impl From<&String> for Scope {
    fn from(scope: &String) -> Self {
        Scope::from(scope.as_str())
    }
}

/// The scope's string, so that APIs taking scope strings take `&[Scope]` too.
impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for Scope {
    /// Serializes as the scope string, e.g. `"chat:read"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    /// Deserializes from a string; never fails on an unknown scope (it becomes
    /// [`Scope::Other`]), only on a non-string value.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScopeVisitor;

        impl serde::de::Visitor<'_> for ScopeVisitor {
            type Value = Scope;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Twitch OAuth scope string")
            }

            fn visit_str<E: serde::de::Error>(self, scope: &str) -> Result<Scope, E> {
                Ok(Scope::from(scope))
            }

            fn visit_string<E: serde::de::Error>(self, scope: String) -> Result<Scope, E> {
                Ok(Scope::from(scope))
            }
        }

        deserializer.deserialize_string(ScopeVisitor)
    }
}

// The table: one row per scope string Twitch documents, current scopes sorted by string,
// then the deprecated ones.
scopes! {
    /// An OAuth scope: one permission a Twitch user access token can carry.
    ///
    /// Every scope string Twitch documents has its own variant; any other string becomes
    /// [`Scope::Other`] holding it verbatim, so tokens carrying scopes newer than this crate
    /// still round-trip. Conversion from strings is exact (case-sensitive, no trimming) and
    /// comes in two kinds:
    ///
    /// - [`Scope::from`] (and serde) never fails: an unknown string becomes `Other`, since
    ///   Twitch adds scopes and a program must be able to request one newer than this crate.
    ///   [`Helper::bind`](crate::Helper::bind) warns on stderr and through `log` about each
    ///   unknown scope it is asked for.
    /// - [`str::parse`] ([`FromStr`]) is strict: it accepts only the scopes this version knows
    ///   (deprecated ones included) and otherwise returns an [`UnknownScope`] naming the known
    ///   scope the string is near, for checking scopes a person typed.
    ///
    /// [`Scope::as_str`] and `Display` give the string back, and serde (de)serializes a scope
    /// as that string.
    ///
    /// The enum is `#[non_exhaustive]` so variants can be added for new Twitch scopes; a
    /// string that parses to `Other` today may parse to its own variant in a later version.
    /// `Ord` follows declaration order, with every `Other` after the known scopes (ordered
    /// by string); it exists so scopes can go in a `BTreeSet`, not as a ranking.
    ///
    /// # Example
    ///
    /// ```
    /// use twitch_auth::Scope;
    ///
    /// let scope: Scope = "chat:read".parse()?;
    /// assert_eq!(scope, Scope::ChatRead);
    /// assert_eq!(scope.to_string(), "chat:read");
    /// assert!(!scope.is_deprecated());
    ///
    /// // The strict parser refuses a misspelling, and names the scope it is near.
    /// let typo = "chat:reed".parse::<Scope>().map_err(|err| err.to_string());
    /// let message = r#"unknown scope "chat:reed", perhaps a misspelling of "chat:read""#;
    /// assert_eq!(typo, Err(message.to_owned()));
    ///
    /// // The lenient conversion keeps a scope this version does not know: it may be newer.
    /// let unknown = Scope::from("made:up");
    /// assert_eq!(unknown, Scope::Other("made:up".to_owned()));
    /// assert_eq!(unknown.as_str(), "made:up");
    /// assert!(!unknown.is_known());
    /// # Ok::<(), twitch_auth::UnknownScope>(())
    /// ```
    #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
    #[non_exhaustive]
    pub enum Scope {
        AnalyticsReadExtensions => "analytics:read:extensions",
            "View analytics data for the Twitch Extensions owned by the authenticated account.",
        AnalyticsReadGames => "analytics:read:games",
            "View analytics data for the games owned by the authenticated account.",
        BitsRead => "bits:read",
            "View Bits information for a channel.",
        ChannelBot => "channel:bot",
            "Joins your channel’s chatroom as a bot user, and perform chat-related actions as that user.",
        ChannelEditCommercial => "channel:edit:commercial",
            "Run commercials on a channel.",
        ChannelManageAds => "channel:manage:ads",
            "Manage ads schedule on a channel.",
        ChannelManageBroadcast => "channel:manage:broadcast",
            "Manage a channel’s broadcast configuration, including updating channel configuration and managing stream markers and stream tags.",
        ChannelManageClips => "channel:manage:clips",
            "Manage Clips for a channel.",
        ChannelManageExtensions => "channel:manage:extensions",
            "Manage a channel’s Extension configuration, including activating Extensions.",
        ChannelManageGuestStar => "channel:manage:guest_star",
            "Manage Guest Star for your channel.",
        ChannelManageModerators => "channel:manage:moderators",
            "Add or remove the moderator role from users in your channel.",
        ChannelManagePolls => "channel:manage:polls",
            "Manage a channel’s polls.",
        ChannelManagePredictions => "channel:manage:predictions",
            "Manage of channel’s Channel Points Predictions",
        ChannelManageRaids => "channel:manage:raids",
            "Manage a channel raiding another channel.",
        ChannelManageRedemptions => "channel:manage:redemptions",
            "Manage Channel Points custom rewards and their redemptions on a channel.",
        ChannelManageSchedule => "channel:manage:schedule",
            "Manage a channel’s stream schedule.",
        ChannelManageVideos => "channel:manage:videos",
            "Manage a channel’s videos, including deleting videos.",
        ChannelManageVips => "channel:manage:vips",
            "Add or remove the VIP role from users in your channel.",
        ChannelModerate => "channel:moderate",
            "Perform moderation actions in a channel.",
        ChannelReadAds => "channel:read:ads",
            "Read the ads schedule and details on your channel.",
        ChannelReadCharity => "channel:read:charity",
            "Read charity campaign details and user donations on your channel.",
        ChannelReadEditors => "channel:read:editors",
            "View a list of users with the editor role for a channel.",
        ChannelReadGoals => "channel:read:goals",
            "View Creator Goals for a channel.",
        ChannelReadGuestStar => "channel:read:guest_star",
            "Read Guest Star details for your channel.",
        ChannelReadHypeTrain => "channel:read:hype_train",
            "View Hype Train information for a channel.",
        ChannelReadPolls => "channel:read:polls",
            "View a channel’s polls.",
        ChannelReadPredictions => "channel:read:predictions",
            "View a channel’s Channel Points Predictions.",
        ChannelReadRedemptions => "channel:read:redemptions",
            "View Channel Points custom rewards and their redemptions on a channel.",
        ChannelReadStreamKey => "channel:read:stream_key",
            "View an authorized user’s stream key.",
        ChannelReadSubscriptions => "channel:read:subscriptions",
            "View a list of all subscribers to a channel and check if a user is subscribed to a channel.",
        ChannelReadVips => "channel:read:vips",
            "Read the list of VIPs in your channel.",
        ChatEdit => "chat:edit",
            "Send chat messages to a chatroom using an IRC connection.",
        ChatRead => "chat:read",
            "View chat messages sent in a chatroom using an IRC connection.",
        ClipsEdit => "clips:edit",
            "Manage Clips for a channel.",
        EditorManageClips => "editor:manage:clips",
            "Manage Clips as an editor.",
        ModerationRead => "moderation:read",
            "View a channel’s moderation data including Moderators, Bans, Timeouts, and Automod settings.",
        ModeratorManageAnnouncements => "moderator:manage:announcements",
            "Send announcements in channels where you have the moderator role.",
        ModeratorManageAutomod => "moderator:manage:automod",
            "Manage messages held for review by AutoMod in channels where you are a moderator.",
        ModeratorManageAutomodSettings => "moderator:manage:automod_settings",
            "Manage a broadcaster’s AutoMod settings.",
        ModeratorManageBannedUsers => "moderator:manage:banned_users",
            "Ban and unban users.",
        ModeratorManageBlockedTerms => "moderator:manage:blocked_terms",
            "Manage a broadcaster’s list of blocked terms.",
        ModeratorManageChatMessages => "moderator:manage:chat_messages",
            "Delete chat messages in channels where you have the moderator role",
        ModeratorManageChatSettings => "moderator:manage:chat_settings",
            "Manage a broadcaster’s chat room settings.",
        ModeratorManageGuestStar => "moderator:manage:guest_star",
            "Manage Guest Star for channels where you are a Guest Star moderator.",
        ModeratorManageShieldMode => "moderator:manage:shield_mode",
            "Manage a broadcaster’s Shield Mode status.",
        ModeratorManageShoutouts => "moderator:manage:shoutouts",
            "Manage a broadcaster’s shoutouts.",
        ModeratorManageSuspiciousUsers => "moderator:manage:suspicious_users",
            "Manage suspicious user statuses in channels where the user has the moderator role.",
        ModeratorManageUnbanRequests => "moderator:manage:unban_requests",
            "Manage a broadcaster’s unban requests.",
        ModeratorManageWarnings => "moderator:manage:warnings",
            "Warn users in channels where you have the moderator role.",
        ModeratorReadAutomodSettings => "moderator:read:automod_settings",
            "View a broadcaster’s AutoMod settings.",
        ModeratorReadBannedUsers => "moderator:read:banned_users",
            "Read the list of bans or unbans in channels where you have the moderator role.",
        ModeratorReadBlockedTerms => "moderator:read:blocked_terms",
            "View a broadcaster’s list of blocked terms.",
        ModeratorReadChatMessages => "moderator:read:chat_messages",
            "Read deleted chat messages in channels where you have the moderator role.",
        ModeratorReadChatSettings => "moderator:read:chat_settings",
            "View a broadcaster’s chat room settings.",
        ModeratorReadChatters => "moderator:read:chatters",
            "View the chatters in a broadcaster’s chat room.",
        ModeratorReadFollowers => "moderator:read:followers",
            "Read the followers of a broadcaster.",
        ModeratorReadGuestStar => "moderator:read:guest_star",
            "Read Guest Star details for channels where you are a Guest Star moderator.",
        ModeratorReadModerators => "moderator:read:moderators",
            "Read the list of moderators in channels where you have the moderator role.",
        ModeratorReadShieldMode => "moderator:read:shield_mode",
            "View a broadcaster’s Shield Mode status.",
        ModeratorReadShoutouts => "moderator:read:shoutouts",
            "View a broadcaster’s shoutouts.",
        ModeratorReadSuspiciousUsers => "moderator:read:suspicious_users",
            "Read chat messages from suspicious users and see users flagged as suspicious in channels where the user has the moderator role.",
        ModeratorReadUnbanRequests => "moderator:read:unban_requests",
            "View a broadcaster’s unban requests.",
        ModeratorReadVips => "moderator:read:vips",
            "Read the list of VIPs in channels where you have the moderator role.",
        ModeratorReadWarnings => "moderator:read:warnings",
            "Read warnings in channels where you have the moderator role.",
        UserBot => "user:bot",
            "Join a specified chat channel as your user and appear as a bot, and perform chat-related actions as your user.",
        UserEdit => "user:edit",
            "Manage a user object.",
        UserEditBroadcast => "user:edit:broadcast",
            "View and edit a user’s broadcasting configuration, including Extension configurations.",
        UserManageBlockedUsers => "user:manage:blocked_users",
            "Manage the block list of a user.",
        UserManageChatColor => "user:manage:chat_color",
            "Update the color used for the user’s name in chat.",
        UserManageWhispers => "user:manage:whispers",
            "Receive whispers sent to your user, and send whispers on your user’s behalf.",
        UserReadBlockedUsers => "user:read:blocked_users",
            "View the block list of a user.",
        UserReadBroadcast => "user:read:broadcast",
            "View a user’s broadcasting configuration, including Extension configurations.",
        UserReadChat => "user:read:chat",
            "Receive chatroom messages and informational notifications relating to a channel’s chatroom.",
        UserReadEmail => "user:read:email",
            "View a user’s email address.",
        UserReadEmotes => "user:read:emotes",
            "View emotes available to a user",
        UserReadFollows => "user:read:follows",
            "View the list of channels a user follows.",
        UserReadModeratedChannels => "user:read:moderated_channels",
            "Read the list of channels you have moderator privileges in.",
        UserReadSubscriptions => "user:read:subscriptions",
            "View if an authorized user is subscribed to specific channels.",
        UserReadWhispers => "user:read:whispers",
            "Receive whispers sent to your user.",
        UserWriteChat => "user:write:chat",
            "Send chat messages to a chatroom.",
        WhispersRead => "whispers:read",
            "Receive whisper messages for your user using PubSub.",
        #[deprecated]
        ChannelSubscriptions => "channel_subscriptions",
            "Read all subscribers to your channel.",
        #[deprecated]
        UserEditFollows => "user:edit:follows",
            "Was previously used for “Create User Follows” and “Delete User Follows.",
        #[deprecated]
        WhispersEdit => "whispers:edit",
            "Send whisper messages.",
    }
}

/// Scopes as Twitch's endpoints take them: space-separated.
pub(crate) fn space_separated(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(Scope::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scopes as a set: sorted, each once.
pub(crate) fn sorted(scopes: Vec<Scope>) -> Vec<Scope> {
    scopes
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The requested scopes that `granted` lacks, compared as sets.
pub(crate) fn missing(requested: &[Scope], granted: &[Scope]) -> Vec<Scope> {
    requested
        .iter()
        .filter(|scope| !granted.contains(scope))
        .cloned()
        .collect()
}

/// [`Error::MissingScopes`](crate::Error::MissingScopes) naming the requested scopes that
/// `granted` lacks, if any.
pub(crate) fn require(requested: &[Scope], granted: &[Scope]) -> Result<(), crate::Error> {
    let missing = missing(requested, granted);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::MissingScopes { missing })
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;
    use std::collections::{BTreeSet, HashSet};

    /// How many rows the table has: 81 current scopes and 3 deprecated ones.
    const KNOWN_COUNT: usize = 84;

    #[test]
    fn known_lists_every_row() {
        assert_eq!(Scope::known().count(), KNOWN_COUNT);
        assert_eq!(Scope::known().len(), KNOWN_COUNT);
        assert!(Scope::known().all(|scope| !matches!(scope, Scope::Other(_))));
    }

    #[test]
    fn every_known_scope_round_trips() {
        for scope in Scope::known() {
            let string = scope.as_str();
            assert_eq!(string.parse::<Scope>(), Ok(scope.clone()), "{string}");
            assert!(scope.is_known(), "{string}");
            assert_eq!(Scope::from(string), scope, "{string}");
            assert_eq!(Scope::from(string.to_owned()), scope, "{string}");
            assert_eq!(scope.to_string(), string);
            let description = scope.description().unwrap_or_default();
            assert!(!description.is_empty(), "{string} has no description");
        }
    }

    #[test]
    fn known_strings_and_variants_are_unique() {
        let strings: HashSet<&str> = Scope::KNOWN.iter().map(Scope::as_str).collect();
        assert_eq!(strings.len(), KNOWN_COUNT);
        let variants: HashSet<Scope> = Scope::known().collect();
        assert_eq!(variants.len(), KNOWN_COUNT);
    }

    #[test]
    fn known_strings_look_like_scopes() {
        for scope in Scope::known() {
            let string = scope.as_str();
            assert!(
                !string.is_empty()
                    && string
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b':' || b == b'_')
                    && !string.starts_with([':', '_'])
                    && !string.ends_with([':', '_']),
                "odd scope string {string:?}"
            );
        }
    }

    #[test]
    #[allow(deprecated)]
    fn exactly_three_known_scopes_are_deprecated() {
        let deprecated: Vec<Scope> = Scope::known().filter(Scope::is_deprecated).collect();
        assert_eq!(
            deprecated,
            [
                Scope::ChannelSubscriptions,
                Scope::UserEditFollows,
                Scope::WhispersEdit
            ]
        );
    }

    #[test]
    #[allow(deprecated)]
    fn variant_names_follow_the_strings() {
        let cases = [
            ("chat:read", Scope::ChatRead),
            ("bits:read", Scope::BitsRead),
            ("user:edit", Scope::UserEdit),
            ("user:edit:follows", Scope::UserEditFollows),
            ("channel_subscriptions", Scope::ChannelSubscriptions),
            ("whispers:edit", Scope::WhispersEdit),
            (
                "moderator:manage:chat_settings",
                Scope::ModeratorManageChatSettings,
            ),
            (
                "user:read:moderated_channels",
                Scope::UserReadModeratedChannels,
            ),
        ];
        for (string, scope) in cases {
            assert_eq!(Scope::from(string), scope);
            assert_eq!(scope.as_str(), string);
        }
    }

    #[test]
    #[allow(deprecated)]
    fn descriptions_and_deprecation_flags() {
        let cases = [
            (
                Scope::BitsRead,
                Some("View Bits information for a channel."),
                false,
            ),
            (Scope::WhispersEdit, Some("Send whisper messages."), true),
            (Scope::Other("made:up".to_owned()), None, false),
        ];
        for (scope, description, deprecated) in cases {
            assert_eq!(scope.description(), description, "{scope:?}");
            assert_eq!(scope.is_deprecated(), deprecated, "{scope:?}");
        }
    }

    #[test]
    fn unknown_strings_become_other_verbatim_and_back() {
        let cases = [
            "made:up",
            "",
            "CHAT:READ",
            " chat:read",
            "chat:read ",
            "chat:read:",
            "chat:read chat:edit",
            "channel:subscriptions",
            "ünïcödé:scope",
        ];
        for string in cases {
            let parsed = Scope::from(string);
            assert_eq!(parsed, Scope::Other(string.to_owned()), "{string:?}");
            assert!(!parsed.is_known(), "{string:?}");
            assert_eq!(Scope::from(string.to_owned()), parsed);
            assert_eq!(parsed.as_str(), string);
            assert_eq!(parsed.to_string(), string);
            assert_eq!(parsed.description(), None);
            assert!(!parsed.is_deprecated());
            assert_eq!(Scope::from(parsed.as_str()), parsed);
            let refused = string
                .parse::<Scope>()
                .map_err(|err| err.scope().to_owned());
            assert_eq!(
                refused,
                Err(string.to_owned()),
                "the strict parser refuses it"
            );
        }
    }

    #[test]
    fn hand_built_other_with_a_known_string_normalises_on_reparse() {
        let hand_built = Scope::Other("chat:read".to_owned());
        assert_ne!(hand_built, Scope::ChatRead);
        assert_eq!(Scope::from(hand_built.to_string()), Scope::ChatRead);
        assert!(hand_built.is_known(), "its string is a known scope");
    }

    /// Twitch's list of scopes (`scope`, `status`, `description`, tab-separated, one header
    /// line), as gathered from its documentation.
    const SCOPES_TSV: &str = include_str!("../tests/data/scopes.tsv");

    #[test]
    fn every_scopes_tsv_row_parses_strictly_to_its_row_of_the_table() {
        let mut rows = 0;
        for line in SCOPES_TSV.lines().skip(1) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [string, status, description] = fields[..] else {
                panic!("not a scopes.tsv row: {line:?}");
            };
            let parsed = string.parse::<Scope>();
            let Ok(scope) = parsed else {
                panic!("{string} is refused: {parsed:?}");
            };
            assert!(scope.is_known(), "{string}");
            assert_eq!(scope.as_str(), string);
            assert_eq!(scope.is_deprecated(), status == "deprecated", "{string}");
            assert_eq!(scope.description(), Some(description), "{string}");
            rows += 1;
        }
        assert_eq!(
            rows,
            Scope::known().len(),
            "one table row per scopes.tsv line"
        );
    }

    #[test]
    fn serde_round_trip_as_strings() {
        let scopes = vec![Scope::ChatRead, Scope::from("made:up")];
        let json = serde_json::to_string(&scopes).unwrap();
        assert_eq!(json, r#"["chat:read","made:up"]"#);
        let back: Vec<Scope> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, scopes);
    }

    #[test]
    fn serde_accepts_owned_and_escaped_strings() {
        // `from_value` hands the visitor an owned String; an escape forces a copied &str.
        let owned: Scope = serde_json::from_value(serde_json::json!("chat:read")).unwrap();
        assert_eq!(owned, Scope::ChatRead);
        let escaped: Scope = serde_json::from_str(r#""chat\u003aread""#).unwrap();
        assert_eq!(escaped, Scope::ChatRead);
        let unknown: Scope = serde_json::from_value(serde_json::json!("made:up")).unwrap();
        assert_eq!(unknown, Scope::Other("made:up".to_owned()));
    }

    #[test]
    fn serde_rejects_non_strings() {
        for json in ["42", "null", r#"["chat:read"]"#, r#"{"scope":"chat:read"}"#] {
            let error = serde_json::from_str::<Scope>(json).unwrap_err();
            assert!(
                error.to_string().contains("a Twitch OAuth scope string"),
                "{json}: {error}"
            );
        }
    }

    #[test]
    fn display_and_debug() {
        let cases = [
            (Scope::ChatRead, "chat:read", r#"Scope("chat:read")"#),
            (
                Scope::ModeratorManageChatSettings,
                "moderator:manage:chat_settings",
                r#"Scope("moderator:manage:chat_settings")"#,
            ),
            (
                Scope::Other("made:up".to_owned()),
                "made:up",
                r#"Scope::Other("made:up")"#,
            ),
        ];
        for (scope, display, debug) in cases {
            assert_eq!(scope.to_string(), display);
            assert_eq!(format!("{scope:?}"), debug);
        }
        assert_eq!(format!("[{:>10}]", Scope::ChatRead), "[ chat:read]");
    }

    #[test]
    fn usable_in_sorted_and_hashed_sets() {
        let scopes = [
            Scope::from("zzz:unknown"),
            Scope::ChatRead,
            Scope::from("aaa:unknown"),
            Scope::ChatEdit,
            Scope::ChatRead,
            Scope::BitsRead,
        ];
        let sorted: BTreeSet<Scope> = scopes.iter().cloned().collect();
        let sorted: Vec<&str> = sorted.iter().map(Scope::as_str).collect();
        // Known scopes in declaration order, then every `Other` ordered by string.
        assert_eq!(
            sorted,
            [
                "bits:read",
                "chat:edit",
                "chat:read",
                "aaa:unknown",
                "zzz:unknown"
            ]
        );
        let hashed: HashSet<Scope> = scopes.into_iter().collect();
        assert_eq!(hashed.len(), 5);
        assert!(hashed.contains(&Scope::from("chat:read")));
    }
}
