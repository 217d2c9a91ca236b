//! The `Signer` trait and the software signers.

use core::fmt;

/// The signatures a [`Signer`] can produce.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017), the algorithm of PEC provider signatures.
    RsaPkcs1Sha256,
}

/// What a [`Signer`] is asked to sign, in the three forms key stores want.
///
/// - [`message`](Self::message): for hash-and-sign mechanisms (PKCS #11 `CKM_SHA256_RSA_PKCS`,
///   `signature::Signer`, aws-lc `RsaKeyPair::sign`), which hash it themselves.
/// - [`digest`](Self::digest): for remote services that sign a given SHA-256 hash.
/// - [`digest_info`](Self::digest_info): for raw mechanisms (PKCS #11 `CKM_RSA_PKCS`), which
///   only pad and exponentiate.
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub struct SignRequest<'a> {
    /// The signature to produce.
    pub algorithm: SignatureAlgorithm,
    /// The DER of the signed attributes, a `SET OF Attribute` (tag 0x31): the bytes the
    /// signature covers (RFC 5652 section 5.4).
    pub message: &'a [u8],
    /// SHA-256 of `message`.
    pub digest: &'a [u8],
    /// The DER of `DigestInfo { sha256, digest }`.
    pub digest_info: &'a [u8],
}

/// A key that signs PEC messages on behalf of a provider: an HSM, a remote service, a
/// software key.
///
/// Object safe, `Send + Sync`. The crate calls [`sign`](Self::sign) once per message and
/// checks the result against [`certificate`](Self::certificate)'s public key before emitting
/// anything, so a wrong key or a failing device gives an error, never a bad message.
pub trait Signer: Send + Sync {
    /// The signature algorithm this key produces.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// The DER of the signing certificate: its `rfc822Name` is the provider's service
    /// address (spec 7.2).
    fn certificate(&self) -> &[u8];
    /// The DER of the intermediate certificates to embed (the AgID CA, spec 7.2).
    fn chain(&self) -> &[Vec<u8>];
    /// Signs `request` and returns the raw signature value (for RSA, as many bytes as the
    /// modulus).
    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>, SignerError>;

    /// Whether every signature this signer returns is already known to verify with
    /// [`certificate`](Self::certificate)'s key, so that
    /// [`PendingSignature::sign_with`](crate::cms::PendingSignature::sign_with) need not check
    /// it again: the key was proven to match the certificate when the signer was made, and
    /// the implementation verifies each private-key result against fault attacks (AWS-LC and
    /// the `rsa` crate both do). Default `false`, the right answer for any signer the crate
    /// cannot vouch for (an HSM, a remote service); [`AwsLcSigner`] and
    /// [`RsaSigner`](super::RsaSigner) say `true`.
    fn checks_own_signatures(&self) -> bool {
        false
    }
}

/// A [`Signer`]'s failure, keeping the underlying error as its `source()`.
#[derive(thiserror::Error)]
#[error("{message}")]
pub struct SignerError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl SignerError {
    /// A failure described by a message.
    pub fn new(message: impl Into<String>) -> Self {
        SignerError {
            message: message.into(),
            source: None,
        }
    }

    /// A failure caused by another error (the device's, the library's).
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        SignerError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for SignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerError")
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

/// A software RSA key over the pure-Rust `rsa` crate (feature `rsa-signer`), for tests and
/// development. It signs the DigestInfo without blinding, so timing may leak; production
/// providers sign with an HSM (spec: Aruba's manual) or [`AwsLcSigner`](super::AwsLcSigner).
#[cfg(feature = "rsa-signer")]
pub struct RsaSigner {
    key: rsa::PrivateKey,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

#[cfg(feature = "rsa-signer")]
impl RsaSigner {
    /// A signer from a PKCS #8 private key, the certificate and its chain, each DER or PEM
    /// ([`crate::pem`]; a PKCS #1 or encrypted key is refused with what to pass instead).
    pub fn from_pkcs8_der(
        key: &[u8],
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, crate::Error> {
        use rsa::pkcs8::DecodePrivateKey;
        let (key, certificate, chain) = der_inputs(key, certificate, chain)?;
        let key = rsa::PrivateKey::from_pkcs8_der(&key).map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("key: not a PKCS #8 RSA private key: {e}"),
            )
        })?;
        // The key must be the certificate's: then the check the `rsa` crate makes of every
        // signature (it raises the result to the public exponent and compares, against faults
        // in the CRT computation) is a check against the certificate, and `sign_with` need not
        // repeat it.
        use rsa::pkcs1::EncodeRsaPublicKey as _;
        let public = key.to_public_key().to_pkcs1_der().map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("key: its public part does not encode: {e}"),
            )
        })?;
        key_is_the_certificates(public.as_bytes(), &certificate)?;
        Ok(RsaSigner {
            key,
            certificate,
            chain,
        })
    }
}

#[cfg(feature = "rsa-signer")]
impl Signer for RsaSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1Sha256
    }

    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>, SignerError> {
        self.key
            .sign(rsa::Pkcs1v15Sign::new_unprefixed(), request.digest_info)
            .map_err(|e| SignerError::with_source("RSA signing failed", e))
    }

    fn checks_own_signatures(&self) -> bool {
        true
    }
}

/// Refuses a software key whose public part (PKCS #1 `RSAPublicKey` DER) is not the one in
/// `certificate`: a software signer vouches for its own signatures only once this holds.
#[cfg(any(feature = "rsa-signer", feature = "aws-lc"))]
fn key_is_the_certificates(
    public_pkcs1_der: &[u8],
    certificate: &[u8],
) -> Result<(), crate::Error> {
    let public = crate::x509::Cert::from_der(certificate)
        .and_then(|c| c.public_key().cloned())
        .map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("certificate: {}", e.message()),
            )
        })?;
    if public_pkcs1_der != public.pkcs1_der() {
        return Err(crate::Error::new(
            crate::ErrorKind::InvalidInput,
            "key: it is not the key of the certificate",
        ));
    }
    Ok(())
}

#[cfg(feature = "rsa-signer")]
impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaSigner").finish_non_exhaustive()
    }
}

/// A software RSA key over AWS-LC (feature `aws-lc`): constant-time signing with AWS-LC's
/// own blinding. PKCS #1 v1.5 signatures are deterministic, so the output is the same for the
/// same input.
#[cfg(feature = "aws-lc")]
pub struct AwsLcSigner {
    key: aws_lc_rs::rsa::KeyPair,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

#[cfg(feature = "aws-lc")]
impl AwsLcSigner {
    /// A signer from a PKCS #8 DER private key, the DER certificate and its chain.
    pub fn from_pkcs8_der(
        key: &[u8],
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, crate::Error> {
        let (key, certificate, chain) = der_inputs(key, certificate, chain)?;
        let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&key).map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("key: not a PKCS #8 RSA private key: {e}"),
            )
        })?;
        // The key must be the certificate's: then every signature AWS-LC makes (and checks
        // itself) verifies with the certificate, and `sign_with` need not check it again.
        use aws_lc_rs::signature::KeyPair as _;
        key_is_the_certificates(key.public_key().as_ref(), &certificate)?;
        Ok(AwsLcSigner {
            key,
            certificate,
            chain,
        })
    }
}

#[cfg(feature = "aws-lc")]
impl Signer for AwsLcSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1Sha256
    }

    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>, SignerError> {
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        // Signing the digest takes no random source at all (`sign` would ask for one and
        // ignore it): PKCS #1 v1.5 is deterministic, and AWS-LC blinds with its own state.
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, request.message);
        self.key
            .sign_digest(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &digest,
                &mut signature,
            )
            .map_err(|e| SignerError::with_source("AWS-LC RSA signing failed", e))?;
        Ok(signature)
    }

    fn checks_own_signatures(&self) -> bool {
        true
    }
}

#[cfg(feature = "aws-lc")]
impl fmt::Debug for AwsLcSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsLcSigner").finish_non_exhaustive()
    }
}

/// A software signer's PKCS #8 key, certificate and chain, all DER.
#[cfg(any(feature = "rsa-signer", feature = "aws-lc"))]
type DerInputs = (Vec<u8>, Vec<u8>, Vec<Vec<u8>>);

/// The key, certificate and chain of a software signer as DER, each given DER or PEM.
#[cfg(any(feature = "rsa-signer", feature = "aws-lc"))]
fn der_inputs(
    key: &[u8],
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
) -> Result<DerInputs, crate::Error> {
    let key = crate::pem::private_key(key)?.into_owned();
    let certificate = crate::pem::certificate(&certificate)?.into_owned();
    let chain = chain
        .iter()
        .map(|c| crate::pem::certificate(c).map(std::borrow::Cow::into_owned))
        .collect::<Result<_, _>>()?;
    Ok((key, certificate, chain))
}
