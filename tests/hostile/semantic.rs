//! Semantic forgeries beyond the forgery suite (`tests/forgery.rs`): genuine providers
//! signing for mailboxes that are not theirs, nesting beyond the limit, spoofed display
//! names, header injection through encoded words.

use pecmail::DiagnosticCode::*;
use pecmail::cms::SigningIdentity;
use pecmail::mime::{SignedMessage, SplitOptions};
use pecmail::read::{PecMessage, ReadOptions, read};
use pecmail::smime::{self, MessageSignOptions};
use pecmail::{DiagnosticCode, PecTime};

use super::common::now;
use super::common::{messages, pki, signers};
use super::{Case, Expect, Outcome};

/// A `multipart/signed` with `head` (header lines, no MIME ones) over `entity`, signed by
/// the key of the test PKI identity `signer`.
pub fn signed_by(signer: &str, head: &str, entity: &str) -> Vec<u8> {
    let identity = SigningIdentity::new(&pki(&format!("{signer}.der")), &[pki("ca1.der")]).unwrap();
    let (_, key) = signers(signer).into_iter().next().unwrap();
    smime::prepare(
        head.as_bytes(),
        entity.as_bytes(),
        b"hostile",
        &identity,
        messages::at(5),
        &MessageSignOptions::default(),
    )
    .unwrap()
    .sign_with(key.as_ref())
    .unwrap()
    .into_vec()
}

fn fixture(name: &str) -> Vec<u8> {
    let (_, alfa) = signers("alfa").into_iter().next().unwrap();
    let (_, beta) = signers("beta").into_iter().next().unwrap();
    messages::all(
        pecmail::Backend::default(),
        alfa.as_ref(),
        beta.as_ref(),
        false,
    )
    .into_iter()
    .find(|b| b.name == name)
    .unwrap()
    .bytes
}

/// A fixture message re-signed by `signer`, its header lines edited by `head` and its
/// entity by `entity`.
fn resigned(
    name: &str,
    signer: &str,
    head: impl FnOnce(String) -> String,
    entity: impl FnOnce(String) -> String,
) -> Vec<u8> {
    let bytes = fixture(name);
    let split = SignedMessage::parse(&bytes, &SplitOptions::default()).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let end = text.find("\r\n\r\n").unwrap() + 2;
    let mut lines: Vec<String> = Vec::new();
    for line in text[..end].split_inclusive("\r\n") {
        if line.starts_with([' ', '\t']) {
            lines.last_mut().unwrap().push_str(line);
        } else {
            lines.push(line.to_owned());
        }
    }
    let kept: String = lines
        .into_iter()
        .filter(|l| !l.starts_with("Content-Type:") && !l.starts_with("MIME-Version:"))
        .collect();
    let entity_text = String::from_utf8(split.signed_content().to_vec()).unwrap();
    signed_by(signer, &head(kept), &entity(entity_text))
}

fn all_codes(m: &PecMessage<'_>, out: &mut Vec<DiagnosticCode>) {
    out.extend(m.diagnostics.iter().map(|d| d.code));
    for inner in [
        m.inner.as_deref(),
        m.embedded.as_deref().map(|e| e as &PecMessage<'_>),
    ]
    .into_iter()
    .flatten()
    {
        all_codes(inner, out);
    }
}

/// The reader, strict, with the fixture store: the diagnostics of the message and of every
/// message inside it.
fn read_deep(raw: &[u8]) -> Outcome {
    read(raw, &messages::store(), now(), &ReadOptions::strict()).map(|m| {
        let mut codes = Vec::new();
        all_codes(&m, &mut codes);
        codes
    })
}

fn set(head: String, name: &str, value: &str) -> String {
    let mut out = String::new();
    for line in head.split_inclusive("\r\n") {
        if line.starts_with(&format!("{name}:")) {
            out.push_str(&format!("{name}: {value}\r\n"));
        } else {
            out.push_str(line);
        }
    }
    out
}

pub fn cases() -> Vec<Case> {
    let same = |e: String| e;
    // Six anomaly envelopes, each around the one before (the reader follows four).
    let mut nested = messages::ORDINARY_MAIL.as_bytes().to_vec();
    let (_, beta_key) = signers("beta").into_iter().next().unwrap();
    for _ in 0..6 {
        nested = pecmail::build::AnomalyEnvelope::new(&nested, "ancora", messages::at(1))
            .prepare(&messages::beta(), &pecmail::build::BuildOptions::default())
            .unwrap()
            .sign_with(beta_key.as_ref())
            .unwrap()
            .into_vec();
    }
    vec![
        Case::new(
            "Beta signs an acceptance for Alfa's user, with its own From",
            resigned(
                "acceptance",
                "beta",
                |h| set(h, "From", "posta-certificata@pec.beta.test"),
                same,
            ),
            Expect::Diagnostic(PecProviderDomain),
            read_deep,
        ),
        Case::new(
            "Alfa signs a delivery receipt for Beta's recipient",
            resigned(
                "delivery-full",
                "alfa",
                |h| set(h, "From", "posta-certificata@pec.alfa.test"),
                same,
            ),
            Expect::Diagnostic(PecProviderDomain),
            read_deep,
        ),
        Case::new(
            "Alfa signs a taking in charge for Beta's recipients",
            resigned(
                "taking-in-charge",
                "alfa",
                |h| set(h, "From", "posta-certificata@pec.alfa.test"),
                same,
            ),
            Expect::Diagnostic(PecProviderDomain),
            read_deep,
        ),
        Case::new(
            "Beta certifies delivery to an ordinary address",
            resigned(
                "delivery-summary",
                "beta",
                |h| h,
                |e| {
                    // The daticert is base64: rebuild the receipt about the ordinary recipient.
                    let _ = e;
                    let facts = pecmail::build::OriginalFacts::from_original(
                        messages::ORIGINAL.as_bytes(),
                        messages::SENDER,
                        messages::recipients(),
                        "opec-alfa.20260601100000.1@pec.alfa.test",
                    )
                    .unwrap();
                    let built = pecmail::build::Delivery::new(
                        &facts,
                        messages::ORDINARY,
                        pecmail::daticert::ReceiptKind::Summary,
                        "beta-x@pec.beta.test",
                        messages::at(2),
                    )
                    .prepare(&messages::beta(), &pecmail::build::BuildOptions::default())
                    .unwrap()
                    .sign_with(beta_key.as_ref())
                    .unwrap()
                    .into_vec();
                    let split = SignedMessage::parse(&built, &SplitOptions::default()).unwrap();
                    String::from_utf8(split.signed_content().to_vec()).unwrap()
                },
            ),
            Expect::Diagnostic(PecProviderDomain),
            read_deep,
        ),
        Case::new(
            "anomaly envelopes nested six deep",
            nested,
            Expect::Diagnostic(PecDepthLimit),
            read_deep,
        ),
        Case::new(
            "a display name that looks like the provider's address",
            {
                let text = String::from_utf8(fixture("acceptance")).unwrap();
                text.replacen(
                    "From: posta-certificata@pec.alfa.test",
                    "From: \"posta-certificata@pec.alfa.test\" <ufficio@evil.example>",
                    1,
                )
                .into_bytes()
            },
            Expect::Diagnostic(PecFromMismatch),
            read_deep,
        ),
        Case::new(
            "a marker with trailing text",
            String::from_utf8(fixture("acceptance"))
                .unwrap()
                .replacen(
                    "X-Ricevuta: accettazione",
                    "X-Ricevuta: accettazione; verificata",
                    1,
                )
                .into_bytes(),
            Expect::Diagnostic(PecMarkerUnknown),
            read_deep,
        ),
        Case::new(
            "a header injected through an encoded subject",
            resigned(
                "acceptance",
                "alfa",
                |h| {
                    set(
                        h,
                        "Subject",
                        "=?UTF-8?Q?ACCETTAZIONE:_x=0D=0AX-Ricevuta:_avvenuta-consegna?=",
                    )
                },
                same,
            ),
            Expect::Diagnostic(PecSubjectDiffers),
            read_deep,
        ),
        Case::new(
            "two postacert.eml in an envelope signed by its provider",
            resigned(
                "transport-envelope",
                "alfa",
                |h| h,
                |e| {
                    let start = e.find("Content-Type: message/rfc822").unwrap();
                    let part_start = e[..start].rfind("\r\n--").unwrap();
                    let close = e.rfind("\r\n--").unwrap();
                    let part = e[part_start..close].to_owned();
                    format!("{}{part}{}", &e[..close], &e[close..])
                },
            ),
            Expect::Diagnostic(PecNoDaticert),
            read_deep,
        ),
        Case::new(
            "a provider certificate checked after it expired",
            fixture("acceptance"),
            Expect::Diagnostic(PecUntrusted),
            |raw| {
                let at = PecTime::from_parts(2040, 1, 1, 0, 0, 0, 60).unwrap();
                read(raw, &messages::store(), at, &ReadOptions::strict())
                    .map(|m| m.diagnostics.iter().map(|d| d.code).collect())
            },
        ),
    ]
}
