//! Notices (avvisi): non accettazione (spec 3.4), mancata consegna (3.7, 3.8), rilevazione
//! virus (3.8), mancata consegna per superamento del tempo massimo (3.9). None carries the
//! original message.

use super::{
    BuildOptions, Content, EmittingProvider, MessageKind, OriginalFacts, TextFacts, Timeout,
    check_address, check_identifier, check_line, invalid, receipt_daticert, receipt_head,
};
use crate::daticert::CertError;
use crate::error::Error;
use crate::smime::PendingMessage;
use crate::time::PecTime;

fn check_reason(field: &str, value: &str) -> Result<(), Error> {
    check_line(field, value)?;
    if value.trim().is_empty() {
        return Err(invalid(format!("{field}: empty")));
    }
    Ok(())
}

fn check_recipient(facts: &OriginalFacts, recipient: &str) -> Result<(), Error> {
    check_address("recipient", recipient)?;
    if facts
        .recipients
        .iter()
        .any(|r| r.address.eq_ignore_ascii_case(recipient))
    {
        Ok(())
    } else {
        Err(invalid(format!(
            "recipient: {recipient} is not a recipient of the message"
        )))
    }
}

/// What every notice shares: the facts, the addressee, the identifiers, the time.
struct Notice<'a> {
    kind: MessageKind,
    facts: &'a OriginalFacts,
    to: &'a str,
    error: CertError,
    recipient: Option<&'a str>,
    reason: &'a str,
    message_id: &'a str,
    time: PecTime,
    timeout: Option<Timeout>,
    extra: &'a [(&'a str, &'a str)],
}

impl Notice<'_> {
    fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'static>, Error> {
        let f = self.facts;
        let head = receipt_head(
            self.kind,
            emitter,
            self.to,
            &f.subject,
            self.message_id,
            f.client_message_id.as_deref(),
            self.time,
            self.extra,
        );
        let daticert = receipt_daticert(
            self.kind,
            self.error,
            f,
            emitter,
            self.time,
            None,
            self.recipient,
            Vec::new(),
            Some(self.reason),
        )?;
        let text = TextFacts {
            kind: self.kind,
            time: self.time,
            subject: &f.subject,
            sender: &f.sender,
            recipients: &f.recipients,
            recipient: self.recipient,
            identifier: Some(&f.identifier),
            reason: Some(self.reason),
            timeout: self.timeout,
            receipt: None,
        };
        super::assemble(
            &head,
            Content::without_original(text, daticert, self.message_id),
            emitter,
            self.time,
            options,
        )
    }
}

/// Avviso di non accettazione (spec 3.4): the access point refuses a submitted message, for
/// formal reasons (`errore="altro"`) or for a virus (`errore="virus"`,
/// `X-VerificaSicurezza: errore`, subject `AVVISO DI NON ACCETTAZIONE PER VIRUS: `). The
/// reason is written in `errore-esteso` and in the text.
#[derive(Debug, Clone)]
pub struct NonAcceptance<'a> {
    facts: &'a OriginalFacts,
    reason: &'a str,
    virus: bool,
    message_id: &'a str,
    time: PecTime,
}

impl<'a> NonAcceptance<'a> {
    /// A formal non-acceptance of the message `facts` describes, for `reason`.
    pub fn new(
        facts: &'a OriginalFacts,
        reason: &'a str,
        message_id: &'a str,
        time: PecTime,
    ) -> Self {
        NonAcceptance {
            facts,
            reason,
            virus: false,
            message_id,
            time,
        }
    }

    /// Makes it the virus variant; `reason` then names what was found.
    pub fn virus(mut self) -> Self {
        self.virus = true;
        self
    }

    /// Validates the inputs and writes the notice; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'static>, Error> {
        self.facts.validate()?;
        check_identifier("message_id", self.message_id)?;
        check_reason("reason", self.reason)?;
        let (kind, error) = if self.virus {
            (MessageKind::NonAcceptanceVirus, CertError::Virus)
        } else {
            (MessageKind::NonAcceptance, CertError::Other)
        };
        Notice {
            kind,
            facts: self.facts,
            to: &self.facts.sender,
            error,
            recipient: None,
            reason: self.reason,
            message_id: self.message_id,
            time: self.time,
            timeout: None,
            extra: &[],
        }
        .prepare(emitter, options)
    }
}

/// Avviso di mancata consegna (spec 3.7, 3.8): the envelope could not be delivered to a
/// recipient. `error` is `no-dest`, `no-dominio`, `altro` or `virus`; with `virus` it is the
/// virus variant (`X-VerificaSicurezza: errore`, subject `... PER VIRUS: `, sent by the
/// sender's provider after a virus detection notice). `detail` goes to `errore-esteso`, in
/// the form AgID's note 12 prescribes, e.g. `5.1.1 - <provider> - indirizzo non valido`.
#[derive(Debug, Clone)]
pub struct NonDelivery<'a> {
    facts: &'a OriginalFacts,
    recipient: &'a str,
    error: CertError,
    detail: &'a str,
    message_id: &'a str,
    time: PecTime,
}

impl<'a> NonDelivery<'a> {
    /// The non-delivery to `recipient` of the envelope `facts` describes.
    pub fn new(
        facts: &'a OriginalFacts,
        recipient: &'a str,
        error: CertError,
        detail: &'a str,
        message_id: &'a str,
        time: PecTime,
    ) -> Self {
        NonDelivery {
            facts,
            recipient,
            error,
            detail,
            message_id,
            time,
        }
    }

    /// Validates the inputs and writes the notice; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'static>, Error> {
        self.facts.validate()?;
        check_identifier("message_id", self.message_id)?;
        check_recipient(self.facts, self.recipient)?;
        check_reason("detail", self.detail)?;
        let kind = match self.error {
            CertError::None => {
                return Err(invalid(
                    "error: a non-delivery has an error other than nessuno",
                ));
            }
            CertError::Virus => MessageKind::NonDeliveryVirus,
            _ => MessageKind::NonDelivery,
        };
        Notice {
            kind,
            facts: self.facts,
            to: &self.facts.sender,
            error: self.error,
            recipient: Some(self.recipient),
            reason: self.detail,
            message_id: self.message_id,
            time: self.time,
            timeout: None,
            extra: &[],
        }
        .prepare(emitter, options)
    }
}

/// Avviso di rilevazione virus (spec 3.8): the recipients' provider found a virus in an
/// envelope; one notice per recipient, to the sender provider's service mailbox, with
/// `X-Mittente: <original sender>`, `errore="virus"` and the virus in `errore-esteso`.
#[derive(Debug, Clone)]
pub struct VirusDetection<'a> {
    facts: &'a OriginalFacts,
    recipient: &'a str,
    virus: &'a str,
    to: &'a str,
    message_id: &'a str,
    time: PecTime,
}

impl<'a> VirusDetection<'a> {
    /// The detection of `virus` in the envelope `facts` describes, for `recipient`, sent
    /// `to` the sender provider's service mailbox.
    pub fn new(
        facts: &'a OriginalFacts,
        recipient: &'a str,
        virus: &'a str,
        to: &'a str,
        message_id: &'a str,
        time: PecTime,
    ) -> Self {
        VirusDetection {
            facts,
            recipient,
            virus,
            to,
            message_id,
            time,
        }
    }

    /// Validates the inputs and writes the notice; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'static>, Error> {
        self.facts.validate()?;
        check_identifier("message_id", self.message_id)?;
        check_recipient(self.facts, self.recipient)?;
        check_address("to", self.to)?;
        check_reason("virus", self.virus)?;
        Notice {
            kind: MessageKind::VirusDetection,
            facts: self.facts,
            to: self.to,
            error: CertError::Virus,
            recipient: Some(self.recipient),
            reason: self.virus,
            message_id: self.message_id,
            time: self.time,
            timeout: None,
            extra: &[("X-Mittente", &self.facts.sender)],
        }
        .prepare(emitter, options)
    }
}

/// Avviso di mancata consegna per superamento del tempo massimo (spec 3.9): the sender's
/// provider tells the sender that no delivery receipt came for a recipient within 12 hours
/// (the message may still arrive) or within 24 hours (the transmission failed). Both carry
/// `X-Ricevuta: preavviso-errore-consegna` and the same subject; they differ in text and in
/// `errore-esteso`. The RT fixes no `errore` value: this crate writes `altro`, with
/// `errore-esteso` `4.4.7 - <provider> - ...` after 12 hours (transient) and
/// `5.4.7 - <provider> - ...` after 24 hours (permanent), unless the caller gives its own.
#[derive(Debug, Clone)]
pub struct DeliveryTimeout<'a> {
    facts: &'a OriginalFacts,
    recipient: &'a str,
    timeout: Timeout,
    detail: Option<&'a str>,
    message_id: &'a str,
    time: PecTime,
}

impl<'a> DeliveryTimeout<'a> {
    /// The `timeout` notice for `recipient` of the message `facts` describes.
    pub fn new(
        facts: &'a OriginalFacts,
        recipient: &'a str,
        timeout: Timeout,
        message_id: &'a str,
        time: PecTime,
    ) -> Self {
        DeliveryTimeout {
            facts,
            recipient,
            timeout,
            detail: None,
            message_id,
            time,
        }
    }

    /// The `errore-esteso` to write instead of the default.
    pub fn detail(mut self, detail: &'a str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Validates the inputs and writes the notice; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'static>, Error> {
        self.facts.validate()?;
        check_identifier("message_id", self.message_id)?;
        check_recipient(self.facts, self.recipient)?;
        let default = match self.timeout {
            Timeout::Hours12 => format!(
                "4.4.7 - {} - messaggio non consegnato entro 12 ore",
                emitter.name()
            ),
            _ => format!(
                "5.4.7 - {} - messaggio non consegnato entro 24 ore",
                emitter.name()
            ),
        };
        let detail = self.detail.unwrap_or(&default);
        check_reason("detail", detail)?;
        Notice {
            kind: MessageKind::DeliveryTimeout,
            facts: self.facts,
            to: &self.facts.sender,
            error: CertError::Other,
            recipient: Some(self.recipient),
            reason: detail,
            message_id: self.message_id,
            time: self.time,
            timeout: Some(self.timeout),
            extra: &[],
        }
        .prepare(emitter, options)
    }
}
