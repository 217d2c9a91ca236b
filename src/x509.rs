//! X.509 certificates as the verifier needs them: raw pieces for exact comparisons and
//! signatures, parsed extensions for the provider profile and path checks (spec 7.2).

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, KeyUsage, KeyUsages,
    NameConstraints, SubjectAltName, SubjectKeyIdentifier,
};

use crate::ber::{self, Tlv};
use crate::crypto::{self, Backend, DigestAlgorithm, RsaPublicKey};
use crate::error::{Error, ErrorKind};
use crate::time::PecTime;

/// What a certificate says, for reports: who, by whom, which addresses, when, and its
/// fingerprints (upper-case hex without separators, as the provider index writes them).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// The issuer distinguished name (RFC 4514 form).
    pub issuer: String,
    /// The serial number, hex.
    pub serial: String,
    /// SHA-1 of the DER, the `providerCertificateHash` of the provider index (spec 8).
    pub sha1_fingerprint: String,
    /// SHA-256 of the DER.
    pub sha256_fingerprint: String,
    /// The `rfc822Name` entries of subjectAltName: for a provider, its service address.
    pub email_addresses: Vec<String>,
    /// Start of validity (UTC).
    pub not_before: PecTime,
    /// End of validity (UTC).
    pub not_after: PecTime,
    /// The certificate, DER as received.
    pub der: Vec<u8>,
}

impl CertificateInfo {
    /// Describes a certificate (DER, or PEM with one block: [`crate::pem`]): a provider
    /// certificate of the index (spec 7.2, 8), say. Fails with [`ErrorKind::MalformedCms`]
    /// when it does not decode.
    pub fn from_der(der: &[u8]) -> Result<CertificateInfo, Error> {
        Ok(Cert::from_der(&crate::pem::certificate(der)?)?.info())
    }
}

/// A distinguished name in RFC 4514 form, exactly as `x509_cert`'s `Display` writes it, but
/// with the attribute types certificates use most looked up directly: `Display` searches the
/// whole OID database for every attribute, which made name formatting a third of the time
/// of reading a receipt.
pub(crate) fn name_string(name: &x509_cert::name::Name) -> String {
    use const_oid::db::rfc4519;
    use core::fmt::Write as _;
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.into_iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let short = match atv.oid {
                rfc4519::CN => Some("CN"),
                rfc4519::C => Some("C"),
                rfc4519::L => Some("L"),
                rfc4519::ST => Some("ST"),
                rfc4519::O => Some("O"),
                rfc4519::OU => Some("OU"),
                _ => None,
            };
            match short {
                Some(key) if string_value(&atv.value).is_some() => {
                    out.push_str(key);
                    out.push('=');
                    escape_value(string_value(&atv.value).unwrap_or(""), &mut out);
                }
                // Anything else as `x509_cert` writes it.
                _ => {
                    let _ = write!(out, "{atv}");
                }
            }
        }
    }
    out
}

/// The text of a directory string value (the types `x509_cert` displays as text).
fn string_value(value: &der::Any) -> Option<&str> {
    use der::Tagged;
    use der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
    match value.tag() {
        der::Tag::PrintableString => PrintableStringRef::try_from(value).ok().map(|s| s.as_str()),
        der::Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str()),
        der::Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str()),
        der::Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str()),
        _ => None,
    }
}

/// RFC 4514 section 2.4 escaping, as `x509_cert` does it.
fn escape_value(value: &str, out: &mut String) {
    use core::fmt::Write as _;
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || chars.peek().is_none() => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\x00'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\{:02x}", c as u8);
            }
            _ => out.push(c),
        }
    }
}

/// A certificate held with its raw DER and the ranges of the pieces verification needs.
#[derive(Clone)]
pub(crate) struct Cert {
    pub der: Vec<u8>,
    pub parsed: Certificate,
    tbs: Range<usize>,
    issuer: Range<usize>,
    subject: Range<usize>,
    serial: Range<usize>,
    sig_alg: ObjectIdentifier,
    signature: Vec<u8>,
    /// Whether `tbsCertificate.signature` is byte for byte the outer `signatureAlgorithm`
    /// (RFC 5280 4.1.1.2: it MUST be the same).
    pub algorithms_agree: bool,
    /// What is computed once per certificate: a store keeps certificates across messages.
    sha1_memo: OnceLock<Vec<u8>>,
    sha256_memo: OnceLock<Vec<u8>>,
    info_memo: OnceLock<CertificateInfo>,
    subject_memo: OnceLock<String>,
    memo: ExtensionMemo,
    key_memo: OnceLock<Result<RsaPublicKey, (ErrorKind, String)>>,
    /// Set once a trust store keeps this certificate: asking again costs no lookup.
    pub(crate) kept: OnceLock<()>,
    /// The nameConstraints extension, or the message of why it does not decode.
    constraints_memo: OnceLock<Result<Option<NameConstraints>, String>>,
}

/// The extensions the checks read on every assessment, decoded once (an error as its
/// message).
#[derive(Clone, Default)]
struct ExtensionMemo {
    emails: Remembered<Vec<String>>,
    key_usage: Remembered<Option<KeyUsage>>,
    eku: Remembered<Option<Vec<ObjectIdentifier>>>,
    basic: Remembered<Option<(bool, Option<u8>)>>,
    ski: Remembered<Option<Vec<u8>>>,
    aki: Remembered<Option<Vec<u8>>>,
}

/// A value computed once, or the message of why it could not be.
type Remembered<T> = OnceLock<Result<T, String>>;

/// Where the certificates of a message come from, parsed: each time (the default), or from
/// a [`TrustStore`](crate::trust::TrustStore) that keeps what it parsed before, so that the
/// provider certificates every receipt carries are decoded once.
pub(crate) trait CertSource {
    /// The certificate of this DER.
    fn cert(&self, der: &[u8]) -> Result<Arc<Cert>, Error>;
}

/// Parses every time.
pub(crate) struct Parse;

impl CertSource for Parse {
    fn cert(&self, der: &[u8]) -> Result<Arc<Cert>, Error> {
        Cert::from_der(der).map(Arc::new)
    }
}

fn bad_cert(what: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::MalformedCms,
        format!("certificate: {}", what.into()),
    )
}

/// A remembered certificate error, as an error again.
fn bad_cert_text(message: String) -> Error {
    Error::new(ErrorKind::MalformedCms, message)
}

fn range_in(base: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    start..start + part.len()
}

/// The digest a certificate signature algorithm uses; RSA PKCS #1 v1.5 only.
pub(crate) fn rsa_signature_digest(oid: &ObjectIdentifier) -> Result<DigestAlgorithm, Error> {
    match *oid {
        rfc5912::SHA_1_WITH_RSA_ENCRYPTION => Ok(DigestAlgorithm::Sha1),
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => Ok(DigestAlgorithm::Sha256),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => Ok(DigestAlgorithm::Sha384),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => Ok(DigestAlgorithm::Sha512),
        rfc5912::MD_5_WITH_RSA_ENCRYPTION => Err(Error::new(
            ErrorKind::UnsupportedAlgorithm,
            "md5WithRSAEncryption is refused",
        )),
        other => Err(Error::new(
            ErrorKind::UnsupportedAlgorithm,
            format!("signature algorithm {other} is not supported (RSA PKCS #1 v1.5 only)"),
        )),
    }
}

impl Cert {
    /// Reads a certificate from its DER (BER tolerated for the outer structure).
    pub(crate) fn from_der(der: &[u8]) -> Result<Cert, Error> {
        let outer = Tlv::parse_all(der)?;
        let mut parts = outer.expect(ber::SEQUENCE, "certificate")?;
        let tbs = parts.required("tbsCertificate")?;
        let sig_alg_tlv = parts.required("signatureAlgorithm")?;
        let sig = parts.required("signatureValue")?;
        parts.end("certificate")?;

        let mut fields = tbs.expect(ber::SEQUENCE, "tbsCertificate")?;
        let _version = fields.optional(0xa0)?;
        let serial = fields.required("serialNumber")?;
        if serial.tag != ber::INTEGER {
            return Err(bad_cert("serialNumber is not an INTEGER"));
        }
        let inner_alg = fields.required("signature")?;
        let issuer = fields.required("issuer")?;
        let _validity = fields.required("validity")?;
        let subject = fields.required("subject")?;

        let sig_alg = sig_alg_tlv
            .expect(ber::SEQUENCE, "signatureAlgorithm")?
            .required("algorithm")?
            .oid("signatureAlgorithm")?;
        if sig.tag != ber::BIT_STRING || sig.content.first() != Some(&0) {
            return Err(bad_cert(
                "signatureValue is not a BIT STRING of whole bytes",
            ));
        }
        let signature = sig.content.get(1..).unwrap_or(&[]).to_vec();

        let parsed = Certificate::from_der(der)
            .or_else(|_| Certificate::from_ber(der))
            .map_err(|e| bad_cert(format!("does not decode: {e}")))?;
        Ok(Cert {
            der: der.to_vec(),
            tbs: range_in(der, tbs.raw),
            issuer: range_in(der, issuer.raw),
            subject: range_in(der, subject.raw),
            serial: range_in(der, serial.content),
            sig_alg,
            signature,
            algorithms_agree: inner_alg.raw == sig_alg_tlv.raw,
            parsed,
            sha1_memo: OnceLock::new(),
            sha256_memo: OnceLock::new(),
            info_memo: OnceLock::new(),
            subject_memo: OnceLock::new(),
            memo: ExtensionMemo::default(),
            key_memo: OnceLock::new(),
            kept: OnceLock::new(),
            constraints_memo: OnceLock::new(),
        })
    }

    /// The issuer Name, raw.
    pub(crate) fn issuer_raw(&self) -> &[u8] {
        self.der.get(self.issuer.clone()).unwrap_or(&[])
    }

    /// The subject Name, raw.
    pub(crate) fn subject_raw(&self) -> &[u8] {
        self.der.get(self.subject.clone()).unwrap_or(&[])
    }

    /// The serial number INTEGER content, raw.
    pub(crate) fn serial_raw(&self) -> &[u8] {
        self.der.get(self.serial.clone()).unwrap_or(&[])
    }

    /// The RSA public key.
    /// The RSA public key, parsed once (with the backends' own forms, built as they are
    /// first used).
    pub(crate) fn public_key(&self) -> Result<&RsaPublicKey, Error> {
        self.key_memo
            .get_or_init(|| {
                self.parse_public_key()
                    .map_err(|e| (e.kind(), e.message().to_owned()))
            })
            .as_ref()
            .map_err(|(kind, message)| Error::new(*kind, message.clone()))
    }

    fn parse_public_key(&self) -> Result<RsaPublicKey, Error> {
        let spki = self.parsed.tbs_certificate().subject_public_key_info();
        let der = spki
            .to_der()
            .map_err(|e| bad_cert(format!("public key: {e}")))?;
        let spki_ref = spki::SubjectPublicKeyInfoRef::from_der(&der)
            .map_err(|e| bad_cert(format!("public key: {e}")))?;
        RsaPublicKey::from_spki(&spki_ref)
    }

    /// Checks that `issuer`'s key signed this certificate, and returns the digest used.
    pub(crate) fn verify_signed_by(
        &self,
        issuer: &Cert,
        backend: Backend,
        min_rsa_bits: usize,
    ) -> Result<DigestAlgorithm, Error> {
        let alg = rsa_signature_digest(&self.sig_alg)?;
        let key = issuer.key_of_at_least(min_rsa_bits)?;
        let tbs = self.der.get(self.tbs.clone()).unwrap_or(&[]);
        key.verify(backend, alg, tbs, &self.signature)?;
        Ok(alg)
    }

    /// The RSA key, refused with [`ErrorKind::UnsupportedAlgorithm`] when shorter than
    /// `min_rsa_bits`: what verifying anything this certificate signed first asks.
    pub(crate) fn key_of_at_least(&self, min_rsa_bits: usize) -> Result<&RsaPublicKey, Error> {
        let key = self.public_key()?;
        if key.bits() < min_rsa_bits {
            return Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "the key of {} has {} bits, below the minimum of {min_rsa_bits}",
                    self.subject_string(),
                    key.bits()
                ),
            ));
        }
        Ok(key)
    }

    /// Validity as Unix seconds: (not before, not after).
    pub(crate) fn validity(&self) -> (i64, i64) {
        let v = self.parsed.tbs_certificate().validity();
        let secs = |t: &x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        (secs(&v.not_before), secs(&v.not_after))
    }

    pub(crate) fn sha1(&self) -> Vec<u8> {
        self.sha1_memo
            .get_or_init(|| crypto::digest(Backend::RustCrypto, DigestAlgorithm::Sha1, &self.der))
            .clone()
    }

    pub(crate) fn digest(&self, alg: DigestAlgorithm) -> Vec<u8> {
        match alg {
            DigestAlgorithm::Sha1 => self.sha1(),
            DigestAlgorithm::Sha256 => self
                .sha256_memo
                .get_or_init(|| crypto::digest(Backend::RustCrypto, alg, &self.der))
                .clone(),
            _ => crypto::digest(Backend::RustCrypto, alg, &self.der),
        }
    }

    fn extension<'a, T: der::Decode<'a> + const_oid::AssociatedOid>(
        &'a self,
        what: &str,
    ) -> Result<Option<(bool, T)>, Error> {
        self.parsed
            .tbs_certificate()
            .get_extension::<T>()
            .map_err(|_| bad_cert(format!("the {what} extension is malformed or repeated")))
    }

    /// The `rfc822Name` entries of subjectAltName.
    pub(crate) fn email_addresses(&self) -> Result<Vec<String>, Error> {
        self.memo
            .emails
            .get_or_init(|| {
                Ok(self
                    .extension::<SubjectAltName>("subjectAltName")
                    .map_err(|e| e.message().to_owned())?
                    .map(|(_, san)| {
                        san.0
                            .iter()
                            .filter_map(|n| match n {
                                GeneralName::Rfc822Name(s) => Some(s.as_str().to_owned()),
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default())
            })
            .clone()
            .map_err(bad_cert_text)
    }

    /// Every subjectAltName entry.
    pub(crate) fn alt_names(&self) -> Result<Vec<GeneralName>, Error> {
        Ok(self
            .extension::<SubjectAltName>("subjectAltName")?
            .map(|(_, san)| san.0)
            .unwrap_or_default())
    }

    /// keyUsage, when present.
    pub(crate) fn key_usage(&self) -> Result<Option<KeyUsage>, Error> {
        self.memo
            .key_usage
            .get_or_init(|| {
                self.extension::<KeyUsage>("keyUsage")
                    .map(|k| k.map(|(_, k)| k))
                    .map_err(|e| e.message().to_owned())
            })
            .clone()
            .map_err(bad_cert_text)
    }

    /// Whether keyUsage, when present, has this bit.
    pub(crate) fn allows(&self, usage: KeyUsages) -> Result<bool, Error> {
        Ok(self.key_usage()?.is_none_or(|k| k.0.contains(usage)))
    }

    /// extendedKeyUsage, when present: its purposes.
    pub(crate) fn extended_key_usage(&self) -> Result<Option<Vec<ObjectIdentifier>>, Error> {
        self.memo
            .eku
            .get_or_init(|| {
                self.extension::<x509_cert::ext::pkix::ExtendedKeyUsage>("extendedKeyUsage")
                    .map(|e| e.map(|(_, e)| e.0))
                    .map_err(|e| e.message().to_owned())
            })
            .clone()
            .map_err(bad_cert_text)
    }

    /// The digest of the signature over this certificate (its issuer's choice).
    pub(crate) fn signature_digest(&self) -> Result<DigestAlgorithm, Error> {
        rsa_signature_digest(&self.sig_alg)
    }

    /// basicConstraints: (cA, pathLenConstraint), when present.
    pub(crate) fn basic_constraints(&self) -> Result<Option<(bool, Option<u8>)>, Error> {
        self.memo
            .basic
            .get_or_init(|| {
                self.extension::<BasicConstraints>("basicConstraints")
                    .map(|b| b.map(|(_, b)| (b.ca, b.path_len_constraint)))
                    .map_err(|e| e.message().to_owned())
            })
            .clone()
            .map_err(bad_cert_text)
    }

    /// nameConstraints, when present.
    pub(crate) fn name_constraints(&self) -> Result<Option<NameConstraints>, Error> {
        self.constraints_memo
            .get_or_init(|| {
                self.extension::<NameConstraints>("nameConstraints")
                    .map(|c| c.map(|(_, n)| n))
                    .map_err(|e| e.message().to_owned())
            })
            .clone()
            .map_err(bad_cert_text)
    }

    /// The certificate policy identifiers.
    pub(crate) fn policies(&self) -> Result<Vec<ObjectIdentifier>, Error> {
        Ok(self
            .extension::<CertificatePolicies>("certificatePolicies")?
            .map(|(_, p)| p.0.iter().map(|i| i.policy_identifier).collect())
            .unwrap_or_default())
    }

    pub(crate) fn subject_key_id(&self) -> Result<Option<Vec<u8>>, Error> {
        self.memo
            .ski
            .get_or_init(|| {
                self.extension::<SubjectKeyIdentifier>("subjectKeyIdentifier")
                    .map(|s| s.map(|(_, s)| s.0.as_bytes().to_vec()))
                    .map_err(|e| e.message().to_owned())
            })
            .clone()
            .map_err(bad_cert_text)
    }

    pub(crate) fn authority_key_id(&self) -> Result<Option<Vec<u8>>, Error> {
        self.memo
            .aki
            .get_or_init(|| {
                self.extension::<AuthorityKeyIdentifier>("authorityKeyIdentifier")
                    .map(|a| a.and_then(|(_, a)| a.key_identifier.map(|k| k.as_bytes().to_vec())))
                    .map_err(|e| e.message().to_owned())
            })
            .clone()
            .map_err(bad_cert_text)
    }

    /// Critical extensions this verifier does not process; RFC 5280 says to refuse them.
    pub(crate) fn unknown_critical_extensions(&self) -> Vec<ObjectIdentifier> {
        use const_oid::db::rfc5280 as e;
        let known = [
            e::ID_CE_KEY_USAGE,
            e::ID_CE_BASIC_CONSTRAINTS,
            e::ID_CE_NAME_CONSTRAINTS,
            e::ID_CE_SUBJECT_ALT_NAME,
            e::ID_CE_EXT_KEY_USAGE,
            e::ID_CE_CERTIFICATE_POLICIES,
            e::ID_CE_SUBJECT_KEY_IDENTIFIER,
            e::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        ];
        self.parsed
            .tbs_certificate()
            .extensions()
            .map(|exts| {
                exts.iter()
                    .filter(|x| x.critical && !known.contains(&x.extn_id))
                    .map(|x| x.extn_id)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn subject_string(&self) -> String {
        self.subject_memo
            .get_or_init(|| name_string(self.parsed.tbs_certificate().subject()))
            .clone()
    }

    /// The report form.
    pub(crate) fn info(&self) -> CertificateInfo {
        self.info_memo.get_or_init(|| self.make_info()).clone()
    }

    fn make_info(&self) -> CertificateInfo {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
        let tbs = self.parsed.tbs_certificate();
        let (nb, na) = self.validity();
        CertificateInfo {
            subject: name_string(tbs.subject()),
            issuer: name_string(tbs.issuer()),
            serial: hex(self.serial_raw()),
            sha1_fingerprint: hex(&self.sha1()),
            sha256_fingerprint: hex(&self.digest(DigestAlgorithm::Sha256)),
            email_addresses: self.email_addresses().unwrap_or_default(),
            not_before: PecTime::utc_saturating(nb),
            not_after: PecTime::utc_saturating(na),
            der: self.der.clone(),
        }
    }
}

impl core::fmt::Debug for Cert {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Cert")
            .field("subject", &self.subject_string())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use x509_cert::name::Name;

    #[test]
    fn names_are_written_as_x509_cert_writes_them() {
        for der in [
            &include_bytes!("../tests/fixtures/pki/alfa.der")[..],
            include_bytes!("../tests/fixtures/pki/ca1.der"),
            include_bytes!("../tests/fixtures/pki/root.der"),
            include_bytes!("../tests/fixtures/pki/personal.der"),
        ] {
            let cert = Cert::from_der(der).unwrap();
            let tbs = cert.parsed.tbs_certificate();
            assert_eq!(name_string(tbs.subject()), tbs.subject().to_string());
            assert_eq!(name_string(tbs.issuer()), tbs.issuer().to_string());
        }
        for text in [
            "CN=a\\,b+O=x,C=IT",
            "CN=\\#lead,O=trail\\ ,OU=\\ both\\ ",
            "CN=quote\\\"semi\\;lt\\<gt\\>back\\\\slash,L=Roma,ST=RM",
            "SERIALNUMBER=IT-123,CN=Mario Rossi,2.5.4.97=#0c0e56415449542d3031383739303230",
            "CN=Posta Certificata,O=Aruba PEC S.p.A.,C=IT",
        ] {
            let name = Name::from_str(text).unwrap();
            assert_eq!(name_string(&name), name.to_string(), "{text}");
        }
    }
}
