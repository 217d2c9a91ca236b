//! MIME: the strict split and the reader's structure, against boundaries in the content,
//! truncation, nesting, huge headers, NUL bytes, broken base64, mixed line ends.

use pecmail::DiagnosticCode::*;
use pecmail::ErrorKind::*;
use pecmail::mime::{SignedMessage, SplitOptions};
use pecmail::read::{ReadOptions, read};

use super::common::messages;
use super::common::now;
use super::{Case, Expect, Outcome};

pub fn acceptance() -> Vec<u8> {
    let (_, alfa) = super::common::signers("alfa").into_iter().next().unwrap();
    let (_, beta) = super::common::signers("beta").into_iter().next().unwrap();
    messages::all(
        pecmail::Backend::default(),
        alfa.as_ref(),
        beta.as_ref(),
        false,
    )
    .into_iter()
    .find(|b| b.name == "acceptance")
    .unwrap()
    .bytes
}

pub fn boundary(message: &[u8]) -> String {
    SignedMessage::parse(message, &SplitOptions::default())
        .unwrap()
        .boundary()
        .to_owned()
}

/// The reader, strict, against the fixture store.
pub fn read_strict(raw: &[u8]) -> Outcome {
    read(raw, &messages::store(), now(), &ReadOptions::strict())
        .map(|m| m.diagnostics.iter().map(|d| d.code).collect())
}

fn split(raw: &[u8]) -> Outcome {
    SignedMessage::parse(raw, &SplitOptions::default())
        .map(|s| s.diagnostics().iter().map(|d| d.code).collect())
}

fn replace(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(text.contains(from), "{from:?} not found");
    text.replacen(from, to, 1).into_bytes()
}

/// `depth` multipart/mixed entities, each the only part of the one around it.
fn nested(depth: usize) -> String {
    let mut open = String::new();
    let mut close = String::new();
    for i in 0..depth {
        open.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
        close.insert_str(0, &format!("\r\n--b{i}--"));
    }
    format!("{open}Content-Type: text/plain\r\n\r\nfondo{close}\r\n")
}

pub fn cases() -> Vec<Case> {
    let acc = acceptance();
    let b = boundary(&acc);
    let mut cases = vec![
        Case::new(
            "a delimiter line inside the signed part",
            replace(
                &acc,
                "\r\nContent-Type: multipart/mixed",
                &format!("\r\n--{b}\r\nContent-Type: multipart/mixed"),
            ),
            Expect::Diagnostic(PecSignatureMalformed),
            read_strict,
        ),
        Case::new(
            "a line that extends the boundary",
            replace(
                &acc,
                "\r\nContent-Type: application/pkcs7-signature",
                &format!("\r\n--{b}zz\r\nContent-Type: application/pkcs7-signature"),
            ),
            Expect::Error(AmbiguousMime),
            split,
        ),
        Case::new(
            "the boundary in the middle of a content line",
            replace(
                &acc,
                "\r\nContent-Type: multipart/mixed",
                &format!("\r\nX-Note: see --{b} here\r\nContent-Type: multipart/mixed"),
            ),
            // Content to Python's email, a delimiter to mail-parser 0.11: refused unread.
            Expect::Diagnostic(MimeAmbiguous),
            read_strict,
        ),
        Case::new(
            "no close delimiter",
            replace(&acc, &format!("\r\n--{b}--"), ""),
            Expect::Diagnostic(PecSignatureMalformed),
            read_strict,
        ),
        Case::new(
            "no close delimiter, to the split",
            replace(&acc, &format!("\r\n--{b}--"), ""),
            Expect::Error(MalformedMime),
            split,
        ),
        Case::new(
            "a third part at the top",
            replace(
                &acc,
                &format!("\r\n--{b}--"),
                &format!("\r\n--{b}\r\nContent-Type: text/plain\r\n\r\nextra\r\n--{b}--"),
            ),
            Expect::Error(MalformedMime),
            split,
        ),
        Case::new(
            "invalid base64 in smime.p7s",
            {
                let text = String::from_utf8(acc.clone()).unwrap();
                let start = text.find("filename=\"smime.p7s\"").unwrap();
                let body = start + text[start..].find("\r\n\r\n").unwrap() + 4;
                let mut t = text.clone();
                t.replace_range(body..body + 8, "!!!!@@@@");
                t.into_bytes()
            },
            Expect::Diagnostic(PecSignatureMalformed),
            read_strict,
        ),
        Case::new(
            "an empty smime.p7s",
            {
                let text = String::from_utf8(acc.clone()).unwrap();
                let start = text.find("filename=\"smime.p7s\"").unwrap();
                let body = start + text[start..].find("\r\n\r\n").unwrap() + 4;
                let end = body + text[body..].find(&format!("\r\n--{b}--")).unwrap();
                let mut t = text.clone();
                t.replace_range(body..end, "");
                t.into_bytes()
            },
            Expect::Diagnostic(PecSignatureMalformed),
            read_strict,
        ),
        Case::new(
            "mixed LF and CR LF, strict",
            replace(&acc, "\r\nMessage-ID:", "\nMessage-ID:"),
            Expect::Diagnostic(PecDeviation),
            read_strict,
        ),
        Case::new(
            "a header line of 1 MB",
            {
                let mut m = b"From: a@b.example\r\nSubject: ".to_vec();
                m.extend(std::iter::repeat_n(b'x', 1 << 20));
                m.extend_from_slice(b"\r\n\r\nbody\r\n");
                m
            },
            Expect::Error(LimitExceeded),
            read_strict,
        ),
        Case::new(
            "100,000 header fields",
            {
                let mut m = Vec::new();
                for i in 0..100_000 {
                    m.extend_from_slice(format!("X-F{i}: v\r\n").as_bytes());
                }
                m.extend_from_slice(b"\r\nbody\r\n");
                m
            },
            Expect::Error(LimitExceeded),
            read_strict,
        ),
        Case::new(
            "a NUL byte in a header name",
            b"From: a@b.example\r\nSub\0ject: x\r\n\r\nbody\r\n".to_vec(),
            Expect::Error(MalformedMime),
            read_strict,
        ),
        Case::new(
            "NUL bytes in the signed content",
            replace(
                &acc,
                "\r\nContent-Type: multipart/mixed",
                "\r\nX-Nul: \0\0\0\r\nContent-Type: multipart/mixed",
            ),
            Expect::Diagnostic(PecSignatureInvalid),
            read_strict,
        ),
        Case::new(
            "10,000 nested multiparts, unsigned, with PEC headers",
            format!(
                "From: a@b.example\r\nX-Ricevuta: accettazione\r\n{}",
                nested(10_000)
            )
            .into_bytes(),
            Expect::Diagnostic(PecUnsigned),
            read_strict,
        ),
        Case::new(
            "multipart/signed without a boundary",
            replace(&acc, &format!("boundary=\"{b}\""), "charset=x"),
            Expect::Error(MalformedMime),
            split,
        ),
        Case::new(
            "two Content-Type headers at the top",
            replace(
                &acc,
                "MIME-Version: 1.0\r\n",
                "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n",
            ),
            Expect::Error(MalformedMime),
            split,
        ),
        Case::new(
            "an empty message",
            Vec::new(),
            Expect::Error(MalformedMime),
            read_strict,
        ),
        Case::new(
            "a message over the size limit",
            acc.clone(),
            Expect::Error(LimitExceeded),
            |raw| {
                let mut o = ReadOptions::strict();
                o.verify.split.max_size = 1000;
                read(raw, &messages::store(), now(), &o)
                    .map(|m| m.diagnostics.iter().map(|d| d.code).collect())
            },
        ),
    ];
    // 10,000 nested multiparts signed by a provider: described, not read as PEC.
    cases.push(Case::new(
        "10,000 nested multiparts, signed by a provider",
        super::semantic::signed_by(
            "alfa",
            "From: posta-certificata@pec.alfa.test\r\nX-Ricevuta: accettazione\r\n",
            &nested(10_000),
        ),
        Expect::Diagnostic(PecNoDaticert),
        read_strict,
    ));
    cases
}
