//! The reader against every real message of `../shared/corpus/manifest.tsv`, read in place:
//! kind, daticert `tipo` and signature verdict must match the manifest and OpenSSL, in
//! default (strict) mode, in lenient mode, and in strict mode with exactly the options the
//! row needs. The table below says which options each row needs and why; without them,
//! strict mode must still describe the message and name each deviation (`pec-deviation`).

mod common;

use std::path::Path;

use common::now;
use common::real::{Row, manifest};
use common::{corpus_dir, openssl, scratch, skip_without_corpus};
use pecmail::DiagnosticCode;
use pecmail::build::MessageKind;
use pecmail::read::{PecMessage, ReadOptions, SignatureStatus, read};
use pecmail::trust::TrustStore;

/// A tolerance a row needs for a clean strict read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Stored with bare LF line ends (by a repository or a client): `canonicalize_line_endings`.
    Lf,
    /// Signed in 2014 with a 1024-bit DigitPA-era key: `min_rsa_bits = 1024`. Without it the
    /// signature is refused (status `refused`: it verifies, but the key is below the policy).
    Rsa1024,
    /// `micalg=sha256` (Register.it 2018): `allow_nonstandard_micalg`.
    Micalg,
    /// daticert.xml that strict XML refuses (a raw control character copied from the subject,
    /// stray text): `daticert` in lenient mode. Strict mode still reports its `tipo`.
    LenientDaticert,
    /// A mailing-list tag before the subject prefix (`[Osst-users] [SPAM] `):
    /// `allow_subject_tags`.
    SubjectTag,
}

use Need::*;

/// What each row needs, and why (see also `../shared/corpus/SOURCES.md`).
fn needs(path: &str) -> &'static [Need] {
    match path {
        // Namirial via a mailing list: the archive stores LF; the list added a subject tag
        // to the headers it moved onto the wrapper.
        p if p.starts_with("linux-mailinglist-archives") => &[Lf, SubjectTag],
        // Aruba 2014: LF storage and a 1024-bit key, or the key alone.
        "OCA+l10n-italy/7.0/message1" | "OCA+l10n-italy/7.0/message2" => &[Lf, Rsa1024],
        "OCA+l10n-italy/7.0/message2_accettazione" | "OCA+l10n-italy/7.0/message2_consegna" => {
            &[Rsa1024]
        }
        // Register.it: `micalg=sha256`, and a control character from the subject in <oggetto>.
        "3dinformatica+docway-msa/daticertEncoding2.eml" => &[Micalg, LenientDaticert],
        // Anonymised samples of other parsers: LF storage; the non-delivery notices' daticert
        // has stray text where the anonymiser cut an element.
        "danzipie+go-pec/consegna.eml" | "biagioT+java-pec-parser/consegna.eml" => {
            &[Lf, LenientDaticert]
        }
        // CR LF as sent: nothing to tolerate (their failures are the message's own).
        "OCA+l10n-italy/12.0/POSTA CERTIFICATA_mancata_consegna.txt"
        | "3dinformatica+docway-msa/fattura_passiva_privati_1.eml"
        | "3dinformatica+docway-msa/fattura_passiva_privati_2.eml"
        | "3dinformatica+docway-msa/segnatura-tags.eml"
        | "3dinformatica+docway-msa/segnatura_allegati_non_validi.eml"
        | "3dinformatica+docway-msa/segnatura_solo_testo.eml"
        | "danzipie+go-pec/email_3.eml" => &[],
        // Everything else in the corpus was stored with LF line ends.
        _ => &[Lf],
    }
}

fn with_needs(needs: &[Need]) -> ReadOptions {
    let mut o = ReadOptions::strict();
    for n in needs {
        match n {
            Lf => o.verify.split.canonicalize_line_endings = true,
            Rsa1024 => {
                o.verify.cms.min_rsa_bits = 1024;
                o.trust.min_rsa_bits = 1024;
            }
            Micalg => o.allow_nonstandard_micalg = true,
            LenientDaticert => o.daticert = pecmail::daticert::ParseOptions::lenient(),
            SubjectTag => o.allow_subject_tags = true,
        }
    }
    o
}

/// The manifest's `kind` as the kinds it allows (`None`: not PEC).
fn kinds(manifest: &str) -> Vec<Option<MessageKind>> {
    use MessageKind::*;
    match manifest {
        "not-pec" => vec![None],
        "trasporto:posta-certificata" => vec![Some(TransportEnvelope)],
        "trasporto:errore" => vec![Some(AnomalyEnvelope)],
        "ricevuta:accettazione" => vec![Some(Acceptance)],
        "ricevuta:non-accettazione" => vec![Some(NonAcceptance), Some(NonAcceptanceVirus)],
        "ricevuta:presa-in-carico" => vec![Some(TakingInCharge)],
        "ricevuta:avvenuta-consegna" => vec![
            Some(DeliveryFull),
            Some(DeliveryShort),
            Some(DeliverySummary),
        ],
        "ricevuta:errore-consegna" => vec![Some(NonDelivery), Some(NonDeliveryVirus)],
        "ricevuta:preavviso-errore-consegna" => vec![Some(DeliveryTimeout)],
        "ricevuta:rilevazione-virus" => vec![Some(VirusDetection)],
        other => panic!("manifest kind {other:?} is not known to this test"),
    }
}

/// OpenSSL's verdict on a message: `valid` (exit 0), `invalid` (4: verification failure),
/// or `unreadable` (2: no S/MIME structure it can read).
fn openssl_verdict(file: &Path) -> &'static str {
    let out = openssl(&[
        "cms",
        "-verify",
        "-noverify",
        "-in",
        &file.to_string_lossy(),
        "-out",
        "/dev/null",
    ]);
    match out.status.code() {
        Some(0) => "valid",
        Some(4) => "invalid",
        Some(2) => "unreadable",
        other => panic!("openssl exit {other:?} on {}", file.display()),
    }
}

fn our_verdict(status: SignatureStatus) -> &'static str {
    match status {
        SignatureStatus::Valid => "valid",
        SignatureStatus::Invalid => "invalid",
        SignatureStatus::Refused => "refused",
        _ => "unreadable",
    }
}

fn deviations(m: &PecMessage<'_>) -> Vec<String> {
    let mut all: Vec<String> = m
        .diagnostics
        .iter()
        .filter(|d| d.code == DiagnosticCode::PecDeviation)
        .map(|d| d.detail.clone())
        .collect();
    if let Some(e) = &m.embedded {
        all.extend(deviations(e));
    }
    all
}

/// Checks kind, tipo and signature of one reading against the row (and OpenSSL).
fn check(row: &Row, m: &PecMessage<'_>, openssl: &str, mode: &str, needs_met: bool) {
    let at = format!("{} ({mode})", row.path);
    // A message a mailing list wrapped: not PEC at the top, a transport envelope inside.
    let subject = if row.signature == "nested" {
        assert_eq!(m.kind, None, "{at}: the wrapper is not a PEC message");
        assert_eq!(m.signature, SignatureStatus::Absent, "{at}");
        assert!(!m.is_valid(), "{at}");
        assert!(
            m.diagnostics
                .iter()
                .any(|d| d.code == DiagnosticCode::PecEmbedded),
            "{at}"
        );
        m.embedded
            .as_deref()
            .unwrap_or_else(|| panic!("{at}: no embedded message"))
    } else {
        m
    };
    assert!(
        kinds(&row.kind).contains(&subject.kind),
        "{at}: kind {:?}, manifest {}",
        subject.kind,
        row.kind
    );
    let tipo = subject
        .daticert_tipo
        .map(|t| t.to_string())
        .unwrap_or_else(|| "-".to_owned());
    assert_eq!(tipo, row.tipo, "{at}: daticert tipo");
    if subject.daticert.is_some() {
        assert_eq!(
            subject.daticert.as_ref().map(|d| d.kind),
            subject.daticert_tipo
        );
    }

    let ours = our_verdict(subject.signature);
    let expected = match row.signature.as_str() {
        "nested" => "valid", // of the embedded message; OpenSSL checked it below
        "absent" | "unparsable" => "unreadable",
        v => v,
    };
    if row.signature != "nested" {
        assert_eq!(
            openssl, expected,
            "{at}: OpenSSL disagrees with the manifest"
        );
    }
    let refused_weak_key = !needs_met && needs(&row.path).contains(&Rsa1024);
    if refused_weak_key {
        // Refused by policy, not tampered: OpenSSL verifies it, and so do we, then refuse.
        assert_eq!(
            ours, "refused",
            "{at}: a 1024-bit key is refused by default"
        );
        assert_eq!(expected, "valid", "{at}: the refused signature verifies");
        let e = subject.signature_error.as_ref().unwrap();
        assert!(e.to_string().contains("min_rsa_bits"), "{at}: {e}");
    } else {
        assert_eq!(ours, expected, "{at}: signature, OpenSSL says {openssl}");
    }
    if row.signature == "absent" {
        assert_eq!(subject.signature, SignatureStatus::Absent, "{at}");
    }
    if row.signature == "unparsable" {
        assert_eq!(subject.signature, SignatureStatus::Malformed, "{at}");
    }
}

#[test]
fn every_corpus_row_reads_as_the_manifest_and_openssl_say() {
    let Some(dir) = corpus_dir() else {
        skip_without_corpus("every_corpus_row_reads_as_the_manifest_and_openssl_say");
        return;
    };
    let rows = manifest(&dir);
    assert!(rows.len() >= 29, "{} rows", rows.len());
    let store = TrustStore::new();
    for row in &rows {
        let file = dir.join(&row.path);
        let raw = std::fs::read(&file).unwrap();
        let openssl = openssl_verdict(&file);
        let needs = needs(&row.path);

        // Default (strict): described all the same; each missing tolerance is named.
        let strict = read(&raw, &store, now(), &ReadOptions::strict())
            .unwrap_or_else(|e| panic!("{}: {e}", row.path));
        check(row, &strict, openssl, "strict", false);
        let named = deviations(&strict).join("; ");
        for need in needs {
            let option = match need {
                Lf => Some("canonicalize_line_endings"),
                Micalg => Some("allow_nonstandard_micalg"),
                SubjectTag => Some("allow_subject_tags"),
                // Refused rather than tolerated: checked as a signature refusal above, and
                // as a daticert that strict XML cannot read (its tipo still reported).
                Rsa1024 | LenientDaticert => None,
            };
            if let Some(option) = option {
                assert!(
                    named.contains(option),
                    "{}: {need:?} not named: {named}",
                    row.path
                );
            }
            if *need == LenientDaticert {
                assert!(strict.daticert.is_none(), "{}", row.path);
            }
        }
        if needs.is_empty() {
            assert!(named.is_empty(), "{}: {named}", row.path);
        }

        // Strict plus exactly what the row needs: no deviation left.
        let exact = read(&raw, &store, now(), &with_needs(needs)).unwrap();
        check(row, &exact, openssl, "strict + needs", true);
        assert_eq!(deviations(&exact), Vec::<String>::new(), "{}", row.path);
        if needs.contains(&LenientDaticert) {
            assert!(exact.daticert.is_some(), "{}", row.path);
        }

        // Lenient: everything tolerated.
        let lenient = read(&raw, &store, now(), &ReadOptions::lenient()).unwrap();
        check(row, &lenient, openssl, "lenient", true);
        assert_eq!(deviations(&lenient), Vec::<String>::new(), "{}", row.path);
    }
}

/// The Namirial message a mailing list wrapped: OpenSSL cannot read the wrapper, but the
/// embedded entity (with the wrapper's headers, as the reader rebuilds it) verifies with
/// OpenSSL, and our reader finds a valid transport envelope there.
#[test]
fn the_mailing_list_wrapped_namirial_message_is_an_embedded_transport_envelope() {
    let Some(dir) = corpus_dir() else {
        skip_without_corpus("the_mailing_list_wrapped_namirial_message");
        return;
    };
    let row = manifest(&dir)
        .into_iter()
        .find(|r| r.signature == "nested")
        .expect("the manifest has the nested row");
    let raw = std::fs::read(dir.join(&row.path)).unwrap();
    let m = read(&raw, &TrustStore::new(), now(), &ReadOptions::lenient()).unwrap();
    assert_eq!(m.kind, None);
    let inner = m.embedded.as_deref().unwrap();
    assert_eq!(inner.kind, Some(MessageKind::TransportEnvelope));
    assert_eq!(inner.signature, SignatureStatus::Valid);
    let d = inner.daticert.as_ref().unwrap();
    assert!(
        inner
            .signature_report
            .as_ref()
            .unwrap()
            .signer
            .subject
            .contains("Namirial"),
        "{:?}",
        inner.signature_report.as_ref().unwrap().signer.subject
    );
    assert!(
        d.data.provider.to_lowercase().contains("namirial"),
        "{}",
        d.data.provider
    );
    let file = scratch("namirial-embedded.eml");
    std::fs::write(&file, inner.source()).unwrap();
    assert_eq!(openssl_verdict(&file), "valid");
}

/// The real provider messages, with the AgID CA (or DigitPA's, before 2018) as the only
/// anchor, as a client without the index has it: trusted at a validation time within their
/// certificates' validity, the caller's. The CA certificate is taken from the message's own
/// CMS certificates, read in place (never copied). Each one is then also checked at a time
/// after its signer certificate expired: not trusted.
#[test]
fn real_messages_are_trusted_with_the_agid_ca_as_anchor_at_a_time_within_validity() {
    let Some(dir) = corpus_dir() else {
        skip_without_corpus("real_messages_are_trusted_with_the_agid_ca_as_anchor");
        return;
    };
    let mut trusted = 0;
    for row in manifest(&dir) {
        if row.signature != "valid" && row.signature != "nested" {
            continue;
        }
        let raw = std::fs::read(dir.join(&row.path)).unwrap();
        let options = ReadOptions::lenient();
        // A first reading gives the certificates and the signing time; nothing is trusted.
        let first = read(&raw, &TrustStore::new(), now(), &options).unwrap();
        let first = first.embedded.as_deref().unwrap_or(&first);
        let report = first.signature_report.as_ref().unwrap();
        let ca = report
            .certificates
            .iter()
            .find(|c| {
                let info = pecmail::CertificateInfo::from_der(c).unwrap();
                info.subject == report.signer.issuer
            })
            .unwrap_or_else(|| panic!("{}: the issuing CA is not in the message", row.path));
        let ca_name = pecmail::CertificateInfo::from_der(ca).unwrap().subject;
        assert!(
            ca_name.contains("AgID CA1") || ca_name.contains("DigitPA CA1"),
            "{}: {ca_name}",
            row.path
        );
        let mut store = TrustStore::new();
        store.add_anchor(ca).unwrap();
        // The caller's time: here the time the message was received, which a real archive
        // records; the corpus has none, so the claimed signing time stands in for it, given
        // as the caller's (not ValidationTime::Claimed).
        let at = report
            .signing_time
            .or_else(|| first.daticert.as_ref().map(|d| d.data.time))
            .unwrap();
        let m = read(&raw, &store, at, &options).unwrap();
        let m = m.embedded.as_deref().unwrap_or(&m);
        let t = m.trust.as_ref().unwrap();
        assert_eq!(
            t.verdict,
            pecmail::trust::TrustVerdict::Trusted,
            "{}: {}",
            row.path,
            t.detail
        );
        trusted += 1;
        // After the signer certificate expired: not trusted any more.
        let later =
            pecmail::PecTime::from_unix(report.signer.not_after.unix_seconds() + 1, 0).unwrap();
        let m = read(&raw, &store, later, &options).unwrap();
        let m = m.embedded.as_deref().unwrap_or(&m);
        assert!(!m.is_valid(), "{}", row.path);
        assert_eq!(
            m.trust.as_ref().unwrap().verdict,
            pecmail::trust::TrustVerdict::Expired,
            "{}",
            row.path
        );
    }
    assert!(trusted >= 16, "{trusted} real messages checked");
}
