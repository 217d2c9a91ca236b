//! The crypto backends behind one seam: digests and RSA PKCS #1 v1.5.
//!
//! Two implementations compute the same functions: the pure-Rust RustCrypto crates (`sha2`,
//! `sha1`, `rsa`; always available) and AWS-LC through `aws-lc-rs` (feature `aws-lc`;
//! constant-time, faster). Every option struct that does crypto takes a [`Backend`]; tests run
//! every crypto operation with each backend that is compiled in.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;

use crate::error::{Error, ErrorKind};

/// Which implementation computes digests and RSA operations.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The pure-Rust RustCrypto crates (`sha2`, `sha1`, `rsa`).
    RustCrypto,
    /// AWS-LC through `aws-lc-rs` (feature `aws-lc`).
    #[cfg(feature = "aws-lc")]
    AwsLc,
}

impl Default for Backend {
    /// AWS-LC when compiled in, RustCrypto otherwise.
    fn default() -> Self {
        #[cfg(feature = "aws-lc")]
        return Backend::AwsLc;
        #[cfg(not(feature = "aws-lc"))]
        return Backend::RustCrypto;
    }
}

impl Backend {
    /// Every backend compiled into this build.
    pub const ALL: &'static [Backend] = &[
        Backend::RustCrypto,
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc,
    ];

    /// A short name: `rustcrypto` or `aws-lc`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => "aws-lc",
        }
    }
}

/// A digest algorithm accepted in signatures and certificates. MD5 and anything else is
/// refused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-1: legacy, still sent by OpenPEC-based providers (spec 7.1).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384 (certificates).
    Sha384,
    /// SHA-512 (certificates).
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's object identifier.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha1 => rfc5912::ID_SHA_1,
            DigestAlgorithm::Sha256 => rfc5912::ID_SHA_256,
            DigestAlgorithm::Sha384 => rfc5912::ID_SHA_384,
            DigestAlgorithm::Sha512 => rfc5912::ID_SHA_512,
        }
    }

    /// The algorithm for an object identifier, if accepted.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
        [
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ]
        .into_iter()
        .find(|d| d.oid() == *oid)
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// The name used in `micalg` (RFC 5751): `sha-1`, `sha-256`, ...
    pub fn micalg(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "sha-1",
            DigestAlgorithm::Sha256 => "sha-256",
            DigestAlgorithm::Sha384 => "sha-384",
            DigestAlgorithm::Sha512 => "sha-512",
        }
    }

    /// The algorithm a `micalg` label names: the RFC 5751 names, and the forms without the
    /// hyphen that some providers write (reported by the split as `smime-micalg-label`).
    pub fn from_micalg(label: &str) -> Option<DigestAlgorithm> {
        [
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ]
        .into_iter()
        .find(|d| label == d.micalg() || label.eq(&d.micalg().replace('-', "")))
    }

    /// The DER of `DigestInfo { algorithm, digest }` (RFC 8017 section 9.2), the value a raw
    /// RSA PKCS #1 v1.5 operation pads and exponentiates.
    pub fn digest_info(self, digest: &[u8]) -> Vec<u8> {
        // The fixed prefixes of RFC 8017 section 9.2, note 1 (parameters NULL).
        let prefix: &[u8] = match self {
            DigestAlgorithm::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            DigestAlgorithm::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            DigestAlgorithm::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            DigestAlgorithm::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        };
        let mut out = Vec::with_capacity(prefix.len() + digest.len());
        out.extend_from_slice(prefix);
        out.extend_from_slice(digest);
        out
    }
}

impl core::fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        })
    }
}

/// Computes a digest with the given backend.
pub(crate) fn digest(backend: Backend, alg: DigestAlgorithm, data: &[u8]) -> Vec<u8> {
    match backend {
        Backend::RustCrypto => {
            use sha2::Digest as _;
            match alg {
                DigestAlgorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
                DigestAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
                DigestAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
                DigestAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
            }
        }
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc => {
            use aws_lc_rs::digest as d;
            let algorithm = match alg {
                DigestAlgorithm::Sha1 => &d::SHA1_FOR_LEGACY_USE_ONLY,
                DigestAlgorithm::Sha256 => &d::SHA256,
                DigestAlgorithm::Sha384 => &d::SHA384,
                DigestAlgorithm::Sha512 => &d::SHA512,
            };
            d::digest(algorithm, data).as_ref().to_vec()
        }
    }
}

/// An incremental SHA-256, for hashing content while it is written.
pub(crate) enum Sha256 {
    RustCrypto(sha2::Sha256),
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc_rs::digest::Context),
}

impl Sha256 {
    pub(crate) fn new(backend: Backend) -> Self {
        match backend {
            Backend::RustCrypto => {
                use sha2::Digest as _;
                Sha256::RustCrypto(sha2::Sha256::new())
            }
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                Sha256::AwsLc(aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256))
            }
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Sha256::RustCrypto(h) => {
                use sha2::Digest as _;
                h.update(data)
            }
            #[cfg(feature = "aws-lc")]
            Sha256::AwsLc(h) => h.update(data),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            Sha256::RustCrypto(h) => {
                use sha2::Digest as _;
                h.finalize().to_vec()
            }
            #[cfg(feature = "aws-lc")]
            Sha256::AwsLc(h) => h.finish().as_ref().to_vec(),
        }
    }
}

/// An RSA public key, parsed for the backend that uses it.
#[derive(Clone)]
pub(crate) struct RsaPublicKey {
    /// The PKCS #1 DER, which AWS-LC parses itself for other digests than SHA-256.
    der: Vec<u8>,
    /// The modulus size, read from the DER.
    bits: usize,
    /// The `rsa` crate's form, built on first use by the RustCrypto backend only: building it
    /// costs more than an AWS-LC verification (Montgomery parameters).
    key: std::sync::OnceLock<Option<rsa::PublicKey>>,
    /// AWS-LC's parsed form for SHA-256, the digest of every signature this crate makes.
    #[cfg(feature = "aws-lc")]
    aws_sha256: Option<aws_lc_rs::signature::ParsedPublicKey>,
}

impl RsaPublicKey {
    /// Reads a `SubjectPublicKeyInfo` that must hold an `rsaEncryption` key.
    pub(crate) fn from_spki(spki: &spki::SubjectPublicKeyInfoRef<'_>) -> Result<Self, Error> {
        if spki.algorithm.oid != rfc5912::RSA_ENCRYPTION {
            return Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "the public key is {}, not RSA (only RSA is supported)",
                    spki.algorithm.oid
                ),
            ));
        }
        let der = spki.subject_public_key.raw_bytes().to_vec();
        let malformed = |e: &dyn core::fmt::Display| {
            Error::new(
                ErrorKind::MalformedCms,
                format!("the RSA public key does not decode: {e}"),
            )
        };
        use der::Decode;
        let parsed = rsa::pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(&der)
            .map_err(|e| malformed(&e))?;
        let modulus = parsed.modulus.as_bytes();
        let bits = match modulus.first() {
            Some(&first) => modulus.len() * 8 - first.leading_zeros() as usize,
            None => return Err(malformed(&"an empty modulus")),
        };
        if parsed.public_exponent.as_bytes().is_empty() {
            return Err(malformed(&"an empty exponent"));
        }
        Ok(RsaPublicKey {
            #[cfg(feature = "aws-lc")]
            aws_sha256: aws_lc_rs::signature::ParsedPublicKey::new(
                &aws_lc_rs::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                &der,
            )
            .ok(),
            der,
            bits,
            key: std::sync::OnceLock::new(),
        })
    }

    /// The modulus size in bits.
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    /// The modulus size in bytes: the length of every signature.
    pub(crate) fn modulus_len(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// The PKCS #1 `RSAPublicKey` DER.
    #[cfg(any(feature = "rsa-signer", feature = "aws-lc"))]
    pub(crate) fn pkcs1_der(&self) -> &[u8] {
        &self.der
    }

    /// The `rsa` crate's key, built once.
    fn rust_crypto(&self) -> Result<&rsa::PublicKey, Error> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        self.key
            .get_or_init(|| rsa::PublicKey::from_pkcs1_der(&self.der).ok())
            .as_ref()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::MalformedCms,
                    "the RSA public key does not decode for the RustCrypto backend",
                )
            })
    }

    /// Verifies an RSASSA-PKCS1-v1_5 signature of `message` hashed with `alg`.
    pub(crate) fn verify(
        &self,
        backend: Backend,
        alg: DigestAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let invalid = || {
            Error::new(
                ErrorKind::SignatureInvalid,
                format!("the RSA signature ({alg}) does not verify with the public key"),
            )
        };
        match backend {
            Backend::RustCrypto => {
                let info = alg.digest_info(&digest(backend, alg, message));
                self.rust_crypto()?
                    .verify(rsa::Pkcs1v15Sign::new_unprefixed(), &info, signature)
                    .map_err(|_| invalid())
            }
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                use aws_lc_rs::signature as s;
                if let (DigestAlgorithm::Sha256, Some(parsed)) = (alg, &self.aws_sha256) {
                    return parsed.verify_sig(message, signature).map_err(|_| invalid());
                }
                let params: &s::RsaParameters = match alg {
                    DigestAlgorithm::Sha1 => &s::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                    DigestAlgorithm::Sha256 => &s::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                    DigestAlgorithm::Sha384 => &s::RSA_PKCS1_2048_8192_SHA384,
                    DigestAlgorithm::Sha512 => &s::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                };
                s::UnparsedPublicKey::new(params, &self.der)
                    .verify(message, signature)
                    .map_err(|_| invalid())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_agree_on_digests() {
        let data = b"pecmail";
        for alg in [
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let reference = digest(Backend::RustCrypto, alg, data);
            assert_eq!(reference.len(), alg.output_len());
            for b in Backend::ALL {
                assert_eq!(digest(*b, alg, data), reference, "{alg} {b:?}");
            }
            assert_eq!(DigestAlgorithm::from_oid(&alg.oid()), Some(alg));
            if alg == DigestAlgorithm::Sha256 {
                for b in Backend::ALL {
                    let mut h = Sha256::new(*b);
                    h.update(&data[..3]);
                    h.update(&data[3..]);
                    assert_eq!(h.finish(), reference, "incremental {b:?}");
                }
            }
            // The DigestInfo prefix announces the right length.
            let info = alg.digest_info(&reference);
            assert_eq!(usize::from(info[1]) + 2, info.len());
        }
        assert_eq!(
            digest(Backend::RustCrypto, DigestAlgorithm::Sha256, b"abc")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(DigestAlgorithm::from_oid(&rfc5912::ID_MD_5), None);
    }
}
