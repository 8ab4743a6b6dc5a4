//! The token file parser: any bytes, as read from `user_token.json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    twitch_auth::fuzzing::token_file(data);
});
