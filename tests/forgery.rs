//! The forgery suite: crafted messages that try to pass for something a provider did not
//! certify. Each must be refused (`is_valid()` false) with its own error or diagnostic, and
//! the kind must come from the signed content, never from the forged headers or subject.
//!
//! Every case starts from a message of the fixture set that reads as valid (checked first),
//! so that what is detected is the forgery and nothing else.

mod common;

use common::forge::*;
use common::messages;
use common::now;
use common::{pki, signers};
use pecmail::DiagnosticCode;
use pecmail::build::MessageKind;
use pecmail::mime::{SignedMessage, SplitOptions};
use pecmail::read::{PecMessage, ReadOptions, SignatureStatus, read};
use pecmail::trust::{Provider, TrustStore};

use DiagnosticCode::*;

use common::messages::fixture;

use common::messages::fixture_message as message;

/// The fixture store, plus Alfa's expired 2020 certificate as the index once listed it.
fn store() -> TrustStore {
    let mut s = messages::store();
    s.add_provider(
        Provider::new("Alfa PEC S.p.A. (2020)")
            .with_certificate(pki("expired.der"))
            .with_domain("pec.alfa.test"),
    )
    .unwrap();
    s
}

fn read_strict(bytes: &[u8]) -> PecMessage<'_> {
    read(bytes, &store(), now(), &ReadOptions::strict()).unwrap()
}

fn codes(m: &PecMessage<'_>) -> Vec<DiagnosticCode> {
    m.diagnostics.iter().map(|d| d.code).collect()
}

/// Asserts the forgery is refused with `code`, and returns the reading for more checks.
fn refused<'a>(case: &str, bytes: &'a [u8], code: DiagnosticCode) -> PecMessage<'a> {
    let m = read_strict(bytes);
    assert!(!m.is_valid(), "{case}: read as valid");
    assert!(
        codes(&m).contains(&code),
        "{case}: expected {code}, got {:?}",
        m.diagnostics
    );
    m
}

#[test]
fn the_fixture_messages_are_valid_before_any_forgery() {
    for b in fixture() {
        let m = read_strict(&b.bytes);
        assert!(m.is_valid(), "{}: {:?}", b.name, m.diagnostics);
        assert_eq!(m.kind, Some(b.kind), "{}", b.name);
    }
    // The suite's own re-signing is sound: Alfa re-signing its acceptance unchanged gives
    // a valid message, so what the re-signed cases detect is their change.
    let same = resign(&message("acceptance"), "alfa", |e| e);
    let m = read_strict(&same);
    assert!(m.is_valid(), "{:?}", m.diagnostics);
}

#[test]
fn an_unsigned_message_with_pec_headers_is_not_pec() {
    let forged = b"From: posta-certificata@pec.alfa.test\r\nTo: mario.rossi@pec.alfa.test\r\n\
Subject: ACCETTAZIONE: Fattura 42\r\nMessage-ID: <f1@pec.alfa.test>\r\n\
X-Ricevuta: accettazione\r\nX-Riferimento-Message-ID: <1@client.example>\r\n\r\n\
Il messaggio e' stato accettato dal sistema.\r\n";
    let m = refused("unsigned", forged, PecUnsigned);
    assert_eq!(m.kind, None);
    assert_eq!(m.signature, SignatureStatus::Absent);
}

#[test]
fn a_pec_subject_alone_classifies_nothing() {
    let mail = b"From: a@example.com\r\nTo: b@pec.beta.test\r\n\
Subject: POSTA CERTIFICATA: bonifico\r\nMessage-ID: <x@example.com>\r\n\r\ntesto\r\n";
    let m = read_strict(mail);
    assert_eq!(m.kind, None);
    assert!(!m.is_valid());
    assert_eq!(m.signature, SignatureStatus::Absent);
}

#[test]
fn a_changed_x_ricevuta_is_caught_and_the_kind_stays_the_signed_one() {
    let forged = set_header(&message("acceptance"), "X-Ricevuta", "avvenuta-consegna");
    let m = refused("X-Ricevuta changed", &forged, PecMarkerMismatch);
    assert_eq!(m.kind, Some(MessageKind::Acceptance));
}

#[test]
fn a_rewritten_from_is_caught() {
    let forged = set_header(
        &message("acceptance"),
        "From",
        "posta-certificata@pec.beta.test",
    );
    refused("From rewritten", &forged, PecFromMismatch);
    // The domain is not Alfa's either.
    refused("From rewritten", &forged, PecFromDomain);
}

#[test]
fn a_rewritten_subject_is_caught() {
    let forged = set_header(
        &message("acceptance"),
        "Subject",
        "ACCETTAZIONE: Pagamento ricevuto",
    );
    refused("subject rewritten", &forged, PecSubjectDiffers);
}

#[test]
fn a_subject_prefix_of_another_kind_is_caught_and_does_not_classify() {
    let forged = set_header(
        &message("acceptance"),
        "Subject",
        "CONSEGNA: Fattura n° 42 – giugno",
    );
    let m = refused("prefix changed", &forged, PecSubjectPrefix);
    assert_eq!(m.kind, Some(MessageKind::Acceptance));
}

#[test]
fn a_signature_by_a_personal_certificate_is_not_a_providers() {
    let forged = resign(&message("acceptance"), "personal", |e| e);
    let m = refused("personal certificate", &forged, PecUntrusted);
    assert_eq!(m.signature, SignatureStatus::Valid, "the math is fine");
    assert_eq!(m.trust_status(), "untrusted");
    assert_eq!(m.trust.as_ref().unwrap().verdict.as_str(), "not-a-provider");
}

#[test]
fn a_signature_by_a_rogue_ca_lookalike_is_untrusted() {
    // Same subject as Alfa's certificate, issued by a CA nobody trusts.
    let forged = resign(&message("acceptance"), "rogue", |e| e);
    let m = refused("rogue CA", &forged, PecUntrusted);
    assert_eq!(m.trust.as_ref().unwrap().verdict.as_str(), "unknown-issuer");
}

#[test]
fn a_provider_certificate_outside_the_name_constraints_is_untrusted() {
    let forged = resign(&message("acceptance"), "outside", |e| e);
    let m = refused("outside name constraints", &forged, PecUntrusted);
    assert_eq!(
        m.trust.as_ref().unwrap().verdict.as_str(),
        "name-constraint-violation"
    );
}

#[test]
fn an_expired_provider_certificate_is_untrusted() {
    let forged = resign(&message("acceptance"), "expired", |e| e);
    let m = refused("expired", &forged, PecUntrusted);
    assert_eq!(m.trust.as_ref().unwrap().verdict.as_str(), "expired");
}

#[test]
fn a_from_domain_the_signers_provider_does_not_manage_is_caught() {
    // Beta signs a receipt that claims to come from Alfa's service address.
    let forged = resign(
        &set_header(
            &message("taking-in-charge"),
            "From",
            "posta-certificata@pec.alfa.test",
        ),
        "beta",
        |e| e,
    );
    let m = refused("From domain", &forged, PecFromDomain);
    assert_eq!(m.trust_status(), "trusted", "Beta itself is a provider");
}

#[test]
fn the_daticert_of_another_message_is_caught() {
    // The headers of the fixture envelope over the signed body of another envelope (a
    // different message, identifier and subject), both genuinely signed by Alfa.
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    let original = messages::ORIGINAL
        .replace("Fattura =?UTF-8?Q?n=C2=B0_42_=E2=80=93_giugno?=", "Altro")
        .replace("20260601095958.1234@client.example", "other@client.example");
    let recipients = messages::recipients();
    let other = pecmail::build::TransportEnvelope::new(
        original.as_bytes(),
        messages::SENDER,
        &recipients,
        "opec-alfa.20260601100000.99@pec.alfa.test",
        messages::at(0),
    )
    .prepare(&messages::alfa(), &pecmail::build::BuildOptions::default())
    .unwrap()
    .sign_with(alfa_key.as_ref())
    .unwrap()
    .into_vec();
    let genuine = message("transport-envelope");
    let (genuine_head, _) = split_head(&genuine);
    let (_, other_body) = split_head(&other);
    // The other message's multipart/signed header goes with its body.
    let other_ct: String = fields(&split_head(&other).0)
        .into_iter()
        .filter(|f| is_field(f, "Content-Type"))
        .collect();
    let head: String = fields(&genuine_head)
        .into_iter()
        .map(|f| {
            if is_field(&f, "Content-Type") {
                other_ct.clone()
            } else {
                f
            }
        })
        .collect();
    let forged = [head.as_bytes(), &other_body].concat();
    let m = refused(
        "daticert of another message",
        &forged,
        PecIdentifierMismatch,
    );
    assert_eq!(m.signature, SignatureStatus::Valid);
    assert!(codes(&m).contains(&PecReferenceMismatch));
    assert!(codes(&m).contains(&PecSubjectDiffers));
}

#[test]
fn an_extra_top_level_part_is_refused() {
    let bytes = message("acceptance");
    let split = SignedMessage::parse(&bytes, &SplitOptions::default()).unwrap();
    let close = format!("\r\n--{}--", split.boundary());
    let extra = format!(
        "\r\n--{}\r\nContent-Type: text/plain\r\n\r\nIl pagamento e' confermato.{close}",
        split.boundary()
    );
    let forged = replace_once(&bytes, close.as_bytes(), extra.as_bytes());
    let m = refused("extra part", &forged, PecSignatureMalformed);
    assert_eq!(m.signature, SignatureStatus::Malformed);
}

#[test]
fn two_x_ricevuta_headers_are_caught() {
    let forged = add_header(&message("acceptance"), "X-Ricevuta: avvenuta-consegna");
    refused("two X-Ricevuta", &forged, PecDuplicateHeader);
}

#[test]
fn two_from_headers_are_caught() {
    let forged = add_header(
        &message("acceptance"),
        "From: posta-certificata@pec.beta.test",
    );
    refused("two From", &forged, PecDuplicateHeader);
}

#[test]
fn a_delivery_receipt_for_someone_not_among_the_recipients_is_caught() {
    // Signed by Beta, a genuine provider: the receipt itself is wrong.
    let forged = resign(&message("delivery-full"), "beta", |e| {
        edit_daticert(e, |xml| {
            xml.replace(
                "<consegna>anna.bianchi@pec.beta.test</consegna>",
                "<consegna>estraneo@pec.beta.test</consegna>",
            )
        })
    });
    let m = refused("consegna not a recipient", &forged, PecRecipientMismatch);
    assert_eq!(m.signature, SignatureStatus::Valid);
    assert_eq!(m.trust_status(), "trusted");
}

#[test]
fn a_taking_in_charge_for_someone_not_among_the_recipients_is_caught() {
    let forged = resign(&message("taking-in-charge"), "beta", |e| {
        edit_daticert(e, |xml| {
            xml.replacen(
                "<ricezione>anna.bianchi@pec.beta.test</ricezione>",
                "<ricezione>estraneo@pec.beta.test</ricezione>",
                1,
            )
        })
    });
    refused("ricezione not a recipient", &forged, PecRecipientMismatch);
}

#[test]
fn x_verifica_sicurezza_on_a_formal_non_acceptance_is_caught() {
    let forged = add_header(&message("non-acceptance"), "X-VerificaSicurezza: errore");
    refused("virus flag added", &forged, PecSecurityMismatch);
    let removed = remove_header(&message("non-acceptance-virus"), "X-VerificaSicurezza");
    refused("virus flag removed", &removed, PecSecurityMismatch);
}

#[test]
fn a_changed_x_tiporicevuta_is_caught() {
    let forged = set_header(&message("transport-envelope"), "X-TipoRicevuta", "completa");
    refused("X-TipoRicevuta", &forged, PecReceiptTypeMismatch);
}

#[test]
fn a_changed_envelope_message_id_is_caught() {
    let forged = set_header(
        &message("transport-envelope"),
        "Message-ID",
        "<opec-alfa.20260601100000.2@pec.alfa.test>",
    );
    refused("Message-ID", &forged, PecIdentifierMismatch);
}

#[test]
fn a_changed_x_riferimento_message_id_is_caught() {
    let forged = set_header(
        &message("acceptance"),
        "X-Riferimento-Message-ID",
        "<another@client.example>",
    );
    refused("X-Riferimento-Message-ID", &forged, PecReferenceMismatch);
}

#[test]
fn content_changed_after_signing_is_caught() {
    let bytes = message("transport-envelope");
    let forged = replace_once(&bytes, b"fattura di giugno", b"fattura di luglio");
    let m = refused("content changed", &forged, PecSignatureInvalid);
    assert_eq!(m.signature, SignatureStatus::Invalid);
    // Still described, so that an incoming point can wrap it in an anomaly envelope.
    assert_eq!(m.kind, Some(MessageKind::TransportEnvelope));
}

#[test]
fn a_signature_taken_from_another_message_is_caught() {
    let a = message("acceptance");
    let b = message("non-acceptance");
    let p7s = |bytes: &[u8]| {
        let s = SignedMessage::parse(bytes, &SplitOptions::default()).unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let start = text.find("filename=\"smime.p7s\"").unwrap();
        let body = start + text[start..].find("\r\n\r\n").unwrap() + 4;
        let end = body
            + text[body..]
                .find(&format!("\r\n--{}--", s.boundary()))
                .unwrap();
        text[body..end].to_owned()
    };
    let forged = replace_once(&a, p7s(&a).as_bytes(), p7s(&b).as_bytes());
    refused("signature swapped", &forged, PecSignatureInvalid);
}

#[test]
fn both_markers_are_caught() {
    let forged = add_header(&message("acceptance"), "X-Trasporto: posta-certificata");
    refused("both markers", &forged, PecMarkerConflict);
}

#[test]
fn a_removed_marker_is_caught() {
    let forged = remove_header(&message("acceptance"), "X-Ricevuta");
    let m = refused("marker removed", &forged, PecMarkerMissing);
    assert_eq!(
        m.kind,
        Some(MessageKind::Acceptance),
        "from the signed daticert"
    );
}

#[test]
fn an_unknown_marker_value_is_caught() {
    let forged = set_header(&message("acceptance"), "X-Ricevuta", "accettata");
    refused("unknown marker", &forged, PecMarkerUnknown);
}

#[test]
fn a_changed_x_mittente_is_caught() {
    let forged = set_header(
        &message("virus-detection"),
        "X-Mittente",
        "luca.verdi@pec.beta.test",
    );
    refused("X-Mittente", &forged, PecSenderMismatch);
}

#[test]
fn two_daticert_parts_signed_by_a_provider_are_refused() {
    // Which one would count is what a forger would play with: neither does.
    let forged = resign(&message("acceptance"), "alfa", |e| {
        let part = e.find("\r\n--").map(|i| i + 2).unwrap();
        let boundary_line = e[part..].split("\r\n").next().unwrap().to_owned();
        let daticert_start = e.find("Content-Type: application/xml").unwrap();
        let daticert_end = daticert_start + e[daticert_start..].find("\r\n--").unwrap();
        let copy = format!(
            "\r\n{boundary_line}\r\n{}",
            &e[daticert_start..daticert_end]
        );
        let close = e.rfind(&format!("\r\n{boundary_line}--")).unwrap();
        format!("{}{copy}{}", &e[..close], &e[close..])
    });
    let m = refused("two daticert parts", &forged, PecNoDaticert);
    assert!(
        m.diagnostics
            .iter()
            .any(|d| d.detail.contains("two daticert.xml")),
        "{:?}",
        m.diagnostics
    );
}

#[test]
fn a_line_that_extends_the_boundary_is_refused_as_ambiguous() {
    let bytes = message("acceptance");
    let split = SignedMessage::parse(&bytes, &SplitOptions::default()).unwrap();
    let injected = format!("\r\n--{}-not-a-delimiter\r\n", split.boundary());
    let forged = replace_once(
        &bytes,
        b"\r\nContent-Type: application/pkcs7-signature",
        format!("{injected}Content-Type: application/pkcs7-signature").as_bytes(),
    );
    let m = refused("boundary prefix line", &forged, MimeAmbiguous);
    let e = m.signature_error.as_ref().unwrap().to_string();
    assert!(e.contains("ambiguous"), "{e}");
}

#[test]
fn a_valid_receipt_inside_a_wrapper_with_forged_headers_is_not_top_level_pec() {
    let inner = message("acceptance");
    let (_, body) = split_head(&inner);
    let (head, _) = split_head(&inner);
    let ct: String = fields(&head)
        .into_iter()
        .filter(|f| is_field(f, "Content-Type"))
        .collect();
    let mut wrapper = b"From: posta-certificata@pec.alfa.test\r\nTo: mario.rossi@pec.alfa.test\r\n\
Subject: CONSEGNA: Fattura n\xc2\xb0 42\r\nX-Ricevuta: avvenuta-consegna\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"wrap\"\r\n\r\n--wrap\r\n"
        .to_vec();
    wrapper.extend_from_slice(ct.as_bytes());
    wrapper.extend_from_slice(&body);
    wrapper.extend_from_slice(b"\r\n--wrap--\r\n");
    let m = read_strict(&wrapper);
    assert_eq!(m.kind, None, "the wrapper is not PEC");
    assert!(!m.is_valid());
    assert!(codes(&m).contains(&PecUnsigned));
    // The embedded receipt, read with the wrapper's headers, shows the forged marker.
    let e = m.embedded.as_deref().unwrap();
    assert_eq!(e.kind, Some(MessageKind::Acceptance));
    assert!(!e.is_valid());
    assert!(codes(e).contains(&PecMarkerMismatch), "{:?}", e.diagnostics);
}

#[test]
fn a_receipt_re_signed_by_another_provider_is_caught() {
    // Beta signs Alfa's acceptance (From: Alfa's service address).
    let forged = resign(&message("acceptance"), "beta", |e| e);
    refused("signed by Beta", &forged, PecFromMismatch);
}

/// The sender's original wrapped in a `multipart/signed` of the sender's own, as the breve
/// receipt of `delivery-short` carries it, with `second` as the wrapper's second part.
fn short_receipt_with_signed_original(second: &str) -> Vec<u8> {
    let bytes = message("delivery-short");
    resign(&bytes, "beta", |entity| {
        let inner = "Content-Type: multipart/mixed; boundary=\"client-boundary\"\r\n\r\n";
        assert!(entity.contains(inner) && entity.contains("--client-boundary--\r\n"));
        entity
            .replacen(
                inner,
                &format!(
                    "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; \
micalg=sha-256; boundary=\"sender-sig\"\r\n\r\n--sender-sig\r\n{inner}"
                ),
                1,
            )
            .replacen(
                "--client-boundary--\r\n",
                &format!("--client-boundary--\r\n--sender-sig\r\n{second}\r\n--sender-sig--\r\n"),
                1,
            )
    })
}

/// Issue 15: a sender who signs the original with a second part that looks like a hash part
/// (`contratto-firmato.pdf.hash`, 40 hex digits of the sender's choice). A receipt built the
/// old way (only the first part of a `multipart/signed` walked, the rest kept as it came) read
/// valid and certified a hash for an attachment never delivered; now it is an error.
#[test]
fn a_breve_receipt_certifying_the_senders_own_hash_part_is_caught() {
    let smuggled = "Content-Type: text/plain; name=\"contratto-firmato.pdf.hash\"\r\n\
Content-Disposition: attachment; filename=\"contratto-firmato.pdf.hash\"\r\n\r\n\
0123456789abcdef0123456789abcdef01234567";
    let forged = short_receipt_with_signed_original(smuggled);
    let m = refused("sender's hash part", &forged, PecBreveHashes);
    assert!(
        m.hashes.iter().all(|h| h.name != "contratto-firmato.pdf"),
        "the sender's hash is certified: {:?}",
        m.hashes
    );
    // The same structure with the sender's signature where the signature belongs reads
    // valid, with the provider's hash only: what is refused is the smuggled part.
    let signature = "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMAA=";
    let honest = short_receipt_with_signed_original(signature);
    let m = read_strict(&honest);
    assert!(m.is_valid(), "{:?}", m.diagnostics);
    let names: Vec<&str> = m.hashes.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["fattura-42.pdf"]);
}
