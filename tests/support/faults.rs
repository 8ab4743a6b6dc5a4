//! The faults every fault matrix uses, one constructor each, so the matrices read as tables.

use std::time::Duration;

use twitch_auth::mock::Fault;

pub fn html_502() -> Fault {
    Fault::status(502, "<html><body>Bad Gateway</body></html>")
}
pub fn json_500() -> Fault {
    Fault::json(500, r#"{"status":500,"message":"Internal Server Error"}"#)
}
pub fn rate_limited() -> Fault {
    Fault::RateLimited { retry_after: 30 }
}
/// Past the tests' HTTP timeout (1 s).
pub fn no_answer() -> Fault {
    Fault::Delay(Duration::from_secs(30))
}
pub fn invalid_json() -> Fault {
    Fault::json(200, "{not json")
}
pub fn wrong_shape() -> Fault {
    Fault::json(200, r#"{"hello":["world"]}"#)
}
/// A 200 KB answer whose one field is `key`.
pub fn large_body(key: &str) -> Fault {
    Fault::json(200, &format!(r#"{{"{key}":"{}"}}"#, "x".repeat(200_000)))
}
