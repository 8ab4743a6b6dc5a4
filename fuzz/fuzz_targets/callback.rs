//! The redirect callback: the input is a raw request head as the listener receives it
//! (`GET /callback?code=..&state=.. HTTP/1.1\r\nHost: ..\r\n\r\n`). The listener's own code
//! takes its request line apart and judges the target's path and query; the whole input is
//! judged as a target too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    twitch_auth::fuzzing::callback(data);
});
