//! Builders of every PEC message (spec 3), as pure functions over the signing core.
//!
//! | message | builder | header marker | subject prefix |
//! |---|---|---|---|
//! | busta di trasporto (transport envelope, 3.1) | [`TransportEnvelope`] | `X-Trasporto: posta-certificata` | `POSTA CERTIFICATA: ` |
//! | busta di anomalia (anomaly envelope, 3.2) | [`AnomalyEnvelope`] | `X-Trasporto: errore` | `ANOMALIA MESSAGGIO: ` |
//! | ricevuta di accettazione (acceptance, 3.3) | [`Acceptance`] | `X-Ricevuta: accettazione` | `ACCETTAZIONE: ` |
//! | avviso di non accettazione, anche per virus (3.4) | [`NonAcceptance`] | `X-Ricevuta: non-accettazione` | `AVVISO DI NON ACCETTAZIONE: ` (`... PER VIRUS: `) |
//! | ricevuta di presa in carico (taking in charge, 3.5) | [`TakingInCharge`] | `X-Ricevuta: presa-in-carico` | `PRESA IN CARICO: ` |
//! | ricevuta di avvenuta consegna completa, breve, sintetica (3.6) | [`Delivery`] | `X-Ricevuta: avvenuta-consegna` | `CONSEGNA: ` |
//! | avviso di mancata consegna, anche per virus (3.7, 3.8) | [`NonDelivery`] | `X-Ricevuta: errore-consegna` | `AVVISO DI MANCATA CONSEGNA: ` (`... PER VIRUS: `) |
//! | avviso di rilevazione virus (3.8) | [`VirusDetection`] | `X-Ricevuta: rilevazione-virus` | `PROBLEMA DI SICUREZZA: ` |
//! | avvisi di mancata consegna per superamento tempo massimo, 12 h e 24 h (3.9) | [`DeliveryTimeout`] | `X-Ricevuta: preavviso-errore-consegna` | `AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ` |
//!
//! Every builder validates its inputs (an error names the field, and nothing is signed),
//! then `prepare`s a [`PendingMessage`]: the message is written, the signature is not; finish
//! it with the signature value or with a [`Signer`](crate::cms::Signer). Time, identifiers and
//! boundaries are inputs: the same inputs give the same bytes.
//!
//! The signed entity is a `multipart/mixed`: the readable text (`text/plain`, or
//! `multipart/alternative` with HTML), `daticert.xml` (base64), and `postacert.eml` where the
//! message carries the original (`message/rfc822`, never base64: 7bit, 8bit or binary as
//! its bytes require). A large original is copied once, straight into the output.

mod breve;
mod envelope;
mod notice;
mod receipt;
pub mod text;

pub use envelope::{AnomalyEnvelope, TransportEnvelope};
pub use notice::{DeliveryTimeout, NonAcceptance, NonDelivery, VirusDetection};
pub use receipt::{Acceptance, Delivery, TakingInCharge};
pub use text::{ItalianTemplates, Templates, TextFacts, Timeout};

use crate::cms::SigningIdentity;
use crate::daticert::{
    CertData, CertError, Daticert, DaticertKind, Header, ReceiptKind, Recipient,
};
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::mime::boundary::Boundaries;
use crate::mime::header::{HeaderBlock, HeaderLimits, parse_block};
use crate::mime::{address, base64, qp, words};
use crate::smime::{self, MessageSignOptions, PendingMessage};
use crate::time::PecTime;

/// The thirteen kinds of PEC message (spec 3, table).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageKind {
    /// Busta di trasporto.
    TransportEnvelope,
    /// Busta di anomalia.
    AnomalyEnvelope,
    /// Ricevuta di accettazione.
    Acceptance,
    /// Avviso di non accettazione (eccezioni formali).
    NonAcceptance,
    /// Avviso di non accettazione per virus.
    NonAcceptanceVirus,
    /// Ricevuta di presa in carico.
    TakingInCharge,
    /// Ricevuta di avvenuta consegna completa.
    DeliveryFull,
    /// Ricevuta di avvenuta consegna breve.
    DeliveryShort,
    /// Ricevuta di avvenuta consegna sintetica.
    DeliverySummary,
    /// Avviso di mancata consegna.
    NonDelivery,
    /// Avviso di mancata consegna per virus.
    NonDeliveryVirus,
    /// Avviso di rilevazione virus.
    VirusDetection,
    /// Avviso di mancata consegna per superamento del tempo massimo (12 h or 24 h).
    DeliveryTimeout,
}

impl MessageKind {
    /// Every kind, in the spec's order.
    pub const ALL: &'static [MessageKind] = &[
        MessageKind::TransportEnvelope,
        MessageKind::AnomalyEnvelope,
        MessageKind::Acceptance,
        MessageKind::NonAcceptance,
        MessageKind::NonAcceptanceVirus,
        MessageKind::TakingInCharge,
        MessageKind::DeliveryFull,
        MessageKind::DeliveryShort,
        MessageKind::DeliverySummary,
        MessageKind::NonDelivery,
        MessageKind::NonDeliveryVirus,
        MessageKind::VirusDetection,
        MessageKind::DeliveryTimeout,
    ];

    /// A stable kebab-case name, as reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::TransportEnvelope => "transport-envelope",
            MessageKind::AnomalyEnvelope => "anomaly-envelope",
            MessageKind::Acceptance => "acceptance",
            MessageKind::NonAcceptance => "non-acceptance",
            MessageKind::NonAcceptanceVirus => "non-acceptance-virus",
            MessageKind::TakingInCharge => "taking-in-charge",
            MessageKind::DeliveryFull => "delivery-full",
            MessageKind::DeliveryShort => "delivery-short",
            MessageKind::DeliverySummary => "delivery-summary",
            MessageKind::NonDelivery => "non-delivery",
            MessageKind::NonDeliveryVirus => "non-delivery-virus",
            MessageKind::VirusDetection => "virus-detection",
            MessageKind::DeliveryTimeout => "delivery-timeout",
        }
    }

    /// The marker header: `X-Trasporto` for envelopes, `X-Ricevuta` otherwise, and its value.
    pub fn marker(self) -> (&'static str, &'static str) {
        match self {
            MessageKind::TransportEnvelope => ("X-Trasporto", "posta-certificata"),
            MessageKind::AnomalyEnvelope => ("X-Trasporto", "errore"),
            MessageKind::Acceptance => ("X-Ricevuta", "accettazione"),
            MessageKind::NonAcceptance | MessageKind::NonAcceptanceVirus => {
                ("X-Ricevuta", "non-accettazione")
            }
            MessageKind::TakingInCharge => ("X-Ricevuta", "presa-in-carico"),
            MessageKind::DeliveryFull
            | MessageKind::DeliveryShort
            | MessageKind::DeliverySummary => ("X-Ricevuta", "avvenuta-consegna"),
            MessageKind::NonDelivery | MessageKind::NonDeliveryVirus => {
                ("X-Ricevuta", "errore-consegna")
            }
            MessageKind::VirusDetection => ("X-Ricevuta", "rilevazione-virus"),
            MessageKind::DeliveryTimeout => ("X-Ricevuta", "preavviso-errore-consegna"),
        }
    }

    /// The subject prefix, exact (spec 3).
    pub fn subject_prefix(self) -> &'static str {
        match self {
            MessageKind::TransportEnvelope => "POSTA CERTIFICATA: ",
            MessageKind::AnomalyEnvelope => "ANOMALIA MESSAGGIO: ",
            MessageKind::Acceptance => "ACCETTAZIONE: ",
            MessageKind::NonAcceptance => "AVVISO DI NON ACCETTAZIONE: ",
            MessageKind::NonAcceptanceVirus => "AVVISO DI NON ACCETTAZIONE PER VIRUS: ",
            MessageKind::TakingInCharge => "PRESA IN CARICO: ",
            MessageKind::DeliveryFull
            | MessageKind::DeliveryShort
            | MessageKind::DeliverySummary => "CONSEGNA: ",
            MessageKind::NonDelivery => "AVVISO DI MANCATA CONSEGNA: ",
            MessageKind::NonDeliveryVirus => "AVVISO DI MANCATA CONSEGNA PER VIRUS: ",
            MessageKind::VirusDetection => "PROBLEMA DI SICUREZZA: ",
            MessageKind::DeliveryTimeout => "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ",
        }
    }

    /// The daticert `tipo`; `None` for the anomaly envelope, which has no daticert.
    pub fn daticert_kind(self) -> Option<DaticertKind> {
        Some(match self {
            MessageKind::TransportEnvelope => DaticertKind::Transport,
            MessageKind::AnomalyEnvelope => return None,
            MessageKind::Acceptance => DaticertKind::Acceptance,
            MessageKind::NonAcceptance | MessageKind::NonAcceptanceVirus => {
                DaticertKind::NonAcceptance
            }
            MessageKind::TakingInCharge => DaticertKind::TakingInCharge,
            MessageKind::DeliveryFull
            | MessageKind::DeliveryShort
            | MessageKind::DeliverySummary => DaticertKind::Delivery,
            MessageKind::NonDelivery | MessageKind::NonDeliveryVirus => DaticertKind::NonDelivery,
            MessageKind::VirusDetection => DaticertKind::VirusDetection,
            MessageKind::DeliveryTimeout => DaticertKind::DeliveryTimeout,
        })
    }

    /// Whether the message carries `X-VerificaSicurezza: errore` (the virus variants).
    pub fn security_error(self) -> bool {
        matches!(
            self,
            MessageKind::NonAcceptanceVirus | MessageKind::NonDeliveryVirus
        )
    }
}

impl core::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The provider that emits and signs (gestore emittente).
#[derive(Debug, Clone)]
pub struct EmittingProvider {
    name: String,
    service_address: String,
    identity: SigningIdentity,
}

impl EmittingProvider {
    /// A provider with its descriptive name (written in `gestore-emittente`) and signing
    /// identity. The service address (`posta-certificata@<domain>`), the `From` of what it
    /// emits, is the certificate's `rfc822Name`, as spec 2.3 requires. Fails with
    /// [`ErrorKind::InvalidInput`] when the name is empty or has a line break, or the
    /// certificate has no valid address.
    pub fn new(name: impl Into<String>, identity: SigningIdentity) -> Result<Self, Error> {
        let name = name.into();
        if name.trim().is_empty() || name.contains(['\r', '\n']) {
            return Err(invalid("provider name: empty or with a line break"));
        }
        let service_address = identity
            .email_addresses()
            .into_iter()
            .next()
            .filter(|a| address::is_address(a))
            .ok_or_else(|| invalid("identity: the certificate has no rfc822Name address"))?;
        Ok(EmittingProvider {
            name,
            service_address,
            identity,
        })
    }

    /// The descriptive name (`gestore-emittente`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service address: `From` of receipts, address in `From` of envelopes.
    pub fn service_address(&self) -> &str {
        &self.service_address
    }

    /// The signing identity.
    pub fn identity(&self) -> &SigningIdentity {
        &self.identity
    }
}

/// The certified facts of an original message, the same in every message of its transaction:
/// the `intestazione` of `daticert.xml` plus the identifiers.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalFacts {
    /// `mittente`: the certified sender, the SMTP reverse path.
    pub sender: String,
    /// `destinatari`: every To and Cc recipient, with its kind.
    pub recipients: Vec<Recipient>,
    /// `risposte`: the original `Reply-To`, or the sender.
    pub reply_to: String,
    /// `oggetto`: the original subject, decoded.
    pub subject: String,
    /// `identificativo`: the PEC identifier, the Message-ID of the transport envelope
    /// (without angle brackets).
    pub identifier: String,
    /// `msgid`: the Message-ID the sender's client set, with angle brackets.
    pub client_message_id: Option<String>,
}

impl OriginalFacts {
    /// The facts as a delivering provider finds them, in the transport envelope's daticert.
    pub fn from_daticert(d: &Daticert) -> Self {
        OriginalFacts {
            sender: d.header.sender.clone(),
            recipients: d.header.recipients.clone(),
            reply_to: d.header.reply_to.clone(),
            subject: d.header.subject.clone().unwrap_or_default(),
            identifier: d.data.identifier.clone(),
            client_message_id: d.data.client_message_id.clone(),
        }
    }

    /// The facts as the access point finds them in a submitted message: the subject (RFC 2047
    /// decoded), `Reply-To` (or the sender) and `Message-ID` from its headers; the sender is the
    /// SMTP reverse path, the recipients (with their kind) are the caller's classification of
    /// the forward paths, the identifier is the PEC identifier assigned.
    pub fn from_original(
        original: &[u8],
        sender: &str,
        recipients: Vec<Recipient>,
        identifier: &str,
    ) -> Result<Self, Error> {
        let head = original_headers(original)?;
        let value = |name: &str| -> Result<Option<String>, Error> {
            Ok(head
                .one(name)
                .map_err(|e| invalid(format!("original: {}", e.message())))?
                .map(|f| f.unfolded()))
        };
        let subject = value("Subject")?
            .map(|s| words::decode(&s))
            .unwrap_or_default();
        let reply_to = value("Reply-To")?
            .and_then(|v| address::list(&v).into_iter().next())
            .unwrap_or_else(|| sender.to_owned());
        let client_message_id = value("Message-ID")?.map(|v| v.trim().to_owned());
        let facts = OriginalFacts {
            sender: sender.to_owned(),
            recipients,
            reply_to,
            subject,
            identifier: identifier.to_owned(),
            client_message_id,
        };
        facts.validate()?;
        Ok(facts)
    }

    /// Checks every field; an error names the first field in error.
    pub fn validate(&self) -> Result<(), Error> {
        check_address("sender", &self.sender)?;
        if self.recipients.is_empty() {
            return Err(invalid("recipients: none"));
        }
        for (i, r) in self.recipients.iter().enumerate() {
            check_address(&format!("recipients[{i}]"), &r.address)?;
        }
        if !self.reply_to.is_empty() {
            check_address("reply_to", &self.reply_to)?;
        }
        check_line("subject", &self.subject)?;
        check_identifier("identifier", &self.identifier)?;
        if let Some(id) = &self.client_message_id {
            check_client_id("client_message_id", id)?;
        }
        Ok(())
    }

    /// The daticert `intestazione`.
    fn header(&self) -> Header {
        Header {
            sender: self.sender.clone(),
            recipients: self.recipients.clone(),
            reply_to: self.reply_to.clone(),
            subject: Some(self.subject.clone()),
        }
    }
}

/// Options of every builder's `prepare`.
#[non_exhaustive]
#[derive(Clone)]
pub struct BuildOptions<'a> {
    /// Signature options: backend, `signatureAlgorithm`, protocol label.
    pub signing: MessageSignOptions,
    /// Add the HTML alternative to the readable text. Default: no.
    pub html: bool,
    /// The wording of the readable text. Default: [`ItalianTemplates`].
    pub templates: &'a dyn Templates,
    /// The value the MIME boundaries are derived from. Default: the message's own
    /// Message-ID.
    pub boundary_seed: Option<&'a [u8]>,
}

impl Default for BuildOptions<'_> {
    fn default() -> Self {
        BuildOptions {
            signing: MessageSignOptions::default(),
            html: false,
            templates: &ItalianTemplates,
            boundary_seed: None,
        }
    }
}

impl core::fmt::Debug for BuildOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("signing", &self.signing)
            .field("html", &self.html)
            .field("boundary_seed", &self.boundary_seed)
            .finish_non_exhaustive()
    }
}

pub(crate) fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, what)
}

pub(crate) fn check_address(field: &str, value: &str) -> Result<(), Error> {
    if address::is_address(value) {
        Ok(())
    } else {
        Err(invalid(format!("{field}: {value:?} is not a mail address")))
    }
}

pub(crate) fn check_line(field: &str, value: &str) -> Result<(), Error> {
    if value.contains(['\r', '\n']) {
        Err(invalid(format!("{field}: contains CR or LF")))
    } else {
        Ok(())
    }
}

/// A message identifier without angle brackets: printable ASCII, an `@`, no blanks.
pub(crate) fn check_identifier(field: &str, value: &str) -> Result<(), Error> {
    let printable = value.bytes().all(|b| b.is_ascii_graphic()) && !value.contains(['<', '>']);
    if printable && value.contains('@') && !value.starts_with('@') && !value.ends_with('@') {
        Ok(())
    } else {
        Err(invalid(format!(
            "{field}: {value:?} is not a message identifier (id@domain, no brackets)"
        )))
    }
}

/// A Message-ID with its angle brackets.
fn check_client_id(field: &str, value: &str) -> Result<(), Error> {
    match value.strip_prefix('<').and_then(|v| v.strip_suffix('>')) {
        Some(inner) if check_identifier(field, inner).is_ok() => Ok(()),
        _ => Err(invalid(format!(
            "{field}: {value:?} is not a Message-ID (<id@domain>)"
        ))),
    }
}

/// The header block of an original message, which must be an RFC 5322 message with CR LF
/// line ends.
pub(crate) fn original_headers(original: &[u8]) -> Result<HeaderBlock<'_>, Error> {
    smime::check_crlf("original", original)?;
    parse_block(original, HeaderLimits::default()).map_err(|e| {
        invalid(format!(
            "original: not an RFC 5322 message: {}",
            e.message()
        ))
    })
}

/// The raw bytes of a header field of `block` (name, colon, value, CR LF).
pub(crate) fn raw_field<'a>(source: &'a [u8], field: &crate::mime::header::Field<'a>) -> &'a [u8] {
    let start = (field.name.as_ptr() as usize).saturating_sub(source.as_ptr() as usize);
    let end = (field.value.as_ptr() as usize + field.value.len())
        .saturating_sub(source.as_ptr() as usize);
    source.get(start..end + 2).unwrap_or(&[])
}

/// A receipt's or notice's daticert.
#[allow(clippy::too_many_arguments)]
pub(crate) fn receipt_daticert(
    kind: MessageKind,
    error: CertError,
    facts: &OriginalFacts,
    emitter: &EmittingProvider,
    time: PecTime,
    receipt: Option<ReceiptKind>,
    delivery: Option<&str>,
    receptions: Vec<String>,
    error_detail: Option<&str>,
) -> Result<Daticert, Error> {
    let kind = kind
        .daticert_kind()
        .ok_or_else(|| invalid("kind: this message has no daticert"))?;
    Ok(Daticert {
        kind,
        error,
        header: facts.header(),
        data: CertData {
            provider: emitter.name.clone(),
            time,
            identifier: facts.identifier.clone(),
            client_message_id: facts.client_message_id.clone(),
            receipt,
            delivery: delivery.map(str::to_owned),
            receptions,
            error_detail: error_detail.map(str::to_owned),
        },
    })
}

/// The outer header lines of a receipt or notice, in a fixed order.
#[allow(clippy::too_many_arguments)]
pub(crate) fn receipt_head(
    kind: MessageKind,
    emitter: &EmittingProvider,
    to: &str,
    subject: &str,
    message_id: &str,
    client_message_id: Option<&str>,
    time: PecTime,
    extra: &[(&str, &str)],
) -> Vec<u8> {
    let mut h = String::new();
    h.push_str(&format!("Date: {}\r\n", time.rfc5322()));
    h.push_str(&format!("From: {}\r\n", emitter.service_address));
    h.push_str(&format!("To: {to}\r\n"));
    h.push_str(&words::header(
        "Subject",
        &format!("{}{subject}", kind.subject_prefix()),
    ));
    h.push_str(&format!("Message-ID: <{message_id}>\r\n"));
    if let Some(id) = client_message_id {
        h.push_str(&format!("X-Riferimento-Message-ID: {id}\r\n"));
    }
    let (marker, value) = kind.marker();
    h.push_str(&format!("{marker}: {value}\r\n"));
    if kind.security_error() {
        h.push_str("X-VerificaSicurezza: errore\r\n");
    }
    for (name, value) in extra {
        h.push_str(&format!("{name}: {value}\r\n"));
    }
    h.into_bytes()
}

/// What goes into the signed entity besides the headers.
pub(crate) struct Content<'a> {
    pub text: TextFacts<'a>,
    pub daticert: Option<Daticert>,
    /// The pieces of `postacert.eml`, in order; empty when the message carries no original.
    pub original: Vec<&'a [u8]>,
    pub seed: &'a [u8],
}

/// Writes the signed entity and prepares the signature.
pub(crate) fn assemble(
    head: &[u8],
    content: Content<'_>,
    emitter: &EmittingProvider,
    time: PecTime,
    options: &BuildOptions<'_>,
) -> Result<PendingMessage, Error> {
    let seed = options.boundary_seed.unwrap_or(content.seed);
    let plain = text_part("text/plain", &options.templates.plain(&content.text));
    let html = options
        .html
        .then(|| text_part("text/html", &options.templates.html(&content.text)));
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let xml = content.daticert.as_ref().map(|d| {
        let written = d.to_xml();
        diagnostics.extend(written.diagnostics);
        let mut b64 = Vec::new();
        base64::encode_lines(written.xml.as_bytes(), &mut b64);
        b64.truncate(b64.len().saturating_sub(2)); // the delimiter brings its own CR LF
        b64
    });

    let mut foreign: Vec<&[u8]> = vec![&plain];
    if let Some(h) = &html {
        foreign.push(h);
    }
    if let Some(x) = &xml {
        foreign.push(x);
    }
    foreign.extend(content.original.iter().copied());
    let boundaries = Boundaries::new(&foreign);
    let mixed = boundaries.derive(seed, "mixed");
    let signed = boundaries.derive(seed, "signed");

    let mut prefix = Vec::with_capacity(4096);
    prefix.extend_from_slice(
        format!("Content-Type: multipart/mixed; boundary=\"{mixed}\"\r\n\r\n--{mixed}\r\n")
            .as_bytes(),
    );
    match &html {
        None => prefix.extend_from_slice(&plain),
        Some(h) => {
            let alternative = boundaries.derive(seed, "alternative");
            prefix.extend_from_slice(
                format!(
                    "Content-Type: multipart/alternative; boundary=\"{alternative}\"\r\n\r\n--{alternative}\r\n"
                )
                .as_bytes(),
            );
            prefix.extend_from_slice(&plain);
            prefix.extend_from_slice(format!("\r\n--{alternative}\r\n").as_bytes());
            prefix.extend_from_slice(h);
            prefix.extend_from_slice(format!("\r\n--{alternative}--\r\n").as_bytes());
        }
    }
    if let Some(x) = &xml {
        prefix.extend_from_slice(
            format!(
                "\r\n--{mixed}\r\nContent-Type: application/xml; name=\"daticert.xml\"\r\n\
                 Content-Disposition: inline; filename=\"daticert.xml\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n"
            )
            .as_bytes(),
        );
        prefix.extend_from_slice(x);
    }
    if !content.original.is_empty() {
        prefix.extend_from_slice(
            format!(
                "\r\n--{mixed}\r\nContent-Type: message/rfc822; name=\"postacert.eml\"\r\n\
                 Content-Disposition: inline; filename=\"postacert.eml\"\r\n\
                 Content-Transfer-Encoding: {}\r\n\r\n",
                transfer_encoding(&content.original)
            )
            .as_bytes(),
        );
    }
    let suffix = format!("\r\n--{mixed}--\r\n");
    let mut pieces: Vec<&[u8]> = vec![&prefix];
    pieces.extend(content.original.iter().copied());
    pieces.push(suffix.as_bytes());
    let mut pending = smime::prepare_pieces(
        head,
        &pieces,
        signed,
        &emitter.identity,
        time,
        &options.signing,
    )?;
    pending.add_diagnostics(diagnostics);
    Ok(pending)
}

/// A text part: Latin-1 when every character fits (as the RT asks), UTF-8 otherwise;
/// quoted-printable; CR LF line ends.
fn text_part(media_type: &str, text: &str) -> Vec<u8> {
    let latin1 = text.chars().all(|c| u32::from(c) < 256);
    let normalized = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let bytes: Vec<u8> = if latin1 {
        normalized.chars().map(|c| u32::from(c) as u8).collect()
    } else {
        normalized.into_bytes()
    };
    let charset = if latin1 { "iso-8859-1" } else { "utf-8" };
    let mut out = format!(
        "Content-Type: {media_type}; charset=\"{charset}\"\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         Content-Disposition: inline\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(&qp::encode(&bytes));
    out
}

/// The transfer encoding the bytes of a `message/rfc822` part require (RFC 2045 section
/// 2.7-2.9, RFC 2046 section 5.2.1): 7bit (ASCII, lines up to 998 octets, no NUL), 8bit (lines
/// up to 998, no NUL), or binary.
fn transfer_encoding(pieces: &[&[u8]]) -> &'static str {
    let mut ascii = true;
    let mut line = 0usize;
    let mut longest = 0usize;
    for piece in pieces {
        if memchr::memchr(0, piece).is_some() {
            return "binary";
        }
        ascii &= piece.is_ascii();
        let mut last = 0usize;
        for lf in memchr::memchr_iter(b'\n', piece) {
            line += lf - last;
            longest = longest.max(line);
            line = 0;
            last = lf + 1;
        }
        line += piece.len() - last;
    }
    longest = longest.max(line);
    // `longest` counts the CR of CR LF: 998 octets plus CR.
    if longest > 999 {
        "binary"
    } else if ascii {
        "7bit"
    } else {
        "8bit"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_consistent() {
        assert_eq!(MessageKind::ALL.len(), 13);
        for k in MessageKind::ALL {
            assert!(k.subject_prefix().ends_with(": "));
            assert_eq!(
                k.daticert_kind().is_none(),
                *k == MessageKind::AnomalyEnvelope
            );
        }
        assert_eq!(
            MessageKind::DeliveryShort.marker(),
            ("X-Ricevuta", "avvenuta-consegna")
        );
    }

    #[test]
    fn transfer_encodings() {
        assert_eq!(transfer_encoding(&[b"Subject: a\r\n\r\nb\r\n"]), "7bit");
        assert_eq!(
            transfer_encoding(&[b"Subject: \xc3\xa8\r\n", b"\r\n"]),
            "8bit"
        );
        assert_eq!(transfer_encoding(&[b"a\0b"]), "binary");
        let long = vec![b'x'; 998];
        assert_eq!(transfer_encoding(&[&long, b"\r\n"]), "7bit");
        let longer = vec![b'x'; 999];
        assert_eq!(
            transfer_encoding(&[&longer[..500], &longer[500..], b"\r\n"]),
            "binary"
        );
    }

    #[test]
    fn identifiers_and_addresses() {
        assert!(check_identifier("id", "opec1.2@pec.example.it").is_ok());
        for bad in ["no-at", "<a@b>", "a b@c", "@b", "a@", ""] {
            assert!(check_identifier("id", bad).is_err(), "{bad}");
        }
        assert!(check_client_id("m", "<a@b>").is_ok());
        assert!(check_client_id("m", "a@b").is_err());
        let e = check_address("recipients[2]", "not an address").unwrap_err();
        assert!(e.message().starts_with("recipients[2]"));
    }
}
