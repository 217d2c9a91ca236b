//! A minimal BER/DER walker (ITU-T X.690) that hands out raw TLV slices.
//!
//! The `der` crate decodes values; this walker locates them. Verification needs the exact
//! transmitted bytes of some elements (the signed attributes, each certificate, the
//! to-be-signed part of a certificate), which a decode-and-re-encode cannot give when the
//! sender did not use DER. Limits: nesting depth, and only the low-tag-number form (all CMS
//! and X.509 tags fit it).

use crate::error::{Error, ErrorKind};

/// The deepest nesting accepted. CMS SignedData with certificates nests about 12 levels.
pub(crate) const MAX_DEPTH: usize = 32;

/// One element: identifier octet, raw bytes, content bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (class, constructed bit, tag number).
    pub tag: u8,
    /// The whole element: header, content and, for an indefinite length, the end-of-contents.
    pub raw: &'a [u8],
    /// The content octets (end-of-contents excluded).
    pub content: &'a [u8],
    /// Whether the length was indefinite (BER only).
    pub indefinite: bool,
}

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const UTC_TIME: u8 = 0x17;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;

fn malformed(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedCms, what)
}

impl<'a> Tlv<'a> {
    /// Reads exactly one element from `input`, which must hold nothing else.
    pub(crate) fn parse_all(input: &'a [u8]) -> Result<Tlv<'a>, Error> {
        let (tlv, used) = read(input, 0)?;
        if used != input.len() {
            return Err(malformed(format!(
                "{} bytes after the end of the ASN.1 structure",
                input.len() - used
            ))
            .at(used));
        }
        Ok(tlv)
    }

    /// Whether the constructed bit is set.
    pub(crate) fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// The children of a constructed element.
    pub(crate) fn children(&self) -> Children<'a> {
        Children {
            rest: if self.constructed() {
                self.content
            } else {
                &[]
            },
        }
    }

    /// The children, checking that this element has `tag`.
    pub(crate) fn expect(&self, tag: u8, what: &str) -> Result<Children<'a>, Error> {
        if self.tag != tag {
            return Err(malformed(format!(
                "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
                self.tag
            )));
        }
        Ok(self.children())
    }

    /// Whether this element or any element inside it has an indefinite length (looked for
    /// down to [`MAX_DEPTH`]).
    pub(crate) fn has_indefinite(&self) -> bool {
        self.has_indefinite_below(0)
    }

    fn has_indefinite_below(&self, depth: usize) -> bool {
        self.indefinite
            || (depth < MAX_DEPTH
                && self.constructed()
                && self
                    .children()
                    .any(|c| c.is_ok_and(|c| c.has_indefinite_below(depth + 1))))
    }

    /// The bytes of an OCTET STRING, joining the segments of a constructed one (BER).
    pub(crate) fn octets(&self, what: &str) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.octets_into(what, 0, &mut out)?;
        Ok(out)
    }

    fn octets_into(&self, what: &str, depth: usize, out: &mut Vec<u8>) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("{what}: OCTET STRING segments nested deeper than {MAX_DEPTH}"),
            ));
        }
        match self.tag {
            OCTET_STRING => out.extend_from_slice(self.content),
            0x24 => {
                for child in self.children() {
                    child?.octets_into(what, depth + 1, out)?;
                }
            }
            t => {
                return Err(malformed(format!(
                    "{what}: expected an OCTET STRING, found tag 0x{t:02x}"
                )));
            }
        }
        Ok(())
    }

    /// The object identifier of an OID element.
    pub(crate) fn oid(&self, what: &str) -> Result<const_oid::ObjectIdentifier, Error> {
        if self.tag != OID {
            return Err(malformed(format!("{what}: expected an OBJECT IDENTIFIER")));
        }
        const_oid::ObjectIdentifier::from_bytes(self.content)
            .map_err(|_| malformed(format!("{what}: malformed OBJECT IDENTIFIER")))
    }
}

/// Iterator over the children of a constructed element.
#[derive(Debug, Clone)]
pub(crate) struct Children<'a> {
    rest: &'a [u8],
}

impl<'a> Children<'a> {
    /// The next child, which must exist.
    pub(crate) fn required(&mut self, what: &str) -> Result<Tlv<'a>, Error> {
        self.next()
            .unwrap_or_else(|| Err(malformed(format!("{what} is missing"))))
    }

    /// The next child if it has `tag`, without consuming it otherwise.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, Error> {
        match self.rest.first() {
            Some(&t) if t == tag => self.next().transpose(),
            _ => Ok(None),
        }
    }

    /// Fails if any child is left.
    pub(crate) fn end(&mut self, what: &str) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(malformed(format!("unexpected data at the end of {what}")))
        }
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Tlv<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read(self.rest, 1) {
            Ok((tlv, used)) => {
                self.rest = self.rest.get(used..).unwrap_or(&[]);
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Reads one element at the start of `input`; returns it and the bytes it used.
fn read(input: &[u8], depth: usize) -> Result<(Tlv<'_>, usize), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("ASN.1 nesting deeper than {MAX_DEPTH}"),
        ));
    }
    let tag = *input
        .first()
        .ok_or_else(|| malformed("truncated ASN.1: no tag"))?;
    if tag & 0x1f == 0x1f {
        return Err(malformed(
            "ASN.1 high tag numbers are not used by CMS or X.509",
        ));
    }
    let first = *input
        .get(1)
        .ok_or_else(|| malformed("truncated ASN.1: no length"))?;
    let (header, length) = match first {
        0x80 => (2, None),
        n if n < 0x80 => (2, Some(usize::from(n))),
        n => {
            let count = usize::from(n & 0x7f);
            if count > 4 {
                return Err(malformed("ASN.1 length over 4 GiB"));
            }
            let bytes = input
                .get(2..2 + count)
                .ok_or_else(|| malformed("truncated ASN.1 length"))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (2 + count, Some(len))
        }
    };
    match length {
        Some(len) => {
            let end = header
                .checked_add(len)
                .filter(|&e| e <= input.len())
                .ok_or_else(|| {
                    malformed(format!(
                        "ASN.1 length {len} runs past the end of the data ({} bytes left)",
                        input.len().saturating_sub(header)
                    ))
                })?;
            let tlv = Tlv {
                tag,
                raw: input.get(..end).unwrap_or(&[]),
                content: input.get(header..end).unwrap_or(&[]),
                indefinite: false,
            };
            Ok((tlv, end))
        }
        None => {
            if tag & 0x20 == 0 {
                return Err(malformed("indefinite length on a primitive ASN.1 element"));
            }
            // Children follow until the end-of-contents octets 00 00.
            let mut pos = header;
            loop {
                let rest = input.get(pos..).unwrap_or(&[]);
                if rest.starts_with(&[0, 0]) {
                    let tlv = Tlv {
                        tag,
                        raw: input.get(..pos + 2).unwrap_or(&[]),
                        content: input.get(header..pos).unwrap_or(&[]),
                        indefinite: true,
                    };
                    return Ok((tlv, pos + 2));
                }
                if rest.is_empty() {
                    return Err(malformed("indefinite-length ASN.1 without end-of-contents"));
                }
                let (_, used) = read(rest, depth + 1)?;
                pos += used;
            }
        }
    }
}

/// Encodes a DER length.
/// UTCTime or GeneralizedTime in the `Z` forms RFC 5280 and RFC 5652 prescribe.
pub(crate) fn time(t: &Tlv<'_>, what: &str) -> Result<crate::time::PecTime, Error> {
    let text =
        std::str::from_utf8(t.content).map_err(|_| malformed(format!("{what} is not text")))?;
    let bad = || malformed(format!("{what} {text:?} is malformed"));
    // Digits only (and the final `Z`): `str::parse` would also take a sign.
    let digits = text.len().saturating_sub(1);
    if !text.bytes().take(digits).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (year, rest) = match t.tag {
        UTC_TIME => {
            let yy: i32 = text.get(..2).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
            (
                if yy < 50 { 2000 + yy } else { 1900 + yy },
                text.get(2..).ok_or_else(bad)?,
            )
        }
        GENERALIZED_TIME => (
            text.get(..4).and_then(|s| s.parse().ok()).ok_or_else(bad)?,
            text.get(4..).ok_or_else(bad)?,
        ),
        _ => {
            return Err(malformed(format!(
                "{what} is neither UTCTime nor GeneralizedTime"
            )));
        }
    };
    if rest.len() != 11 || !rest.ends_with('Z') || !rest[..10].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |r: core::ops::Range<usize>| -> Result<u32, Error> {
        rest.get(r).and_then(|s| s.parse().ok()).ok_or_else(bad)
    };
    crate::time::PecTime::from_parts(year, n(0..2)?, n(2..4)?, n(4..6)?, n(6..8)?, n(8..10)?, 0)
        .map_err(|_| bad())
}

pub(crate) fn der_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_definite_and_indefinite() {
        // SEQUENCE { INTEGER 5, SEQUENCE (indefinite) { OCTET STRING "ab" } }
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x05, 0x30, 0x80, 0x04, 0x02, b'a', b'b', 0, 0, 0, 0,
        ];
        let t = Tlv::parse_all(&ber).unwrap();
        assert!(t.indefinite && t.has_indefinite());
        let mut c = t.expect(SEQUENCE, "outer").unwrap();
        let int = c.required("int").unwrap();
        assert_eq!((int.tag, int.content), (INTEGER, &[5u8][..]));
        let inner = c.required("inner").unwrap();
        assert_eq!(inner.raw.len(), 8);
        assert_eq!(inner.children().next().unwrap().unwrap().content, b"ab");
        c.end("outer").unwrap();
        let der = [0x30, 0x03, 0x02, 0x01, 0x05];
        assert!(!Tlv::parse_all(&der).unwrap().has_indefinite());
    }

    #[test]
    fn constructed_octet_strings_join() {
        let ber = [0x24, 0x80, 0x04, 0x01, b'a', 0x04, 0x02, b'b', b'c', 0, 0];
        assert_eq!(Tlv::parse_all(&ber).unwrap().octets("x").unwrap(), b"abc");
    }

    #[test]
    fn refuses_bad_input() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x02],
            &[0x30, 0x85, 1, 0, 0, 0, 0],
            &[0x04, 0x80, 0, 0],
            &[0x30, 0x80, 0x02, 0x01, 0x05],
            &[0x1f, 0x01, 0x00],
            &[0x30, 0x00, 0x00],
        ] {
            assert!(Tlv::parse_all(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn deep_indefinite_nesting_is_limited() {
        let mut bomb = Vec::new();
        for _ in 0..10_000 {
            bomb.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..10_000 {
            bomb.extend_from_slice(&[0, 0]);
        }
        assert_eq!(
            Tlv::parse_all(&bomb).unwrap_err().kind(),
            ErrorKind::LimitExceeded
        );
    }

    #[test]
    fn deep_definite_nesting_is_walked_safely() {
        // 2,000 nested definite-length constructed OCTET STRINGs: reading the outer one is
        // flat, but joining its segments or looking for indefinite lengths must not recurse
        // without bound.
        let mut bomb = vec![0x04, 0x00];
        for _ in 0..2_000 {
            let mut outer = vec![0x24];
            der_length(bomb.len(), &mut outer);
            outer.extend_from_slice(&bomb);
            bomb = outer;
        }
        let t = Tlv::parse_all(&bomb).unwrap();
        assert!(!t.has_indefinite());
        assert_eq!(
            t.octets("bomb").unwrap_err().kind(),
            ErrorKind::LimitExceeded
        );
    }

    #[test]
    fn der_lengths() {
        for (len, enc) in [
            (0usize, vec![0x00]),
            (127, vec![0x7f]),
            (128, vec![0x81, 0x80]),
            (256, vec![0x82, 0x01, 0x00]),
            (70_000, vec![0x83, 0x01, 0x11, 0x70]),
        ] {
            let mut out = Vec::new();
            der_length(len, &mut out);
            assert_eq!(out, enc, "{len}");
        }
    }
}
