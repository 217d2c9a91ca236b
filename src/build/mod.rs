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
//! it with the signature value or with a [`Signer`](crate::cms::Signer) to get the
//! [`WireMessage`](crate::smime::WireMessage). Time, identifiers and boundaries are inputs: the
//! same inputs give the same bytes.
//!
//! The signed entity is a `multipart/mixed`: the readable text (`text/plain`, or
//! `multipart/alternative` with HTML), `daticert.xml` (base64), and `postacert.eml` where the
//! message carries the original (`message/rfc822`, never base64: 7bit, 8bit or binary as
//! its bytes require). A large original is never copied: the message borrows it, and a
//! server sends the [`WireMessage`](crate::smime::WireMessage)'s segments with one vectored
//! write (or takes one buffer with `into_vec`).

pub(crate) mod breve;
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
use crate::smime::{self, MessageSignOptions, PendingMessage, Piece};
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
    /// [`ErrorKind::InvalidInput`] when the name is empty or has a control character, or the
    /// certificate is not a provider certificate by the profile of spec 7.2 (the error says
    /// which rule: `digitalSignature`, an extended key usage with e-mail protection, one
    /// plain mailbox per `rfc822Name`, not a CA, the PEC provider policy), since what it
    /// signs would not read as trusted anywhere.
    pub fn new(name: impl Into<String>, identity: SigningIdentity) -> Result<Self, Error> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(invalid("provider name: empty"));
        }
        check_line("provider name", &name)?;
        crate::trust::provider_certificate(identity.certificate())
            .map_err(|rule| invalid(format!("identity: not a provider certificate: {rule}")))?;
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

/// An address the builder writes: the plain RFC 5321 mailbox of
/// [`builder_address_problem`](address::builder_address_problem).
pub(crate) fn check_address(field: &str, value: &str) -> Result<(), Error> {
    match address::builder_address_problem(value) {
        None => Ok(()),
        Some(why) => Err(invalid(format!(
            "{field}: {value:?} is not a mail address a PEC message can carry: {why}"
        ))),
    }
}

/// Text written in a header and in `daticert.xml` (a subject, a reason, a name): one line,
/// and no character that some reader takes for structure or XML cannot hold: controls other
/// than the tab (C0, DEL, C1), the Unicode line and paragraph separators, U+FFFE and U+FFFF.
pub(crate) fn check_line(field: &str, value: &str) -> Result<(), Error> {
    match value.chars().find(|&c| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
    }) {
        None => Ok(()),
        Some(c) => Err(invalid(format!(
            "{field}: contains U+{:04X}, which a header or daticert.xml cannot carry",
            u32::from(c)
        ))),
    }
}

/// A message identifier without angle brackets: the `id-left "@" id-right` of RFC 5322
/// section 3.6.4, both sides dot-atom text (the right may be a `[...]` literal), with no
/// `=?` or `?=` (read as encoded words by some), at most 900 characters so that the header
/// carrying it stays within a line.
pub(crate) fn check_identifier(field: &str, value: &str) -> Result<(), Error> {
    fn dot_atom_text(s: &str) -> bool {
        !s.is_empty()
            && s.split('.').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b))
            })
    }
    let ok = value.len() <= 900
        && !value.contains("=?")
        && !value.contains("?=")
        && value.split_once('@').is_some_and(|(left, right)| {
            dot_atom_text(left)
                && (dot_atom_text(right)
                    || right
                        .strip_prefix('[')
                        .and_then(|r| r.strip_suffix(']'))
                        .is_some_and(|d| {
                            d.bytes()
                                .all(|b| b.is_ascii_graphic() && !b"[]\\@".contains(&b))
                        }))
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "{field}: {value:?} is not a message identifier (id-left@id-right of RFC 5322, no brackets)"
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
/// line ends (the header here; the body when it is embedded, by [`scan`]).
pub(crate) fn original_headers(original: &[u8]) -> Result<HeaderBlock<'_>, Error> {
    parse_block(original, HeaderLimits::default()).map_err(|e| {
        invalid(format!(
            "original: not an RFC 5322 message: {}",
            e.message()
        ))
    })
}

/// The raw bytes of a header field of `block` (name, colon, value, CR LF).
pub(crate) fn raw_field<'a>(source: &'a [u8], field: &crate::mime::header::Field<'a>) -> &'a [u8] {
    source.get(field.start..field.end).unwrap_or(&[])
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
pub(crate) struct Content<'a, 'o> {
    pub text: TextFacts<'a>,
    pub daticert: Option<Daticert>,
    /// The pieces of `postacert.eml`, in order (the caller's input borrowed, never copied);
    /// empty when the message carries no original.
    pub original: Vec<Piece<'a, 'o>>,
    /// The input field the original came from, for errors (`original`, `received`).
    pub original_field: &'static str,
    pub seed: &'a [u8],
}

impl<'a> Content<'a, '_> {
    /// The content of a receipt or notice: text and `daticert.xml`, no original; the
    /// message's own id seeds its boundaries.
    pub(crate) fn without_original(
        text: TextFacts<'a>,
        daticert: Daticert,
        message_id: &'a str,
    ) -> Self {
        Content {
            text,
            daticert: Some(daticert),
            original: Vec::new(),
            original_field: "original",
            seed: message_id.as_bytes(),
        }
    }
}

/// Writes the signed entity and prepares the signature.
pub(crate) fn assemble<'o>(
    head: &[u8],
    content: Content<'_, 'o>,
    emitter: &EmittingProvider,
    time: PecTime,
    options: &BuildOptions<'_>,
) -> Result<PendingMessage<'o>, Error> {
    // One pass over the original, before anything is written.
    let original: Vec<&[u8]> = content.original.iter().map(Piece::bytes).collect();
    let scan = scan(&original);
    if let Some(at) = scan.bare {
        return Err(invalid(format!(
            "{}: bare CR or LF at byte {at}; a message must have CR LF line ends",
            content.original_field
        )));
    }
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

    let mut ours: Vec<&[u8]> = vec![&plain];
    if let Some(h) = &html {
        ours.push(h);
    }
    if let Some(x) = &xml {
        ours.push(x);
    }
    let boundaries = Boundaries::new(&ours).with_scanned(&original, scan.prefix);
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
                scan.transfer_encoding()
            )
            .as_bytes(),
        );
    }
    let suffix = format!("\r\n--{mixed}--\r\n");
    let mut pieces = vec![Piece::Copy(&prefix)];
    pieces.extend(content.original.iter().copied());
    pieces.push(Piece::Copy(suffix.as_bytes()));
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

/// What a scan of an original message finds: the checks its bytes must pass and the facts
/// the `postacert.eml` part header states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// The offset of the first CR or LF that is not part of a CR LF.
    pub bare: Option<usize>,
    /// Only US-ASCII bytes.
    pub ascii: bool,
    /// A NUL byte somewhere.
    pub nul: bool,
    /// A line longer than 998 octets (CR LF excluded).
    pub long_line: bool,
    /// Whether the prefix of derived boundaries occurs (they must then be checked in full).
    pub prefix: bool,
}

impl Scan {
    /// The transfer encoding the bytes of a `message/rfc822` part require (RFC 2045
    /// section 2.7-2.9, RFC 2046 section 5.2.1): 7bit (ASCII, lines up to 998 octets, no
    /// NUL), 8bit (lines up to 998, no NUL), or binary.
    fn transfer_encoding(&self) -> &'static str {
        if self.nul || self.long_line {
            "binary"
        } else if self.ascii {
            "7bit"
        } else {
            "8bit"
        }
    }
}

/// Scans an original given in pieces (as if joined).
///
/// The original may be large (the issue's benchmark uses 100 MB), so the work is arranged for
/// speed: one branch-free loop over each cache-sized chunk folds the ASCII, NUL and CR LF
/// checks (the compiler vectorises it); line lengths are checked by jumping from each line
/// start to the last LF within 999 octets, which touches a few bytes per kilobyte; the
/// boundary prefix is searched with `memchr::memmem`. The offset of a bare CR or LF is
/// found by a plain second reading only when the fast one saw one.
pub(crate) fn scan(pieces: &[&[u8]]) -> Scan {
    const CHUNK: usize = 64 * 1024;
    let prefix = crate::mime::boundary::PREFIX.as_bytes();
    let finder = crate::mime::boundary::prefix_finder();
    let (mut high, mut nul, mut bad) = (0u8, false, false);
    let mut found_prefix = false;
    // The byte before the current chunk: 0 at the start, so that a leading LF is bare.
    let mut prev = 0u8;
    let mut tail: Vec<u8> = Vec::with_capacity(prefix.len() * 2);
    for chunk in pieces.iter().flat_map(|p| p.chunks(CHUNK)) {
        let (Some(&first), Some(&last)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        let pair_bad = |a: u8, b: u8| (b == b'\n') & (a != b'\r') | (a == b'\r') & (b != b'\n');
        bad |= pair_bad(prev, first);
        let (mut h, mut z, mut x) = (last, last == 0, false);
        // Two slices zipped (not `iter().skip(1)`): their zip is a counted loop, which the
        // compiler vectorises whatever it inlines around it.
        let (before, after) = (
            chunk.get(..chunk.len() - 1).unwrap_or(&[]),
            chunk.get(1..).unwrap_or(&[]),
        );
        for (&a, &b) in before.iter().zip(after) {
            h |= a;
            z |= a == 0;
            x |= pair_bad(a, b);
        }
        high |= h;
        nul |= z;
        bad |= x;
        if !found_prefix {
            // Within the chunk, and across the join with the previous one.
            tail.extend_from_slice(chunk.get(..prefix.len().min(chunk.len())).unwrap_or(&[]));
            found_prefix = finder.find(chunk).is_some() || finder.find(&tail).is_some();
            tail.clear();
            tail.extend_from_slice(
                chunk
                    .get(chunk.len().saturating_sub(prefix.len())..)
                    .unwrap_or(&[]),
            );
        }
        prev = last;
    }
    bad |= prev == b'\r';
    Scan {
        bare: if bad { first_bare(pieces) } else { None },
        ascii: high < 0x80,
        nul,
        long_line: has_long_line(pieces),
        prefix: found_prefix,
    }
}

/// Whether a line (CR LF excluded) is longer than 998 octets: from each line start, the last
/// LF within the next 1000 octets starts the next line; no LF there means a longer line.
fn has_long_line(pieces: &[&[u8]]) -> bool {
    const MAX: usize = 998 + 2; // octets from a line start up to and including its LF
    let mut line = 0usize; // octets of the current line in earlier pieces
    for piece in pieces {
        let mut at = 0usize;
        while let Some(rest) = piece.get(at..).filter(|r| !r.is_empty()) {
            let room = MAX.saturating_sub(line);
            let window = rest.get(..room.min(rest.len())).unwrap_or(rest);
            match memchr::memrchr(b'\n', window) {
                Some(i) => {
                    at += i + 1;
                    line = 0;
                }
                None if window.len() == room => return true,
                None => {
                    line += window.len();
                    break;
                }
            }
        }
    }
    // The last line, without its line end.
    line > 998
}

/// The offset of the first CR or LF not part of a CR LF (the error path of [`scan`]).
fn first_bare(pieces: &[&[u8]]) -> Option<usize> {
    let mut prev = 0u8;
    let mut offset = 0usize;
    for &b in pieces.iter().flat_map(|p| p.iter()) {
        if b == b'\n' && prev != b'\r' {
            return Some(offset);
        }
        if prev == b'\r' && b != b'\n' {
            return Some(offset - 1);
        }
        prev = b;
        offset += 1;
    }
    (prev == b'\r').then(|| offset - 1)
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
        let te = |pieces: &[&[u8]]| scan(pieces).transfer_encoding();
        assert_eq!(te(&[b"Subject: a\r\n\r\nb\r\n"]), "7bit");
        assert_eq!(te(&[b"Subject: \xc3\xa8\r\n", b"\r\n"]), "8bit");
        assert_eq!(te(&[b"a\0b"]), "binary");
        let long = vec![b'x'; 998];
        assert_eq!(te(&[&long, b"\r\n"]), "7bit");
        let longer = vec![b'x'; 999];
        assert_eq!(te(&[&longer[..500], &longer[500..], b"\r\n"]), "binary");
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "64 KiB inputs scanned a dozen times take Miri more than a minute each"
    )]
    fn the_scan_finds_bare_line_ends_and_the_boundary_prefix_across_chunks() {
        assert_eq!(scan(&[b"a\r\nb\r\n"]).bare, None);
        assert_eq!(
            scan(&[b"a\r", b"\nb\r\n"]).bare,
            None,
            "CR LF split across pieces"
        );
        assert_eq!(scan(&[b"a\r\nb\nc"]).bare, Some(4));
        assert_eq!(scan(&[b"a\rb\r\n"]).bare, Some(1));
        assert_eq!(scan(&[b"\n"]).bare, Some(0));
        // Across the 64 KiB chunk join.
        let mut big = vec![b'x'; 64 * 1024 - 5];
        big.extend_from_slice(b"----pecmail-0123");
        assert!(scan(&[&big]).prefix);
        assert!(!scan(&[&big[..64 * 1024 - 3]]).prefix);
        let mut lf = vec![b'x'; 64 * 1024];
        lf.extend_from_slice(b"\nrest");
        assert_eq!(scan(&[&lf]).bare, Some(64 * 1024));
        // A CR ending a chunk, a piece or the input.
        assert_eq!(scan(&[b"a\r"]).bare, Some(1));
        assert_eq!(scan(&[b"a\r", b"b"]).bare, Some(1));
        let mut cr = vec![b'x'; 64 * 1024 - 1];
        cr.extend_from_slice(b"\r\nok\r\n");
        assert_eq!(scan(&[&cr]).bare, None);
        cr[64 * 1024] = b'y';
        assert_eq!(scan(&[&cr]).bare, Some(64 * 1024 - 1));
        // The first of several, whichever kind comes first.
        assert_eq!(scan(&[b"a\nb\rc"]).bare, Some(1));
        assert_eq!(scan(&[b"a\rb\nc"]).bare, Some(1));
        // Line lengths: 998 octets plus CR LF is the most, across pieces too.
        let line = |n: usize| [vec![b'a'; n], b"\r\n".to_vec()].concat();
        for (n, long) in [(998, false), (999, true)] {
            let body = [line(10), line(n), line(3)].concat();
            assert_eq!(scan(&[&body]).long_line, long, "{n}");
            let (a, b) = body.split_at(500);
            assert_eq!(scan(&[a, b]).long_line, long, "{n}, split");
            let many: Vec<&[u8]> = body.chunks(7).collect();
            assert_eq!(scan(&many).long_line, long, "{n}, in pieces of 7");
        }
        assert!(
            !scan(&[&[b'a'; 998]]).long_line,
            "a last line with no line end"
        );
        assert!(scan(&[&[b'a'; 999]]).long_line);
        assert!(scan(&[&[b'a'; 500], &[b'a'; 499]]).long_line);
        assert!(!scan(&[&line(998).repeat(3000)]).long_line);
    }

    #[test]
    fn the_scan_agrees_with_a_byte_by_byte_reading() {
        // Small pieces of CR, LF and letters: every join and chunk position is exercised.
        let mut seed = 7u32;
        for _ in 0..2000 {
            let len = (seed % 12) as usize;
            let mut bytes = Vec::new();
            for _ in 0..len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                bytes.push(match (seed >> 16) % 4 {
                    0 => b'\r',
                    1 => b'\n',
                    2 => 0xE8,
                    _ => b'a',
                });
            }
            let split = (seed as usize >> 8) % (len + 1);
            let expected = (0..len).find(|&i| match bytes[i] {
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                b'\n' => i == 0 || bytes[i - 1] != b'\r',
                _ => false,
            });
            let got = scan(&[&bytes[..split], &bytes[split..]]);
            assert_eq!(got.bare, expected, "{bytes:?} split at {split}");
            assert_eq!(got.ascii, bytes.is_ascii());
        }
    }

    #[test]
    fn identifiers_and_addresses() {
        assert!(check_identifier("id", "opec1.2@pec.example.it").is_ok());
        for bad in ["no-at", "<a@b>", "a b@c", "@b", "a@", ""] {
            assert!(check_identifier("id", bad).is_err(), "{bad}");
        }
        // Issue 15: what other parsers read as another identifier, or not as one.
        for bad in [
            "a@b@pec.alfa.test",
            "\"a\"@b",
            "a(b)@c",
            "a,b@c",
            "a;b@c",
            "a\\b@c",
            "a..b@c",
            ".a@c",
            "a@b.",
            "=?x?q?y?=@c",
            "a@[b@c]",
            "à@b",
        ] {
            assert!(check_identifier("id", bad).is_err(), "{bad}");
        }
        for good in [
            "a.b$c=d+e@f-g.h",
            "x@[192.0.2.1]",
            "CAF=x_y@mail.example.com",
        ] {
            assert!(check_identifier("id", good).is_ok(), "{good}");
        }
        assert!(check_identifier("id", &format!("{}@b", "a".repeat(899))).is_err());
        assert!(check_client_id("m", "<a@b>").is_ok());
        assert!(check_client_id("m", "a@b").is_err());
        let e = check_address("recipients[2]", "not an address").unwrap_err();
        assert!(e.message().starts_with("recipients[2]"));
        for bad in [
            "\"a>, <evil@x.test\"@pec.alfa.test",
            "\"a\u{0}b\"@pec.alfa.test",
            "rené@pec.alfa.test",
            "a@pec.àlfa.test",
            "=?utf-8?q?x?=@pec.alfa.test",
            "a?=@pec.alfa.test",
        ] {
            let e = check_address("sender", bad).unwrap_err();
            assert!(e.message().starts_with("sender: "), "{e}");
        }
        assert!(check_address("sender", "o'neil+pec@pec.alfa.test").is_ok());
        for bad in [
            "a\u{0}b",
            "a\u{1b}b",
            "a\u{7f}",
            "a\u{85}",
            "a\u{2028}b",
            "\u{FFFE}",
            "a\rb",
        ] {
            let e = check_line("subject", bad).unwrap_err();
            assert!(e.message().starts_with("subject: contains U+"), "{e}");
        }
        assert!(check_line("subject", "Fattura\tn° 42 – giugno 🙂").is_ok());
    }
}
