//! Path validation (RFC 5280 section 6, as PEC needs it): building a chain from a signer to
//! a trust anchor, the checks of every certificate on it, name constraints, and the
//! provider profile of spec 7.2. Kept apart from the store, as rustls keeps its anchors
//! apart from verification.

use const_oid::ObjectIdentifier;
use der::{Encode, Tagged};
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::ext::pkix::constraints::name::GeneralSubtrees;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use super::{MAX_CHAIN, TrustOptions, TrustVerdict};
use crate::crypto::DigestAlgorithm;
use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind};
use crate::mime::address;
use crate::time::PecTime;
use std::sync::Arc;

use crate::x509::{Cert, CertificateInfo};

/// The most chains [`build_chains`] returns, and the most signatures it checks looking for
/// them: an attacker can add certificates to a message (the CMS set is not signed), so the
/// search backtracks, within bounds.
const MAX_PATHS: usize = 8;
const MAX_SIGNATURE_CHECKS: usize = 64;

/// Builds the chains from `leaf` to an anchor, each signature verified, leaf first and anchor
/// last, in order of preference: anchors first at each step, then the store's intermediates,
/// then the certificates of the message (`others`). The search backtracks: a certificate
/// someone added to the message (a broken or a superseded copy of an intermediate) cannot
/// hide a good path; the caller keeps the first chain that passes every check.
/// `verified(child, issuer)` checks that `issuer`'s key signed `child` (the store remembers
/// what it verified before).
pub(crate) fn build_chains(
    anchors: &[Arc<Cert>],
    intermediates: &[Arc<Cert>],
    leaf: &Arc<Cert>,
    others: &[Arc<Cert>],
    verified: &dyn Fn(&Cert, &Cert) -> Result<(), Error>,
) -> Result<Vec<Vec<Arc<Cert>>>, (TrustVerdict, String)> {
    // A pinned certificate is its own chain.
    if anchors.iter().any(|a| a.der == leaf.der) {
        return Ok(vec![vec![leaf.clone()]]);
    }
    let mut search = Search {
        anchors,
        middle: intermediates.iter().chain(others).cloned().collect(),
        verified,
        found: Vec::new(),
        checks: 0,
        last_error: None,
        deepest: 1,
    };
    let mut path = vec![leaf.clone()];
    search.extend(&mut path);
    if !search.found.is_empty() {
        return Ok(search.found);
    }
    Err(match search.last_error {
        Some(e) if e.kind() == ErrorKind::UnsupportedAlgorithm => (
            TrustVerdict::InvalidChain,
            format!("the chain uses what is not accepted: {}", e.message()),
        ),
        _ if search.deepest >= MAX_CHAIN => (
            TrustVerdict::InvalidChain,
            format!("no anchor within {MAX_CHAIN} certificates"),
        ),
        _ => (
            TrustVerdict::UnknownIssuer,
            format!("no chain from {} to a trust anchor", leaf.subject_string()),
        ),
    })
}

/// The depth-first search of [`build_chains`].
struct Search<'a> {
    anchors: &'a [Arc<Cert>],
    /// The store's intermediates, then the message's certificates.
    middle: Vec<Arc<Cert>>,
    verified: &'a dyn Fn(&Cert, &Cert) -> Result<(), Error>,
    found: Vec<Vec<Arc<Cert>>>,
    checks: usize,
    /// The last signature failure of a candidate whose names matched, to explain why.
    last_error: Option<Error>,
    deepest: usize,
}

impl Search<'_> {
    /// Whether `candidate` signed `current`, counting the check against the budget.
    fn signed(&mut self, current: &Cert, candidate: &Cert, path: &[Arc<Cert>]) -> bool {
        if self.checks >= MAX_SIGNATURE_CHECKS
            || !could_have_issued(candidate, current)
            || path.iter().any(|p| p.der == candidate.der)
        {
            return false;
        }
        self.checks += 1;
        match (self.verified)(current, candidate) {
            Ok(()) => true,
            Err(e) => {
                self.last_error = Some(e);
                false
            }
        }
    }

    fn extend(&mut self, path: &mut Vec<Arc<Cert>>) {
        self.deepest = self.deepest.max(path.len());
        let Some(current) = path.last().cloned() else {
            return;
        };
        for anchor in self.anchors {
            if self.found.len() >= MAX_PATHS {
                return;
            }
            if self.signed(&current, anchor, path) {
                let mut done = path.clone();
                done.push(anchor.clone());
                self.found.push(done);
            }
        }
        if path.len() + 1 >= MAX_CHAIN {
            self.deepest = MAX_CHAIN;
            return;
        }
        for i in 0..self.middle.len() {
            if self.found.len() >= MAX_PATHS || self.checks >= MAX_SIGNATURE_CHECKS {
                return;
            }
            let Some(candidate) = self.middle.get(i).cloned() else {
                return;
            };
            let candidate = &candidate;
            if self.anchors.iter().any(|a| a.der == candidate.der) {
                continue; // tried as an anchor
            }
            if self.signed(&current, candidate, path) {
                path.push(candidate.clone());
                self.extend(path);
                path.pop();
            }
        }
    }
}

/// Whether `issuer`'s subject is `cert`'s issuer and, when both say, the key identifiers
/// agree.
pub(crate) fn could_have_issued(issuer: &Cert, cert: &Cert) -> bool {
    if issuer.subject_raw() != cert.issuer_raw() {
        return false;
    }
    match (cert.authority_key_id(), issuer.subject_key_id()) {
        (Ok(Some(aki)), Ok(Some(ski))) => aki == ski,
        _ => true,
    }
}

pub(crate) fn subjects(path: &[Arc<Cert>]) -> Vec<String> {
    path.iter().map(|c| c.subject_string()).collect()
}

pub(crate) fn empty_info(der: &[u8], at: PecTime) -> CertificateInfo {
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

pub(crate) fn validity_verdict(cert: &Cert, now: i64) -> Option<(TrustVerdict, String)> {
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

/// Checks a chain (leaf first, anchor last): validity, the algorithms of each signature,
/// CA constraints, extended key usage of the CAs, critical extensions, name constraints.
/// What is noticed without failing goes to `diagnostics`.
pub(crate) fn check_path(
    path: &[Arc<Cert>],
    now: i64,
    options: &TrustOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), (TrustVerdict, String)> {
    let invalid = |m: String| (TrustVerdict::InvalidChain, m);
    // Every signature checked on the path: all but the anchor's own.
    for cert in path.iter().take(path.len().saturating_sub(1)) {
        if !cert.algorithms_agree {
            return Err(invalid(format!(
                "{}: the signature algorithm inside the certificate is not the one outside \
                 (RFC 5280 4.1.1.2)",
                cert.subject_string()
            )));
        }
        if cert.signature_digest().ok() == Some(DigestAlgorithm::Sha1) {
            if options.refuse_sha1_certificates {
                return Err(invalid(format!(
                    "{} is signed with SHA-1, which the options refuse",
                    cert.subject_string()
                )));
            }
            diagnostics.push(Diagnostic::new(
                DiagnosticCode::TrustSha1Certificate,
                format!("{} is signed with SHA-1", cert.subject_string()),
            ));
        }
    }
    // The CAs between the leaf and the anchor may restrict what they issue for.
    for ca in path.iter().skip(1).take(path.len().saturating_sub(2)) {
        if let Err(detail) = allows_email_protection(ca) {
            return Err(invalid(detail));
        }
    }
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

/// `id-kp-emailProtection` (RFC 5280 4.2.1.12).
const EMAIL_PROTECTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
/// `anyExtendedKeyUsage`.
const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// An extended key usage, when present, must allow signing mail (S/MIME, RFC 8550 4.4.4).
fn allows_email_protection(cert: &Cert) -> Result<(), String> {
    match cert.extended_key_usage() {
        Ok(None) => Ok(()),
        Ok(Some(purposes))
            if purposes.contains(&EMAIL_PROTECTION)
                || purposes.contains(&ANY_EXTENDED_KEY_USAGE) =>
        {
            Ok(())
        }
        Ok(Some(purposes)) => Err(format!(
            "{}: its extended key usage ({}) does not allow e-mail protection",
            cert.subject_string(),
            purposes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(e) => Err(e.message().to_owned()),
    }
}

/// What a provider certificate must be on every path, the index's included: for signing
/// mail, and naming only mailboxes. An `rfc822Name` that is not exactly one plain mailbox
/// (`x@pec.evil.test@pec.alfa.test`) would be read one way by the name constraints and
/// another by whoever compares addresses.
pub(crate) fn leaf_purpose(leaf: &Cert) -> Result<(), String> {
    allows_email_protection(leaf)?;
    let addresses = leaf.email_addresses().map_err(|e| e.message().to_owned())?;
    for a in &addresses {
        if a.matches('@').count() != 1 || a.contains('"') || !address::is_address(a) {
            return Err(format!(
                "{}: the subjectAltName {a:?} is not one mailbox",
                leaf.subject_string()
            ));
        }
    }
    Ok(())
}

/// The `rfc822Name` permitted subtrees of every CA on a chain (leaf first).
pub(crate) fn ca_mail_domains(path: &[Arc<Cert>]) -> Vec<String> {
    path.iter()
        .skip(1)
        .filter_map(|ca| ca.name_constraints().ok().flatten())
        .filter_map(|nc| email_rule(nc.permitted_subtrees.as_ref()))
        .flatten()
        .collect()
}

/// The provider profile of spec 7.2 on the chain path.
pub(crate) fn provider_profile(leaf: &Cert, options: &TrustOptions) -> Result<(), String> {
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
