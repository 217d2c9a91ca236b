//! The builders: every kind of message, exact bytes, OpenSSL, Python's email parser, the
//! reader, input validation, scale, and the breve form.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::messages::{self, ANNA, LUCA, ORDINARY, SENDER};
use common::{TEST_TIME_UNIX, now, openssl, pki, pki_path, scratch, signers};
use pecmail::build::{
    Acceptance, AnomalyEnvelope, BuildOptions, Delivery, MessageKind, NonDelivery, OriginalFacts,
    TakingInCharge, TransportEnvelope,
};
use pecmail::cms::{SignRequest, SignatureAlgorithm, Signer, SignerError};
use pecmail::daticert::{CertError, ReceiptKind, Recipient};
use pecmail::read::{ReadOptions, SignatureStatus, read};
use pecmail::{Backend, ErrorKind};

use common::messages::fixture;

#[test]
fn one_message_of_every_kind() {
    let kinds: std::collections::BTreeSet<MessageKind> = fixture().iter().map(|b| b.kind).collect();
    assert_eq!(kinds.len(), 13, "{kinds:?}");
}

/// Exact bytes, against the snapshots in `tests/fixtures/snapshots` (our own output, made by
/// this test with `UPDATE_SNAPSHOTS=1`). Every backend and every signer must give exactly
/// these bytes, with and without the HTML alternative.
#[test]
fn exact_bytes_snapshots() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    for html in [false, true] {
        let mut reference: Option<Vec<Vec<u8>>> = None;
        for backend in Backend::ALL {
            for ((_, alfa), (_, beta)) in signers("alfa").into_iter().zip(signers("beta")) {
                let built = messages::all(*backend, alfa.as_ref(), beta.as_ref(), html);
                let bytes: Vec<Vec<u8>> = built.iter().map(|b| b.bytes.clone()).collect();
                match &reference {
                    None => {
                        for b in &built {
                            let file = dir.join(format!(
                                "{}{}.eml",
                                b.name,
                                if html { "-html" } else { "" }
                            ));
                            if update {
                                std::fs::create_dir_all(&dir).unwrap();
                                std::fs::write(&file, &b.bytes).unwrap();
                            }
                            let expected = std::fs::read(&file).unwrap_or_else(|e| {
                                panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", file.display())
                            });
                            assert!(
                                expected == b.bytes,
                                "{} differs from its snapshot {}",
                                b.name,
                                file.display()
                            );
                        }
                        reference = Some(bytes);
                    }
                    Some(r) => assert!(r == &bytes, "{} gives other bytes", backend.name()),
                }
            }
        }
    }
}

#[test]
fn every_message_verifies_with_openssl_with_every_backend() {
    for backend in Backend::ALL {
        let (_, alfa) = signers("alfa").into_iter().next().unwrap();
        let (_, beta) = signers("beta").into_iter().next().unwrap();
        for b in messages::all(*backend, alfa.as_ref(), beta.as_ref(), true) {
            let path = scratch(&format!("built-{}-{}.eml", backend.name(), b.name));
            std::fs::write(&path, &b.bytes).unwrap();
            let out = openssl(&[
                "cms",
                "-verify",
                "-in",
                path.to_str().unwrap(),
                "-CAfile",
                &pki_path("root.pem"),
                "-attime",
                &TEST_TIME_UNIX.to_string(),
                "-out",
                "/dev/null",
            ]);
            assert!(
                out.status.success(),
                "{} ({}): {}",
                b.name,
                backend.name(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// What Python's `email` parser sees: facts and parts, no defects.
fn python(bytes: &[u8], name: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let path = scratch(&format!("python-{name}.eml"));
    std::fs::write(&path, bytes).unwrap();
    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/email_check.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); the tests need it on PATH"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut headers = BTreeMap::new();
    let mut parts = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("header ") {
            let (n, v) = h.split_once(": ").unwrap_or((h, ""));
            headers.insert(n.to_ascii_lowercase(), v.to_owned());
        } else if let Some(p) = line.strip_prefix("part ") {
            parts.push(p.to_owned());
        } else if line.starts_with("defect") {
            panic!("{name}: Python reports {line}");
        }
    }
    (headers, parts)
}

#[test]
fn python_sees_the_expected_headers_and_parts() {
    for b in fixture() {
        let (h, parts) = python(&b.bytes, b.name);
        let (marker, value) = b.kind.marker();
        assert_eq!(
            h.get(&marker.to_ascii_lowercase()).map(String::as_str),
            Some(value),
            "{}",
            b.name
        );
        let subject = h.get("subject").unwrap();
        assert!(
            subject.starts_with(b.kind.subject_prefix()),
            "{}: {subject}",
            b.name
        );
        assert_eq!(
            parts.first().map(String::as_str),
            Some("0 multipart/signed -"),
            "{}",
            b.name
        );
        assert_eq!(
            parts.get(1).map(String::as_str),
            Some("1 multipart/mixed -"),
            "{}",
            b.name
        );
        assert_eq!(
            parts.get(2).map(String::as_str),
            Some("2 text/plain -"),
            "{}",
            b.name
        );
        assert_eq!(
            parts.last().map(String::as_str),
            Some("1 application/pkcs7-signature smime.p7s"),
            "{}",
            b.name
        );
        let has = |p: &str| parts.iter().any(|x| x == p);
        assert_eq!(
            has("2 application/xml daticert.xml"),
            b.kind != MessageKind::AnomalyEnvelope,
            "{}",
            b.name
        );
        let carries = matches!(
            b.kind,
            MessageKind::TransportEnvelope
                | MessageKind::AnomalyEnvelope
                | MessageKind::DeliveryFull
                | MessageKind::DeliveryShort
        );
        assert_eq!(has("2 message/rfc822 postacert.eml"), carries, "{}", b.name);
        if b.kind.security_error() {
            assert_eq!(
                h.get("x-verificasicurezza").map(String::as_str),
                Some("errore")
            );
        }
        // Receipts come from the service address; envelopes "on behalf of" the sender.
        let from = h.get("from").unwrap();
        match b.kind {
            MessageKind::TransportEnvelope => assert_eq!(
                from,
                "\"Per conto di: mario.rossi@pec.alfa.test\" <posta-certificata@pec.alfa.test>"
            ),
            MessageKind::AnomalyEnvelope => {
                assert!(from.starts_with("\"Per conto di: newsletter@example.com\""))
            }
            _ => assert!(
                from.starts_with("posta-certificata@pec."),
                "{}: {from}",
                b.name
            ),
        }
    }
    // The HTML alternative is a multipart/alternative of text and HTML.
    let (_, alfa) = signers("alfa").into_iter().next().unwrap();
    let (_, beta) = signers("beta").into_iter().next().unwrap();
    let html = messages::all(Backend::default(), alfa.as_ref(), beta.as_ref(), true);
    let (_, parts) = python(&html[2].bytes, "acceptance-html");
    assert_eq!(
        &parts[2..5],
        [
            "2 multipart/alternative -",
            "3 text/plain -",
            "3 text/html -"
        ]
    );
}

#[test]
fn every_message_reads_back_as_its_own_kind_with_no_diagnostics() {
    let store = messages::store();
    for b in fixture() {
        let m = read(&b.bytes, &store, now(), &ReadOptions::strict()).unwrap();
        assert_eq!(m.kind, Some(b.kind), "{}", b.name);
        assert_eq!(m.signature, SignatureStatus::Valid, "{}", b.name);
        assert!(m.diagnostics.is_empty(), "{}: {:?}", b.name, m.diagnostics);
        assert!(m.is_valid(), "{}", b.name);
    }
}

#[test]
fn the_envelope_carries_the_original_as_the_rules_say() {
    let built = fixture();
    let store = messages::store();
    let m = read(&built[0].bytes, &store, now(), &ReadOptions::strict()).unwrap();
    let original = std::str::from_utf8(m.original().unwrap()).unwrap();
    // Message-ID replaced by the PEC identifier, X-Riferimento-Message-ID after it,
    // everything else byte for byte.
    let expected = messages::ORIGINAL.replace(
        "Message-ID: <20260601095958.1234@client.example>\r\n",
        "Message-ID: <opec-alfa.20260601100000.1@pec.alfa.test>\r\nX-Riferimento-Message-ID: <20260601095958.1234@client.example>\r\n",
    );
    assert_eq!(original, expected);
    let d = m.daticert.as_ref().unwrap();
    assert_eq!(d.header.subject.as_deref(), Some("Fattura n° 42 – giugno"));
    assert_eq!(
        d.data.receipt,
        Some(ReceiptKind::Short),
        "from X-TipoRicevuta: breve"
    );
    assert_eq!(d.header.recipients, messages::recipients());
    assert_eq!(
        m.client_message_id.as_deref(),
        Some("<20260601095958.1234@client.example>")
    );
    // The anomaly envelope keeps the received message whole, and its Message-ID.
    let a = read(&built[1].bytes, &store, now(), &ReadOptions::strict()).unwrap();
    assert_eq!(a.original().unwrap(), messages::ORDINARY_MAIL.as_bytes());
    let text = String::from_utf8_lossy(&built[1].bytes);
    assert!(text.contains("\r\nMessage-ID: <news-77@example.com>\r\nX-Trasporto: errore\r\n"));
    assert!(
        text.starts_with("Return-Path: <newsletter@example.com>\r\nReceived: from mx.example.com")
    );
    let inner = a.inner.as_ref().unwrap();
    assert_eq!(inner.kind, None, "the wrapped ordinary mail is not PEC");
}

#[test]
fn the_short_receipt_carries_hashes_of_the_attachments_as_transmitted() {
    use sha1::Digest;
    let built = fixture();
    let short = built
        .iter()
        .find(|b| b.kind == MessageKind::DeliveryShort)
        .unwrap();
    let m = read(
        &short.bytes,
        &messages::store(),
        now(),
        &ReadOptions::strict(),
    )
    .unwrap();
    let pdf_b64 = "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl\r\nY29kZT4+CnN0cmVhbQp4nDPQM1Qo5ypUMFAw0DMwslAwtTTVyyrOzFMoSs1LSSxRSEksSeTlAgCI";
    let expected: String = sha1::Sha1::digest(pdf_b64.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(m.hashes.len(), 1);
    assert_eq!(m.hashes[0].name, "fattura-42.pdf");
    assert_eq!(m.hashes[0].sha1, expected);
    let original = String::from_utf8_lossy(m.original().unwrap());
    assert!(!original.contains("JVBERi0x"), "the attachment is gone");
    assert!(
        original.contains("In allegato la fattura di giugno."),
        "the text stays"
    );
}

/// A large original is borrowed into the message, not copied; receipts are one buffer.
#[test]
fn the_original_is_borrowed_not_copied() {
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    let alfa = messages::alfa();
    let original = messages::ORIGINAL.as_bytes();
    let body_start = messages::ORIGINAL.find("\r\n\r\n").unwrap() + 4;
    let recipients = messages::recipients();
    let envelope = TransportEnvelope::new(
        original,
        SENDER,
        &recipients,
        "opec-alfa.20260601100000.1@pec.alfa.test",
        messages::at(0),
    );
    let wire = envelope
        .prepare(&alfa, &BuildOptions::default())
        .unwrap()
        .sign_with(alfa_key.as_ref())
        .unwrap();
    let segments: Vec<&[u8]> = wire.segments().collect();
    assert_eq!(segments.len(), 3, "written, the original's body, written");
    assert_eq!(segments[1].as_ptr(), original[body_start..].as_ptr());
    assert_eq!(segments[1].len(), original.len() - body_start);
    assert_eq!(wire.len(), segments.iter().map(|s| s.len()).sum::<usize>());
    let bytes = wire.clone().into_vec();
    assert_eq!(bytes, segments.concat());
    // The same bytes as the fixture set's envelope (same inputs).
    assert_eq!(bytes, fixture()[0].bytes);

    let facts = envelope.facts().unwrap();
    let receipt = Acceptance::new(&facts, "r1@pec.alfa.test", messages::at(0))
        .prepare(&alfa, &BuildOptions::default())
        .unwrap()
        .sign_with(alfa_key.as_ref())
        .unwrap();
    assert_eq!(receipt.segments().count(), 1);
    let first = receipt.segments().next().unwrap().as_ptr();
    let bytes = receipt.into_vec();
    assert_eq!(bytes.as_ptr(), first, "handed over without a copy");
}

#[test]
fn an_acceptance_for_1000_recipients_lists_all_of_them() {
    let recipients: Vec<Recipient> = (0..1000)
        .map(|i| {
            if i % 3 == 0 {
                Recipient::external(format!("utente{i}@example.com"))
            } else {
                Recipient::certified(format!("utente{i}@pec.beta.test"))
            }
        })
        .collect();
    let identifier = "opec-alfa.many@pec.alfa.test";
    let facts = OriginalFacts::from_original(
        messages::ORIGINAL.as_bytes(),
        SENDER,
        recipients.clone(),
        identifier,
    )
    .unwrap();
    let (_, alfa) = signers("alfa").into_iter().next().unwrap();
    let bytes = Acceptance::new(&facts, "opec-alfa.many-acc@pec.alfa.test", messages::at(0))
        .prepare(&messages::alfa(), &BuildOptions::default())
        .unwrap()
        .sign_with(alfa.as_ref())
        .unwrap()
        .into_vec();
    let m = read(&bytes, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert!(m.is_valid(), "{:?}", m.diagnostics);
    assert_eq!(m.daticert.as_ref().unwrap().header.recipients, recipients);
    let text = m.text.unwrap();
    assert_eq!(text.matches("(\"posta certificata\")").count(), 666);
    assert_eq!(text.matches("(\"posta ordinaria\")").count(), 334);
    assert!(text.contains("utente998@pec.beta.test (\"posta certificata\")"));
    assert!(text.contains("utente999@example.com (\"posta ordinaria\")"));
}

/// A signer that counts its calls, to prove that refused inputs sign nothing.
struct Counting<'a> {
    inner: &'a dyn Signer,
    calls: AtomicUsize,
}

impl Signer for Counting<'_> {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.inner.algorithm()
    }
    fn certificate(&self) -> &[u8] {
        self.inner.certificate()
    }
    fn chain(&self) -> &[Vec<u8>] {
        self.inner.chain()
    }
    fn sign(&self, r: &SignRequest<'_>) -> Result<Vec<u8>, SignerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.sign(r)
    }
}

#[test]
fn invalid_inputs_name_their_field_and_sign_nothing() {
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    let signer = Counting {
        inner: alfa_key.as_ref(),
        calls: AtomicUsize::new(0),
    };
    let alfa = messages::alfa();
    let o = BuildOptions::default();
    let good = messages::recipients();
    let t = messages::at(0);
    let expect = |r: Result<pecmail::smime::PendingMessage, pecmail::Error>, field: &str| {
        let e = r.map(|p| p.sign_with(&signer)).expect_err(field);
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{field}: {e}");
        assert!(e.message().starts_with(field), "{field}: {e}");
    };
    let original = messages::ORIGINAL.as_bytes();
    expect(
        TransportEnvelope::new(original, "not an address", &good, "id@x", t).prepare(&alfa, &o),
        "sender",
    );
    expect(
        TransportEnvelope::new(original, SENDER, &[], "id@x", t).prepare(&alfa, &o),
        "recipients",
    );
    let bad_rcpt = vec![Recipient::certified("anna@@pec.beta.test")];
    expect(
        TransportEnvelope::new(original, SENDER, &bad_rcpt, "id@x", t).prepare(&alfa, &o),
        "recipients[0]",
    );
    expect(
        TransportEnvelope::new(original, SENDER, &good, "no-at-sign", t).prepare(&alfa, &o),
        "identifier",
    );
    expect(
        TransportEnvelope::new(b"just text, no header", SENDER, &good, "id@x", t)
            .prepare(&alfa, &o),
        "original",
    );
    expect(
        TransportEnvelope::new(b"Subject: x\n\nLF only\n", SENDER, &good, "id@x", t)
            .prepare(&alfa, &o),
        "original",
    );
    let crlf_subject =
        messages::ORIGINAL.replace("Subject: Fattura", "Subject: =?UTF-8?Q?a=0D=0Ab?= Fattura");
    expect(
        TransportEnvelope::new(crlf_subject.as_bytes(), SENDER, &good, "id@x", t)
            .prepare(&alfa, &o),
        "subject",
    );

    let facts = TransportEnvelope::new(original, SENDER, &good, "id@pec.alfa.test", t)
        .facts()
        .unwrap();
    expect(
        Acceptance::new(&facts, "no-at-sign", t).prepare(&alfa, &o),
        "message_id",
    );
    expect(
        Delivery::new(&facts, ANNA, ReceiptKind::Full, "d@x", t).prepare(&alfa, &o),
        "original",
    );
    expect(
        Delivery::new(
            &facts,
            "stranger@pec.beta.test",
            ReceiptKind::Summary,
            "d@x",
            t,
        )
        .prepare(&alfa, &o),
        "recipient",
    );
    let covered = vec![ORDINARY.to_owned(), "stranger@x.it".to_owned()];
    expect(
        TakingInCharge::new(&facts, &covered, "a@b.it", "p@x", t).prepare(&alfa, &o),
        "covered[1]",
    );
    expect(
        TakingInCharge::new(&facts, &[], "a@b.it", "p@x", t).prepare(&alfa, &o),
        "covered",
    );
    expect(
        NonDelivery::new(&facts, LUCA, CertError::None, "x", "n@x", t).prepare(&alfa, &o),
        "error",
    );
    expect(
        NonDelivery::new(&facts, LUCA, CertError::Other, "two\r\nlines", "n@x", t)
            .prepare(&alfa, &o),
        "detail",
    );
    expect(
        AnomalyEnvelope::new(messages::ORDINARY_MAIL.as_bytes(), "", t).prepare(&alfa, &o),
        "reason",
    );
    expect(
        AnomalyEnvelope::new(b"Subject: no sender\r\n\r\nx\r\n", "why", t).prepare(&alfa, &o),
        "received",
    );
    assert_eq!(signer.calls.load(Ordering::SeqCst), 0, "nothing was signed");
}

#[test]
fn same_inputs_same_bytes() {
    let a: Vec<Vec<u8>> = fixture().into_iter().map(|b| b.bytes).collect();
    let b: Vec<Vec<u8>> = fixture().into_iter().map(|b| b.bytes).collect();
    assert_eq!(a, b);
    // And another boundary seed changes the boundaries, not the validity.
    let recipients = messages::recipients();
    let mut o = BuildOptions::default();
    o.boundary_seed = Some(b"another seed");
    let (_, alfa) = signers("alfa").into_iter().next().unwrap();
    let other = TransportEnvelope::new(
        messages::ORIGINAL.as_bytes(),
        SENDER,
        &recipients,
        "opec-alfa.20260601100000.1@pec.alfa.test",
        messages::at(0),
    )
    .prepare(&messages::alfa(), &o)
    .unwrap()
    .sign_with(alfa.as_ref())
    .unwrap()
    .into_vec();
    assert_ne!(other, a[0]);
    assert!(
        read(&other, &messages::store(), now(), &ReadOptions::strict())
            .unwrap()
            .is_valid()
    );
}

#[test]
fn the_signer_certificate_must_be_the_emitters() {
    // Alfa's builder, Beta's key: refused before anything is emitted.
    let recipients = messages::recipients();
    let (_, beta) = signers("beta").into_iter().next().unwrap();
    let e = TransportEnvelope::new(
        messages::ORIGINAL.as_bytes(),
        SENDER,
        &recipients,
        "x@pec.alfa.test",
        messages::at(0),
    )
    .prepare(&messages::alfa(), &BuildOptions::default())
    .unwrap()
    .sign_with(beta.as_ref())
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let _ = pki("alfa.der");
}

/// Issue 15: the sender's original is a `multipart/signed` whose second part poses as a hash
/// part. The receiving provider's breve builder must not certify it: a signed original's
/// second part is its signature or the original is refused; and with its signature there,
/// the attachments of the first part are hashed and the signature kept.
#[test]
fn the_breve_builder_does_not_certify_a_hash_part_of_the_senders() {
    let (_, beta_key) = signers("beta").into_iter().next().unwrap();
    let recipients = messages::recipients();
    let envelope = TransportEnvelope::new(
        messages::ORIGINAL.as_bytes(),
        SENDER,
        &recipients,
        "opec-alfa.20260601100000.1@pec.alfa.test",
        messages::at(0),
    );
    let facts = envelope.facts().unwrap();
    let signed_original = |second: &str| {
        format!(
            "From: mario.rossi@pec.alfa.test\r\nTo: anna.bianchi@pec.beta.test\r\n\
Subject: contratto\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; \
protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s\"\r\n\r\n\
--s\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n\
Content-Type: text/plain\r\n\r\nIl contratto.\r\n--m\r\n\
Content-Type: application/pdf; name=\"contratto.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQK\r\n--m--\r\n--s\r\n{second}\r\n--s--\r\n"
        )
    };
    let build = |original: &str| {
        Delivery::new(
            &facts,
            ANNA,
            ReceiptKind::Short,
            "beta-3@pec.beta.test",
            messages::at(2),
        )
        .original(original.as_bytes())
        .prepare(&messages::beta(), &BuildOptions::default())
        .map(|p| p.sign_with(beta_key.as_ref()).unwrap().into_vec())
    };

    let smuggled = signed_original(
        "Content-Type: text/plain; name=\"contratto-firmato.pdf.hash\"\r\n\r\n\
0123456789abcdef0123456789abcdef01234567",
    );
    let e = build(&smuggled).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.message().contains("not its signature"), "{e}");

    let honest = signed_original(
        "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMAA=",
    );
    let bytes = build(&honest).unwrap();
    let m = read(&bytes, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert!(m.is_valid(), "{:?}", m.diagnostics);
    let names: Vec<&str> = m.hashes.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["contratto.pdf"]);
    let original = String::from_utf8_lossy(m.original().unwrap());
    assert!(!original.contains("JVBERi0x"), "the attachment is gone");
    assert!(
        original.contains("name=\"smime.p7s\"\r\n"),
        "the signature stays"
    );
}
