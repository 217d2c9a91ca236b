//! Validation of the per-`tipo` rules of spec 4.2.

use std::collections::HashSet;

use super::{CertError, Daticert, DaticertKind};
use crate::error::{Diagnostic, DiagnosticCode};

/// What a `tipo` requires of its optional `dati` children.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Forbidden,
    Optional,
}

struct Rule {
    ricevuta: Need,
    consegna: Need,
    ricezione: Need,
    errore_esteso: Need,
    errore: &'static [CertError],
}

const NO_ERROR: &[CertError] = &[CertError::None];
const ANY_ERROR: &[CertError] = &[
    CertError::None,
    CertError::NoRecipient,
    CertError::NoDomain,
    CertError::Virus,
    CertError::Other,
];

fn rule(kind: DaticertKind) -> Rule {
    use Need::*;
    let (ricevuta, consegna, ricezione, errore_esteso, errore) = match kind {
        DaticertKind::Transport => (Required, Forbidden, Forbidden, Forbidden, NO_ERROR),
        DaticertKind::Acceptance => (Forbidden, Forbidden, Forbidden, Forbidden, NO_ERROR),
        DaticertKind::NonAcceptance => (
            Forbidden,
            Forbidden,
            Forbidden,
            Required,
            &[CertError::Virus, CertError::Other][..],
        ),
        DaticertKind::TakingInCharge => (Forbidden, Forbidden, Required, Forbidden, NO_ERROR),
        DaticertKind::Delivery => (Required, Required, Forbidden, Forbidden, NO_ERROR),
        DaticertKind::NonDelivery => (
            Forbidden,
            Required,
            Forbidden,
            Required,
            &[
                CertError::NoRecipient,
                CertError::NoDomain,
                CertError::Virus,
                CertError::Other,
            ][..],
        ),
        DaticertKind::DeliveryTimeout => (Forbidden, Required, Forbidden, Optional, ANY_ERROR),
        DaticertKind::VirusDetection => (
            Forbidden,
            Required,
            Optional,
            Required,
            &[CertError::Virus, CertError::Other][..],
        ),
    };
    Rule {
        ricevuta,
        consegna,
        ricezione,
        errore_esteso,
        errore,
    }
}

impl Daticert {
    /// Checks the rules of spec 4.2 that the DTD cannot express, and a few consistency rules,
    /// returning **every** violation found, in a fixed order. An empty vector means the
    /// document is valid.
    ///
    /// | tipo | `ricevuta` | `consegna` | `ricezione` | `errore-esteso` | `errore` |
    /// |---|---|---|---|---|---|
    /// | `posta-certificata` | required | no | no | no (warning) | `nessuno` |
    /// | `accettazione` | no | no | no | no (warning) | `nessuno` |
    /// | `non-accettazione` | no | no | no | expected (warning) | `virus`, `altro` |
    /// | `presa-in-carico` | no | no | one or more | no (warning) | `nessuno` |
    /// | `avvenuta-consegna` | required | required | no | no (warning) | `nessuno` |
    /// | `errore-consegna` | no | required | no | expected (warning) | `no-dest`, `no-dominio`, `virus`, `altro` |
    /// | `preavviso-errore-consegna` | no | required | no | optional | any |
    /// | `rilevazione-virus` | no | required (or `ricezione`, the pre-2.1 schema) | allowed instead of `consegna` | expected (warning) | `virus`, `altro` |
    ///
    /// Choices where the sources leave room: the `errore` of a formal non-acceptance and of a
    /// virus detection are not fixed by the RT, so both `virus` and `altro` are accepted; the
    /// `errore` of timeout notices is not fixed at all. Missing or unexpected `errore-esteso` is a
    /// warning because the RT describes it only in a comment.
    ///
    /// ```
    /// # use pecmail::daticert::*;
    /// # use pecmail::{DiagnosticCode, PecTime};
    /// let d = Daticert {
    ///     kind: DaticertKind::Delivery,
    ///     error: CertError::None,
    ///     header: Header {
    ///         sender: "a@pec.example.it".into(),
    ///         recipients: vec![Recipient::certified("b@pec.example.it")],
    ///         reply_to: "a@pec.example.it".into(),
    ///         subject: Some("Prova".into()),
    ///     },
    ///     data: CertData {
    ///         provider: "Example PEC S.p.A.".into(),
    ///         time: PecTime::from_parts(2024, 12, 5, 0, 2, 10, 60).unwrap(),
    ///         identifier: "opec1@pec.example.it".into(),
    ///         client_message_id: None,
    ///         receipt: None,
    ///         delivery: None,
    ///         receptions: vec![],
    ///         error_detail: None,
    ///     },
    /// };
    /// let codes: Vec<_> = d.validate().iter().map(|v| v.code).collect();
    /// assert_eq!(codes, [DiagnosticCode::RicevutaMissing, DiagnosticCode::ConsegnaMissing]);
    /// ```
    pub fn validate(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let tipo = self.kind.as_str();
        let d = &self.data;
        let h = &self.header;

        let mut empty = |field: &str, value: &str| {
            if value.trim().is_empty() {
                out.push(Diagnostic::new(
                    DiagnosticCode::EmptyField,
                    format!("<{field}> is empty"),
                ));
            }
        };
        empty("mittente", &h.sender);
        for r in &h.recipients {
            empty("destinatari", &r.address);
        }
        empty("gestore-emittente", &d.provider);
        empty("identificativo", &d.identifier);

        let rule = rule(self.kind);
        if !rule.errore.contains(&self.error) {
            out.push(Diagnostic::new(
                DiagnosticCode::ErroreValue,
                format!("tipo=\"{tipo}\" cannot carry errore=\"{}\"", self.error),
            ));
        }

        let mut presence =
            |need: Need, present: bool, missing, unexpected, element: &str| match (need, present) {
                (Need::Required, false) => out.push(Diagnostic::new(
                    missing,
                    format!("tipo=\"{tipo}\" needs <{element}>"),
                )),
                (Need::Forbidden, true) => out.push(Diagnostic::new(
                    unexpected,
                    format!("tipo=\"{tipo}\" does not carry <{element}>"),
                )),
                _ => {}
            };
        presence(
            rule.ricevuta,
            d.receipt.is_some(),
            DiagnosticCode::RicevutaMissing,
            DiagnosticCode::RicevutaUnexpected,
            "ricevuta",
        );
        // The pre-2.1 schema put the recipient of a virus detection in <ricezione>.
        let legacy_virus = self.kind == DaticertKind::VirusDetection && !d.receptions.is_empty();
        presence(
            rule.consegna,
            d.delivery.is_some() || legacy_virus,
            DiagnosticCode::ConsegnaMissing,
            DiagnosticCode::ConsegnaUnexpected,
            "consegna",
        );
        presence(
            rule.ricezione,
            !d.receptions.is_empty(),
            DiagnosticCode::RicezioneMissing,
            DiagnosticCode::RicezioneUnexpected,
            "ricezione",
        );
        presence(
            rule.errore_esteso,
            d.error_detail.is_some(),
            DiagnosticCode::ErroreEstesoMissing,
            DiagnosticCode::ErroreEstesoUnexpected,
            "errore-esteso",
        );

        // A set, not a search per address: a hostile document holds thousands of destinatari
        // and of ricezione, and comparing each with each is quadratic.
        let recipients: HashSet<String> = h
            .recipients
            .iter()
            .map(|r| r.address.trim().to_ascii_lowercase())
            .collect();
        let is_recipient =
            |address: &str| recipients.contains(&address.trim().to_ascii_lowercase());
        if let Some(delivery) = d.delivery.as_deref().filter(|a| !is_recipient(a)) {
            out.push(Diagnostic::new(
                DiagnosticCode::ConsegnaNotRecipient,
                format!("<consegna>{delivery}</consegna> is not among <destinatari>"),
            ));
        }
        for r in &d.receptions {
            if !is_recipient(r) {
                out.push(Diagnostic::new(
                    DiagnosticCode::RicezioneNotRecipient,
                    format!("<ricezione>{r}</ricezione> is not among <destinatari>"),
                ));
            }
        }

        let bracketed = |m: &str| m.len() > 2 && m.starts_with('<') && m.ends_with('>');
        if let Some(msgid) = d.client_message_id.as_deref().filter(|m| !bracketed(m)) {
            out.push(Diagnostic::new(
                DiagnosticCode::MsgidBrackets,
                format!("<msgid> {msgid:?} is not enclosed in angle brackets"),
            ));
        }
        let id = &d.identifier;
        if !id.trim().is_empty() && (id.contains(['<', '>']) || !id.contains('@')) {
            out.push(Diagnostic::new(
                DiagnosticCode::IdentificativoShape,
                format!("<identificativo> {id:?} should be bare text with an '@'"),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daticert::{CertData, Header, ReceiptKind, Recipient};
    use crate::time::PecTime;

    fn base(kind: DaticertKind) -> Daticert {
        Daticert {
            kind,
            error: CertError::None,
            header: Header {
                sender: "mittente@pec.example.it".into(),
                recipients: vec![
                    Recipient::certified("uno@pec.example.it"),
                    Recipient::external("due@example.com"),
                ],
                reply_to: "mittente@pec.example.it".into(),
                subject: Some("Prova".into()),
            },
            data: CertData {
                provider: "Example PEC S.p.A.".into(),
                time: PecTime::from_parts(2026, 1, 2, 3, 4, 5, 60).unwrap(),
                identifier: "opec1.2.3@pec.example.it".into(),
                client_message_id: Some("<abc@client.example>".into()),
                receipt: None,
                delivery: None,
                receptions: vec![],
                error_detail: None,
            },
        }
    }

    /// A document that satisfies every rule of its tipo.
    fn valid(kind: DaticertKind) -> Daticert {
        let mut d = base(kind);
        let data = &mut d.data;
        match kind {
            DaticertKind::Transport => data.receipt = Some(ReceiptKind::Full),
            DaticertKind::Acceptance => {}
            DaticertKind::NonAcceptance => {
                d.error = CertError::Other;
                data.error_detail = Some("Bcc non ammesso".into());
            }
            DaticertKind::TakingInCharge => {
                data.receptions = vec!["uno@pec.example.it".into()];
            }
            DaticertKind::Delivery => {
                data.receipt = Some(ReceiptKind::Short);
                data.delivery = Some("UNO@pec.example.it".into());
            }
            DaticertKind::NonDelivery => {
                d.error = CertError::NoRecipient;
                data.delivery = Some("uno@pec.example.it".into());
                data.error_detail = Some("5.1.1 - Example - indirizzo non valido".into());
            }
            DaticertKind::DeliveryTimeout => {
                data.delivery = Some("uno@pec.example.it".into());
            }
            DaticertKind::VirusDetection => {
                d.error = CertError::Virus;
                data.delivery = Some("uno@pec.example.it".into());
                data.error_detail = Some("Eicar-Test-Signature".into());
            }
        }
        d
    }

    fn codes(d: &Daticert) -> Vec<DiagnosticCode> {
        d.validate().iter().map(|v| v.code).collect()
    }

    #[test]
    fn every_tipo_has_a_valid_form() {
        for kind in DaticertKind::ALL {
            assert_eq!(codes(&valid(*kind)), [], "{kind}");
        }
    }

    #[test]
    fn delivery_needs_ricevuta_and_consegna() {
        let d = base(DaticertKind::Delivery);
        assert_eq!(
            codes(&d),
            [
                DiagnosticCode::RicevutaMissing,
                DiagnosticCode::ConsegnaMissing
            ]
        );
    }

    #[test]
    fn taking_in_charge_needs_ricezione() {
        let mut d = base(DaticertKind::TakingInCharge);
        assert_eq!(codes(&d), [DiagnosticCode::RicezioneMissing]);
        d.data.receptions = vec!["uno@pec.example.it".into(), "altro@pec.example.it".into()];
        assert_eq!(codes(&d), [DiagnosticCode::RicezioneNotRecipient]);
    }

    #[test]
    fn reports_every_violation_not_only_the_first() {
        let mut d = base(DaticertKind::Acceptance);
        d.error = CertError::Virus;
        d.header.sender = " ".into();
        d.data.identifier = "<no-at-sign>".into();
        d.data.client_message_id = Some("abc@client.example".into());
        d.data.receipt = Some(ReceiptKind::Full);
        d.data.delivery = Some("nessuno@example.com".into());
        d.data.receptions = vec!["uno@pec.example.it".into()];
        d.data.error_detail = Some("x".into());
        assert_eq!(
            codes(&d),
            [
                DiagnosticCode::EmptyField,
                DiagnosticCode::ErroreValue,
                DiagnosticCode::RicevutaUnexpected,
                DiagnosticCode::ConsegnaUnexpected,
                DiagnosticCode::RicezioneUnexpected,
                DiagnosticCode::ErroreEstesoUnexpected,
                DiagnosticCode::ConsegnaNotRecipient,
                DiagnosticCode::MsgidBrackets,
                DiagnosticCode::IdentificativoShape,
            ]
        );
    }

    #[test]
    fn error_values_per_tipo() {
        let mut d = valid(DaticertKind::NonDelivery);
        d.error = CertError::None;
        assert_eq!(codes(&d), [DiagnosticCode::ErroreValue]);
        for e in [
            CertError::NoRecipient,
            CertError::NoDomain,
            CertError::Virus,
            CertError::Other,
        ] {
            d.error = e;
            assert_eq!(codes(&d), [], "{e}");
        }
        let mut d = valid(DaticertKind::Transport);
        d.error = CertError::NoDomain;
        assert_eq!(codes(&d), [DiagnosticCode::ErroreValue]);
        let mut d = valid(DaticertKind::DeliveryTimeout);
        for e in CertError::ALL {
            d.error = *e;
            assert_eq!(codes(&d), [], "{e}");
        }
    }

    #[test]
    fn recipients_match_without_case_and_outer_blanks_among_thousands() {
        let mut d = valid(DaticertKind::TakingInCharge);
        d.header.recipients = (0..3_000)
            .map(|i| Recipient::certified(format!(" Utente{i}@PEC.example.it\n")))
            .collect();
        d.data.receptions = (0..3_000)
            .rev()
            .map(|i| format!("utente{i}@pec.EXAMPLE.it "))
            .collect();
        assert_eq!(codes(&d), []);
        d.data.receptions.push("utente3000@pec.example.it".into());
        d.data.receptions.push("utente 1@pec.example.it".into());
        let found = d.validate();
        let details: Vec<&str> = found.iter().map(|v| v.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "<ricezione>utente3000@pec.example.it</ricezione> is not among <destinatari>",
                "<ricezione>utente 1@pec.example.it</ricezione> is not among <destinatari>",
            ]
        );
        let mut d = valid(DaticertKind::Delivery);
        d.data.delivery = Some("\tDUE@example.com".into());
        assert_eq!(codes(&d), []);
        d.data.delivery = Some("tre@example.com".into());
        assert_eq!(codes(&d), [DiagnosticCode::ConsegnaNotRecipient]);
    }

    #[test]
    fn virus_detection_accepts_the_legacy_ricezione() {
        let mut d = valid(DaticertKind::VirusDetection);
        d.data.delivery = None;
        assert_eq!(codes(&d), [DiagnosticCode::ConsegnaMissing]);
        d.data.receptions = vec!["uno@pec.example.it".into()];
        assert_eq!(codes(&d), []);
    }
}
