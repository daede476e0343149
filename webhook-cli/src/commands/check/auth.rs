//! What must be accepted (`valid`, `raw-body`) and what refused: forgeries, stale and future
//! timestamps, other methods.

use http::Method;
use serde_json::Value;

use super::delivery::{Answer, Delivery, Tester};
use super::{CheckId, Verdict};
use crate::ids;
use crate::output::printable;

/// How far from now `stale-timestamp` and `future-timestamp` sign: an hour, beyond every
/// provider's tolerance.
const SKEW_SECS: i64 = 3600;

/// `valid`: a correctly signed delivery gets a 2xx within the deadline.
pub async fn valid(t: &Tester) -> Verdict {
    let event = t.event(CheckId::Valid)?;
    let delivery = t.sign(&event.id, &event.body)?;
    let answer = t.post(&delivery).await?;
    accepted(&answer)?;
    t.accepted(&event, CheckId::Valid);
    Ok(answer.describe())
}

/// `raw-body`: the same kind of delivery, its JSON spaced out, its keys in another order and the
/// first character of every string escaped as `\uXXXX`.
pub async fn raw_body(t: &Tester) -> Verdict {
    let event = t.event(CheckId::RawBody)?;
    let value: Value = serde_json::from_slice(&event.body).map_err(|err| err.to_string())?;
    let mut text = String::new();
    unusual(&value, 0, &mut text);
    let delivery = t.sign(&event.id, text.as_bytes())?;
    let answer = t.post(&delivery).await?;
    accepted(&answer).map_err(|refused| {
        format!("{refused}: the receiver verified something other than the raw bytes it received")
    })?;
    t.accepted(&event, CheckId::RawBody);
    Ok(format!(
        "{}, {} bytes of unusual JSON",
        answer.describe(),
        text.len()
    ))
}

/// The forgeries and the timestamps out of tolerance: each refused with 401 or 403, and the
/// answer holds no signature the receiver expected.
pub async fn forgery(t: &Tester, check: CheckId) -> Verdict {
    let event = t.event(check)?;
    let signed = t.sign(&event.id, &event.body)?;
    let now = ids::now_unix();
    let sent = match check {
        CheckId::TamperedBody => Delivery {
            body: tamper(&signed.body),
            ..signed
        },
        CheckId::WrongSecret => t.sign_wrong(&event.id, &event.body)?,
        CheckId::MissingSignature => Delivery {
            headers: without(&signed.headers, &t.signature_headers()),
            ..signed
        },
        CheckId::MalformedSignature => {
            let names = t.signature_headers();
            let mut headers = without(&signed.headers, &names);
            headers.extend(names.into_iter().map(|n| (n, "malformed!!".to_owned())));
            Delivery { headers, ..signed }
        }
        CheckId::ReplayedSignature => {
            let other = t.event(check)?;
            let other_signed = t.sign(&other.id, &other.body)?;
            Delivery {
                headers: other_signed.headers,
                body: signed.body,
            }
        }
        CheckId::StaleTimestamp => t.sign_at(&event.id, now - SKEW_SECS, &event.body)?,
        CheckId::FutureTimestamp => t.sign_at(&event.id, now + SKEW_SECS, &event.body)?,
        _ => return Err(format!("{} is not a forgery", check.name())),
    };
    let answer = t.post(&sent).await?;
    refused(&answer)?;
    // What the receiver would have expected, with the right secret, for what was sent (the same
    // timestamp: a stale delivery's own signature is not a leak).
    let timestamp = match check {
        CheckId::StaleTimestamp => now - SKEW_SECS,
        CheckId::FutureTimestamp => now + SKEW_SECS,
        _ => now,
    };
    let expected = t.sign_at(&event.id, timestamp, &sent.body)?;
    if let Some(leak) = leaked(&expected, &sent, &answer) {
        return Err(format!(
            "{}, and the answer holds the expected signature ({}...)",
            answer.status,
            &leak[..leak.len().min(8)]
        ));
    }
    Ok(answer.describe())
}

/// `wrong-method`: GET and PUT of a valid delivery refused with a 4xx (405 best).
pub async fn wrong_method(t: &Tester) -> Verdict {
    let event = t.event(CheckId::WrongMethod)?;
    let delivery = t.sign(&event.id, &event.body)?;
    let mut seen = Vec::new();
    for method in [Method::GET, Method::PUT] {
        let answer = t.send_method(method.clone(), &delivery).await?;
        if !answer.status.is_client_error() {
            return Err(format!("{method} answered {}", describe(&answer)));
        }
        seen.push(format!("{method} {}", answer.status.as_u16()));
    }
    Ok(seen.join(", "))
}

/// Ok for a 2xx; else what was answered.
pub fn accepted(answer: &Answer) -> Result<(), String> {
    if answer.status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", describe(answer)))
    }
}

/// Ok for 401 or 403; else why that is wrong.
fn refused(answer: &Answer) -> Result<(), String> {
    let status = answer.status;
    match status.as_u16() {
        401 | 403 => Ok(()),
        200..=299 => Err(format!("accepted: {}", describe(answer))),
        500..=599 => Err(format!(
            "answered {}: a sender retries a 5xx, so the forgery comes back",
            describe(answer)
        )),
        _ => Err(format!("answered {}, not 401 or 403", describe(answer))),
    }
}

/// `401 Unauthorized in 3 ms: {"error":"..."}`, the body cut to 120 characters.
pub fn describe(answer: &Answer) -> String {
    let body = answer.text.rsplit('\n').next().unwrap_or_default();
    let body: String = printable(body).chars().take(120).collect();
    if body.is_empty() {
        answer.describe()
    } else {
        format!("{}: {body}", answer.describe())
    }
}

/// `headers` without those named in `names` (any case).
fn without(headers: &[(String, String)], names: &[String]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !names.iter().any(|n| n.eq_ignore_ascii_case(name)))
        .cloned()
        .collect()
}

/// `body` with the case of its last letter inside a JSON string changed: still valid JSON, no
/// longer what was signed.
fn tamper(body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    let (mut in_string, mut escaped, mut last) = (false, false, None);
    for (i, &b) in body.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if in_string && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_string = !in_string;
        } else if in_string && b.is_ascii_alphabetic() {
            last = Some(i);
        }
    }
    match last {
        Some(i) => body[i] ^= 0x20,
        None => body.push(b' '),
    }
    body
}

/// A signature value of `expected` (at least 16 characters long, not one that was sent) found in
/// the answer.
fn leaked(expected: &Delivery, sent: &Delivery, answer: &Answer) -> Option<String> {
    let tokens = |d: &Delivery| -> Vec<String> {
        d.headers
            .iter()
            .flat_map(|(_, value)| {
                value
                    .split([',', ';', '=', ' '])
                    .filter(|t| t.len() >= 16)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let sent = tokens(sent);
    tokens(expected)
        .into_iter()
        .filter(|t| !sent.contains(t))
        .find(|t| answer.text.contains(t.as_str()))
}

/// Writes `value` as legal JSON no sender's library writes: spaces around `:`, one field per
/// line, fields in reverse order, the first character of every string as a `\uXXXX` escape.
fn unusual(value: &Value, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth + 1);
    match value {
        Value::Object(map) => {
            out.push_str("{\n");
            let fields: Vec<_> = map.iter().rev().collect();
            for (i, (name, field)) in fields.iter().enumerate() {
                out.push_str(&indent);
                escaped_string(name, out);
                out.push_str(" :  ");
                unusual(field, depth + 1, out);
                out.push_str(if i + 1 < fields.len() { " ,\n" } else { "\n" });
            }
            out.push_str(&"  ".repeat(depth));
            out.push('}');
        }
        Value::Array(items) => {
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" , ");
                }
                unusual(item, depth + 1, out);
            }
            out.push_str(" ]");
        }
        Value::String(text) => escaped_string(text, out),
        other => out.push_str(&other.to_string()),
    }
}

fn escaped_string(text: &str, out: &mut String) {
    let mut chars = text.chars();
    out.push('"');
    if let Some(first) = chars.next() {
        let mut units = [0u16; 2];
        for unit in first.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    }
    let rest = Value::String(chars.as_str().to_owned()).to_string();
    out.push_str(&rest[1..rest.len() - 1]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_json_means_the_same() {
        let value =
            serde_json::json!({"id": "evt_1", "data": {"name": "Ré \"q\"", "n": [1, null]}});
        let mut text = String::new();
        unusual(&value, 0, &mut text);
        assert!(text.contains(r#""\u0069d" :  "\u0065vt_1""#), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        assert_ne!(text.as_bytes(), serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn tampering_changes_a_letter_inside_a_string() {
        let body = br#"{"id":"evt_1","ok":true,"s":"ab\"c"}"#;
        let tampered = tamper(body);
        assert_eq!(tampered, br#"{"id":"evt_1","ok":true,"s":"ab\"C"}"#);
        serde_json::from_slice::<Value>(&tampered).unwrap();
    }
}
