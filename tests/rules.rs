//! The provider rules (spec 3.6, 3.9, 6.1, 6.2): one named test per rule, property tests of
//! the delivery tracker, and the decisions turned into messages that read back as the kind
//! they should be.

mod common;

use common::messages::{self, ANNA, LUCA, ORDINARY, SENDER};
use common::now;
use common::signers;
use pecmail::build::{
    BuildOptions, MessageKind, NonAcceptance, OriginalFacts, TakingInCharge, Timeout,
    TransportEnvelope, VirusDetection,
};
use pecmail::daticert::{CertError, ReceiptKind, Recipient};
use pecmail::read::{PecMessage, ReadOptions, read};
use pecmail::rules::{
    Destination, IncomingDecision, IncomingPolicy, OrdinaryMail, RecipientOutcome, RefusalReason,
    Submission, SubmissionDecision, SubmissionPolicy, Tracker, TrackingEvent, TrackingPolicy,
    check_submission, decide_incoming, plan_receipts,
};
use pecmail::{Backend, ErrorKind, PecTime};
use proptest::prelude::*;

const ID: &str = "opec-alfa.20260601100000.1@pec.alfa.test";

// ---------------------------------------------------------------------------------------
// Access point (spec 6.1)
// ---------------------------------------------------------------------------------------

const FORWARD: [&str; 3] = [ANNA, LUCA, ORDINARY];

fn submit(original: &str, reverse: &str, forward: &[&str]) -> SubmissionDecision {
    submit_with(
        original,
        reverse,
        forward,
        None,
        &SubmissionPolicy::default(),
    )
}

fn submit_with(
    original: &str,
    reverse: &str,
    forward: &[&str],
    virus: Option<&str>,
    policy: &SubmissionPolicy,
) -> SubmissionDecision {
    check_submission(
        &Submission {
            original: original.as_bytes(),
            reverse_path: reverse,
            forward_paths: forward,
            virus,
            identifier: ID,
        },
        &messages::store(),
        policy,
    )
}

fn reasons(d: SubmissionDecision) -> Vec<RefusalReason> {
    match d {
        SubmissionDecision::Refuse(r) => r.reasons,
        SubmissionDecision::Accept(f) => panic!("accepted: {f:?}"),
    }
}

fn with_header(name: &str, value: Option<&str>) -> String {
    let mut out = String::new();
    let mut replaced = false;
    for line in messages::ORIGINAL.split_inclusive("\r\n") {
        let is = line
            .split_once(':')
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name));
        if is {
            replaced = true;
            if let Some(v) = value {
                out.push_str(&format!("{name}: {v}\r\n"));
            }
        } else if line == "\r\n" && !replaced {
            replaced = true;
            if let Some(v) = value {
                out.push_str(&format!("{name}: {v}\r\n"));
            }
            out.push_str(line);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[test]
fn access_point_accepts_a_correct_message_and_classifies_recipients_by_the_index() {
    let SubmissionDecision::Accept(facts) = submit(messages::ORIGINAL, SENDER, &FORWARD) else {
        panic!("refused")
    };
    assert_eq!(facts.sender, SENDER);
    assert_eq!(facts.recipients, messages::recipients(), "To then Cc order");
    assert_eq!(facts.identifier, ID);
    assert_eq!(facts.subject, "Fattura n° 42 – giugno");
    // Forward paths in another order and case are the same set.
    let shuffled = [ORDINARY, "Anna.Bianchi@PEC.beta.test", LUCA];
    assert!(matches!(
        submit(messages::ORIGINAL, SENDER, &shuffled),
        SubmissionDecision::Accept(_)
    ));
}

#[test]
fn rule_6_1_1_from_must_hold_one_address() {
    let none = with_header("From", None);
    assert_eq!(
        reasons(submit(&none, SENDER, &FORWARD)),
        [RefusalReason::FromMissing]
    );
    let two = with_header("From", Some("a@pec.alfa.test, b@pec.alfa.test"));
    assert!(matches!(
        reasons(submit(&two, SENDER, &FORWARD)).as_slice(),
        [RefusalReason::FromNotOneAddress(_)]
    ));
    let bad = with_header("From", Some("not an address"));
    assert!(matches!(
        reasons(submit(&bad, SENDER, &FORWARD)).as_slice(),
        [RefusalReason::FromNotOneAddress(_)]
    ));
    // A quoted display name with a comma is still one address.
    let quoted = with_header("From", Some("\"Rossi, Mario\" <mario.rossi@pec.alfa.test>"));
    assert!(matches!(
        submit(&quoted, SENDER, &FORWARD),
        SubmissionDecision::Accept(_)
    ));
}

#[test]
fn rule_6_1_2_to_must_hold_addresses() {
    let none = with_header("To", None);
    let r = reasons(submit(&none, SENDER, &FORWARD));
    assert!(r.contains(&RefusalReason::ToMissing), "{r:?}");
    let bad = with_header("To", Some("anna.bianchi@"));
    let r = reasons(submit(&bad, SENDER, &FORWARD));
    assert!(
        r.iter()
            .any(|x| matches!(x, RefusalReason::InvalidAddress { field: "To", .. })),
        "{r:?}"
    );
}

#[test]
fn rule_6_1_3_the_reverse_path_must_be_the_from_address() {
    let r = reasons(submit(messages::ORIGINAL, "altro@pec.alfa.test", &FORWARD));
    assert_eq!(
        r,
        [RefusalReason::ReversePathDiffers {
            reverse_path: "altro@pec.alfa.test".into(),
            from: SENDER.into()
        }]
    );
    // Case does not matter.
    assert!(matches!(
        submit(messages::ORIGINAL, "Mario.Rossi@PEC.alfa.test", &FORWARD),
        SubmissionDecision::Accept(_)
    ));
}

#[test]
fn rule_6_1_4_forward_paths_must_be_the_to_and_cc_addresses() {
    let r = reasons(submit(
        messages::ORIGINAL,
        SENDER,
        &[ANNA, ORDINARY, "nascosto@pec.beta.test"],
    ));
    assert_eq!(
        r,
        [RefusalReason::ForwardPathsDiffer {
            not_in_headers: vec!["nascosto@pec.beta.test".into()],
            not_in_forward_paths: vec![LUCA.into()],
        }]
    );
}

#[test]
fn rule_6_1_4_repeated_addresses_count_once_in_their_first_spelling() {
    // To and Cc name Anna twice and Luca twice, in other cases; the forward paths repeat
    // them too, in yet other cases. Each counts once, as first written, in order.
    let to = with_header(
        "To",
        Some("Anna Bianchi <anna.bianchi@pec.beta.test>, ANNA.BIANCHI@pec.beta.test"),
    );
    let repeated = to.replace(
        "Cc: luca.verdi@pec.beta.test, ordinario@example.com",
        "Cc: luca.verdi@pec.beta.test, ordinario@example.com, Luca.Verdi@PEC.beta.test, \
         Anna.Bianchi@pec.beta.test",
    );
    let forward = [
        "Ordinario@Example.com",
        ANNA,
        "LUCA.verdi@pec.beta.test",
        "anna.BIANCHI@pec.beta.test",
        LUCA,
    ];
    let SubmissionDecision::Accept(facts) = submit(&repeated, SENDER, &forward) else {
        panic!("refused")
    };
    assert_eq!(facts.recipients, messages::recipients(), "To then Cc order");
    // Refused, the reasons name each missing address once, as first written.
    let r = reasons(submit(
        &repeated,
        SENDER,
        &[
            "Nascosto@pec.beta.test",
            ANNA,
            "nascosto@PEC.beta.test",
            "ANNA.bianchi@pec.beta.test",
        ],
    ));
    assert_eq!(
        r,
        [RefusalReason::ForwardPathsDiffer {
            not_in_headers: vec!["Nascosto@pec.beta.test".into()],
            not_in_forward_paths: vec![LUCA.into(), ORDINARY.into()],
        }]
    );
    let SubmissionDecision::Refuse(refusal) =
        submit(&repeated, SENDER, &[ANNA, "anna.bianchi@PEC.BETA.TEST"])
    else {
        panic!("accepted")
    };
    assert_eq!(
        refusal.facts.map(|f| f.recipients),
        Some(vec![Recipient::certified(ANNA)])
    );
}

#[test]
fn rule_6_1_5_bcc_must_hold_no_value() {
    let with_value = with_header("Bcc", Some("segreto@pec.beta.test"));
    let r = reasons(submit(&with_value, SENDER, &FORWARD));
    assert_eq!(r, [RefusalReason::BccPresent]);
    // An empty Bcc: refused by default (as the manuals), accepted under the rules' letter.
    let empty = with_header("Bcc", Some(""));
    assert_eq!(
        reasons(submit(&empty, SENDER, &FORWARD)),
        [RefusalReason::BccPresent]
    );
    let mut letter = SubmissionPolicy::default();
    letter.refuse_empty_bcc = false;
    assert!(matches!(
        submit_with(&empty, SENDER, &FORWARD, None, &letter),
        SubmissionDecision::Accept(_)
    ));
}

#[test]
fn rule_6_1_6_size_times_recipients_within_the_limit() {
    let size = messages::ORIGINAL.len() as u64;
    let mut policy = SubmissionPolicy::default();
    policy.max_size_times_recipients = size * 3;
    assert!(matches!(
        submit_with(messages::ORIGINAL, SENDER, &FORWARD, None, &policy),
        SubmissionDecision::Accept(_)
    ));
    policy.max_size_times_recipients = size * 3 - 1;
    assert_eq!(
        reasons(submit_with(
            messages::ORIGINAL,
            SENDER,
            &FORWARD,
            None,
            &policy
        )),
        [RefusalReason::TooLarge {
            size,
            recipients: 3,
            limit: size * 3 - 1
        }]
    );
    let mut policy = SubmissionPolicy::default();
    policy.max_recipients = Some(2);
    assert_eq!(
        reasons(submit_with(
            messages::ORIGINAL,
            SENDER,
            &FORWARD,
            None,
            &policy
        )),
        [RefusalReason::TooManyRecipients { count: 3, limit: 2 }]
    );
}

#[test]
fn rule_6_1_7_a_virus_is_refused_with_the_virus_notice() {
    let d = submit_with(
        messages::ORIGINAL,
        SENDER,
        &FORWARD,
        Some("Eicar-Test-Signature"),
        &SubmissionPolicy::default(),
    );
    let SubmissionDecision::Refuse(refusal) = d else {
        panic!("accepted")
    };
    assert!(refusal.is_virus());
    let facts = refusal.facts.as_ref().unwrap();
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    let notice = NonAcceptance::new(
        facts,
        &refusal.italian(),
        "na-1@pec.alfa.test",
        messages::at(0),
    )
    .virus()
    .prepare(&messages::alfa(), &BuildOptions::default())
    .unwrap()
    .sign_with(alfa_key.as_ref())
    .unwrap()
    .into_vec();
    let m = read(&notice, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert!(m.is_valid(), "{:?}", m.diagnostics);
    assert_eq!(m.kind, Some(MessageKind::NonAcceptanceVirus));
    let detail = m.daticert.unwrap().data.error_detail.unwrap();
    assert_eq!(detail, "rilevato virus: Eicar-Test-Signature");
}

#[test]
fn every_reason_is_reported_at_once_and_feeds_the_formal_notice() {
    let bad = with_header("Bcc", Some("x@pec.beta.test"));
    let d = submit(&bad, "altro@pec.alfa.test", &[ANNA]);
    let SubmissionDecision::Refuse(refusal) = d else {
        panic!("accepted")
    };
    assert_eq!(refusal.reasons.len(), 3, "{:?}", refusal.reasons);
    assert!(matches!(
        refusal.reasons[0],
        RefusalReason::ReversePathDiffers { .. }
    ));
    assert!(matches!(refusal.reasons[1], RefusalReason::BccPresent));
    assert!(matches!(
        refusal.reasons[2],
        RefusalReason::ForwardPathsDiffer { .. }
    ));
    assert!(!refusal.is_virus());
    let text = refusal.italian();
    assert!(text.contains("non coincide con il campo From"), "{text}");
    assert!(text.contains("Bcc"), "{text}");
    // The notice goes to the reverse path, listing the forward paths.
    let facts = refusal.facts.as_ref().unwrap();
    assert_eq!(facts.sender, "altro@pec.alfa.test");
    assert_eq!(facts.recipients, vec![Recipient::certified(ANNA)]);
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    let notice = NonAcceptance::new(facts, &text, "na-2@pec.alfa.test", messages::at(0))
        .prepare(&messages::alfa(), &BuildOptions::default())
        .unwrap()
        .sign_with(alfa_key.as_ref())
        .unwrap()
        .into_vec();
    let m = read(&notice, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert!(m.is_valid(), "{:?}", m.diagnostics);
    assert_eq!(m.kind, Some(MessageKind::NonAcceptance));
}

#[test]
fn a_message_that_is_not_rfc_5322_is_refused_without_facts() {
    let d = submit("no header block at all", SENDER, &FORWARD);
    let SubmissionDecision::Refuse(refusal) = d else {
        panic!("accepted")
    };
    assert!(matches!(
        refusal.reasons.first(),
        Some(RefusalReason::NotAMessage(_))
    ));
    assert_eq!(refusal.facts, None);
}

// ---------------------------------------------------------------------------------------
// Delivery point (spec 3.6, 3.7, 6.3)
// ---------------------------------------------------------------------------------------

/// The fixture original (To Anna; Cc Luca and an ordinary address) in an envelope asking
/// for `receipt`, read back.
fn envelope(receipt: Option<ReceiptKind>, original: &str) -> Vec<u8> {
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    let recipients = messages::recipients();
    let mut e = TransportEnvelope::new(
        original.as_bytes(),
        SENDER,
        &recipients,
        ID,
        messages::at(0),
    );
    if let Some(r) = receipt {
        e = e.receipt(r);
    }
    e.prepare(&messages::alfa(), &BuildOptions::default())
        .unwrap()
        .sign_with(alfa_key.as_ref())
        .unwrap()
        .into_vec()
}

fn read_ok(bytes: &[u8]) -> PecMessage<'_> {
    let m = read(bytes, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert!(m.is_valid(), "{:?}", m.diagnostics);
    m
}

fn planned(env: &PecMessage<'_>, recipients: &[&str]) -> Vec<(String, MessageKind)> {
    let outcomes: Vec<(&str, RecipientOutcome)> = recipients
        .iter()
        .map(|r| (*r, RecipientOutcome::Delivered))
        .collect();
    plan_receipts(env, &outcomes)
        .unwrap()
        .receipts
        .into_iter()
        .map(|r| (r.recipient, r.kind))
        .collect()
}

#[test]
fn rule_3_6_completa_to_primary_sintetica_to_cc() {
    let bytes = envelope(Some(ReceiptKind::Full), messages::ORIGINAL);
    let env = read_ok(&bytes);
    assert_eq!(
        planned(&env, &[ANNA, LUCA]),
        [
            (ANNA.to_owned(), MessageKind::DeliveryFull),
            (LUCA.to_owned(), MessageKind::DeliverySummary)
        ]
    );
}

#[test]
fn rule_3_6_breve_to_primary_sintetica_to_cc() {
    let bytes = envelope(Some(ReceiptKind::Short), messages::ORIGINAL);
    let env = read_ok(&bytes);
    assert_eq!(
        planned(&env, &[ANNA, LUCA]),
        [
            (ANNA.to_owned(), MessageKind::DeliveryShort),
            (LUCA.to_owned(), MessageKind::DeliverySummary)
        ]
    );
}

#[test]
fn rule_3_6_sintetica_to_everyone() {
    let bytes = envelope(Some(ReceiptKind::Summary), messages::ORIGINAL);
    let env = read_ok(&bytes);
    assert_eq!(
        planned(&env, &[ANNA, LUCA]),
        [
            (ANNA.to_owned(), MessageKind::DeliverySummary),
            (LUCA.to_owned(), MessageKind::DeliverySummary)
        ]
    );
}

#[test]
fn rule_3_6_no_x_tiporicevuta_means_completa() {
    let original = messages::ORIGINAL.replace("X-TipoRicevuta: breve\r\n", "");
    let bytes = envelope(None, &original);
    let env = read_ok(&bytes);
    assert_eq!(
        env.daticert.as_ref().unwrap().data.receipt,
        Some(ReceiptKind::Full)
    );
    assert_eq!(planned(&env, &[ANNA])[0].1, MessageKind::DeliveryFull);
}

#[test]
fn rule_3_6_an_ambiguous_recipient_is_primary() {
    // Luca in both To and Cc.
    let original = messages::ORIGINAL.replace(
        "To: Anna Bianchi <anna.bianchi@pec.beta.test>\r\n",
        "To: Anna Bianchi <anna.bianchi@pec.beta.test>, luca.verdi@pec.beta.test\r\n",
    );
    let bytes = envelope(Some(ReceiptKind::Full), &original);
    let env = read_ok(&bytes);
    assert_eq!(planned(&env, &[LUCA])[0].1, MessageKind::DeliveryFull);
}

#[test]
fn rule_3_7_one_non_delivery_per_undeliverable_recipient() {
    let bytes = envelope(Some(ReceiptKind::Full), messages::ORIGINAL);
    let env = read_ok(&bytes);
    let detail = "5.1.1 - Beta Posta S.r.l. - indirizzo non valido";
    let plan = plan_receipts(
        &env,
        &[
            (ANNA, RecipientOutcome::Delivered),
            (
                LUCA,
                RecipientOutcome::NotDelivered {
                    error: CertError::NoRecipient,
                    detail: detail.to_owned(),
                },
            ),
        ],
    )
    .unwrap();
    assert_eq!(plan.receipts.len(), 2);
    assert_eq!(plan.receipts[1].kind, MessageKind::NonDelivery);
    assert_eq!(
        plan.receipts[1].error,
        Some((CertError::NoRecipient, detail.to_owned()))
    );
    // Each planned receipt builds and reads back as planned, with the right recipient.
    let (_, beta_key) = signers("beta").into_iter().next().unwrap();
    for (i, r) in plan.receipts.iter().enumerate() {
        let id = format!("beta-{i}@pec.beta.test");
        let bytes = r
            .prepare(
                &plan,
                &id,
                messages::at(2),
                &messages::beta(),
                &BuildOptions::default(),
            )
            .unwrap()
            .sign_with(beta_key.as_ref())
            .unwrap()
            .into_vec();
        let m = read_ok(&bytes);
        assert_eq!(m.kind, Some(r.kind));
        let d = m.daticert.unwrap();
        assert_eq!(d.data.delivery.as_deref(), Some(r.recipient.as_str()));
        if r.kind == MessageKind::NonDelivery {
            assert_eq!(d.error, CertError::NoRecipient);
            assert_eq!(d.data.error_detail.as_deref(), Some(detail));
        }
    }
    // A virus is not a delivery outcome (it goes through the virus detection notice).
    let e = plan_receipts(
        &env,
        &[(
            ANNA,
            RecipientOutcome::NotDelivered {
                error: CertError::Virus,
                detail: "x".into(),
            },
        )],
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn rule_6_3_receipts_only_for_valid_envelopes_and_their_recipients() {
    let fixture = messages::all(
        Backend::default(),
        signers("alfa")[0].1.as_ref(),
        signers("beta")[0].1.as_ref(),
        false,
    );
    for name in ["acceptance", "anomaly-envelope", "delivery-full"] {
        let b = fixture.iter().find(|b| b.name == name).unwrap();
        let m = read_ok(&b.bytes);
        let e = plan_receipts(&m, &[(ANNA, RecipientOutcome::Delivered)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
    }
    // A tampered envelope.
    let bytes = envelope(Some(ReceiptKind::Full), messages::ORIGINAL);
    let text = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen("giugno.", "luglio.", 1);
    let m = read(
        text.as_bytes(),
        &messages::store(),
        now(),
        &ReadOptions::strict(),
    )
    .unwrap();
    assert!(!m.is_valid());
    assert!(plan_receipts(&m, &[(ANNA, RecipientOutcome::Delivered)]).is_err());
    // Not a recipient; twice the same.
    let env = read_ok(&bytes);
    let e = plan_receipts(
        &env,
        &[("estraneo@pec.beta.test", RecipientOutcome::Delivered)],
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a recipient"), "{e}");
    let e = plan_receipts(
        &env,
        &[
            (ANNA, RecipientOutcome::Delivered),
            ("ANNA.BIANCHI@pec.beta.test", RecipientOutcome::Delivered),
        ],
    )
    .unwrap_err();
    assert!(e.to_string().contains("twice"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Incoming point (spec 6.2, 3.2, 3.5, 3.8)
// ---------------------------------------------------------------------------------------

fn decide(bytes: &[u8], local: &[&str], virus: Option<&str>) -> IncomingDecision {
    let m = read(bytes, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    decide_incoming(&m, local, virus, &IncomingPolicy::default())
}

#[test]
fn rule_6_2_a_correct_envelope_is_delivered_and_taken_in_charge() {
    let bytes = envelope(Some(ReceiptKind::Full), messages::ORIGINAL);
    let d = decide(&bytes, &[ANNA, LUCA, "altro@pec.beta.test"], None);
    let IncomingDecision::DeliverEnvelope {
        facts,
        taking_in_charge,
        not_listed,
    } = d
    else {
        panic!("{d:?}")
    };
    assert_eq!(taking_in_charge.to, messages::ALFA_SERVICE);
    assert_eq!(taking_in_charge.covered, [ANNA, LUCA]);
    assert_eq!(not_listed, ["altro@pec.beta.test"]);
    // It builds, and reads back as a taking in charge covering both.
    let (_, beta_key) = signers("beta").into_iter().next().unwrap();
    let bytes = TakingInCharge::new(
        &facts,
        &taking_in_charge.covered,
        &taking_in_charge.to,
        "beta-tic@pec.beta.test",
        messages::at(1),
    )
    .prepare(&messages::beta(), &BuildOptions::default())
    .unwrap()
    .sign_with(beta_key.as_ref())
    .unwrap()
    .into_vec();
    let m = read_ok(&bytes);
    assert_eq!(m.kind, Some(MessageKind::TakingInCharge));
    assert_eq!(m.daticert.unwrap().data.receptions, [ANNA, LUCA]);
}

#[test]
fn rule_6_2_repeated_local_recipients_are_covered_once_in_their_first_spelling() {
    let bytes = envelope(Some(ReceiptKind::Full), messages::ORIGINAL);
    let d = decide(
        &bytes,
        &[
            "Luca.Verdi@pec.beta.test",
            "Altro@pec.beta.test",
            ANNA,
            LUCA,
            "altro@PEC.beta.test",
            "ANNA.BIANCHI@pec.beta.test",
        ],
        None,
    );
    let IncomingDecision::DeliverEnvelope {
        taking_in_charge,
        not_listed,
        ..
    } = d
    else {
        panic!("{d:?}")
    };
    assert_eq!(taking_in_charge.covered, ["Luca.Verdi@pec.beta.test", ANNA]);
    assert_eq!(not_listed, ["Altro@pec.beta.test"]);
}

#[test]
fn rule_3_8_a_correct_envelope_with_a_virus_gives_one_notice_per_recipient() {
    let bytes = envelope(Some(ReceiptKind::Full), messages::ORIGINAL);
    let d = decide(&bytes, &[ANNA, LUCA], Some("Eicar-Test-Signature"));
    let IncomingDecision::VirusDetected {
        facts,
        virus,
        notices,
    } = d
    else {
        panic!("{d:?}")
    };
    assert_eq!(virus, "Eicar-Test-Signature");
    assert_eq!(notices.len(), 2);
    let (_, beta_key) = signers("beta").into_iter().next().unwrap();
    for n in &notices {
        assert_eq!(n.to, messages::ALFA_SERVICE);
        let bytes = VirusDetection::new(
            &facts,
            &n.recipient,
            &virus,
            &n.to,
            &format!("v-{}@pec.beta.test", n.recipient.len()),
            messages::at(1),
        )
        .prepare(&messages::beta(), &BuildOptions::default())
        .unwrap()
        .sign_with(beta_key.as_ref())
        .unwrap()
        .into_vec();
        assert_eq!(read_ok(&bytes).kind, Some(MessageKind::VirusDetection));
    }
}

#[test]
fn rule_6_2_correct_receipts_are_delivered_service_ones_to_the_service_mailbox() {
    let fixture = messages::all(
        Backend::default(),
        signers("alfa")[0].1.as_ref(),
        signers("beta")[0].1.as_ref(),
        false,
    );
    for b in &fixture {
        if b.kind == MessageKind::TransportEnvelope {
            continue;
        }
        let d = decide(&b.bytes, &[SENDER], None);
        let expected = if matches!(
            b.kind,
            MessageKind::TakingInCharge | MessageKind::VirusDetection
        ) {
            Destination::ServiceMailbox
        } else {
            Destination::Mailboxes
        };
        assert_eq!(d, IncomingDecision::Deliver { to: expected }, "{}", b.name);
    }
}

#[test]
fn rule_6_2_ordinary_mail_is_wrapped_or_refused_by_policy_and_discarded_with_a_virus() {
    let mail = messages::ORDINARY_MAIL.as_bytes();
    assert!(matches!(
        decide(mail, &[ANNA], None),
        IncomingDecision::Anomaly { .. }
    ));
    let m = read(mail, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    let mut refuse = IncomingPolicy::default();
    refuse.ordinary_mail = OrdinaryMail::Refuse;
    assert!(matches!(
        decide_incoming(&m, &[ANNA], None, &refuse),
        IncomingDecision::Refuse { .. }
    ));
    assert!(matches!(
        decide(mail, &[ANNA], Some("Eicar")),
        IncomingDecision::Refuse { .. }
    ));
}

#[test]
fn rule_6_2_a_provider_message_that_is_not_formally_correct_is_an_anomaly() {
    let fixture = messages::all(
        Backend::default(),
        signers("alfa")[0].1.as_ref(),
        signers("beta")[0].1.as_ref(),
        false,
    );
    let b = fixture.iter().find(|b| b.name == "acceptance").unwrap();
    let forged = String::from_utf8(b.bytes.clone())
        .unwrap()
        .replace("X-Ricevuta: accettazione", "X-Ricevuta: avvenuta-consegna");
    let IncomingDecision::Anomaly { reason } = decide(forged.as_bytes(), &[SENDER], None) else {
        panic!()
    };
    assert!(reason.contains("pec-marker-mismatch"), "{reason}");
    // Content changed after signing: not provably from a provider, so ordinary mail.
    let tampered =
        String::from_utf8(b.bytes.clone())
            .unwrap()
            .replacen("accettato", "rifiutato", 1);
    let IncomingDecision::Anomaly { reason } = decide(tampered.as_bytes(), &[SENDER], None) else {
        panic!()
    };
    assert!(
        reason.contains("firma del messaggio non è valida"),
        "{reason}"
    );
}

// ---------------------------------------------------------------------------------------
// Delivery tracking (spec 3.9)
// ---------------------------------------------------------------------------------------

const H: i64 = 3600;

fn t(seconds: i64) -> PecTime {
    PecTime::from_unix(messages::at(0).unix_seconds() + seconds, 120).unwrap()
}

fn tracker() -> Tracker {
    Tracker::new(t(0), &messages::recipients(), TrackingPolicy::default()).unwrap()
}

#[test]
fn rule_3_9_a_recipient_repeated_in_another_case_is_tracked_once() {
    let recipients = [
        Recipient::certified("Anna.Bianchi@pec.beta.test"),
        Recipient::external(ORDINARY),
        Recipient::certified(LUCA),
        Recipient::certified(ANNA),
        Recipient::certified("LUCA.VERDI@PEC.BETA.TEST"),
    ];
    let tr = Tracker::new(t(0), &recipients, TrackingPolicy::default()).unwrap();
    assert_eq!(
        tr.recipients().collect::<Vec<_>>(),
        ["Anna.Bianchi@pec.beta.test", LUCA]
    );
}

fn notices(tr: &mut Tracker, now: i64) -> Vec<(String, Timeout, i64)> {
    tr.tick(t(now))
        .into_iter()
        .map(|n| {
            (
                n.recipient,
                n.timeout,
                n.due.unix_seconds() - t(0).unix_seconds(),
            )
        })
        .collect()
}

#[test]
fn rule_3_9_nothing_at_all_gives_both_notices() {
    let mut tr = tracker();
    assert_eq!(
        tr.recipients().collect::<Vec<_>>(),
        [ANNA, LUCA],
        "external not tracked"
    );
    assert!(notices(&mut tr, 12 * H - 1).is_empty());
    assert_eq!(
        notices(&mut tr, 12 * H),
        [
            (ANNA.into(), Timeout::Hours12, 12 * H),
            (LUCA.into(), Timeout::Hours12, 12 * H)
        ]
    );
    assert!(notices(&mut tr, 23 * H).is_empty());
    assert_eq!(
        notices(&mut tr, 24 * H),
        [
            (ANNA.into(), Timeout::Hours24, 24 * H),
            (LUCA.into(), Timeout::Hours24, 24 * H)
        ]
    );
    assert!(tr.is_finished());
    assert!(notices(&mut tr, 48 * H).is_empty());
}

#[test]
fn rule_3_9_taking_in_charge_within_12h_gives_only_the_24h_notice() {
    let mut tr = tracker();
    for r in [ANNA, LUCA] {
        tr.record(r, TrackingEvent::TakingInCharge, t(H)).unwrap();
    }
    assert!(notices(&mut tr, 12 * H).is_empty());
    tr.record(ANNA, TrackingEvent::Delivery, t(20 * H)).unwrap();
    assert_eq!(
        notices(&mut tr, 24 * H),
        [(LUCA.into(), Timeout::Hours24, 24 * H)]
    );
}

#[test]
fn rule_3_9_delivery_between_12h_and_24h_gives_only_the_12h_notice() {
    let mut tr = tracker();
    assert_eq!(notices(&mut tr, 12 * H).len(), 2);
    tr.record(ANNA, TrackingEvent::Delivery, t(13 * H)).unwrap();
    tr.record(LUCA, TrackingEvent::Delivery, t(14 * H)).unwrap();
    assert!(notices(&mut tr, 24 * H).is_empty());
    assert!(tr.is_finished());
}

#[test]
fn rule_3_9_a_late_tick_still_gives_the_12h_notice_unless_delivered() {
    let mut tr = tracker();
    // Luca's taking in charge came at 13 h, after the deadline; Anna's delivery at 14 h.
    tr.record(LUCA, TrackingEvent::TakingInCharge, t(13 * H))
        .unwrap();
    tr.record(ANNA, TrackingEvent::Delivery, t(14 * H)).unwrap();
    assert_eq!(
        notices(&mut tr, 15 * H),
        [(LUCA.into(), Timeout::Hours12, 12 * H)]
    );
}

#[test]
fn rule_3_9_non_delivery_and_virus_end_the_tracking() {
    let mut tr = tracker();
    tr.record(ANNA, TrackingEvent::NonDelivery, t(H)).unwrap();
    tr.record(LUCA, TrackingEvent::VirusDetection, t(2 * H))
        .unwrap();
    assert!(tr.is_finished());
    assert!(notices(&mut tr, 30 * H).is_empty());
    assert_eq!(tr.next_due(), None);
}

#[test]
fn rule_3_9_the_second_notice_between_22h_and_24h() {
    let policy = TrackingPolicy::with_final_notice_after(22 * H).unwrap();
    let mut tr = Tracker::new(t(0), &messages::recipients(), policy).unwrap();
    tr.record(ANNA, TrackingEvent::TakingInCharge, t(H))
        .unwrap();
    tr.record(LUCA, TrackingEvent::TakingInCharge, t(H))
        .unwrap();
    assert_eq!(
        tr.next_due().unwrap().unix_seconds(),
        t(12 * H).unix_seconds()
    );
    assert!(notices(&mut tr, 12 * H).is_empty());
    assert_eq!(
        tr.next_due().unwrap().unix_seconds(),
        t(22 * H).unix_seconds()
    );
    assert!(notices(&mut tr, 22 * H - 1).is_empty());
    assert_eq!(notices(&mut tr, 22 * H).len(), 2);
    for bad in [22 * H - 1, 24 * H + 1] {
        let e = TrackingPolicy::with_final_notice_after(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn rule_3_9_duplicates_change_nothing_and_strangers_are_refused() {
    use pecmail::rules::Recorded;
    let mut tr = tracker();
    assert_eq!(
        tr.record(ANNA, TrackingEvent::TakingInCharge, t(H))
            .unwrap(),
        Recorded::Changed
    );
    assert_eq!(
        tr.record(ANNA, TrackingEvent::TakingInCharge, t(2 * H))
            .unwrap(),
        Recorded::Unchanged
    );
    tr.record(ANNA, TrackingEvent::Delivery, t(3 * H)).unwrap();
    assert_eq!(
        tr.record(ANNA, TrackingEvent::Delivery, t(3 * H)).unwrap(),
        Recorded::Unchanged
    );
    let e = tr
        .record(ORDINARY, TrackingEvent::Delivery, t(H))
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::InvalidInput,
        "external recipients are not tracked"
    );
}

#[test]
fn the_due_notices_build_as_timeout_notices() {
    let mut tr = tracker();
    let facts = OriginalFacts::from_daticert(
        read_ok(&envelope(Some(ReceiptKind::Full), messages::ORIGINAL))
            .daticert
            .as_ref()
            .unwrap(),
    );
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    for (i, n) in tr.tick(t(24 * H)).into_iter().enumerate() {
        let id = format!("timeout-{i}@pec.alfa.test");
        let bytes =
            pecmail::build::DeliveryTimeout::new(&facts, &n.recipient, n.timeout, &id, n.due)
                .prepare(&messages::alfa(), &BuildOptions::default())
                .unwrap()
                .sign_with(alfa_key.as_ref())
                .unwrap()
                .into_vec();
        let m = read_ok(&bytes);
        assert_eq!(m.kind, Some(MessageKind::DeliveryTimeout));
        let text = m.text.unwrap();
        match n.timeout {
            Timeout::Hours12 => assert!(text.contains("dodici ore"), "{text}"),
            _ => assert!(text.contains("ventiquattro ore"), "{text}"),
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn the_tracker_state_is_saved_and_restored() {
    let mut tr = tracker();
    tr.record(ANNA, TrackingEvent::TakingInCharge, t(H))
        .unwrap();
    let saved = serde_json::to_string(&tr).unwrap();
    let mut restored: Tracker = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored, tr);
    assert_eq!(notices(&mut restored, 12 * H), notices(&mut tr, 12 * H));
}

#[derive(Debug, Clone)]
enum Step {
    Event(usize, TrackingEvent, i64),
    Tick(i64),
}

fn step() -> impl Strategy<Value = Step> {
    let event = prop_oneof![
        Just(TrackingEvent::TakingInCharge),
        Just(TrackingEvent::Delivery),
        Just(TrackingEvent::NonDelivery),
        Just(TrackingEvent::VirusDetection),
    ];
    prop_oneof![
        (0usize..3, event, -H..30 * H).prop_map(|(r, e, at)| Step::Event(r, e, at)),
        (0..40 * H).prop_map(Step::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random events (any order, any time, duplicates) and ticks (any order in time):
    /// no notice after a delivery receipt was recorded; at most one notice of each kind per
    /// recipient; the second never before 22 h (policy 22 to 24 h), the first never before
    /// 12 h; nothing after the second.
    #[test]
    fn tracking_invariants(
        final_after in 22 * H..=24 * H,
        steps in prop::collection::vec(step(), 0..40),
    ) {
        let recipients = [
            Recipient::certified("a@pec.beta.test"),
            Recipient::certified("b@pec.beta.test"),
            Recipient::certified("c@pec.gamma.test"),
        ];
        let policy = TrackingPolicy::with_final_notice_after(final_after).unwrap();
        let mut tr = Tracker::new(t(0), &recipients, policy).unwrap();
        let mut delivered = [false; 3];
        let mut counts = [[0u32; 2]; 3];
        for s in steps {
            match s {
                Step::Event(r, e, at) => {
                    tr.record(&recipients[r].address, e, t(at)).unwrap();
                    if e == TrackingEvent::Delivery {
                        delivered[r] = true;
                    }
                }
                Step::Tick(now) => {
                    for n in tr.tick(t(now)) {
                        let r = recipients.iter().position(|x| x.address == n.recipient).unwrap();
                        prop_assert!(!delivered[r], "a notice after the delivery receipt");
                        let due = n.due.unix_seconds() - t(0).unix_seconds();
                        prop_assert!(due <= now);
                        match n.timeout {
                            Timeout::Hours12 => {
                                prop_assert_eq!(due, 12 * H);
                                prop_assert_eq!(counts[r][1], 0, "the first after the second");
                                counts[r][0] += 1;
                            }
                            _ => {
                                prop_assert!(due >= 22 * H);
                                prop_assert!(now >= 22 * H);
                                counts[r][1] += 1;
                            }
                        }
                        prop_assert!(counts[r][0] <= 1 && counts[r][1] <= 1);
                    }
                }
            }
        }
    }
}
