//! PEM (RFC 7468) beside DER, wherever a certificate or a key is taken.
//!
//! Providers and CAs hand out certificates and keys in both encodings (the AgID CA publishes
//! PEM, the provider index carries DER). Every function of the crate that takes a
//! certificate accepts either: bytes that start with `-----BEGIN` (after blanks) are PEM,
//! anything else is DER. Keys likewise, for the PKCS #8 `PRIVATE KEY` label; a PKCS #1
//! `RSA PRIVATE KEY` or an `ENCRYPTED PRIVATE KEY` is refused with an error that says what to
//! pass instead. [`certificates`] gives every certificate of a file (a PEM bundle, or one
//! DER certificate).
//!
//! The reading is strict where it decides what is signed: the base64 must decode exactly
//! (no stray character, no data after padding), and a block must end with its own `END`
//! line. Text outside the blocks (what `openssl x509 -text` writes before one) is skipped,
//! as RFC 7468 section 5.2 allows for "explanatory text".

use std::borrow::Cow;

use crate::error::{Error, ErrorKind};
use crate::mime::base64;

/// The labels of a certificate block (RFC 7468 section 5.1; `X509 CERTIFICATE` is the
/// older form section 5.3 says parsers may accept).
const CERTIFICATE_LABELS: &[&str] = &["CERTIFICATE", "X509 CERTIFICATE"];

/// Does `input` look like PEM: `-----BEGIN` after optional blanks and explanatory text?
fn is_pem(input: &[u8]) -> bool {
    memchr::memmem::find(input, b"-----BEGIN ").is_some()
        && input.first().is_none_or(|&b| b != 0x30) // DER SEQUENCE
}

/// One PEM block: its label and decoded bytes.
struct Block {
    label: String,
    der: Vec<u8>,
}

/// Every block of a PEM text, in order.
fn blocks(input: &[u8], what: &str) -> Result<Vec<Block>, Error> {
    let text = std::str::from_utf8(input).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("{what}: PEM text that is not UTF-8"),
        )
    })?;
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue; // explanatory text
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            // RFC 1421 header lines (`Proc-Type: 4,ENCRYPTED`) are not base64.
            if line.contains(':') {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "{what}: PEM block {label:?} has headers (encrypted?): pass it unencrypted"
                    ),
                ));
            }
            body.push_str(line);
        }
        if !closed {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{what}: PEM block {label:?} has no END line"),
            ));
        }
        let der = base64::decode(body.as_bytes()).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("{what}: PEM block {label:?}: bad base64 ({e:?})"),
            )
        })?;
        out.push(Block {
            label: label.to_owned(),
            der,
        });
    }
    Ok(out)
}

/// Every certificate of `input`: one DER certificate, or each `CERTIFICATE` block of a PEM
/// text (a bundle), in order. Blocks with other labels (a key beside the certificate) are
/// skipped; PEM without any certificate block is an error. The certificates themselves are
/// not decoded here.
///
/// ```
/// let pem = b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
/// assert_eq!(pecmail::pem::certificates(pem).unwrap(), vec![vec![0x30, 0x00]]);
/// assert_eq!(pecmail::pem::certificates(&[0x30, 0x00]).unwrap(), vec![vec![0x30, 0x00]]);
/// ```
pub fn certificates(input: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    if !is_pem(input) {
        return Ok(vec![input.to_vec()]);
    }
    let found: Vec<Vec<u8>> = blocks(input, "certificate")?
        .into_iter()
        .filter(|b| CERTIFICATE_LABELS.contains(&b.label.as_str()))
        .map(|b| b.der)
        .collect();
    if found.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "certificate: PEM text without a CERTIFICATE block",
        ));
    }
    Ok(found)
}

/// One certificate, DER as given or decoded from a PEM text holding exactly one
/// `CERTIFICATE` block.
pub(crate) fn certificate(input: &[u8]) -> Result<Cow<'_, [u8]>, Error> {
    if !is_pem(input) {
        return Ok(Cow::Borrowed(input));
    }
    let mut all = certificates(input)?;
    match all.len() {
        1 => Ok(Cow::Owned(all.remove(0))),
        n => Err(Error::new(
            ErrorKind::InvalidInput,
            format!("certificate: PEM text with {n} CERTIFICATE blocks where one is taken"),
        )),
    }
}

/// One DER structure given DER, or PEM with exactly one block labelled `label` (a CRL is
/// `X509 CRL`, RFC 7468 section 6).
pub(crate) fn der_block<'a>(input: &'a [u8], label: &str) -> Result<Cow<'a, [u8]>, Error> {
    if !is_pem(input) {
        return Ok(Cow::Borrowed(input));
    }
    let mut found = blocks(input, label)?
        .into_iter()
        .filter(|b| b.label == label);
    match (found.next(), found.next()) {
        (Some(b), None) => Ok(Cow::Owned(b.der)),
        (None, _) => Err(Error::new(
            ErrorKind::InvalidInput,
            format!("PEM text without a {label} block"),
        )),
        _ => Err(Error::new(
            ErrorKind::InvalidInput,
            format!("PEM text with more than one {label} block where one is taken"),
        )),
    }
}

/// A PKCS #8 private key, DER as given or decoded from a PEM `PRIVATE KEY` block.
#[cfg(any(feature = "rsa-signer", feature = "aws-lc", test))]
pub(crate) fn private_key(input: &[u8]) -> Result<Cow<'_, [u8]>, Error> {
    if !is_pem(input) {
        return Ok(Cow::Borrowed(input));
    }
    let blocks = blocks(input, "private key")?;
    let mut keys = blocks.iter().filter(|b| b.label == "PRIVATE KEY");
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(Cow::Owned(key.der.clone())),
        (Some(_), Some(_)) => Err(Error::new(
            ErrorKind::InvalidInput,
            "private key: PEM text with more than one PRIVATE KEY block",
        )),
        (None, _) => {
            let hint = match blocks.first().map(|b| b.label.as_str()) {
                Some("RSA PRIVATE KEY") => {
                    "a PKCS #1 RSA PRIVATE KEY: convert it to PKCS #8 \
                     (openssl pkcs8 -topk8 -nocrypt -in KEY -outform DER)"
                }
                Some("ENCRYPTED PRIVATE KEY") => {
                    "an ENCRYPTED PRIVATE KEY: decrypt it to unencrypted PKCS #8 \
                     (openssl pkcs8 -in KEY -outform DER)"
                }
                _ => "no PRIVATE KEY block: pass a PKCS #8 key, DER or PEM",
            };
            Err(Error::new(
                ErrorKind::InvalidInput,
                format!("private key: {hint}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &[u8] = include_bytes!("../tests/fixtures/pki/alfa.der");
    const CERT_PEM: &[u8] = include_bytes!("../tests/fixtures/pki/alfa.pem");
    const KEY: &[u8] = include_bytes!("../tests/fixtures/pki/alfa.key.der");
    const KEY_PEM: &[u8] = include_bytes!("../tests/fixtures/pki/alfa.key");

    #[test]
    fn pem_and_der_give_the_same_bytes() {
        assert_eq!(&*certificate(CERT_PEM).unwrap(), CERT);
        assert_eq!(&*certificate(CERT).unwrap(), CERT);
        assert_eq!(&*private_key(KEY_PEM).unwrap(), KEY);
        assert_eq!(&*private_key(KEY).unwrap(), KEY);
    }

    #[test]
    fn a_bundle_gives_every_certificate_and_one_is_refused_where_one_is_taken() {
        let mut bundle = b"explanatory text\n".to_vec();
        bundle.extend_from_slice(CERT_PEM);
        bundle.extend_from_slice(KEY_PEM);
        bundle.extend_from_slice(CERT_PEM);
        assert_eq!(certificates(&bundle).unwrap(), vec![CERT.to_vec(); 2]);
        let e = certificate(&bundle).unwrap_err();
        assert!(e.message().contains("2 CERTIFICATE blocks"), "{e}");
    }

    #[test]
    fn what_cannot_be_used_is_named() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n",
                "PKCS #1",
            ),
            (
                b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
                "ENCRYPTED",
            ),
            (b"-----BEGIN PRIVATE KEY-----\nMAA=\n", "no END line"),
            (
                b"-----BEGIN PRIVATE KEY-----\nMA*A=\n-----END PRIVATE KEY-----\n",
                "bad base64",
            ),
        ];
        for (input, says) in cases {
            let e = private_key(input).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.message().contains(says), "{e}");
        }
        let e = certificate(KEY_PEM).unwrap_err();
        assert!(e.message().contains("without a CERTIFICATE block"), "{e}");
    }
}
