//! `daticert.xml`, the certification data (dati di certificazione) of every PEC message but
//! the anomaly envelope (spec 4).
//!
//! The model follows the DTD of the technical rules (RT 4.4, spec 4.1) element by element,
//! with typed values instead of strings:
//!
//! ```text
//! <!ELEMENT postacert (intestazione, dati)>
//! <!ATTLIST postacert tipo (accettazione | non-accettazione | presa-in-carico |
//!     avvenuta-consegna | posta-certificata | errore-consegna |
//!     preavviso-errore-consegna | rilevazione-virus) #REQUIRED
//!     errore (nessuno | no-dest | no-dominio | virus | altro) "nessuno">
//! <!ELEMENT intestazione (mittente, destinatari+, risposte, oggetto?)>
//! <!ELEMENT dati (gestore-emittente, data, identificativo, msgid?, ricevuta?,
//!     consegna?, ricezione*, errore-esteso?)>
//! <!ELEMENT data (giorno, ora)>          <!ATTLIST data zona CDATA #REQUIRED>
//! <!ELEMENT ricevuta EMPTY>              <!ATTLIST ricevuta tipo (completa | breve | sintetica) #REQUIRED>
//! <!ATTLIST destinatari tipo (certificato | esterno) "certificato">
//! ```
//!
//! - [`Daticert::to_xml`] writes it (UTF-8, DTD order, 4-space indentation, LF, never
//!   ill-formed).
//! - [`Daticert::parse`] reads it, strictly or leniently ([`ParseOptions`]).
//! - [`Daticert::validate`] checks the per-`tipo` rules of spec 4.2.

mod read;
mod validate;
mod write;

pub(crate) use read::declared_kind;
pub use read::{DaticertMode, ParseOptions, ParsedDaticert};
pub use write::{WriteOptions, WrittenXml};

use crate::time::PecTime;

/// The `daticert.xml` document: root element `postacert` (spec 4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daticert {
    /// `tipo`: which message this certification data belongs to.
    pub kind: DaticertKind,
    /// `errore`: the error class, `nessuno` when there is none (the DTD default).
    pub error: CertError,
    /// `intestazione`: the certified header data of the original message.
    pub header: Header,
    /// `dati`: the certification data proper.
    pub data: CertData,
}

/// `intestazione`: sender, recipients, reply address and subject of the original message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `mittente`: the certified sender, taken from the SMTP reverse path.
    pub sender: String,
    /// `destinatari`: one entry per `To:` / `Cc:` recipient, in order; at least one.
    pub recipients: Vec<Recipient>,
    /// `risposte`: the original `Reply-To:` (or the sender). Empty when the element is empty,
    /// and also when a lenient read found no element (with a diagnostic).
    pub reply_to: String,
    /// `oggetto`: the original `Subject:`, when the element is present.
    pub subject: Option<String>,
}

/// One `destinatari` element: a recipient address and whether it is a PEC mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The recipient address (element text).
    pub address: String,
    /// `tipo`: `certificato` or `esterno`.
    pub kind: RecipientKind,
}

impl Recipient {
    /// A recipient with a PEC mailbox (`tipo="certificato"`).
    pub fn certified(address: impl Into<String>) -> Self {
        Recipient {
            address: address.into(),
            kind: RecipientKind::Certified,
        }
    }

    /// A recipient outside PEC (`tipo="esterno"`).
    pub fn external(address: impl Into<String>) -> Self {
        Recipient {
            address: address.into(),
            kind: RecipientKind::External,
        }
    }
}

/// `dati`: provider, time, identifiers, receipt type and the per-type fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertData {
    /// `gestore-emittente`: the emitting provider's descriptive name, for example
    /// `ARUBA PEC S.p.A.`.
    pub provider: String,
    /// `data` (`zona` attribute, `giorno`, `ora`): the transaction time.
    pub time: PecTime,
    /// `identificativo`: the PEC message identifier, without angle brackets (spec 5).
    pub identifier: String,
    /// `msgid`: the Message-ID the sender's client set, kept with its angle brackets, as on
    /// the wire (`<msgid>&lt;abc@example.it&gt;</msgid>`).
    pub client_message_id: Option<String>,
    /// `ricevuta tipo`: the receipt type requested (envelope) or given (delivery receipt).
    pub receipt: Option<ReceiptKind>,
    /// `consegna`: the recipient a delivery, non-delivery, timeout or virus notice is about.
    pub delivery: Option<String>,
    /// `ricezione`: the recipients a taking-in-charge receipt covers, in order.
    pub receptions: Vec<String>,
    /// `errore-esteso`: the extended error description, for example
    /// `5.1.1 - ARUBA PEC S.p.A. - indirizzo non valido`.
    pub error_detail: Option<String>,
}

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every value, in DTD order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value as written on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }

            /// Reads a wire value; exact match, as the DTD requires.
            pub fn from_wire(value: &str) -> Option<$name> {
                match value { $($wire => Some($name::$variant),)* _ => None }
            }

            /// What the value is called in error messages.
            pub(crate) const WHAT: &'static str = $what;
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// `postacert tipo`: the eight kinds of message that carry `daticert.xml` (spec 4.1).
    DaticertKind, "postacert tipo" {
        /// `accettazione`: acceptance receipt (ricevuta di accettazione, spec 3.3).
        Acceptance = "accettazione",
        /// `non-accettazione`: non-acceptance notice (avviso di non accettazione, spec 3.4).
        NonAcceptance = "non-accettazione",
        /// `presa-in-carico`: taking-in-charge receipt (ricevuta di presa in carico, spec 3.5).
        TakingInCharge = "presa-in-carico",
        /// `avvenuta-consegna`: delivery receipt (ricevuta di avvenuta consegna, spec 3.6).
        Delivery = "avvenuta-consegna",
        /// `posta-certificata`: transport envelope (busta di trasporto, spec 3.1).
        Transport = "posta-certificata",
        /// `errore-consegna`: non-delivery notice (avviso di mancata consegna, spec 3.7, 3.8).
        NonDelivery = "errore-consegna",
        /// `preavviso-errore-consegna`: 12 h / 24 h timeout notice (spec 3.9).
        DeliveryTimeout = "preavviso-errore-consegna",
        /// `rilevazione-virus`: virus detection notice (avviso di rilevazione virus, spec 3.8).
        VirusDetection = "rilevazione-virus",
    }
}

wire_enum! {
    /// `postacert errore`: the error class (spec 4.1).
    CertError, "postacert errore" {
        /// `nessuno`: no error (the DTD default).
        None = "nessuno",
        /// `no-dest`: wrong recipient (with `errore-consegna`).
        NoRecipient = "no-dest",
        /// `no-dominio`: wrong domain (with `errore-consegna`).
        NoDomain = "no-dominio",
        /// `virus`: a virus was found.
        Virus = "virus",
        /// `altro`: another error.
        Other = "altro",
    }
}

wire_enum! {
    /// `destinatari tipo`: whether a recipient has a PEC mailbox (spec 4.1, 3.3).
    RecipientKind, "destinatari tipo" {
        /// `certificato`: a PEC mailbox (the DTD default).
        Certified = "certificato",
        /// `esterno`: ordinary mail outside PEC.
        External = "esterno",
    }
}

wire_enum! {
    /// `ricevuta tipo`: the delivery receipt type (spec 3.6).
    ReceiptKind, "ricevuta tipo" {
        /// `completa`: full receipt, carrying the whole original.
        Full = "completa",
        /// `breve`: short receipt, attachments replaced by their hashes.
        Short = "breve",
        /// `sintetica`: summary receipt, without the original.
        Summary = "sintetica",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        assert_eq!(DaticertKind::ALL.len(), 8);
        assert_eq!(CertError::ALL.len(), 5);
        for k in DaticertKind::ALL {
            assert_eq!(DaticertKind::from_wire(k.as_str()), Some(*k));
        }
        for k in CertError::ALL {
            assert_eq!(CertError::from_wire(k.as_str()), Some(*k));
        }
        for k in RecipientKind::ALL {
            assert_eq!(RecipientKind::from_wire(k.as_str()), Some(*k));
        }
        for k in ReceiptKind::ALL {
            assert_eq!(ReceiptKind::from_wire(k.as_str()), Some(*k));
        }
        assert_eq!(DaticertKind::from_wire("Accettazione"), None);
        assert_eq!(DaticertKind::from_wire("posta-certificata "), None);
    }
}
