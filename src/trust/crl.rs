//! Certificate revocation lists: X.509 v2 CRLs (RFC 5280 section 5), complete and direct.
//!
//! The CRL is walked with the crate's own BER walker, as [`Cert::from_der`] walks a
//! certificate, so that the signature is checked over the tbsCertList exactly as it was
//! transmitted. What this reader does not understand it refuses (RFC 5280 5.2, 5.3): delta
//! CRLs, partitioned CRLs (issuingDistributionPoint), indirect CRLs (certificateIssuer) and
//! any other critical extension.
//!
//! The DER helpers at the end are shared with the OCSP reader (`super::ocsp`), which reads
//! the same kind of structures (RFC 6960 section 4.2.1 imports them from RFC 5280).

use std::collections::HashMap;
use std::ops::Range;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280;
use x509_cert::ext::pkix::KeyUsages;

use crate::ber::{self, Children, Tlv};
use crate::crypto::Backend;
use crate::error::{Error, ErrorKind};
use crate::x509::{Cert, rsa_signature_digest};

/// The largest CRL accepted, in bytes. Large CAs publish CRLs of a few MiB; 16 MiB leaves
/// room while bounding the memory one CRL can take (RFC 5280 sets no limit).
pub(crate) const MAX_CRL_SIZE: usize = 16 * 1024 * 1024;

/// The most extensions accepted in one Extensions list (RFC 5280 4.1, 5.2, 5.3): real lists
/// have a handful; the bound keeps the duplicate check linear.
pub(super) const MAX_EXTENSIONS: usize = 64;

/// The reason a certificate was revoked: `CRLReason` (RFC 5280 section 5.3.1), also used by
/// OCSP (RFC 6960 section 4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RevocationReason {
    /// unspecified (0).
    Unspecified,
    /// keyCompromise (1).
    KeyCompromise,
    /// cACompromise (2).
    CaCompromise,
    /// affiliationChanged (3).
    AffiliationChanged,
    /// superseded (4).
    Superseded,
    /// cessationOfOperation (5).
    CessationOfOperation,
    /// certificateHold (6).
    CertificateHold,
    /// removeFromCRL (8): only delta CRLs carry it.
    RemoveFromCrl,
    /// privilegeWithdrawn (9).
    PrivilegeWithdrawn,
    /// aACompromise (10).
    AaCompromise,
}

impl RevocationReason {
    /// The reason for a `CRLReason` value (RFC 5280 section 5.3.1); 7 is not used.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => RevocationReason::Unspecified,
            1 => RevocationReason::KeyCompromise,
            2 => RevocationReason::CaCompromise,
            3 => RevocationReason::AffiliationChanged,
            4 => RevocationReason::Superseded,
            5 => RevocationReason::CessationOfOperation,
            6 => RevocationReason::CertificateHold,
            8 => RevocationReason::RemoveFromCrl,
            9 => RevocationReason::PrivilegeWithdrawn,
            10 => RevocationReason::AaCompromise,
            _ => return None,
        })
    }

    /// A stable kebab-case name of the RFC 5280 section 5.3.1 value (`key-compromise`, ...).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "key-compromise",
            RevocationReason::CaCompromise => "ca-compromise",
            RevocationReason::AffiliationChanged => "affiliation-changed",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessation-of-operation",
            RevocationReason::CertificateHold => "certificate-hold",
            RevocationReason::RemoveFromCrl => "remove-from-crl",
            RevocationReason::PrivilegeWithdrawn => "privilege-withdrawn",
            RevocationReason::AaCompromise => "aa-compromise",
        }
    }

    /// Whether the reason says the key was compromised, so that the invalidity date can date
    /// the revocation back (RFC 5280 section 5.3.2).
    fn is_compromise(self) -> bool {
        matches!(
            self,
            RevocationReason::KeyCompromise
                | RevocationReason::CaCompromise
                | RevocationReason::AaCompromise
        )
    }
}

/// One revoked certificate of a CRL (RFC 5280 section 5.1.2.6, entry extensions 5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CrlEntry {
    /// userCertificate: the serial number's INTEGER content bytes, as
    /// [`Cert::serial_raw`] gives them.
    pub(crate) serial: Vec<u8>,
    /// revocationDate, Unix seconds.
    pub(crate) revoked_at: i64,
    /// The reasonCode entry extension (RFC 5280 5.3.1), when present.
    pub(crate) reason: Option<RevocationReason>,
    /// The invalidityDate entry extension (RFC 5280 5.3.2), Unix seconds, when present.
    pub(crate) invalidity: Option<i64>,
}

impl CrlEntry {
    /// When the revocation takes effect: the invalidity date for keyCompromise /
    /// cACompromise / aACompromise when it is earlier than the revocation date, else the
    /// revocation date (RFC 5280 5.3.2).
    pub(crate) fn effective_from(&self) -> i64 {
        effective_from(self.revoked_at, self.reason, self.invalidity)
    }
}

/// When a revocation takes effect, for a CRL entry and an OCSP answer alike: the invalidity
/// date of a compromise when it is earlier than the revocation date, else the revocation
/// date (RFC 5280 5.3.2).
pub(crate) fn effective_from(
    revoked_at: i64,
    reason: Option<RevocationReason>,
    invalidity: Option<i64>,
) -> i64 {
    match (reason, invalidity) {
        // For other reasons the invalidity date says when the certificate stopped being
        // needed, not since when its signatures are suspect.
        (Some(r), Some(inv)) if r.is_compromise() && inv < revoked_at => inv,
        _ => revoked_at,
    }
}

/// A complete, direct X.509 v2 CRL (RFC 5280 section 5.1), kept with its DER so that the
/// signature is checked over the tbsCertList as transmitted.
#[derive(Clone)]
pub(crate) struct Crl {
    der: Vec<u8>,
    tbs: Range<usize>,
    issuer: Range<usize>,
    sig_alg: ObjectIdentifier,
    signature: Range<usize>,
    this_update: i64,
    next_update: Option<i64>,
    authority_key_id: Option<Vec<u8>>,
    crl_number: Option<Vec<u8>>,
    /// The SHA-256 of `der`, computed once.
    sha256_memo: std::sync::OnceLock<Vec<u8>>,
    entries: Vec<CrlEntry>,
    /// Serial (INTEGER content) to the index of its entry in `entries`.
    by_serial: HashMap<Vec<u8>, usize>,
}

impl Crl {
    /// Reads a CRL from its DER (RFC 5280 section 5.1; PEM is the caller's part).
    ///
    /// Refused: BER, a version other than v2 when present, extensions in a v1 CRL, a
    /// tbsCertList.signature other than signatureAlgorithm (5.1.1.2, compared byte for
    /// byte), issuingDistributionPoint and deltaCRLIndicator (this reader takes complete
    /// CRLs of the whole scope only), any other critical CRL extension, certificateIssuer
    /// (indirect CRLs) or any other critical entry extension, repeated extensions, a serial
    /// listed twice, removeFromCRL (5.3.1: delta CRLs only), and input over [`MAX_CRL_SIZE`].
    pub(crate) fn parse(der: &[u8]) -> Result<Crl, Error> {
        if der.len() > MAX_CRL_SIZE {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "CRL: {} bytes, more than the {MAX_CRL_SIZE} accepted",
                    der.len()
                ),
            ));
        }
        let outer = top_level(der, "CRL")?;
        let mut parts = outer.expect(ber::SEQUENCE, "CertificateList")?;
        let tbs = next(&mut parts, "tbsCertList")?;
        let sig_alg_tlv = next(&mut parts, "signatureAlgorithm")?;
        let sig = next(&mut parts, "signatureValue")?;
        parts.end("CertificateList")?;
        let sig_alg = algorithm_oid(&sig_alg_tlv, "signatureAlgorithm")?;
        let signature = bit_string_bytes(&sig, "signatureValue")?;

        let mut fields = tbs.expect(ber::SEQUENCE, "tbsCertList")?;
        // Version OPTIONAL (not DEFAULT): absent is v1, present must be v2 (5.1.2.1).
        let version = optional(&mut fields, ber::INTEGER, "version")?;
        let v2 = match version {
            None => false,
            Some(v) if v.content == [1] => true,
            Some(v) => {
                return Err(bad(format!(
                    "version {:02x?} is not v2 (1)",
                    integer(&v, "version")?
                )));
            }
        };
        let inner_alg = next(&mut fields, "tbsCertList.signature")?;
        // 5.1.1.2: the two must be the same; a difference is how algorithm substitution
        // hides, and OpenSSL refuses it too.
        if inner_alg.raw != sig_alg_tlv.raw {
            return Err(bad(
                "tbsCertList.signature differs from signatureAlgorithm (RFC 5280 5.1.1.2)",
            ));
        }
        let issuer = next(&mut fields, "issuer")?;
        if issuer.tag != ber::SEQUENCE {
            return Err(bad("issuer is not a Name"));
        }
        let this_update = time(&next(&mut fields, "thisUpdate")?, "thisUpdate")?;
        let next_update = match optional(&mut fields, ber::UTC_TIME, "nextUpdate")? {
            Some(t) => Some(t),
            None => optional(&mut fields, ber::GENERALIZED_TIME, "nextUpdate")?,
        }
        .map(|t| time(&t, "nextUpdate"))
        .transpose()?;

        let mut entries = Vec::new();
        let mut by_serial = HashMap::new();
        if let Some(revoked) = optional(&mut fields, ber::SEQUENCE, "revokedCertificates")? {
            for entry in revoked.children() {
                let entry = read_entry(der_form(entry?, "revokedCertificates entry")?, v2)?;
                if by_serial
                    .insert(entry.serial.clone(), entries.len())
                    .is_some()
                {
                    return Err(bad(format!(
                        "serial {} is listed twice",
                        hex(&entry.serial)
                    )));
                }
                entries.push(entry);
            }
        }

        let mut authority_key_id = None;
        let mut crl_number = None;
        if let Some(wrapper) = optional(&mut fields, 0xa0, "crlExtensions")? {
            if !v2 {
                return Err(bad("a v1 CRL carries crlExtensions (RFC 5280 5.1.2.1)"));
            }
            let mut inner = wrapper.children();
            let list = next(&mut inner, "crlExtensions")?;
            inner.end("crlExtensions")?;
            for ext in extensions(&list, "crlExtensions")? {
                match ext.oid {
                    o if o == rfc5280::ID_CE_CRL_NUMBER.as_bytes() => {
                        let n = inner_value(ext.value, "cRLNumber")?;
                        crl_number = Some(integer(&n, "cRLNumber")?.to_vec());
                    }
                    o if o == rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER.as_bytes() => {
                        authority_key_id = key_identifier(ext.value)?;
                    }
                    // Both change what the CRL covers: read as a complete CRL of the whole
                    // scope, it would wrongly say "not revoked" (5.2.4, 5.2.5; also when not
                    // marked critical, as they always must be).
                    o if o == rfc5280::ID_CE_DELTA_CRL_INDICATOR.as_bytes() => {
                        return Err(unsupported("delta CRLs (deltaCRLIndicator) are not read"));
                    }
                    o if o == rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT.as_bytes() => {
                        return Err(unsupported(
                            "CRLs with an issuingDistributionPoint (partitioned or indirect) \
                             are not read",
                        ));
                    }
                    o if ext.critical => {
                        return Err(unsupported(format!(
                            "the critical CRL extension {} is not understood (RFC 5280 5.2)",
                            oid_text(o)
                        )));
                    }
                    _ => {}
                }
            }
        }
        fields.end("tbsCertList")?;

        Ok(Crl {
            der: der.to_vec(),
            tbs: range_in(der, tbs.raw),
            issuer: range_in(der, issuer.raw),
            sig_alg,
            signature: range_in(der, signature),
            this_update,
            next_update,
            authority_key_id,
            crl_number,
            entries,
            by_serial,
            sha256_memo: std::sync::OnceLock::new(),
        })
    }

    /// The SHA-256 of the whole CRL, as given: what the store remembers it verified.
    pub(crate) fn sha256(&self) -> Vec<u8> {
        self.sha256_memo
            .get_or_init(|| {
                crate::crypto::digest(
                    crate::crypto::Backend::RustCrypto,
                    crate::crypto::DigestAlgorithm::Sha256,
                    &self.der,
                )
            })
            .clone()
    }

    /// The authorityKeyIdentifier's keyIdentifier, when the CRL has one.
    pub(crate) fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    /// The issuer Name, raw DER (RFC 5280 section 5.1.2.3).
    pub(crate) fn issuer_raw(&self) -> &[u8] {
        self.der.get(self.issuer.clone()).unwrap_or(&[])
    }

    /// thisUpdate, Unix seconds (RFC 5280 section 5.1.2.4).
    pub(crate) fn this_update(&self) -> i64 {
        self.this_update
    }

    /// nextUpdate, Unix seconds, when present (RFC 5280 section 5.1.2.5).
    pub(crate) fn next_update(&self) -> Option<i64> {
        self.next_update
    }

    /// Current at `at`: thisUpdate <= at < nextUpdate, read as OpenSSL reads it (at
    /// thisUpdate the CRL is valid, at nextUpdate it "has expired"); without nextUpdate never
    /// current, since nothing says until when it may be relied on (RFC 5280 5.1.2.5 requires
    /// nextUpdate).
    pub(crate) fn is_current(&self, at: i64) -> bool {
        self.this_update <= at && self.next_update.is_some_and(|next| at < next)
    }

    /// Whether `issuer` issued this CRL (RFC 5280 section 6.3.3 (f), (g)): its subject is the
    /// CRL's issuer (raw bytes), the key identifiers agree when both are present, its key
    /// usage (when present) has cRLSign, and its RSA key, of at least `min_rsa_bits`
    /// ([`ErrorKind::UnsupportedAlgorithm`] otherwise), verifies the signature over the
    /// tbsCertList as transmitted. The error says which failed.
    pub(crate) fn verify_issued_by(
        &self,
        issuer: &Cert,
        backend: Backend,
        min_rsa_bits: usize,
    ) -> Result<(), Error> {
        let who = issuer.subject_string();
        if issuer.subject_raw() != self.issuer_raw() {
            return Err(not_issued(format!(
                "its issuer name is not the subject of {who}"
            )));
        }
        if let (Some(aki), Some(ski)) = (&self.authority_key_id, issuer.subject_key_id()?)
            && *aki != ski
        {
            return Err(not_issued(format!(
                "its authority key identifier {} is not the subject key identifier {} of {who}",
                hex(aki),
                hex(&ski)
            )));
        }
        if !issuer.allows(KeyUsages::CRLSign)? {
            return Err(not_issued(format!(
                "the key usage of {who} does not allow cRLSign"
            )));
        }
        let alg = rsa_signature_digest(&self.sig_alg)?;
        let key = issuer
            .key_of_at_least(min_rsa_bits)
            .map_err(|e| Error::new(e.kind(), format!("CRL: {}", e.message())))?;
        let tbs = self.der.get(self.tbs.clone()).unwrap_or(&[]);
        let signature = self.der.get(self.signature.clone()).unwrap_or(&[]);
        key.verify(backend, alg, tbs, signature)
            .map_err(|e| Error::new(e.kind(), format!("CRL of {who}: {}", e.message())))
    }

    /// The entry for a serial number, given as INTEGER content bytes as
    /// [`Cert::serial_raw`] gives them (RFC 5280 section 5.1.2.6). Both sides are DER, whose
    /// INTEGERs have one encoding, so comparing bytes compares numbers.
    pub(crate) fn entry(&self, serial: &[u8]) -> Option<&CrlEntry> {
        self.by_serial
            .get(serial)
            .and_then(|&i| self.entries.get(i))
    }
}

/// A summary: a CRL may hold megabytes of entries (RFC 5280 section 5.1).
impl core::fmt::Debug for Crl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Crl")
            .field("this_update", &self.this_update)
            .field("next_update", &self.next_update)
            .field("crl_number", &self.crl_number.as_deref().map(hex))
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// Reads one revokedCertificates entry (RFC 5280 section 5.1.2.6, entry extensions 5.3).
fn read_entry(entry: Tlv<'_>, v2: bool) -> Result<CrlEntry, Error> {
    let mut parts = entry.expect(ber::SEQUENCE, "revokedCertificates entry")?;
    let serial = integer(&next(&mut parts, "userCertificate")?, "userCertificate")?.to_vec();
    let revoked_at = time(&next(&mut parts, "revocationDate")?, "revocationDate")?;
    let mut reason = None;
    let mut invalidity = None;
    if let Some(list) = optional(&mut parts, ber::SEQUENCE, "crlEntryExtensions")? {
        if !v2 {
            return Err(bad(
                "a v1 CRL carries crlEntryExtensions (RFC 5280 5.1.2.1)",
            ));
        }
        for ext in extensions(&list, "crlEntryExtensions")? {
            match ext.oid {
                o if o == rfc5280::ID_CE_CRL_REASONS.as_bytes() => {
                    let code = inner_value(ext.value, "reasonCode")?;
                    let r = reason_code(&code, "reasonCode")?;
                    // Meaningful in a delta CRL only; in a complete CRL it would list a
                    // certificate that is not revoked.
                    if r == RevocationReason::RemoveFromCrl {
                        return Err(bad(
                            "removeFromCRL in a complete CRL (RFC 5280 5.3.1: delta CRLs only)",
                        ));
                    }
                    reason = Some(r);
                }
                o if o == rfc5280::ID_CE_INVALIDITY_DATE.as_bytes() => {
                    let t = inner_value(ext.value, "invalidityDate")?;
                    if t.tag != ber::GENERALIZED_TIME {
                        return Err(bad("invalidityDate is not a GeneralizedTime"));
                    }
                    invalidity = Some(time(&t, "invalidityDate")?);
                }
                // The entry would be about a certificate of another CA (5.3.3): reading it
                // as ours could revoke, or miss, the wrong certificate.
                o if o == rfc5280::ID_CE_CERTIFICATE_ISSUER.as_bytes() => {
                    return Err(unsupported(
                        "indirect CRLs (certificateIssuer entry extension) are not read",
                    ));
                }
                o if ext.critical => {
                    return Err(unsupported(format!(
                        "the critical CRL entry extension {} is not understood (RFC 5280 5.3)",
                        oid_text(o)
                    )));
                }
                _ => {}
            }
        }
    }
    parts.end("revokedCertificates entry")?;
    Ok(CrlEntry {
        serial,
        revoked_at,
        reason,
        invalidity,
    })
}

/// The keyIdentifier of an authorityKeyIdentifier extension value (RFC 5280 4.2.1.1).
fn key_identifier(value: &[u8]) -> Result<Option<Vec<u8>>, Error> {
    let aki = inner_value(value, "authorityKeyIdentifier")?;
    let mut parts = aki.expect(ber::SEQUENCE, "authorityKeyIdentifier")?;
    // keyIdentifier [0] IMPLICIT OCTET STRING; authorityCertIssuer [1] and
    // authorityCertSerialNumber [2] are not used to match issuers here.
    let id = optional(&mut parts, 0x80, "keyIdentifier")?.map(|k| k.content.to_vec());
    let _ = optional(&mut parts, 0xa1, "authorityCertIssuer")?;
    let _ = optional(&mut parts, 0x82, "authorityCertSerialNumber")?;
    parts.end("authorityKeyIdentifier")?;
    Ok(id)
}

/// `issuer` is not the CRL's issuer (RFC 5280 section 6.3.3 (f), (g)).
fn not_issued(what: String) -> Error {
    Error::new(
        ErrorKind::SignatureInvalid,
        format!("CRL: not issued by this certificate: {what}"),
    )
}

/// A CRL that is not the structure of RFC 5280 section 5.1, with the kind `Cert` uses.
fn bad(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedCms, format!("CRL: {}", what.into()))
}

/// What this reader does not take (RFC 5280 5.2, 5.3: refuse what is not understood):
/// reported as a structure error, as `Cert` reports what it cannot read.
fn unsupported(what: impl Into<String>) -> Error {
    bad(what)
}

// ---- DER helpers, shared with the OCSP reader ----

/// Reads a whole DER structure (X.690 section 10): one element, nothing after it, no
/// indefinite length anywhere, its own length in the shortest form.
pub(super) fn top_level<'a>(input: &'a [u8], what: &str) -> Result<Tlv<'a>, Error> {
    let tlv = Tlv::parse_all(input)?;
    if tlv.has_indefinite() {
        return Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what}: indefinite lengths (BER) where DER is required"),
        ));
    }
    der_form(tlv, what)
}

/// Checks that an element's length uses the shortest DER form (X.690 section 10.1): a
/// second encoding of the same value is how parser differentials start.
pub(super) fn der_form<'a>(tlv: Tlv<'a>, what: &str) -> Result<Tlv<'a>, Error> {
    let len = tlv.content.len();
    let length_octets = if len < 0x80 {
        1
    } else {
        1 + (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
    };
    if tlv.indefinite || tlv.raw.len() != 1 + length_octets + len {
        return Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what}: the length is not in DER form"),
        ));
    }
    Ok(tlv)
}

/// The next child, required, in DER form.
pub(super) fn next<'a>(children: &mut Children<'a>, what: &str) -> Result<Tlv<'a>, Error> {
    der_form(children.required(what)?, what)
}

/// The next child when it has `tag`, in DER form.
pub(super) fn optional<'a>(
    children: &mut Children<'a>,
    tag: u8,
    what: &str,
) -> Result<Option<Tlv<'a>>, Error> {
    children
        .optional(tag)?
        .map(|t| der_form(t, what))
        .transpose()
}

/// The single DER element an extension's OCTET STRING holds (RFC 5280 section 4.1).
pub(super) fn inner_value<'a>(value: &'a [u8], what: &str) -> Result<Tlv<'a>, Error> {
    top_level(value, what)
}

/// An INTEGER's content bytes, which must be non-empty and minimal (X.690 8.3.2, which
/// holds for BER as well), so that equal numbers have equal bytes.
pub(super) fn integer<'a>(tlv: &Tlv<'a>, what: &str) -> Result<&'a [u8], Error> {
    if tlv.tag != ber::INTEGER {
        return Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what} is not an INTEGER"),
        ));
    }
    match tlv.content {
        [] => Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what}: an empty INTEGER"),
        )),
        [0x00, b, ..] if b & 0x80 == 0 => Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what}: an INTEGER with a redundant leading 00"),
        )),
        [0xff, b, ..] if b & 0x80 != 0 => Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what}: an INTEGER with a redundant leading ff"),
        )),
        content => Ok(content),
    }
}

/// A `CRLReason` ENUMERATED (RFC 5280 section 5.3.1).
pub(super) fn reason_code(tlv: &Tlv<'_>, what: &str) -> Result<RevocationReason, Error> {
    match (tlv.tag, tlv.content) {
        (0x0a, &[code]) => RevocationReason::from_code(code).ok_or_else(|| {
            Error::new(
                ErrorKind::MalformedCms,
                format!("{what}: {code} is not a CRLReason"),
            )
        }),
        _ => Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what} is not a one-octet ENUMERATED"),
        )),
    }
}

/// A UTCTime or GeneralizedTime in the forms RFC 5280 section 4.1.2.5 prescribes, as Unix
/// seconds.
pub(super) fn time(tlv: &Tlv<'_>, what: &str) -> Result<i64, Error> {
    // `ber::time` reads the digits with `str::parse`, which also takes a sign ("+5"): only
    // digits and the final Z are let through to it.
    match tlv.content.split_last() {
        Some((b'Z', digits)) if digits.iter().all(u8::is_ascii_digit) => {}
        _ => {
            return Err(Error::new(
                ErrorKind::MalformedCms,
                format!("{what} is not a time of the form ...Z"),
            ));
        }
    }
    Ok(ber::time(tlv, what)?.unix_seconds())
}

/// The algorithm OID of an AlgorithmIdentifier (RFC 5280 section 4.1.1.2).
pub(super) fn algorithm_oid(tlv: &Tlv<'_>, what: &str) -> Result<ObjectIdentifier, Error> {
    let mut parts = tlv.expect(ber::SEQUENCE, what)?;
    let oid = next(&mut parts, what)?.oid(what)?;
    // Parameters: NULL or absent, as RSA PKCS #1 v1.5 and the SHA digests have them (RFC
    // 4055, 5754). Nothing else is read: an OCSP response's signature algorithm is outside
    // what it signs, and bytes there that mean nothing would still be bytes others could
    // read some other way.
    match parts.next().transpose()? {
        None => {}
        Some(p) if p.tag == 0x05 && p.content.is_empty() => {}
        Some(_) => {
            return Err(Error::new(
                ErrorKind::MalformedCms,
                format!("{what}: parameters other than NULL"),
            ));
        }
    }
    parts.end(what)?;
    Ok(oid)
}

/// The bytes of a BIT STRING that must hold whole octets (a signature, a key).
pub(super) fn bit_string_bytes<'a>(tlv: &Tlv<'a>, what: &str) -> Result<&'a [u8], Error> {
    match (tlv.tag, tlv.content.split_first()) {
        (ber::BIT_STRING, Some((0, bytes))) => Ok(bytes),
        _ => Err(Error::new(
            ErrorKind::MalformedCms,
            format!("{what} is not a BIT STRING of whole octets"),
        )),
    }
}

/// One extension (RFC 5280 section 4.1): its OID's content octets, criticality and value.
pub(super) struct Extension<'a> {
    /// The OBJECT IDENTIFIER content octets: compared as bytes, so that an OID longer than
    /// `const_oid` holds does not make a non-critical extension fatal.
    pub(super) oid: &'a [u8],
    /// critical, DEFAULT FALSE.
    pub(super) critical: bool,
    /// extnValue's content: the DER of the extension's own type.
    pub(super) value: &'a [u8],
}

/// Reads `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension` (RFC 5280 section 4.1),
/// refusing a repeated extension (4.2: "MUST NOT include more than one instance") and more
/// than [`MAX_EXTENSIONS`].
pub(super) fn extensions<'a>(list: &Tlv<'a>, what: &str) -> Result<Vec<Extension<'a>>, Error> {
    let malformed = |m: String| Error::new(ErrorKind::MalformedCms, format!("{what}: {m}"));
    let mut out: Vec<Extension<'a>> = Vec::new();
    for ext in list.expect(ber::SEQUENCE, what)? {
        if out.len() == MAX_EXTENSIONS {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("{what}: more than {MAX_EXTENSIONS} extensions"),
            ));
        }
        let ext = der_form(ext?, what)?;
        let mut parts = ext.expect(ber::SEQUENCE, what)?;
        let oid = next(&mut parts, "extnID")?;
        if oid.tag != ber::OID || !oid_well_formed(oid.content) {
            return Err(malformed("extnID is not an OBJECT IDENTIFIER".to_owned()));
        }
        let critical = match optional(&mut parts, 0x01, "critical")? {
            None => false,
            // DER writes TRUE as ff and leaves FALSE out; an explicit FALSE is tolerated, it
            // means the same.
            Some(b) => match b.content {
                [0xff] => true,
                [0x00] => false,
                _ => return Err(malformed("critical is not a BOOLEAN".to_owned())),
            },
        };
        let value = next(&mut parts, "extnValue")?;
        if value.tag != ber::OCTET_STRING {
            return Err(malformed("extnValue is not an OCTET STRING".to_owned()));
        }
        parts.end("Extension")?;
        if out.iter().any(|e| e.oid == oid.content) {
            return Err(malformed(format!(
                "the extension {} appears twice (RFC 5280 4.2)",
                oid_text(oid.content)
            )));
        }
        out.push(Extension {
            oid: oid.content,
            critical,
            value: value.content,
        });
    }
    if out.is_empty() {
        return Err(malformed(
            "an empty Extensions list (SIZE (1..MAX))".to_owned(),
        ));
    }
    Ok(out)
}

/// Whether OID content octets are well formed (X.690 8.19.2): non-empty, each
/// subidentifier minimal (no leading 80), the last octet ending a subidentifier. Then equal
/// OIDs have equal bytes.
fn oid_well_formed(content: &[u8]) -> bool {
    let mut at_start = true;
    for &b in content {
        if at_start && b == 0x80 {
            return false;
        }
        at_start = b & 0x80 == 0;
    }
    !content.is_empty() && at_start
}

/// An OID for messages: dotted when `const_oid` can hold it, hex otherwise.
pub(super) fn oid_text(content: &[u8]) -> String {
    ObjectIdentifier::from_bytes(content)
        .map(|o| o.to_string())
        .unwrap_or_else(|_| format!("(OID {})", hex(content)))
}

/// Lower-case hex, for messages.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where `part`, a subslice of `base`, lies in it.
pub(super) fn range_in(base: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    start..start + part.len()
}

#[cfg(test)]
pub(super) mod tests {
    //! The test PKI's CRLs (tests/fixtures/pki/README.md), and mutants of ca1.crl.der built
    //! here, re-signed with the test keys when the test needs a valid signature.

    use super::*;
    use crate::crypto::DigestAlgorithm;
    use crate::time::PecTime;

    pub(crate) const CA1_CRL: &[u8] = include_bytes!("../../tests/fixtures/pki/ca1.crl.der");
    pub(crate) const CA1_STALE_CRL: &[u8] =
        include_bytes!("../../tests/fixtures/pki/ca1-stale.crl.der");
    pub(crate) const CA1_WRONGKEY_CRL: &[u8] =
        include_bytes!("../../tests/fixtures/pki/ca1-wrongkey.crl.der");
    pub(crate) const ROOT_CRL: &[u8] = include_bytes!("../../tests/fixtures/pki/root.crl.der");
    pub(crate) const CA1_KEY: &[u8] = include_bytes!("../../tests/fixtures/pki/ca1.key.der");
    const ALFA_KEY: &[u8] = include_bytes!("../../tests/fixtures/pki/alfa.key.der");

    /// 2026-06-01T00:00:00Z, the test time of the PKI.
    pub(crate) const AT: i64 = 1_780_272_000;

    /// A certificate of the test PKI by its file name.
    pub(crate) fn cert(name: &str) -> Cert {
        macro_rules! pki {
            ($($name:literal),*) => {
                match name {
                    $($name => &include_bytes!(concat!("../../tests/fixtures/pki/", $name, ".der"))[..],)*
                    _ => panic!("no certificate {name} in the test PKI"),
                }
            };
        }
        let der: &[u8] = pki!(
            "alfa",
            "beta",
            "revoked",
            "ca1",
            "root",
            "ocsp",
            "ocsp-noeku",
            "rogue",
            "rogue-root"
        );
        Cert::from_der(der).unwrap()
    }

    pub(crate) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        PecTime::from_parts(y, mo, d, h, mi, s, 0)
            .unwrap()
            .unix_seconds()
    }

    /// A DER element.
    pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        ber::der_length(content.len(), &mut out);
        out.extend_from_slice(content);
        out
    }

    pub(crate) fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    /// RSA PKCS #1 v1.5 with SHA-256, by a PKCS #8 test key.
    pub(crate) fn sign(key: &[u8], message: &[u8]) -> Vec<u8> {
        use rsa::pkcs8::DecodePrivateKey;
        let key = rsa::PrivateKey::from_pkcs8_der(key).unwrap();
        let digest = crate::crypto::digest(Backend::RustCrypto, DigestAlgorithm::Sha256, message);
        key.sign(
            rsa::Pkcs1v15Sign::new_unprefixed(),
            &DigestAlgorithm::Sha256.digest_info(&digest),
        )
        .unwrap()
    }

    pub(crate) fn ext(oid: &ObjectIdentifier, critical: bool, value: &[u8]) -> Vec<u8> {
        let mut content = tlv(ber::OID, oid.as_bytes());
        if critical {
            content.extend_from_slice(&[0x01, 0x01, 0xff]);
        }
        content.extend(tlv(ber::OCTET_STRING, value));
        tlv(ber::SEQUENCE, &content)
    }

    /// The raw children of an element.
    pub(crate) fn children(tlv: &[u8]) -> Vec<Vec<u8>> {
        Tlv::parse_all(tlv)
            .unwrap()
            .children()
            .map(|c| c.unwrap().raw.to_vec())
            .collect()
    }

    /// ca1.crl.der taken apart: the tbsCertList fields (version, signature, issuer,
    /// thisUpdate, nextUpdate, revokedCertificates, crlExtensions), the outer algorithm and
    /// the signature BIT STRING.
    fn ca1_parts() -> (Vec<Vec<u8>>, Vec<u8>, Vec<u8>) {
        let top = children(CA1_CRL);
        (children(&top[0]), top[1].clone(), top[2].clone())
    }

    fn assemble(fields: &[Vec<u8>], alg: &[u8], sig: &[u8]) -> Vec<u8> {
        let tbs = tlv(ber::SEQUENCE, &cat(fields));
        tlv(ber::SEQUENCE, &cat(&[tbs, alg.to_vec(), sig.to_vec()]))
    }

    /// A CRL of these fields signed by `key` with sha256WithRSAEncryption.
    fn signed(fields: &[Vec<u8>], key: &[u8]) -> Vec<u8> {
        let (_, alg, _) = ca1_parts();
        let tbs = tlv(ber::SEQUENCE, &cat(fields));
        let mut sig = vec![0];
        sig.extend(sign(key, &tbs));
        tlv(ber::SEQUENCE, &cat(&[tbs, alg, tlv(ber::BIT_STRING, &sig)]))
    }

    /// ca1.crl.der's fields with other crlExtensions (`None`: without any).
    fn with_crl_exts(exts: Option<&[Vec<u8>]>) -> Vec<Vec<u8>> {
        let (mut fields, _, _) = ca1_parts();
        fields.pop();
        if let Some(exts) = exts {
            fields.push(tlv(0xa0, &tlv(ber::SEQUENCE, &cat(exts))));
        }
        fields
    }

    /// ca1.crl.der's original CRL extensions (authorityKeyIdentifier, cRLNumber).
    fn ca1_crl_exts() -> Vec<Vec<u8>> {
        let (fields, _, _) = ca1_parts();
        children(&children(&fields[6])[0])
    }

    /// ca1.crl.der's fields with these revokedCertificates (`None`: absent).
    fn with_entries(entries: Option<&[Vec<u8>]>) -> Vec<Vec<u8>> {
        let (mut fields, _, _) = ca1_parts();
        match entries {
            Some(e) => fields[5] = tlv(ber::SEQUENCE, &cat(e)),
            None => {
                fields.remove(5);
            }
        }
        fields
    }

    fn entry(serial: &[u8], exts: Option<&[Vec<u8>]>) -> Vec<u8> {
        let mut content = tlv(ber::INTEGER, serial);
        content.extend(tlv(ber::UTC_TIME, b"260301000000Z"));
        if let Some(exts) = exts {
            content.extend(tlv(ber::SEQUENCE, &cat(exts)));
        }
        tlv(ber::SEQUENCE, &content)
    }

    fn reason(code: u8) -> Vec<u8> {
        ext(&rfc5280::ID_CE_CRL_REASONS, false, &[0x0a, 0x01, code])
    }

    fn parse_err(der: &[u8]) -> Error {
        Crl::parse(der).unwrap_err()
    }

    #[test]
    fn parses_every_crl() {
        let ca1 = cert("ca1");
        let ski = ca1.subject_key_id().unwrap().unwrap();
        for (der, number, entries) in [
            (CA1_CRL, 2u8, 1usize),
            (CA1_STALE_CRL, 1, 1),
            (CA1_WRONGKEY_CRL, 2, 1),
            (ROOT_CRL, 1, 0),
        ] {
            let crl = Crl::parse(der).unwrap();
            assert_eq!(crl.crl_number.as_deref(), Some(&[number][..]));
            assert_eq!(crl.entries.len(), entries);
            assert!(crl.authority_key_id.as_deref().is_some());
            if entries == 1 {
                assert_eq!(crl.issuer_raw(), ca1.subject_raw());
                assert_eq!(crl.authority_key_id.as_deref(), Some(&ski[..]));
            }
        }
        let root = cert("root");
        assert_eq!(
            Crl::parse(ROOT_CRL).unwrap().issuer_raw(),
            root.subject_raw()
        );
    }

    #[test]
    fn ca1_lists_revoked_with_reason_and_invalidity() {
        let crl = Crl::parse(CA1_CRL).unwrap();
        assert_eq!(crl.this_update(), utc(2026, 5, 1, 0, 0, 0));
        assert_eq!(crl.next_update(), Some(utc(2026, 7, 1, 0, 0, 0)));
        let revoked = cert("revoked");
        assert_eq!(revoked.serial_raw(), [0x30, 0x05]);
        let e = crl.entry(revoked.serial_raw()).unwrap();
        assert_eq!(e.serial, [0x30, 0x05]);
        assert_eq!(e.reason, Some(RevocationReason::KeyCompromise));
        assert_eq!(e.revoked_at, utc(2026, 3, 1, 0, 0, 0));
        assert_eq!(e.invalidity, Some(utc(2026, 2, 1, 0, 0, 0)));
        assert_eq!(e.effective_from(), utc(2026, 2, 1, 0, 0, 0));
        assert!(crl.entry(cert("alfa").serial_raw()).is_none());
        // The same number written with a redundant leading 00 is not an INTEGER content a
        // DER certificate can have, and is not looked up as one.
        assert!(crl.entry(&[0x00, 0x30, 0x05]).is_none());
    }

    #[test]
    fn effective_from_dates_back_compromises_only() {
        let mut e = CrlEntry {
            serial: vec![1],
            revoked_at: 1_000,
            reason: Some(RevocationReason::Superseded),
            invalidity: Some(500),
        };
        assert_eq!(e.effective_from(), 1_000);
        for r in [
            RevocationReason::KeyCompromise,
            RevocationReason::CaCompromise,
            RevocationReason::AaCompromise,
        ] {
            e.reason = Some(r);
            assert_eq!(e.effective_from(), 500, "{r:?}");
        }
        e.invalidity = Some(2_000);
        assert_eq!(
            e.effective_from(),
            1_000,
            "a later invalidity date does not delay"
        );
        e.invalidity = None;
        assert_eq!(e.effective_from(), 1_000);
        e.reason = None;
        e.invalidity = Some(500);
        assert_eq!(e.effective_from(), 1_000, "no reason: not a compromise");
    }

    #[test]
    fn reason_codes() {
        for code in 0..=255u8 {
            match RevocationReason::from_code(code) {
                Some(r) => {
                    assert!(code <= 10 && code != 7, "{code}");
                    let s = r.as_str();
                    assert!(
                        s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                        "{s}"
                    );
                }
                None => assert!(code == 7 || code > 10, "{code}"),
            }
        }
        assert_eq!(
            RevocationReason::from_code(1).map(RevocationReason::as_str),
            Some("key-compromise")
        );
        assert_eq!(
            RevocationReason::from_code(10).map(RevocationReason::as_str),
            Some("aa-compromise")
        );
    }

    #[test]
    fn verifies_the_issuer() {
        let (ca1, root) = (cert("ca1"), cert("root"));
        for &backend in Backend::ALL {
            let crl = Crl::parse(CA1_CRL).unwrap();
            crl.verify_issued_by(&ca1, backend, 2048).unwrap();
            let e = crl.verify_issued_by(&root, backend, 2048).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::SignatureInvalid);
            assert!(e.message().contains("issuer name"), "{e}");
            let e = crl
                .verify_issued_by(&cert("alfa"), backend, 2048)
                .unwrap_err();
            assert!(e.message().contains("issuer name"), "{e}");
            let e = crl.verify_issued_by(&ca1, backend, 4096).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnsupportedAlgorithm);

            let wrong = Crl::parse(CA1_WRONGKEY_CRL).unwrap();
            let e = wrong.verify_issued_by(&ca1, backend, 2048).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::SignatureInvalid);
            assert!(e.message().contains("does not verify"), "{e}");

            Crl::parse(CA1_STALE_CRL)
                .unwrap()
                .verify_issued_by(&ca1, backend, 2048)
                .unwrap();
            let root_crl = Crl::parse(ROOT_CRL).unwrap();
            root_crl.verify_issued_by(&root, backend, 2048).unwrap();
            assert!(root_crl.verify_issued_by(&ca1, backend, 2048).is_err());
        }
    }

    #[test]
    fn currency_follows_openssl() {
        let crl = Crl::parse(CA1_CRL).unwrap();
        assert!(crl.is_current(AT));
        assert!(!Crl::parse(CA1_STALE_CRL).unwrap().is_current(AT));
        // The boundaries README.md records for `openssl verify -attime`.
        assert!(!crl.is_current(1_777_593_599));
        assert!(crl.is_current(1_777_593_600));
        assert!(crl.is_current(1_782_863_999));
        assert!(!crl.is_current(1_782_864_000));
        let stale = Crl::parse(CA1_STALE_CRL).unwrap();
        assert!(stale.is_current(1_769_903_999));
        assert!(!stale.is_current(1_769_904_000));
        assert!(!stale.is_current(1_767_225_599));
    }

    #[test]
    fn without_next_update_never_current() {
        let mut fields = with_crl_exts(None);
        fields.remove(4);
        let crl = Crl::parse(&signed(&fields, CA1_KEY)).unwrap();
        assert_eq!(crl.next_update(), None);
        assert!(!crl.is_current(AT));
        assert!(crl.entry(&[0x30, 0x05]).is_some());
        crl.verify_issued_by(&cert("ca1"), Backend::RustCrypto, 2048)
            .unwrap();
    }

    #[test]
    fn a_changed_entry_breaks_the_signature() {
        let mut der = CA1_CRL.to_vec();
        let at = der.windows(13).position(|w| w == b"260301000000Z").unwrap();
        der[at + 11] = b'1';
        let crl = Crl::parse(&der).unwrap();
        assert_eq!(
            crl.entry(&[0x30, 0x05]).unwrap().revoked_at,
            utc(2026, 3, 1, 0, 0, 1)
        );
        for &backend in Backend::ALL {
            let e = crl
                .verify_issued_by(&cert("ca1"), backend, 2048)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::SignatureInvalid);
        }
    }

    #[test]
    fn algorithms_must_agree() {
        let (fields, alg, sig) = ca1_parts();
        // sha1WithRSAEncryption outside, sha256WithRSAEncryption inside.
        let mut sha1 = alg.clone();
        *sha1.get_mut(12).unwrap() = 0x05;
        let e = parse_err(&assemble(&fields, &sha1, &sig));
        assert!(e.message().contains("5.1.1.2"), "{e}");
        // Same OID, parameters left out: not byte for byte the same.
        let bare = tlv(ber::SEQUENCE, &children(&alg)[0]);
        let e = parse_err(&assemble(&fields, &bare, &sig));
        assert!(e.message().contains("5.1.1.2"), "{e}");
        // Unchanged, the assembly is the file.
        assert_eq!(assemble(&fields, &alg, &sig), CA1_CRL);
    }

    #[test]
    fn crl_extensions() {
        let ca1 = cert("ca1");
        let unknown = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1");
        let mut exts = ca1_crl_exts();

        // Unknown but not critical: ignored, and the signature holds.
        exts.push(ext(&unknown, false, &[0x05, 0x00]));
        let crl = Crl::parse(&signed(&with_crl_exts(Some(&exts)), CA1_KEY)).unwrap();
        crl.verify_issued_by(&ca1, Backend::RustCrypto, 2048)
            .unwrap();

        // Unknown and critical: refused.
        exts.pop();
        exts.push(ext(&unknown, true, &[0x05, 0x00]));
        let (_, alg, sig) = ca1_parts();
        let e = parse_err(&assemble(&with_crl_exts(Some(&exts)), &alg, &sig));
        assert_eq!(e.kind(), ErrorKind::MalformedCms);
        assert!(e.message().contains("1.3.6.1.4.1.99999.1"), "{e}");

        for (oid, critical) in [
            (rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT, true),
            (rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT, false),
            (rfc5280::ID_CE_DELTA_CRL_INDICATOR, true),
            (rfc5280::ID_CE_DELTA_CRL_INDICATOR, false),
        ] {
            let mut exts = ca1_crl_exts();
            exts.push(ext(&oid, critical, &[0x30, 0x00]));
            let e = parse_err(&assemble(&with_crl_exts(Some(&exts)), &alg, &sig));
            assert_eq!(e.kind(), ErrorKind::MalformedCms, "{oid}");
            assert!(e.message().contains("not read"), "{e}");
        }

        // Twice the same extension.
        let mut exts = ca1_crl_exts();
        exts.push(exts[1].clone());
        let e = parse_err(&assemble(&with_crl_exts(Some(&exts)), &alg, &sig));
        assert!(e.message().contains("twice"), "{e}");

        // An empty list, a malformed cRLNumber, a BOOLEAN that is not one.
        assert!(Crl::parse(&assemble(&with_crl_exts(Some(&[])), &alg, &sig)).is_err());
        let bad_number = ext(&rfc5280::ID_CE_CRL_NUMBER, false, &[0x02, 0x02, 0x00, 0x01]);
        let exts = [ca1_crl_exts()[0].clone(), bad_number];
        assert!(Crl::parse(&assemble(&with_crl_exts(Some(&exts)), &alg, &sig)).is_err());
        let mut odd = ca1_crl_exts()[1].clone();
        let at = odd.len() - 5;
        odd.splice(at..at, [0x01, 0x01, 0x01]);
        odd[1] += 3;
        let exts = [ca1_crl_exts()[0].clone(), odd];
        assert!(Crl::parse(&assemble(&with_crl_exts(Some(&exts)), &alg, &sig)).is_err());
    }

    #[test]
    fn key_identifiers_must_agree() {
        let aki = ext(
            &rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &tlv(ber::SEQUENCE, &tlv(0x80, &[1, 2, 3])),
        );
        let exts = [aki, ca1_crl_exts()[1].clone()];
        let crl = Crl::parse(&signed(&with_crl_exts(Some(&exts)), CA1_KEY)).unwrap();
        assert_eq!(crl.authority_key_id.as_deref(), Some(&[1u8, 2, 3][..]));
        let e = crl
            .verify_issued_by(&cert("ca1"), Backend::RustCrypto, 2048)
            .unwrap_err();
        assert!(e.message().contains("key identifier"), "{e}");
        // Without one, the signature decides.
        let exts = [ca1_crl_exts()[1].clone()];
        Crl::parse(&signed(&with_crl_exts(Some(&exts)), CA1_KEY))
            .unwrap()
            .verify_issued_by(&cert("ca1"), Backend::RustCrypto, 2048)
            .unwrap();
    }

    #[test]
    fn the_issuer_needs_crl_sign() {
        // A CRL in alfa's name, signed with alfa's key: alfa's key usage is
        // digitalSignature only.
        let alfa = cert("alfa");
        let mut fields = with_crl_exts(None);
        fields[2] = alfa.subject_raw().to_vec();
        let crl = Crl::parse(&signed(&fields, ALFA_KEY)).unwrap();
        let e = crl
            .verify_issued_by(&alfa, Backend::RustCrypto, 2048)
            .unwrap_err();
        assert!(e.message().contains("cRLSign"), "{e}");
    }

    #[test]
    fn entry_extensions() {
        let (_, alg, sig) = ca1_parts();
        let parse =
            |entries: &[Vec<u8>]| Crl::parse(&assemble(&with_entries(Some(entries)), &alg, &sig));
        let unknown = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.2");
        let e = parse(&[entry(&[1], Some(&[ext(&unknown, false, &[0x05, 0x00])]))]).unwrap();
        assert_eq!(e.entry(&[1]).unwrap().reason, None);
        let e = parse(&[entry(&[1], Some(&[ext(&unknown, true, &[0x05, 0x00])]))]).unwrap_err();
        assert!(e.message().contains("1.3.6.1.4.1.99999.2"), "{e}");
        let issuer = ext(&rfc5280::ID_CE_CERTIFICATE_ISSUER, true, &[0x30, 0x00]);
        let e = parse(&[entry(&[1], Some(&[issuer]))]).unwrap_err();
        assert!(e.message().contains("indirect"), "{e}");
        let e = parse(&[entry(&[1], Some(&[reason(1), reason(1)]))]).unwrap_err();
        assert!(e.message().contains("twice"), "{e}");
        assert!(parse(&[entry(&[1], Some(&[reason(7)]))]).is_err());
        let e = parse(&[entry(&[1], Some(&[reason(8)]))]).unwrap_err();
        assert!(e.message().contains("removeFromCRL"), "{e}");
        let utc_invalidity = ext(
            &rfc5280::ID_CE_INVALIDITY_DATE,
            false,
            &tlv(ber::UTC_TIME, b"260201000000Z"),
        );
        assert!(parse(&[entry(&[1], Some(&[utc_invalidity]))]).is_err());
        // Reasons, and several entries.
        let crl = parse(&[
            entry(&[1], Some(&[reason(4)])),
            entry(&[0x00, 0x80], None),
            entry(&[0xff], Some(&[reason(6)])),
        ])
        .unwrap();
        assert_eq!(crl.entries.len(), 3);
        assert_eq!(
            crl.entry(&[1]).unwrap().reason,
            Some(RevocationReason::Superseded)
        );
        assert_eq!(crl.entry(&[0x00, 0x80]).unwrap().reason, None);
        assert_eq!(
            crl.entry(&[0xff]).unwrap().reason,
            Some(RevocationReason::CertificateHold)
        );
        // A serial twice, also with different extensions; non-minimal or empty serials.
        let e = parse(&[entry(&[1], None), entry(&[1], Some(&[reason(1)]))]).unwrap_err();
        assert!(e.message().contains("twice"), "{e}");
        assert!(parse(&[entry(&[0x00, 0x01], None)]).is_err());
        assert!(parse(&[entry(&[0xff, 0x80], None)]).is_err());
        assert!(parse(&[entry(&[], None)]).is_err());
        // No revokedCertificates at all.
        let crl = Crl::parse(&assemble(&with_entries(None), &alg, &sig)).unwrap();
        assert!(crl.entries.is_empty());
    }

    #[test]
    fn versions() {
        let (_, alg, sig) = ca1_parts();
        // v1: no version, no extensions anywhere.
        let mut v1 = with_crl_exts(None);
        v1.remove(0);
        v1[4] = tlv(ber::SEQUENCE, &entry(&[0x30, 0x05], None));
        let crl = Crl::parse(&signed(&v1, CA1_KEY)).unwrap();
        crl.verify_issued_by(&cert("ca1"), Backend::RustCrypto, 2048)
            .unwrap();
        assert_eq!(crl.entry(&[0x30, 0x05]).unwrap().reason, None);
        // v1 with entry extensions, with CRL extensions.
        let mut bad = with_crl_exts(None);
        bad.remove(0);
        assert!(Crl::parse(&assemble(&bad, &alg, &sig)).is_err());
        let (mut bad, _, _) = ca1_parts();
        bad.remove(0);
        bad[4] = tlv(ber::SEQUENCE, &entry(&[0x30, 0x05], None));
        let e = parse_err(&assemble(&bad, &alg, &sig));
        assert!(e.message().contains("v1"), "{e}");
        // v3 (2) and v1 written out (0) are not CRL versions.
        for v in [0u8, 2] {
            let (mut fields, _, _) = ca1_parts();
            fields[0] = vec![0x02, 0x01, v];
            let e = parse_err(&assemble(&fields, &alg, &sig));
            assert!(e.message().contains("version"), "{v}: {e}");
        }
    }

    #[test]
    fn der_only() {
        let (mut fields, alg, sig) = ca1_parts();
        // Trailing data, a long-form length for a short element, an indefinite length.
        let mut trailing = CA1_CRL.to_vec();
        trailing.push(0);
        assert!(Crl::parse(&trailing).is_err());
        fields[0] = vec![0x02, 0x81, 0x01, 0x01];
        let e = parse_err(&assemble(&fields, &alg, &sig));
        assert!(e.message().contains("DER"), "{e}");
        let mut ber = vec![0x30, 0x80];
        ber.extend_from_slice(&children(CA1_CRL).concat());
        ber.extend_from_slice(&[0, 0]);
        let e = parse_err(&ber);
        assert!(e.message().contains("indefinite"), "{e}");
        // A time with a sign where a digit belongs.
        let mut signed_time = CA1_CRL.to_vec();
        let at = signed_time
            .windows(13)
            .position(|w| w == b"260501000000Z")
            .unwrap();
        signed_time[at] = b'+';
        assert!(Crl::parse(&signed_time).is_err());
        // Not a CRL at all, or too large.
        assert!(Crl::parse(&cert("ca1").der).is_err());
        assert_eq!(
            Crl::parse(&vec![0u8; MAX_CRL_SIZE + 1]).unwrap_err().kind(),
            ErrorKind::LimitExceeded
        );
    }

    #[test]
    fn truncations_fail() {
        for der in [CA1_CRL, CA1_STALE_CRL, CA1_WRONGKEY_CRL, ROOT_CRL] {
            for len in 0..der.len() {
                assert!(Crl::parse(&der[..len]).is_err(), "prefix {len}");
            }
        }
    }

    /// A deterministic generator for the mutation loops (xorshift64).
    pub(crate) struct Rng(pub(crate) u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn mutations_never_panic() {
        let (ca1, root) = (cert("ca1"), cert("root"));
        let mut rng = Rng(0x5eed_c0de);
        for der in [CA1_CRL, CA1_STALE_CRL, CA1_WRONGKEY_CRL, ROOT_CRL] {
            for _ in 0..300 {
                let mut m = der.to_vec();
                let at = (rng.next() % m.len() as u64) as usize;
                m[at] ^= (rng.next() % 255 + 1) as u8;
                if let Ok(crl) = Crl::parse(&m) {
                    let _ = crl.verify_issued_by(&ca1, Backend::RustCrypto, 2048);
                    let _ = crl.verify_issued_by(&root, Backend::RustCrypto, 2048);
                    let _ = crl.entry(&[0x30, 0x05]).map(CrlEntry::effective_from);
                    let _ = crl.is_current(AT);
                }
            }
        }
    }
}
