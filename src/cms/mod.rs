//! CMS SignedData (RFC 5652), detached, as every PEC message carries it in `smime.p7s`
//! (spec 7.1): two-phase signing behind the [`Signer`] trait, and verification of what real
//! providers and OpenSSL send (DER and BER, SHA-256 and SHA-1).
//!
//! ```text
//! SignedData ::= SEQUENCE {
//!   version CMSVersion,                              -- 1
//!   digestAlgorithms SET OF DigestAlgorithmIdentifier,
//!   encapContentInfo EncapsulatedContentInfo,        -- id-data, no eContent: detached
//!   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SET OF SignerInfo }                  -- exactly one for PEC
//! ```
//!
//! Signing is split in two so that any key store fits, blocking or not:
//! [`SigningIdentity::prepare`] returns a [`PendingSignature`] holding the bytes to sign, their
//! digest and DigestInfo; [`PendingSignature::finish`] takes the signature, checks it against
//! the certificate's key, and only then emits the CMS. [`PendingSignature::sign_with`] does
//! both with a [`Signer`]. A [`SigningIdentity`] (certificate and chain, parsed once) serves
//! any number of messages.

mod attrs;
mod sign;
mod signer;
mod verify;

pub use sign::{PendingSignature, SignOptions, SigningIdentity};
#[cfg(feature = "aws-lc")]
pub use signer::AwsLcSigner;
#[cfg(feature = "rsa-signer")]
pub use signer::RsaSigner;
pub use signer::{SignRequest, SignatureAlgorithm, Signer, SignerError};
pub(crate) use verify::verify_detached_with;
pub use verify::{SignatureReport, VerifyOptions, verify_detached};

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;

use crate::crypto::DigestAlgorithm;

/// The `signatureAlgorithm` of a SignerInfo (RSA PKCS #1 v1.5 only).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignatureAlgorithmId {
    /// `rsaEncryption`: the digest is the SignerInfo's `digestAlgorithm`. OpenSSL and the
    /// OpenPEC family write this.
    #[default]
    RsaEncryption,
    /// `sha1WithRSAEncryption` (legacy; verification only).
    Sha1WithRsaEncryption,
    /// `sha256WithRSAEncryption`, as Aruba's current platform writes.
    Sha256WithRsaEncryption,
    /// `sha384WithRSAEncryption` (verification only).
    Sha384WithRsaEncryption,
    /// `sha512WithRSAEncryption` (verification only).
    Sha512WithRsaEncryption,
}

impl SignatureAlgorithmId {
    /// The object identifier.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            SignatureAlgorithmId::RsaEncryption => rfc5912::RSA_ENCRYPTION,
            SignatureAlgorithmId::Sha1WithRsaEncryption => rfc5912::SHA_1_WITH_RSA_ENCRYPTION,
            SignatureAlgorithmId::Sha256WithRsaEncryption => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            SignatureAlgorithmId::Sha384WithRsaEncryption => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
            SignatureAlgorithmId::Sha512WithRsaEncryption => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
        }
    }

    /// The identifier for an object identifier, if accepted.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<SignatureAlgorithmId> {
        [
            SignatureAlgorithmId::RsaEncryption,
            SignatureAlgorithmId::Sha1WithRsaEncryption,
            SignatureAlgorithmId::Sha256WithRsaEncryption,
            SignatureAlgorithmId::Sha384WithRsaEncryption,
            SignatureAlgorithmId::Sha512WithRsaEncryption,
        ]
        .into_iter()
        .find(|a| a.oid() == *oid)
    }

    /// The digest the algorithm fixes; `None` for `rsaEncryption`.
    pub fn digest(self) -> Option<DigestAlgorithm> {
        match self {
            SignatureAlgorithmId::RsaEncryption => None,
            SignatureAlgorithmId::Sha1WithRsaEncryption => Some(DigestAlgorithm::Sha1),
            SignatureAlgorithmId::Sha256WithRsaEncryption => Some(DigestAlgorithm::Sha256),
            SignatureAlgorithmId::Sha384WithRsaEncryption => Some(DigestAlgorithm::Sha384),
            SignatureAlgorithmId::Sha512WithRsaEncryption => Some(DigestAlgorithm::Sha512),
        }
    }
}
