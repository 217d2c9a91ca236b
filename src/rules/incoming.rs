//! Decisione del punto di ricezione (spec 6.2, 3.2, 3.5, 3.8): what an incoming point does
//! with a message another mail system sends it.
//!
//! > Correct busta ⇒ presa in carico + forward to DP; correct receipt ⇒ forward to DP
//! > (presa in carico and rilevazione virus go to the service mailbox); signed-by-provider
//! > but malformed ⇒ busta di anomalia; not from a provider ⇒ ordinary mail (anomalia if
//! > accepted, virus-scanned). A virus-infected but otherwise valid busta counts as correct,
//! > then triggers rilevazione-virus (one per recipient). Virus in ordinary mail may simply
//! > be discarded.
//!
//! [`decide_incoming`] takes the reader's result, so every check of spec 6.2 (signature,
//! provider index, chain, `From` domain, formal correctness) has already been made; call it
//! once per SMTP transaction, with the transaction's recipients in this provider's domains.
//! The taking in charge it plans covers all of them: one per sending provider and
//! transaction, as spec 3.5 asks.

use std::collections::HashSet;

use crate::build::{MessageKind, OriginalFacts};
use crate::error::Severity;
use crate::read::{PecMessage, SignatureStatus};
use crate::trust::TrustVerdict;

/// What the recipient's mailbox accepts besides PEC (a mailbox policy, spec 3.2).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrdinaryMail {
    /// Ordinary mail is delivered inside an anomaly envelope (the rules' default behaviour).
    #[default]
    WrapInAnomaly,
    /// Ordinary mail is refused.
    Refuse,
}

/// The incoming point's policy.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IncomingPolicy {
    /// What to do with mail that is not a correct PEC message from a provider.
    pub ordinary_mail: OrdinaryMail,
}

/// Where a correct message goes.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// The recipients' mailboxes (through the delivery point).
    Mailboxes,
    /// The provider's service mailbox (`mailReceipt`): taking-in-charge receipts and virus
    /// detection notices, never shown to users (spec 3.5, 3.8).
    ServiceMailbox,
}

/// A taking in charge to emit (spec 3.5): build it with
/// [`TakingInCharge`](crate::build::TakingInCharge).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakingInChargePlan {
    /// The sender provider's service mailbox: `mailReceipt` from the provider index, else
    /// the address in its signing certificate.
    pub to: String,
    /// The recipients of this transaction it covers (`ricezione`), as in the envelope.
    pub covered: Vec<String>,
}

/// A virus detection notice to emit for one recipient (spec 3.8): build it with
/// [`VirusDetection`](crate::build::VirusDetection).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirusNoticePlan {
    /// The recipient the envelope was for.
    pub recipient: String,
    /// The sender provider's service mailbox.
    pub to: String,
}

/// The incoming point's decision.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingDecision {
    /// A correct transport envelope: deliver it, and take it in charge.
    DeliverEnvelope {
        /// The envelope's facts, for the receipts.
        facts: OriginalFacts,
        /// The taking in charge to send back.
        taking_in_charge: TakingInChargePlan,
        /// Recipients of the transaction that the envelope's daticert does not list: they
        /// are not covered, and should not be delivered to.
        not_listed: Vec<String>,
    },
    /// A correct receipt, notice or anomaly envelope from a provider: deliver it.
    Deliver {
        /// Where it goes.
        to: Destination,
    },
    /// A correct transport envelope carrying a virus: do not deliver it; send a virus
    /// detection notice per recipient and keep the message (30 months, spec 9).
    VirusDetected {
        /// The envelope's facts, for the notices.
        facts: OriginalFacts,
        /// The name of what was found.
        virus: String,
        /// One notice per recipient.
        notices: Vec<VirusNoticePlan>,
    },
    /// Deliver the message inside an anomaly envelope
    /// ([`AnomalyEnvelope`](crate::build::AnomalyEnvelope)) with this reason (Italian, for
    /// the text).
    Anomaly {
        /// Why it is an anomaly.
        reason: String,
    },
    /// Refuse it (ordinary mail the policy refuses) or discard it (ordinary mail with a
    /// virus).
    Refuse {
        /// Why.
        reason: String,
    },
}

/// Decides what the incoming point does with `message` (read by
/// [`read`](crate::read::read) against the provider index), received in one SMTP transaction
/// for `local_recipients` (the forward paths in this provider's domains); `virus` is the
/// caller's antivirus verdict.
pub fn decide_incoming(
    message: &PecMessage<'_>,
    local_recipients: &[&str],
    virus: Option<&str>,
    policy: &IncomingPolicy,
) -> IncomingDecision {
    let trusted = message.signature == SignatureStatus::Valid
        && message
            .trust
            .as_ref()
            .is_some_and(|t| t.verdict == TrustVerdict::Trusted);

    if !trusted {
        // Not from a provider: ordinary mail.
        if let Some(name) = virus {
            return IncomingDecision::Refuse {
                reason: format!("posta ordinaria con virus ({name}): scartata"),
            };
        }
        let why = not_pec_reason(message);
        return match policy.ordinary_mail {
            OrdinaryMail::WrapInAnomaly => IncomingDecision::Anomaly { reason: why },
            OrdinaryMail::Refuse => IncomingDecision::Refuse { reason: why },
        };
    }

    // Signed by a provider: correct, or an anomaly.
    let errors: Vec<String> = message
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}: {}", d.code, d.detail))
        .collect();
    let kind = match message.kind {
        Some(k) if errors.is_empty() && message.is_valid() => k,
        _ => {
            return IncomingDecision::Anomaly {
                reason: format!(
                    "messaggio firmato da un gestore ma formalmente non corretto: {}",
                    if errors.is_empty() {
                        "tipo non riconosciuto".to_owned()
                    } else {
                        errors.join("; ")
                    }
                ),
            };
        }
    };
    match kind {
        MessageKind::TransportEnvelope => {
            let Some(daticert) = &message.daticert else {
                return IncomingDecision::Anomaly {
                    reason: "busta di trasporto senza daticert.xml".to_owned(),
                };
            };
            let facts = OriginalFacts::from_daticert(daticert);
            let to = service_mailbox(message);
            // Sets of lower-cased addresses: the destinatari of a hostile daticert run to
            // thousands, and searching them for every recipient would be quadratic.
            let listed: HashSet<String> = facts
                .recipients
                .iter()
                .map(|r| r.address.to_ascii_lowercase())
                .collect();
            let mut covered: Vec<String> = Vec::new();
            let mut not_listed: Vec<String> = Vec::new();
            // Whether an address is listed depends on its lower case alone, so one set of
            // those seen says whether its list already has it.
            let mut seen: HashSet<String> = HashSet::new();
            for a in local_recipients {
                let lower = a.to_ascii_lowercase();
                let target = if listed.contains(&lower) {
                    &mut covered
                } else {
                    &mut not_listed
                };
                if seen.insert(lower) {
                    target.push((*a).to_owned());
                }
            }
            match virus {
                Some(name) => IncomingDecision::VirusDetected {
                    virus: name.to_owned(),
                    notices: covered
                        .into_iter()
                        .map(|recipient| VirusNoticePlan {
                            recipient,
                            to: to.clone(),
                        })
                        .collect(),
                    facts,
                },
                None => IncomingDecision::DeliverEnvelope {
                    facts,
                    taking_in_charge: TakingInChargePlan { to, covered },
                    not_listed,
                },
            }
        }
        MessageKind::TakingInCharge | MessageKind::VirusDetection => IncomingDecision::Deliver {
            to: Destination::ServiceMailbox,
        },
        _ => IncomingDecision::Deliver {
            to: Destination::Mailboxes,
        },
    }
}

/// The sender provider's service mailbox: `mailReceipt`, else its certificate's address.
fn service_mailbox(message: &PecMessage<'_>) -> String {
    message
        .trust
        .as_ref()
        .and_then(|t| t.provider.as_ref())
        .and_then(|p| p.service_address.clone())
        .or_else(|| {
            message
                .signature_report
                .as_ref()
                .and_then(|r| r.signer.email_addresses.first().cloned())
        })
        .unwrap_or_default()
}

/// Why a message is ordinary mail, in Italian for the anomaly envelope's text.
fn not_pec_reason(message: &PecMessage<'_>) -> String {
    match message.signature {
        SignatureStatus::Absent => "il messaggio non è firmato: non è posta certificata".to_owned(),
        SignatureStatus::Invalid => {
            "la firma del messaggio non è valida (contenuto alterato o firma non corrispondente)"
                .to_owned()
        }
        SignatureStatus::Malformed => "la firma del messaggio non è leggibile".to_owned(),
        SignatureStatus::Refused => {
            "la firma del messaggio usa una chiave o un algoritmo non ammessi".to_owned()
        }
        SignatureStatus::Valid => format!(
            "il firmatario non è un gestore di posta certificata ({})",
            message
                .trust
                .as_ref()
                .map(|t| t.verdict.as_str())
                .unwrap_or("non verificato")
        ),
    }
}
