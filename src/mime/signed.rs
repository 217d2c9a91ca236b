//! `multipart/signed` (RFC 1847, S/MIME RFC 8551 section 3.5): the strict split of a received
//! message and the framing of a message to send.
//!
//! Every PEC message is one of these: a first part, the signed entity, and a second part,
//! `smime.p7s`, the detached CMS signature (spec 2.1, 7.1). The split is our own code rather
//! than a general MIME parser's, because the exact signed byte range is what the signature
//! covers: a parser that cuts a part at a different place than the signer meant would verify
//! something else than what the reader is shown.

use std::borrow::Cow;
use std::ops::Range;

use super::base64;
use super::header::{ContentType, HeaderLimits, parse_block};
use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind};

/// The media type of the signature part and of the `protocol` parameter.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignatureProtocol {
    /// `application/pkcs7-signature` (RFC 8551), written by current platforms.
    #[default]
    Pkcs7Signature,
    /// `application/x-pkcs7-signature`, the pre-standard label the OpenPEC family writes.
    XPkcs7Signature,
}

impl SignatureProtocol {
    /// The media type as written.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureProtocol::Pkcs7Signature => "application/pkcs7-signature",
            SignatureProtocol::XPkcs7Signature => "application/x-pkcs7-signature",
        }
    }

    fn from_media_type(s: &str) -> Option<SignatureProtocol> {
        if s.eq_ignore_ascii_case("application/pkcs7-signature") {
            Some(SignatureProtocol::Pkcs7Signature)
        } else if s.eq_ignore_ascii_case("application/x-pkcs7-signature") {
            Some(SignatureProtocol::XPkcs7Signature)
        } else {
            None
        }
    }
}

/// Options of [`SignedMessage::parse`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitOptions {
    /// Convert bare LF line ends to CR LF before splitting, as OpenSSL does, and report it
    /// (`mime-lf-line-endings`). Messages stored by mail clients and repositories often lost
    /// their CRs; the signature covers the CR LF form. Off by default: a bare LF is an error.
    pub canonicalize_line_endings: bool,
    /// The largest message accepted, in bytes. Default: 256 MiB (providers cap messages at
    /// 100 MB).
    pub max_size: usize,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            canonicalize_line_endings: false,
            max_size: 256 << 20,
        }
    }
}

/// A received `multipart/signed` message, split strictly.
///
/// The split requires: a top-level `Content-Type: multipart/signed` with a `boundary`, a
/// `protocol` naming a PKCS #7 signature and a `micalg`; delimiter lines only at line starts
/// (with optional transport padding); no line of the content that begins with the delimiter
/// and continues otherwise (an ambiguous boundary); exactly two parts and a close delimiter;
/// a second part of the protocol's type in base64. The preamble and the epilogue are ignored.
///
/// Everything outside the signed range is unsigned, and another reader may be shown it: so
/// what can be read two ways is refused there ([`ErrorKind::AmbiguousMime`]), never
/// interpreted. In the top-level header block, the preamble, the delimiter lines, the
/// signature part and the epilogue: a CR not followed by LF (Python's `email` ends a line
/// there), NUL, blanks before a header's colon. In the top-level `Content-Type`: any RFC 2231
/// parameter (`boundary*=`, `boundary*0=`), a parameter given twice in any case, a
/// quoted-pair, a comment; on the multipart, a transfer encoding other than 7bit, 8bit or
/// binary. A line beginning with `--` in the preamble or the epilogue, and `--boundary`
/// anywhere but at the start of a delimiter line. A `smime.p7s` whose base64 lacks its final
/// padding (readers decode its last bytes differently).
#[derive(Debug, Clone)]
pub struct SignedMessage<'a> {
    source: Cow<'a, [u8]>,
    headers: Vec<(Range<usize>, Range<usize>)>,
    body_start: usize,
    signed: Range<usize>,
    signature: Vec<u8>,
    protocol: SignatureProtocol,
    micalg: String,
    boundary: String,
    diagnostics: Vec<Diagnostic>,
}

/// Converts bare LF line ends to CR LF, borrowing when there is none.
pub fn canonical_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = first_bare_lf(raw) else {
        return Cow::Borrowed(raw);
    };
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    out.extend_from_slice(raw.get(..first).unwrap_or(&[]));
    let mut start = first;
    for lf in memchr::memchr_iter(b'\n', raw.get(first..).unwrap_or(&[])) {
        let at = first + lf;
        out.extend_from_slice(raw.get(start..at).unwrap_or(&[]));
        if at == 0 || raw.get(at - 1) != Some(&b'\r') {
            out.push(b'\r');
        }
        out.push(b'\n');
        start = at + 1;
    }
    out.extend_from_slice(raw.get(start..).unwrap_or(&[]));
    Cow::Owned(out)
}

/// The offset of the first LF not preceded by CR.
pub(crate) fn first_bare_lf(raw: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\n', raw).find(|&at| at == 0 || raw.get(at - 1) != Some(&b'\r'))
}

impl<'a> SignedMessage<'a> {
    /// Splits a received message. See the type documentation for what is required.
    pub fn parse(raw: &'a [u8], options: &SplitOptions) -> Result<SignedMessage<'a>, Error> {
        if raw.len() > options.max_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the message is {} bytes, over the limit of {}",
                    raw.len(),
                    options.max_size
                ),
            ));
        }
        let mut diagnostics = Vec::new();
        let found = first_bare_lf(raw);
        let source = match found {
            Some(at) if options.canonicalize_line_endings => {
                diagnostics.push(Diagnostic::new(
                    DiagnosticCode::MimeLfLineEndings,
                    format!("bare LF line ends (the first at byte {at}) read as CR LF"),
                ));
                canonical_crlf(raw)
            }
            _ => Cow::Borrowed(raw),
        };
        let lf_error = |at: usize| {
            Error::new(
                ErrorKind::MalformedMime,
                "bare LF line end: the signature covers CR LF line ends \
                 (SplitOptions::canonicalize_line_endings converts them)",
            )
            .at(at)
        };
        // The bare LF found above, unless it was canonicalised away (scanned once).
        let first_lf = match &source {
            Cow::Borrowed(_) => found,
            Cow::Owned(_) => None,
        };
        let split = match split(&source) {
            Ok(split) => split,
            Err(e) => return Err(first_lf.map_or(e, lf_error)),
        };
        if let Some(at) = first_lf {
            // OpenSSL 3 writes the base64 of smime.p7s with LF even under -crlfeol; line
            // breaks inside base64 carry nothing, so only there are they tolerated.
            if !split.signature_body.contains(&at) {
                return Err(lf_error(at));
            }
            let later = source
                .get(split.signature_body.end..)
                .and_then(first_bare_lf)
                .map(|i| i + split.signature_body.end);
            if let Some(at) = later {
                return Err(lf_error(at));
            }
            diagnostics.push(Diagnostic::new(
                DiagnosticCode::SmimeSignatureLf,
                "the base64 of smime.p7s has bare LF line ends",
            ));
        }
        let mut split = split;
        diagnostics.append(&mut split.diagnostics);
        Ok(SignedMessage {
            headers: split.headers,
            body_start: split.body_start,
            signed: split.signed,
            signature: split.signature,
            protocol: split.protocol,
            micalg: split.micalg,
            boundary: split.boundary,
            diagnostics,
            source,
        })
    }

    /// The message as split: the input, or its CR LF form when it was canonicalised.
    pub fn source(&self) -> &[u8] {
        &self.source
    }

    /// Whether the input was canonicalised to CR LF (so [`source`](Self::source) is a copy).
    pub fn is_canonicalized(&self) -> bool {
        matches!(self.source, Cow::Owned(_))
    }

    /// The top-level header fields in order: name and raw value (folding included).
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.headers.iter().map(|(n, v)| {
            (
                self.source.get(n.clone()).unwrap_or(&[]),
                self.source.get(v.clone()).unwrap_or(&[]),
            )
        })
    }

    /// Offset of the body in [`source`](Self::source).
    pub fn body_start(&self) -> usize {
        self.body_start
    }

    /// The signed byte range in [`source`](Self::source): the first part, headers and body,
    /// without the CR LF that precedes the next delimiter (RFC 2046 section 5.1.1).
    pub fn signed_range(&self) -> Range<usize> {
        self.signed.clone()
    }

    /// The signed entity: what the signature covers.
    pub fn signed_content(&self) -> &[u8] {
        self.source.get(self.signed.clone()).unwrap_or(&[])
    }

    /// The decoded `smime.p7s`: a CMS `ContentInfo` in DER or BER.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The `protocol` parameter.
    pub fn protocol(&self) -> SignatureProtocol {
        self.protocol
    }

    /// The `micalg` parameter, lower-cased.
    pub fn micalg(&self) -> &str {
        &self.micalg
    }

    /// The `boundary` parameter.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// What the split noticed: canonicalised line ends, a non-standard `micalg` spelling.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
}

struct Split {
    headers: Vec<(Range<usize>, Range<usize>)>,
    body_start: usize,
    signed: Range<usize>,
    signature: Vec<u8>,
    /// Where the base64 of the signature lies in the message.
    signature_body: Range<usize>,
    protocol: SignatureProtocol,
    micalg: String,
    boundary: String,
    diagnostics: Vec<Diagnostic>,
}

fn mime_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedMime, message)
}

fn split(msg: &[u8]) -> Result<Split, Error> {
    let head = parse_block(msg, HeaderLimits::default())?;
    unambiguous_bytes(msg, 0..head.body_start, "the header block")?;
    if let Some(f) = head.fields.iter().find(|f| f.blank_before_colon) {
        return Err(ambiguous(
            "blanks before a header's colon: Python's email ends the header block there",
        )
        .at(f.start));
    }
    let headers = head
        .fields
        .iter()
        .map(|f| {
            (
                f.start..f.start + f.name.len(),
                f.value_start..f.value_start + f.value.len(),
            )
        })
        .collect();
    let ct_field = head
        .one("Content-Type")?
        .ok_or_else(|| mime_error("no Content-Type: not a multipart/signed message"))?;
    let ct_value = ct_field.unfolded();
    let ct = ContentType::parse(&ct_value)?;
    if !ct.is("multipart", "signed") {
        return Err(mime_error(format!(
            "Content-Type is {}/{}, not multipart/signed",
            ct.media_type, ct.subtype
        )));
    }
    unambiguous_content_type(&ct_value, &ct).map_err(|e| e.at(ct_field.start))?;
    if let Some(cte) = head.one("Content-Transfer-Encoding")? {
        let cte = cte.unfolded();
        if !["7bit", "8bit", "binary"].contains(&cte.to_ascii_lowercase().as_str()) {
            return Err(ambiguous(format!(
                "Content-Transfer-Encoding: {cte} on a multipart (RFC 2045 section 6.4 allows \
                 only 7bit, 8bit, binary): readers that decode it see another body"
            )));
        }
    }
    let boundary = ct
        .param("boundary")
        .ok_or_else(|| mime_error("multipart/signed without a boundary parameter"))?
        .to_owned();
    check_boundary(&boundary)?;
    let protocol_label = ct
        .param("protocol")
        .ok_or_else(|| mime_error("multipart/signed without a protocol parameter"))?;
    let protocol = SignatureProtocol::from_media_type(protocol_label).ok_or_else(|| {
        mime_error(format!(
            "protocol {protocol_label:?} is not a PKCS #7 signature"
        ))
    })?;
    let micalg = ct
        .param("micalg")
        .ok_or_else(|| mime_error("multipart/signed without a micalg parameter"))?
        .to_ascii_lowercase();
    let mut diagnostics = Vec::new();
    if !matches!(
        micalg.as_str(),
        "sha-1" | "sha1" | "sha-256" | "sha-384" | "sha-512"
    ) {
        diagnostics.push(Diagnostic::new(
            DiagnosticCode::SmimeMicalgLabel,
            format!("micalg={micalg} is not a registered label (RFC 5751: sha-1, sha-256, ...)"),
        ));
    }

    let found = super::multipart::split(msg, head.body_start..msg.len(), &boundary, 3)?;
    let (first_delimiter, epilogue) = (found.first_delimiter, found.epilogue);
    let [signed, second] = two_parts(found.parts)?;
    // Everything outside the signed range is unsigned: what another reader takes from it
    // must be what we take, so nothing in it may read two ways.
    unambiguous_bytes(msg, head.body_start..signed.start, "the preamble")?;
    unambiguous_bytes(
        msg,
        signed.end..msg.len(),
        "the signature part or the epilogue",
    )?;
    no_dash_lines(msg, head.body_start..first_delimiter, "the preamble")?;
    no_dash_lines(msg, epilogue..msg.len(), "the epilogue")?;
    let (signature, signature_body) = signature_part(msg, second, protocol)?;
    Ok(Split {
        headers,
        body_start: head.body_start,
        signed,
        signature,
        signature_body,
        protocol,
        micalg,
        boundary,
        diagnostics,
    })
}

/// RFC 2046: 1 to 70 characters from `bchars`, not ending with a space.
fn check_boundary(b: &str) -> Result<(), Error> {
    let ok_char = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    if b.is_empty() || b.len() > 70 || !b.bytes().all(ok_char) || b.ends_with(' ') {
        return Err(mime_error(format!(
            "boundary {b:?} is not valid (RFC 2046)"
        )));
    }
    Ok(())
}

fn ambiguous(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::AmbiguousMime, message)
}

/// Refuses, in `msg[range]`, the bytes MIME parsers split differently: a CR not followed by
/// LF (Python's `email` ends a line there, under both policies, so a header or a delimiter
/// line could begin after it) and NUL (C-string readers stop there). A bare LF was refused or
/// canonicalised before.
fn unambiguous_bytes(msg: &[u8], range: Range<usize>, region: &str) -> Result<(), Error> {
    let start = range.start;
    let bytes = msg.get(range).unwrap_or(&[]);
    for at in memchr::memchr2_iter(b'\r', 0, bytes) {
        if bytes.get(at) == Some(&0) {
            return Err(ambiguous(format!("a NUL byte in {region}")).at(start + at));
        }
        if bytes.get(at + 1) != Some(&b'\n') {
            return Err(ambiguous(format!(
                "a CR not followed by LF in {region}: other readers end a line there"
            ))
            .at(start + at));
        }
    }
    Ok(())
}

/// Refuses a line that begins with `--` in the preamble or the epilogue: it is a delimiter
/// for a reader that takes another boundary, and nothing a provider writes there needs one.
fn no_dash_lines(msg: &[u8], range: Range<usize>, region: &str) -> Result<(), Error> {
    let start = range.start;
    let bytes = msg.get(range).unwrap_or(&[]);
    let mut line = 0;
    loop {
        if bytes.get(line..line + 2) == Some(b"--") {
            return Err(ambiguous(format!(
                "a line of {region} begins with \"--\", like a boundary delimiter"
            ))
            .at(start + line));
        }
        match memchr::memchr(b'\n', bytes.get(line..).unwrap_or(&[])) {
            Some(lf) => line += lf + 1,
            None => return Ok(()),
        }
    }
}

/// Refuses, in the top-level `Content-Type` (unsigned, and the one that decides where the
/// signed bytes are), every form readers take differently:
/// - an RFC 2231 parameter (`boundary*=''EVIL`, `boundary*0=`): Python's default policy
///   prefers it to a plain `boundary`, compat32 does not;
/// - a quoted-pair (`"\-B"`): RFC 2045 unquotes it, Python's compat32 keeps the backslash;
/// - a comment: compat32 keeps it in the value.
///
/// A parameter given twice (in any case) is refused when the value is parsed.
fn unambiguous_content_type(value: &str, ct: &ContentType) -> Result<(), Error> {
    if let Some((name, _)) = ct.params.iter().find(|(n, _)| n.contains('*')) {
        return Err(ambiguous(format!(
            "the multipart/signed Content-Type has an RFC 2231 parameter ({name}): readers \
             choose between its forms differently"
        )));
    }
    let mut quoted = false;
    for b in value.bytes() {
        match (quoted, b) {
            (_, b'"') => quoted = !quoted,
            (true, b'\\') => {
                return Err(ambiguous(
                    "a quoted-pair in the multipart/signed Content-Type: Python's compat32 \
                     keeps the backslash",
                ));
            }
            (false, b'(') => {
                return Err(ambiguous(
                    "a comment in the multipart/signed Content-Type: Python's compat32 keeps \
                     it in the value",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The two parts of a `multipart/signed` body.
fn two_parts(found: Vec<Range<usize>>) -> Result<[Range<usize>; 2], Error> {
    match <[Range<usize>; 2]>::try_from(found) {
        Ok(two) => Ok(two),
        Err(parts) => Err(mime_error(format!(
            "multipart/signed with {} part(s) instead of two",
            parts.len()
        ))),
    }
}

/// Reads the signature part: its type must match the protocol; base64 is decoded. Returns
/// the signature and the range of its base64 text in `msg`.
fn signature_part(
    msg: &[u8],
    part: Range<usize>,
    protocol: SignatureProtocol,
) -> Result<(Vec<u8>, Range<usize>), Error> {
    let bytes = msg.get(part.clone()).unwrap_or(&[]);
    let head = parse_block(bytes, HeaderLimits::default()).map_err(|e| {
        let at = e.offset().unwrap_or(0);
        Error::new(e.kind(), format!("signature part: {}", e.message())).at(part.start + at)
    })?;
    let ct = head
        .one("Content-Type")?
        .ok_or_else(|| mime_error("the signature part has no Content-Type").at(part.start))?;
    let ct = ContentType::parse(&ct.unfolded())?;
    let label = format!("{}/{}", ct.media_type, ct.subtype);
    if SignatureProtocol::from_media_type(&label) != Some(protocol) {
        return Err(mime_error(format!(
            "the signature part is {label}, but protocol says {}",
            protocol.as_str()
        ))
        .at(part.start));
    }
    // Its name, shown by every client as the attachment's: the one RFC 8551 gives it, or
    // none (the headers are unsigned).
    let disposition = head
        .one("Content-Disposition")?
        .map(|f| super::header::parse_disposition(&f.unfolded()))
        .transpose()?;
    for (what, name) in [
        ("name", super::header::parameter(&ct.params, "name")),
        (
            "filename",
            disposition.and_then(|(_, p)| super::header::parameter(&p, "filename")),
        ),
    ] {
        if let Some(name) = name
            && name != "smime.p7s"
        {
            return Err(ambiguous(format!(
                "the signature part's {what} is {name:?}, not smime.p7s"
            ))
            .at(part.start));
        }
    }
    let encoding = head
        .one("Content-Transfer-Encoding")?
        .map(|f| f.unfolded().to_ascii_lowercase());
    if encoding.as_deref() != Some("base64") {
        return Err(mime_error(format!(
            "the signature part is not base64 (Content-Transfer-Encoding: {})",
            encoding.as_deref().unwrap_or("absent")
        ))
        .at(part.start));
    }
    let body = bytes.get(head.body_start..).unwrap_or(&[]);
    let der = base64::decode(body).map_err(|e| {
        let detail = match e {
            base64::DecodeError::InvalidByte(i) => format!("invalid base64 byte at {i}"),
            base64::DecodeError::AfterPadding(i) => format!("data after base64 padding at {i}"),
            base64::DecodeError::Length => "truncated base64".to_owned(),
        };
        Error::new(
            ErrorKind::MalformedCms,
            format!("smime.p7s does not decode: {detail}"),
        )
        .at(part.start + head.body_start)
    })?;
    if der.is_empty() {
        return Err(Error::new(ErrorKind::MalformedCms, "smime.p7s is empty").at(part.start));
    }
    // RFC 2045 section 6.8 completes the last quantum with `=`. Readers differ on a body that
    // does not: Python's email pads it and decodes its last one or two bytes, mail-parser
    // 0.11 drops them (found by the split_differential fuzz target).
    let text = body
        .iter()
        .filter(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    if text % 4 != 0 {
        return Err(ambiguous(
            "smime.p7s is base64 without its final padding: readers decode its last bytes \
             differently",
        )
        .at(part.start + head.body_start));
    }
    Ok((der, part.start + head.body_start..part.end))
}

/// Writes the start of a `multipart/signed` message into `out`: `head` (header lines, each
/// ended by CR LF, without MIME-Version and Content-Type), the MIME header, a preamble and the
/// first delimiter line. The signed entity follows; the boundary must not occur in it (see
/// [`Boundaries`](super::boundary::Boundaries)).
pub(crate) fn frame_head(
    out: &mut Vec<u8>,
    head: &[u8],
    boundary: &str,
    protocol: SignatureProtocol,
    micalg: &str,
) {
    out.extend_from_slice(head);
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    out.extend_from_slice(b"Content-Type: multipart/signed; protocol=\"");
    out.extend_from_slice(protocol.as_str().as_bytes());
    out.extend_from_slice(b"\"; micalg=");
    out.extend_from_slice(micalg.as_bytes());
    out.extend_from_slice(b";\r\n\tboundary=\"");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\"\r\n\r\nThis is an S/MIME signed message\r\n\r\n--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Writes the end of a `multipart/signed` message after the signed entity: the signature part
/// (`smime.p7s`, base64 at 76 columns) and the close delimiter.
pub(crate) fn frame_tail(
    out: &mut Vec<u8>,
    boundary: &str,
    protocol: SignatureProtocol,
    signature: &[u8],
) {
    out.reserve(signature.len() * 4 / 3 + 512);
    out.extend_from_slice(b"\r\n--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\nContent-Type: ");
    out.extend_from_slice(protocol.as_str().as_bytes());
    out.extend_from_slice(
        b"; name=\"smime.p7s\"\r\nContent-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
          Content-Description: S/MIME Cryptographic Signature\r\n\r\n",
    );
    base64::encode_lines(signature, out);
    out.extend_from_slice(b"\r\n--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const P7S_B64: &str = "MAMCAQA=";

    fn message(boundary: &str, first: &str, second_type: &str) -> String {
        format!(
            "From: a@b\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n micalg=sha-256; boundary=\"{boundary}\"\r\n\r\nThis is an S/MIME signed message\r\n--{boundary}\r\n{first}\r\n--{boundary}\r\nContent-Type: {second_type}; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n{P7S_B64}\r\n--{boundary}--\r\nepilogue"
        )
    }

    fn parse(m: &str) -> Result<SignedMessage<'_>, Error> {
        SignedMessage::parse(m.as_bytes(), &SplitOptions::default())
    }

    #[test]
    fn splits_exactly() {
        let first = "Content-Type: text/plain\r\n\r\nhello\r\n";
        let m = message("B", first, "application/pkcs7-signature");
        let s = parse(&m).unwrap();
        assert_eq!(s.signed_content(), first.as_bytes());
        assert_eq!(s.signature(), [0x30, 0x03, 0x02, 0x01, 0x00]);
        assert_eq!(s.boundary(), "B");
        assert_eq!(s.micalg(), "sha-256");
        assert_eq!(s.protocol(), SignatureProtocol::Pkcs7Signature);
        assert!(s.diagnostics().is_empty());
        assert_eq!(s.headers().count(), 2);
    }

    #[test]
    fn mid_line_boundary_text_is_ambiguous() {
        // mail-parser 0.11 cuts parts here (its issue 156), Python's email does not.
        let first = "Content-Type: text/plain\r\n\r\nvisit --B and more";
        let m = message("B", first, "application/pkcs7-signature");
        assert_eq!(parse(&m).unwrap_err().kind(), ErrorKind::AmbiguousMime);
    }

    #[test]
    fn boundary_prefix_at_line_start_is_ambiguous() {
        let first = "Content-Type: text/plain\r\n\r\n--Bx not a delimiter?";
        let m = message("B", first, "application/pkcs7-signature");
        assert_eq!(parse(&m).unwrap_err().kind(), ErrorKind::AmbiguousMime);
    }

    #[test]
    fn unsigned_bytes_that_read_two_ways_are_refused() {
        let good = message(
            "B",
            "Content-Type: text/plain\r\n\r\nx",
            "application/pkcs7-signature",
        );
        assert!(parse(&good).is_ok());
        let forged = "Content-Type: multipart/mixed; boundary=\"EVIL\"";
        for (m, what) in [
            // Lone CR in a header value: Python starts a new header after it.
            (
                good.replacen("From: a@b", &format!("From: a@b\r{forged}"), 1),
                "header CR",
            ),
            (good.replacen("From: a@b", "From: a\0@b", 1), "header NUL"),
            (
                good.replacen("From: a@b", "From : a@b", 1),
                "blank before colon",
            ),
            // The structure parameter in RFC 2231 form, before or after the plain one.
            (
                good.replacen("boundary=\"B\"", "boundary*=''EVIL; boundary=\"B\"", 1),
                "2231",
            ),
            (
                good.replacen("boundary=\"B\"", "boundary=\"B\"; boundary*0=EVIL", 1),
                "2231 cont.",
            ),
            (
                good.replacen("micalg=sha-256", "micalg*=''sha-256", 1),
                "2231 micalg",
            ),
            // Quoted-pair and comment: compat32 keeps them.
            (
                good.replacen("boundary=\"B\"", "boundary=\"\\B\"", 1),
                "quoted-pair",
            ),
            (
                good.replacen("boundary=\"B\"", "boundary=(c)\"B\"", 1),
                "comment",
            ),
            (
                good.replacen(
                    "\r\n\r\n",
                    "\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                    1,
                ),
                "cte",
            ),
            // The preamble and the epilogue.
            (
                good.replacen("signed message\r\n", "signed message\rx\r\n", 1),
                "preamble CR",
            ),
            (
                good.replacen("signed message\r\n", "signed message\r\n--EVIL\r\n", 1),
                "preamble dash",
            ),
            (good.replacen("epilogue", "e\r--B\r\n", 1), "epilogue CR"),
            (good.replacen("epilogue", "--EVIL--", 1), "epilogue dash"),
            (
                good.replacen("base64\r\n\r\n", "base64\r\nX: \r\r\n\r\n", 1),
                "signature part CR",
            ),
            // The base64 without its padding: mail-parser 0.11 drops the unfinished quantum's
            // bytes, Python pads and keeps them (split_differential fuzz target).
            (good.replacen(P7S_B64, "MAMCAQA", 1), "unpadded signature"),
        ] {
            let e = parse(&m).map(|_| ()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AmbiguousMime, "{what}: {e}");
        }
        // A repeated parameter is refused whatever its case.
        let twice = good.replacen("boundary=\"B\"", "boundary=\"B\"; BOUNDARY=\"EVIL\"", 1);
        assert!(parse(&twice).is_err());
    }

    #[test]
    fn transport_padding_is_allowed() {
        let first = "Content-Type: text/plain\r\n\r\nx";
        let m =
            message("B", first, "application/pkcs7-signature").replacen("--B\r\n", "--B \t\r\n", 1);
        assert_eq!(parse(&m).unwrap().signed_content(), first.as_bytes());
    }

    #[test]
    fn refuses_wrong_part_counts() {
        let three = "From: a\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=B\r\n\r\n--B\r\n\r\nx\r\n--B\r\n\r\ny\r\n--B\r\n\r\nz\r\n--B--\r\n";
        assert_eq!(parse(three).unwrap_err().kind(), ErrorKind::MalformedMime);
        let one = "From: a\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=B\r\n\r\n--B\r\n\r\nx\r\n--B--\r\n";
        assert_eq!(parse(one).unwrap_err().kind(), ErrorKind::MalformedMime);
        let open = message("B", "\r\nx", "application/pkcs7-signature").replace("--B--", "--C--");
        assert_eq!(parse(&open).unwrap_err().kind(), ErrorKind::MalformedMime);
        let after =
            message("B", "\r\nx", "application/pkcs7-signature").replace("epilogue", "--B\r\n");
        assert_eq!(parse(&after).unwrap_err().kind(), ErrorKind::AmbiguousMime);
    }

    #[test]
    fn refuses_wrong_types() {
        let m = message("B", "\r\nx", "application/pkcs7-mime");
        assert_eq!(parse(&m).unwrap_err().kind(), ErrorKind::MalformedMime);
        let m = message("B", "\r\nx", "application/pkcs7-signature")
            .replace("multipart/signed", "multipart/mixed");
        assert_eq!(parse(&m).unwrap_err().kind(), ErrorKind::MalformedMime);
        let m =
            message("B", "\r\nx", "application/pkcs7-signature").replace(" micalg=sha-256;", "");
        assert_eq!(parse(&m).unwrap_err().kind(), ErrorKind::MalformedMime);
        let m = message("B", "\r\nx", "application/pkcs7-signature").replace("base64", "7bit");
        assert_eq!(parse(&m).unwrap_err().kind(), ErrorKind::MalformedMime);
        let m =
            message("B", "\r\nx", "application/pkcs7-signature").replace(P7S_B64, "MII...njA==");
        assert_eq!(parse(&m).unwrap_err().kind(), ErrorKind::MalformedCms);
    }

    #[test]
    fn bare_lf_needs_the_option() {
        let m = message(
            "B",
            "Content-Type: text/plain\r\n\r\nhello",
            "application/pkcs7-signature",
        )
        .replace("\r\n", "\n");
        let e = SignedMessage::parse(m.as_bytes(), &SplitOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedMime);
        let options = SplitOptions {
            canonicalize_line_endings: true,
            ..SplitOptions::default()
        };
        let s = SignedMessage::parse(m.as_bytes(), &options).unwrap();
        assert!(s.is_canonicalized());
        assert_eq!(s.signed_content(), b"Content-Type: text/plain\r\n\r\nhello");
        assert_eq!(s.diagnostics()[0].code, DiagnosticCode::MimeLfLineEndings);
    }

    #[test]
    fn canonical_crlf_borrows_when_it_can() {
        assert!(matches!(canonical_crlf(b"a\r\nb"), Cow::Borrowed(_)));
        assert_eq!(&*canonical_crlf(b"\na\r\nb\nc\n"), b"\r\na\r\nb\r\nc\r\n");
    }

    #[test]
    fn nonstandard_micalg_is_reported() {
        let m = message("B", "\r\nx", "application/pkcs7-signature").replace("sha-256", "sha256");
        let s = parse(&m).unwrap();
        assert_eq!(s.diagnostics()[0].code, DiagnosticCode::SmimeMicalgLabel);
    }

    #[test]
    fn framing_splits_back() {
        let entity = b"Content-Type: text/plain\r\n\r\nciao\r\n";
        let boundary = super::super::boundary::Boundaries::new(&[entity]).derive(b"id@x", "signed");
        let mut out = Vec::new();
        frame_head(
            &mut out,
            b"From: x@y\r\n",
            &boundary,
            SignatureProtocol::XPkcs7Signature,
            "sha-256",
        );
        out.extend_from_slice(entity);
        frame_tail(
            &mut out,
            &boundary,
            SignatureProtocol::XPkcs7Signature,
            &[0x30, 0x03, 0x02, 0x01, 0x00],
        );
        let s = SignedMessage::parse(&out, &SplitOptions::default()).unwrap();
        assert_eq!(s.signed_content(), entity);
        assert_eq!(s.signature(), [0x30, 0x03, 0x02, 0x01, 0x00]);
        assert_eq!(s.protocol(), SignatureProtocol::XPkcs7Signature);
        assert_eq!(s.boundary(), boundary);
    }
}
