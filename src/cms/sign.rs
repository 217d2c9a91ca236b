//! Two-phase signing. The SignedData is assembled from the `cms` types by hand (not
//! `cms/builder`), so that the bytes to sign can leave the crate and the signature come back.
//!
//! A provider signs every message with the same certificate, so what does not change is
//! prepared once in a [`SigningIdentity`]: the certificate and its key parsed, the signer
//! identifier and the ESS attribute built, and the constant parts of the SignedData
//! (digest algorithms, encapsulated content info, certificates) encoded. Per message only the
//! signed attributes and the SignerInfo are encoded; the unit tests check that the result is
//! byte-for-byte the encoding of the whole `cms::ContentInfo`.

use core::time::Duration;
use std::sync::Arc;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::CmsVersion;
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignerIdentifier, SignerInfo,
};
use const_oid::db::rfc5911;
use der::asn1::{Any, GeneralizedTime, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;

use super::SignatureAlgorithmId;
use super::attrs::{EssCertIdV2, IssuerSerial, SigningCertificateV2};
use super::signer::{SignRequest, SignatureAlgorithm, Signer};
use crate::ber;
use crate::crypto::{self, Backend, DigestAlgorithm, RsaPublicKey};
use crate::error::{Error, ErrorKind};
use crate::time::PecTime;
use crate::x509::Cert;

/// Options of [`SigningIdentity::prepare`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOptions {
    /// The backend that hashes and checks the signature in
    /// [`finish`](PendingSignature::finish).
    pub backend: Backend,
    /// The SignerInfo `signatureAlgorithm`: `rsaEncryption` (default, as OpenSSL writes) or
    /// `sha256WithRSAEncryption`.
    pub signature_algorithm: SignatureAlgorithmId,
    /// Include the ESS `signing-certificate-v2` attribute, which binds the signer certificate
    /// into the signature (RFC 5035). Default: yes.
    pub signing_certificate: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            backend: Backend::default(),
            signature_algorithm: SignatureAlgorithmId::RsaEncryption,
            signing_certificate: true,
        }
    }
}

/// A provider's signing certificate and chain, parsed and pre-encoded once, for signing any
/// number of messages. Cheap to clone.
#[derive(Clone)]
pub struct SigningIdentity(Arc<Identity>);

struct Identity {
    cert: Cert,
    key: RsaPublicKey,
    sid: SignerIdentifier,
    ess: Attribute,
    /// `version`, `digestAlgorithms`, `encapContentInfo` and `certificates` of the
    /// SignedData, encoded: everything before `signerInfos`.
    signed_data_head: Vec<u8>,
}

fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, what)
}

fn encoding(e: der::Error) -> Error {
    invalid(format!("cannot encode the CMS structure: {e}"))
}

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: DigestAlgorithm::Sha256.oid(),
        parameters: None,
    }
}

impl SigningIdentity {
    /// Parses the signing certificate and the intermediates to embed, each DER or PEM
    /// ([`crate::pem`]). Fails with [`ErrorKind::InvalidInput`] when a certificate does not
    /// decode or the key is not RSA.
    pub fn new(certificate: &[u8], chain: &[Vec<u8>]) -> Result<SigningIdentity, Error> {
        let certificate = crate::pem::certificate(certificate)?;
        let cert = Cert::from_der(&certificate)
            .map_err(|e| invalid(format!("certificate: {}", e.message())))?;
        let key = cert
            .public_key()
            .cloned()
            .map_err(|e| invalid(format!("certificate: {}", e.message())))?;
        let mut certificates = vec![CertificateChoices::Certificate(cert.parsed.clone())];
        for (i, der) in chain.iter().enumerate() {
            let der = crate::pem::certificate(der)
                .map_err(|e| invalid(format!("chain certificate {i}: {}", e.message())))?;
            let c = Certificate::from_der(&der)
                .map_err(|e| invalid(format!("chain certificate {i}: does not decode: {e}")))?;
            certificates.push(CertificateChoices::Certificate(c));
        }
        let tbs = cert.parsed.tbs_certificate();
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer().clone(),
            serial_number: tbs.serial_number().clone(),
        });
        let ess = attribute(
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
            &SigningCertificateV2 {
                certs: vec![EssCertIdV2 {
                    cert_hash: OctetString::new(cert.digest(DigestAlgorithm::Sha256))
                        .map_err(encoding)?,
                    issuer_serial: Some(IssuerSerial {
                        issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                        serial_number: tbs.serial_number().clone(),
                    }),
                }],
            },
        )?;

        let mut head = Vec::new();
        CmsVersion::V1.encode_to_vec(&mut head).map_err(encoding)?;
        SetOfVec::try_from(vec![sha256_algorithm()])
            .map_err(encoding)?
            .encode_to_vec(&mut head)
            .map_err(encoding)?;
        EncapsulatedContentInfo {
            econtent_type: rfc5911::ID_DATA,
            econtent: None,
        }
        .encode_to_vec(&mut head)
        .map_err(encoding)?;
        // certificates [0] IMPLICIT CertificateSet: the SET OF with the tag replaced.
        let set = CertificateSet::try_from(certificates)
            .map_err(encoding)?
            .to_der()
            .map_err(encoding)?;
        let mut set = set;
        if let Some(tag) = set.first_mut() {
            *tag = 0xa0;
        }
        head.extend_from_slice(&set);
        Ok(SigningIdentity(Arc::new(Identity {
            cert,
            key,
            sid,
            ess,
            signed_data_head: head,
        })))
    }

    /// The signing certificate, DER.
    pub fn certificate(&self) -> &[u8] {
        &self.0.cert.der
    }

    /// The addresses of the certificate (`rfc822Name`): for a provider, its service address,
    /// which must be the `From` of what it signs (spec 2.3).
    pub fn email_addresses(&self) -> Vec<String> {
        self.0.cert.email_addresses().unwrap_or_default()
    }

    /// Starts a detached SHA-256 signature of `content`.
    ///
    /// The signed attributes are content-type (id-data), signing-time (`signing_time`, the
    /// transaction time: the crate never reads a clock), message-digest, and ESS
    /// signing-certificate-v2 unless turned off in `options`. Fails with
    /// [`ErrorKind::InvalidInput`] when the options ask for an algorithm signing does not
    /// offer or the time is before 1970.
    pub fn prepare(
        &self,
        content: &[u8],
        signing_time: PecTime,
        options: &SignOptions,
    ) -> Result<PendingSignature, Error> {
        let content_digest = crypto::digest(options.backend, DigestAlgorithm::Sha256, content);
        self.prepare_digest(content_digest, signing_time, options)
    }

    /// [`prepare`](Self::prepare) with the SHA-256 of the content already computed (the
    /// message writer hashes as it writes).
    pub(crate) fn prepare_digest(
        &self,
        content_digest: Vec<u8>,
        signing_time: PecTime,
        options: &SignOptions,
    ) -> Result<PendingSignature, Error> {
        if !matches!(
            options.signature_algorithm,
            SignatureAlgorithmId::RsaEncryption | SignatureAlgorithmId::Sha256WithRsaEncryption
        ) {
            return Err(invalid(
                "signature_algorithm: signing uses SHA-256, so rsaEncryption or \
                 sha256WithRSAEncryption",
            ));
        }
        let mut attrs = vec![
            attribute(rfc5911::ID_CONTENT_TYPE, &rfc5911::ID_DATA)?,
            attribute(rfc5911::ID_SIGNING_TIME, &signing_time_value(signing_time)?)?,
            attribute(
                rfc5911::ID_MESSAGE_DIGEST,
                &OctetString::new(content_digest).map_err(encoding)?,
            )?,
        ];
        if options.signing_certificate {
            attrs.push(self.0.ess.clone());
        }
        // DER sorts a SET OF by encoding; this is the order that is signed and sent.
        let signed_attrs: SignedAttributes = SetOfVec::try_from(attrs).map_err(encoding)?;
        let to_be_signed = signed_attrs.to_der().map_err(encoding)?;
        let digest = crypto::digest(options.backend, DigestAlgorithm::Sha256, &to_be_signed);
        let digest_info = DigestAlgorithm::Sha256.digest_info(&digest);
        Ok(PendingSignature {
            to_be_signed,
            digest,
            digest_info,
            signed_attrs,
            identity: self.clone(),
            options: options.clone(),
        })
    }
}

impl core::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("subject", &self.0.cert.subject_string())
            .finish_non_exhaustive()
    }
}

/// A signature waiting for its value: the signed attributes are fixed, the bytes to sign are
/// known, the key has not been used yet.
#[derive(Debug)]
pub struct PendingSignature {
    to_be_signed: Vec<u8>,
    digest: Vec<u8>,
    digest_info: Vec<u8>,
    signed_attrs: SignedAttributes,
    identity: SigningIdentity,
    options: SignOptions,
}

fn attribute(oid: der::asn1::ObjectIdentifier, value: &impl Encode) -> Result<Attribute, Error> {
    // Through DER, because CHOICE types such as Time have no fixed tag for `encode_from`.
    let value = Any::from_der(&value.to_der().map_err(encoding)?).map_err(encoding)?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(encoding)?,
    })
}

/// RFC 5652 section 11.3: UTCTime for 1950 through 2049, GeneralizedTime otherwise.
fn signing_time_value(t: PecTime) -> Result<x509_cert::time::Time, Error> {
    use chrono::Datelike;
    let secs = u64::try_from(t.unix_seconds()).map_err(|_| invalid("signing time: before 1970"))?;
    let d = Duration::from_secs(secs);
    if t.to_datetime().naive_utc().year() < 2050 {
        Ok(x509_cert::time::Time::UtcTime(
            UtcTime::from_unix_duration(d).map_err(encoding)?,
        ))
    } else {
        Ok(x509_cert::time::Time::GeneralTime(
            GeneralizedTime::from_unix_duration(d).map_err(encoding)?,
        ))
    }
}

impl PendingSignature {
    /// The bytes the signature covers: the DER of the signed attributes (tag 0x31).
    pub fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// SHA-256 of [`to_be_signed`](Self::to_be_signed).
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// The DER `DigestInfo` of [`digest`](Self::digest), for raw RSA mechanisms.
    pub fn digest_info(&self) -> &[u8] {
        &self.digest_info
    }

    /// The request a [`Signer`] receives.
    pub fn request(&self) -> SignRequest<'_> {
        SignRequest {
            algorithm: SignatureAlgorithm::RsaPkcs1Sha256,
            message: &self.to_be_signed,
            digest: &self.digest,
            digest_info: &self.digest_info,
        }
    }

    /// Completes the signature with its value and returns the DER of the CMS `ContentInfo`.
    ///
    /// The value is first checked against the certificate's public key: a signature from
    /// another key, or garbage from a failing device, gives [`ErrorKind::SignatureInvalid`]
    /// and nothing is emitted.
    pub fn finish(self, signature: &[u8]) -> Result<Vec<u8>, Error> {
        self.identity
            .0
            .key
            .verify(
                self.options.backend,
                DigestAlgorithm::Sha256,
                &self.to_be_signed,
                signature,
            )
            .map_err(|_| {
                Error::new(
                    ErrorKind::SignatureInvalid,
                    "the signature value does not verify with the certificate's public key \
                     (wrong key, or a failing signer); nothing was emitted",
                )
            })?;
        self.emit(signature)
    }

    /// The `ContentInfo` with this signature value, which the caller has checked.
    fn emit(self, signature: &[u8]) -> Result<Vec<u8>, Error> {
        let id = &self.identity.0;
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: id.sid.clone(),
            digest_alg: sha256_algorithm(),
            signed_attrs: Some(self.signed_attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: self.options.signature_algorithm.oid(),
                parameters: Some(Any::null()),
            },
            signature: OctetString::new(signature).map_err(encoding)?,
            unsigned_attrs: None,
        };
        let signer_info = signer_info.to_der().map_err(encoding)?;
        Ok(content_info(&id.signed_data_head, &signer_info))
    }

    /// Asks `signer` for the signature and [`finish`](Self::finish)es. The signer must hold
    /// the certificate this signature was prepared with.
    ///
    /// A signer that [checks its own signatures](Signer::checks_own_signatures) (the crate's
    /// [`AwsLcSigner`](crate::cms::AwsLcSigner) and [`RsaSigner`](crate::cms::RsaSigner):
    /// each key was matched with its certificate when the signer was made, and AWS-LC and the
    /// `rsa` crate verify every private-key result against fault attacks) is not checked a
    /// second time.
    pub fn sign_with(self, signer: &dyn Signer) -> Result<Vec<u8>, Error> {
        if signer.algorithm() != SignatureAlgorithm::RsaPkcs1Sha256 {
            return Err(invalid(
                "signer: only RSA PKCS #1 v1.5 with SHA-256 is supported",
            ));
        }
        if signer.certificate() != self.identity.certificate() {
            return Err(invalid(
                "signer: its certificate is not the one the signature was prepared with",
            ));
        }
        let signature = signer.sign(&self.request()).map_err(|e| {
            Error::new(ErrorKind::SignerFailed, format!("signer failed: {e}")).with_source(e)
        })?;
        if signer.checks_own_signatures() {
            let expected = self.identity.0.key.modulus_len();
            if signature.len() != expected {
                return Err(Error::new(
                    ErrorKind::SignatureInvalid,
                    format!(
                        "the signer returned {} bytes for a {expected}-byte modulus; nothing \
                         was emitted",
                        signature.len()
                    ),
                ));
            }
            return self.emit(&signature);
        }
        self.finish(&signature)
    }
}

/// `ContentInfo { id-signedData, [0] SignedData { head, signerInfos SET { signer_info } } }`.
fn content_info(signed_data_head: &[u8], signer_info: &[u8]) -> Vec<u8> {
    let mut infos = vec![ber::SET];
    ber::der_length(signer_info.len(), &mut infos);
    let signed_data_len = signed_data_head.len() + infos.len() + signer_info.len();
    let mut signed_data_header = vec![ber::SEQUENCE];
    ber::der_length(signed_data_len, &mut signed_data_header);
    let explicit_len = signed_data_header.len() + signed_data_len;
    let mut explicit_header = vec![0xa0];
    ber::der_length(explicit_len, &mut explicit_header);
    // OBJECT IDENTIFIER id-signedData (1.2.840.113549.1.7.2).
    const OID: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
    ];
    let inner_len = OID.len() + explicit_header.len() + explicit_len;
    let mut out = Vec::with_capacity(inner_len + 6);
    out.push(ber::SEQUENCE);
    ber::der_length(inner_len, &mut out);
    out.extend_from_slice(&OID);
    out.extend_from_slice(&explicit_header);
    out.extend_from_slice(&signed_data_header);
    out.extend_from_slice(signed_data_head);
    out.extend_from_slice(&infos);
    out.extend_from_slice(signer_info);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerInfos};

    // Compiled in, so that the test reads no file (and runs under Miri's isolation).
    const ALFA: &[u8] = include_bytes!("../../tests/fixtures/pki/alfa.der");
    const CA1: &[u8] = include_bytes!("../../tests/fixtures/pki/ca1.der");

    /// The spliced encoding equals the encoding of the whole structure by the `cms` types.
    #[test]
    fn spliced_output_is_the_cms_encoding() {
        let identity = SigningIdentity::new(ALFA, &[CA1.to_vec()]).unwrap();
        let time = PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).unwrap();
        let pending = identity
            .prepare(b"content", time, &SignOptions::default())
            .unwrap();
        let attrs = pending.signed_attrs.clone();
        // Any bytes will do for the comparison: bypass the signature check.
        let signature = vec![7u8; 256];
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: identity.0.sid.clone(),
            digest_alg: sha256_algorithm(),
            signed_attrs: Some(attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: SignatureAlgorithmId::RsaEncryption.oid(),
                parameters: Some(Any::null()),
            },
            signature: OctetString::new(signature.clone()).unwrap(),
            unsigned_attrs: None,
        };
        let spliced = content_info(&identity.0.signed_data_head, &signer_info.to_der().unwrap());
        let certificates = vec![
            CertificateChoices::Certificate(Certificate::from_der(ALFA).unwrap()),
            CertificateChoices::Certificate(Certificate::from_der(CA1).unwrap()),
        ];
        let whole = ContentInfo {
            content_type: rfc5911::ID_SIGNED_DATA,
            content: Any::encode_from(&SignedData {
                version: CmsVersion::V1,
                digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()]).unwrap(),
                encap_content_info: EncapsulatedContentInfo {
                    econtent_type: rfc5911::ID_DATA,
                    econtent: None,
                },
                certificates: Some(CertificateSet::try_from(certificates).unwrap()),
                crls: None,
                signer_infos: SignerInfos::try_from(vec![signer_info]).unwrap(),
            })
            .unwrap(),
        }
        .to_der()
        .unwrap();
        assert_eq!(spliced, whole);
    }

    #[test]
    fn content_info_lengths_cross_the_one_byte_boundary() {
        // Small inputs exercise the short-form lengths, the real ones the long forms.
        let small = content_info(&[1, 2, 3], &[4]);
        assert_eq!(small[0], 0x30);
        assert_eq!(usize::from(small[1]) + 2, small.len());
        let big = content_info(&vec![0; 300], &vec![0; 70_000]);
        assert_eq!(&big[..2], &[0x30, 0x83]);
    }
}
