//! Controlli formali del punto di accesso (spec 6.1): whether an access point accepts a
//! message its user submits, and why not.
//!
//! > The AP must ensure RFC 5322 conformity and verify that: a `From:` header with one
//! > address exists; a `To:` header with one or more addresses exists; the SMTP reverse path
//! > equals the `From:` address; the forward-path recipients coincide with the addresses in
//! > `To:`/`Cc:`; `Bcc:` contains no value; total size × number of recipients is within the
//! > provider limit; antivirus scan. Failure ⇒ avviso di non accettazione.
//!
//! [`check_submission`] finds **every** reason, not only the first, so that the notice tells
//! the user everything to fix at once. Addresses are compared without case (mailbox local
//! parts are case-sensitive in theory, never in PEC practice).

use std::collections::HashSet;

use crate::build::{OriginalFacts, original_headers};
use crate::daticert::Recipient;
use crate::error::Error;
use crate::mime::address;
use crate::trust::TrustStore;

/// An access point's limits and policy (spec 6.1 item 6; the rules leave the numbers to the
/// provider).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionPolicy {
    /// The largest message size times its number of recipients, in bytes. Default: 100 MB,
    /// as today's provider manuals state it (the 2005 rules said 30 MB).
    pub max_size_times_recipients: u64,
    /// The most recipients per message, if the provider sets a number (Poste: 100, TI.TT:
    /// 1000). Default: none.
    pub max_recipients: Option<usize>,
    /// Refuse a `Bcc:` header even when it is empty. The rules refuse a `Bcc:` with a value;
    /// provider manuals refuse its mere presence. Default: `true`, as the manuals do.
    pub refuse_empty_bcc: bool,
}

impl Default for SubmissionPolicy {
    fn default() -> Self {
        SubmissionPolicy {
            max_size_times_recipients: 100_000_000,
            max_recipients: None,
            refuse_empty_bcc: true,
        }
    }
}

/// A submitted message as the access point receives it (spec 6.1).
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// The message, CR LF.
    pub original: &'a [u8],
    /// The SMTP reverse path (`MAIL FROM`), without angle brackets.
    pub reverse_path: &'a str,
    /// The SMTP forward paths (`RCPT TO`), without angle brackets.
    pub forward_paths: &'a [&'a str],
    /// The caller's antivirus verdict: the name of what was found, or `None` when clean.
    pub virus: Option<&'a str>,
    /// The PEC identifier the access point assigns (used in the facts of the receipts).
    pub identifier: &'a str,
}

/// Why a submission is refused (spec 6.1); each reason names what the user must fix.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalReason {
    /// The message is not an RFC 5322 message (no header block, repeated single fields, ...).
    NotAMessage(String),
    /// No `From:` header.
    FromMissing,
    /// `From:` does not hold exactly one valid address.
    FromNotOneAddress(String),
    /// No `To:` header, or one without addresses.
    ToMissing,
    /// An address in `To:` or `Cc:` (or a forward path) is not valid.
    InvalidAddress {
        /// The field (`To`, `Cc`, `forward path`).
        field: &'static str,
        /// The address as found.
        address: String,
    },
    /// The SMTP reverse path is not the `From:` address.
    ReversePathDiffers {
        /// `MAIL FROM`.
        reverse_path: String,
        /// The `From:` address.
        from: String,
    },
    /// The forward paths do not coincide with the `To:` and `Cc:` addresses.
    ForwardPathsDiffer {
        /// Forward paths not in `To:` or `Cc:` (a hidden recipient).
        not_in_headers: Vec<String>,
        /// `To:` or `Cc:` addresses without a forward path.
        not_in_forward_paths: Vec<String>,
    },
    /// A `Bcc:` header (with a value, or at all when the policy says so).
    BccPresent,
    /// Size times recipients is over the limit.
    TooLarge {
        /// The message size in bytes.
        size: u64,
        /// The number of recipients.
        recipients: u64,
        /// The policy's limit on their product.
        limit: u64,
    },
    /// More recipients than the policy allows.
    TooManyRecipients {
        /// The number of recipients.
        count: usize,
        /// The policy's limit.
        limit: usize,
    },
    /// The antivirus found something (the virus variant of the notice).
    Virus(String),
}

impl RefusalReason {
    /// The reason in Italian, for `errore-esteso` and the text of the avviso di non
    /// accettazione.
    pub fn italian(&self) -> String {
        match self {
            RefusalReason::NotAMessage(d) => {
                format!("il messaggio non è conforme allo standard RFC 5322 ({d})")
            }
            RefusalReason::FromMissing => "manca il campo From".to_owned(),
            RefusalReason::FromNotOneAddress(v) => {
                format!("il campo From non contiene un solo indirizzo valido ({v})")
            }
            RefusalReason::ToMissing => "manca il campo To o non contiene indirizzi".to_owned(),
            RefusalReason::InvalidAddress { field, address } => {
                format!("indirizzo non valido nel campo {field}: {address}")
            }
            RefusalReason::ReversePathDiffers { reverse_path, from } => format!(
                "il mittente della sessione SMTP ({reverse_path}) non coincide con il campo \
                 From ({from})"
            ),
            RefusalReason::ForwardPathsDiffer {
                not_in_headers,
                not_in_forward_paths,
            } => {
                let mut parts = Vec::new();
                if !not_in_headers.is_empty() {
                    parts.push(format!(
                        "destinatari non presenti nei campi To o Cc: {}",
                        not_in_headers.join(", ")
                    ));
                }
                if !not_in_forward_paths.is_empty() {
                    parts.push(format!(
                        "destinatari dei campi To o Cc assenti dalla sessione SMTP: {}",
                        not_in_forward_paths.join(", ")
                    ));
                }
                parts.join("; ")
            }
            RefusalReason::BccPresent => "è presente il campo Bcc (Ccn)".to_owned(),
            RefusalReason::TooLarge {
                size,
                recipients,
                limit,
            } => format!(
                "la dimensione del messaggio ({size} byte) per il numero dei destinatari \
                 ({recipients}) supera il limite di {limit} byte"
            ),
            RefusalReason::TooManyRecipients { count, limit } => {
                format!("{count} destinatari, oltre il limite di {limit}")
            }
            RefusalReason::Virus(name) => format!("rilevato virus: {name}"),
        }
    }
}

impl core::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RefusalReason::NotAMessage(d) => write!(f, "not an RFC 5322 message: {d}"),
            RefusalReason::FromMissing => f.write_str("no From header"),
            RefusalReason::FromNotOneAddress(v) => {
                write!(f, "From does not hold exactly one valid address: {v:?}")
            }
            RefusalReason::ToMissing => f.write_str("no To header, or no address in it"),
            RefusalReason::InvalidAddress { field, address } => {
                write!(f, "invalid address in {field}: {address:?}")
            }
            RefusalReason::ReversePathDiffers { reverse_path, from } => write!(
                f,
                "the SMTP reverse path {reverse_path:?} is not the From address {from:?}"
            ),
            RefusalReason::ForwardPathsDiffer {
                not_in_headers,
                not_in_forward_paths,
            } => write!(
                f,
                "forward paths and To/Cc differ: not in To/Cc {not_in_headers:?}, \
                 without a forward path {not_in_forward_paths:?}"
            ),
            RefusalReason::BccPresent => f.write_str("a Bcc header"),
            RefusalReason::TooLarge {
                size,
                recipients,
                limit,
            } => write!(
                f,
                "{size} bytes times {recipients} recipients is over the limit of {limit}"
            ),
            RefusalReason::TooManyRecipients { count, limit } => {
                write!(f, "{count} recipients, over the limit of {limit}")
            }
            RefusalReason::Virus(name) => write!(f, "virus found: {name}"),
        }
    }
}

/// A refused submission: every reason found, and what the non-acceptance notice needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Every reason, in the order of spec 6.1.
    pub reasons: Vec<RefusalReason>,
    /// The facts for the avviso di non accettazione
    /// ([`NonAcceptance`](crate::build::NonAcceptance)), with the reverse path as sender and
    /// the forward paths as recipients; `None` when even those are not usable (an invalid
    /// reverse path or no valid forward path), and the refusal can only be given in the SMTP
    /// session.
    pub facts: Option<OriginalFacts>,
}

impl Refusal {
    /// Whether the notice is the virus variant (`errore="virus"`).
    pub fn is_virus(&self) -> bool {
        self.reasons
            .iter()
            .any(|r| matches!(r, RefusalReason::Virus(_)))
    }

    /// Every reason in Italian, joined with `"; "`: the `reason` of the notice.
    pub fn italian(&self) -> String {
        self.reasons
            .iter()
            .map(RefusalReason::italian)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The access point's decision on a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmissionDecision {
    /// Accepted: the facts of the transaction, each recipient classified `certificato` (its
    /// domain is managed by a provider of the trust store) or `esterno`, in `To:` then `Cc:`
    /// order. They feed the acceptance receipt and the transport envelope.
    Accept(OriginalFacts),
    /// Refused, with every reason.
    Refuse(Refusal),
}

/// Checks a submission (spec 6.1) and classifies its recipients through `store`'s managed
/// domains.
pub fn check_submission(
    submission: &Submission<'_>,
    store: &TrustStore,
    policy: &SubmissionPolicy,
) -> SubmissionDecision {
    let mut reasons = Vec::new();
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let classify = |a: &str| {
        let domain = a.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if store.provider_for_domain(domain).is_some() {
            Recipient::certified(a)
        } else {
            Recipient::external(a)
        }
    };

    // The header fields that matter, each at most once.
    let mut header_recipients: Vec<String> = Vec::new();
    // Each list also as a set of lower-cased addresses: comparing every address with every
    // other would be quadratic in a To of thousands.
    let mut header_set: HashSet<String> = HashSet::new();
    match original_headers(submission.original) {
        Err(e) => reasons.push(RefusalReason::NotAMessage(e.message().to_owned())),
        Ok(head) => {
            // Raw values: decoding RFC 2047 first could turn a quoted display name into
            // something that splits on its comma.
            let mut one = |name: &str| match head.one(name) {
                Ok(f) => f.map(|f| f.unfolded()),
                Err(e) => {
                    reasons.push(RefusalReason::NotAMessage(e.message().to_owned()));
                    None
                }
            };
            let from = one("From");
            let to = one("To");
            let cc = one("Cc");
            let bcc = one("Bcc");
            match from {
                None => reasons.push(RefusalReason::FromMissing),
                Some(value) => match address::list(&value).as_slice() {
                    [a] if address::is_address(a) => {
                        if !same(a, submission.reverse_path) {
                            reasons.push(RefusalReason::ReversePathDiffers {
                                reverse_path: submission.reverse_path.to_owned(),
                                from: a.clone(),
                            });
                        }
                    }
                    _ => reasons.push(RefusalReason::FromNotOneAddress(value.trim().to_owned())),
                },
            }
            let to_list = to.map(|v| address::list(&v)).unwrap_or_default();
            if to_list.is_empty() {
                reasons.push(RefusalReason::ToMissing);
            }
            let cc_list = cc.map(|v| address::list(&v)).unwrap_or_default();
            for (field, list) in [("To", &to_list), ("Cc", &cc_list)] {
                for a in list {
                    if !address::is_address(a) {
                        reasons.push(RefusalReason::InvalidAddress {
                            field,
                            address: a.clone(),
                        });
                    } else if header_set.insert(a.to_ascii_lowercase()) {
                        header_recipients.push(a.clone());
                    }
                }
            }
            if let Some(bcc) = bcc
                && (policy.refuse_empty_bcc || !bcc.trim().is_empty())
            {
                reasons.push(RefusalReason::BccPresent);
            }
        }
    }

    // The forward paths against To and Cc.
    let mut forward: Vec<String> = Vec::new();
    let mut forward_set: HashSet<String> = HashSet::new();
    for a in submission.forward_paths {
        if !address::is_address(a) {
            reasons.push(RefusalReason::InvalidAddress {
                field: "forward path",
                address: (*a).to_owned(),
            });
        } else if forward_set.insert(a.to_ascii_lowercase()) {
            forward.push((*a).to_owned());
        }
    }
    let not_in_headers: Vec<String> = forward
        .iter()
        .filter(|f| !header_set.contains(&f.to_ascii_lowercase()))
        .cloned()
        .collect();
    let not_in_forward_paths: Vec<String> = header_recipients
        .iter()
        .filter(|h| !forward_set.contains(&h.to_ascii_lowercase()))
        .cloned()
        .collect();
    if !not_in_headers.is_empty() || !not_in_forward_paths.is_empty() {
        reasons.push(RefusalReason::ForwardPathsDiffer {
            not_in_headers,
            not_in_forward_paths,
        });
    }

    // Size and count.
    let count = forward.len().max(1);
    let size = submission.original.len() as u64;
    if size.saturating_mul(count as u64) > policy.max_size_times_recipients {
        reasons.push(RefusalReason::TooLarge {
            size,
            recipients: count as u64,
            limit: policy.max_size_times_recipients,
        });
    }
    if let Some(limit) = policy.max_recipients
        && forward.len() > limit
    {
        reasons.push(RefusalReason::TooManyRecipients {
            count: forward.len(),
            limit,
        });
    }
    if let Some(name) = submission.virus {
        reasons.push(RefusalReason::Virus(name.to_owned()));
    }

    // Recipients in To/Cc order when they agree, else the forward paths as given.
    let order: Vec<&String> = if reasons.is_empty() {
        header_recipients.iter().collect()
    } else {
        forward.iter().collect()
    };
    let recipients: Vec<Recipient> = order.into_iter().map(|a| classify(a)).collect();
    let facts = facts(submission, recipients);
    if reasons.is_empty() {
        match facts {
            Ok(f) => SubmissionDecision::Accept(f),
            // Every field was checked above; a failure here is a field the checks do not
            // cover (the identifier given by the caller, a subject with a line break).
            Err(e) => SubmissionDecision::Refuse(Refusal {
                reasons: vec![RefusalReason::NotAMessage(e.message().to_owned())],
                facts: None,
            }),
        }
    } else {
        SubmissionDecision::Refuse(Refusal {
            reasons,
            facts: facts.ok(),
        })
    }
}

fn facts(submission: &Submission<'_>, recipients: Vec<Recipient>) -> Result<OriginalFacts, Error> {
    OriginalFacts::from_original(
        submission.original,
        submission.reverse_path,
        recipients,
        submission.identifier,
    )
}
