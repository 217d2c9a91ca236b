//! The readable text of every message (spec 2.1, 3): Italian, after the models of the
//! technical rules and of what providers send, with an HTML alternative carrying the same
//! facts. Callers replace the wording by implementing [`Templates`].
//!
//! The text is informative; the certified data is `daticert.xml`. Both text and HTML are
//! written by the builders as ISO-8859-1 quoted-printable (UTF-8 when a value has characters
//! beyond Latin-1, so that nothing is lost).

use super::MessageKind;
use crate::daticert::{ReceiptKind, Recipient, RecipientKind};
use crate::time::PecTime;

/// The 12-hour or 24-hour notice of non-delivery within the maximum time (spec 3.9).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timeout {
    /// The first notice: nothing came back within 12 hours; the message may still arrive.
    Hours12,
    /// The second notice, between 22 and 24 hours: the transmission has failed.
    Hours24,
}

/// What a text states, for [`Templates`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub struct TextFacts<'a> {
    /// Which message.
    pub kind: MessageKind,
    /// The transaction time.
    pub time: PecTime,
    /// The original subject (decoded).
    pub subject: &'a str,
    /// The original sender.
    pub sender: &'a str,
    /// The recipients the text lists: all of them (envelopes, acceptance, non-acceptance) or
    /// those covered (taking in charge).
    pub recipients: &'a [Recipient],
    /// The one recipient the message is about (delivery, non-delivery, virus, timeout).
    pub recipient: Option<&'a str>,
    /// The PEC identifier of the original message (absent in anomaly envelopes).
    pub identifier: Option<&'a str>,
    /// The reason: non-acceptance cause, error description, virus name, anomaly error.
    pub reason: Option<&'a str>,
    /// Which timeout notice.
    pub timeout: Option<Timeout>,
    /// The delivery receipt type.
    pub receipt: Option<ReceiptKind>,
}

/// The wording of the readable text. Implement it to replace [`ItalianTemplates`].
pub trait Templates: Send + Sync {
    /// The plain text, lines separated by `\n`.
    fn plain(&self, facts: &TextFacts<'_>) -> String;
    /// The HTML alternative: the same facts, no external or internal references, no active
    /// content (spec 2.1).
    fn html(&self, facts: &TextFacts<'_>) -> String;
}

/// The default Italian wording, after the RT models and the observed provider texts.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItalianTemplates;

impl ItalianTemplates {
    /// The title and the lines of a text.
    pub fn lines(&self, f: &TextFacts<'_>) -> (&'static str, Vec<String>) {
        let when = format!(
            "Il giorno {} alle ore {} {}",
            f.time.day(),
            f.time.time_of_day(),
            f.time.zone_in_parens()
        );
        let list = |out: &mut Vec<String>, tagged: bool| {
            for r in f.recipients {
                if tagged {
                    let tag = match r.kind {
                        RecipientKind::External => "posta ordinaria",
                        _ => "posta certificata",
                    };
                    out.push(format!("{} (\"{tag}\")", r.address));
                } else {
                    out.push(r.address.clone());
                }
            }
        };
        let subject = f.subject;
        let sender = f.sender;
        let recipient = f.recipient.unwrap_or("");
        let reason = f.reason.unwrap_or("");
        let id = f
            .identifier
            .map(|i| format!("Identificativo messaggio: {i}"));
        let mut l = Vec::new();
        let title = match f.kind {
            MessageKind::TransportEnvelope => {
                l.push(format!("{when} il messaggio"));
                l.push(format!("\"{subject}\" è stato inviato da \"{sender}\""));
                l.push("indirizzato a:".into());
                list(&mut l, false);
                l.push("Il messaggio originale è incluso in allegato.".into());
                "Messaggio di posta certificata"
            }
            MessageKind::AnomalyEnvelope => {
                l.push(format!("{when} è stato ricevuto"));
                l.push(format!(
                    "il messaggio \"{subject}\" inviato da \"{sender}\""
                ));
                l.push("indirizzato a:".into());
                list(&mut l, false);
                l.push("Tali dati non sono stati certificati per il seguente errore:".into());
                l.push(reason.into());
                l.push("Il messaggio originale è incluso in allegato.".into());
                "Anomalia nel messaggio"
            }
            MessageKind::Acceptance => {
                l.push(format!("{when} il messaggio"));
                l.push(format!("\"{subject}\" proveniente da \"{sender}\""));
                l.push("ed indirizzato a:".into());
                list(&mut l, true);
                l.push("è stato accettato dal sistema ed inoltrato.".into());
                "Ricevuta di accettazione"
            }
            MessageKind::NonAcceptance | MessageKind::NonAcceptanceVirus => {
                l.push(format!("{when} nel messaggio"));
                l.push(format!("\"{subject}\" proveniente da \"{sender}\""));
                l.push("ed indirizzato a:".into());
                list(&mut l, false);
                if f.kind == MessageKind::NonAcceptanceVirus {
                    l.push(format!(
                        "è stato rilevato un problema di sicurezza: {reason}."
                    ));
                } else {
                    l.push("è stato rilevato un problema che ne impedisce l'accettazione".into());
                    l.push(format!("a causa di: {reason}."));
                }
                l.push("Il messaggio non è stato accettato.".into());
                if f.kind == MessageKind::NonAcceptanceVirus {
                    "Avviso di non accettazione per virus"
                } else {
                    "Avviso di non accettazione"
                }
            }
            MessageKind::TakingInCharge => {
                l.push(format!("{when} il messaggio"));
                l.push(format!("\"{subject}\" proveniente da \"{sender}\""));
                l.push("ed indirizzato a:".into());
                list(&mut l, false);
                l.push("è stato accettato dal sistema.".into());
                "Ricevuta di presa in carico"
            }
            MessageKind::DeliveryFull
            | MessageKind::DeliveryShort
            | MessageKind::DeliverySummary => {
                l.push(format!("{when} il messaggio"));
                l.push(format!("\"{subject}\" proveniente da \"{sender}\""));
                l.push(format!("ed indirizzato a \"{recipient}\""));
                l.push("è stato consegnato nella casella di destinazione.".into());
                match f.kind {
                    MessageKind::DeliveryFull => {
                        l.push("Il messaggio originale è incluso in allegato.".into())
                    }
                    MessageKind::DeliveryShort => l.push(
                        "Il messaggio originale è incluso in allegato, con gli allegati \
                         sostituiti dalla loro impronta (hash SHA-1)."
                            .into(),
                    ),
                    _ => {}
                }
                "Ricevuta di avvenuta consegna"
            }
            MessageKind::NonDelivery | MessageKind::NonDeliveryVirus => {
                l.push(format!("{when} nel messaggio"));
                l.push(format!("\"{subject}\" proveniente da \"{sender}\""));
                l.push(format!("e destinato all'utente \"{recipient}\""));
                if f.kind == MessageKind::NonDeliveryVirus {
                    l.push(format!(
                        "è stato rilevato un problema di sicurezza: {reason}."
                    ));
                    l.push("Il messaggio non è stato consegnato.".into());
                    "Avviso di mancata consegna per virus"
                } else {
                    l.push(format!("è stato rilevato un errore {reason}."));
                    l.push("Il messaggio è stato rifiutato dal sistema.".into());
                    "Avviso di mancata consegna"
                }
            }
            MessageKind::VirusDetection => {
                l.push(format!("{when} nel messaggio"));
                l.push(format!("\"{subject}\" proveniente da \"{sender}\""));
                l.push(format!("e destinato all'utente \"{recipient}\""));
                l.push(format!(
                    "è stato rilevato un problema di sicurezza: {reason}."
                ));
                l.push("Il messaggio non è stato inoltrato.".into());
                "Avviso di rilevazione virus"
            }
            MessageKind::DeliveryTimeout => {
                l.push(format!("{when} il messaggio"));
                l.push(format!("\"{subject}\" proveniente da \"{sender}\""));
                l.push(format!("e destinato all'utente \"{recipient}\""));
                if f.timeout == Some(Timeout::Hours24) {
                    l.push(
                        "non è stato consegnato nelle ventiquattro ore successive al suo invio."
                            .into(),
                    );
                    l.push(
                        "La trasmissione del messaggio è da considerarsi non andata a buon fine."
                            .into(),
                    );
                } else {
                    l.push("non è stato consegnato nelle prime dodici ore dal suo invio.".into());
                    l.push(
                        "Il messaggio potrebbe ancora essere consegnato: seguirà un ulteriore \
                         avviso."
                            .into(),
                    );
                }
                "Avviso di mancata consegna per superamento del tempo massimo"
            }
        };
        if let Some(id) = id {
            l.push(id);
        }
        (title, l)
    }
}

impl Templates for ItalianTemplates {
    fn plain(&self, facts: &TextFacts<'_>) -> String {
        let (title, lines) = self.lines(facts);
        let mut out = format!("{title}\n\n");
        out.push_str(&lines.join("\n"));
        out
    }

    fn html(&self, facts: &TextFacts<'_>) -> String {
        let (title, lines) = self.lines(facts);
        let title = escape_html(title);
        let body: Vec<String> = lines.iter().map(|l| escape_html(l)).collect();
        format!(
            "<html>\n<head><title>{title}</title></head>\n<body>\n<h3>{title}</h3>\n<p>\n{}\n</p>\n</body>\n</html>",
            body.join("<br>\n")
        )
    }
}

/// Escapes text for HTML: `&`, `<`, `>`, `"`, `'`.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: MessageKind) -> TextFacts<'static> {
        static RECIPIENTS: std::sync::OnceLock<Vec<Recipient>> = std::sync::OnceLock::new();
        let recipients = RECIPIENTS.get_or_init(|| {
            vec![
                Recipient::certified("anna@pec.beta.test"),
                Recipient::external("ordinario@example.com"),
            ]
        });
        TextFacts {
            kind,
            time: PecTime::from_parts(2024, 12, 5, 0, 2, 10, 60).unwrap(),
            subject: "Prova <uno> & due",
            sender: "mario@pec.alfa.test",
            recipients,
            recipient: Some("anna@pec.beta.test"),
            identifier: Some("opec1@pec.alfa.test"),
            reason: Some("5.1.1 - Beta - indirizzo non valido"),
            timeout: Some(Timeout::Hours12),
            receipt: None,
        }
    }

    #[test]
    fn acceptance_follows_the_model() {
        let text = ItalianTemplates.plain(&facts(MessageKind::Acceptance));
        assert_eq!(
            text,
            "Ricevuta di accettazione\n\n\
             Il giorno 05/12/2024 alle ore 00:02:10 (+0100) il messaggio\n\
             \"Prova <uno> & due\" proveniente da \"mario@pec.alfa.test\"\n\
             ed indirizzato a:\n\
             anna@pec.beta.test (\"posta certificata\")\n\
             ordinario@example.com (\"posta ordinaria\")\n\
             è stato accettato dal sistema ed inoltrato.\n\
             Identificativo messaggio: opec1@pec.alfa.test"
        );
    }

    #[test]
    fn every_kind_has_text_and_escaped_html_with_the_same_facts() {
        for kind in MessageKind::ALL {
            let f = facts(*kind);
            let text = ItalianTemplates.plain(&f);
            let html = ItalianTemplates.html(&f);
            assert!(
                text.contains("05/12/2024") && html.contains("05/12/2024"),
                "{kind:?}"
            );
            assert!(text.contains("Prova <uno> & due"), "{kind:?}");
            assert!(html.contains("Prova &lt;uno&gt; &amp; due"), "{kind:?}");
            assert!(
                !html.contains("src=") && !html.contains("href="),
                "{kind:?}"
            );
            if *kind != MessageKind::AnomalyEnvelope {
                assert!(text.contains("opec1@pec.alfa.test"), "{kind:?}");
            }
        }
    }

    #[test]
    fn the_two_timeout_notices_differ() {
        let mut f = facts(MessageKind::DeliveryTimeout);
        let twelve = ItalianTemplates.plain(&f);
        f.timeout = Some(Timeout::Hours24);
        let day = ItalianTemplates.plain(&f);
        assert!(twelve.contains("prime dodici ore"));
        assert!(day.contains("ventiquattro ore"));
        assert_ne!(twelve, day);
    }
}
