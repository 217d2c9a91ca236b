#![doc = include_str!("../README.md")]
//!
//! # The API
//!
//! ## Where things are
//!
//! | PEC term | what it is | here |
//! |---|---|---|
//! | `daticert.xml` (dati di certificazione) | the certification data every message but the anomaly envelope carries | [`daticert`]: [`Daticert`], [`Daticert::parse`], [`Daticert::to_xml`], [`Daticert::validate`] |
//! | data e ora (spec 2.4) | the one time value of a transaction | [`PecTime`] |
//! | busta S/MIME, firma (spec 2.1, 7.1) | the signed `multipart/signed` every message is | [`smime::verify`], [`smime::prepare`], [`smime::WireMessage`] |
//! | firma CMS (spec 7.1) | the detached SignedData in `smime.p7s`; signing keys | [`cms::verify_detached`], [`cms::SigningIdentity`], [`cms::Signer`] |
//! | struttura MIME | the strict split and its options | [`mime::SignedMessage`] |
//! | Indice dei gestori, CA AgID (spec 6.2, 8) | which signers are providers; the index as LDIF | [`trust::TrustStore`], [`trust::ProviderIndex`] |
//! | regole dei punti di accesso, ricezione e consegna; avvisi 12 h / 24 h (spec 3.6, 3.9, 6) | what a provider decides | [`rules`]: [`rules::check_submission`], [`rules::decide_incoming`], [`rules::plan_receipts`], [`rules::Tracker`] |
//! | PEM | certificates and keys as PEM beside DER | [`pem`] |
//! | API C, riga di comando | C callers; the `pecmail` command | the workspace's `pecmail-ffi` (header `include/pecmail.h`) and `pecmail-cli` crates |
//! | errori, diagnostica | what stops an operation; what was tolerated or noticed | [`Error`], [`ErrorKind`], [`Diagnostic`], [`DiagnosticCode`] |
//!
//!
//! ## Every message: its builder and its reader
//!
//! Each builder validates its inputs and `prepare`s the message; the signature finishes it
//! (see [`build`]). One reader, [`read::read`], takes any received message and says which
//! kind it is ([`read::PecMessage::kind`]), whether its signature verifies and its signer is
//! a provider of the index, and what its `daticert.xml` says.
//!
//! | PEC message (spec section) | builder | read back as |
//! |---|---|---|
//! | busta di trasporto (3.1) | [`build::TransportEnvelope`] | [`build::MessageKind::TransportEnvelope`] |
//! | busta di anomalia (3.2) | [`build::AnomalyEnvelope`] | [`build::MessageKind::AnomalyEnvelope`] |
//! | ricevuta di accettazione (3.3) | [`build::Acceptance`] | [`build::MessageKind::Acceptance`] |
//! | avviso di non accettazione, anche per virus (3.4) | [`build::NonAcceptance`] | [`build::MessageKind::NonAcceptance`], [`build::MessageKind::NonAcceptanceVirus`] |
//! | ricevuta di presa in carico (3.5) | [`build::TakingInCharge`] | [`build::MessageKind::TakingInCharge`] |
//! | ricevuta di avvenuta consegna completa, breve, sintetica (3.6) | [`build::Delivery`] | [`build::MessageKind::DeliveryFull`], [`build::MessageKind::DeliveryShort`], [`build::MessageKind::DeliverySummary`] |
//! | avviso di mancata consegna, anche per virus (3.7, 3.8) | [`build::NonDelivery`] | [`build::MessageKind::NonDelivery`], [`build::MessageKind::NonDeliveryVirus`] |
//! | avviso di rilevazione virus (3.8) | [`build::VirusDetection`] | [`build::MessageKind::VirusDetection`] |
//! | avvisi per superamento del tempo massimo, 12 h e 24 h (3.9) | [`build::DeliveryTimeout`] | [`build::MessageKind::DeliveryTimeout`] (the two differ only in their text) |
//!
//! The README's status table says what is done.
//!
//! ## Strict by default, lenient by name
//!
//! Real providers deviate from the rules (the corpus notes list them). Every reader is strict
//! by default; each tolerated deviation is reported as a [`Diagnostic`] with a stable code,
//! never accepted silently. The table of codes is in the documentation of
//! [`DiagnosticCode`].
//!
//! ## Example: read a `daticert.xml`
//!
//! ```
//! use pecmail::daticert::{Daticert, DaticertKind, ParseOptions};
//! use pecmail::DiagnosticCode;
//!
//! // Register.it copied a control character from the subject into <oggetto>: not
//! // well-formed XML, so strict mode refuses it and lenient mode reads it and says so.
//! let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
//! <postacert tipo=\"posta-certificata\" errore=\"nessuno\">
//!     <intestazione>
//!         <mittente>a@pec.example.it</mittente>
//!         <destinatari tipo=\"certificato\">b@pec.example.it</destinatari>
//!         <risposte>a@pec.example.it</risposte>
//!         <oggetto>RIMBORSO \u{16}IVA</oggetto>
//!     </intestazione>
//!     <dati>
//!         <gestore-emittente>Register.it S.p.A.</gestore-emittente>
//!         <data zona=\"+0200\">
//!             <giorno>16/07/2018</giorno>
//!             <ora>13:49:56</ora>
//!         </data>
//!         <identificativo>opec228.20180716134950.00580.06.1.02@pec-email.com</identificativo>
//!         <ricevuta tipo=\"completa\" />
//!     </dati>
//! </postacert>
//! ";
//! assert!(Daticert::parse(xml.as_bytes(), &ParseOptions::strict()).is_err());
//! let parsed = Daticert::parse(xml.as_bytes(), &ParseOptions::lenient()).unwrap();
//! assert_eq!(parsed.daticert.kind, DaticertKind::Transport);
//! assert_eq!(parsed.diagnostics[0].code, DiagnosticCode::XmlControlCharacter);
//! assert!(parsed.daticert.validate().is_empty());
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(rust_2018_idioms, unreachable_pub)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

mod ber;
pub mod build;
pub mod cms;
mod crypto;
pub mod daticert;
mod error;
pub mod mime;
pub mod pem;
pub mod read;
pub mod rules;
pub mod smime;
mod time;
pub mod trust;
mod x509;

pub use crypto::{Backend, DigestAlgorithm};
pub use daticert::Daticert;
pub use error::{Diagnostic, DiagnosticCode, Error, ErrorKind, Severity};
pub use time::PecTime;
pub use x509::CertificateInfo;
