//! Ricevute del punto di consegna (spec 3.6, 3.7, 6.3, 6.4): which receipt each recipient of
//! a delivered transport envelope gets.
//!
//! > Issued by the recipient DP, one per recipient, only after a correct busta is stored in
//! > that mailbox. Never for anomalie or receipts. Type selection from busta
//! > `X-TipoRicevuta` (absent ⇒ `completa`): `completa`: primary (`To:`) recipients get a
//! > complete receipt, `Cc:` recipients a sintetica; if To/Cc are ambiguous ⇒ treat as
//! > primary. `breve`: primary recipients get a breve; Cc recipients a sintetica.
//! > `sintetica`: everyone gets a sintetica.
//!
//! The receipt type comes from the envelope's signed `daticert.xml` (`ricevuta`), which the
//! reader has already checked against `X-TipoRicevuta`; `To:` and `Cc:` come from the
//! original the envelope carries. A recipient in both, or in neither, is ambiguous, hence
//! primary.

use std::collections::HashSet;

use crate::build::{
    BuildOptions, Delivery, EmittingProvider, MessageKind, NonDelivery, OriginalFacts,
};
use crate::daticert::{CertError, ReceiptKind};
use crate::error::{Error, ErrorKind};
use crate::mime::address;
use crate::read::PecMessage;
use crate::smime::PendingMessage;
use crate::time::PecTime;

/// What happened to one recipient at the delivery point.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientOutcome {
    /// The envelope was stored in the recipient's mailbox.
    Delivered,
    /// It could not be (spec 3.7): `error` is `no-dest`, `no-dominio` or `altro`; `detail`
    /// goes to `errore-esteso` in the form of AgID's note 12,
    /// `<status> - <provider> - <text>`.
    NotDelivered {
        /// `errore`.
        error: CertError,
        /// `errore-esteso`.
        detail: String,
    },
}

/// One receipt to emit.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedReceipt {
    /// The recipient it is about (`consegna`).
    pub recipient: String,
    /// [`MessageKind::DeliveryFull`], [`MessageKind::DeliveryShort`],
    /// [`MessageKind::DeliverySummary`] or [`MessageKind::NonDelivery`].
    pub kind: MessageKind,
    /// For a non-delivery: `errore` and `errore-esteso`.
    pub error: Option<(CertError, String)>,
}

impl PlannedReceipt {
    /// Prepares this receipt with the builders: [`Delivery`] (with the envelope's original
    /// for completa and breve) or [`NonDelivery`].
    pub fn prepare<'a>(
        &'a self,
        plan: &'a ReceiptPlan<'a>,
        message_id: &'a str,
        time: PecTime,
        emitter: &EmittingProvider,
        options: &BuildOptions<'_>,
    ) -> Result<PendingMessage<'a>, Error> {
        let receipt = match self.kind {
            MessageKind::DeliveryFull => ReceiptKind::Full,
            MessageKind::DeliveryShort => ReceiptKind::Short,
            MessageKind::DeliverySummary => ReceiptKind::Summary,
            _ => {
                let (error, detail) = self.error.as_ref().ok_or_else(|| {
                    Error::new(ErrorKind::InvalidInput, "a non-delivery without its error")
                })?;
                return NonDelivery::new(
                    &plan.facts,
                    &self.recipient,
                    *error,
                    detail,
                    message_id,
                    time,
                )
                .prepare(emitter, options);
            }
        };
        let mut delivery = Delivery::new(&plan.facts, &self.recipient, receipt, message_id, time);
        if receipt != ReceiptKind::Summary {
            delivery = delivery.original(plan.original);
        }
        delivery.prepare(emitter, options)
    }
}

/// The receipts due for one delivered envelope, one per recipient, in the order the
/// outcomes were given.
#[derive(Debug, Clone)]
pub struct ReceiptPlan<'a> {
    /// The envelope's facts (from its daticert), shared by every receipt.
    pub facts: OriginalFacts,
    /// The receipt type the sender asked for (daticert `ricevuta`; `completa` when absent).
    pub requested: ReceiptKind,
    /// One receipt per recipient.
    pub receipts: Vec<PlannedReceipt>,
    /// The original the envelope carries, for completa and breve receipts.
    pub original: &'a [u8],
}

/// Plans the receipts of a delivery point for `envelope` (read with
/// [`read`](crate::read::read)) and the outcome for each of its recipients in this mailbox
/// system.
///
/// Fails with [`ErrorKind::InvalidInput`] when the envelope is not a valid transport envelope
/// (receipts are never due for anomalies, receipts, or messages that failed verification),
/// when a recipient is not among the envelope's `destinatari`, or appears twice.
pub fn plan_receipts<'a>(
    envelope: &'a PecMessage<'_>,
    outcomes: &[(&str, RecipientOutcome)],
) -> Result<ReceiptPlan<'a>, Error> {
    let invalid = |m: String| Error::new(ErrorKind::InvalidInput, m);
    if envelope.kind != Some(MessageKind::TransportEnvelope) || !envelope.is_valid() {
        return Err(invalid(format!(
            "envelope: receipts are due only for a valid transport envelope, this is {} and {}",
            envelope
                .kind
                .map(|k| k.to_string())
                .unwrap_or_else(|| "not PEC".to_owned()),
            if envelope.is_valid() {
                "valid"
            } else {
                "not valid"
            }
        )));
    }
    let daticert = envelope
        .daticert
        .as_ref()
        .ok_or_else(|| invalid("envelope: no daticert.xml".to_owned()))?;
    let original = envelope
        .original()
        .ok_or_else(|| invalid("envelope: no postacert.eml".to_owned()))?;
    let facts = OriginalFacts::from_daticert(daticert);
    let requested = daticert.data.receipt.unwrap_or(ReceiptKind::Full);

    let headers = envelope.original_headers();
    // Lists as sets of lower-cased addresses: each outcome is looked up in them, and the
    // destinatari of a hostile daticert run to thousands.
    let listed = |name: &str| -> HashSet<String> {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| address::list(v))
            .map(|a| a.to_ascii_lowercase())
            .collect()
    };
    let (to, cc) = (listed("To"), listed("Cc"));
    let recipients: HashSet<String> = facts
        .recipients
        .iter()
        .map(|r| r.address.to_ascii_lowercase())
        .collect();
    let mut planned: HashSet<String> = HashSet::new();

    let mut receipts: Vec<PlannedReceipt> = Vec::with_capacity(outcomes.len());
    for (recipient, outcome) in outcomes {
        let lower = recipient.to_ascii_lowercase();
        if !recipients.contains(&lower) {
            return Err(invalid(format!(
                "outcomes: {recipient} is not a recipient of the envelope"
            )));
        }
        let secondary = cc.contains(&lower) && !to.contains(&lower);
        if !planned.insert(lower) {
            return Err(invalid(format!("outcomes: {recipient} appears twice")));
        }
        let (kind, error) = match outcome {
            RecipientOutcome::NotDelivered { error, detail } => {
                if !matches!(
                    error,
                    CertError::NoRecipient | CertError::NoDomain | CertError::Other
                ) {
                    return Err(invalid(format!(
                        "outcomes: {recipient}: errore=\"{error}\" is not a non-delivery \
                         error (no-dest, no-dominio, altro)"
                    )));
                }
                (MessageKind::NonDelivery, Some((*error, detail.clone())))
            }
            RecipientOutcome::Delivered => {
                // Cc only (not also To) makes a secondary recipient; anything else is primary.
                let kind = match (requested, secondary) {
                    (ReceiptKind::Summary, _) | (_, true) => MessageKind::DeliverySummary,
                    (ReceiptKind::Short, false) => MessageKind::DeliveryShort,
                    _ => MessageKind::DeliveryFull,
                };
                (kind, None)
            }
        };
        receipts.push(PlannedReceipt {
            recipient: (*recipient).to_owned(),
            kind,
            error,
        });
    }
    Ok(ReceiptPlan {
        facts,
        requested,
        receipts,
        original,
    })
}
