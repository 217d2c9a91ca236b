//! Two-phase signing: the SignedData is assembled from the `cms` types by hand (not
//! `cms/builder`), so that the bytes to sign can leave the crate and the signature come back.

use core::time::Duration;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
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
use crate::crypto::{self, Backend, DigestAlgorithm};
use crate::error::{Error, ErrorKind};
use crate::time::PecTime;
use crate::x509::Cert;

/// Options of [`prepare`].
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

/// A signature waiting for its value: the signed attributes are fixed, the bytes to sign are
/// known, the key has not been used yet.
#[derive(Debug)]
pub struct PendingSignature {
    to_be_signed: Vec<u8>,
    digest: Vec<u8>,
    digest_info: Vec<u8>,
    signed_attrs: SignedAttributes,
    certificate: Cert,
    chain: Vec<Certificate>,
    options: SignOptions,
}

fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, what)
}

fn encoding(e: der::Error) -> Error {
    invalid(format!("cannot encode the CMS structure: {e}"))
}

/// Starts a detached SHA-256 signature of `content` with the given certificate.
///
/// The signed attributes are content-type (id-data), signing-time (`signing_time`, the
/// transaction time: the crate never reads a clock), message-digest, and ESS
/// signing-certificate-v2 unless turned off in `options`. Fails with
/// [`ErrorKind::InvalidInput`] when a certificate does not decode, its key is not RSA, or the
/// options ask for an algorithm signing does not offer.
pub fn prepare(
    content: &[u8],
    certificate: &[u8],
    chain: &[Vec<u8>],
    signing_time: PecTime,
    options: &SignOptions,
) -> Result<PendingSignature, Error> {
    if !matches!(
        options.signature_algorithm,
        SignatureAlgorithmId::RsaEncryption | SignatureAlgorithmId::Sha256WithRsaEncryption
    ) {
        return Err(invalid(
            "signature_algorithm: signing uses SHA-256, so rsaEncryption or sha256WithRSAEncryption",
        ));
    }
    let cert = Cert::from_der(certificate)
        .map_err(|e| invalid(format!("certificate: {}", e.message())))?;
    cert.public_key()
        .map_err(|e| invalid(format!("certificate: {}", e.message())))?;
    let chain = chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            Certificate::from_der(der)
                .map_err(|e| invalid(format!("chain certificate {i}: does not decode: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let content_digest = crypto::digest(options.backend, DigestAlgorithm::Sha256, content);
    let mut attrs = vec![
        attribute(rfc5911::ID_CONTENT_TYPE, &rfc5911::ID_DATA)?,
        attribute(rfc5911::ID_SIGNING_TIME, &signing_time_value(signing_time)?)?,
        attribute(
            rfc5911::ID_MESSAGE_DIGEST,
            &OctetString::new(content_digest).map_err(encoding)?,
        )?,
    ];
    if options.signing_certificate {
        let tbs = cert.parsed.tbs_certificate();
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                cert_hash: OctetString::new(cert.digest(DigestAlgorithm::Sha256))
                    .map_err(encoding)?,
                issuer_serial: Some(IssuerSerial {
                    issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                    serial_number: tbs.serial_number().clone(),
                }),
            }],
        };
        attrs.push(attribute(rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2, &ess)?);
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
        certificate: cert,
        chain,
        options: options.clone(),
    })
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
    let secs = u64::try_from(t.unix_seconds()).map_err(|_| invalid("signing time: before 1970"))?;
    let d = Duration::from_secs(secs);
    use chrono::Datelike;
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
        let key = self.certificate.public_key()?;
        key.verify(
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

        let tbs = self.certificate.parsed.tbs_certificate();
        let sha256 = AlgorithmIdentifierOwned {
            oid: DigestAlgorithm::Sha256.oid(),
            parameters: None,
        };
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: Some(self.signed_attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: self.options.signature_algorithm.oid(),
                parameters: Some(Any::null()),
            },
            signature: OctetString::new(signature).map_err(encoding)?,
            unsigned_attrs: None,
        };
        let mut certificates = vec![CertificateChoices::Certificate(self.certificate.parsed)];
        certificates.extend(self.chain.into_iter().map(CertificateChoices::Certificate));
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![sha256]).map_err(encoding)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: rfc5911::ID_DATA,
                econtent: None,
            },
            certificates: Some(CertificateSet::try_from(certificates).map_err(encoding)?),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer_info]).map_err(encoding)?,
        };
        ContentInfo {
            content_type: rfc5911::ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data).map_err(encoding)?,
        }
        .to_der()
        .map_err(encoding)
    }

    /// Asks `signer` for the signature and [`finish`](Self::finish)es. The signer must hold
    /// the certificate this signature was prepared with.
    pub fn sign_with(self, signer: &dyn Signer) -> Result<Vec<u8>, Error> {
        if signer.algorithm() != SignatureAlgorithm::RsaPkcs1Sha256 {
            return Err(invalid(
                "signer: only RSA PKCS #1 v1.5 with SHA-256 is supported",
            ));
        }
        if signer.certificate() != self.certificate.der.as_slice() {
            return Err(invalid(
                "signer: its certificate is not the one the signature was prepared with",
            ));
        }
        let signature = signer.sign(&self.request()).map_err(|e| {
            Error::new(ErrorKind::SignerFailed, format!("signer failed: {e}")).with_source(e)
        })?;
        self.finish(&signature)
    }
}
