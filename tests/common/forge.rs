//! Forging messages as an attacker would, for the forgery and trust suites: header edits,
//! a signed entity edited and signed again with a key of the test PKI, `daticert.xml`
//! edited inside it.
#![allow(dead_code)]

use pecmail::PecTime;
use pecmail::cms::SigningIdentity;
use pecmail::mime::{SignedMessage, SplitOptions};
use pecmail::smime::{self, MessageSignOptions};

use super::{messages, pki, signers};

/// The header block of a message, and the rest (the blank line and the body).
pub fn split_head(bytes: &[u8]) -> (String, Vec<u8>) {
    let at = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block")
        + 2;
    (
        String::from_utf8(bytes[..at].to_vec()).unwrap(),
        bytes[at..].to_vec(),
    )
}

/// Header lines (with their folded continuations), in order.
pub fn fields(head: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in head.split_inclusive("\r\n") {
        if line.starts_with([' ', '\t']) {
            out.last_mut().unwrap().push_str(line);
        } else {
            out.push(line.to_owned());
        }
    }
    out
}

pub fn is_field(field: &str, name: &str) -> bool {
    field
        .split_once(':')
        .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Rewrites the top-level headers: `edit` gets the fields and returns the new ones.
pub fn with_headers(bytes: &[u8], edit: impl FnOnce(Vec<String>) -> Vec<String>) -> Vec<u8> {
    let (head, rest) = split_head(bytes);
    let mut out = edit(fields(&head)).concat().into_bytes();
    out.extend_from_slice(&rest);
    out
}

pub fn set_header(bytes: &[u8], name: &str, value: &str) -> Vec<u8> {
    with_headers(bytes, |f| {
        assert!(f.iter().any(|x| is_field(x, name)), "no {name} to set");
        f.into_iter()
            .map(|x| {
                if is_field(&x, name) {
                    format!("{name}: {value}\r\n")
                } else {
                    x
                }
            })
            .collect()
    })
}

pub fn add_header(bytes: &[u8], line: &str) -> Vec<u8> {
    with_headers(bytes, |mut f| {
        f.insert(1, format!("{line}\r\n"));
        f
    })
}

pub fn remove_header(bytes: &[u8], name: &str) -> Vec<u8> {
    with_headers(bytes, |f| {
        f.into_iter().filter(|x| !is_field(x, name)).collect()
    })
}

/// Replaces the first occurrence of `from` (which must exist) in the bytes.
pub fn replace_once(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(from)));
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

/// Signs a new `multipart/signed` with the headers of `bytes` (MIME ones dropped), over its
/// signed entity as `edit` changes it, with the key of the test PKI identity `signer`: what
/// a forger holding that key, or a provider signing something wrong, would send.
pub fn resign(bytes: &[u8], signer: &str, edit: impl FnOnce(String) -> String) -> Vec<u8> {
    resign_at(bytes, signer, messages::at(5), edit)
}

/// [`resign`] with the CMS `signingTime` the forger chooses.
pub fn resign_at(
    bytes: &[u8],
    signer: &str,
    signing_time: PecTime,
    edit: impl FnOnce(String) -> String,
) -> Vec<u8> {
    let split = SignedMessage::parse(bytes, &SplitOptions::default()).unwrap();
    let entity = edit(String::from_utf8(split.signed_content().to_vec()).unwrap());
    let (head, _) = split_head(bytes);
    let head: String = fields(&head)
        .into_iter()
        .filter(|f| !is_field(f, "Content-Type") && !is_field(f, "MIME-Version"))
        .collect();
    let identity = SigningIdentity::new(&pki(&format!("{signer}.der")), &[pki("ca1.der")]).unwrap();
    let (_, key) = signers(signer).into_iter().next().unwrap();
    smime::prepare(
        head.as_bytes(),
        entity.as_bytes(),
        b"forgery",
        &identity,
        signing_time,
        &MessageSignOptions::default(),
    )
    .unwrap()
    .sign_with(key.as_ref())
    .unwrap()
    .into_vec()
}

// Base64 for editing daticert.xml inside an entity (standard alphabet, 76-column lines).
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn b64_decode(text: &str) -> Vec<u8> {
    let values: Vec<u32> = text
        .bytes()
        .filter_map(|c| B64.iter().position(|&b| b == c).map(|v| v as u32))
        .collect();
    let mut out = Vec::new();
    for chunk in values.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, v)| acc | v << (18 - 6 * i));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

pub fn b64_encode(bytes: &[u8]) -> String {
    let s = super::base64(bytes);
    s.as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Edits the `daticert.xml` inside a signed entity.
pub fn edit_daticert(entity: String, edit: impl FnOnce(String) -> String) -> String {
    let header = "name=\"daticert.xml\"";
    let part = entity.find(header).unwrap();
    let start = part + entity[part..].find("\r\n\r\n").unwrap() + 4;
    let end = start + entity[start..].find("\r\n--").unwrap();
    let xml = String::from_utf8(b64_decode(&entity[start..end])).unwrap();
    let changed = edit(xml.clone());
    assert_ne!(changed, xml, "the edit changed nothing");
    format!(
        "{}{}{}",
        &entity[..start],
        b64_encode(changed.as_bytes()),
        &entity[end..]
    )
}
