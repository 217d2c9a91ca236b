//! Classification and the cross-checks of unsigned headers against signed content.

use super::{Headers, PecMessage, ReadOptions, kind_of};
use crate::build::MessageKind;
use crate::daticert::{CertError, DaticertKind};
use crate::error::{Diagnostic, DiagnosticCode};
use crate::mime::{address, words};
use crate::trust::{DomainOwner, TrustStore, TrustVerdict};

/// The PEC marker headers, every occurrence.
#[derive(Debug, Clone, Default)]
pub(crate) struct Markers {
    pub ricevuta: Vec<String>,
    pub trasporto: Vec<String>,
    pub security: Vec<String>,
}

impl Markers {
    pub(crate) fn any(&self) -> bool {
        !self.ricevuta.is_empty() || !self.trasporto.is_empty()
    }
}

pub(crate) fn markers(h: &Headers<'_>) -> Markers {
    let values = |name: &str| -> Vec<String> {
        h.all(name, false)
            .into_iter()
            .map(|v| v.trim().to_ascii_lowercase())
            .collect()
    };
    Markers {
        ricevuta: values("X-Ricevuta"),
        trasporto: values("X-Trasporto"),
        security: values("X-VerificaSicurezza"),
    }
}

/// What the markers claim, without the daticert: the base kind of each value.
pub(crate) fn claimed(markers: &Markers) -> Option<MessageKind> {
    if let Some(t) = markers.trasporto.first() {
        return match t.as_str() {
            "posta-certificata" => Some(MessageKind::TransportEnvelope),
            "errore" => Some(MessageKind::AnomalyEnvelope),
            _ => None,
        };
    }
    let virus = !markers.security.is_empty();
    Some(match markers.ricevuta.first()?.as_str() {
        "accettazione" => MessageKind::Acceptance,
        "non-accettazione" if virus => MessageKind::NonAcceptanceVirus,
        "non-accettazione" => MessageKind::NonAcceptance,
        "presa-in-carico" => MessageKind::TakingInCharge,
        "avvenuta-consegna" => MessageKind::DeliveryFull,
        "errore-consegna" if virus => MessageKind::NonDeliveryVirus,
        "errore-consegna" => MessageKind::NonDelivery,
        "preavviso-errore-consegna" => MessageKind::DeliveryTimeout,
        "rilevazione-virus" => MessageKind::VirusDetection,
        _ => return None,
    })
}

/// The kind: the signed daticert decides when there is one; otherwise what the markers
/// claim (an anomaly envelope has no daticert).
pub(crate) fn classify(m: &PecMessage<'_>, markers: &Markers) -> Option<MessageKind> {
    match &m.daticert {
        Some(d) => Some(kind_of(d)),
        None => claimed(markers),
    }
}

/// The marker value a daticert `tipo` goes with.
fn marker_for(kind: DaticertKind) -> (&'static str, &'static str) {
    match kind {
        DaticertKind::Transport => ("X-Trasporto", "posta-certificata"),
        DaticertKind::Acceptance => ("X-Ricevuta", "accettazione"),
        DaticertKind::NonAcceptance => ("X-Ricevuta", "non-accettazione"),
        DaticertKind::TakingInCharge => ("X-Ricevuta", "presa-in-carico"),
        DaticertKind::Delivery => ("X-Ricevuta", "avvenuta-consegna"),
        DaticertKind::NonDelivery => ("X-Ricevuta", "errore-consegna"),
        DaticertKind::DeliveryTimeout => ("X-Ricevuta", "preavviso-errore-consegna"),
        _ => ("X-Ricevuta", "rilevazione-virus"),
    }
}

pub(crate) fn cross_check(
    m: &mut PecMessage<'_>,
    headers: &Headers<'_>,
    markers: &Markers,
    store: &TrustStore,
    options: &ReadOptions,
) {
    claimed_times(m, options);
    // Duplicated PEC headers: which one counts is what a forger would play with.
    for name in [
        "X-Ricevuta",
        "X-Trasporto",
        "X-VerificaSicurezza",
        "X-Riferimento-Message-ID",
        "X-Mittente",
        "Message-ID",
        "From",
        "Sender",
        "Reply-To",
        "To",
        "Cc",
        "Date",
        "Subject",
    ] {
        let n = headers.all(name, false).len();
        if n > 1 {
            m.add(
                DiagnosticCode::PecDuplicateHeader,
                format!("{name} appears {n} times"),
            );
        }
    }
    let tipo = headers.all("X-TipoRicevuta", true);
    if tipo.len() > 1 {
        m.add(
            DiagnosticCode::PecDuplicateHeader,
            format!("X-TipoRicevuta appears {} times", tipo.len()),
        );
    }
    if !markers.ricevuta.is_empty() && !markers.trasporto.is_empty() {
        m.add(
            DiagnosticCode::PecMarkerConflict,
            "both X-Ricevuta and X-Trasporto",
        );
    }
    if markers.any() && claimed(markers).is_none() {
        let value = markers
            .ricevuta
            .first()
            .or(markers.trasporto.first())
            .cloned()
            .unwrap_or_default();
        m.add(
            DiagnosticCode::PecMarkerUnknown,
            format!("marker value {value:?} is not defined by the spec"),
        );
    }

    let Some(kind) = m.kind else {
        // Signed by a provider, yet neither a daticert nor a marker: not a PEC message to
        // anyone, but one its provider never wrote so.
        if m.trust
            .as_ref()
            .is_some_and(|t| t.verdict == TrustVerdict::Trusted)
        {
            m.add(
                DiagnosticCode::PecMarkerMissing,
                "signed by a trusted provider, but no daticert and no X-Ricevuta or X-Trasporto",
            );
        }
        return;
    };

    // Markers against the signed daticert (taken out while `m` gets diagnostics, and put
    // back: no copy).
    let daticert = m.daticert.take();
    match &daticert {
        Some(d) => {
            let (name, value) = marker_for(d.kind);
            let present = if name == "X-Trasporto" {
                &markers.trasporto
            } else {
                &markers.ricevuta
            };
            if !markers.any() {
                m.add(
                    DiagnosticCode::PecMarkerMissing,
                    format!(
                        "no X-Ricevuta or X-Trasporto; daticert says tipo=\"{}\"",
                        d.kind
                    ),
                );
            } else if present.first().map(String::as_str) != Some(value) {
                m.add(
                    DiagnosticCode::PecMarkerMismatch,
                    format!(
                        "the headers say {}, daticert says tipo=\"{}\"",
                        markers
                            .ricevuta
                            .first()
                            .map(|v| format!("X-Ricevuta: {v}"))
                            .or(markers
                                .trasporto
                                .first()
                                .map(|v| format!("X-Trasporto: {v}")))
                            .unwrap_or_default(),
                        d.kind
                    ),
                );
            }
            // X-VerificaSicurezza goes with errore="virus" on the two notices that have a
            // virus variant.
            if matches!(
                d.kind,
                DaticertKind::NonAcceptance | DaticertKind::NonDelivery
            ) {
                let virus = d.error == CertError::Virus;
                let flagged = markers.security.iter().any(|v| v == "errore");
                if virus != flagged {
                    m.add(
                        DiagnosticCode::PecSecurityMismatch,
                        format!(
                            "X-VerificaSicurezza {} but errore=\"{}\"",
                            if flagged { "present" } else { "absent" },
                            d.error
                        ),
                    );
                }
            }
            for v in d.validate() {
                match v.code {
                    DiagnosticCode::ConsegnaNotRecipient
                    | DiagnosticCode::RicezioneNotRecipient => {
                        m.add(DiagnosticCode::PecRecipientMismatch, v.detail.clone());
                    }
                    _ => {}
                }
                m.diagnostics.push(v);
            }
            // Identifiers.
            if kind == MessageKind::TransportEnvelope {
                let id = headers.first("Message-ID").map(|v| {
                    v.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned()
                });
                if id.as_deref() != Some(d.data.identifier.as_str()) {
                    m.add(
                        DiagnosticCode::PecIdentifierMismatch,
                        format!(
                            "Message-ID {:?}, identificativo {:?}",
                            id.unwrap_or_default(),
                            d.data.identifier
                        ),
                    );
                }
            }
            let reference = headers.first("X-Riferimento-Message-ID").map(str::trim);
            match (reference, d.data.client_message_id.as_deref()) {
                (Some(r), Some(msgid)) if r != msgid.trim() => m.add(
                    DiagnosticCode::PecReferenceMismatch,
                    format!("X-Riferimento-Message-ID {r:?}, msgid {msgid:?}"),
                ),
                (Some(r), None) => m.add(
                    DiagnosticCode::PecReferenceMismatch,
                    format!("X-Riferimento-Message-ID {r:?}, but daticert has no msgid"),
                ),
                (None, Some(msgid)) => m.add(
                    DiagnosticCode::PecReferenceMissing,
                    format!("daticert msgid {msgid:?}"),
                ),
                _ => {}
            }
            if let (Some(t), Some(r)) = (tipo.first(), d.data.receipt)
                && !t.trim().eq_ignore_ascii_case(r.as_str())
            {
                m.add(
                    DiagnosticCode::PecReceiptTypeMismatch,
                    format!("X-TipoRicevuta {:?}, ricevuta tipo=\"{r}\"", t.trim()),
                );
            }
            if d.kind == DaticertKind::VirusDetection {
                let sender = headers.first("X-Mittente").map(str::trim);
                if sender.is_none_or(|s| !s.eq_ignore_ascii_case(&d.header.sender)) {
                    m.add(
                        DiagnosticCode::PecSenderMismatch,
                        format!("X-Mittente {sender:?}, mittente {:?}", d.header.sender),
                    );
                }
            }
            // The subject after the prefix, against oggetto: exactly, control characters
            // and inner blanks included, since every reader shows them. Blanks at the end
            // are not: a header value's are trimmed, as readers trim them.
            if let Some(subject) = headers.first("Subject") {
                let decoded = words::decode(subject);
                if let Some(pos) = decoded.find(kind.subject_prefix()) {
                    let rest = &decoded[pos + kind.subject_prefix().len()..];
                    let oggetto = d.header.subject.clone().unwrap_or_default();
                    if rest.trim_end_matches([' ', '\t']) != oggetto.trim_end_matches([' ', '\t']) {
                        m.add(
                            DiagnosticCode::PecSubjectDiffers,
                            format!("subject {rest:?}, oggetto {oggetto:?}"),
                        );
                    }
                }
            }
        }
        None if kind != MessageKind::AnomalyEnvelope
            && !m
                .diagnostics
                .iter()
                .any(|d| d.code == DiagnosticCode::PecNoDaticert) =>
        {
            m.add(
                DiagnosticCode::PecNoDaticert,
                format!("a {kind} without daticert.xml"),
            );
        }
        None => {}
    }
    m.daticert = daticert;

    // The subject prefix (after RFC 2047 decoding), never used to classify.
    let subject = headers
        .first("Subject")
        .map(words::decode)
        .unwrap_or_default();
    let prefix = kind.subject_prefix();
    if !subject.starts_with(prefix) {
        match subject.find(prefix) {
            Some(pos) => {
                let tag = subject.get(..pos).unwrap_or("").to_owned();
                m.add(
                    DiagnosticCode::PecSubjectTag,
                    format!("{tag:?} before the prefix"),
                );
                if !options.allow_subject_tags {
                    m.add(
                        DiagnosticCode::PecDeviation,
                        "pec-subject-tag: allowed by ReadOptions::allow_subject_tags",
                    );
                }
            }
            None => m.add(
                DiagnosticCode::PecSubjectPrefix,
                format!("subject {subject:?} does not start with {prefix:?}"),
            ),
        }
    }

    // From against the signer and its provider.
    let from = headers
        .first("From")
        .and_then(|v| address::list(v).into_iter().next());
    let signer_addresses = m
        .signature_report
        .as_ref()
        .map(|r| r.signer.email_addresses.clone());
    if let (Some(from), Some(addresses)) = (&from, signer_addresses)
        && !addresses.iter().any(|a| a.eq_ignore_ascii_case(from))
    {
        m.add(
            DiagnosticCode::PecFromMismatch,
            format!("From {from:?}, signer address {addresses:?}"),
        );
    }
    let provider_domains = m
        .trust
        .as_ref()
        .and_then(|t| t.provider.as_ref())
        .map(|p| p.domains.clone());
    if let (Some(from), Some(domains)) = (&from, &provider_domains) {
        let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if !domains.is_empty() && !domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
            m.add(
                DiagnosticCode::PecFromDomain,
                format!("From domain {domain:?} is not managed by the signer's provider"),
            );
        }
    }

    // The mailbox a message certifies something about belongs to the provider that signs
    // it: the sender's provider accepts, refuses, carries and times out; the recipient's
    // provider takes in charge, delivers and detects viruses. A provider signing for a
    // mailbox it does not manage certifies what it cannot know. Who manages a domain is what
    // the store knows (`TrustStore::owner_of`): the index, else the certificates and the
    // CAs' name constraints.
    let found = mailbox_owners(m, store);
    m.diagnostics.extend(found);
}

/// `pec-provider-domain` and `pec-provider-domain-unknown` for a message whose signer is
/// trusted (see [`cross_check`]).
fn mailbox_owners(m: &PecMessage<'_>, store: &TrustStore) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let trusted = m.trust.as_ref().filter(|t| {
        matches!(
            t.verdict,
            TrustVerdict::Trusted | TrustVerdict::TrustedAtClaimedTime
        )
    });
    let (Some(d), Some(trust)) = (m.daticert.as_ref(), trusted) else {
        return out;
    };
    let owner = |address: &str| {
        let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        store.owner_of(trust, domain)
    };
    let sender = std::slice::from_ref(&d.header.sender);
    let delivery = d.data.delivery.as_slice();
    let (whose, addresses): (&str, Vec<&String>) = match d.kind {
        DaticertKind::Transport
        | DaticertKind::Acceptance
        | DaticertKind::NonAcceptance
        | DaticertKind::DeliveryTimeout => ("sender", sender.iter().collect()),
        DaticertKind::TakingInCharge => ("recipients", d.data.receptions.iter().collect()),
        DaticertKind::Delivery | DaticertKind::VirusDetection => {
            ("recipient", delivery.iter().collect())
        }
        // A non-delivery comes from the recipient's delivery point, or from the sender's
        // provider (the virus variant, or a domain no provider manages): either may sign.
        _ => (
            "sender or recipient",
            if delivery.iter().any(|a| owner(a) == DomainOwner::Signer)
                || owner(&d.header.sender) == DomainOwner::Signer
            {
                Vec::new()
            } else {
                sender.iter().chain(delivery.iter()).collect()
            },
        ),
    };
    let (mut foreign, mut unknown) = (Vec::new(), Vec::new());
    for a in addresses {
        // What is not one mailbox belongs to no provider's domains (`x@pec.beta.test.`, with
        // its trailing dot, would otherwise be nobody's known domain).
        if !address::is_address(a) {
            foreign.push(a.as_str());
            continue;
        }
        match owner(a) {
            DomainOwner::Signer => {}
            DomainOwner::Other => foreign.push(a.as_str()),
            _ => unknown.push(a.as_str()),
        }
    }
    if !foreign.is_empty() {
        out.push(Diagnostic::new(
            DiagnosticCode::PecProviderDomain,
            format!(
                "a {} about the {whose} {foreign:?}, signed by a provider that does not \
                 manage that domain",
                d.kind
            ),
        ));
    }
    if !unknown.is_empty() {
        out.push(Diagnostic::new(
            DiagnosticCode::PecProviderDomainUnknown,
            format!(
                "a {} about the {whose} {unknown:?}: the trust store does not say whether \
                 its signer manages that domain",
                d.kind
            ),
        ));
    }
    out
}

/// The times a message claims, against each other: the CMS `signingTime` against the
/// daticert `data` (spec 2.4: one transaction, one time; the `Date:` header is compared in
/// [`super::visible`]). Neither is a clock (the caller's validation time is), but a signing
/// time years away from the signed `data` is a backdated signature.
fn claimed_times(m: &mut PecMessage<'_>, options: &ReadOptions) {
    let Some(data) = m.daticert.as_ref().map(|d| d.data.time) else {
        return;
    };
    let tolerance = i64::from(options.claimed_time_tolerance);
    let mut claims = Vec::new();
    if let Some(t) = m.signature_report.as_ref().and_then(|r| r.signing_time) {
        claims.push(("the CMS signingTime", t));
    }
    for (what, t) in claims {
        let apart = (t.unix_seconds() - data.unix_seconds()).abs();
        if apart > tolerance {
            m.add(
                DiagnosticCode::PecTimeMismatch,
                format!(
                    "{what} ({t}) is {apart} s from the daticert data ({data}), more than {tolerance} s"
                ),
            );
        }
    }
}
