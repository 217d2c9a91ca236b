//! OCSP responses (RFC 6960): the basic response type, read and checked against the
//! certificate asked about and its issuer.
//!
//! The response is walked with the crate's own BER walker (DER required), keeping the
//! tbsResponseData exactly as transmitted for the signature. Making requests and fetching
//! responses is I/O, and the caller's part; so is the nonce, which only the requester can
//! compare.

use std::ops::Range;

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc5280, rfc5912, rfc6960};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsages};

use super::crl::{
    RevocationReason, algorithm_oid, bit_string_bytes, der_form, extensions, hex, inner_value,
    integer, next, oid_text, optional, range_in, reason_code, time, top_level,
};
use crate::ber::{self, Tlv};
use crate::crypto::{self, Backend, DigestAlgorithm};
use crate::error::{Error, ErrorKind};
use crate::x509::{Cert, rsa_signature_digest};

/// The largest OCSPResponse accepted, in bytes. A response is a few KiB (one or two
/// certificates and a handful of statuses); 1 MiB bounds what a hostile responder can make
/// us hold (RFC 6960 sets no limit).
pub(crate) const MAX_OCSP_SIZE: usize = 1024 * 1024;

/// The most certificates a BasicOCSPResponse may carry (RFC 6960 4.2.1 `certs`): the
/// responder's, perhaps with its chain; each one is decoded.
pub(crate) const MAX_OCSP_CERTS: usize = 16;

/// What a response says of one certificate: `CertStatus` (RFC 6960 section 4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CertStatus {
    /// good: not revoked (RFC 6960 4.2.1 does not mean "issued", only "not revoked").
    Good,
    /// revoked, since `at` (Unix seconds), for `reason` when the responder gives one.
    Revoked {
        /// revocationTime, Unix seconds.
        at: i64,
        /// revocationReason, when present.
        reason: Option<RevocationReason>,
        /// The invalidityDate single extension (RFC 6960 4.4, the CRL entry extension of
        /// RFC 5280 5.3.2), Unix seconds, when present.
        invalidity: Option<i64>,
    },
    /// unknown: the responder does not know the certificate.
    Unknown,
}

/// One `SingleResponse` (RFC 6960 section 4.2.1): the status and its validity interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SingleStatus {
    /// certStatus.
    pub(crate) status: CertStatus,
    /// thisUpdate, Unix seconds.
    pub(crate) this_update: i64,
    /// nextUpdate, Unix seconds, when present.
    pub(crate) next_update: Option<i64>,
}

impl SingleStatus {
    /// Current at `at`: this_update <= at <= next_update (RFC 6960 4.2.2.1: a nextUpdate
    /// earlier than the local time, or a thisUpdate later, is unreliable); without
    /// nextUpdate never current, since nothing bounds how old the information may be.
    pub(crate) fn is_current(&self, at: i64) -> bool {
        self.this_update <= at && self.next_update.is_some_and(|next| at <= next)
    }
}

/// `ResponderID` (RFC 6960 section 4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ResponderId {
    /// byName: the responder's subject Name, raw DER.
    ByName(Vec<u8>),
    /// byKey: SHA-1 of the responder's subjectPublicKey BIT STRING value.
    ByKey(Vec<u8>),
}

/// One SingleResponse whose CertID uses a hash this reader computes (RFC 6960 4.1.1, 4.2.1).
#[derive(Debug, Clone)]
struct Single {
    hash: DigestAlgorithm,
    issuer_name_hash: Vec<u8>,
    issuer_key_hash: Vec<u8>,
    serial: Vec<u8>,
    status: SingleStatus,
    /// Why this response cannot be used although its CertID could be matched (a critical
    /// singleExtension not understood): the other SingleResponses stay usable.
    refused: Option<String>,
}

/// An OCSPResponse with status successful and a BasicOCSPResponse (RFC 6960 section 4.2.1),
/// kept with the DER so that the signature is checked over tbsResponseData as transmitted.
#[derive(Clone)]
pub(crate) struct OcspResponse {
    der: Vec<u8>,
    tbs: Range<usize>,
    responder: ResponderId,
    produced_at: i64,
    responses: Vec<Single>,
    sig_alg: ObjectIdentifier,
    signature: Range<usize>,
    certs: Vec<Cert>,
}

impl OcspResponse {
    /// An OCSPResponse whose responseStatus is successful (0) with a id-pkix-ocsp-basic
    /// BasicOCSPResponse (RFC 6960 section 4.2.1); any other status is an error naming it
    /// (malformedRequest, internalError, tryLater, sigRequired, unauthorized). DER only,
    /// at most [`MAX_OCSP_SIZE`] bytes and [`MAX_OCSP_CERTS`] certificates. SingleResponses
    /// whose CertID uses another hash than SHA-1 or SHA-256 are skipped; a critical response
    /// extension is refused (4.4: none is understood here).
    pub(crate) fn parse(der: &[u8]) -> Result<OcspResponse, Error> {
        if der.len() > MAX_OCSP_SIZE {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "OCSP response: {} bytes, more than the {MAX_OCSP_SIZE} accepted",
                    der.len()
                ),
            ));
        }
        let outer = top_level(der, "OCSPResponse")?;
        let mut parts = outer.expect(ber::SEQUENCE, "OCSPResponse")?;
        let status = next(&mut parts, "responseStatus")?;
        match (status.tag, status.content) {
            (0x0a, [0]) => {}
            (0x0a, &[code]) => {
                let name = match code {
                    1 => "malformedRequest",
                    2 => "internalError",
                    3 => "tryLater",
                    5 => "sigRequired",
                    6 => "unauthorized",
                    _ => "not a status RFC 6960 defines",
                };
                return Err(bad(format!(
                    "the responder answered {name} ({code}), not successful"
                )));
            }
            _ => return Err(bad("responseStatus is not a one-octet ENUMERATED")),
        }
        let wrapper = next(&mut parts, "responseBytes")?;
        let mut inner = wrapper.expect(0xa0, "responseBytes")?;
        let bytes = next(&mut inner, "responseBytes")?;
        inner.end("responseBytes")?;
        parts.end("OCSPResponse")?;

        let mut rb = bytes.expect(ber::SEQUENCE, "ResponseBytes")?;
        let kind = next(&mut rb, "responseType")?.oid("responseType")?;
        let response = next(&mut rb, "response")?;
        rb.end("ResponseBytes")?;
        if kind != rfc6960::ID_PKIX_OCSP_BASIC {
            return Err(bad(format!(
                "the response type {kind} is not id-pkix-ocsp-basic"
            )));
        }
        if response.tag != ber::OCTET_STRING {
            return Err(bad("response is not a primitive OCTET STRING"));
        }

        let basic = top_level(response.content, "BasicOCSPResponse")?;
        let mut parts = basic.expect(ber::SEQUENCE, "BasicOCSPResponse")?;
        let tbs = next(&mut parts, "tbsResponseData")?;
        let sig_alg = algorithm_oid(
            &next(&mut parts, "signatureAlgorithm")?,
            "signatureAlgorithm",
        )?;
        let signature = bit_string_bytes(&next(&mut parts, "signature")?, "signature")?;
        let mut certs = Vec::new();
        if let Some(wrapper) = optional(&mut parts, 0xa0, "certs")? {
            let mut inner = wrapper.children();
            let list = next(&mut inner, "certs")?;
            inner.end("certs")?;
            for cert in list.expect(ber::SEQUENCE, "certs")? {
                if certs.len() == MAX_OCSP_CERTS {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!("OCSP response: more than {MAX_OCSP_CERTS} certificates"),
                    ));
                }
                let cert = der_form(cert?, "certs")?;
                certs.push(Cert::from_der(cert.raw).map_err(|e| {
                    Error::new(e.kind(), format!("OCSP response: {}", e.message()))
                })?);
            }
        }
        parts.end("BasicOCSPResponse")?;

        let mut fields = tbs.expect(ber::SEQUENCE, "tbsResponseData")?;
        // version [0] EXPLICIT DEFAULT v1: only v1 exists.
        if let Some(v) = optional(&mut fields, 0xa0, "version")? {
            let mut inner = v.children();
            let n = next(&mut inner, "version")?;
            inner.end("version")?;
            if n.tag != ber::INTEGER || n.content != [0] {
                return Err(bad("version is not v1 (0)"));
            }
        }
        let id = next(&mut fields, "responderID")?;
        let mut inner = id.children();
        let responder = match id.tag {
            0xa1 => {
                let name = next(&mut inner, "responderID byName")?;
                if name.tag != ber::SEQUENCE {
                    return Err(bad("responderID byName is not a Name"));
                }
                ResponderId::ByName(name.raw.to_vec())
            }
            0xa2 => {
                let hash = next(&mut inner, "responderID byKey")?;
                if hash.tag != ber::OCTET_STRING {
                    return Err(bad("responderID byKey is not an OCTET STRING"));
                }
                ResponderId::ByKey(hash.content.to_vec())
            }
            _ => return Err(bad("responderID is neither byName [1] nor byKey [2]")),
        };
        inner.end("responderID")?;
        let produced_at = generalized_time(&next(&mut fields, "producedAt")?, "producedAt")?;
        let list = next(&mut fields, "responses")?;
        let mut responses = Vec::new();
        for single in list.expect(ber::SEQUENCE, "responses")? {
            if let Some(s) = read_single(der_form(single?, "SingleResponse")?)? {
                responses.push(s);
            }
        }
        if let Some(wrapper) = optional(&mut fields, 0xa1, "responseExtensions")? {
            let mut inner = wrapper.children();
            let list = next(&mut inner, "responseExtensions")?;
            inner.end("responseExtensions")?;
            // The nonce (4.4.1) is the requester's to compare; nothing else is used.
            if let Some(ext) = extensions(&list, "responseExtensions")?
                .iter()
                .find(|e| e.critical)
            {
                return Err(bad(format!(
                    "the critical response extension {} is not understood (RFC 6960 4.4)",
                    oid_text(ext.oid)
                )));
            }
        }
        fields.end("tbsResponseData")?;

        Ok(OcspResponse {
            der: der.to_vec(),
            tbs: range_in(der, tbs.raw),
            responder,
            produced_at,
            responses,
            sig_alg,
            signature: range_in(der, signature),
            certs,
        })
    }

    /// The status this response gives for `cert`, issued by `issuer` (RFC 6960 4.2.2):
    ///
    /// - `Ok(None)` when no SingleResponse's CertID matches: the serial, and SHA-1 or
    ///   SHA-256 of the issuer's subject Name DER and of its subjectPublicKey BIT STRING
    ///   value (4.1.1);
    /// - `Ok(Some(..))` when one matches and the response is authentically from the issuer
    ///   (4.2.2.2): signed by `issuer` itself (the responderID names it, by name or by
    ///   SHA-1 key hash, and its key verifies the signature over tbsResponseData as
    ///   transmitted), or by a delegated responder: a certificate the response carries,
    ///   named by the responderID, issued and signed by `issuer`, with the extended key
    ///   usage id-kp-OCSPSigning, valid at `at`, whose key verifies the signature;
    /// - `Err` when one matches but the response cannot be trusted, saying why; also when
    ///   `cert` does not name `issuer` as its issuer ([`ErrorKind::InvalidInput`]), since
    ///   the CertID would then be about another certificate.
    ///
    /// Keys below `min_rsa_bits` are refused ([`ErrorKind::UnsupportedAlgorithm`]). The
    /// validity of the status at `at` is [`SingleStatus::is_current`]'s to say.
    pub(crate) fn status_of(
        &self,
        cert: &Cert,
        issuer: &Cert,
        at: i64,
        backend: Backend,
        min_rsa_bits: usize,
    ) -> Result<Option<SingleStatus>, Error> {
        if cert.issuer_raw() != issuer.subject_raw() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "OCSP: {} is not the issuer of {}",
                    issuer.subject_string(),
                    cert.subject_string()
                ),
            ));
        }
        let name = issuer.subject_raw();
        let key = subject_public_key(issuer);
        // At most two hashes of each, whatever the number of SingleResponses.
        let mut hashes: Vec<(DigestAlgorithm, Vec<u8>, Vec<u8>)> = Vec::new();
        let mut found: Option<&Single> = None;
        for single in &self.responses {
            if single.serial != cert.serial_raw() {
                continue;
            }
            let (name_hash, key_hash) = match hashes.iter().find(|h| h.0 == single.hash) {
                Some((_, n, k)) => (n.clone(), k.clone()),
                None => {
                    let n = crypto::digest(backend, single.hash, name);
                    let k = crypto::digest(backend, single.hash, key);
                    hashes.push((single.hash, n.clone(), k.clone()));
                    (n, k)
                }
            };
            if single.issuer_name_hash != name_hash || single.issuer_key_hash != key_hash {
                continue;
            }
            if let Some(why) = &single.refused {
                return Err(bad(why.clone()));
            }
            match found {
                None => found = Some(single),
                // Two answers for one certificate: which one the responder meant cannot
                // be told.
                Some(first) if first.status.status != single.status.status => {
                    return Err(bad(format!(
                        "two different statuses for serial {}",
                        hex(cert.serial_raw())
                    )));
                }
                Some(_) => {}
            }
        }
        let Some(single) = found else {
            return Ok(None);
        };
        self.authenticate(issuer, at, backend, min_rsa_bits)?;
        Ok(Some(single.status))
    }

    /// Checks that the response comes from `issuer` or from a responder it delegated
    /// (RFC 6960 section 4.2.2.2), and that the signature verifies.
    fn authenticate(
        &self,
        issuer: &Cert,
        at: i64,
        backend: Backend,
        min_rsa_bits: usize,
    ) -> Result<(), Error> {
        let alg = rsa_signature_digest(&self.sig_alg)?;
        let tbs = self.der.get(self.tbs.clone()).unwrap_or(&[]);
        let signature = self.der.get(self.signature.clone()).unwrap_or(&[]);
        let verify = |signer: &Cert, role: &str| -> Result<(), Error> {
            signer
                .key_of_at_least(min_rsa_bits)
                .map_err(|e| Error::new(e.kind(), format!("OCSP response: {}", e.message())))?
                .verify(backend, alg, tbs, signature)
                .map_err(|e| {
                    Error::new(
                        e.kind(),
                        format!(
                            "OCSP response: the signature does not verify with the key of {role} \
                             {}: {}",
                            signer.subject_string(),
                            e.message()
                        ),
                    )
                })
        };
        // The first failure is kept: when the issuer is named, its own failure is the one
        // that explains.
        let mut failure: Option<Error> = None;
        if self.names(issuer, backend) {
            match verify(issuer, "the issuer") {
                Ok(()) => return Ok(()),
                Err(e) => failure = Some(e),
            }
        }
        for responder in self.certs.iter().filter(|c| self.names(c, backend)) {
            match self
                .delegated(responder, issuer, at, backend, min_rsa_bits)
                .and_then(|()| verify(responder, "the responder"))
            {
                Ok(()) => return Ok(()),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        Err(failure.unwrap_or_else(|| {
            Error::new(
                ErrorKind::SignatureInvalid,
                format!(
                    "OCSP response: the responder it names is neither {} nor a certificate \
                     the response carries",
                    issuer.subject_string()
                ),
            )
        }))
    }

    /// Whether `responder` is a delegated responder of `issuer` at `at` (RFC 6960 section
    /// 4.2.2.2): issued directly by it, with id-kp-OCSPSigning, valid, without critical
    /// extensions this crate does not understand, and with digitalSignature when it has key
    /// usage (RFC 5280 4.2.1.3).
    fn delegated(
        &self,
        responder: &Cert,
        issuer: &Cert,
        at: i64,
        backend: Backend,
        min_rsa_bits: usize,
    ) -> Result<(), Error> {
        let who = responder.subject_string();
        let refuse = |why: String| {
            Error::new(
                ErrorKind::SignatureInvalid,
                format!("OCSP response: the responder {who} {why}"),
            )
        };
        if responder.issuer_raw() != issuer.subject_raw() {
            return Err(refuse(format!(
                "is not issued by {} (RFC 6960 4.2.2.2)",
                issuer.subject_string()
            )));
        }
        responder
            .verify_signed_by(issuer, backend, min_rsa_bits)
            .map_err(|e| {
                Error::new(
                    e.kind(),
                    format!(
                        "OCSP response: the certificate of the responder {who} is not signed by \
                         {}: {}",
                        issuer.subject_string(),
                        e.message()
                    ),
                )
            })?;
        let eku = responder
            .parsed
            .tbs_certificate()
            .get_extension::<ExtendedKeyUsage>()
            .map_err(|_| {
                Error::new(
                    ErrorKind::MalformedCms,
                    format!("OCSP response: the extended key usage of {who} is malformed"),
                )
            })?;
        if !eku.is_some_and(|(_, e)| e.0.contains(&rfc5280::ID_KP_OCSP_SIGNING)) {
            return Err(refuse(
                "has no extended key usage id-kp-OCSPSigning (RFC 6960 4.2.2.2)".to_owned(),
            ));
        }
        if !responder.allows(KeyUsages::DigitalSignature)? {
            return Err(refuse("has key usage without digitalSignature".to_owned()));
        }
        if let Some(oid) = responder.unknown_critical_extensions().first() {
            return Err(refuse(format!(
                "has the critical extension {oid}, which is not understood"
            )));
        }
        let (not_before, not_after) = responder.validity();
        if at < not_before {
            return Err(refuse(format!(
                "is not yet valid at {} (valid from {})",
                crate::time::PecTime::utc_saturating(at),
                crate::time::PecTime::utc_saturating(not_before)
            )));
        }
        if at > not_after {
            return Err(refuse(format!(
                "has expired at {} (valid until {})",
                crate::time::PecTime::utc_saturating(at),
                crate::time::PecTime::utc_saturating(not_after)
            )));
        }
        Ok(())
    }

    /// Whether the responderID names `cert` (RFC 6960 section 4.2.1): by its subject, or by
    /// the SHA-1 of its subjectPublicKey.
    fn names(&self, cert: &Cert, backend: Backend) -> bool {
        match &self.responder {
            ResponderId::ByName(name) => cert.subject_raw() == name.as_slice(),
            ResponderId::ByKey(hash) => {
                crypto::digest(backend, DigestAlgorithm::Sha1, subject_public_key(cert)) == *hash
            }
        }
    }
}

/// A summary, without the DER (RFC 6960 section 4.2.1).
impl core::fmt::Debug for OcspResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OcspResponse")
            .field("responder", &self.responder)
            .field("produced_at", &self.produced_at)
            .field("responses", &self.responses.len())
            .field("certs", &self.certs)
            .finish_non_exhaustive()
    }
}

/// Reads one SingleResponse (RFC 6960 section 4.2.1); `None` when its CertID hash is not
/// SHA-1 or SHA-256, which this reader does not compute.
fn read_single(single: Tlv<'_>) -> Result<Option<Single>, Error> {
    let mut parts = single.expect(ber::SEQUENCE, "SingleResponse")?;
    let cert_id = next(&mut parts, "certID")?;
    let mut id = cert_id.expect(ber::SEQUENCE, "certID")?;
    let hash_oid = algorithm_oid(&next(&mut id, "hashAlgorithm")?, "certID hashAlgorithm")?;
    let name_hash = next(&mut id, "issuerNameHash")?;
    let key_hash = next(&mut id, "issuerKeyHash")?;
    if name_hash.tag != ber::OCTET_STRING || key_hash.tag != ber::OCTET_STRING {
        return Err(bad(
            "certID issuerNameHash or issuerKeyHash is not an OCTET STRING",
        ));
    }
    let serial = integer(&next(&mut id, "serialNumber")?, "certID serialNumber")?;
    id.end("certID")?;

    let status_tlv = next(&mut parts, "certStatus")?;
    let status = match (status_tlv.tag, status_tlv.content) {
        // good [0] IMPLICIT NULL, unknown [2] IMPLICIT NULL.
        (0x80, []) => CertStatus::Good,
        (0x82, []) => CertStatus::Unknown,
        (0xa1, _) => {
            let mut info = status_tlv.children();
            let at = generalized_time(&next(&mut info, "revocationTime")?, "revocationTime")?;
            let reason = match optional(&mut info, 0xa0, "revocationReason")? {
                Some(wrapper) => {
                    let mut inner = wrapper.children();
                    let code = next(&mut inner, "revocationReason")?;
                    inner.end("revocationReason")?;
                    Some(reason_code(&code, "revocationReason")?)
                }
                None => None,
            };
            info.end("RevokedInfo")?;
            CertStatus::Revoked {
                at,
                reason,
                invalidity: None,
            }
        }
        _ => {
            return Err(bad(
                "certStatus is not good [0], revoked [1] or unknown [2]",
            ));
        }
    };
    let this_update = generalized_time(&next(&mut parts, "thisUpdate")?, "thisUpdate")?;
    let next_update = match optional(&mut parts, 0xa0, "nextUpdate")? {
        Some(wrapper) => {
            let mut inner = wrapper.children();
            let t = generalized_time(&next(&mut inner, "nextUpdate")?, "nextUpdate")?;
            inner.end("nextUpdate")?;
            Some(t)
        }
        None => None,
    };
    let mut refused = None;
    let mut status = status;
    if let Some(wrapper) = optional(&mut parts, 0xa1, "singleExtensions")? {
        let mut inner = wrapper.children();
        let list = next(&mut inner, "singleExtensions")?;
        inner.end("singleExtensions")?;
        let list = extensions(&list, "singleExtensions")?;
        // The invalidity date dates a key compromise back, as in a CRL entry; the other
        // non-critical ones (archiveCutoff, crlID, ...) add nothing the status needs (4.4).
        for ext in &list {
            if ext.oid == rfc5280::ID_CE_INVALIDITY_DATE.as_bytes() {
                let t = inner_value(ext.value, "invalidityDate")?;
                if t.tag != ber::GENERALIZED_TIME {
                    return Err(bad("invalidityDate is not a GeneralizedTime"));
                }
                let date = time(&t, "invalidityDate")?;
                if let CertStatus::Revoked { invalidity, .. } = &mut status {
                    *invalidity = Some(date);
                }
            }
        }
        if let Some(ext) = list.iter().find(|e| e.critical) {
            refused = Some(format!(
                "the critical single extension {} is not understood (RFC 6960 4.4)",
                oid_text(ext.oid)
            ));
        }
    }
    parts.end("SingleResponse")?;

    let hash = match hash_oid {
        rfc5912::ID_SHA_1 => DigestAlgorithm::Sha1,
        rfc5912::ID_SHA_256 => DigestAlgorithm::Sha256,
        // The CertID cannot be computed for comparison; the other answers may still be.
        _ => return Ok(None),
    };
    Ok(Some(Single {
        hash,
        issuer_name_hash: name_hash.content.to_vec(),
        issuer_key_hash: key_hash.content.to_vec(),
        serial: serial.to_vec(),
        status: SingleStatus {
            status,
            this_update,
            next_update,
        },
        refused,
    }))
}

/// A GeneralizedTime, the only time type of RFC 6960 section 4.2.1, as Unix seconds.
fn generalized_time(tlv: &Tlv<'_>, what: &str) -> Result<i64, Error> {
    if tlv.tag != ber::GENERALIZED_TIME {
        return Err(bad(format!("{what} is not a GeneralizedTime")));
    }
    super::crl::time(tlv, what)
}

/// The subjectPublicKey BIT STRING value without its unused-bits octet: what CertID's
/// issuerKeyHash and ResponderID byKey hash (RFC 6960 sections 4.1.1, 4.2.1).
fn subject_public_key(cert: &Cert) -> &[u8] {
    cert.parsed
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
}

/// A response that is not the structure of RFC 6960 section 4.2.1, or not a usable one,
/// with the kind `Cert` uses.
fn bad(what: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::MalformedCms,
        format!("OCSP response: {}", what.into()),
    )
}

#[cfg(test)]
mod tests {
    //! The test PKI's OCSP responses (tests/fixtures/pki/README.md), and responses built
    //! here from their pieces, signed with the test keys.

    use super::*;
    use crate::trust::crl::tests::{AT, Rng, cat, cert, children, ext, sign, tlv, utc};

    macro_rules! pki {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/fixtures/pki/", $name))
        };
    }
    const GOOD: &[u8] = pki!("ocsp-good.der");
    const GOOD_SHA256: &[u8] = pki!("ocsp-good-sha256.der");
    const GOOD_BY_CA1: &[u8] = pki!("ocsp-good-by-ca1.der");
    const REVOKED: &[u8] = pki!("ocsp-revoked.der");
    const UNKNOWN: &[u8] = pki!("ocsp-unknown.der");
    const WRONG_RESPONDER: &[u8] = pki!("ocsp-wrong-responder.der");
    const EXPIRED: &[u8] = pki!("ocsp-expired.der");
    const ALL: &[&[u8]] = &[
        GOOD,
        GOOD_SHA256,
        GOOD_BY_CA1,
        REVOKED,
        UNKNOWN,
        WRONG_RESPONDER,
        EXPIRED,
    ];
    const OCSP_KEY: &[u8] = pki!("ocsp.key.der");
    const CA1_KEY: &[u8] = pki!("ca1.key.der");
    const ROGUE_KEY: &[u8] = pki!("rogue.key.der");

    /// What `der` says of the test PKI's certificate `name`, issued by ca1, the same with
    /// every backend.
    fn status(der: &[u8], name: &str, at: i64) -> Result<Option<SingleStatus>, Error> {
        let response = OcspResponse::parse(der)?;
        let mut result = None;
        for &backend in Backend::ALL {
            let r = response.status_of(&cert(name), &ca1(), at, backend, 2048);
            if let Some(previous) = &result {
                assert_eq!(
                    format!("{previous:?}"),
                    format!("{r:?}"),
                    "backends disagree"
                );
            }
            result = Some(r);
        }
        result.unwrap()
    }

    fn ca1() -> Cert {
        cert("ca1")
    }

    /// The tbsResponseData fields and the `certs` field of a response file.
    fn parts(der: &[u8]) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
        let outer = children(der);
        let bytes = children(&children(&outer[1])[0]);
        let octets = Tlv::parse_all(&bytes[1]).unwrap().content.to_vec();
        let basic = children(&octets);
        (children(&basic[0]), basic.get(3).cloned())
    }

    fn successful(basic: &[u8]) -> Vec<u8> {
        let bytes = tlv(
            ber::SEQUENCE,
            &cat(&[
                tlv(ber::OID, rfc6960::ID_PKIX_OCSP_BASIC.as_bytes()),
                tlv(ber::OCTET_STRING, basic),
            ]),
        );
        tlv(
            ber::SEQUENCE,
            &cat(&[vec![0x0a, 0x01, 0x00], tlv(0xa0, &bytes)]),
        )
    }

    /// A response of these tbsResponseData fields and certs, signed by `key`.
    fn response(fields: &[Vec<u8>], certs: Option<&[u8]>, key: &[u8]) -> Vec<u8> {
        let tbs = tlv(ber::SEQUENCE, &cat(fields));
        let mut sig = vec![0];
        sig.extend(sign(key, &tbs));
        let alg = tlv(
            ber::SEQUENCE,
            &cat(&[
                tlv(ber::OID, rfc5912::SHA_256_WITH_RSA_ENCRYPTION.as_bytes()),
                vec![0x05, 0x00],
            ]),
        );
        let mut basic = cat(&[tbs, alg, tlv(ber::BIT_STRING, &sig)]);
        basic.extend_from_slice(certs.unwrap_or(&[]));
        successful(&tlv(ber::SEQUENCE, &basic))
    }

    fn certs_field(certs: &[&Cert]) -> Vec<u8> {
        let ders: Vec<Vec<u8>> = certs.iter().map(|c| c.der.clone()).collect();
        tlv(0xa0, &tlv(ber::SEQUENCE, &cat(&ders)))
    }

    fn by_key(c: &Cert) -> Vec<u8> {
        let hash = crypto::digest(
            Backend::RustCrypto,
            DigestAlgorithm::Sha1,
            subject_public_key(c),
        );
        tlv(0xa2, &tlv(ber::OCTET_STRING, &hash))
    }

    const GOOD_STATUS: &[u8] = &[0x80, 0x00];

    /// A SingleResponse about `serial` of ca1, CertID hashed with `hash`.
    fn single(hash: DigestAlgorithm, serial: &[u8], status: &[u8], exts: &[Vec<u8>]) -> Vec<u8> {
        let ca1 = ca1();
        let h = |b: &[u8]| crypto::digest(Backend::RustCrypto, hash, b);
        let cert_id = tlv(
            ber::SEQUENCE,
            &cat(&[
                tlv(
                    ber::SEQUENCE,
                    &cat(&[tlv(ber::OID, hash.oid().as_bytes()), vec![0x05, 0x00]]),
                ),
                tlv(ber::OCTET_STRING, &h(ca1.subject_raw())),
                tlv(ber::OCTET_STRING, &h(subject_public_key(&ca1))),
                tlv(ber::INTEGER, serial),
            ]),
        );
        let mut content = cat(&[
            cert_id,
            status.to_vec(),
            tlv(ber::GENERALIZED_TIME, b"20260531120000Z"),
            tlv(0xa0, &tlv(ber::GENERALIZED_TIME, b"20260630120000Z")),
        ]);
        if !exts.is_empty() {
            content.extend(tlv(0xa1, &tlv(ber::SEQUENCE, &cat(exts))));
        }
        tlv(ber::SEQUENCE, &content)
    }

    /// ocsp-good.der's tbsResponseData fields with other responses.
    fn with_singles(singles: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let (mut fields, _) = parts(GOOD);
        fields[2] = tlv(ber::SEQUENCE, &cat(singles));
        fields
    }

    fn good_certs() -> Vec<u8> {
        parts(GOOD).1.unwrap()
    }

    const ALFA: &[u8] = &[0x30, 0x01];
    const BETA: &[u8] = &[0x30, 0x02];

    #[test]
    fn good_responses() {
        for der in [GOOD, GOOD_SHA256, GOOD_BY_CA1] {
            let s = status(der, "alfa", AT).unwrap().unwrap();
            assert_eq!(s.status, CertStatus::Good);
            assert_eq!(s.this_update, utc(2026, 5, 31, 12, 0, 0));
            assert_eq!(s.next_update, Some(utc(2026, 6, 30, 12, 0, 0)));
            assert!(s.is_current(AT));
            assert!(s.is_current(s.this_update) && s.is_current(utc(2026, 6, 30, 12, 0, 0)));
            assert!(!s.is_current(s.this_update - 1));
            assert!(!s.is_current(utc(2026, 6, 30, 12, 0, 1)));
        }
        let r = OcspResponse::parse(GOOD).unwrap();
        assert_eq!(r.produced_at, utc(2026, 5, 31, 12, 0, 0));
        assert_eq!(r.certs.len(), 1);
        assert_eq!(
            &r.responder,
            &ResponderId::ByName(cert("ocsp").subject_raw().to_vec())
        );
        let by_ca1 = OcspResponse::parse(GOOD_BY_CA1).unwrap();
        assert_eq!(
            &by_ca1.responder,
            &ResponderId::ByName(ca1().subject_raw().to_vec())
        );
    }

    #[test]
    fn the_signature_algorithm_has_no_parameters_but_null() {
        // Found by the `ocsp` fuzz target: the outer signatureAlgorithm is outside the signed
        // bytes, so its NULL changed to a context tag left the signature valid.
        let at = REVOKED
            .windows(15)
            .position(|w| w.starts_with(&[0x30, 0x0d, 0x06, 0x09]) && w.ends_with(&[0x05, 0x00]))
            .unwrap();
        let mut changed = REVOKED.to_vec();
        changed[at + 13] = 0x85;
        let e = OcspResponse::parse(&changed).unwrap_err();
        assert!(e.message().contains("parameters other than NULL"), "{e}");
    }

    #[test]
    fn revoked_and_unknown() {
        let s = status(REVOKED, "revoked", AT).unwrap().unwrap();
        assert_eq!(
            s.status,
            CertStatus::Revoked {
                at: utc(2026, 3, 1, 0, 0, 0),
                reason: Some(RevocationReason::KeyCompromise),
                // The response dates the compromise back, as the CRL does.
                invalidity: Some(utc(2026, 2, 1, 0, 0, 0)),
            }
        );
        assert!(s.is_current(AT));
        let s = status(UNKNOWN, "beta", AT).unwrap().unwrap();
        assert_eq!(s.status, CertStatus::Unknown);
    }

    #[test]
    fn other_certificates_are_not_answered() {
        assert_eq!(status(GOOD, "beta", AT).unwrap(), None);
        assert_eq!(status(GOOD, "revoked", AT).unwrap(), None);
        assert_eq!(status(GOOD_SHA256, "beta", AT).unwrap(), None);
        assert_eq!(status(REVOKED, "alfa", AT).unwrap(), None);
        assert_eq!(status(UNKNOWN, "alfa", AT).unwrap(), None);
        // Even an untrustworthy response answers nothing about another certificate.
        assert_eq!(status(WRONG_RESPONDER, "beta", AT).unwrap(), None);
        // A certificate of another issuer is a caller's mistake, said so.
        let r = OcspResponse::parse(GOOD).unwrap();
        let e = r
            .status_of(&ca1(), &ca1(), AT, Backend::RustCrypto, 2048)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn a_responder_without_ocsp_signing_is_refused() {
        let e = status(WRONG_RESPONDER, "alfa", AT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SignatureInvalid);
        assert!(e.message().contains("OCSPSigning"), "{e}");
    }

    #[test]
    fn an_expired_response_is_read_but_not_current() {
        let s = status(EXPIRED, "alfa", AT).unwrap().unwrap();
        assert_eq!(s.status, CertStatus::Good);
        assert!(!s.is_current(AT));
        assert!(s.is_current(utc(2026, 4, 1, 12, 0, 0)));
    }

    #[test]
    fn the_responder_must_be_valid_at_the_time() {
        let e = status(GOOD, "alfa", utc(2037, 1, 1, 0, 0, 0)).unwrap_err();
        assert!(e.message().contains("expired"), "{e}");
        let e = status(GOOD, "alfa", utc(2023, 12, 31, 23, 59, 59)).unwrap_err();
        assert!(e.message().contains("not yet valid"), "{e}");
        assert!(status(GOOD, "alfa", utc(2024, 1, 1, 0, 0, 0)).is_ok());
        // The issuer itself is the caller's to check (its path).
        assert!(status(GOOD_BY_CA1, "alfa", utc(2037, 1, 1, 0, 0, 0)).is_ok());
    }

    #[test]
    fn weak_keys_are_refused() {
        for der in [GOOD, GOOD_BY_CA1] {
            let e = OcspResponse::parse(der)
                .unwrap()
                .status_of(&cert("alfa"), &ca1(), AT, Backend::RustCrypto, 4096)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnsupportedAlgorithm);
        }
    }

    #[test]
    fn a_changed_byte_breaks_the_signature() {
        for der in [GOOD, GOOD_BY_CA1] {
            let mut m = der.to_vec();
            // producedAt, one second later.
            let at = m.windows(15).position(|w| w == b"20260531120000Z").unwrap();
            m[at + 13] = b'1';
            let r = OcspResponse::parse(&m).unwrap();
            assert_eq!(r.produced_at, utc(2026, 5, 31, 12, 0, 1));
            let e = status(&m, "alfa", AT).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::SignatureInvalid);
            assert!(e.message().contains("does not verify"), "{e}");
        }
    }

    #[test]
    fn responders_by_key() {
        let (ocsp, ca1) = (cert("ocsp"), ca1());
        let (mut fields, certs) = parts(GOOD);
        fields[0] = by_key(&ocsp);
        let der = response(&fields, certs.as_deref(), OCSP_KEY);
        assert_eq!(
            status(&der, "alfa", AT).unwrap().unwrap().status,
            CertStatus::Good
        );
        // The issuer by key, without certificates.
        fields[0] = by_key(&ca1);
        let der = response(&fields, None, CA1_KEY);
        assert_eq!(
            status(&der, "alfa", AT).unwrap().unwrap().status,
            CertStatus::Good
        );
        // Named by key, signed by another.
        let der = response(&fields, None, OCSP_KEY);
        assert!(status(&der, "alfa", AT).is_err());
        // Naming nobody the response carries.
        fields[0] = by_key(&cert("alfa"));
        let der = response(&fields, certs.as_deref(), OCSP_KEY);
        let e = status(&der, "alfa", AT).unwrap_err();
        assert!(e.message().contains("neither"), "{e}");
    }

    #[test]
    fn delegation_must_come_from_the_issuer() {
        // rogue (issued by rogue-root) signs a response about ca1's alfa and carries itself.
        let rogue = cert("rogue");
        let (mut fields, _) = parts(GOOD);
        fields[0] = tlv(0xa1, rogue.subject_raw());
        let der = response(&fields, Some(&certs_field(&[&rogue])), ROGUE_KEY);
        let e = status(&der, "alfa", AT).unwrap_err();
        assert!(e.message().contains("not issued by"), "{e}");
        // The real responder named, but the response signed with ca1's key.
        let (fields, certs) = parts(GOOD);
        let der = response(&fields, certs.as_deref(), CA1_KEY);
        let e = status(&der, "alfa", AT).unwrap_err();
        assert!(e.message().contains("the responder"), "{e}");
        // Named, but not carried.
        let der = response(&fields, None, OCSP_KEY);
        assert!(status(&der, "alfa", AT).is_err());
        // Re-signed as it was, it verifies: the pieces are put together right.
        let der = response(&fields, certs.as_deref(), OCSP_KEY);
        assert!(status(&der, "alfa", AT).unwrap().is_some());
    }

    #[test]
    fn certid_hashes() {
        let certs = good_certs();
        // A SHA-384 CertID is skipped, not fatal: the SHA-1 one still answers.
        let fields = with_singles(&[
            single(DigestAlgorithm::Sha384, ALFA, &[0x82, 0x00], &[]),
            single(DigestAlgorithm::Sha1, ALFA, GOOD_STATUS, &[]),
        ]);
        let der = response(&fields, Some(&certs), OCSP_KEY);
        assert_eq!(
            status(&der, "alfa", AT).unwrap().unwrap().status,
            CertStatus::Good
        );
        let fields = with_singles(&[single(DigestAlgorithm::Sha384, ALFA, GOOD_STATUS, &[])]);
        let der = response(&fields, Some(&certs), OCSP_KEY);
        assert_eq!(status(&der, "alfa", AT).unwrap(), None);
        // Two hashes, one answer for each certificate.
        let fields = with_singles(&[
            single(DigestAlgorithm::Sha256, ALFA, GOOD_STATUS, &[]),
            single(DigestAlgorithm::Sha1, BETA, &[0x82, 0x00], &[]),
            single(DigestAlgorithm::Sha1, ALFA, GOOD_STATUS, &[]),
        ]);
        let der = response(&fields, Some(&certs), OCSP_KEY);
        assert_eq!(
            status(&der, "alfa", AT).unwrap().unwrap().status,
            CertStatus::Good
        );
        assert_eq!(
            status(&der, "beta", AT).unwrap().unwrap().status,
            CertStatus::Unknown
        );
    }

    #[test]
    fn contradictions_are_refused() {
        let revoked = tlv(0xa1, &tlv(ber::GENERALIZED_TIME, b"20260301000000Z"));
        let fields = with_singles(&[
            single(DigestAlgorithm::Sha1, ALFA, GOOD_STATUS, &[]),
            single(DigestAlgorithm::Sha256, ALFA, &revoked, &[]),
        ]);
        let der = response(&fields, Some(&good_certs()), OCSP_KEY);
        let e = status(&der, "alfa", AT).unwrap_err();
        assert!(e.message().contains("two different statuses"), "{e}");
        // Revoked without a reason.
        let fields = with_singles(&[single(DigestAlgorithm::Sha1, ALFA, &revoked, &[])]);
        let der = response(&fields, Some(&good_certs()), OCSP_KEY);
        assert_eq!(
            status(&der, "alfa", AT).unwrap().unwrap().status,
            CertStatus::Revoked {
                at: utc(2026, 3, 1, 0, 0, 0),
                reason: None,
                invalidity: None,
            }
        );
    }

    #[test]
    fn extensions() {
        let unknown = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.3");
        let critical = ext(&unknown, true, &[0x05, 0x00]);
        let plain = ext(&unknown, false, &[0x05, 0x00]);
        let certs = good_certs();
        // A critical single extension spoils that answer only.
        let fields = with_singles(&[
            single(
                DigestAlgorithm::Sha1,
                ALFA,
                GOOD_STATUS,
                std::slice::from_ref(&critical),
            ),
            single(
                DigestAlgorithm::Sha1,
                BETA,
                GOOD_STATUS,
                std::slice::from_ref(&plain),
            ),
        ]);
        let der = response(&fields, Some(&certs), OCSP_KEY);
        let e = status(&der, "alfa", AT).unwrap_err();
        assert!(e.message().contains("1.3.6.1.4.1.99999.3"), "{e}");
        assert!(status(&der, "beta", AT).unwrap().is_some());
        // A critical response extension spoils the response; a nonce does not.
        let nonce = ext(&rfc6960::ID_PKIX_OCSP_NONCE, false, &[0x04, 0x02, 1, 2]);
        let (mut fields, _) = parts(GOOD);
        fields.push(tlv(
            0xa1,
            &tlv(ber::SEQUENCE, &cat(std::slice::from_ref(&nonce))),
        ));
        let der = response(&fields, Some(&certs), OCSP_KEY);
        assert!(status(&der, "alfa", AT).unwrap().is_some());
        fields.pop();
        fields.push(tlv(0xa1, &tlv(ber::SEQUENCE, &cat(&[nonce, critical]))));
        let der = response(&fields, Some(&certs), OCSP_KEY);
        assert!(OcspResponse::parse(&der).is_err());
    }

    #[test]
    fn unsuccessful_statuses_are_named() {
        for (code, name) in [
            (1u8, "malformedRequest"),
            (2, "internalError"),
            (3, "tryLater"),
            (5, "sigRequired"),
            (6, "unauthorized"),
            (4, "not a status"),
            (7, "not a status"),
        ] {
            let der = tlv(ber::SEQUENCE, &[0x0a, 0x01, code]);
            let e = OcspResponse::parse(&der).unwrap_err();
            assert!(e.message().contains(name), "{code}: {e}");
        }
        // Successful, without responseBytes; of another type.
        assert!(OcspResponse::parse(&tlv(ber::SEQUENCE, &[0x0a, 0x01, 0x00])).is_err());
        let mut other = GOOD.to_vec();
        let oid = rfc6960::ID_PKIX_OCSP_BASIC.as_bytes();
        let at = other.windows(oid.len()).position(|w| w == oid).unwrap();
        other[at + oid.len() - 1] = 0x07;
        let e = OcspResponse::parse(&other).unwrap_err();
        assert!(e.message().contains("id-pkix-ocsp-basic"), "{e}");
    }

    #[test]
    fn structure_is_checked() {
        let (fields, certs) = parts(GOOD);
        // Assembled from its pieces unchanged, ocsp-good.der is itself.
        let tbs = tlv(ber::SEQUENCE, &cat(&fields));
        assert!(GOOD.windows(tbs.len()).any(|w| w == tbs.as_slice()));
        // version v2 (1) does not exist; v1 written out is tolerated.
        for (v, ok) in [(1u8, false), (0, true)] {
            let mut f = fields.clone();
            f.insert(0, tlv(0xa0, &[0x02, 0x01, v]));
            let der = response(&f, certs.as_deref(), OCSP_KEY);
            assert_eq!(OcspResponse::parse(&der).is_ok(), ok, "{v}");
        }
        // Too many certificates.
        let ocsp = cert("ocsp");
        let many: Vec<&Cert> = std::iter::repeat_n(&ocsp, MAX_OCSP_CERTS + 1).collect();
        let der = response(&fields, Some(&certs_field(&many)), OCSP_KEY);
        assert_eq!(
            OcspResponse::parse(&der).unwrap_err().kind(),
            ErrorKind::LimitExceeded
        );
        let der = response(
            &fields,
            Some(&certs_field(&many[..MAX_OCSP_CERTS])),
            OCSP_KEY,
        );
        assert!(status(&der, "alfa", AT).unwrap().is_some());
        // A UTCTime where GeneralizedTime is required; a bad status tag.
        let mut f = fields.clone();
        f[1] = tlv(ber::UTC_TIME, b"260531120000Z");
        assert!(OcspResponse::parse(&response(&f, None, OCSP_KEY)).is_err());
        let f = with_singles(&[single(DigestAlgorithm::Sha1, ALFA, &[0x83, 0x00], &[])]);
        assert!(OcspResponse::parse(&response(&f, None, OCSP_KEY)).is_err());
        let f = with_singles(&[single(
            DigestAlgorithm::Sha1,
            ALFA,
            &[0x80, 0x01, 0x00],
            &[],
        )]);
        assert!(OcspResponse::parse(&response(&f, None, OCSP_KEY)).is_err());
        // Trailing data, too large, garbage.
        let mut trailing = GOOD.to_vec();
        trailing.push(0);
        assert!(OcspResponse::parse(&trailing).is_err());
        assert_eq!(
            OcspResponse::parse(&vec![0x30; MAX_OCSP_SIZE + 1])
                .unwrap_err()
                .kind(),
            ErrorKind::LimitExceeded
        );
        for garbage in [
            &b""[..],
            b"\x30",
            b"\x30\x00",
            b"\x0a\x01\x00",
            b"not an OCSP response",
            crate::trust::crl::tests::CA1_CRL,
        ] {
            assert!(OcspResponse::parse(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn truncations_fail() {
        for der in ALL {
            for len in 0..der.len() {
                assert!(OcspResponse::parse(&der[..len]).is_err(), "prefix {len}");
            }
        }
    }

    #[test]
    fn mutations_never_panic() {
        let (alfa, beta, revoked, ca1) = (cert("alfa"), cert("beta"), cert("revoked"), ca1());
        let mut rng = Rng(0x0c5b_da7a);
        for der in ALL {
            for _ in 0..300 {
                let mut m = der.to_vec();
                let at = (rng.next() % m.len() as u64) as usize;
                m[at] ^= (rng.next() % 255 + 1) as u8;
                if let Ok(r) = OcspResponse::parse(&m) {
                    for c in [&alfa, &beta, &revoked] {
                        if let Ok(Some(s)) = r.status_of(c, &ca1, AT, Backend::RustCrypto, 2048) {
                            let _ = s.is_current(AT);
                        }
                    }
                }
            }
        }
    }
}
