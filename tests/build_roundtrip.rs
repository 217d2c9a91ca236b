//! Property: for generated inputs of every kind, the built message read back through the
//! verifying reader gives exactly the daticert the inputs call for, and the same kind.

mod common;

use common::messages::{self, ALFA_SERVICE};
use common::signers;
use pecmail::PecTime;
use pecmail::build::{
    Acceptance, BuildOptions, Delivery, DeliveryTimeout, MessageKind, NonAcceptance, NonDelivery,
    OriginalFacts, TakingInCharge, Timeout, TransportEnvelope, VirusDetection,
};
use pecmail::daticert::{
    CertData, CertError, Daticert, DaticertKind, Header, ReceiptKind, Recipient,
};
use pecmail::read::{ReadOptions, read};
use proptest::prelude::*;

/// Text XML and headers can carry: no control characters (daticert replaces those, by a
/// documented rule tested elsewhere).
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            1 => prop::sample::select(vec![' ', 'è', 'à', '€', '–', '<', '&', '"', '\'', '日', '🙂', '=', '?', '_', ':']),
            1 => any::<char>().prop_filter("printable", |c| !c.is_control() && !matches!(*c, '\u{FFFE}' | '\u{FFFF}')),
        ],
        1..30,
    )
    .prop_map(String::from_iter)
    .prop_filter("not blank", |s| !s.trim().is_empty())
}

fn local() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9.]{0,10}[a-z0-9]".prop_filter("no double dot", |s| !s.contains(".."))
}

#[derive(Debug, Clone)]
struct Case {
    kind: usize,
    subject: String,
    sender: String,
    recipients: Vec<(String, bool)>,
    client_id: Option<String>,
    reason: String,
    seconds: i64,
    offset: i32,
    receipt: ReceiptKind,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0usize..14,
        text(),
        local(),
        prop::collection::vec((local(), any::<bool>()), 1..5),
        prop::option::of("[a-z0-9]{1,12}"),
        text(),
        0i64..4_000_000_000, // 1970 .. 2096: UTCTime, and GeneralizedTime from 2050
        -720i32..=840,
        prop::sample::select(ReceiptKind::ALL.to_vec()),
    )
        .prop_map(
            |(kind, subject, sender, recipients, client_id, reason, seconds, offset, receipt)| {
                Case {
                    kind,
                    subject,
                    sender,
                    recipients,
                    client_id,
                    reason,
                    seconds,
                    offset,
                    receipt,
                }
            },
        )
}

/// The subject as an RFC 2047 encoded word, every byte escaped.
fn encoded(s: &str) -> String {
    let q: String = s.bytes().map(|b| format!("={b:02X}")).collect();
    format!("=?UTF-8?Q?{q}?=")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn built_messages_read_back_to_their_daticert_and_kind(c in case()) {
        let time = PecTime::from_unix(c.seconds, c.offset).unwrap();
        let sender = format!("{}@pec.alfa.test", c.sender);
        let mut recipients: Vec<Recipient> = Vec::new();
        for (i, (l, certified)) in c.recipients.iter().enumerate() {
            // The first is the one the receipts are about: a PEC mailbox at Beta, whose
            // provider signs them.
            let certified = &(*certified || i == 0);
            let address = if *certified { format!("{l}{i}@pec.beta.test") } else { format!("{l}{i}@example.com") };
            recipients.push(if *certified { Recipient::certified(address) } else { Recipient::external(address) });
        }
        let first = recipients[0].address.clone();
        let identifier = format!("opec.{}@pec.alfa.test", c.seconds);
        let client_id = c.client_id.as_ref().map(|i| format!("<{i}@client.example>"));
        let mut original = format!("From: {sender}\r\nTo: {first}\r\nSubject: {}\r\n", encoded(&c.subject));
        if let Some(id) = &client_id {
            original.push_str(&format!("Message-ID: {id}\r\n"));
        }
        original.push_str("\r\nbody\r\n");

        let facts = OriginalFacts::from_original(original.as_bytes(), &sender, recipients.clone(), &identifier).unwrap();
        prop_assert_eq!(&facts.subject, &c.subject);
        let (alfa, beta) = (messages::alfa(), messages::beta());
        let signer = |name: &str| signers(name).pop().unwrap().1;
        let (alfa_key, beta_key) = (signer("alfa"), signer("beta"));
        let options = BuildOptions::default();
        let covered = vec![first.clone()];
        let own_id = format!("r{}@pec.example.test", c.seconds);

        let mut data = CertData {
            provider: "Alfa PEC S.p.A.".into(),
            time,
            identifier: identifier.clone(),
            client_message_id: client_id.clone(),
            receipt: None,
            delivery: None,
            receptions: vec![],
            error_detail: None,
        };
        let header = Header {
            sender: sender.clone(),
            recipients: recipients.clone(),
            reply_to: sender.clone(),
            subject: Some(c.subject.clone()),
        };
        let (kind, tipo, error, message) = match c.kind {
            0 => {
                data.receipt = Some(c.receipt);
                let m = TransportEnvelope::new(original.as_bytes(), &sender, &recipients, &identifier, time)
                    .receipt(c.receipt).prepare(&alfa, &options).unwrap().sign_with(alfa_key.as_ref()).unwrap().into_vec();
                (MessageKind::TransportEnvelope, DaticertKind::Transport, CertError::None, m)
            }
            1 => {
                let m = Acceptance::new(&facts, &own_id, time).prepare(&alfa, &options).unwrap().sign_with(alfa_key.as_ref()).unwrap().into_vec();
                (MessageKind::Acceptance, DaticertKind::Acceptance, CertError::None, m)
            }
            2 | 3 => {
                data.error_detail = Some(c.reason.clone());
                let b = NonAcceptance::new(&facts, &c.reason, &own_id, time);
                let (b, kind, error) = if c.kind == 3 { (b.virus(), MessageKind::NonAcceptanceVirus, CertError::Virus) } else { (b, MessageKind::NonAcceptance, CertError::Other) };
                let m = b.prepare(&alfa, &options).unwrap().sign_with(alfa_key.as_ref()).unwrap().into_vec();
                (kind, DaticertKind::NonAcceptance, error, m)
            }
            4 => {
                data.provider = "Beta Posta S.r.l.".into();
                data.receptions = covered.clone();
                let m = TakingInCharge::new(&facts, &covered, ALFA_SERVICE, &own_id, time).prepare(&beta, &options).unwrap().sign_with(beta_key.as_ref()).unwrap().into_vec();
                (MessageKind::TakingInCharge, DaticertKind::TakingInCharge, CertError::None, m)
            }
            5..=7 => {
                let receipt = [ReceiptKind::Full, ReceiptKind::Short, ReceiptKind::Summary][c.kind - 5];
                data.provider = "Beta Posta S.r.l.".into();
                data.receipt = Some(receipt);
                data.delivery = Some(first.clone());
                let m = Delivery::new(&facts, &first, receipt, &own_id, time).original(original.as_bytes())
                    .prepare(&beta, &options).unwrap().sign_with(beta_key.as_ref()).unwrap().into_vec();
                let kind = [MessageKind::DeliveryFull, MessageKind::DeliveryShort, MessageKind::DeliverySummary][c.kind - 5];
                (kind, DaticertKind::Delivery, CertError::None, m)
            }
            8..=10 => {
                let error = [CertError::NoRecipient, CertError::NoDomain, CertError::Other][c.kind - 8];
                data.provider = "Beta Posta S.r.l.".into();
                data.delivery = Some(first.clone());
                data.error_detail = Some(c.reason.clone());
                let m = NonDelivery::new(&facts, &first, error, &c.reason, &own_id, time).prepare(&beta, &options).unwrap().sign_with(beta_key.as_ref()).unwrap().into_vec();
                (MessageKind::NonDelivery, DaticertKind::NonDelivery, error, m)
            }
            11 => {
                data.delivery = Some(first.clone());
                data.error_detail = Some(c.reason.clone());
                let m = NonDelivery::new(&facts, &first, CertError::Virus, &c.reason, &own_id, time).prepare(&alfa, &options).unwrap().sign_with(alfa_key.as_ref()).unwrap().into_vec();
                (MessageKind::NonDeliveryVirus, DaticertKind::NonDelivery, CertError::Virus, m)
            }
            12 => {
                data.provider = "Beta Posta S.r.l.".into();
                data.delivery = Some(first.clone());
                data.error_detail = Some(c.reason.clone());
                let m = VirusDetection::new(&facts, &first, &c.reason, ALFA_SERVICE, &own_id, time).prepare(&beta, &options).unwrap().sign_with(beta_key.as_ref()).unwrap().into_vec();
                (MessageKind::VirusDetection, DaticertKind::VirusDetection, CertError::Virus, m)
            }
            _ => {
                let timeout = if c.seconds % 2 == 0 { Timeout::Hours12 } else { Timeout::Hours24 };
                data.delivery = Some(first.clone());
                data.error_detail = Some(c.reason.clone());
                let m = DeliveryTimeout::new(&facts, &first, timeout, &own_id, time).detail(&c.reason)
                    .prepare(&alfa, &options).unwrap().sign_with(alfa_key.as_ref()).unwrap().into_vec();
                (MessageKind::DeliveryTimeout, DaticertKind::DeliveryTimeout, CertError::Other, m)
            }
        };
        let expected = Daticert { kind: tipo, error, header, data };
        let read_options = ReadOptions::strict();
        let m = read(&message, &messages::store(), messages::at(0), &read_options).unwrap();
        prop_assert_eq!(m.kind, Some(kind));
        prop_assert_eq!(m.daticert.as_ref(), Some(&expected));
        prop_assert!(m.is_valid(), "{:?}", m.diagnostics);
    }
}
