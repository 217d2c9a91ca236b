//! Errors and diagnostics.
//!
//! Two channels report what went wrong or what was unusual:
//!
//! - [`Error`] stops an operation. It carries an [`ErrorKind`] that callers can match on, a
//!   human-readable message and, for parsers, the byte offset where the problem was found.
//! - [`Diagnostic`] does not stop anything. It records a deviation that was tolerated (in
//!   lenient mode), a cosmetic difference from the canonical form, or a rule violation found by
//!   a validator. Every diagnostic has a stable [`DiagnosticCode`]; the table of all codes is
//!   in the documentation of [`DiagnosticCode`].

use core::fmt;
use std::error::Error as StdError;

/// What kind of failure an [`Error`] reports.
///
/// The kinds are stable and meant to be matched on; new kinds may be added in minor releases.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input is not well-formed XML 1.0 (syntax error, mismatched tags, undefined
    /// entity, a character XML forbids in strict mode, content after the root element).
    XmlMalformed,
    /// The input is not UTF-8, or declares an encoding other than UTF-8.
    XmlEncoding,
    /// The document declares entities or other markup in a DTD internal subset.
    /// Such declarations are never processed (no entity expansion, no XXE), so the document
    /// is refused rather than read differently from a validating parser.
    DtdDeclaration,
    /// An element appears where the `daticert.xml` DTD does not allow it (strict mode).
    ElementOrder,
    /// An element that the `daticert.xml` DTD does not define (strict mode).
    UnknownElement,
    /// An element that may appear once appears more than once (both modes: which value
    /// would be the right one cannot be decided).
    DuplicateElement,
    /// A required element is missing.
    MissingElement,
    /// A required attribute is missing.
    MissingAttribute,
    /// An attribute or element value is not one the specification allows (an unknown
    /// `tipo`, a malformed date, an unknown attribute in strict mode).
    InvalidValue,
    /// Non-whitespace text where the DTD allows only elements (strict mode).
    UnexpectedText,
    /// An input exceeds a configured limit (size, nesting depth).
    LimitExceeded,
    /// A value passed by the caller is not acceptable (for example a time with an offset
    /// that is not a whole number of minutes). The message names the field.
    InvalidInput,
    /// The MIME structure is not what it must be: not `multipart/signed`, an ambiguous or
    /// missing boundary, a part count other than two, bare LF line ends, a malformed header.
    MalformedMime,
    /// The MIME structure can be read two ways: bytes outside the signature (the top-level
    /// header block, the preamble, the delimiter lines, the signature part, the epilogue)
    /// or a boundary that MIME parsers in use (Python's `email` under either policy,
    /// mail-parser) read otherwise than this crate, so another reader could be shown parts
    /// that were never verified. Refused, never interpreted (spec 2.1; RFC 2045, 2046, 2231,
    /// 5322).
    AmbiguousMime,
    /// The CMS signature (`smime.p7s`) cannot be decoded or has the wrong structure: not
    /// SignedData, not detached, not exactly one signer, a missing signed attribute, a
    /// signer certificate that is not in the message.
    MalformedCms,
    /// An algorithm that is not accepted: MD5, an unknown digest or signature algorithm,
    /// an RSA key below the configured size, a digest that disagrees with the signature
    /// algorithm.
    UnsupportedAlgorithm,
    /// The message digest of the signed content does not match the signed `messageDigest`
    /// attribute: the content was altered after signing.
    DigestMismatch,
    /// The signature value does not verify with the signer's public key.
    SignatureInvalid,
    /// A [`Signer`](crate::cms::Signer) failed; [`Error::source`](std::error::Error::source)
    /// gives its own error.
    SignerFailed,
    /// The provider index (LDIF) is malformed: the message names the line.
    MalformedIndex,
    /// The signature verifies, but the options do not accept it: a key below the minimum
    /// size, SHA-1 when refused. Unlike [`ErrorKind::SignatureInvalid`] and
    /// [`ErrorKind::DigestMismatch`], nothing says the bytes were changed.
    PolicyRefused,
}

impl ErrorKind {
    /// A short English description of the kind, used by `Display`.
    pub fn description(self) -> &'static str {
        match self {
            ErrorKind::XmlMalformed => "malformed XML",
            ErrorKind::XmlEncoding => "unsupported XML encoding",
            ErrorKind::DtdDeclaration => "DTD declarations are not processed",
            ErrorKind::ElementOrder => "element out of order",
            ErrorKind::UnknownElement => "unknown element",
            ErrorKind::DuplicateElement => "duplicate element",
            ErrorKind::MissingElement => "missing element",
            ErrorKind::MissingAttribute => "missing attribute",
            ErrorKind::InvalidValue => "invalid value",
            ErrorKind::UnexpectedText => "unexpected text",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::MalformedMime => "malformed MIME",
            ErrorKind::AmbiguousMime => "ambiguous MIME",
            ErrorKind::MalformedCms => "malformed CMS",
            ErrorKind::UnsupportedAlgorithm => "unsupported algorithm",
            ErrorKind::DigestMismatch => "digest mismatch",
            ErrorKind::SignatureInvalid => "invalid signature",
            ErrorKind::SignerFailed => "signer failed",
            ErrorKind::MalformedIndex => "malformed provider index",
            ErrorKind::PolicyRefused => "refused by policy",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// The error type of every fallible operation in the crate.
///
/// Match on [`Error::kind`]; the message is for humans and may change. `Display` writes
/// `kind: message`, then ` (at byte N)` when the offset is known.
#[derive(thiserror::Error)]
#[error("{kind}: {message}{}", AtByte(*offset))]
pub struct Error {
    kind: ErrorKind,
    message: String,
    offset: Option<usize>,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// ` (at byte N)` after an error's message, when its offset is known.
struct AtByte(Option<usize>);

impl fmt::Display for AtByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(offset) => write!(f, " (at byte {offset})"),
            None => Ok(()),
        }
    }
}

impl Error {
    /// Creates an error of the given kind with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            offset: None,
            source: None,
        }
    }

    /// Attaches the byte offset in the input where the problem was found.
    pub fn at(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A human-readable explanation naming the element, field or value concerned.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset in the parsed input where the problem was found, when known.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(offset) = self.offset {
            d.field("offset", &offset);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

/// How much a [`Diagnostic`] matters.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A cosmetic difference from the canonical form that every reader can accept.
    Info,
    /// A deviation from the specification that was tolerated, or a likely inconsistency.
    Warning,
    /// A violation of a rule of the specification, found by a validator.
    Error,
}

impl Severity {
    /// The lower-case English name (`info`, `warning`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! diagnostic_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $severity:ident; )*) => {
        #[doc = include_str!("diagnostics.md")]
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum DiagnosticCode {
            $( $(#[$doc])* $variant, )*
        }

        impl DiagnosticCode {
            /// Every code, in table order.
            pub const ALL: &'static [DiagnosticCode] = &[$(DiagnosticCode::$variant,)*];

            /// The stable kebab-case code, as printed in reports and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $(DiagnosticCode::$variant => $code,)* }
            }

            /// The severity this code always has.
            pub fn severity(self) -> Severity {
                match self { $(DiagnosticCode::$variant => Severity::$severity,)* }
            }

            /// Looks a code up by its stable string.
            pub fn from_code(code: &str) -> Option<DiagnosticCode> {
                match code { $($code => Some(DiagnosticCode::$variant),)* _ => None }
            }
        }
    };
}

diagnostic_codes! {
    /// `xml-bom`: a UTF-8 byte order mark precedes the document.
    XmlBom = "xml-bom", Info;
    /// `xml-declaration-missing`: no `<?xml ...?>` declaration.
    XmlDeclarationMissing = "xml-declaration-missing", Info;
    /// `xml-encoding-label`: UTF-8 declared with another spelling, such as `utf-8`.
    XmlEncodingLabel = "xml-encoding-label", Info;
    /// `xml-doctype`: a DOCTYPE line (without internal subset) is present; it is not processed.
    XmlDoctype = "xml-doctype", Info;
    /// `xml-processing-instruction`: a processing instruction such as `xml-stylesheet`; ignored.
    XmlProcessingInstruction = "xml-processing-instruction", Info;
    /// `xml-comment`: a comment; ignored.
    XmlComment = "xml-comment", Info;
    /// `xml-cdata`: a CDATA section inside a text value.
    XmlCdata = "xml-cdata", Info;
    /// `xml-crlf`: CR LF (or bare CR) line endings.
    XmlCrlf = "xml-crlf", Info;
    /// `xml-indentation`: layout other than one element per line with 4-space indentation.
    XmlIndentation = "xml-indentation", Info;
    /// `daticert-ricevuta-end-tag`: `<ricevuta ...></ricevuta>` instead of the self-closed form.
    RicevutaEndTag = "daticert-ricevuta-end-tag", Info;
    /// `daticert-risposte-empty`: the `risposte` element is empty.
    RisposteEmpty = "daticert-risposte-empty", Info;
    /// `daticert-risposte-missing`: no `risposte` element (lenient mode; read as empty).
    RisposteMissing = "daticert-risposte-missing", Warning;
    /// `xml-control-character`: a raw character that XML 1.0 forbids, kept as is (lenient mode).
    XmlControlCharacter = "xml-control-character", Warning;
    /// `xml-forbidden-char-reference`: a character reference such as `&#18;` to a character
    /// that XML 1.0 forbids, kept as is (lenient mode).
    XmlForbiddenCharReference = "xml-forbidden-char-reference", Warning;
    /// `xml-unknown-element`: an element the DTD does not define; skipped with its content
    /// (lenient mode).
    XmlUnknownElement = "xml-unknown-element", Warning;
    /// `xml-unknown-attribute`: an attribute the DTD does not define; ignored (lenient mode).
    XmlUnknownAttribute = "xml-unknown-attribute", Warning;
    /// `xml-stray-text`: text between elements where the DTD allows none; ignored (lenient mode).
    XmlStrayText = "xml-stray-text", Warning;
    /// `xml-element-order`: elements not in DTD order; read by name (lenient mode).
    XmlElementOrder = "xml-element-order", Warning;
    /// `xml-char-replaced`: the writer replaced characters XML 1.0 forbids with U+FFFD.
    XmlCharReplaced = "xml-char-replaced", Warning;
    /// `daticert-empty-field`: `mittente`, a `destinatari`, `gestore-emittente` or
    /// `identificativo` is empty.
    EmptyField = "daticert-empty-field", Error;
    /// `daticert-errore-value`: the `errore` value is not one this `tipo` can carry.
    ErroreValue = "daticert-errore-value", Error;
    /// `daticert-ricevuta-missing`: this `tipo` needs `ricevuta`.
    RicevutaMissing = "daticert-ricevuta-missing", Error;
    /// `daticert-ricevuta-unexpected`: this `tipo` does not carry `ricevuta`.
    RicevutaUnexpected = "daticert-ricevuta-unexpected", Error;
    /// `daticert-consegna-missing`: this `tipo` needs `consegna`.
    ConsegnaMissing = "daticert-consegna-missing", Error;
    /// `daticert-consegna-unexpected`: this `tipo` does not carry `consegna`.
    ConsegnaUnexpected = "daticert-consegna-unexpected", Error;
    /// `daticert-ricezione-missing`: `presa-in-carico` needs at least one `ricezione`.
    RicezioneMissing = "daticert-ricezione-missing", Error;
    /// `daticert-ricezione-unexpected`: this `tipo` does not carry `ricezione`.
    RicezioneUnexpected = "daticert-ricezione-unexpected", Error;
    /// `daticert-errore-esteso-missing`: this `tipo` should explain its error in `errore-esteso`.
    ErroreEstesoMissing = "daticert-errore-esteso-missing", Warning;
    /// `daticert-errore-esteso-unexpected`: this `tipo` reports no error but has `errore-esteso`.
    ErroreEstesoUnexpected = "daticert-errore-esteso-unexpected", Warning;
    /// `daticert-consegna-not-recipient`: `consegna` is not among `destinatari`.
    ConsegnaNotRecipient = "daticert-consegna-not-recipient", Warning;
    /// `daticert-ricezione-not-recipient`: a `ricezione` is not among `destinatari`.
    RicezioneNotRecipient = "daticert-ricezione-not-recipient", Warning;
    /// `daticert-msgid-brackets`: `msgid` is not enclosed in angle brackets.
    MsgidBrackets = "daticert-msgid-brackets", Warning;
    /// `daticert-identificativo-shape`: `identificativo` has angle brackets or no `@`.
    IdentificativoShape = "daticert-identificativo-shape", Warning;
    /// `mime-lf-line-endings`: bare LF line ends were read as CR LF (by option).
    MimeLfLineEndings = "mime-lf-line-endings", Warning;
    /// `mime-unterminated`: a multipart of a message whose signature failed lacks its close
    /// delimiter; it was read to its end, to describe the message.
    MimeUnterminated = "mime-unterminated", Warning;
    /// `mime-ambiguous`: the message's structure can be read two ways (a lone CR or a NUL
    /// outside the signed bytes, an RFC 2231 or doubled structural parameter, a quoted-pair in
    /// the boundary, a delimiter-like line): other MIME parsers may show parts that were
    /// never verified. The detail says which.
    MimeAmbiguous = "mime-ambiguous", Error;
    /// `smime-signature-lf`: the base64 of `smime.p7s` has bare LF line ends (OpenSSL 3 writes
    /// so); line breaks inside base64 carry nothing.
    SmimeSignatureLf = "smime-signature-lf", Info;
    /// `smime-micalg-label`: a `micalg` spelling that is not registered, such as `sha256`.
    SmimeMicalgLabel = "smime-micalg-label", Info;
    /// `smime-micalg-mismatch`: `micalg` names another digest than the one the signer used.
    SmimeMicalgMismatch = "smime-micalg-mismatch", Warning;
    /// `cms-sha1`: the signature uses SHA-1, still sent by OpenPEC-based providers.
    CmsSha1 = "cms-sha1", Warning;
    /// `cms-weak-key`: an RSA key below 2048 bits was accepted (by option).
    CmsWeakKey = "cms-weak-key", Warning;
    /// `cms-no-signed-attributes`: the signature covers the content directly, without signed
    /// attributes (no signing time, no content-type binding).
    CmsNoSignedAttributes = "cms-no-signed-attributes", Info;
    /// `cms-ber`: the CMS structure uses BER (indefinite lengths), not DER.
    CmsBer = "cms-ber", Info;
    /// `index-hash-mismatch`: a `providerCertificateHash` matches none of the entry's
    /// certificates, or a certificate's hash is not listed.
    IndexHashMismatch = "index-hash-mismatch", Warning;
    /// `pec-extra-part`: a provider-specific part in the signed entity, ignored.
    PecExtraPart = "pec-extra-part", Info;
    /// `pec-subject-tag`: text (a mailing-list tag) before the subject prefix.
    PecSubjectTag = "pec-subject-tag", Warning;
    /// `pec-subject-differs`: the subject after the prefix differs from `oggetto`: a reader
    /// would show a subject the provider did not certify.
    PecSubjectDiffers = "pec-subject-differs", Error;
    /// `pec-reference-missing`: `msgid` in daticert but no `X-Riferimento-Message-ID`, the
    /// header clients correlate receipts by (an error since 0.2: dropping it is an unsigned
    /// edit that changes what a client shows).
    PecReferenceMissing = "pec-reference-missing", Error;
    /// `pec-embedded`: a signed PEC message found inside a wrapper (a mailing list's).
    PecEmbedded = "pec-embedded", Info;
    /// `pec-deviation`: a deviation the read options do not allow; the detail names it.
    PecDeviation = "pec-deviation", Error;
    /// `pec-unsigned`: PEC headers on a message that is not signed.
    PecUnsigned = "pec-unsigned", Error;
    /// `pec-signature-invalid`: the signature does not verify (content changed, forged).
    PecSignatureInvalid = "pec-signature-invalid", Error;
    /// `pec-signature-malformed`: the signed structure or the signature cannot be read.
    PecSignatureMalformed = "pec-signature-malformed", Error;
    /// `pec-untrusted`: the signer is not a trusted provider; the detail gives the verdict.
    PecUntrusted = "pec-untrusted", Error;
    /// `pec-duplicate-header`: a PEC header appears more than once.
    PecDuplicateHeader = "pec-duplicate-header", Error;
    /// `pec-marker-conflict`: both `X-Ricevuta` and `X-Trasporto`.
    PecMarkerConflict = "pec-marker-conflict", Error;
    /// `pec-marker-unknown`: an `X-Ricevuta` or `X-Trasporto` value the spec does not define.
    PecMarkerUnknown = "pec-marker-unknown", Error;
    /// `pec-marker-missing`: a signed daticert, but no `X-Ricevuta` or `X-Trasporto`.
    PecMarkerMissing = "pec-marker-missing", Error;
    /// `pec-marker-mismatch`: `X-Ricevuta` / `X-Trasporto` disagrees with daticert `tipo`.
    PecMarkerMismatch = "pec-marker-mismatch", Error;
    /// `pec-security-mismatch`: `X-VerificaSicurezza` disagrees with `errore="virus"`.
    PecSecurityMismatch = "pec-security-mismatch", Error;
    /// `pec-subject-prefix`: the subject does not start with the kind's prefix.
    PecSubjectPrefix = "pec-subject-prefix", Error;
    /// `pec-from-mismatch`: the `From` address is not the signer certificate's address.
    PecFromMismatch = "pec-from-mismatch", Error;
    /// `pec-from-domain`: the `From` domain is not one the signer's provider manages.
    PecFromDomain = "pec-from-domain", Error;
    /// `pec-provider-domain`: the mailbox the message certifies something about is in a
    /// domain its signer's provider does not manage.
    PecProviderDomain = "pec-provider-domain", Error;
    /// `pec-identifier-mismatch`: the envelope `Message-ID` is not daticert `identificativo`.
    PecIdentifierMismatch = "pec-identifier-mismatch", Error;
    /// `pec-reference-mismatch`: `X-Riferimento-Message-ID` is not daticert `msgid`.
    PecReferenceMismatch = "pec-reference-mismatch", Error;
    /// `pec-receipt-type-mismatch`: `X-TipoRicevuta` is not daticert `ricevuta`.
    PecReceiptTypeMismatch = "pec-receipt-type-mismatch", Error;
    /// `pec-sender-mismatch`: `X-Mittente` is not daticert `mittente`.
    PecSenderMismatch = "pec-sender-mismatch", Error;
    /// `pec-recipient-mismatch`: `consegna` or `ricezione` is not among `destinatari`.
    PecRecipientMismatch = "pec-recipient-mismatch", Error;
    /// `pec-no-daticert`: a PEC message that needs `daticert.xml` has none (or it is unreadable).
    PecNoDaticert = "pec-no-daticert", Error;
    /// `pec-original-missing`: the kind carries the original, but no `postacert.eml`.
    PecOriginalMissing = "pec-original-missing", Error;
    /// `pec-original-unexpected`: the kind must not carry the original, but it does.
    PecOriginalUnexpected = "pec-original-unexpected", Error;
    /// `pec-depth-limit`: anomaly envelopes nested deeper than the read options allow.
    PecDepthLimit = "pec-depth-limit", Error;
    /// `pec-provider-domain-unknown`: the trust store cannot say whether the signer manages
    /// the mailbox the message is about (no index entry with domains).
    PecProviderDomainUnknown = "pec-provider-domain-unknown", Warning;
    /// `pec-time-mismatch`: the times the message claims (CMS `signingTime`, daticert
    /// `data`, `Date:`) disagree beyond the tolerance.
    PecTimeMismatch = "pec-time-mismatch", Error;
    /// `pec-from-mailbox`: `From` is not exactly one mailbox that every reader parses alike
    /// (two mailboxes, a group, a comment, a quoted-pair, none at all).
    PecFromMailbox = "pec-from-mailbox", Error;
    /// `pec-from-display-name`: the `From` display name is not the prescribed one: on an
    /// envelope `Per conto di: <mittente>`, on a receipt or notice none.
    PecFromDisplayName = "pec-from-display-name", Error;
    /// `pec-sender-header`: a `Sender` header that is not the `From`.
    PecSenderHeader = "pec-sender-header", Error;
    /// `pec-reply-to-mismatch`: an envelope's `Reply-To` is neither its original's nor the
    /// sender; or a receipt or notice has one.
    PecReplyToMismatch = "pec-reply-to-mismatch", Error;
    /// `pec-to-mismatch`: an envelope's `To` is not its original's, or names an address that
    /// is not among `destinatari`; a receipt's or notice's `To` is not the bare sender.
    PecToMismatch = "pec-to-mismatch", Error;
    /// `pec-cc-mismatch`: an envelope's `Cc` is not its original's, or names an address that
    /// is not among `destinatari`; or a receipt or notice has one.
    PecCcMismatch = "pec-cc-mismatch", Error;
    /// `pec-date-mismatch`: no `Date`, a `Date` that does not read, or one farther from the
    /// daticert `data` than the tolerance.
    PecDateMismatch = "pec-date-mismatch", Error;
    /// `pec-breve-hashes`: a short delivery receipt's original is not what the breve rule
    /// gives: a part the rule hashes is not a hash part, or a structure the rule refuses.
    PecBreveHashes = "pec-breve-hashes", Error;
    /// `pec-signature-refused`: the signature is refused by policy (it verifies with a key
    /// below the minimum size, or uses an algorithm the options refuse).
    PecSignatureRefused = "pec-signature-refused", Error;
    /// `trust-claimed-time`: trust was assessed at the time the message claims, as the caller
    /// chose, not at a time of the caller's.
    TrustClaimedTime = "trust-claimed-time", Warning;
    /// `trust-sha1-certificate`: a certificate of the path is signed with SHA-1.
    TrustSha1Certificate = "trust-sha1-certificate", Warning;
    /// `trust-revocation-ignored`: a CRL or OCSP response about the path was not taken (its
    /// signature, its responder, or its dates).
    TrustRevocationIgnored = "trust-revocation-ignored", Warning;
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tolerated deviation, a cosmetic difference, or a rule violation found by a validator.
///
/// Diagnostics never stop an operation; callers decide what to do with them (log them, refuse
/// messages with any `Error`-severity diagnostic, or show them to a user).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// The stable code.
    pub code: DiagnosticCode,
    /// The severity, always `code.severity()`.
    pub severity: Severity,
    /// Details for humans: which element, which value, where.
    pub detail: String,
}

impl Diagnostic {
    /// Creates a diagnostic with the severity its code has.
    pub fn new(code: DiagnosticCode, detail: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.severity, self.code, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table in `diagnostics.md` is the documentation of record: every code must be in it,
    /// with its severity, and the table must list nothing else.
    #[test]
    fn diagnostics_table_matches_codes() {
        let table = include_str!("diagnostics.md");
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), DiagnosticCode::ALL.len(), "one row per code");
        for code in DiagnosticCode::ALL {
            let row = rows
                .iter()
                .find(|r| r.starts_with(&format!("| `{}` |", code.as_str())))
                .unwrap_or_else(|| panic!("{} missing from diagnostics.md", code.as_str()));
            assert!(
                row.contains(&format!("| {} |", code.severity().as_str())),
                "{} has the wrong severity in diagnostics.md",
                code.as_str()
            );
            assert_eq!(DiagnosticCode::from_code(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for code in DiagnosticCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{s} is not kebab-case"
            );
        }
    }

    #[test]
    fn error_display_names_kind_message_and_offset() {
        let e = Error::new(ErrorKind::MissingElement, "no <identificativo> in <dati>").at(42);
        assert_eq!(
            e.to_string(),
            "missing element: no <identificativo> in <dati> (at byte 42)"
        );
        assert_eq!(e.kind(), ErrorKind::MissingElement);
        assert_eq!(e.offset(), Some(42));
    }

    #[test]
    fn error_keeps_its_source() {
        let io = std::io::Error::other("hsm unplugged");
        let e = Error::new(ErrorKind::InvalidInput, "signer").with_source(io);
        let src = StdError::source(&e).map(|s| s.to_string());
        assert_eq!(src.as_deref(), Some("hsm unplugged"));
    }
}
