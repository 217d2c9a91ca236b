//! Verification of a detached CMS SignedData over given content.
//!
//! The structure is walked over the raw bytes, so that the signed attributes are verified
//! exactly as transmitted (also when a signer did not sort them into DER order, which a
//! decode-and-re-encode would silently "fix" and break) and certificates are fingerprinted as
//! received. Leaf values are decoded with `der` and `x509-cert`.

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc5911, rfc5912};

use super::SignatureAlgorithmId;
use super::attrs::CMS_ALGORITHM_PROTECTION;
use crate::ber::{self, Tlv};
use crate::crypto::{self, Backend, DigestAlgorithm};
use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind};
use crate::time::PecTime;
use std::collections::HashSet;
use std::sync::Arc;

use crate::x509::{Cert, CertSource, CertificateInfo, Parse};

/// Options of [`verify_detached`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The backend that hashes and verifies.
    pub backend: Backend,
    /// The smallest RSA modulus accepted, in bits. Default: 2048. Messages signed before about
    /// 2016 (DigitPA-era provider keys) need 1024; a key below 2048 is then reported
    /// (`cms-weak-key`).
    pub min_rsa_bits: usize,
    /// The largest `smime.p7s` accepted, in bytes. Default: 1 MiB (real ones are under 8 KiB).
    pub max_signature_size: usize,
    /// Refuse a SHA-1 signature ([`ErrorKind::PolicyRefused`] once it verifies); otherwise it
    /// is reported (`cms-sha1`). Default: off (OpenPEC-based providers signed with SHA-1 until
    /// at least 2024).
    pub refuse_sha1: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            backend: Backend::default(),
            min_rsa_bits: 2048,
            max_signature_size: 1 << 20,
            refuse_sha1: false,
        }
    }
}

/// What a valid signature says: algorithms, time, signer, certificates. It says nothing about
/// trust; see [`TrustStore`](crate::trust::TrustStore).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// The digest of the content (SignerInfo `digestAlgorithm`).
    pub digest_algorithm: DigestAlgorithm,
    /// The SignerInfo `signatureAlgorithm`.
    pub signature_algorithm: SignatureAlgorithmId,
    /// The signed `signingTime`, when present (UTC).
    pub signing_time: Option<PecTime>,
    /// The signer certificate.
    pub signer: CertificateInfo,
    /// Every certificate in the message, signer included, DER as received, in order.
    pub certificates: Vec<Vec<u8>>,
    /// Whether the signature covers signed attributes (the usual form) or the content itself.
    pub signed_attributes: bool,
    /// What was noticed: SHA-1, a weak key, BER, no signed attributes.
    pub diagnostics: Vec<Diagnostic>,
}

fn malformed(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedCms, what)
}

fn unsupported(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::UnsupportedAlgorithm, what)
}

/// An AlgorithmIdentifier's OID (parameters are not needed by RSA PKCS #1 v1.5 or SHA-x).
fn algorithm(tlv: &Tlv<'_>, what: &str) -> Result<ObjectIdentifier, Error> {
    tlv.expect(ber::SEQUENCE, what)?.required(what)?.oid(what)
}

fn digest_algorithm(oid: &ObjectIdentifier) -> Result<DigestAlgorithm, Error> {
    if *oid == rfc5912::ID_MD_5 {
        return Err(unsupported("the MD5 digest is refused"));
    }
    DigestAlgorithm::from_oid(oid)
        .ok_or_else(|| unsupported(format!("digest algorithm {oid} is not supported")))
}

/// Verifies a detached CMS SignedData (`cms`, DER or BER) over `content`.
///
/// Checks, each with its own error: the structure (ContentInfo of SignedData, id-data
/// without eContent, exactly one SignerInfo, the signer certificate present) →
/// [`ErrorKind::MalformedCms`]; the algorithms (SHA-256 or SHA-1 digests, RSA PKCS #1 v1.5,
/// no MD5, key size, the digest agreeing with the signature algorithm) →
/// [`ErrorKind::UnsupportedAlgorithm`]; the signed message-digest attribute against the
/// digest of `content` → [`ErrorKind::DigestMismatch`]; the signature value, and the signed
/// bindings (ESS certificate hash, CMSAlgorithmProtection) → [`ErrorKind::SignatureInvalid`].
/// Signed attributes are also accepted absent (the signature then covers the content).
pub fn verify_detached(
    content: &[u8],
    cms: &[u8],
    options: &VerifyOptions,
) -> Result<SignatureReport, Error> {
    verify_detached_with(content, cms, options, &Parse)
}

/// [`verify_detached`] with the certificates taken from `certs` (a trust store keeps those
/// it parsed before).
pub(crate) fn verify_detached_with(
    content: &[u8],
    cms: &[u8],
    options: &VerifyOptions,
    certs_from: &dyn CertSource,
) -> Result<SignatureReport, Error> {
    if cms.len() > options.max_signature_size {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "smime.p7s is {} bytes, over the limit of {}",
                cms.len(),
                options.max_signature_size
            ),
        ));
    }
    let mut diagnostics = Vec::new();
    let content_info = Tlv::parse_all(cms)?;
    let mut ci = content_info.expect(ber::SEQUENCE, "ContentInfo")?;
    let content_type = ci.required("ContentInfo contentType")?.oid("contentType")?;
    if content_type != rfc5911::ID_SIGNED_DATA {
        return Err(malformed(format!(
            "ContentInfo holds {content_type}, not SignedData"
        )));
    }
    let explicit = ci.required("ContentInfo content")?;
    ci.end("ContentInfo")?;
    let mut wrapper = explicit.expect(0xa0, "ContentInfo content [0]")?;
    let signed_data = wrapper.required("SignedData")?;
    wrapper.end("ContentInfo content [0]")?;

    let mut sd = signed_data.expect(ber::SEQUENCE, "SignedData")?;
    let _version = sd.required("SignedData version")?;
    let digest_algorithms = sd.required("SignedData digestAlgorithms")?;
    let encap = sd.required("SignedData encapContentInfo")?;
    let certificates = sd.optional(0xa0)?;
    let crls = sd.optional(0xa1)?;
    let signer_infos = sd.required("SignedData signerInfos")?;
    sd.end("SignedData")?;
    // BER anywhere in the CMS structure, each certificate counted by its own outer length
    // (a certificate is decoded on its own, DER or BER, and a store keeps it decoded: its
    // inside need not be walked for every message).
    let certificates_ber = certificates
        .is_some_and(|set| set.indefinite || set.children().any(|c| c.is_ok_and(|c| c.indefinite)));
    if content_info.indefinite
        || explicit.indefinite
        || signed_data.indefinite
        || certificates_ber
        || [&digest_algorithms, &encap, &signer_infos]
            .iter()
            .any(|t| t.has_indefinite())
        || crls.is_some_and(|c| c.has_indefinite())
    {
        diagnostics.push(Diagnostic::new(
            DiagnosticCode::CmsBer,
            "the CMS structure uses BER indefinite lengths",
        ));
    }

    let mut encap = encap.expect(ber::SEQUENCE, "encapContentInfo")?;
    let econtent_type = encap.required("eContentType")?.oid("eContentType")?;
    if econtent_type != rfc5911::ID_DATA {
        return Err(malformed(format!(
            "eContentType is {econtent_type}, not id-data"
        )));
    }
    if encap.next().is_some() {
        return Err(malformed(
            "the SignedData carries its content (eContent): a PEC signature is detached",
        ));
    }

    let mut certs = Vec::new();
    if let Some(set) = certificates {
        for choice in set.children() {
            let choice = choice?;
            // Only plain certificates; attribute certificates and others are skipped.
            if choice.tag == ber::SEQUENCE {
                certs.push(certs_from.cert(choice.raw)?);
            }
        }
    }

    let infos: Vec<Tlv<'_>> = signer_infos
        .expect(ber::SET, "signerInfos")?
        .collect::<Result<_, _>>()?;
    let [info] = infos.as_slice() else {
        return Err(malformed(format!(
            "{} SignerInfos: a PEC signature has exactly one signer",
            infos.len()
        )));
    };
    let mut si = info.expect(ber::SEQUENCE, "SignerInfo")?;
    let _version = si.required("SignerInfo version")?;
    let sid = si.required("SignerInfo sid")?;
    let digest_oid = algorithm(&si.required("digestAlgorithm")?, "digestAlgorithm")?;
    let signed_attrs = si.optional(0xa0)?;
    let sig_alg_oid = algorithm(&si.required("signatureAlgorithm")?, "signatureAlgorithm")?;
    let signature = si.required("signature")?.octets("signature")?;
    let _unsigned = si.optional(0xa1)?;
    si.end("SignerInfo")?;

    let digest_alg = digest_algorithm(&digest_oid)?;
    if sig_alg_oid == rfc5912::MD_5_WITH_RSA_ENCRYPTION {
        return Err(unsupported("md5WithRSAEncryption is refused"));
    }
    let signature_algorithm = SignatureAlgorithmId::from_oid(&sig_alg_oid).ok_or_else(|| {
        unsupported(format!(
            "signature algorithm {sig_alg_oid} is not supported (RSA PKCS #1 v1.5 only)"
        ))
    })?;
    if let Some(implied) = signature_algorithm.digest()
        && implied != digest_alg
    {
        return Err(unsupported(format!(
            "the signature algorithm uses {implied}, the SignerInfo digest is {digest_alg}"
        )));
    }
    if digest_alg == DigestAlgorithm::Sha1 {
        diagnostics.push(Diagnostic::new(
            DiagnosticCode::CmsSha1,
            "the signature uses SHA-1",
        ));
    }

    let signer = find_signer(&sid, &certs)?;
    let key = signer.public_key()?;
    if key.bits() < 512 {
        return Err(unsupported(format!(
            "the signer's RSA key has {} bits: not verified",
            key.bits()
        )));
    }
    if key.bits() < 2048 {
        diagnostics.push(Diagnostic::new(
            DiagnosticCode::CmsWeakKey,
            format!("the signer's RSA key has {} bits", key.bits()),
        ));
    }

    let mut signing_time = None;
    match signed_attrs {
        Some(attrs) => {
            let content_digest = crypto::digest(options.backend, digest_alg, content);
            signing_time =
                check_attributes(&attrs, &content_digest, signer, &digest_oid, &sig_alg_oid)?;
            let to_verify = signed_bytes(&attrs);
            key.verify(options.backend, digest_alg, &to_verify, &signature)?;
        }
        None => {
            diagnostics.push(Diagnostic::new(
                DiagnosticCode::CmsNoSignedAttributes,
                "the signature covers the content directly, without signed attributes",
            ));
            key.verify(options.backend, digest_alg, content, &signature)?;
        }
    }
    // Policy, once the signature is known to verify: a refusal then says "verifies, but not
    // accepted", never "tampered" (`SignatureStatus::Refused` in the reader).
    if key.bits() < options.min_rsa_bits {
        return Err(Error::new(
            ErrorKind::PolicyRefused,
            format!(
                "the signature verifies, but the signer's RSA key has {} bits, below the \
                 minimum of {} (VerifyOptions::min_rsa_bits)",
                key.bits(),
                options.min_rsa_bits
            ),
        ));
    }
    if digest_alg == DigestAlgorithm::Sha1 && options.refuse_sha1 {
        return Err(Error::new(
            ErrorKind::PolicyRefused,
            "the signature verifies, but it uses SHA-1, which VerifyOptions::refuse_sha1 refuses",
        ));
    }

    Ok(SignatureReport {
        digest_algorithm: digest_alg,
        signature_algorithm,
        signing_time,
        signer: signer.info(),
        certificates: certs.iter().map(|c| c.der.clone()).collect(),
        signed_attributes: signed_attrs.is_some(),
        diagnostics,
    })
}

/// The bytes a signature over signed attributes covers: the attributes with the universal
/// SET tag instead of the implicit [0] (RFC 5652 section 5.4), as transmitted.
fn signed_bytes(attrs: &Tlv<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(attrs.raw.len());
    if attrs.indefinite {
        // Re-wrap with a definite length, keeping the attributes' own bytes.
        out.push(ber::SET);
        ber::der_length(attrs.content.len(), &mut out);
        out.extend_from_slice(attrs.content);
    } else {
        out.extend_from_slice(attrs.raw);
        if let Some(first) = out.first_mut() {
            *first = ber::SET;
        }
    }
    out
}

/// The certificate the SignerInfo names, by issuer and serial number or by key identifier.
fn find_signer<'c>(sid: &Tlv<'_>, certs: &'c [Arc<Cert>]) -> Result<&'c Cert, Error> {
    let found = match sid.tag {
        ber::SEQUENCE => {
            let mut parts = sid.children();
            let issuer = parts.required("sid issuer")?;
            let serial = parts.required("sid serialNumber")?;
            parts.end("IssuerAndSerialNumber")?;
            certs
                .iter()
                .find(|c| c.issuer_raw() == issuer.raw && c.serial_raw() == serial.content)
        }
        0x80 => certs.iter().find(|c| {
            c.subject_key_id()
                .ok()
                .flatten()
                .is_some_and(|ski| ski == sid.content)
        }),
        t => return Err(malformed(format!("SignerInfo sid has tag 0x{t:02x}"))),
    };
    found
        .map(|c| &**c)
        .ok_or_else(|| malformed("the signer certificate is not in the message"))
}

/// Checks the signed attributes; returns the signing time when present.
fn check_attributes(
    attrs: &Tlv<'_>,
    content_digest: &[u8],
    signer: &Cert,
    digest_oid: &ObjectIdentifier,
    sig_alg_oid: &ObjectIdentifier,
) -> Result<Option<PecTime>, Error> {
    // A set: the attributes of a hostile signature run to a hundred thousand in 1 MiB, and a
    // search of those seen for each would be quadratic. Sized by a first pass over the
    // elements, so that it is not rehashed as it grows.
    // A real signature has three to six: those seen are kept in a list, searched, until
    // there are more than sixteen, then in a set sized once; nothing is hashed on the common
    // path.
    let mut listed: Vec<&[u8]> = Vec::with_capacity(16);
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut content_type = None;
    let mut message_digest = None;
    let mut signing_time = None;
    for attr in attrs.children() {
        let attr = attr?;
        let mut parts = attr.expect(ber::SEQUENCE, "Attribute")?;
        let oid_tlv = parts.required("attribute type")?;
        let oid = oid_tlv.oid("attribute type")?;
        let values: Vec<Tlv<'_>> = parts
            .required("attribute values")?
            .expect(ber::SET, "attribute values")?
            .collect::<Result<_, _>>()?;
        parts.end("Attribute")?;
        // Two identifiers are the same exactly when their encodings are (the parser keeps
        // the bytes as given), and the bytes hash faster than the parsed form.
        let repeated = if seen.is_empty() && listed.len() < 16 {
            let repeated = listed.contains(&oid_tlv.content);
            listed.push(oid_tlv.content);
            repeated
        } else {
            if seen.is_empty() {
                seen.reserve(attrs.children().count());
                seen.extend(listed.drain(..));
            }
            !seen.insert(oid_tlv.content)
        };
        if repeated {
            return Err(malformed(format!("signed attribute {oid} appears twice")));
        }
        let single = || -> Result<Tlv<'_>, Error> {
            match values.as_slice() {
                [v] => Ok(*v),
                _ => Err(malformed(format!(
                    "signed attribute {oid} has {} values instead of one",
                    values.len()
                ))),
            }
        };
        match oid {
            rfc5911::ID_CONTENT_TYPE => content_type = Some(single()?.oid("content-type")?),
            rfc5911::ID_MESSAGE_DIGEST => {
                message_digest = Some(single()?.octets("message-digest")?)
            }
            rfc5911::ID_SIGNING_TIME => signing_time = Some(ber::time(&single()?, "signing-time")?),
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2 => check_ess(&single()?, signer, true)?,
            rfc5911::ID_AA_SIGNING_CERTIFICATE => check_ess(&single()?, signer, false)?,
            CMS_ALGORITHM_PROTECTION => {
                check_algorithm_protection(&single()?, digest_oid, sig_alg_oid)?
            }
            _ => {} // S/MIME capabilities and others carry nothing to check
        }
    }
    match content_type {
        Some(t) if t == rfc5911::ID_DATA => {}
        Some(t) => {
            return Err(malformed(format!(
                "the signed content-type is {t}, not id-data"
            )));
        }
        None => return Err(malformed("no signed content-type attribute")),
    }
    let message_digest =
        message_digest.ok_or_else(|| malformed("no signed message-digest attribute"))?;
    if message_digest != content_digest {
        return Err(Error::new(
            ErrorKind::DigestMismatch,
            "the digest of the signed content differs from the signed message-digest: \
             the content was changed after signing",
        ));
    }
    Ok(signing_time)
}

/// ESS signing-certificate (v1: SHA-1) or -v2 (default SHA-256): the first ESSCertID must
/// hash to the signer certificate.
fn check_ess(value: &Tlv<'_>, signer: &Cert, v2: bool) -> Result<(), Error> {
    let mut outer = value.expect(ber::SEQUENCE, "SigningCertificate")?;
    let mut certs = outer
        .required("SigningCertificate certs")?
        .expect(ber::SEQUENCE, "SigningCertificate certs")?;
    let mut id = certs
        .required("ESSCertID")?
        .expect(ber::SEQUENCE, "ESSCertID")?;
    let mut alg = DigestAlgorithm::Sha1;
    if v2 {
        alg = DigestAlgorithm::Sha256;
        if let Some(a) = id.optional(ber::SEQUENCE)? {
            alg = digest_algorithm(&algorithm(&a, "ESSCertIDv2 hashAlgorithm")?)?;
        }
    }
    let hash = id.required("ESSCertID certHash")?.octets("certHash")?;
    if hash != signer.digest(alg) {
        return Err(Error::new(
            ErrorKind::SignatureInvalid,
            "the signed ESS certificate hash does not match the signer certificate",
        ));
    }
    Ok(())
}

/// RFC 6211: the algorithms the signer protected must be the ones in the SignerInfo.
fn check_algorithm_protection(
    value: &Tlv<'_>,
    digest_oid: &ObjectIdentifier,
    sig_alg_oid: &ObjectIdentifier,
) -> Result<(), Error> {
    let mut p = value.expect(ber::SEQUENCE, "CMSAlgorithmProtection")?;
    let digest = algorithm(&p.required("digestAlgorithm")?, "digestAlgorithm")?;
    let mismatch = || {
        Error::new(
            ErrorKind::SignatureInvalid,
            "CMSAlgorithmProtection names other algorithms than the SignerInfo",
        )
    };
    if digest != *digest_oid {
        return Err(mismatch());
    }
    if let Some(sig) = p.optional(0xa1)? {
        // [1] IMPLICIT AlgorithmIdentifier: the first child is the OID.
        let oid = sig
            .children()
            .required("signatureAlgorithm")?
            .oid("signatureAlgorithm")?;
        if oid != *sig_alg_oid {
            return Err(mismatch());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALFA: &[u8] = include_bytes!("../../tests/fixtures/pki/alfa.der");

    /// `[0]` signed attributes of the given types, each with an empty value set.
    fn attributes(oids: &[ObjectIdentifier]) -> Vec<u8> {
        fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            ber::der_length(content.len(), &mut out);
            out.extend_from_slice(content);
            out
        }
        let mut content = Vec::new();
        for oid in oids {
            let mut attribute = tlv(ber::OID, oid.as_bytes());
            attribute.extend_from_slice(&[ber::SET, 0x00]);
            content.extend(tlv(ber::SEQUENCE, &attribute));
        }
        tlv(0xa0, &content)
    }

    fn check(oids: &[ObjectIdentifier]) -> Error {
        let der = attributes(oids);
        let attrs = Tlv::parse_all(&der).unwrap();
        let signer = Cert::from_der(ALFA).unwrap();
        check_attributes(
            &attrs,
            &[0; 32],
            &signer,
            &rfc5912::ID_SHA_256,
            &rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
        )
        .unwrap_err()
    }

    #[test]
    fn a_signed_attribute_twice_is_refused_however_many_come_between() {
        let unknown = |i: u32| ObjectIdentifier::new(&format!("1.3.6.1.4.1.{i}")).unwrap();
        let mut oids: Vec<ObjectIdentifier> = (0..2_000).map(unknown).collect();
        // Thousands of distinct types are read through, to the missing content-type.
        assert_eq!(check(&oids).message(), "no signed content-type attribute");
        oids.push(unknown(7));
        let e = check(&oids);
        assert_eq!(e.kind(), ErrorKind::MalformedCms);
        assert_eq!(e.message(), "signed attribute 1.3.6.1.4.1.7 appears twice");
    }
}
