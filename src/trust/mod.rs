//! `TrustStore`: which signers are PEC providers (spec 6.2, 7.2, 8).
//!
//! A provider receiving a PEC message checks that its signer is a provider: "computing the
//! certificate's SHA-1 hash, hex-encoding it and searching `providerCertificateHash`", then
//! comparing the full certificate, in its copy of the provider index (Indice dei gestori).
//! Anyone else (clients, archives, courts) has no access to the index; the practical
//! equivalent is a chain to the AgID CA that issues provider certificates, whose name
//! constraints list the providers' mail domains.
//!
//! A store holds both kinds of knowledge: [`Provider`]s (name, certificates, managed domains,
//! service address), and trust anchors with optional intermediates. [`TrustStore::assess`]
//! maps a signer to a [`TrustReport`] with a [`TrustVerdict`], never a bare yes or no.
//!
//! Checks, at a time the caller gives (the crate reads no clock):
//! - **index**: SHA-1 of the certificate, then the full DER, against every provider's
//!   certificates; then the validity period;
//! - **chain** (when anchors are configured; also for index matches): issuer names and
//!   signatures up to an anchor, validity of every certificate, CA basic constraints and path
//!   lengths on issuers, `keyCertSign` on issuers that have key usage, unknown critical
//!   extensions refused, name constraints (`rfc822Name` against the leaf's addresses,
//!   `directoryName` against subject names) of every issuer including the anchor;
//! - **provider profile** (chain path): key usage with `digitalSignature`, an `rfc822Name`
//!   subjectAltName, not a CA, and the PEC provider policy (1.3.76.16.3.1.1, configurable).
//!
//! The provider index itself, as LDIF, is read by [`ProviderIndex::parse`].
//!
//! Revocation (CRL, OCSP) needs I/O and is the caller's part.

// Revocation information the caller supplies; used by the path checks.
#[allow(dead_code)]
mod crl;
mod index;
#[allow(dead_code)]
mod ocsp;

pub use index::{IndexOptions, ProviderIndex};

use const_oid::ObjectIdentifier;
use der::{Encode, Tagged};
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::ext::pkix::constraints::name::GeneralSubtrees;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use crate::cms::SignatureReport;
use crate::crypto::Backend;
use crate::error::{Error, ErrorKind};
use crate::time::PecTime;
use crate::x509::{Cert, CertificateInfo};

/// The certificate policy of PEC provider signing certificates (AgID).
pub const PEC_PROVIDER_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.76.16.3.1.1");

/// The longest chain followed, leaf and anchor included.
const MAX_CHAIN: usize = 8;

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
}

impl Default for TrustOptions {
    fn default() -> Self {
        TrustOptions {
            backend: Backend::default(),
            min_rsa_bits: 2048,
            provider_policy: Some(PEC_PROVIDER_POLICY),
        }
    }
}

/// The outcome of a trust assessment.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrustVerdict {
    /// A provider's certificate, valid at the time given.
    Trusted,
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
    /// `digitalSignature`, no `rfc822Name`, a CA, or not the provider policy).
    NotAProvider,
    /// The chain is malformed: an issuer that is not a CA, a path too long, an unknown
    /// critical extension, a weak key, an unsupported algorithm.
    InvalidChain,
}

impl TrustVerdict {
    /// A stable kebab-case name (`trusted`, `expired`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TrustVerdict::Trusted => "trusted",
            TrustVerdict::Expired => "expired",
            TrustVerdict::NotYetValid => "not-yet-valid",
            TrustVerdict::UnknownIssuer => "unknown-issuer",
            TrustVerdict::NameConstraintViolation => "name-constraint-violation",
            TrustVerdict::NotAProvider => "not-a-provider",
            TrustVerdict::InvalidChain => "invalid-chain",
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
    /// What decided the verdict, for humans.
    pub detail: String,
}

/// Providers and trust anchors, given by the caller.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    providers: Vec<Provider>,
    /// SHA-1 of each provider certificate, with (provider index, certificate index).
    index: Vec<([u8; 20], usize, usize)>,
    anchors: Vec<Cert>,
    intermediates: Vec<Cert>,
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
            let cert = Cert::from_der(der).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "provider {:?} certificate {c}: {}",
                        provider.name,
                        e.message()
                    ),
                )
            })?;
            let mut sha1 = [0u8; 20];
            sha1.copy_from_slice(cert.sha1().get(..20).unwrap_or(&[0; 20]));
            self.index.push((sha1, p, c));
        }
        self.providers.push(provider);
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
        self.anchors.push(Self::cert("anchor", der)?);
        Ok(())
    }

    /// Adds an intermediate certificate used to build chains when a message does not carry
    /// it, DER or PEM.
    pub fn add_intermediate(&mut self, der: &[u8]) -> Result<(), Error> {
        self.intermediates.push(Self::cert("intermediate", der)?);
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

    /// Assesses the signer of a verified signature, with the other certificates of the
    /// message as chain candidates.
    pub fn assess(
        &self,
        report: &SignatureReport,
        at: PecTime,
        options: &TrustOptions,
    ) -> TrustReport {
        self.assess_certificate(&report.signer.der, &report.certificates, at, options)
    }

    /// Assesses a certificate (DER) at time `at`; `candidates` are certificates that may
    /// complete its chain (those of the message).
    pub fn assess_certificate(
        &self,
        der: &[u8],
        candidates: &[Vec<u8>],
        at: PecTime,
        options: &TrustOptions,
    ) -> TrustReport {
        let leaf = match Cert::from_der(der) {
            Ok(c) => c,
            Err(e) => {
                return TrustReport {
                    verdict: TrustVerdict::InvalidChain,
                    provider: None,
                    path: TrustPath::None,
                    certificate: empty_info(der, at),
                    at,
                    detail: format!("the certificate does not decode: {}", e.message()),
                };
            }
        };
        let report = |verdict, provider: Option<&Provider>, path, detail: String| TrustReport {
            verdict,
            provider: provider.cloned(),
            path,
            certificate: leaf.info(),
            at,
            detail,
        };
        let now = at.unix_seconds();

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
            let others: Vec<Cert> = candidates
                .iter()
                .filter(|c| c.as_slice() != der)
                .filter_map(|c| Cert::from_der(c).ok())
                .collect();
            Some(self.build_chain(&leaf, &others, options))
        };

        if let Some(provider) = in_index {
            if let Some(v) = validity_verdict(&leaf, now) {
                return report(v.0, Some(provider), TrustPath::Index, v.1);
            }
            return match chain {
                None => report(
                    TrustVerdict::Trusted,
                    Some(provider),
                    TrustPath::Index,
                    format!("in the provider index under {:?}", provider.name),
                ),
                Some(Err((verdict, detail))) => {
                    report(verdict, Some(provider), TrustPath::Index, detail)
                }
                Some(Ok(path)) => match check_path(&path, now) {
                    Err((verdict, detail)) => {
                        report(verdict, Some(provider), TrustPath::Index, detail)
                    }
                    Ok(()) => report(
                        TrustVerdict::Trusted,
                        Some(provider),
                        TrustPath::IndexAndChain(subjects(&path)),
                        format!(
                            "in the provider index under {:?}, chained to {}",
                            provider.name,
                            path.last().map(|c| c.subject_string()).unwrap_or_default()
                        ),
                    ),
                },
            };
        }

        let path = match chain {
            None => {
                return report(
                    TrustVerdict::UnknownIssuer,
                    None,
                    TrustPath::None,
                    "not in the provider index, and no trust anchor is configured".to_owned(),
                );
            }
            Some(Err((verdict, detail))) => return report(verdict, None, TrustPath::None, detail),
            Some(Ok(path)) => path,
        };
        let names = subjects(&path);
        if let Err((verdict, detail)) = check_path(&path, now) {
            return report(verdict, None, TrustPath::Chain(names), detail);
        }
        if let Err(detail) = provider_profile(&leaf, options) {
            return report(
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
        let detail = format!(
            "chained to {}{}",
            path.last().map(|c| c.subject_string()).unwrap_or_default(),
            provider
                .map(|p| format!("; {:?} manages the address domain", p.name))
                .unwrap_or_default()
        );
        report(
            TrustVerdict::Trusted,
            provider,
            TrustPath::Chain(names),
            detail,
        )
    }

    /// Builds a chain from `leaf` to an anchor through `others` and the store's
    /// intermediates, verifying each signature on the way. Returns leaf first, anchor last.
    fn build_chain(
        &self,
        leaf: &Cert,
        others: &[Cert],
        options: &TrustOptions,
    ) -> Result<Vec<Cert>, (TrustVerdict, String)> {
        // A pinned certificate is its own chain.
        if self.anchors.iter().any(|a| a.der == leaf.der) {
            return Ok(vec![leaf.clone()]);
        }
        let mut path = vec![leaf.clone()];
        // The last signature failure of a candidate whose names matched, to explain why.
        let mut last_error: Option<Error> = None;
        while path.len() < MAX_CHAIN {
            let Some(current) = path.last() else { break };
            let mut pick = |set: &[Cert]| -> Option<Cert> {
                for candidate in set {
                    if path.iter().any(|p| p.der == candidate.der)
                        || !could_have_issued(candidate, current)
                    {
                        continue;
                    }
                    match current.verify_signed_by(candidate, options.backend, options.min_rsa_bits)
                    {
                        Ok(_) => return Some(candidate.clone()),
                        Err(e) => last_error = Some(e),
                    }
                }
                None
            };
            if let Some(anchor) = pick(&self.anchors) {
                path.push(anchor);
                return Ok(path);
            }
            match pick(others).or_else(|| pick(&self.intermediates)) {
                Some(c) => path.push(c),
                None => break,
            }
        }
        Err(match last_error {
            Some(e) if e.kind() == ErrorKind::UnsupportedAlgorithm => (
                TrustVerdict::InvalidChain,
                format!("the chain uses what is not accepted: {}", e.message()),
            ),
            _ if path.len() >= MAX_CHAIN => (
                TrustVerdict::InvalidChain,
                format!("no anchor within {MAX_CHAIN} certificates"),
            ),
            _ => (
                TrustVerdict::UnknownIssuer,
                format!(
                    "no chain from {} to a trust anchor",
                    path.last().map(|c| c.subject_string()).unwrap_or_default()
                ),
            ),
        })
    }
}

/// Whether `issuer`'s subject is `cert`'s issuer and, when both say, the key identifiers
/// agree.
fn could_have_issued(issuer: &Cert, cert: &Cert) -> bool {
    if issuer.subject_raw() != cert.issuer_raw() {
        return false;
    }
    match (cert.authority_key_id(), issuer.subject_key_id()) {
        (Ok(Some(aki)), Ok(Some(ski))) => aki == ski,
        _ => true,
    }
}

fn subjects(path: &[Cert]) -> Vec<String> {
    path.iter().map(Cert::subject_string).collect()
}

fn empty_info(der: &[u8], at: PecTime) -> CertificateInfo {
    CertificateInfo {
        subject: String::new(),
        issuer: String::new(),
        serial: String::new(),
        sha1_fingerprint: String::new(),
        sha256_fingerprint: String::new(),
        email_addresses: Vec::new(),
        not_before: at,
        not_after: at,
        der: der.to_vec(),
    }
}

fn validity_verdict(cert: &Cert, now: i64) -> Option<(TrustVerdict, String)> {
    let (not_before, not_after) = cert.validity();
    let info = || cert.subject_string();
    if now < not_before {
        Some((
            TrustVerdict::NotYetValid,
            format!("{} is not valid before {}", info(), cert.info().not_before),
        ))
    } else if now > not_after {
        Some((
            TrustVerdict::Expired,
            format!("{} expired on {}", info(), cert.info().not_after),
        ))
    } else {
        None
    }
}

/// Checks a chain (leaf first, anchor last): validity, CA constraints, critical extensions,
/// name constraints.
fn check_path(path: &[Cert], now: i64) -> Result<(), (TrustVerdict, String)> {
    for cert in path {
        if let Some(v) = validity_verdict(cert, now) {
            return Err(v);
        }
        let unknown = cert.unknown_critical_extensions();
        if let Some(oid) = unknown.first() {
            return Err((
                TrustVerdict::InvalidChain,
                format!(
                    "{} has an unknown critical extension {oid}",
                    cert.subject_string()
                ),
            ));
        }
    }
    let invalid = |m: String| (TrustVerdict::InvalidChain, m);
    let malformed =
        |c: &Cert, e: Error| invalid(format!("{}: {}", c.subject_string(), e.message()));
    // Issuers: every certificate above the leaf.
    for (i, issuer) in path.iter().enumerate().skip(1) {
        let bc = issuer
            .basic_constraints()
            .map_err(|e| malformed(issuer, e))?;
        let is_anchor = i + 1 == path.len();
        match bc {
            Some((true, path_len)) => {
                // Intermediates between this issuer and the leaf.
                let below = i - 1;
                if let Some(max) = path_len
                    && below > usize::from(max)
                {
                    return Err(invalid(format!(
                        "{} allows {max} intermediate(s) below it, the chain has {below}",
                        issuer.subject_string()
                    )));
                }
            }
            // An anchor without basic constraints is trusted by configuration (old roots).
            None if is_anchor => {}
            _ => {
                return Err(invalid(format!(
                    "{} issues certificates but is not a CA",
                    issuer.subject_string()
                )));
            }
        }
        if !issuer
            .allows(KeyUsages::KeyCertSign)
            .map_err(|e| malformed(issuer, e))?
        {
            return Err(invalid(format!(
                "{} issues certificates without keyCertSign",
                issuer.subject_string()
            )));
        }
        if let Some(nc) = issuer
            .name_constraints()
            .map_err(|e| malformed(issuer, e))?
        {
            for (depth, subject) in path.iter().take(i).enumerate() {
                check_name_constraints(issuer, &nc, subject, depth == 0)?;
            }
        }
    }
    Ok(())
}

/// Applies `issuer`'s name constraints to `cert`: `rfc822Name` to the leaf's addresses
/// (subjectAltName and subject emailAddress), `directoryName` to subject names. Constraints
/// on name forms the certificate does not use do not apply.
fn check_name_constraints(
    issuer: &Cert,
    nc: &x509_cert::ext::pkix::NameConstraints,
    cert: &Cert,
    is_leaf: bool,
) -> Result<(), (TrustVerdict, String)> {
    let violation = |what: String| {
        (
            TrustVerdict::NameConstraintViolation,
            format!(
                "{what} is outside the name constraints of {}",
                issuer.subject_string()
            ),
        )
    };
    let permitted = nc.permitted_subtrees.as_ref();
    let excluded = nc.excluded_subtrees.as_ref();

    let subject = cert.parsed.tbs_certificate().subject();
    if !subject.is_empty() {
        let within =
            |bases: Option<Vec<&Name>>| bases.map(|b| b.iter().any(|n| dn_within(subject, n)));
        if within(dn_rule(permitted)) == Some(false) || within(dn_rule(excluded)) == Some(true) {
            return Err(violation(format!("subject {subject}")));
        }
    }

    if is_leaf {
        let mut emails = cert.email_addresses().unwrap_or_default();
        emails.extend(subject_emails(subject));
        let (allowed, denied) = (email_rule(permitted), email_rule(excluded));
        for email in &emails {
            let within = |list: &Option<Vec<String>>| {
                list.as_ref()
                    .map(|l| l.iter().any(|c| email_within(email, c)))
            };
            if within(&allowed) == Some(false) || within(&denied) == Some(true) {
                return Err(violation(format!("address {email}")));
            }
        }
        // Other name forms the leaf uses (DNS names, URIs, IP addresses) are checked against
        // constraints of the same form; a leaf with such names under a CA that constrains
        // them is refused, since those forms are not processed here.
        for name in cert.alt_names().unwrap_or_default() {
            let form = name_form(&name);
            if matches!(form, 1 | 4) {
                continue;
            }
            let constrained = permitted
                .into_iter()
                .chain(excluded)
                .flatten()
                .any(|t| name_form(&t.base) == form);
            if constrained {
                return Err(violation(format!("a subjectAltName of form {form}")));
            }
        }
    }
    Ok(())
}

/// The directoryName bases of some subtrees, when there are any.
fn dn_rule(trees: Option<&GeneralSubtrees>) -> Option<Vec<&Name>> {
    let dns: Vec<&Name> = trees?
        .iter()
        .filter_map(|t| match &t.base {
            GeneralName::DirectoryName(n) => Some(n),
            _ => None,
        })
        .collect();
    (!dns.is_empty()).then_some(dns)
}

/// The rfc822Name bases of some subtrees, when there are any.
fn email_rule(trees: Option<&GeneralSubtrees>) -> Option<Vec<String>> {
    let list: Vec<String> = trees?
        .iter()
        .filter_map(|t| match &t.base {
            GeneralName::Rfc822Name(s) => Some(s.as_str().to_owned()),
            _ => None,
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// The GeneralName tag number.
fn name_form(n: &GeneralName) -> u8 {
    match n {
        GeneralName::OtherName(_) => 0,
        GeneralName::Rfc822Name(_) => 1,
        GeneralName::DnsName(_) => 2,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EdiPartyName(_) => 5,
        GeneralName::UniformResourceIdentifier(_) => 6,
        GeneralName::IpAddress(_) => 7,
        GeneralName::RegisteredId(_) => 8,
    }
}

/// RFC 5280 section 4.2.1.10, rfc822Name: a mailbox, all mailboxes of a host (`host`), or
/// of the hosts of a domain (`.domain`). Hosts compare without case.
pub(crate) fn email_within(email: &str, constraint: &str) -> bool {
    let Some((local, host)) = email.rsplit_once('@') else {
        return false;
    };
    if let Some((c_local, c_host)) = constraint.rsplit_once('@') {
        return local == c_local && host.eq_ignore_ascii_case(c_host);
    }
    if constraint.starts_with('.') {
        let (h, c) = (host.to_ascii_lowercase(), constraint.to_ascii_lowercase());
        return h.ends_with(&c);
    }
    host.eq_ignore_ascii_case(constraint)
}

/// Whether `name` is within the subtree `base`: `base`'s RDNs are a prefix of `name`'s, each
/// RDN matching attribute by attribute (RFC 5280 section 7.1, simplified: string values equal
/// without case and with runs of spaces folded).
fn dn_within(name: &Name, base: &Name) -> bool {
    let (name, base) = (name.as_ref(), base.as_ref());
    base.len() <= name.len()
        && base.iter().zip(name.iter()).all(|(b, n)| {
            b.as_ref().len() == n.as_ref().len()
                && b.as_ref().iter().all(|ba| {
                    n.as_ref()
                        .iter()
                        .any(|na| na.oid == ba.oid && attribute_value_eq(&na.value, &ba.value))
                })
        })
}

fn attribute_value_eq(a: &der::asn1::Any, b: &der::asn1::Any) -> bool {
    match (directory_string(a), directory_string(b)) {
        (Some(x), Some(y)) => normalize(&x) == normalize(&y),
        _ => a.to_der().ok() == b.to_der().ok(),
    }
}

fn directory_string(v: &der::asn1::Any) -> Option<String> {
    use der::Tag;
    let bytes = v.value();
    match v.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            std::str::from_utf8(bytes).ok().map(str::to_owned)
        }
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c.first().copied()?, c.get(1).copied()?]).into())
                .collect::<Option<Vec<u16>>>()?;
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The pkcs-9 emailAddress attributes of a subject name.
fn subject_emails(subject: &Name) -> Vec<String> {
    const EMAIL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");
    subject
        .as_ref()
        .iter()
        .flat_map(|rdn| rdn.as_ref().iter())
        .filter(|atv| atv.oid == EMAIL)
        .filter_map(|atv| directory_string(&atv.value))
        .collect()
}

/// The provider profile of spec 7.2 on the chain path.
fn provider_profile(leaf: &Cert, options: &TrustOptions) -> Result<(), String> {
    let fail = |m: &str| Err(format!("{}: {m}", leaf.subject_string()));
    match leaf.key_usage() {
        Ok(Some(ku)) if ku.0.contains(KeyUsages::DigitalSignature) => {}
        Ok(_) => return fail("no keyUsage with digitalSignature"),
        Err(e) => return Err(e.message().to_owned()),
    }
    if leaf.email_addresses().unwrap_or_default().is_empty() {
        return fail("no rfc822Name in subjectAltName");
    }
    if matches!(leaf.basic_constraints(), Ok(Some((true, _)))) {
        return fail("a CA certificate");
    }
    if let Some(policy) = options.provider_policy
        && !leaf.policies().unwrap_or_default().contains(&policy)
    {
        return fail(&format!("no certificate policy {policy} (PEC provider)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc822_constraint_forms() {
        assert!(email_within(
            "posta-certificata@pec.aruba.it",
            "pec.aruba.it"
        ));
        assert!(email_within(
            "posta-certificata@PEC.Aruba.IT",
            "pec.aruba.it"
        ));
        assert!(!email_within(
            "posta-certificata@x.pec.aruba.it",
            "pec.aruba.it"
        ));
        assert!(email_within(
            "posta-certificata@x.pec.aruba.it",
            ".pec.aruba.it"
        ));
        assert!(!email_within(
            "posta-certificata@pec.aruba.it",
            ".pec.aruba.it"
        ));
        assert!(email_within("a@pec.aruba.it", "a@pec.aruba.it"));
        assert!(!email_within("b@pec.aruba.it", "a@pec.aruba.it"));
        assert!(!email_within("no-at-sign", "pec.aruba.it"));
        assert!(!email_within("a@evilpec.aruba.it.example", "pec.aruba.it"));
    }

    #[test]
    fn directory_strings_compare_loosely() {
        assert_eq!(
            normalize("  Aruba   PEC S.p.A. "),
            normalize("aruba pec s.p.a.")
        );
    }
}
