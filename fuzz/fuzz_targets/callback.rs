//! The redirect callback: the input is a raw request head as the listener receives it
//! (`GET /callback?code=..&state=.. HTTP/1.1\r\nHost: ..\r\n\r\n`).
//!
//! The request line is split as tiny_http does (first line, trimmed, `METHOD TARGET VERSION` on
//! spaces) and its target goes to the listener's judgement of path and query. The whole input
//! goes too, as a target, so the query parser also sees what no request line would carry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    // tiny_http rejects a request line that is not ASCII; skip what is not even UTF-8.
    if let Ok(line) = std::str::from_utf8(line) {
        let mut parts = line.trim().split(' ');
        if let (Some(_method), Some(target)) = (parts.next(), parts.next()) {
            twitch_auth::fuzzing::callback(target);
        }
    }
    twitch_auth::fuzzing::callback(&String::from_utf8_lossy(data));
});
