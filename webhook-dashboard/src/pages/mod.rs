//! The pages: HTML built on the server, every value escaped ([`crate::html`]), readable on a
//! phone, no script (the chart is inline SVG).

mod chart;
mod dead;
mod delivery;
mod index;

use std::fmt::Write as _;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Answer;
use crate::html::Escaped;

pub(crate) use dead::{dead_letters, replay_dead, replay_row};
pub(crate) use delivery::{kept_delivery, logged_delivery};
pub(crate) use index::index;

/// The page around `body` (already HTML), with a link home unless it is home.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><title>{0}</title><style>{STYLE}</style><h1>{0}</h1>{body}</html>",
        Escaped(title)
    )
}

/// A page of one sentence (plain text, escaped).
pub(crate) fn message(title: &str, text: &str) -> String {
    page(title, &format!("<p>{}</p>", Escaped(text)))
}

/// The `401` page.
pub(crate) fn login() -> String {
    message("Log in", "The dashboard needs its access token.")
}

/// `404`.
pub(crate) fn not_found() -> Answer {
    Answer::html(
        404,
        message(
            "Not found",
            "No such page or delivery (the log keeps only the latest).",
        ),
    )
}

/// `503` with `Retry-After`: the queue or inbox did not answer. Its error stays in the
/// server's log (it may name a host); the page says only what failed.
fn unavailable(what: &str) -> Answer {
    let mut answer = Answer::html(
        503,
        message(
            "Unavailable",
            &format!("The {what} did not answer; try again."),
        ),
    );
    answer.headers.push(("retry-after", "5"));
    answer
}

/// A `<p class=unavailable>` in place of a section whose store did not answer.
fn unavailable_section(body: &mut String, what: &str) {
    let _ = write!(
        body,
        "<p class=unavailable>The {} did not answer.</p>",
        Escaped(what)
    );
}

/// A time as RFC 3339, whole seconds, UTC.
fn rfc3339(at: std::time::SystemTime) -> String {
    OffsetDateTime::from(at)
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A form posting `field=value` to `replay`, with the CSRF token. `base` leads from the page to
/// the dashboard's root (`""` or `"../"`).
fn replay_button(body: &mut String, base: &str, csrf: &str, field: &str, value: &str) {
    let _ = write!(
        body,
        "<form method=post action=\"{base}replay\"><input type=hidden name=csrf value=\"{csrf}\"><input type=hidden name={field} value=\"{}\"><button>replay</button></form>",
        Escaped(value)
    );
}

/// A body as text: pretty-printed when it is JSON, as received when it is other UTF-8, a hex
/// dump when it is not UTF-8; with a note when only its first bytes were kept.
fn body_section(body: &mut String, bytes: &[u8], full_len: usize) {
    body.push_str("<h2>Body</h2>");
    if bytes.len() < full_len {
        let _ = write!(body, "<p>First {} of {full_len} bytes.</p>", bytes.len());
    }
    let shown = match std::str::from_utf8(bytes) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_else(|_| text.to_owned()),
            Err(_) => text.to_owned(),
        },
        Err(_) => hex_dump(bytes),
    };
    let _ = write!(body, "<pre id=body>{}</pre>", Escaped(&shown));
}

/// A table of headers.
fn headers_section<'a>(body: &mut String, headers: impl IntoIterator<Item = (&'a str, &'a str)>) {
    body.push_str("<h2>Headers</h2><table id=headers>");
    for (name, value) in headers {
        let _ = write!(body, "<tr><th>{}<td>{}", Escaped(name), Escaped(value));
    }
    body.push_str("</table>");
}

/// Sixteen bytes a line, as hex.
fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x} ", i * 16);
        for byte in line {
            let _ = write!(out, " {byte:02x}");
        }
        out.push('\n');
    }
    out
}

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:1em;max-width:70em}table{border-collapse:collapse;display:block;overflow-x:auto}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}pre{overflow-x:auto;background:#f6f6f6;padding:.6em;white-space:pre-wrap;word-break:break-all}.refused td,.dead td{color:#a00}.duplicate td{color:#777}ul.counts{padding:0}ul.counts li{display:inline-block;margin-right:1em}svg{width:100%;height:auto;max-width:60em}.legend span{margin-right:1em}form{display:inline;margin:0}.unavailable{color:#a00}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_show_as_pretty_json_text_or_hex_always_escaped() {
        let mut out = String::new();
        body_section(&mut out, br#"{"a":"<b>"}"#, 11);
        assert!(
            out.contains("&quot;a&quot;: &quot;&lt;b&gt;&quot;"),
            "{out}"
        );
        let mut out = String::new();
        body_section(&mut out, &[0xff, 0x00, 0x41], 10);
        assert!(
            out.contains("First 3 of 10 bytes") && out.contains("ff 00 41"),
            "{out}"
        );
    }
}
