//! Envelopes: busta di trasporto (spec 3.1) and busta di anomalia (spec 3.2).

use super::{
    BuildOptions, Content, EmittingProvider, MessageKind, OriginalFacts, TextFacts, check_line,
    invalid, original_headers, raw_field,
};
use crate::daticert::{CertData, CertError, Daticert, DaticertKind, ReceiptKind, Recipient};
use crate::error::Error;
use crate::mime::{address, words};
use crate::smime::{PendingMessage, Piece};
use crate::time::PecTime;

/// `From: "Per conto di: <sender>" <service address>` (spec 2.3). The display name is an
/// RFC 5322 phrase, so that every parser reads one mailbox with this name: a quoted string,
/// or encoded words when the quoted string could not hold it as it is (see
/// [`words::phrase`]).
fn on_behalf_from(sender: &str, service: &str) -> String {
    let display = words::phrase(&format!("Per conto di: {sender}"));
    let line = format!("From: {display} <{service}>\r\n");
    // Encoded words fold between them; the quoted string of a valid sender fits a line.
    if line.len() <= 78 {
        line
    } else {
        line.replace("?= =?", "?=\r\n =?")
    }
}

/// The header lines an envelope keeps from the wrapped message: `Return-Path`, the
/// `Received` lines, `To`, `Cc` (spec 3.1, 3.2), as raw bytes; and its `Reply-To`.
struct Kept<'a> {
    trace: Vec<&'a [u8]>,
    reply_to: Option<&'a [u8]>,
    to: Option<&'a [u8]>,
    cc: Option<&'a [u8]>,
}

fn kept<'a>(message: &'a [u8], head: &crate::mime::header::HeaderBlock<'a>) -> Kept<'a> {
    let mut trace: Vec<&[u8]> = head
        .fields
        .iter()
        .filter(|f| f.is("Return-Path"))
        .take(1)
        .map(|f| raw_field(message, f))
        .collect();
    trace.extend(
        head.fields
            .iter()
            .filter(|f| f.is("Received"))
            .map(|f| raw_field(message, f)),
    );
    let first = |name: &str| {
        head.fields
            .iter()
            .find(|f| f.is(name))
            .map(|f| raw_field(message, f))
    };
    Kept {
        trace,
        reply_to: first("Reply-To"),
        to: first("To"),
        cc: first("Cc"),
    }
}

/// Writes the envelope header lines common to both envelopes.
fn envelope_head(
    kept: &Kept<'_>,
    emitter: &EmittingProvider,
    sender: &str,
    subject: String,
    time: PecTime,
) -> Vec<u8> {
    let mut h: Vec<u8> = Vec::with_capacity(2048);
    for line in &kept.trace {
        h.extend_from_slice(line);
    }
    h.extend_from_slice(format!("Date: {}\r\n", time.rfc5322()).as_bytes());
    h.extend_from_slice(on_behalf_from(sender, emitter.service_address()).as_bytes());
    match kept.reply_to {
        Some(line) => h.extend_from_slice(line),
        None => h.extend_from_slice(format!("Reply-To: {sender}\r\n").as_bytes()),
    }
    for line in [kept.to, kept.cc].into_iter().flatten() {
        h.extend_from_slice(line);
    }
    h.extend_from_slice(words::header("Subject", &subject).as_bytes());
    h
}

/// Busta di trasporto (spec 3.1): the sender's provider wraps the submitted message and
/// sends it to every recipient.
///
/// The envelope keeps the original's `Return-Path`, `Received`, `To`, `Cc` and `Reply-To`
/// (adding `Reply-To: <sender>` when absent) and sets `Date` (the acceptance time),
/// `From: "Per conto di: <sender>" <service address>`,
/// `Subject: POSTA CERTIFICATA: <subject>`, `Message-ID: <identifier>`,
/// `X-Riferimento-Message-ID` (the client's Message-ID), `X-Trasporto: posta-certificata`
/// and `X-TipoRicevuta`. `postacert.eml` is the original byte for byte, but its `Message-ID`
/// is replaced by the PEC identifier followed by `X-Riferimento-Message-ID: <client id>`
/// (added at the end of the header when the original has none).
#[derive(Debug, Clone)]
pub struct TransportEnvelope<'a> {
    original: &'a [u8],
    sender: &'a str,
    recipients: &'a [Recipient],
    identifier: &'a str,
    time: PecTime,
    receipt: Option<ReceiptKind>,
}

impl<'a> TransportEnvelope<'a> {
    /// An envelope for `original` (the submitted RFC 5322 message, CR LF), sent by `sender`
    /// (the SMTP reverse path) to `recipients` (every forward path, classified), with the
    /// PEC `identifier` assigned, at the acceptance `time`.
    pub fn new(
        original: &'a [u8],
        sender: &'a str,
        recipients: &'a [Recipient],
        identifier: &'a str,
        time: PecTime,
    ) -> Self {
        TransportEnvelope {
            original,
            sender,
            recipients,
            identifier,
            time,
            receipt: None,
        }
    }

    /// The delivery receipt type to request. Default: the original's `X-TipoRicevuta` (any
    /// spelling of the name), else `completa`.
    pub fn receipt(mut self, kind: ReceiptKind) -> Self {
        self.receipt = Some(kind);
        self
    }

    /// The certified facts of this transaction, for the receipts that follow.
    pub fn facts(&self) -> Result<OriginalFacts, Error> {
        OriginalFacts::from_original(
            self.original,
            self.sender,
            self.recipients.to_vec(),
            self.identifier,
        )
    }

    /// Validates the inputs and writes the envelope; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'a>, Error> {
        let head = original_headers(self.original)?;
        let facts = self.facts()?;
        let receipt = match self.receipt {
            Some(k) => k,
            None => head
                .fields
                .iter()
                .find(|f| f.is("X-TipoRicevuta"))
                .and_then(|f| ReceiptKind::from_wire(&f.unfolded().to_ascii_lowercase()))
                .unwrap_or(ReceiptKind::Full),
        };

        let kept = kept(self.original, &head);
        let mut outer = envelope_head(
            &kept,
            emitter,
            &facts.sender,
            format!(
                "{}{}",
                MessageKind::TransportEnvelope.subject_prefix(),
                facts.subject
            ),
            self.time,
        );
        outer.extend_from_slice(format!("Message-ID: <{}>\r\n", facts.identifier).as_bytes());
        if let Some(id) = &facts.client_message_id {
            outer.extend_from_slice(format!("X-Riferimento-Message-ID: {id}\r\n").as_bytes());
        }
        outer.extend_from_slice(b"X-Trasporto: posta-certificata\r\n");
        outer.extend_from_slice(format!("X-TipoRicevuta: {receipt}\r\n").as_bytes());

        // postacert.eml: the original header with the Message-ID replaced, then the body.
        let ids = {
            let mut s = format!("Message-ID: <{}>\r\n", facts.identifier);
            if let Some(id) = &facts.client_message_id {
                s.push_str(&format!("X-Riferimento-Message-ID: {id}\r\n"));
            }
            s
        };
        let mut header = Vec::with_capacity(head.body_start + ids.len());
        let mut replaced = false;
        for field in &head.fields {
            if field.is("Message-ID") && !replaced {
                header.extend_from_slice(ids.as_bytes());
                replaced = true;
            } else {
                header.extend_from_slice(raw_field(self.original, field));
            }
        }
        if !replaced {
            header.extend_from_slice(ids.as_bytes());
        }
        header.extend_from_slice(b"\r\n");
        let body = self.original.get(head.body_start..).unwrap_or(&[]);

        let daticert = Daticert {
            kind: DaticertKind::Transport,
            error: CertError::None,
            header: facts.header(),
            data: CertData {
                provider: emitter.name().to_owned(),
                time: self.time,
                identifier: facts.identifier.clone(),
                client_message_id: facts.client_message_id.clone(),
                receipt: Some(receipt),
                delivery: None,
                receptions: Vec::new(),
                error_detail: None,
            },
        };
        let text = TextFacts {
            kind: MessageKind::TransportEnvelope,
            time: self.time,
            subject: &facts.subject,
            sender: &facts.sender,
            recipients: &facts.recipients,
            recipient: None,
            identifier: Some(&facts.identifier),
            reason: None,
            timeout: None,
            receipt: Some(receipt),
        };
        super::assemble(
            &outer,
            Content {
                text,
                daticert: Some(daticert),
                original: vec![Piece::Copy(&header), Piece::Borrow(body)],
                original_field: "original",
                seed: facts.identifier.as_bytes(),
            },
            emitter,
            self.time,
            options,
        )
    }
}

/// Busta di anomalia (spec 3.2): the recipient's provider wraps a message that is not a
/// correct PEC message (or ordinary mail the mailbox accepts) and delivers it with the
/// reason. No `daticert.xml`; the wrapped message is kept whole, and so is its `Message-ID`.
///
/// The envelope keeps `Return-Path`, `Received`, `To`, `Cc`, `Reply-To` (adding
/// `Reply-To: <sender>` when absent) and `Message-ID`, and sets `Date` (the arrival time),
/// `From: "Per conto di: <sender>" <service address>`,
/// `Subject: ANOMALIA MESSAGGIO: <subject>` and `X-Trasporto: errore`. The sender is the
/// address in the wrapped message's `From`, else its `Return-Path`.
#[derive(Debug, Clone)]
pub struct AnomalyEnvelope<'a> {
    received: &'a [u8],
    reason: &'a str,
    time: PecTime,
}

impl<'a> AnomalyEnvelope<'a> {
    /// An anomaly envelope for `received` (the whole message, CR LF), because of `reason`
    /// (shown in the text), at the arrival `time`.
    pub fn new(received: &'a [u8], reason: &'a str, time: PecTime) -> Self {
        AnomalyEnvelope {
            received,
            reason,
            time,
        }
    }

    /// Validates the inputs and writes the envelope; the signature is pending.
    pub fn prepare(
        &self,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'a>, Error> {
        let head = original_headers(self.received)
            .map_err(|e| invalid(e.message().replacen("original", "received", 1)))?;
        check_line("reason", self.reason)?;
        if self.reason.trim().is_empty() {
            return Err(invalid("reason: empty"));
        }
        let value = |name: &str| {
            head.fields
                .iter()
                .find(|f| f.is(name))
                .map(|f| f.unfolded())
        };
        let sender = ["From", "Return-Path"]
            .into_iter()
            .filter_map(value)
            .filter_map(|v| address::list(&v).into_iter().next())
            .find(|a| address::is_address(a))
            .ok_or_else(|| invalid("received: no sender address in From or Return-Path"))?;
        let subject = value("Subject")
            .map(|s| words::decode(&s))
            .unwrap_or_default();
        let recipients: Vec<Recipient> = ["To", "Cc"]
            .into_iter()
            .filter_map(value)
            .flat_map(|v| address::list(&v))
            .map(Recipient::external)
            .collect();
        let message_id = value("Message-ID");

        let kept = kept(self.received, &head);
        let mut outer = envelope_head(
            &kept,
            emitter,
            &sender,
            format!("{}{subject}", MessageKind::AnomalyEnvelope.subject_prefix()),
            self.time,
        );
        if let Some(f) = head.fields.iter().find(|f| f.is("Message-ID")) {
            outer.extend_from_slice(raw_field(self.received, f));
        }
        outer.extend_from_slice(b"X-Trasporto: errore\r\n");

        let text = TextFacts {
            kind: MessageKind::AnomalyEnvelope,
            time: self.time,
            subject: &subject,
            sender: &sender,
            recipients: &recipients,
            recipient: None,
            identifier: None,
            reason: Some(self.reason),
            timeout: None,
            receipt: None,
        };
        let seed =
            message_id.unwrap_or_else(|| format!("{}{}", self.time.unix_seconds(), self.reason));
        super::assemble(
            &outer,
            Content {
                text,
                daticert: None,
                original: vec![Piece::Borrow(self.received)],
                original_field: "received",
                seed: seed.as_bytes(),
            },
            emitter,
            self.time,
            options,
        )
    }
}
