//! `TrustStore`: which signers are PEC providers (spec 6.2, 7.2, 8), at the caller's time.
//!
//! A provider receiving a PEC message checks that its signer is a provider: "computing the
//! certificate's SHA-1 hash, hex-encoding it and searching `providerCertificateHash`", then
//! comparing the full certificate, in its copy of the provider index (Indice dei gestori).
//! Anyone else (clients, archives, courts) has no access to the index; the practical
//! equivalent is a chain to the AgID CA that issues provider certificates, whose name
//! constraints list the providers' mail domains.
//!
//! A store holds both kinds of knowledge: [`Provider`]s (name, certificates, managed domains,
//! service address), trust anchors with optional intermediates, and the revocation
//! information the caller fetched (CRLs, OCSP responses: the crate does no I/O).
//! [`TrustStore::assess`] maps a signer to a [`TrustReport`] with a [`TrustVerdict`], never a
//! bare yes or no.
//!
//! **The time is the caller's** ([`ValidationTime`]), as webpki's `verify_for_usage` takes
//! the time from its caller and `openssl cms -verify` uses the clock: the times a message
//! carries are chosen by whoever holds the key, so a key whose certificate expired (or was
//! stolen) could otherwise date its forgeries inside the validity. Validating at the claimed
//! time is an explicit choice, for archives, and its verdict says so
//! ([`TrustVerdict::TrustedAtClaimedTime`], never plain [`TrustVerdict::Trusted`]).
//!
//! Checks (the path validation is in `path.rs`):
//! - **index**: SHA-1 of the certificate, then the full DER, against every provider's
//!   certificates; then the validity period. **The index is the revocation mechanism of this
//!   path**: a provider removed from it is no longer trusted; CRLs and OCSP responses are
//!   applied only where a chain to an anchor is also built;
//! - **chain** (when anchors are configured; also for index matches): issuer names and
//!   signatures up to an anchor, the same algorithm inside and outside each certificate
//!   (RFC 5280 4.1.1.2), validity of every certificate, CA basic constraints and path
//!   lengths on issuers, `keyCertSign` on issuers that have key usage, an extended key usage
//!   that allows e-mail protection where there is one, unknown critical extensions refused,
//!   name constraints (`rfc822Name` against the leaf's addresses, `directoryName` against
//!   subject names) of every issuer including the anchor; certificates signed with SHA-1 are
//!   reported (`trust-sha1-certificate`) or refused ([`TrustOptions::refuse_sha1_certificates`]);
//! - **provider profile**: on every path, an extended key usage (when present) that allows
//!   `emailProtection` and `rfc822Name` entries that are each one valid mailbox; on the chain
//!   path also key usage with `digitalSignature`, an `rfc822Name`, not a CA, and the PEC
//!   provider policy (1.3.76.16.3.1.1, configurable);
//! - **revocation** (chain path): CRLs (RFC 5280 section 5) and OCSP responses (RFC 6960)
//!   given to the store, each taken only when its issuer's signature verifies, under a
//!   [`RevocationPolicy`].
//!
//! The provider index itself, as LDIF, is read by [`ProviderIndex::parse`].

mod crl;
mod index;
mod ocsp;
mod path;
mod revocation;

pub use index::{IndexOptions, ProviderIndex};
pub use revocation::{RevocationPolicy, RevocationReport, RevocationStatus};

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use const_oid::ObjectIdentifier;

use crate::cms::SignatureReport;
use crate::crypto::{Backend, DigestAlgorithm};
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::time::PecTime;
use crate::x509::{Cert, CertSource, CertificateInfo};

/// The certificate policy of PEC provider signing certificates (AgID).
pub const PEC_PROVIDER_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.76.16.3.1.1");

/// The longest chain followed, leaf and anchor included.
const MAX_CHAIN: usize = 8;

/// The most certificate signatures the store remembers as verified (see [`TrustStore`]).
const MAX_CACHED_SIGNATURES: usize = 4096;

/// The most parsed certificates the store keeps, and their most DER bytes (see
/// [`TrustStore`]).
const MAX_CACHED_CERTIFICATES: usize = 1024;
const MAX_CACHED_BYTES: usize = 4 << 20;

/// When a signer is judged (design principle 8: the caller's time, never the message's).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationTime {
    /// At this time, which the caller establishes: its clock now, or for an archive the
    /// time it received or time-stamped the message.
    At(PecTime),
    /// At the time the message claims it was signed: the CMS `signingTime`, else the
    /// daticert `data`. For archives that must say whether a message was trustworthy when
    /// it claims to have been made. Whoever holds the key chooses that time, so a signer
    /// that verifies then is [`TrustVerdict::TrustedAtClaimedTime`], never
    /// [`TrustVerdict::Trusted`], and such a message is not
    /// [`is_valid`](crate::read::PecMessage::is_valid).
    Claimed,
}

impl From<PecTime> for ValidationTime {
    fn from(t: PecTime) -> Self {
        ValidationTime::At(t)
    }
}

/// Which time a [`TrustReport`] was made at.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBasis {
    /// The caller's ([`ValidationTime::At`]).
    Caller,
    /// The message's claim ([`ValidationTime::Claimed`]).
    Claimed,
}

/// A PEC provider as the provider index describes it (spec 8).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// `providerName`: the provider's name, as in `gestore-emittente`.
    pub name: String,
    /// `providerCertificate`: its signing certificates, DER (several during a rollover).
    pub certificates: Vec<Vec<u8>>,
    /// `managedDomains`: the PEC mail domains it manages.
    pub domains: Vec<String>,
    /// `mailReceipt`: the service mailbox for taking-in-charge receipts and virus notices.
    pub service_address: Option<String>,
    /// `providerUnit`: the secondary environment this entry describes, if it is one.
    pub unit: Option<String>,
    /// `LDIFLocationURL`: where the provider publishes its LDIF.
    pub ldif_location: Option<String>,
}

impl Provider {
    /// A provider with a name and nothing else yet.
    pub fn new(name: impl Into<String>) -> Self {
        Provider {
            name: name.into(),
            certificates: Vec::new(),
            domains: Vec::new(),
            service_address: None,
            unit: None,
            ldif_location: None,
        }
    }

    /// Adds a signing certificate (DER).
    pub fn with_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.certificates.push(der.into());
        self
    }

    /// Adds a managed domain.
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domains.push(domain.into());
        self
    }

    /// Sets the service address.
    pub fn with_service_address(mut self, address: impl Into<String>) -> Self {
        self.service_address = Some(address.into());
        self
    }

    /// Whether the provider manages `domain` (compared without case, spec 2.2.1).
    pub fn manages(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }
}

/// Options of [`TrustStore::assess`].
/// Options of [`TrustStore::assess`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustOptions {
    /// The backend that verifies certificate signatures.
    pub backend: Backend,
    /// The smallest RSA key accepted in the chain, in bits. Default: 2048.
    pub min_rsa_bits: usize,
    /// The policy a provider certificate must carry on the chain path; `None` skips the
    /// check. Default: [`PEC_PROVIDER_POLICY`].
    pub provider_policy: Option<ObjectIdentifier>,
    /// Refuse a chain with a certificate signed with SHA-1 (verdict
    /// [`TrustVerdict::InvalidChain`]); otherwise it is reported as `trust-sha1-certificate`.
    /// Default: off (providers' certificates of before 2016 are SHA-1; the AgID CA moved to
    /// SHA-256).
    pub refuse_sha1_certificates: bool,
    /// What revocation information is needed. Default: [`RevocationPolicy::UseGiven`].
    pub revocation: RevocationPolicy,
}

impl Default for TrustOptions {
    fn default() -> Self {
        TrustOptions {
            backend: Backend::default(),
            min_rsa_bits: 2048,
            provider_policy: Some(PEC_PROVIDER_POLICY),
            refuse_sha1_certificates: false,
            revocation: RevocationPolicy::default(),
        }
    }
}

/// The outcome of a trust assessment.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrustVerdict {
    /// A provider's certificate, valid at the caller's time.
    Trusted,
    /// A provider's certificate that was valid at the time the message claims
    /// ([`ValidationTime::Claimed`]): the caller asked for that time, and the verdict keeps
    /// saying so. Not a proof: whoever held the key chose the claimed time.
    TrustedAtClaimedTime,
    /// A certificate of the path had expired at the time given.
    Expired,
    /// A certificate of the path was not yet valid at the time given.
    NotYetValid,
    /// Not in the provider index, and no chain to a configured anchor.
    UnknownIssuer,
    /// The chain is broken by an issuer's name constraints (the certificate names an address
    /// or organisation its CA may not certify).
    NameConstraintViolation,
    /// The chain is valid, but the certificate is not a PEC provider certificate (no
    /// `digitalSignature`, no `rfc822Name` or one that is not a mailbox, an extended key
    /// usage without e-mail protection, a CA, or not the provider policy).
    NotAProvider,
    /// The chain is malformed: an issuer that is not a CA, a path too long, an unknown
    /// critical extension, a weak key, an unsupported or refused algorithm, different
    /// algorithms inside and outside a certificate.
    InvalidChain,
    /// A certificate of the path was revoked at the time given (a CRL or an OCSP response
    /// its issuer signed says so; [`TrustReport::revocation`] has the date and reason).
    Revoked,
    /// [`RevocationPolicy::Require`] and a certificate of the path has no current status.
    RevocationUnknown,
    /// [`ValidationTime::Claimed`] and the message claims no time at all.
    NoClaimedTime,
}

impl TrustVerdict {
    /// A stable kebab-case name (`trusted`, `expired`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TrustVerdict::Trusted => "trusted",
            TrustVerdict::TrustedAtClaimedTime => "trusted-at-claimed-time",
            TrustVerdict::Expired => "expired",
            TrustVerdict::NotYetValid => "not-yet-valid",
            TrustVerdict::UnknownIssuer => "unknown-issuer",
            TrustVerdict::NameConstraintViolation => "name-constraint-violation",
            TrustVerdict::NotAProvider => "not-a-provider",
            TrustVerdict::InvalidChain => "invalid-chain",
            TrustVerdict::Revoked => "revoked",
            TrustVerdict::RevocationUnknown => "revocation-unknown",
            TrustVerdict::NoClaimedTime => "no-claimed-time",
        }
    }
}

/// How the signer was recognised.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustPath {
    /// Not recognised.
    None,
    /// Found in a provider's certificates (the provider index).
    Index,
    /// Chained to an anchor: the subjects from the signer up to the anchor.
    Chain(Vec<String>),
    /// Found in the index, and also chained to an anchor.
    IndexAndChain(Vec<String>),
}

/// A structured trust verdict.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustReport {
    /// The verdict.
    pub verdict: TrustVerdict,
    /// The provider: the index entry that holds the certificate, or on the chain path the
    /// entry that manages the certificate's address domain.
    pub provider: Option<Provider>,
    /// How the signer was recognised.
    pub path: TrustPath,
    /// The assessed certificate.
    pub certificate: CertificateInfo,
    /// The time the checks used.
    pub at: PecTime,
    /// Whose time that is.
    pub time_basis: TimeBasis,
    /// What the revocation information given to the store says of the path.
    pub revocation: RevocationReport,
    /// What was noticed on the way (a SHA-1 certificate, revocation information that was not
    /// taken).
    pub diagnostics: Vec<Diagnostic>,
    /// What decided the verdict, for humans.
    pub detail: String,
    /// The `rfc822Name` permitted subtrees of the CAs on the path: the providers' service
    /// domains they certify, for [`TrustStore::owner_of`].
    ca_mail_domains: Vec<String>,
}

/// Whether a mail domain is the signer's, by what the store knows ([`TrustStore::owner_of`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainOwner {
    /// The signer's provider manages it.
    Signer,
    /// Another provider manages it, or the signer's provider's known domains leave it out.
    Other,
    /// The store cannot tell (no index entry with domains for the signer, and nothing else
    /// it knows names the domain).
    Unknown,
}

/// Providers, trust anchors and revocation information, given by the caller.
///
/// The store also remembers, for its lifetime, the certificates of the chains it trusted,
/// parsed (at most 1,024 and 4 MiB of DER), and which signatures it verified (by the SHA-256 of the certificate and of its
/// issuer, at most 4,096), so that a receipt whose chain was seen before costs one RSA
/// verification, its own; validity, revocation and every other check are made again at each
/// assessment. The memory is behind locks the store holds (no global state); a store shared
/// between threads is read concurrently.
#[derive(Default)]
pub struct TrustStore {
    providers: Vec<Provider>,
    /// The domains of each provider's certificates' service mailboxes (`rfc822Name`), in
    /// the order of `providers`: what [`TrustStore::owner_of`] asks of every message.
    provider_domains: Vec<Vec<String>>,
    /// SHA-1 of each provider certificate, with (provider index, certificate index).
    index: Vec<([u8; 20], usize, usize)>,
    anchors: Vec<Arc<Cert>>,
    intermediates: Vec<Arc<Cert>>,
    crls: Vec<crl::Crl>,
    ocsp: Vec<ocsp::OcspResponse>,
    verified: RwLock<HashMap<[u8; 32], ()>>,
    parsed: RwLock<Kept>,
}

/// The certificates a store keeps parsed: those of chains it trusted, within a count and a
/// size (a message can carry any certificate; only what chains to an anchor is kept).
#[derive(Default)]
struct Kept {
    certificates: HashMap<Vec<u8>, Arc<Cert>>,
    bytes: usize,
}

impl Clone for TrustStore {
    fn clone(&self) -> Self {
        TrustStore {
            providers: self.providers.clone(),
            provider_domains: self.provider_domains.clone(),
            index: self.index.clone(),
            anchors: self.anchors.clone(),
            intermediates: self.intermediates.clone(),
            crls: self.crls.clone(),
            ocsp: self.ocsp.clone(),
            verified: RwLock::default(),
            parsed: RwLock::default(),
        }
    }
}

impl core::fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrustStore")
            .field("providers", &self.providers)
            .field("anchors", &self.anchors)
            .field("intermediates", &self.intermediates)
            .field("crls", &self.crls.len())
            .field("ocsp", &self.ocsp.len())
            .finish_non_exhaustive()
    }
}

impl TrustStore {
    /// An empty store: nothing is trusted.
    pub fn new() -> Self {
        TrustStore::default()
    }

    /// Adds a provider. Its certificates may be DER or PEM ([`crate::pem`]); they are kept
    /// as DER. Fails with [`ErrorKind::InvalidInput`] when a certificate does not decode.
    pub fn add_provider(&mut self, mut provider: Provider) -> Result<(), Error> {
        let p = self.providers.len();
        let mut domains = Vec::new();
        for (c, der) in provider.certificates.iter_mut().enumerate() {
            let named = |e: Error| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "provider {:?} certificate {c}: {}",
                        provider.name,
                        e.message()
                    ),
                )
            };
            if let std::borrow::Cow::Owned(decoded) = crate::pem::certificate(der).map_err(named)? {
                *der = decoded;
            }
            let cert = Cert::from_der(der).map_err(named)?;
            domains.extend(
                cert.email_addresses()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.to_owned())),
            );
            let mut sha1 = [0u8; 20];
            sha1.copy_from_slice(cert.sha1().get(..20).unwrap_or(&[0; 20]));
            self.index.push((sha1, p, c));
        }
        self.providers.push(provider);
        self.provider_domains.push(domains);
        Ok(())
    }

    /// Adds every provider of an index ([`ProviderIndex::parse`]).
    pub fn add_index(&mut self, index: &ProviderIndex) -> Result<(), Error> {
        for p in &index.providers {
            self.add_provider(p.clone())?;
        }
        Ok(())
    }

    /// Adds a trust anchor (a root, or the PEC CA itself), DER or PEM.
    pub fn add_anchor(&mut self, der: &[u8]) -> Result<(), Error> {
        self.anchors.push(Arc::new(Self::cert("anchor", der)?));
        Ok(())
    }

    /// Adds an intermediate certificate used to build chains when a message does not carry
    /// it, DER or PEM.
    pub fn add_intermediate(&mut self, der: &[u8]) -> Result<(), Error> {
        self.intermediates
            .push(Arc::new(Self::cert("intermediate", der)?));
        Ok(())
    }

    fn cert(what: &str, der: &[u8]) -> Result<Cert, Error> {
        let named =
            |e: Error| Error::new(ErrorKind::InvalidInput, format!("{what}: {}", e.message()));
        Cert::from_der(&crate::pem::certificate(der).map_err(named)?)
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("{what}: {}", e.message())))
    }

    /// The providers, in the order added.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// The provider that manages `domain`, compared without case.
    pub fn provider_for_domain(&self, domain: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.manages(domain))
    }

    /// The provider holding a certificate with this SHA-1 fingerprint (hex, any case), as the
    /// index is searched by `providerCertificateHash`.
    pub fn provider_by_certificate_hash(&self, sha1_hex: &str) -> Option<&Provider> {
        let wanted = sha1_hex.to_ascii_lowercase();
        self.index
            .iter()
            .find(|(h, _, _)| h.iter().map(|b| format!("{b:02x}")).collect::<String>() == wanted)
            .and_then(|(_, p, _)| self.providers.get(*p))
    }

    /// Adds a certificate revocation list (RFC 5280 section 5), DER or PEM, as the caller
    /// fetched it. It is parsed now (a CRL with a critical extension this crate does not
    /// process is refused with [`ErrorKind::InvalidInput`]); its signature is checked against
    /// the issuer on each path it speaks of, and a CRL that does not verify is not taken
    /// (the report says so).
    pub fn add_crl(&mut self, crl: &[u8]) -> Result<(), Error> {
        let der = crate::pem::der_block(crl, "X509 CRL")?;
        let parsed = crl::Crl::parse(&der)
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("CRL: {}", e.message())))?;
        self.crls.push(parsed);
        Ok(())
    }

    /// Adds an OCSP response (RFC 6960), DER, as the caller's responder returned it (or a
    /// provider stapled it). Only a `successful` basic response is taken; its signature
    /// (by the issuer, or by a responder the issuer delegated with `id-kp-OCSPSigning`) is
    /// checked on each path it speaks of.
    pub fn add_ocsp_response(&mut self, response: &[u8]) -> Result<(), Error> {
        let parsed = ocsp::OcspResponse::parse(response).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("OCSP response: {}", e.message()),
            )
        })?;
        self.ocsp.push(parsed);
        Ok(())
    }

    /// Assesses the signer of a verified signature, with the other certificates of the
    /// message as chain candidates, at the caller's time (or, by explicit choice, at the
    /// signing time the signature claims: [`ValidationTime::Claimed`]).
    pub fn assess(
        &self,
        report: &SignatureReport,
        at: impl Into<ValidationTime>,
        options: &TrustOptions,
    ) -> TrustReport {
        self.assess_at(report, at.into(), report.signing_time, options)
    }

    /// [`TrustStore::assess`] with the claimed time the reader found (the signing time, else
    /// the daticert's).
    pub(crate) fn assess_at(
        &self,
        report: &SignatureReport,
        at: ValidationTime,
        claimed: Option<PecTime>,
        options: &TrustOptions,
    ) -> TrustReport {
        let time = match at {
            ValidationTime::At(t) => t,
            ValidationTime::Claimed => match claimed {
                Some(t) => t,
                None => {
                    let mut r = TrustReport::failed(
                        &report.signer.der,
                        report.signing_time.unwrap_or(report.signer.not_before),
                        TrustVerdict::NoClaimedTime,
                        "validation at the claimed time was asked, and the message claims none"
                            .to_owned(),
                    );
                    r.time_basis = TimeBasis::Claimed;
                    return r;
                }
            },
        };
        let mut r =
            self.assess_certificate(&report.signer.der, &report.certificates, time, options);
        if at == ValidationTime::Claimed {
            r.time_basis = TimeBasis::Claimed;
            if r.verdict == TrustVerdict::Trusted {
                r.verdict = TrustVerdict::TrustedAtClaimedTime;
                r.detail = format!("{}, at the time the message claims ({time})", r.detail);
            }
        }
        r
    }

    /// Assesses a certificate (DER) at the caller's time `at`; `candidates` are certificates
    /// that may complete its chain (those of the message).
    pub fn assess_certificate(
        &self,
        der: &[u8],
        candidates: &[Vec<u8>],
        at: PecTime,
        options: &TrustOptions,
    ) -> TrustReport {
        let leaf = match self.cert(der) {
            Ok(c) => c,
            Err(e) => {
                return TrustReport::failed(
                    der,
                    at,
                    TrustVerdict::InvalidChain,
                    format!("the certificate does not decode: {}", e.message()),
                );
            }
        };
        let mut out = TrustReport::failed(der, at, TrustVerdict::UnknownIssuer, String::new());
        out.certificate = leaf.info();
        let now = at.unix_seconds();
        let finish = |mut out: TrustReport, verdict, provider: Option<&Provider>, path, detail| {
            out.verdict = verdict;
            out.provider = provider.cloned();
            out.path = path;
            out.detail = detail;
            out
        };

        // On every path: the purpose and the addresses of a provider certificate.
        if let Err(detail) = path::leaf_purpose(&leaf) {
            return finish(
                out,
                TrustVerdict::NotAProvider,
                None,
                TrustPath::None,
                detail,
            );
        }

        // The index: SHA-1 first, then the full certificate.
        let sha1 = leaf.sha1();
        let in_index = self
            .index
            .iter()
            .filter(|(h, _, _)| h.as_slice() == sha1.as_slice())
            .find_map(|(_, p, c)| {
                let provider = self.providers.get(*p)?;
                (provider.certificates.get(*c)? == der).then_some(provider)
            });

        let chain = if self.anchors.is_empty() {
            None
        } else {
            let others: Vec<Arc<Cert>> = candidates
                .iter()
                .filter(|c| c.as_slice() != der)
                .filter_map(|c| self.cert(c).ok())
                .collect();
            let verified = |child: &Cert, issuer: &Cert| self.verify_cached(child, issuer, options);
            Some(path::build_chains(
                &self.anchors,
                &self.intermediates,
                &leaf,
                &others,
                &verified,
            ))
        };

        if let Some(provider) = in_index {
            if let Some(v) = path::validity_verdict(&leaf, now) {
                return finish(out, v.0, Some(provider), TrustPath::Index, v.1);
            }
            let indexed = format!("in the provider index under {:?}", provider.name);
            return match chain {
                None => {
                    self.keep(std::slice::from_ref(&leaf));
                    finish(
                        out,
                        TrustVerdict::Trusted,
                        Some(provider),
                        TrustPath::Index,
                        indexed,
                    )
                }
                Some(Err((verdict, detail))) => {
                    finish(out, verdict, Some(provider), TrustPath::Index, detail)
                }
                Some(Ok(chains)) => {
                    let detail = |chain: &[Arc<Cert>]| {
                        format!(
                            "{indexed}, chained to {}",
                            chain.last().map(|c| c.subject_string()).unwrap_or_default()
                        )
                    };
                    let (verdict, detail, chain) =
                        self.best_chain(&mut out, chains, now, options, &detail);
                    let names = path::subjects(&chain);
                    finish(
                        out,
                        verdict,
                        Some(provider),
                        TrustPath::IndexAndChain(names),
                        detail,
                    )
                }
            };
        }

        let chains = match chain {
            None => {
                return finish(
                    out,
                    TrustVerdict::UnknownIssuer,
                    None,
                    TrustPath::None,
                    "not in the provider index, and no trust anchor is configured".to_owned(),
                );
            }
            Some(Err((verdict, detail))) => {
                return finish(out, verdict, None, TrustPath::None, detail);
            }
            Some(Ok(chains)) => chains,
        };
        if let Err(detail) = path::provider_profile(&leaf, options) {
            let names = chains
                .first()
                .map(|c| path::subjects(c))
                .unwrap_or_default();
            return finish(
                out,
                TrustVerdict::NotAProvider,
                None,
                TrustPath::Chain(names),
                detail,
            );
        }
        let emails = leaf.email_addresses().unwrap_or_default();
        let provider = emails
            .iter()
            .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d))
            .find_map(|d| self.provider_for_domain(d));
        let detail = |chain: &[Arc<Cert>]| {
            format!(
                "chained to {}{}",
                chain.last().map(|c| c.subject_string()).unwrap_or_default(),
                provider
                    .map(|p| format!("; {:?} manages the address domain", p.name))
                    .unwrap_or_default()
            )
        };
        let (verdict, detail, chain) = self.best_chain(&mut out, chains, now, options, &detail);
        finish(
            out,
            verdict,
            provider,
            TrustPath::Chain(path::subjects(&chain)),
            detail,
        )
    }

    /// The first of `chains` that passes every check, else the first one's verdict; what
    /// the report keeps is that chain's. The certificates of a trusted chain are kept by the
    /// store (only those: what a message merely carries is not).
    fn best_chain(
        &self,
        out: &mut TrustReport,
        chains: Vec<Vec<Arc<Cert>>>,
        now: i64,
        options: &TrustOptions,
        detail: &dyn Fn(&[Arc<Cert>]) -> String,
    ) -> (TrustVerdict, String, Vec<Arc<Cert>>) {
        // One chain, the common case: checked in place.
        if let [chain] = chains.as_slice() {
            let (verdict, why) = self.check_chain(out, chain, now, options, detail(chain));
            if verdict == TrustVerdict::Trusted {
                self.keep(chain);
            }
            return (verdict, why, chain.clone());
        }
        let mut first: Option<(TrustReport, TrustVerdict, String, Vec<Arc<Cert>>)> = None;
        for chain in chains {
            let mut scratch = out.clone();
            let (verdict, why) =
                self.check_chain(&mut scratch, &chain, now, options, detail(&chain));
            if verdict == TrustVerdict::Trusted {
                self.keep(&chain);
                *out = scratch;
                return (verdict, why, chain);
            }
            if first.is_none() {
                first = Some((scratch, verdict, why, chain));
            }
        }
        match first {
            Some((report, verdict, why, chain)) => {
                *out = report;
                (verdict, why, chain)
            }
            None => (
                TrustVerdict::UnknownIssuer,
                "no chain".to_owned(),
                Vec::new(),
            ),
        }
    }

    /// The checks of a built chain, its revocation status, and what the report keeps of it;
    /// `trusted` is the detail when every check passes.
    fn check_chain(
        &self,
        out: &mut TrustReport,
        chain: &[Arc<Cert>],
        now: i64,
        options: &TrustOptions,
        trusted: String,
    ) -> (TrustVerdict, String) {
        out.ca_mail_domains = path::ca_mail_domains(chain);
        let checked = path::check_path(chain, now, options, &mut out.diagnostics);
        if let Err(v) = checked {
            return v;
        }
        out.revocation = revocation::check(self, chain, now, options, &mut out.diagnostics);
        match (&out.revocation.status, options.revocation) {
            (RevocationStatus::Revoked { .. }, _) => {
                (TrustVerdict::Revoked, out.revocation.summary())
            }
            (RevocationStatus::Good, _)
            | (_, RevocationPolicy::Ignore | RevocationPolicy::UseGiven) => {
                (TrustVerdict::Trusted, trusted)
            }
            (_, RevocationPolicy::Require) => {
                (TrustVerdict::RevocationUnknown, out.revocation.summary())
            }
        }
    }

    /// Whether `issuer`'s key signed `child`, remembered across assessments.
    fn verify_cached(
        &self,
        child: &Cert,
        issuer: &Cert,
        options: &TrustOptions,
    ) -> Result<(), Error> {
        self.remembered(
            &child.digest(DigestAlgorithm::Sha256),
            issuer,
            options,
            || {
                child
                    .verify_signed_by(issuer, options.backend, options.min_rsa_bits)
                    .map(|_| ())
            },
        )
    }

    /// `check` of something `issuer` signed (a certificate, a CRL), whose SHA-256 is
    /// `signed`, remembered when it succeeds: a signature verifies or not once and for all.
    /// The options that decide the outcome are part of the key.
    pub(crate) fn remembered(
        &self,
        signed: &[u8],
        issuer: &Cert,
        options: &TrustOptions,
        check: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        let key = {
            let mut all = Vec::with_capacity(72);
            all.extend_from_slice(signed);
            all.extend_from_slice(&issuer.digest(DigestAlgorithm::Sha256));
            all.extend_from_slice(&options.min_rsa_bits.to_le_bytes());
            all.push(options.backend as u8);
            let digest = crate::crypto::digest(Backend::RustCrypto, DigestAlgorithm::Sha256, &all);
            let mut k = [0u8; 32];
            k.copy_from_slice(digest.get(..32).unwrap_or(&[0; 32]));
            k
        };
        if self.verified.read().is_ok_and(|m| m.contains_key(&key)) {
            return Ok(());
        }
        check()?;
        if let Ok(mut m) = self.verified.write()
            && m.len() < MAX_CACHED_SIGNATURES
        {
            m.insert(key, ());
        }
        Ok(())
    }

    /// Who manages `domain`, for a message `report` assessed the signer of (the mailbox a
    /// receipt certifies something about must be its signer's, spec 3.3 to 3.9):
    /// 1. the signer's provider entry has domains (the index's `managedDomains`, or
    ///    [`Provider::with_domain`]): they decide, and anything else is [`DomainOwner::Other`];
    /// 2. otherwise a domain of the signer certificate's `rfc822Name` (its service mailbox)
    ///    is the signer's;
    /// 3. a domain another provider of the store manages, or of another provider
    ///    certificate's service mailbox, or within the `rfc822Name` name constraints of a CA
    ///    on the signer's path (the AgID CA lists the providers' service domains), is
    ///    [`DomainOwner::Other`];
    /// 4. anything else is [`DomainOwner::Unknown`]: load the provider index to know.
    pub fn owner_of(&self, report: &TrustReport, domain: &str) -> DomainOwner {
        // The same DNS name with or without its final dot.
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        let same = |d: &str| {
            d.strip_suffix('.')
                .unwrap_or(d)
                .eq_ignore_ascii_case(domain)
        };
        if let Some(p) = &report.provider
            && !p.domains.is_empty()
        {
            return if p.manages(domain) {
                DomainOwner::Signer
            } else {
                DomainOwner::Other
            };
        }
        let domain_of = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_owned());
        if report
            .certificate
            .email_addresses
            .iter()
            .filter_map(|a| domain_of(a))
            .any(|d| same(&d))
        {
            return DomainOwner::Signer;
        }
        let signer = report.provider.as_ref().map(|p| p.name.as_str());
        let another = self
            .providers
            .iter()
            .zip(&self.provider_domains)
            .filter(|(p, _)| Some(p.name.as_str()) != signer)
            .any(|(p, cert_domains)| p.manages(domain) || cert_domains.iter().any(|d| same(d)));
        let certified = report
            .ca_mail_domains
            .iter()
            .any(|c| path::email_within(&format!("x@{domain}"), c));
        if another || certified {
            DomainOwner::Other
        } else {
            DomainOwner::Unknown
        }
    }
}

/// Whether `der` is a PEC provider certificate by the profile of spec 7.2 (what
/// [`TrustStore::assess`] asks of a chained signer, with the default options): `Err` names
/// the rule it breaks.
pub(crate) fn provider_certificate(der: &[u8]) -> Result<(), String> {
    let cert = Cert::from_der(der).map_err(|e| e.message().to_owned())?;
    path::leaf_purpose(&cert)?;
    path::provider_profile(&cert, &TrustOptions::default())
}

impl CertSource for TrustStore {
    /// A certificate the store kept from a chain it trusted, else parsed now (and kept only
    /// if it turns out to be on such a chain: [`TrustStore::keep`]).
    fn cert(&self, der: &[u8]) -> Result<Arc<Cert>, Error> {
        if let Some(c) = self
            .parsed
            .read()
            .ok()
            .and_then(|k| k.certificates.get(der).cloned())
        {
            return Ok(c);
        }
        Cert::from_der(der).map(Arc::new)
    }
}

impl TrustStore {
    /// Keeps the certificates of a chain it trusted, parsed, within the bounds.
    fn keep(&self, chain: &[Arc<Cert>]) {
        // Kept already, the common case: no lock at all, so that threads do not queue. (The
        // flag is on the certificate: a clone of the store shares its anchors, and may then
        // not keep one, which costs it a parse, never a wrong answer.)
        if chain.iter().all(|c| c.kept.get().is_some()) {
            return;
        }
        let Ok(mut kept) = self.parsed.write() else {
            return;
        };
        for cert in chain {
            if kept.certificates.contains_key(&cert.der) {
                continue;
            }
            if kept.certificates.len() >= MAX_CACHED_CERTIFICATES
                || kept.bytes + cert.der.len() > MAX_CACHED_BYTES
            {
                return;
            }
            kept.bytes += cert.der.len();
            kept.certificates.insert(cert.der.clone(), cert.clone());
            let _ = cert.kept.set(());
        }
    }
}

impl TrustReport {
    /// A report that stops before any path: `verdict` with `detail`.
    fn failed(der: &[u8], at: PecTime, verdict: TrustVerdict, detail: String) -> TrustReport {
        TrustReport {
            verdict,
            provider: None,
            path: TrustPath::None,
            certificate: path::empty_info(der, at),
            at,
            time_basis: TimeBasis::Caller,
            revocation: RevocationReport::default(),
            diagnostics: Vec::new(),
            detail,
            ca_mail_domains: Vec::new(),
        }
    }
}
