//! Revocation of the certificates of a path, from the CRLs and OCSP responses the caller gave
//! the store (the crate fetches nothing). RFC 5280 section 6.3 and RFC 6960, as PEC needs
//! them:
//!
//! - a CRL counts only when its issuer (the next certificate of the path) verifies its
//!   signature; it gives the status at the validation time when that time lies between its
//!   `thisUpdate` and `nextUpdate` (else it is stale, or not yet valid);
//! - an OCSP response counts only when the issuer signed it, or a responder the issuer
//!   certified for `id-kp-OCSPSigning`; current likewise;
//! - a revocation takes effect at its date, or for a key compromise at the invalidity date
//!   when that is earlier: a certificate revoked after the validation time is still good at
//!   that time, and a compromised key is bad from when it was compromised. A revocation is
//!   final, so it counts from any CRL or response the issuer signed, current or not; a
//!   `certificateHold` only from current information (it may be released);
//! - revocation information that could not be taken (a wrong key, a wrong responder, a
//!   structure that does not match) is listed in [`RevocationReport::ignored`] and reported
//!   as `trust-revocation-ignored`, never silently dropped;
//! - the anchor is trusted by configuration and has no status to check.

use super::{TrustOptions, TrustStore, crl::RevocationReason};
use crate::error::{Diagnostic, DiagnosticCode};
use crate::time::PecTime;
use std::sync::Arc;

use crate::x509::Cert;

/// What revocation information the assessment needs ([`TrustOptions::revocation`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationPolicy {
    /// Do not look at CRLs or OCSP responses at all.
    Ignore,
    /// Use what the store holds: a revoked certificate is [`super::TrustVerdict::Revoked`];
    /// without information the verdict stands and [`RevocationReport::status`] says that
    /// nothing was checked. The default.
    #[default]
    UseGiven,
    /// Every certificate of a chain to an anchor but the anchor needs a current status (a CRL
    /// or an OCSP response): else the verdict is [`super::TrustVerdict::RevocationUnknown`].
    /// A signer trusted through the provider index alone (no anchor configured) has no chain
    /// to ask about: there the index is the revocation mechanism, and a provider removed
    /// from it is not trusted.
    Require,
}

/// The revocation status of a path.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RevocationStatus {
    /// Not checked: the policy ignores revocation, the path is the index alone (the index is
    /// the revocation mechanism of that path), or the store holds nothing about the path.
    #[default]
    NotChecked,
    /// Every certificate of the path but the anchor has a current status, and it is good.
    Good,
    /// A certificate of the path was revoked at the validation time.
    Revoked {
        /// Its subject (RFC 4514).
        subject: String,
        /// Its serial number, hex.
        serial: String,
        /// When the revocation takes effect (the invalidity date of a key compromise, else
        /// the revocation date).
        since: PecTime,
        /// The reason (RFC 5280 5.3.1, kebab-case: `key-compromise`, ...), when the CRL
        /// entry or the OCSP response gives one.
        reason: Option<&'static str>,
        /// Which information said so.
        source: String,
    },
    /// Some certificates have a status and it is good, others have none that is current.
    Partial,
}

impl RevocationStatus {
    /// A stable kebab-case name: `not-checked`, `good`, `revoked`, `partial`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RevocationStatus::NotChecked => "not-checked",
            RevocationStatus::Good => "good",
            RevocationStatus::Revoked { .. } => "revoked",
            RevocationStatus::Partial => "partial",
        }
    }
}

/// What the revocation information of the store says of a path.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevocationReport {
    /// The status.
    pub status: RevocationStatus,
    /// What was used, one line each (`CRL of ..., thisUpdate ...`, `OCSP response by ...`).
    pub checked: Vec<String>,
    /// Certificates of the path without a current status, by subject.
    pub unknown: Vec<String>,
    /// Information that speaks of the path but was not taken, and why.
    pub ignored: Vec<String>,
}

impl RevocationReport {
    /// One sentence, for a verdict's detail.
    pub(crate) fn summary(&self) -> String {
        match &self.status {
            RevocationStatus::Revoked {
                subject,
                serial,
                since,
                reason,
                source,
            } => format!(
                "{subject} (serial {serial}) is revoked since {since}{} ({source})",
                reason.map(|r| format!(", reason {r}")).unwrap_or_default()
            ),
            _ if !self.unknown.is_empty() => format!(
                "no current revocation status for {}{}",
                self.unknown.join("; "),
                if self.ignored.is_empty() {
                    String::new()
                } else {
                    format!(" (not taken: {})", self.ignored.join("; "))
                }
            ),
            other => other.as_str().to_owned(),
        }
    }
}

/// One certificate's status from one source.
enum Found {
    Good(String),
    Revoked {
        since: i64,
        reason: Option<RevocationReason>,
        source: String,
    },
}

/// The revocation status of `path` (leaf first, anchor last) at `at`.
pub(crate) fn check(
    store: &TrustStore,
    path: &[Arc<Cert>],
    at: i64,
    options: &TrustOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> RevocationReport {
    let mut report = RevocationReport::default();
    if options.revocation == RevocationPolicy::Ignore {
        return report;
    }
    let mut any_status = false;
    let mut all_status = true;
    for (cert, issuer) in path.iter().zip(path.iter().skip(1)) {
        let mut found = Vec::new();
        // The CRLs of this certificate's issuer whose signature verifies; one with another
        // issuer name but this issuer's key identifier is not taken, and said (names compared
        // byte for byte: another encoding of the same name is not read as it).
        let mut crls = Vec::new();
        for crl in &store.crls {
            let name = format!(
                "the CRL of {} (thisUpdate {})",
                issuer.subject_string(),
                PecTime::utc_saturating(crl.this_update())
            );
            if crl.issuer_raw() != cert.issuer_raw() {
                let same_key = crl.authority_key_id().is_some()
                    && crl.authority_key_id() == issuer.subject_key_id().ok().flatten().as_deref();
                if same_key {
                    report.ignored.push(format!(
                        "{name}: its issuer name is not written as the certificate's issuer"
                    ));
                }
                continue;
            }
            let verified = store.remembered(&crl.sha256(), issuer, options, || {
                crl.verify_issued_by(issuer, options.backend, options.min_rsa_bits)
            });
            match verified {
                Err(e) => report.ignored.push(format!("{name}: {}", e.message())),
                Ok(()) => crls.push((crl, name)),
            }
        }
        let newest = crls.iter().map(|(c, _)| c.this_update()).max();
        for (crl, name) in crls {
            // A revocation counts from any CRL its issuer signed, current or not (it is
            // final); a hold only from the newest current one (a later CRL may release it).
            let entry = crl.entry(cert.serial_raw()).filter(|e| {
                e.effective_from() <= at
                    && (e.reason != Some(RevocationReason::CertificateHold)
                        || (crl.is_current(at) && Some(crl.this_update()) == newest))
            });
            match entry {
                Some(e) => found.push(Found::Revoked {
                    since: e.effective_from(),
                    reason: e.reason,
                    source: name,
                }),
                None if crl.is_current(at) => found.push(Found::Good(name)),
                None => report.ignored.push(format!(
                    "{name}: not current at {} (nextUpdate {})",
                    PecTime::utc_saturating(at),
                    crl.next_update()
                        .map(|t| PecTime::utc_saturating(t).to_string())
                        .unwrap_or_else(|| "absent".to_owned())
                )),
            }
        }
        for response in &store.ocsp {
            let name = format!("an OCSP response for {}", issuer.subject_string());
            match response.status_of(cert, issuer, at, options.backend, options.min_rsa_bits) {
                Ok(None) => {}
                Err(e) => report.ignored.push(format!("{name}: {}", e.message())),
                Ok(Some(single)) => match single.status {
                    super::ocsp::CertStatus::Revoked {
                        at: revoked_at,
                        reason,
                        invalidity,
                    } if super::crl::effective_from(revoked_at, reason, invalidity) <= at
                        && (reason != Some(RevocationReason::CertificateHold)
                            || single.is_current(at)) =>
                    {
                        found.push(Found::Revoked {
                            since: super::crl::effective_from(revoked_at, reason, invalidity),
                            reason,
                            source: name,
                        });
                    }
                    _ if !single.is_current(at) => report.ignored.push(format!(
                        "{name}: not current at {} (thisUpdate {})",
                        PecTime::utc_saturating(at),
                        PecTime::utc_saturating(single.this_update)
                    )),
                    super::ocsp::CertStatus::Unknown => {
                        report
                            .ignored
                            .push(format!("{name}: the responder does not know it"));
                    }
                    // Good, or revoked after the validation time: good then.
                    _ => found.push(Found::Good(name)),
                },
            }
        }
        let revoked = found
            .iter()
            .filter_map(|f| match f {
                Found::Revoked {
                    since,
                    reason,
                    source,
                } => Some((*since, *reason, source)),
                Found::Good(_) => None,
            })
            .min_by_key(|(since, _, _)| *since);
        if let Some((since, reason, source)) = revoked {
            report.status = RevocationStatus::Revoked {
                subject: cert.subject_string(),
                serial: cert.info().serial,
                since: PecTime::utc_saturating(since),
                reason: reason.map(RevocationReason::as_str),
                source: source.clone(),
            };
            report.checked.push(source.clone());
            break;
        }
        if found.is_empty() {
            all_status = false;
            report.unknown.push(cert.subject_string());
        } else {
            any_status = true;
            report
                .checked
                .extend(found.into_iter().filter_map(|f| match f {
                    Found::Good(s) => Some(s),
                    Found::Revoked { .. } => None,
                }));
        }
    }
    if !matches!(report.status, RevocationStatus::Revoked { .. }) {
        report.status = match (any_status, all_status) {
            (_, true) if !path.is_empty() && path.len() > 1 => RevocationStatus::Good,
            (true, false) => RevocationStatus::Partial,
            _ => RevocationStatus::NotChecked,
        };
    }
    for ignored in &report.ignored {
        diagnostics.push(Diagnostic::new(
            DiagnosticCode::TrustRevocationIgnored,
            ignored.clone(),
        ));
    }
    report
}
