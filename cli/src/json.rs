//! The JSON Lines of `pecmail inspect --json`: one object per file, the fields in their
//! documented order (this crate's README), every field always present.

use std::fmt::Write as _;

use pecmail::PecTime;
use pecmail::read::PecMessage;
use pecmail::trust::{RevocationStatus, TimeBasis};

use crate::inspect::kind;

/// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, the rest as is
/// (UTF-8).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c < '\u{20}' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_owned(), json_string)
}

fn json_object(fields: &[(&str, String)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:{value}", json_string(name));
    }
    out.push('}');
    out
}

/// The fields of a message, `file` aside, in their documented order; values are JSON.
fn json_fields(m: &PecMessage<'_>) -> Vec<(&'static str, String)> {
    let nested = |n: Option<&PecMessage<'_>>| {
        n.map_or_else(|| "null".to_owned(), |n| json_object(&json_fields(n)))
    };
    let diagnostics: Vec<String> = m
        .diagnostics
        .iter()
        .map(|d| json_string(d.code.as_str()))
        .collect();
    vec![
        ("error", "null".to_owned()),
        ("kind", json_string(kind(m))),
        (
            "daticert_tipo",
            json_opt(m.daticert_tipo.map(|t| t.as_str())),
        ),
        ("signature", json_string(m.signature.as_str())),
        (
            "signature_error",
            json_opt(m.signature_error.as_ref().map(|e| e.to_string()).as_deref()),
        ),
        ("trust", json_string(m.trust_status())),
        (
            "trust_verdict",
            json_opt(m.trust.as_ref().map(|t| t.verdict.as_str())),
        ),
        ("provider", json_opt(m.provider().as_deref())),
        ("valid", m.is_valid().to_string()),
        ("identifier", json_opt(m.identifier.as_deref())),
        (
            "client_message_id",
            json_opt(m.client_message_id.as_deref()),
        ),
        ("diagnostics", format!("[{}]", diagnostics.join(","))),
        ("embedded", nested(m.embedded.as_deref())),
        ("inner", nested(m.inner.as_deref())),
        (
            "validated_at",
            json_opt(m.trust.as_ref().map(|t| rfc3339(t.at)).as_deref()),
        ),
        (
            "time_basis",
            json_opt(m.trust.as_ref().map(|t| match t.time_basis {
                TimeBasis::Caller => "caller",
                _ => "claimed",
            })),
        ),
        (
            "revocation",
            json_opt(m.trust.as_ref().map(|t| t.revocation.status.as_str())),
        ),
        (
            "revoked_since",
            json_opt(revoked(m).map(|(since, _)| rfc3339(since)).as_deref()),
        ),
        (
            "revocation_reason",
            json_opt(revoked(m).and_then(|(_, r)| r)),
        ),
    ]
}

/// When and why the path was revoked, when it was.
fn revoked(m: &PecMessage<'_>) -> Option<(PecTime, Option<&'static str>)> {
    match &m.trust.as_ref()?.revocation.status {
        RevocationStatus::Revoked { since, reason, .. } => Some((*since, *reason)),
        _ => None,
    }
}

/// A time as RFC 3339, with its own offset.
fn rfc3339(t: PecTime) -> String {
    t.to_datetime().to_rfc3339()
}

pub(crate) fn json_line(file: &str, m: &PecMessage<'_>) -> String {
    let mut fields = vec![("file", json_string(file))];
    fields.extend(json_fields(m));
    json_object(&fields) + "\n"
}

/// A file that gave an error: `error` set, every other field null, `diagnostics` empty.
pub(crate) fn json_error_line(file: &str, error: &str) -> String {
    let null = || "null".to_owned();
    json_object(&[
        ("file", json_string(file)),
        ("error", json_string(error)),
        ("kind", null()),
        ("daticert_tipo", null()),
        ("signature", null()),
        ("signature_error", null()),
        ("trust", null()),
        ("trust_verdict", null()),
        ("provider", null()),
        ("valid", null()),
        ("identifier", null()),
        ("client_message_id", null()),
        ("diagnostics", "[]".to_owned()),
        ("embedded", null()),
        ("inner", null()),
        ("validated_at", null()),
        ("time_basis", null()),
        ("revocation", null()),
        ("revoked_since", null()),
        ("revocation_reason", null()),
    ]) + "\n"
}
