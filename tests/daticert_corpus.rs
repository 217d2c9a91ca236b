//! Every real `daticert.xml` of the corpus, read in place from `../shared/corpus`: the right
//! `tipo`, exactly the diagnostics each file must raise, whether strict mode accepts it, and
//! what the validator finds. The test skips, saying so, only when the corpus is absent.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use pecmail::DiagnosticCode::{self, *};
use pecmail::daticert::{Daticert, DaticertKind, ParseOptions};

struct Expect {
    /// Path under `../shared/corpus`.
    path: &'static str,
    tipo: DaticertKind,
    /// Diagnostics of a lenient read, in order.
    lenient: &'static [DiagnosticCode],
    /// Whether strict mode accepts the file.
    strict_ok: bool,
    /// Findings of the validator.
    validation: &'static [DiagnosticCode],
}

const fn ok(path: &'static str, tipo: DaticertKind) -> Expect {
    Expect {
        path,
        tipo,
        lenient: &[],
        strict_ok: true,
        validation: &[],
    }
}

use DaticertKind::{Acceptance, Delivery, NonDelivery, Transport};

const EXPECTED: &[Expect] = &[
    // Register.it, 2018: raw U+0016 copied from the subject into <oggetto>; signature valid.
    Expect {
        lenient: &[XmlControlCharacter],
        strict_ok: false,
        ..ok(
            "_extracted-daticert/3dinformatica+docway-msa/daticertEncoding2.eml.daticert.xml",
            Transport,
        )
    },
    // TIM 2019: 2-space indentation, CR LF, an extra trailing CR LF.
    Expect {
        lenient: &[XmlCrlf, XmlIndentation],
        ..ok(
            "_extracted-daticert/3dinformatica+docway-msa/erroreParsingEccezioneXML.eml.daticert.xml",
            Transport,
        )
    },
    ok(
        "_extracted-daticert/3dinformatica+docway-msa/fattura_passiva_privati_1.eml.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/3dinformatica+docway-msa/fattura_passiva_privati_2.eml.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/3dinformatica+docway-msa/segnatura-tags.eml.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/3dinformatica+docway-msa/segnatura_allegati_non_validi.eml.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/3dinformatica+docway-msa/segnatura_solo_testo.eml.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/biagioT+java-pec-parser/accettazione.eml.daticert.xml",
        Acceptance,
    ),
    // Anonymised fakepec errore-consegna: a stray "a" after </risposte>, and the anonymiser
    // changed <destinatari> but not <consegna>.
    Expect {
        lenient: &[XmlStrayText],
        strict_ok: false,
        validation: &[ConsegnaNotRecipient],
        ..ok(
            "_extracted-daticert/biagioT+java-pec-parser/consegna.eml.daticert.xml",
            NonDelivery,
        )
    },
    ok(
        "_extracted-daticert/danzipie+go-pec/accettazione.eml.daticert.xml",
        Acceptance,
    ),
    Expect {
        lenient: &[XmlStrayText],
        strict_ok: false,
        validation: &[ConsegnaNotRecipient],
        ..ok(
            "_extracted-daticert/danzipie+go-pec/consegna.eml.daticert.xml",
            NonDelivery,
        )
    },
    // No trailing newline: not a deviation.
    ok(
        "_extracted-daticert/danzipie+go-pec/email_2.eml.daticert.xml",
        Delivery,
    ),
    ok(
        "_extracted-daticert/danzipie+go-pec/email_3.eml.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/fabioportieri+java-pec-parser/[XDCR] xdcr_2022_02_00583.txt.eml.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/12.0/ACCETTAZIONE_ IT03339130126_00009.xml.txt.daticert.xml",
        Acceptance,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/12.0/CONSEGNA_ IT03339130126_00009.xml.txt.daticert.xml",
        Delivery,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Invio File 7339338 (base64).txt.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Invio File 7339338 (broken XML).txt.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Invio File 7339338.txt.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Ricevuta di consegna 6782414.txt.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/14.0/POSTA CERTIFICATA_ Invio File 7339338.txt.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/7.0/message1.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/7.0/message2.daticert.xml",
        Transport,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/7.0/message2_accettazione.daticert.xml",
        Acceptance,
    ),
    ok(
        "_extracted-daticert/OCA+l10n-italy/7.0/message2_consegna.daticert.xml",
        Delivery,
    ),
    // Namirial 2024, seven external recipients.
    ok(
        "_extracted-daticert/linux-mailinglist-archives+osst-users.lists.sourceforge.net.0/6919bccf0cd20737872e16ce245107b3148b8313/m.daticert.xml",
        Transport,
    ),
    // TIM 2013, reconstructed: xml-stylesheet PI, DOCTYPE, blank line, 2 spaces, CR LF.
    Expect {
        lenient: &[
            XmlCrlf,
            XmlProcessingInstruction,
            XmlDoctype,
            XmlIndentation,
        ],
        ..ok(
            "GerardoMT95+SportelloPaesaggio/RicevutaParse.java.daticert.xml",
            Delivery,
        )
    },
];

fn codes(diags: &[pecmail::Diagnostic]) -> Vec<DiagnosticCode> {
    diags.iter().map(|d| d.code).collect()
}

#[test]
fn every_corpus_daticert_reads_with_its_tipo_and_diagnostics() {
    let Some(corpus) = common::corpus_dir() else {
        common::skip_without_corpus("every_corpus_daticert_reads_with_its_tipo_and_diagnostics");
        return;
    };
    for e in EXPECTED {
        let bytes =
            std::fs::read(corpus.join(e.path)).unwrap_or_else(|err| panic!("{}: {err}", e.path));
        let parsed = Daticert::parse(&bytes, &ParseOptions::lenient())
            .unwrap_or_else(|err| panic!("{}: lenient read failed: {err}", e.path));
        assert_eq!(parsed.daticert.kind, e.tipo, "{}", e.path);
        assert_eq!(codes(&parsed.diagnostics), e.lenient, "{}", e.path);
        assert_eq!(
            codes(&parsed.daticert.validate()),
            e.validation,
            "{}",
            e.path
        );

        let strict = Daticert::parse(&bytes, &ParseOptions::strict());
        assert_eq!(
            strict.is_ok(),
            e.strict_ok,
            "{}: strict gave {strict:?}",
            e.path
        );
        if let Ok(strict) = strict {
            assert_eq!(strict.daticert, parsed.daticert, "{}", e.path);
            assert_eq!(strict.diagnostics, parsed.diagnostics, "{}", e.path);
        }

        // What we write from it reads back to the same value, canonically.
        let written = parsed.daticert.to_xml();
        let again = Daticert::parse(written.xml.as_bytes(), &ParseOptions::strict())
            .unwrap_or_else(|err| panic!("{}: rewritten form does not parse: {err}", e.path));
        if written.diagnostics.is_empty() {
            assert_eq!(again.daticert, parsed.daticert, "{}", e.path);
        }
    }
}

#[test]
fn the_register_it_subject_is_kept_and_rewritten_with_a_report() {
    let Some(corpus) = common::corpus_dir() else {
        common::skip_without_corpus("the_register_it_subject_is_kept_and_rewritten_with_a_report");
        return;
    };
    let path = corpus
        .join("_extracted-daticert/3dinformatica+docway-msa/daticertEncoding2.eml.daticert.xml");
    let parsed = Daticert::parse(&std::fs::read(path).unwrap(), &ParseOptions::lenient()).unwrap();
    let subject = parsed.daticert.header.subject.clone().unwrap();
    assert!(subject.contains("RN \tRIMBORSO IVA"), "{subject:?}");
    assert!(subject.contains("\u{16} EASY BUSINESS"), "{subject:?}");
    let written = parsed.daticert.to_xml();
    assert_eq!(codes(&written.diagnostics), [XmlCharReplaced]);
    assert!(written.xml.contains("\u{FFFD} EASY BUSINESS"));
}

#[test]
fn the_table_covers_every_daticert_file_in_the_corpus() {
    let Some(corpus) = common::corpus_dir() else {
        common::skip_without_corpus("the_table_covers_every_daticert_file_in_the_corpus");
        return;
    };
    let mut found = BTreeSet::new();
    for dir in ["_extracted-daticert", "GerardoMT95+SportelloPaesaggio"] {
        collect(&corpus, &corpus.join(dir), &mut found);
    }
    let listed: BTreeSet<String> = EXPECTED.iter().map(|e| e.path.to_owned()).collect();
    assert_eq!(found, listed);
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.insert(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}
