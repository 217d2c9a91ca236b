//! `read()`: what a received message is, and whether it can be trusted (spec 6.2, 11).
//!
//! The pipeline: split the `multipart/signed` strictly → verify the CMS signature → assess
//! the signer in the caller's [`TrustStore`] at the caller's [`ValidationTime`] (never a time
//! the message claims, unless the caller chooses [`ValidationTime::Claimed`], and then the
//! verdict says so) → read the signed parts (`daticert.xml`,
//! `postacert.eml`, text) → classify → cross-check every unsigned header against the signed
//! content. Headers outside the signature (`X-Ricevuta`, `X-Trasporto`, `From`, `Subject`,
//! `Message-ID`, ...) are never believed on their own; the subject is never used to classify.
//!
//! A message that fails is still described (kind claimed, daticert if readable, why it
//! failed), so that an incoming point can wrap it in an anomaly envelope. Every observation is
//! a [`Diagnostic`]; those of severity `error` mean the message is not a valid PEC message,
//! and [`PecMessage::is_valid`] says so.
//!
//! Strict by default: each tolerated deviation is a named option of [`ReadOptions`], and a
//! deviation found with its option off is reported as `pec-deviation` (an error).
//!
//! The times the message claims (CMS `signingTime`, daticert `data`, `Date:`) are claims,
//! checked against each other (`pec-time-mismatch`, `pec-date-mismatch` beyond
//! [`ReadOptions::claimed_time_tolerance`]); the time trust is judged at is the caller's.
//!
//! Every header a client shows is compared with what the signed parts certify: `From` (one
//! mailbox, the prescribed display name), `Sender`, `Reply-To`, `To`, `Cc` (an envelope's as
//! its signed original has them), `Date` and `Subject` (exactly `oggetto`).

mod check;
pub(crate) mod entity;
mod visible;

use entity::Split;

use std::borrow::Cow;
use std::ops::Range;

use crate::build::MessageKind;
use crate::cms::SignatureReport;
use crate::daticert::{CertError, Daticert, DaticertKind, ParseOptions, ReceiptKind};
use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind, Severity};
use crate::mime::header::{ContentType, HeaderBlock, HeaderLimits, parse_block};
use crate::mime::{SignedMessage, canonical_crlf, first_bare_lf, multipart, words};
use crate::smime::MessageVerifyOptions;

use crate::trust::{TrustOptions, TrustReport, TrustStore, TrustVerdict, ValidationTime};

/// Options of [`read`]. `Default` is strict; [`ReadOptions::lenient`] turns on every
/// tolerance.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Splitting (line-end canonicalisation, size limit) and CMS verification (backend,
    /// minimum RSA key size, signature size limit).
    pub verify: MessageVerifyOptions,
    /// Trust assessment (backend, minimum key size in chains, provider policy).
    pub trust: TrustOptions,
    /// How `daticert.xml` is read (strict or lenient, limits).
    pub daticert: ParseOptions,
    /// How far the times the message claims (CMS `signingTime`, daticert `data`, the
    /// `Date:` header) may disagree with each other before it is `pec-time-mismatch` (or
    /// `pec-date-mismatch` for the header), in
    /// seconds. Default: 300 (providers sign, write daticert and date the message within one
    /// transaction; clocks are kept within a second of UTC, spec 9).
    pub claimed_time_tolerance: u32,
    /// Accept a `micalg` spelling that is not registered (`sha256`, Register.it).
    pub allow_nonstandard_micalg: bool,
    /// Accept text before the subject prefix (mailing-list tags).
    pub allow_subject_tags: bool,
    /// Accept provider-specific extra parts in the signed entity (the RT allows them).
    pub allow_extra_parts: bool,
    /// Anomaly envelopes wrapped in anomaly envelopes are read this deep. Default: 4.
    pub max_depth: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            verify: MessageVerifyOptions::default(),
            trust: TrustOptions::default(),
            daticert: ParseOptions::strict(),
            claimed_time_tolerance: 300,
            allow_nonstandard_micalg: false,
            allow_subject_tags: false,
            allow_extra_parts: false,
            max_depth: 4,
        }
    }
}

impl ReadOptions {
    /// Strict reading (the default).
    pub fn strict() -> Self {
        ReadOptions::default()
    }

    /// Every tolerance on: LF line ends, lenient daticert, non-standard `micalg`, subject
    /// tags, extra parts, and 1024-bit RSA keys (providers' keys before about 2016).
    pub fn lenient() -> Self {
        let mut o = ReadOptions::default();
        o.verify.split.canonicalize_line_endings = true;
        o.verify.cms.min_rsa_bits = 1024;
        o.trust.min_rsa_bits = 1024;
        o.daticert = ParseOptions::lenient();
        o.allow_nonstandard_micalg = true;
        o.allow_subject_tags = true;
        o.allow_extra_parts = true;
        o
    }
}

/// The state of the signature.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureStatus {
    /// It verifies.
    Valid,
    /// It does not verify: the content was changed after signing, it is forged, or it
    /// names an algorithm that cannot be verified (MD5, an unknown one: the name is outside
    /// what is signed, so anyone can write it).
    Invalid,
    /// Refused by policy: it verifies, but with a key below the minimum size or with SHA-1
    /// when the options refuse it. Never a sign of tampering: the signature was checked
    /// first.
    Refused,
    /// The message is not signed.
    Absent,
    /// A signature is meant to be there but cannot be read.
    Malformed,
}

impl SignatureStatus {
    /// `valid`, `invalid`, `refused`, `absent` or `malformed`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureStatus::Valid => "valid",
            SignatureStatus::Invalid => "invalid",
            SignatureStatus::Refused => "refused",
            SignatureStatus::Absent => "absent",
            SignatureStatus::Malformed => "malformed",
        }
    }
}

/// Where the original message of a PEC message is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bytes {
    /// A range of the message.
    Range(Range<usize>),
    /// Decoded from a transfer encoding.
    Owned(Vec<u8>),
}

/// One attachment hash of a short delivery receipt: the attachment's name and the SHA-1
/// the receipt certifies (spec 6.5).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentHash {
    /// The attachment's name (the hash part's name without `.hash`).
    pub name: String,
    /// The 40 hex digits, lower case.
    pub sha1: String,
}

/// What a received message is.
#[derive(Debug)]
pub struct PecMessage<'a> {
    source: Cow<'a, [u8]>,
    /// The kind: from the signed daticert and the markers; `None` for mail that is not a
    /// signed PEC message (ordinary mail, or PEC headers without a signature).
    pub kind: Option<MessageKind>,
    /// The state of the signature.
    pub signature: SignatureStatus,
    /// What a valid signature says.
    pub signature_report: Option<SignatureReport>,
    /// Why the signature is invalid or malformed.
    pub signature_error: Option<Error>,
    /// The trust assessment of a valid signature's signer.
    pub trust: Option<TrustReport>,
    /// `daticert.xml`, when present and readable (also when the signature fails, to describe
    /// the message; trust it only if [`is_valid`](Self::is_valid)).
    pub daticert: Option<Daticert>,
    /// The `tipo` of `daticert.xml`: the parsed document's, or, when the document cannot be
    /// read (cut, ill-formed, refused in strict mode), the one its root start tag declares.
    pub daticert_tipo: Option<DaticertKind>,
    original: Option<Bytes>,
    /// The attachment hashes of a short delivery receipt.
    pub hashes: Vec<AttachmentHash>,
    /// The readable text (the `text/plain` part), decoded.
    pub text: Option<String>,
    /// The PEC identifier (daticert `identificativo`): correlates receipts with envelopes.
    pub identifier: Option<String>,
    /// The sender client's Message-ID (daticert `msgid`, else `X-Riferimento-Message-ID`):
    /// correlates receipts with the sent message.
    pub client_message_id: Option<String>,
    /// Everything noticed. Any diagnostic of severity `error` makes the message invalid.
    pub diagnostics: Vec<Diagnostic>,
    /// For an anomaly envelope: the wrapped message, read in turn.
    pub inner: Option<Box<PecMessage<'a>>>,
    /// For a wrapper (a mailing list's `multipart/mixed` around a signed PEC message): the
    /// signed message, read with the wrapper's headers.
    pub embedded: Option<Box<PecMessage<'static>>>,
}

impl PecMessage<'_> {
    /// A valid PEC message: signed, signature valid, signer trusted, and no diagnostic of
    /// severity `error` (no failed cross-check, no refused deviation).
    ///
    /// Read at [`ValidationTime::Claimed`], a message is never valid: its verdict is
    /// [`TrustVerdict::TrustedAtClaimedTime`] at best, which the caller reads on its own
    /// terms (an archive saying "its signer was a provider when the message says it was
    /// signed", never "it was").
    pub fn is_valid(&self) -> bool {
        self.kind.is_some()
            && self.signature == SignatureStatus::Valid
            && self
                .trust
                .as_ref()
                .is_some_and(|t| t.verdict == TrustVerdict::Trusted)
            && !self
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
    }

    /// `trusted` (the signer is a provider at the caller's time), `untrusted` (any other
    /// verdict, [`TrustVerdict::TrustedAtClaimedTime`] included: [`PecMessage::trust`] has
    /// it), or `unknown` (no valid signature to assess).
    pub fn trust_status(&self) -> &'static str {
        match &self.trust {
            Some(t) if t.verdict == TrustVerdict::Trusted => "trusted",
            Some(_) => "untrusted",
            None => "unknown",
        }
    }

    /// The provider that signed, when known: the trust store's name, else the signer
    /// certificate's subject.
    pub fn provider(&self) -> Option<String> {
        self.trust
            .as_ref()
            .and_then(|t| t.provider.as_ref().map(|p| p.name.clone()))
            .or_else(|| {
                self.signature_report
                    .as_ref()
                    .map(|r| r.signer.subject.clone())
            })
    }

    /// The message as read (its CR LF form when line ends were canonicalised).
    pub fn source(&self) -> &[u8] {
        &self.source
    }

    /// The original message (`postacert.eml`), as carried: the user's message in a transport
    /// envelope or complete receipt, its short form in a short receipt, the received message
    /// in an anomaly envelope.
    pub fn original(&self) -> Option<&[u8]> {
        match self.original.as_ref()? {
            Bytes::Range(r) => self.source.get(r.clone()),
            Bytes::Owned(v) => Some(v),
        }
    }

    /// The header fields of the original message: name and unfolded value, in order.
    pub fn original_headers(&self) -> Vec<(String, String)> {
        let Some(bytes) = self.original() else {
            return Vec::new();
        };
        parse_block(bytes, HeaderLimits::default())
            .map(|h| {
                h.fields
                    .iter()
                    .map(|f| (String::from_utf8_lossy(f.name).into_owned(), f.unfolded()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn add(&mut self, code: DiagnosticCode, detail: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(code, detail));
    }
}

/// Reads a received message. See the module documentation.
///
/// Fails only when the input cannot be described at all: over the size limit, or no
/// readable header block. Everything else gives a [`PecMessage`].
pub fn read<'a>(
    raw: &'a [u8],
    store: &TrustStore,
    at: impl Into<ValidationTime>,
    options: &ReadOptions,
) -> Result<PecMessage<'a>, Error> {
    let cx = Cx {
        store,
        at: at.into(),
        options,
    };
    read_at(Cow::Borrowed(raw), &cx, 0)
}

/// What every level of a read shares: the trust store, the validation time, the options.
struct Cx<'s> {
    store: &'s TrustStore,
    at: ValidationTime,
    options: &'s ReadOptions,
}

/// The top-level header block as the checks read it: the fields of the one header model
/// ([`mime::header::Field`](crate::mime::header::Field): name, value and span in the
/// message), each value unfolded once and each name lower-cased once (with and without
/// hyphens). A look-up scans the names: the checks look up a fixed set of names, so the cost
/// is linear in the block, and a hash index costs more than it saves on the twenty-odd
/// fields of a real message.
pub(crate) struct Headers<'a> {
    pub block: HeaderBlock<'a>,
    /// Each field's value, unfolded.
    values: Vec<String>,
    /// Each field's name in lower case, and without hyphens too.
    names: Vec<(String, String)>,
}

impl<'a> Headers<'a> {
    fn parse(source: &'a [u8]) -> Result<Self, Error> {
        let block = parse_block(source, HeaderLimits::default())?;
        let values = block.fields.iter().map(|f| f.unfolded()).collect();
        let names = block
            .fields
            .iter()
            .map(|f| {
                let lower = String::from_utf8_lossy(f.name).to_ascii_lowercase();
                let loose = lower.replace('-', "");
                (lower, loose)
            })
            .collect();
        Ok(Headers {
            block,
            values,
            names,
        })
    }

    /// Every value of a header, unfolded, in order, by name compared without case (and,
    /// with `loose`, without hyphens: `X-TipoRicevuta`, `X-Tiporicevuta`, `X-Tipo-Ricevuta`).
    pub(crate) fn all(&self, name: &str, loose: bool) -> Vec<&str> {
        let want = if loose {
            name.to_ascii_lowercase().replace('-', "")
        } else {
            name.to_ascii_lowercase()
        };
        self.names
            .iter()
            .zip(&self.values)
            .filter(|((lower, no_hyphen), _)| {
                if loose {
                    *no_hyphen == want
                } else {
                    *lower == want
                }
            })
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(crate) fn first(&self, name: &str) -> Option<&str> {
        self.all(name, false).into_iter().next()
    }
}

fn read_at<'a>(raw: Cow<'a, [u8]>, cx: &Cx<'_>, depth: usize) -> Result<PecMessage<'a>, Error> {
    let options = cx.options;
    if raw.len() > options.verify.split.max_size {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the message is {} bytes, over the limit of {}",
                raw.len(),
                options.verify.split.max_size
            ),
        ));
    }
    // The CR LF form the rest reads, when line ends are canonicalised.
    let mut diagnostics = Vec::new();
    // Bare LF line ends (a message stored by a client or a repository) are read as CR LF, as
    // OpenSSL does, so that the message is described either way; without the option that
    // allows them the deviation is an error.
    let source: Cow<'a, [u8]> = match first_bare_lf(&raw) {
        Some(at) => {
            diagnostics.push(Diagnostic::new(
                DiagnosticCode::MimeLfLineEndings,
                format!("bare LF line ends (the first at byte {at}) read as CR LF"),
            ));
            if !options.verify.split.canonicalize_line_endings {
                diagnostics.push(Diagnostic::new(
                    DiagnosticCode::PecDeviation,
                    "mime-lf-line-endings: allowed by \
                     ReadOptions::verify.split.canonicalize_line_endings",
                ));
            }
            Cow::Owned(canonical_crlf(&raw).into_owned())
        }
        None => raw,
    };
    let headers = Headers::parse(&source)?;
    let mut m = PecMessage {
        source: Cow::Borrowed(&[]),
        kind: None,
        signature: SignatureStatus::Absent,
        signature_report: None,
        signature_error: None,
        trust: None,
        daticert: None,
        daticert_tipo: None,
        original: None,
        hashes: Vec::new(),
        text: None,
        identifier: None,
        client_message_id: None,
        diagnostics,
        inner: None,
        embedded: None,
    };
    let content_type = headers
        .first("Content-Type")
        .and_then(|v| ContentType::parse(v).ok());
    let signed_claimed = content_type
        .as_ref()
        .is_some_and(|ct| ct.is("multipart", "signed"));
    let markers = check::markers(&headers);

    // The signed entity: from the strict split, or, when it fails, located leniently to
    // describe the message (never to trust it).
    let mut entity: Option<Range<usize>> = None;
    if signed_claimed {
        let mut split_options = options.verify.split.clone();
        split_options.canonicalize_line_endings = false; // done above, once
        // Canonicalising may grow the message by one byte per line: the limit was checked on
        // what was received.
        split_options.max_size = split_options.max_size.saturating_mul(2);
        match SignedMessage::parse(&source, &split_options) {
            Ok(signed) => {
                entity = Some(signed.signed_range());
                verify_signature(&mut m, &signed, cx.store, options);
            }
            Err(e) => {
                m.signature = SignatureStatus::Malformed;
                let code = if e.kind() == ErrorKind::AmbiguousMime {
                    DiagnosticCode::MimeAmbiguous
                } else {
                    DiagnosticCode::PecSignatureMalformed
                };
                m.add(code, e.to_string());
                m.signature_error = Some(e);
                entity = content_type
                    .as_ref()
                    .and_then(|ct| ct.param("boundary"))
                    .and_then(|b| lenient_first_part(&source, b));
            }
        }
    } else if markers.any() {
        m.add(
            DiagnosticCode::PecUnsigned,
            "X-Ricevuta or X-Trasporto on a message that is not signed: not treated as PEC",
        );
    }

    if let Some(range) = entity {
        read_entity(&mut m, &source, range, &headers, cx, depth, markers);
    } else if !signed_claimed
        && content_type
            .as_ref()
            .is_some_and(|ct| ct.media_type == "multipart")
    {
        m.embedded = embedded(&source, &headers, cx, depth).map(Box::new);
        if m.embedded.is_some() {
            m.add(
                DiagnosticCode::PecEmbedded,
                "a signed PEC message inside a wrapper: read as `embedded`",
            );
        }
    }
    m.source = source;
    Ok(m)
}

/// Verifies the CMS signature of a split message and records the outcome.
fn verify_signature(
    m: &mut PecMessage<'_>,
    signed: &SignedMessage<'_>,
    store: &TrustStore,
    options: &ReadOptions,
) {
    for d in signed.diagnostics() {
        m.diagnostics.push(d.clone());
        if d.code == DiagnosticCode::SmimeMicalgLabel && !options.allow_nonstandard_micalg {
            m.add(
                DiagnosticCode::PecDeviation,
                "smime-micalg-label: allowed by ReadOptions::allow_nonstandard_micalg",
            );
        }
    }
    match crate::smime::verify_split(signed, &options.verify.cms, store) {
        Ok((report, mismatch)) => {
            if let Some(d) = mismatch {
                m.diagnostics.push(d);
            }
            m.diagnostics.extend(report.diagnostics.iter().cloned());
            m.signature = SignatureStatus::Valid;
            m.signature_report = Some(report);
        }
        Err(e) => {
            // Tampered or forged, against refused by policy (a key or an algorithm the
            // options do not accept): an archive must tell them apart.
            // An algorithm that cannot be verified (MD5, unknown) is not verified: the
            // SignerInfo's signatureAlgorithm is outside the signature, so a forger can write
            // one there; only what verified and was then refused is `Refused`.
            match e.kind() {
                ErrorKind::DigestMismatch
                | ErrorKind::SignatureInvalid
                | ErrorKind::UnsupportedAlgorithm => {
                    m.signature = SignatureStatus::Invalid;
                    m.add(DiagnosticCode::PecSignatureInvalid, e.to_string());
                }
                ErrorKind::PolicyRefused => {
                    m.signature = SignatureStatus::Refused;
                    m.add(DiagnosticCode::PecSignatureRefused, e.to_string());
                }
                _ => {
                    m.signature = SignatureStatus::Malformed;
                    m.add(DiagnosticCode::PecSignatureMalformed, e.to_string());
                }
            }
            m.signature_error = Some(e);
        }
    }
}

/// The first part of a broken `multipart/signed`, found without the strict rules: from the
/// first delimiter line to the next delimiter (or the end). For description only.
fn lenient_first_part(source: &[u8], boundary: &str) -> Option<Range<usize>> {
    let delimiter = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(delimiter.as_bytes());
    let first = finder.find(source)?;
    let start = first + delimiter.len();
    let start = start + memchr::memchr(b'\n', source.get(start..)?)? + 1;
    let end = finder
        .find(source.get(start..)?)
        .map(|i| start + i)
        .unwrap_or(source.len());
    let end = if source.get(end.saturating_sub(2)..end) == Some(b"\r\n") {
        end - 2
    } else {
        end
    };
    (start <= end).then_some(start..end)
}

/// Reads the signed entity: parts, daticert, kind, cross-checks, original, text.
fn read_entity<'a>(
    m: &mut PecMessage<'a>,
    source: &[u8],
    range: Range<usize>,
    headers: &Headers<'_>,
    cx: &Cx<'_>,
    depth: usize,
    markers: check::Markers,
) {
    let options = cx.options;
    let entity_bytes = source.get(range.clone()).unwrap_or(&[]);
    let parts = match entity::parts(entity_bytes, Split::Strict) {
        Ok(p) => p,
        // A message whose signature already failed is described as far as it can be: a
        // multipart cut before its close delimiter is read to its end.
        Err(e) => match (m.signature != SignatureStatus::Valid)
            .then(|| entity::parts(entity_bytes, Split::ToEnd).ok())
            .flatten()
        {
            Some(p) => {
                m.add(
                    DiagnosticCode::MimeUnterminated,
                    format!("{e}; read to the end to describe the message"),
                );
                p
            }
            None => {
                if e.kind() == ErrorKind::AmbiguousMime {
                    m.add(DiagnosticCode::MimeAmbiguous, e.to_string());
                }
                m.add(
                    DiagnosticCode::PecNoDaticert,
                    format!("the signed entity cannot be read: {e}"),
                );
                m.kind = check::claimed(&markers);
                return;
            }
        },
    };
    for d in &parts.diagnostics {
        m.diagnostics.push(d.clone());
    }
    if !parts.extra.is_empty() && !options.allow_extra_parts {
        m.add(
            DiagnosticCode::PecDeviation,
            "pec-extra-part: allowed by ReadOptions::allow_extra_parts",
        );
    }

    // daticert.xml.
    if let Some(part) = &parts.daticert {
        match part.decoded(entity_bytes) {
            Ok(xml) => match Daticert::parse(&xml, &options.daticert) {
                Ok(parsed) => {
                    m.diagnostics.extend(parsed.diagnostics);
                    m.daticert_tipo = Some(parsed.daticert.kind);
                    m.daticert = Some(parsed.daticert);
                }
                Err(e) => {
                    m.daticert_tipo = crate::daticert::declared_kind(&xml);
                    m.add(
                        DiagnosticCode::PecNoDaticert,
                        format!("daticert.xml cannot be read: {e}"),
                    );
                }
            },
            Err(e) => m.add(DiagnosticCode::PecNoDaticert, e.to_string()),
        }
    }

    // Trust, at the caller's time; at the claimed time only when the caller chose that.
    if let Some(report) = &m.signature_report {
        let claimed = report
            .signing_time
            .or_else(|| m.daticert.as_ref().map(|d| d.data.time));
        let t = cx.store.assess_at(report, cx.at, claimed, &options.trust);
        match t.verdict {
            TrustVerdict::Trusted => {}
            TrustVerdict::TrustedAtClaimedTime => m.add(
                DiagnosticCode::TrustClaimedTime,
                format!("{}: {}", t.verdict.as_str(), t.detail),
            ),
            _ => m.add(
                DiagnosticCode::PecUntrusted,
                format!("{}: {}", t.verdict.as_str(), t.detail),
            ),
        }
        m.diagnostics.extend(t.diagnostics.iter().cloned());
        m.trust = Some(t);
    }

    m.kind = check::classify(m, &markers);
    if let Some(d) = &m.daticert {
        m.identifier = Some(d.data.identifier.clone());
        m.client_message_id = d.data.client_message_id.clone();
    }
    if m.client_message_id.is_none() {
        m.client_message_id = headers
            .first("X-Riferimento-Message-ID")
            .map(|v| v.trim().to_owned());
    }
    check::cross_check(m, headers, &markers, cx.store, options);

    // Text.
    if let Some(plain) = parts.text.iter().find(|p| p.media_type == "text/plain") {
        m.text = entity::text(entity_bytes, plain).ok();
    }

    // The original.
    let carries = matches!(
        m.kind,
        Some(
            MessageKind::TransportEnvelope
                | MessageKind::AnomalyEnvelope
                | MessageKind::DeliveryFull
                | MessageKind::DeliveryShort
        )
    );
    let must_not = matches!(
        m.kind,
        Some(
            MessageKind::NonAcceptance
                | MessageKind::NonAcceptanceVirus
                | MessageKind::VirusDetection
                | MessageKind::DeliveryTimeout
                | MessageKind::DeliverySummary
        )
    );
    match &parts.original {
        Some(part) => {
            if must_not {
                m.add(
                    DiagnosticCode::PecOriginalUnexpected,
                    "this kind must not carry the original message",
                );
            }
            m.original = Some(
                if matches!(part.encoding.as_str(), "base64" | "quoted-printable") {
                    match part.decoded(entity_bytes) {
                        Ok(b) => Bytes::Owned(b.into_owned()),
                        Err(_) => {
                            Bytes::Range(range.start + part.body.start..range.start + part.body.end)
                        }
                    }
                } else {
                    Bytes::Range(range.start + part.body.start..range.start + part.body.end)
                },
            );
        }
        None if carries => m.add(
            DiagnosticCode::PecOriginalMissing,
            "this kind carries the original message (postacert.eml), which is missing",
        ),
        None => {}
    }

    let original: Option<Vec<u8>> = match &m.original {
        Some(Bytes::Range(r)) => source.get(r.clone()).map(<[u8]>::to_vec),
        Some(Bytes::Owned(v)) => Some(v.clone()),
        None => None,
    };
    visible::check(m, headers, original.as_deref(), cx.store, options);
    if let Some(original) = original {
        // The signature covers the carried message as it came; a multipart in it left open
        // would let some readers show the unsigned bytes after it as its content.
        if let Err(e) = multipart::check_closed(&original, 32) {
            m.add(
                DiagnosticCode::MimeAmbiguous,
                format!("the carried message (postacert.eml): {e}"),
            );
        }
        if m.kind == Some(MessageKind::DeliveryShort) {
            match hashes(&original) {
                Ok(h) => m.hashes = h,
                Err(why) => m.add(DiagnosticCode::PecBreveHashes, why),
            }
        }
        if m.kind == Some(MessageKind::AnomalyEnvelope) {
            if depth + 1 > options.max_depth {
                m.add(
                    DiagnosticCode::PecDepthLimit,
                    format!("anomaly envelopes nested deeper than {}", options.max_depth),
                );
            } else if let Ok(inner) = read_at(Cow::Owned(original), cx, depth + 1) {
                m.inner = Some(Box::new(inner));
            }
        }
    }
}

/// A signed PEC message directly inside a wrapper `multipart/*`, read with the wrapper's
/// headers in front of the part's own (a mailing list moves the message's headers to the
/// wrapper and keeps the signed body as a part).
fn embedded(
    source: &[u8],
    headers: &Headers<'_>,
    cx: &Cx<'_>,
    depth: usize,
) -> Option<PecMessage<'static>> {
    let block = parse_block(source, HeaderLimits::default()).ok()?;
    let ct = ContentType::parse(headers.first("Content-Type")?).ok()?;
    let parts = multipart::split(
        source,
        block.body_start..source.len(),
        ct.param("boundary")?,
        64,
    )
    .ok()?;
    let part = parts.parts.iter().find(|r| {
        source
            .get((*r).clone())
            .and_then(|p| parse_block(p, HeaderLimits::default()).ok())
            .and_then(|h| h.one("Content-Type").ok().flatten().map(|f| f.unfolded()))
            .and_then(|v| ContentType::parse(&v).ok())
            .is_some_and(|c| c.is("multipart", "signed"))
    })?;
    let mut message = Vec::new();
    // The wrapper's fields as they were written (spans of the one header model), but those
    // that describe the wrapper's own body.
    for f in &headers.block.fields {
        if !["Content-Type", "MIME-Version", "Content-Transfer-Encoding"]
            .iter()
            .any(|n| f.is(n))
        {
            message.extend_from_slice(source.get(f.start..f.end)?);
        }
    }
    message.extend_from_slice(source.get(part.clone())?);
    read_at(Cow::Owned(message), cx, depth + 1).ok()
}

/// The hash parts of a short receipt's original, by the one breve rule
/// ([`hashable_parts`](crate::build::breve::hashable_parts)): every part the rule selects
/// must be a hash part (`text/plain`, named `<name>.hash`, 40 hex digits). What is not,
/// and a structure the rule refuses, is the error returned: a receipt that certifies a hash
/// its provider did not compute, or leaves an attachment that should have been hashed.
fn hashes(original: &[u8]) -> Result<Vec<AttachmentHash>, String> {
    let parts = crate::build::breve::hashable_parts(original)
        .map_err(|e| format!("the original is not a breve form: {}", e.message()))?;
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        let body = original.get(p.body.clone()).unwrap_or(&[]);
        let hex = String::from_utf8_lossy(body).trim().to_ascii_lowercase();
        let name = p.name.strip_suffix(".hash");
        match name {
            Some(name)
                if p.media_type == "text/plain"
                    && hex.len() == 40
                    && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                out.push(AttachmentHash {
                    name: words::decode(name),
                    sha1: hex,
                });
            }
            _ => {
                return Err(format!(
                    "the part {:?} ({}) is not replaced by its hash",
                    p.name, p.media_type
                ));
            }
        }
    }
    Ok(out)
}

/// The kind a daticert `tipo` alone implies (virus variants and delivery types need more).
pub(crate) fn kind_of(d: &Daticert) -> MessageKind {
    match d.kind {
        DaticertKind::Transport => MessageKind::TransportEnvelope,
        DaticertKind::Acceptance => MessageKind::Acceptance,
        DaticertKind::NonAcceptance if d.error == CertError::Virus => {
            MessageKind::NonAcceptanceVirus
        }
        DaticertKind::NonAcceptance => MessageKind::NonAcceptance,
        DaticertKind::TakingInCharge => MessageKind::TakingInCharge,
        DaticertKind::Delivery => match d.data.receipt {
            Some(ReceiptKind::Short) => MessageKind::DeliveryShort,
            Some(ReceiptKind::Summary) => MessageKind::DeliverySummary,
            _ => MessageKind::DeliveryFull,
        },
        DaticertKind::NonDelivery if d.error == CertError::Virus => MessageKind::NonDeliveryVirus,
        DaticertKind::NonDelivery => MessageKind::NonDelivery,
        DaticertKind::DeliveryTimeout => MessageKind::DeliveryTimeout,
        _ => MessageKind::VirusDetection,
    }
}
