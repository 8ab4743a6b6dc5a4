//! The parsers of Twitch's JSON answers (validate, token, device and error bodies): any bytes, as
//! an answer's body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    twitch_auth::fuzzing::answer(data);
});
