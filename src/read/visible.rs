//! The header a mail client shows, against what the signed parts certify (spec 2.3, 3.1 to
//! 3.9, 4.1): `From`, `Sender`, `Reply-To`, `To`, `Cc`, `Date`.
//!
//! None of these headers is signed, and every one is shown to the user: so each must be
//! exactly what the provider wrote from the certified data, or the message is not valid.
//! `daticert.xml` signs the sender (`mittente`), the recipients (`destinatari`), the reply
//! address (`risposte`) and the time (`data`); the signed original (`postacert.eml`) holds
//! the `To`, `Cc` and `Reply-To` an envelope copies unmodified (spec 3.1, 3.2). Mailboxes are
//! read strictly ([`mailboxes`]): a form that readers parse differently (a group, a comment,
//! a quoted-pair) is itself a mismatch. The subject is compared in the cross-checks
//! (`pec-subject-differs`).

use super::{Headers, PecMessage, ReadOptions};
use crate::build::MessageKind;
use crate::daticert::Daticert;
use crate::error::DiagnosticCode;
use crate::mime::address::{self, Mailbox, mailboxes};
use crate::mime::header::{HeaderLimits, parse_block};
use crate::mime::words;
use crate::time::PecTime;
use crate::trust::TrustStore;

/// The display name of an envelope's `From` (spec 2.3): `Per conto di: <sender>`.
const ON_BEHALF: &str = "Per conto di: ";

/// A header field's value as the comparison sees it: line breaks of folding removed, outer
/// blanks trimmed. Nothing else is normalised: what differs here differs to some reader.
fn flat(value: &str) -> String {
    value
        .replace("\r\n", "")
        .trim_matches([' ', '\t'])
        .to_owned()
}

/// The headers of the original a message carries, as written, that its envelope copies or
/// derives from.
struct Copied {
    to: Option<String>,
    cc: Option<String>,
    reply_to: Option<String>,
    from: Option<String>,
    return_path: Option<String>,
    subject: Option<String>,
    message_id: Option<String>,
}

impl Copied {
    /// The sender an anomaly envelope names (as its builder finds it, spec 3.2): the first
    /// address of `From`, else of `Return-Path`.
    fn sender(&self) -> Option<String> {
        [&self.from, &self.return_path]
            .into_iter()
            .flatten()
            .filter_map(|v| address::list(v).into_iter().next())
            .find(|a| address::is_address(a))
    }
}

fn copied(original: &[u8]) -> Option<Copied> {
    let block = parse_block(original, HeaderLimits::default()).ok()?;
    let field = |name: &str| {
        block
            .fields
            .iter()
            .find(|f| f.is(name))
            .map(|f| flat(&String::from_utf8_lossy(f.value)))
    };
    Some(Copied {
        to: field("To"),
        cc: field("Cc"),
        reply_to: field("Reply-To"),
        from: field("From"),
        return_path: field("Return-Path"),
        subject: field("Subject"),
        message_id: field("Message-ID"),
    })
}

/// The one value of `name`, flattened (repetitions are `pec-duplicate-header`).
fn one(headers: &Headers<'_>, name: &str) -> Option<String> {
    headers.first(name).map(flat)
}

/// Compares the shown header of `m` with its daticert and its `original` (the carried
/// message, when there is one).
pub(crate) fn check(
    m: &mut PecMessage<'_>,
    headers: &Headers<'_>,
    original: Option<&[u8]>,
    store: &TrustStore,
    options: &ReadOptions,
) {
    let Some(kind) = m.kind else {
        return;
    };
    let envelope = matches!(
        kind,
        MessageKind::TransportEnvelope | MessageKind::AnomalyEnvelope
    );
    let daticert = m.daticert.take();
    let original = original.and_then(copied);
    let mut found: Vec<(DiagnosticCode, String)> = Vec::new();
    // The certified sender: daticert's; an anomaly envelope, which has none, names the
    // sender of the message it carries (signed with it).
    let inner_sender = match kind {
        MessageKind::AnomalyEnvelope => original.as_ref().and_then(Copied::sender),
        _ => None,
    };
    let sender = daticert
        .as_ref()
        .map(|d| d.header.sender.as_str())
        .or(inner_sender.as_deref());

    // From: one mailbox; its display name the one the spec prescribes.
    let from = one(headers, "From");
    match from.as_deref().map(mailboxes) {
        None => found.push((DiagnosticCode::PecFromMailbox, "no From".to_owned())),
        Some(Err(why)) => found.push((
            DiagnosticCode::PecFromMailbox,
            format!("From {:?}: {why}", from.as_deref().unwrap_or("")),
        )),
        Some(Ok(list)) if list.len() != 1 => found.push((
            DiagnosticCode::PecFromMailbox,
            format!("From has {} mailboxes", list.len()),
        )),
        Some(Ok(list)) => {
            let shown = list
                .first()
                .and_then(|mb| mb.name.as_deref())
                .map(words::decode);
            // With nothing certified (no daticert, no carried message), there is nothing
            // to compare the name with; that is an error of its own already.
            let wrong = match (envelope, &shown, sender) {
                (true, Some(name), Some(s)) => name.strip_prefix(ON_BEHALF) != Some(s),
                (true, _, None) => false,
                (true, None, Some(_)) => true,
                (false, name, _) => name.is_some(),
            };
            if wrong {
                found.push((
                    DiagnosticCode::PecFromDisplayName,
                    match (envelope, sender) {
                        (true, Some(s)) => {
                            format!("From shows {shown:?}; the spec prescribes \"{ON_BEHALF}{s}\"")
                        }
                        (true, None) => {
                            format!("From shows {shown:?}; the spec prescribes \"{ON_BEHALF}...\"")
                        }
                        (false, _) => format!(
                            "From shows the name {shown:?}; a provider's receipts and notices \
                             come from its bare service address"
                        ),
                    },
                ));
            }
        }
    }
    // Sender, when present, carries the From (spec 2.3).
    if let Some(value) = one(headers, "Sender")
        && Some(&value) != from.as_ref()
    {
        found.push((
            DiagnosticCode::PecSenderHeader,
            format!("Sender {value:?} is not the From {from:?}"),
        ));
    }

    let reply_to = one(headers, "Reply-To");
    let to = one(headers, "To");
    let cc = one(headers, "Cc");
    if envelope {
        // Copied from the original as written, Reply-To added when the original has none.
        // An envelope whose original cannot be read has nothing to compare them with; it is
        // `pec-original-missing` or the like already, when it is not a readable message.
        if original.is_none() {
            found.push((
                DiagnosticCode::PecToMismatch,
                "the envelope's To, Cc and Reply-To cannot be compared: its original has no \
                 readable header"
                    .to_owned(),
            ));
        }
        if let Some(orig) = &original {
            if to != orig.to {
                found.push((
                    DiagnosticCode::PecToMismatch,
                    format!("To {to:?}, the original's {:?}", orig.to),
                ));
            }
            if cc != orig.cc {
                found.push((
                    DiagnosticCode::PecCcMismatch,
                    format!("Cc {cc:?}, the original's {:?}", orig.cc),
                ));
            }
            let added = sender.map(str::to_owned);
            let right = match (&reply_to, &orig.reply_to) {
                (None, _) => true,
                (Some(_), None) if added.is_none() => true,
                (Some(r), Some(o)) => r == o,
                (Some(r), None) => {
                    matches!(mailboxes(r).as_deref(), Ok([Mailbox { name: None, address }])
                        if added.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(address)))
                }
            };
            if !right {
                found.push((
                    DiagnosticCode::PecReplyToMismatch,
                    format!(
                        "Reply-To {reply_to:?}; the original's {:?}, else the sender {added:?}",
                        orig.reply_to
                    ),
                ));
            }
        }
        if let Some(d) = &daticert {
            recipients_certified(d, [("To", &to), ("Cc", &cc)], &mut found);
        }
    } else {
        if let Some(r) = &reply_to {
            found.push((
                DiagnosticCode::PecReplyToMismatch,
                format!("Reply-To {r:?} on a {kind}, which has none (spec 2.3)"),
            ));
        }
        if let Some(c) = &cc {
            found.push((
                DiagnosticCode::PecCcMismatch,
                format!("Cc {c:?} on a {kind}, which goes to one mailbox (spec 2.3)"),
            ));
        }
        // To the sender; the two receipts between providers go to the sender provider's
        // service mailbox (spec 3.5, 3.8: the index's `mailReceipt`), checked when the store
        // knows it.
        let between_providers = matches!(
            kind,
            MessageKind::TakingInCharge | MessageKind::VirusDetection
        );
        let expected: Option<String> = if between_providers {
            sender
                .and_then(|s| s.rsplit_once('@'))
                .and_then(|(_, domain)| store.provider_for_domain(domain))
                .and_then(|p| p.service_address.clone())
        } else {
            sender.map(str::to_owned)
        };
        let right = match to.as_deref().map(mailboxes) {
            Some(Ok(list)) => match list.as_slice() {
                [
                    Mailbox {
                        name: None,
                        address,
                    },
                ] => expected
                    .as_deref()
                    .is_none_or(|e| e.eq_ignore_ascii_case(address)),
                _ => false,
            },
            _ => false,
        };
        if !right {
            found.push((
                DiagnosticCode::PecToMismatch,
                format!(
                    "To {to:?}; a {kind} goes to {}",
                    match &expected {
                        Some(e) => format!("{e}, as a bare address"),
                        None => "one bare address".to_owned(),
                    }
                ),
            ));
        }
    }

    // An anomaly envelope has no daticert: what it certifies is the message it carries,
    // signed with it, from which its Subject and Message-ID come (spec 3.2).
    if kind == MessageKind::AnomalyEnvelope
        && let Some(orig) = &original
    {
        let prefix = kind.subject_prefix();
        let shown = one(headers, "Subject").map(|v| words::decode(&v));
        let carried = orig
            .subject
            .as_deref()
            .map(words::decode)
            .unwrap_or_default();
        let rest = shown.as_deref().and_then(|s| s.strip_prefix(prefix));
        if rest.is_some_and(|r| {
            r.trim_end_matches([' ', '\t']) != carried.trim_end_matches([' ', '\t'])
        }) {
            found.push((
                DiagnosticCode::PecSubjectDiffers,
                format!("subject {shown:?}, the carried message's {carried:?}"),
            ));
        }
        let id = one(headers, "Message-ID");
        if id != orig.message_id {
            found.push((
                DiagnosticCode::PecIdentifierMismatch,
                format!(
                    "Message-ID {id:?}, the carried message's {:?}",
                    orig.message_id
                ),
            ));
        }
    }

    // Date: one, readable, and within the tolerance of the certified time: the daticert's,
    // else (an anomaly envelope) the signed signing time.
    let certified = daticert
        .as_ref()
        .map(|d| (d.data.time, "the daticert data"))
        .or_else(|| {
            m.signature_report
                .as_ref()
                .and_then(|r| r.signing_time)
                .map(|t| (t, "the CMS signingTime"))
        });
    match one(headers, "Date") {
        None => found.push((DiagnosticCode::PecDateMismatch, "no Date".to_owned())),
        Some(value) if !plain_date(&value) => found.push((
            DiagnosticCode::PecDateMismatch,
            format!(
                "Date {value:?} is not in the plain RFC 5322 form (obsolete forms read \
                 differently)"
            ),
        )),
        Some(value) => match PecTime::parse_rfc5322(&value) {
            Err(e) => found.push((
                DiagnosticCode::PecDateMismatch,
                format!("Date {value:?} does not read: {e}"),
            )),
            Ok(t) => {
                if let Some((time, what)) = certified {
                    let apart = (t.unix_seconds() - time.unix_seconds()).abs();
                    let tolerance = i64::from(options.claimed_time_tolerance);
                    if apart > tolerance {
                        found.push((
                            DiagnosticCode::PecDateMismatch,
                            format!(
                                "Date ({t}) is {apart} s from {what} ({time}), more than \
                                 {tolerance} s"
                            ),
                        ));
                    }
                }
            }
        },
    }

    m.daticert = daticert;
    for (code, detail) in found {
        m.add(code, detail);
    }
}

/// Whether a `Date` value has the plain RFC 5322 shape (section 3.3) that every reader reads
/// alike: `[day ","] d[d] Mon yyyy hh:mm[:ss] +hhmm`, blanks between the tokens, and at most
/// a final comment (`(CET)`). Obsolete forms (blanks around `:`, two-digit years, zone
/// names) are read differently by Python's `email` and by chrono.
fn plain_date(value: &str) -> bool {
    let text = match value.rfind('(') {
        Some(open) if value.ends_with(')') => value.get(..open).unwrap_or(value),
        _ => value,
    };
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let mut tokens: Vec<&str> = text.split([' ', '\t']).filter(|t| !t.is_empty()).collect();
    if tokens.first().is_some_and(|t| t.ends_with(',')) {
        let day = tokens.remove(0);
        if !["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"].contains(&day) {
            return false;
        }
    }
    let [day, month, year, time, zone] = tokens.as_slice() else {
        return false;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let time_ok = {
        let parts: Vec<&str> = time.split(':').collect();
        (2..=3).contains(&parts.len()) && parts.iter().all(|p| digits(p, 2..=2))
    };
    digits(day, 1..=2)
        && months.contains(month)
        && digits(year, 4..=4)
        && time_ok
        && zone.len() == 5
        && zone.starts_with(['+', '-'])
        && digits(zone.get(1..).unwrap_or(""), 4..=4)
}

/// Every address of an envelope's `To` and `Cc` is a certified recipient.
fn recipients_certified(
    d: &Daticert,
    fields: [(&str, &Option<String>); 2],
    found: &mut Vec<(DiagnosticCode, String)>,
) {
    let certified: std::collections::HashSet<String> = d
        .header
        .recipients
        .iter()
        .map(|r| r.address.to_ascii_lowercase())
        .collect();
    for (name, value) in fields {
        let Some(value) = value else { continue };
        // The value is the original's, as its sender wrote it (a group, say): its addresses
        // are read the lenient way, since only their membership is checked here.
        let list = address::list(value);
        let stray: Vec<&str> = list
            .iter()
            .map(String::as_str)
            .filter(|a| !certified.contains(&a.to_ascii_lowercase()))
            .collect();
        if !stray.is_empty() {
            found.push((
                if name == "To" {
                    DiagnosticCode::PecToMismatch
                } else {
                    DiagnosticCode::PecCcMismatch
                },
                format!("{name} names {stray:?}, not among destinatari"),
            ));
        }
    }
}
