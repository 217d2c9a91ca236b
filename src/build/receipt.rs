//! Receipts: ricevuta di accettazione (spec 3.3), di presa in carico (3.5), di avvenuta
//! consegna completa, breve e sintetica (3.6).
//!
//! Every receipt comes `From: <service address>`, has its own `Message-ID` (given by the
//! caller), `X-Riferimento-Message-ID` when the client set a Message-ID, and a daticert whose
//! `identificativo` is the transport envelope's identifier.

use super::{
    BuildOptions, Content, EmittingProvider, MessageKind, OriginalFacts, TextFacts, check_address,
    check_identifier, invalid, original_headers, receipt_daticert, receipt_head,
};
use crate::daticert::{CertError, ReceiptKind, Recipient};
use crate::error::Error;
use crate::smime::{PendingMessage, Piece};
use crate::time::PecTime;

fn is_recipient(facts: &OriginalFacts, address: &str) -> bool {
    facts
        .recipients
        .iter()
        .any(|r| r.address.eq_ignore_ascii_case(address))
}

/// Ricevuta di accettazione (spec 3.3): one per accepted message, to the sender, listing
/// every recipient as certified or ordinary mail.
#[derive(Debug, Clone)]
pub struct Acceptance<'a> {
    facts: &'a OriginalFacts,
    message_id: &'a str,
    time: PecTime,
}

impl<'a> Acceptance<'a> {
    /// The acceptance of the message `facts` describes; `message_id` is the receipt's own
    /// Message-ID (without brackets), `time` the acceptance time.
    pub fn new(facts: &'a OriginalFacts, message_id: &'a str, time: PecTime) -> Self {
        Acceptance {
            facts,
            message_id,
            time,
        }
    }

    /// Validates the inputs and writes the receipt; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'static>, Error> {
        let f = self.facts;
        f.validate()?;
        check_identifier("message_id", self.message_id)?;
        let kind = MessageKind::Acceptance;
        let head = receipt_head(
            kind,
            emitter,
            &f.sender,
            &f.subject,
            self.message_id,
            f.client_message_id.as_deref(),
            self.time,
            &[],
        );
        let daticert = receipt_daticert(
            kind,
            CertError::None,
            f,
            emitter,
            self.time,
            None,
            None,
            Vec::new(),
            None,
        )?;
        let text = TextFacts {
            kind,
            time: self.time,
            subject: &f.subject,
            sender: &f.sender,
            recipients: &f.recipients,
            recipient: None,
            identifier: Some(&f.identifier),
            reason: None,
            timeout: None,
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

/// Ricevuta di presa in carico (spec 3.5): the recipients' provider tells the sender's
/// provider, at its service mailbox (`mailReceipt` of the provider index), that it took the
/// envelope in charge for the recipients it covers, each in a `ricezione`.
#[derive(Debug, Clone)]
pub struct TakingInCharge<'a> {
    facts: &'a OriginalFacts,
    covered: &'a [String],
    to: &'a str,
    message_id: &'a str,
    time: PecTime,
}

impl<'a> TakingInCharge<'a> {
    /// The taking in charge of the envelope `facts` describes (read from its daticert), for
    /// the `covered` recipients, sent `to` the sender provider's service mailbox.
    pub fn new(
        facts: &'a OriginalFacts,
        covered: &'a [String],
        to: &'a str,
        message_id: &'a str,
        time: PecTime,
    ) -> Self {
        TakingInCharge {
            facts,
            covered,
            to,
            message_id,
            time,
        }
    }

    /// Validates the inputs (the covered recipients must be recipients of the envelope) and
    /// writes the receipt; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'static>, Error> {
        let f = self.facts;
        f.validate()?;
        check_identifier("message_id", self.message_id)?;
        check_address("to", self.to)?;
        if self.covered.is_empty() {
            return Err(invalid("covered: none"));
        }
        for (i, c) in self.covered.iter().enumerate() {
            check_address(&format!("covered[{i}]"), c)?;
            if !is_recipient(f, c) {
                return Err(invalid(format!(
                    "covered[{i}]: {c} is not a recipient of the message"
                )));
            }
        }
        let kind = MessageKind::TakingInCharge;
        let head = receipt_head(
            kind,
            emitter,
            self.to,
            &f.subject,
            self.message_id,
            f.client_message_id.as_deref(),
            self.time,
            &[],
        );
        let daticert = receipt_daticert(
            kind,
            CertError::None,
            f,
            emitter,
            self.time,
            None,
            None,
            self.covered.to_vec(),
            None,
        )?;
        let covered: Vec<Recipient> = self.covered.iter().map(Recipient::certified).collect();
        let text = TextFacts {
            kind,
            time: self.time,
            subject: &f.subject,
            sender: &f.sender,
            recipients: &covered,
            recipient: None,
            identifier: Some(&f.identifier),
            reason: None,
            timeout: None,
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

/// Ricevuta di avvenuta consegna (spec 3.6): one per recipient, to the sender, after the
/// envelope was stored in the recipient's mailbox.
///
/// - `completa` carries the original message (the envelope's `postacert.eml`) whole;
/// - `breve` carries it with every attachment replaced by a `<name>.hash` text part holding
///   the SHA-1 of the attachment as transmitted (spec 6.5; rules below);
/// - `sintetica` carries no original.
///
/// [`ReceiptKind`] chooses; the provider picks it per recipient from the envelope's
/// `X-TipoRicevuta` and whether the recipient is in `To` or `Cc` (spec 3.6).
///
/// **The breve form.** The RT says to replace every attachment by a text part holding the
/// SHA-1 of "the entire content of the part", "calculated on base64 encoded parts". Where it
/// leaves room, this crate does as follows:
///
/// - an attachment is a part of a multipart with a `name` parameter on `Content-Type` or a
///   `filename` on `Content-Disposition` (RFC 2231 forms included), and any `message/rfc822`
///   part ("replaced whole"; named `messaggio.eml` when it has no name);
/// - the hash covers the part's body **as transmitted**: its bytes after the blank line that
///   ends the part header, up to the CR LF before the next delimiter, still transfer-encoded
///   ("calculated on base64 encoded parts"), so a sender can check it against what it sent;
/// - the replacement keeps the disposition type (`attachment` when none), is
///   `text/plain; charset=us-ascii`, 7bit, and its body is the 40 hex digits;
/// - the MIME structure is otherwise kept byte for byte: headers, preambles, epilogues, the
///   parts without a name;
/// - `multipart/signed` originals (and parts): walked like any multipart, except that the
///   second part must be the signature (`application/pkcs7-signature` or the `x-` form) and
///   is left as it is (it no longer verifies, as the RT says); a `multipart/signed` whose
///   second part is anything else is refused, since a sender could place a `.hash` part of
///   its own there, which the receipt would then certify;
/// - `application/pkcs7-mime` originals (signed or encrypted, opaque): nothing can be
///   replaced, so the receipt carries the original whole;
/// - a part that is not a multipart and has no name is kept, even at the top level: a
///   single-part message is kept whole.
///
/// The breve form fails with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when
/// the MIME structure cannot be read strictly (an ambiguous boundary, say): a provider should
/// then send a `sintetica` or `completa` receipt rather than a guess.
///
/// The reader applies the same rule to a breve receipt it reads: every part the rule selects
/// must be a hash part, or the receipt has `pec-breve-hashes`.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    facts: &'a OriginalFacts,
    recipient: &'a str,
    kind: ReceiptKind,
    original: Option<&'a [u8]>,
    message_id: &'a str,
    time: PecTime,
}

impl<'a> Delivery<'a> {
    /// The delivery to `recipient` of the envelope `facts` describes, as a receipt of type
    /// `kind`. `completa` and `breve` need the original: see [`Delivery::original`].
    pub fn new(
        facts: &'a OriginalFacts,
        recipient: &'a str,
        kind: ReceiptKind,
        message_id: &'a str,
        time: PecTime,
    ) -> Self {
        Delivery {
            facts,
            recipient,
            kind,
            original: None,
            message_id,
            time,
        }
    }

    /// The original message: the envelope's `postacert.eml`, as received.
    pub fn original(mut self, original: &'a [u8]) -> Self {
        self.original = Some(original);
        self
    }

    /// Validates the inputs and writes the receipt; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'a>, Error> {
        let f = self.facts;
        f.validate()?;
        check_identifier("message_id", self.message_id)?;
        check_address("recipient", self.recipient)?;
        if !is_recipient(f, self.recipient) {
            return Err(invalid(format!(
                "recipient: {} is not a recipient of the message",
                self.recipient
            )));
        }
        let kind = match self.kind {
            ReceiptKind::Full => MessageKind::DeliveryFull,
            ReceiptKind::Short => MessageKind::DeliveryShort,
            _ => MessageKind::DeliverySummary,
        };
        let short;
        let original: Vec<Piece<'_, 'a>> = match (kind, self.original) {
            (MessageKind::DeliverySummary, _) => Vec::new(),
            (_, None) => {
                return Err(invalid(
                    "original: a completa or breve receipt carries the original message",
                ));
            }
            (MessageKind::DeliveryShort, Some(o)) => {
                original_headers(o)?;
                short = super::breve::short_form(o)?;
                vec![Piece::Copy(short.as_slice())]
            }
            (_, Some(o)) => {
                original_headers(o)?;
                vec![Piece::Borrow(o)]
            }
        };
        let head = receipt_head(
            kind,
            emitter,
            &f.sender,
            &f.subject,
            self.message_id,
            f.client_message_id.as_deref(),
            self.time,
            &[],
        );
        let daticert = receipt_daticert(
            kind,
            CertError::None,
            f,
            emitter,
            self.time,
            Some(self.kind),
            Some(self.recipient),
            Vec::new(),
            None,
        )?;
        let text = TextFacts {
            kind,
            time: self.time,
            subject: &f.subject,
            sender: &f.sender,
            recipients: &f.recipients,
            recipient: Some(self.recipient),
            identifier: Some(&f.identifier),
            reason: None,
            timeout: None,
            receipt: Some(self.kind),
        };
        super::assemble(
            &head,
            Content {
                text,
                daticert: Some(daticert),
                original,
                original_field: "original",
                seed: self.message_id.as_bytes(),
            },
            emitter,
            self.time,
            options,
        )
    }
}
