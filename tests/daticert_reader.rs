//! The daticert reader on crafted documents: what strict mode refuses (each with its own
//! error kind), what lenient mode tolerates (each with its diagnostic), and what both refuse.

use pecmail::daticert::{
    CertError, Daticert, DaticertKind, ParseOptions, ReceiptKind, RecipientKind,
};
use pecmail::{DiagnosticCode, ErrorKind, PecTime};

/// The canonical form, as the OpenPEC-family providers write it.
const CANONICAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<postacert tipo="posta-certificata" errore="nessuno">
    <intestazione>
        <mittente>mittente@pec.example.it</mittente>
        <destinatari tipo="certificato">uno@pec.example.it</destinatari>
        <destinatari tipo="esterno">due@example.com</destinatari>
        <risposte>mittente@pec.example.it</risposte>
        <oggetto>Prova &amp; verifica</oggetto>
    </intestazione>
    <dati>
        <gestore-emittente>Example PEC S.p.A.</gestore-emittente>
        <data zona="+0100">
            <giorno>05/12/2024</giorno>
            <ora>00:02:10</ora>
        </data>
        <identificativo>opec1.20241205000210.1@pec.example.it</identificativo>
        <msgid>&lt;abc@client.example&gt;</msgid>
        <ricevuta tipo="completa" />
    </dati>
</postacert>
"#;

fn strict(xml: &str) -> Result<pecmail::daticert::ParsedDaticert, pecmail::Error> {
    Daticert::parse(xml.as_bytes(), &ParseOptions::strict())
}

fn lenient(xml: &str) -> Result<pecmail::daticert::ParsedDaticert, pecmail::Error> {
    Daticert::parse(xml.as_bytes(), &ParseOptions::lenient())
}

fn codes(parsed: &pecmail::daticert::ParsedDaticert) -> Vec<DiagnosticCode> {
    parsed.diagnostics.iter().map(|d| d.code).collect()
}

/// `CANONICAL` with one substring replaced; panics if the pattern is absent, so that a test
/// cannot silently test the canonical document.
fn with(from: &str, to: &str) -> String {
    assert!(
        CANONICAL.contains(from),
        "pattern {from:?} not in CANONICAL"
    );
    CANONICAL.replacen(from, to, 1)
}

fn strict_kind(xml: &str) -> ErrorKind {
    strict(xml).expect_err("strict mode must refuse").kind()
}

fn lenient_kind(xml: &str) -> ErrorKind {
    lenient(xml).expect_err("lenient mode must refuse").kind()
}

#[test]
fn canonical_reads_every_field_with_no_diagnostic() {
    let p = strict(CANONICAL).unwrap();
    assert_eq!(codes(&p), []);
    let d = p.daticert;
    assert_eq!(d.kind, DaticertKind::Transport);
    assert_eq!(d.error, CertError::None);
    assert_eq!(d.header.sender, "mittente@pec.example.it");
    assert_eq!(d.header.recipients.len(), 2);
    assert_eq!(d.header.recipients[0].kind, RecipientKind::Certified);
    assert_eq!(d.header.recipients[1].kind, RecipientKind::External);
    assert_eq!(d.header.recipients[1].address, "due@example.com");
    assert_eq!(d.header.reply_to, "mittente@pec.example.it");
    assert_eq!(d.header.subject.as_deref(), Some("Prova & verifica"));
    assert_eq!(d.data.provider, "Example PEC S.p.A.");
    assert_eq!(
        d.data.time,
        PecTime::from_parts(2024, 12, 5, 0, 2, 10, 60).unwrap()
    );
    assert_eq!(d.data.identifier, "opec1.20241205000210.1@pec.example.it");
    assert_eq!(
        d.data.client_message_id.as_deref(),
        Some("<abc@client.example>")
    );
    assert_eq!(d.data.receipt, Some(ReceiptKind::Full));
    assert_eq!(d.data.delivery, None);
    assert!(d.data.receptions.is_empty());
    assert_eq!(d.data.error_detail, None);
    // And the writer gives back exactly the canonical bytes.
    assert_eq!(d.to_xml().xml, CANONICAL);
}

// ---------------------------------------------------------------------------------------
// Strict mode refuses, each with its own kind.

#[test]
fn strict_refuses_wrong_element_order() {
    let xml = with(
        "        <destinatari tipo=\"esterno\">due@example.com</destinatari>\n        <risposte>mittente@pec.example.it</risposte>\n",
        "        <risposte>mittente@pec.example.it</risposte>\n        <destinatari tipo=\"esterno\">due@example.com</destinatari>\n",
    );
    assert_eq!(strict_kind(&xml), ErrorKind::ElementOrder);
    // Lenient reads each element by name and says so.
    let p = lenient(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlElementOrder]);
    assert_eq!(p.daticert.header.recipients.len(), 2);
    assert_eq!(p.daticert.header.reply_to, "mittente@pec.example.it");
}

#[test]
fn both_modes_refuse_an_unknown_tipo() {
    let xml = with("tipo=\"posta-certificata\"", "tipo=\"posta-certificat\"");
    assert_eq!(strict_kind(&xml), ErrorKind::InvalidValue);
    assert_eq!(lenient_kind(&xml), ErrorKind::InvalidValue);
    let xml = with("tipo=\"posta-certificata\"", "tipo=\"Posta-Certificata\"");
    assert_eq!(strict_kind(&xml), ErrorKind::InvalidValue);
}

#[test]
fn both_modes_refuse_a_missing_identificativo() {
    let xml = with(
        "        <identificativo>opec1.20241205000210.1@pec.example.it</identificativo>\n",
        "",
    );
    assert_eq!(strict_kind(&xml), ErrorKind::MissingElement);
    assert_eq!(lenient_kind(&xml), ErrorKind::MissingElement);
}

#[test]
fn both_modes_refuse_entity_declarations() {
    let billion_laughs = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE postacert [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<postacert tipo="accettazione"><intestazione><mittente>&d;</mittente></intestazione></postacert>"#;
    assert_eq!(strict_kind(billion_laughs), ErrorKind::DtdDeclaration);
    assert_eq!(lenient_kind(billion_laughs), ErrorKind::DtdDeclaration);

    let xxe = with(
        "<postacert ",
        "<!DOCTYPE postacert [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<postacert ",
    )
    .replace("Prova &amp; verifica", "&xxe;");
    assert_eq!(strict_kind(&xxe), ErrorKind::DtdDeclaration);
    assert_eq!(lenient_kind(&xxe), ErrorKind::DtdDeclaration);
}

#[test]
fn both_modes_refuse_input_over_the_size_limit() {
    let mut options = ParseOptions::strict();
    options.max_size = CANONICAL.len() - 1;
    let e = Daticert::parse(CANONICAL.as_bytes(), &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    options.max_size = CANONICAL.len();
    assert!(Daticert::parse(CANONICAL.as_bytes(), &options).is_ok());

    // The default limit is 1 MiB.
    let padding = " ".repeat(1 << 20);
    let big = CANONICAL.replacen("</postacert>\n", &format!("</postacert>{padding}"), 1);
    assert_eq!(strict_kind(&big), ErrorKind::LimitExceeded);
    assert_eq!(lenient_kind(&big), ErrorKind::LimitExceeded);
}

#[test]
fn kinds_of_the_five_required_rejections_are_distinct() {
    let kinds = [
        strict_kind(&with(
            "        <risposte>mittente@pec.example.it</risposte>\n        <oggetto>Prova &amp; verifica</oggetto>\n",
            "        <oggetto>Prova &amp; verifica</oggetto>\n        <risposte>mittente@pec.example.it</risposte>\n",
        )),
        strict_kind(&with("tipo=\"posta-certificata\"", "tipo=\"certificata\"")),
        strict_kind(&with(
            "        <identificativo>opec1.20241205000210.1@pec.example.it</identificativo>\n",
            "",
        )),
        strict_kind(&with(
            "<postacert ",
            "<!DOCTYPE postacert [<!ENTITY e \"x\">]>\n<postacert ",
        )),
        {
            let mut o = ParseOptions::strict();
            o.max_size = 10;
            Daticert::parse(CANONICAL.as_bytes(), &o)
                .unwrap_err()
                .kind()
        },
    ];
    assert_eq!(
        kinds,
        [
            ErrorKind::ElementOrder,
            ErrorKind::InvalidValue,
            ErrorKind::MissingElement,
            ErrorKind::DtdDeclaration,
            ErrorKind::LimitExceeded,
        ]
    );
}

#[test]
fn undefined_entities_are_never_expanded() {
    let xml = with("Prova &amp; verifica", "Prova &eacute;");
    assert_eq!(strict_kind(&xml), ErrorKind::XmlMalformed);
    assert_eq!(lenient_kind(&xml), ErrorKind::XmlMalformed);
}

#[test]
fn duplicates_of_single_elements_are_refused_in_both_modes() {
    let xml = with(
        "        <msgid>",
        "        <identificativo>altro@pec.example.it</identificativo>\n        <msgid>",
    );
    assert_eq!(strict_kind(&xml), ErrorKind::DuplicateElement);
    assert_eq!(lenient_kind(&xml), ErrorKind::DuplicateElement);
    let xml = with(
        "    </intestazione>",
        "        <oggetto>bis</oggetto>\n    </intestazione>",
    );
    assert_eq!(lenient_kind(&xml), ErrorKind::DuplicateElement);
}

#[test]
fn missing_attributes() {
    assert_eq!(
        strict_kind(&with(" tipo=\"posta-certificata\"", "")),
        ErrorKind::MissingAttribute
    );
    assert_eq!(
        lenient_kind(&with(" zona=\"+0100\"", "")),
        ErrorKind::MissingAttribute
    );
    assert_eq!(
        lenient_kind(&with("<ricevuta tipo=\"completa\" />", "<ricevuta />")),
        ErrorKind::MissingAttribute
    );
}

#[test]
fn attribute_defaults_of_the_dtd_apply() {
    let xml = with(" errore=\"nessuno\"", "").replace(" tipo=\"certificato\"", "");
    let p = strict(&xml).unwrap();
    assert_eq!(p.daticert.error, CertError::None);
    assert_eq!(
        p.daticert.header.recipients[0].kind,
        RecipientKind::Certified
    );
}

#[test]
fn enumerated_attributes_are_whitespace_normalised() {
    let p = strict(&with("tipo=\"completa\"", "tipo=\" breve \"")).unwrap();
    assert_eq!(p.daticert.data.receipt, Some(ReceiptKind::Short));
}

#[test]
fn malformed_dates_are_refused() {
    for (from, to) in [
        ("05/12/2024", "2024-12-05"),
        ("05/12/2024", "30/02/2024"),
        ("00:02:10", "0:02:10"),
        ("zona=\"+0100\"", "zona=\"CET\""),
    ] {
        assert_eq!(
            lenient_kind(&with(from, to)),
            ErrorKind::InvalidValue,
            "{to}"
        );
    }
}

#[test]
fn unknown_elements_strict_error_lenient_skipped() {
    let xml = with(
        "        <ricevuta",
        "        <x-provider note=\"1\"><deep><deeper>t</deeper></deep></x-provider>\n        <ricevuta",
    );
    assert_eq!(strict_kind(&xml), ErrorKind::UnknownElement);
    let p = lenient(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlUnknownElement]);
    assert_eq!(p.daticert.data.receipt, Some(ReceiptKind::Full));

    // An element inside a text value.
    let xml = with("Prova &amp; verifica", "Prova <b>bold</b> verifica");
    assert_eq!(strict_kind(&xml), ErrorKind::UnknownElement);
    let p = lenient(&xml).unwrap();
    assert_eq!(
        p.daticert.header.subject.as_deref(),
        Some("Prova  verifica")
    );
}

#[test]
fn unknown_attributes_strict_error_lenient_ignored() {
    let xml = with("<mittente>", "<mittente lang=\"it\">");
    assert_eq!(strict_kind(&xml), ErrorKind::InvalidValue);
    let p = lenient(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlUnknownAttribute]);
}

#[test]
fn stray_text_strict_error_lenient_ignored() {
    // The anonymised fakepec errore-consegna has "</risposte>a".
    let xml = with("</risposte>", "</risposte>a");
    assert_eq!(strict_kind(&xml), ErrorKind::UnexpectedText);
    let p = lenient(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlStrayText]);
    assert_eq!(p.daticert.header.reply_to, "mittente@pec.example.it");
}

#[test]
fn raw_control_character_strict_error_lenient_kept() {
    // Register.it copied U+0016 from the subject.
    let xml = with("Prova &amp; verifica", "RIMBORSO \u{16}IVA");
    assert_eq!(strict_kind(&xml), ErrorKind::XmlMalformed);
    let p = lenient(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlControlCharacter]);
    assert_eq!(
        p.daticert.header.subject.as_deref(),
        Some("RIMBORSO \u{16}IVA")
    );
}

#[test]
fn forbidden_character_reference_strict_error_lenient_kept() {
    // Cedacri writes &#18;.
    let xml = with("Prova &amp; verifica", "Prova&#18;verifica");
    assert_eq!(strict_kind(&xml), ErrorKind::XmlMalformed);
    let p = lenient(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlForbiddenCharReference]);
    assert_eq!(
        p.daticert.header.subject.as_deref(),
        Some("Prova\u{12}verifica")
    );
    // Allowed references are plain text in both modes.
    let p = strict(&with("Prova &amp; verifica", "&#x50;rova&#13;&#10;&#233;")).unwrap();
    assert_eq!(p.daticert.header.subject.as_deref(), Some("Prova\r\né"));
    // A reference to no character at all is malformed in both modes.
    for bad in ["&#0;", "&#xD800;", "&#x110000;", "&#-1;", "&#;", "&#x;"] {
        let xml = with("Prova &amp; verifica", bad);
        assert_eq!(lenient_kind(&xml), ErrorKind::XmlMalformed, "{bad}");
    }
}

#[test]
fn risposte_missing_strict_error_lenient_empty() {
    let xml = with("        <risposte>mittente@pec.example.it</risposte>\n", "");
    assert_eq!(strict_kind(&xml), ErrorKind::MissingElement);
    let p = lenient(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::RisposteMissing]);
    assert_eq!(p.daticert.header.reply_to, "");
}

#[test]
fn risposte_empty_is_valid_and_reported() {
    for empty in ["<risposte></risposte>", "<risposte/>"] {
        let xml = with("<risposte>mittente@pec.example.it</risposte>", empty);
        let p = strict(&xml).unwrap();
        assert_eq!(codes(&p), [DiagnosticCode::RisposteEmpty]);
        assert_eq!(p.daticert.header.reply_to, "");
    }
}

#[test]
fn ricevuta_with_end_tag_is_valid_and_reported() {
    let xml = with(
        "<ricevuta tipo=\"completa\" />",
        "<ricevuta tipo=\"completa\"></ricevuta>",
    );
    let p = strict(&xml).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::RicevutaEndTag]);
    assert_eq!(p.daticert.data.receipt, Some(ReceiptKind::Full));
    // EMPTY means no content at all.
    let xml = with(
        "<ricevuta tipo=\"completa\" />",
        "<ricevuta tipo=\"completa\">x</ricevuta>",
    );
    assert_eq!(strict_kind(&xml), ErrorKind::UnexpectedText);
}

#[test]
fn encoding_label_case_is_reported_other_encodings_refused() {
    // Irideos writes encoding="utf-8".
    let p = strict(&with("encoding=\"UTF-8\"", "encoding=\"utf-8\"")).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlEncodingLabel]);
    for other in ["ISO-8859-1", "UTF-16", "windows-1252"] {
        let xml = with("encoding=\"UTF-8\"", &format!("encoding=\"{other}\""));
        assert_eq!(lenient_kind(&xml), ErrorKind::XmlEncoding, "{other}");
    }
    let mut bytes = CANONICAL.as_bytes().to_vec();
    let at = CANONICAL.find("Prova").unwrap();
    bytes[at] = 0xE8; // è in Latin-1: not UTF-8
    let e = Daticert::parse(&bytes, &ParseOptions::lenient()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::XmlEncoding);
    assert_eq!(e.offset(), Some(at));
}

#[test]
fn layout_variants_are_accepted_and_reported() {
    // Irideos: TAB indentation, CR LF, a blank line between the two parts, no final newline.
    let irideos = CANONICAL
        .replace("    ", "\t")
        .replace("\t</intestazione>\n", "\t</intestazione>\n\n")
        .replace('\n', "\r\n");
    let irideos = irideos.trim_end();
    let p = strict(irideos).unwrap();
    assert_eq!(
        codes(&p),
        [DiagnosticCode::XmlCrlf, DiagnosticCode::XmlIndentation]
    );
    assert_eq!(p.daticert, strict(CANONICAL).unwrap().daticert);

    // Cedacri: no indentation at all.
    let cedacri: String = CANONICAL
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\r\n");
    let p = strict(&cedacri).unwrap();
    assert_eq!(
        codes(&p),
        [DiagnosticCode::XmlCrlf, DiagnosticCode::XmlIndentation]
    );
    assert_eq!(p.daticert, strict(CANONICAL).unwrap().daticert);

    // TIM: two spaces.
    let tim = CANONICAL.replace("    ", "  ");
    assert_eq!(
        codes(&strict(&tim).unwrap()),
        [DiagnosticCode::XmlIndentation]
    );
}

#[test]
fn prolog_variants_are_accepted_and_reported() {
    // TIM 2013: a stylesheet PI, a DOCTYPE line, a blank line.
    let xml = with(
        "<postacert ",
        "<?xml-stylesheet type=\"text/xsl\" href=\"https://example.invalid/pecmail.xsl\"?>\n<!DOCTYPE postacert PUBLIC \"posta certificata\" \"https://example.invalid/pecmail.dtd\">\n\n<postacert ",
    );
    let p = strict(&xml).unwrap();
    assert_eq!(
        codes(&p),
        [
            DiagnosticCode::XmlProcessingInstruction,
            DiagnosticCode::XmlDoctype
        ]
    );

    let no_decl = CANONICAL.split_once('\n').unwrap().1;
    assert_eq!(
        codes(&strict(no_decl).unwrap()),
        [DiagnosticCode::XmlDeclarationMissing]
    );

    let bom = format!("\u{FEFF}{CANONICAL}");
    assert_eq!(codes(&strict(&bom).unwrap()), [DiagnosticCode::XmlBom]);

    let commented = with("    <dati>", "    <!-- dati -->\n    <dati>");
    assert!(codes(&strict(&commented).unwrap()).contains(&DiagnosticCode::XmlComment));

    let cdata = with("Prova &amp; verifica", "<![CDATA[Prova & <verifica>]]>");
    let p = strict(&cdata).unwrap();
    assert_eq!(codes(&p), [DiagnosticCode::XmlCdata]);
    assert_eq!(
        p.daticert.header.subject.as_deref(),
        Some("Prova & <verifica>")
    );
}

#[test]
fn structural_errors() {
    let cases: &[(&str, ErrorKind)] = &[
        ("", ErrorKind::XmlMalformed),
        ("<?xml version=\"1.0\"?>", ErrorKind::XmlMalformed),
        (
            "<postacert tipo=\"accettazione\"/>",
            ErrorKind::MissingElement,
        ),
        (
            "<daticert tipo=\"accettazione\"></daticert>",
            ErrorKind::UnknownElement,
        ),
        (
            "text<postacert tipo=\"accettazione\"></postacert>",
            ErrorKind::XmlMalformed,
        ),
        (
            "<postacert tipo=\"accettazione\"><intestazione></intestazione></postacert>",
            ErrorKind::MissingElement,
        ),
        (
            "<postacert tipo=\"accettazione\" tipo=\"accettazione\"></postacert>",
            ErrorKind::XmlMalformed,
        ),
        (
            "<postacert tipo=\"accettazione\"><dati></postacert>",
            ErrorKind::XmlMalformed,
        ),
        (
            "<postacert tipo='accettazione' errore=\"niente\"></postacert>",
            ErrorKind::InvalidValue,
        ),
    ];
    for (xml, kind) in cases {
        assert_eq!(lenient_kind(xml), *kind, "{xml}");
    }
    // Truncated at every byte: always an error, never a panic.
    for cut in 0..CANONICAL.len() - 1 {
        if let Some(prefix) = CANONICAL.get(..cut) {
            assert!(lenient(prefix).is_err(), "prefix of {cut} bytes parsed");
        }
    }
    // A second root, or text after the root.
    for tail in ["<postacert/>", "x", "<?xml version=\"1.0\"?>"] {
        let xml = format!("{CANONICAL}{tail}");
        assert_eq!(lenient_kind(&xml), ErrorKind::XmlMalformed, "{tail}");
    }
    // A declaration not at the start.
    let xml = format!("\n{CANONICAL}");
    assert_eq!(lenient_kind(&xml), ErrorKind::XmlMalformed);
    assert_eq!(
        lenient_kind(&with("version=\"1.0\"", "version=\"1.1\"")),
        ErrorKind::XmlMalformed
    );
}

#[test]
fn nesting_is_limited() {
    let deep = format!("{}{}", "<x>".repeat(10_000), "</x>".repeat(10_000));
    let xml = with(
        "        <ricevuta",
        &format!("        {deep}\n        <ricevuta"),
    );
    assert_eq!(lenient_kind(&xml), ErrorKind::LimitExceeded);
    assert_eq!(strict_kind(&xml), ErrorKind::UnknownElement);
    let mut options = ParseOptions::lenient();
    options.max_depth = 3;
    let e = Daticert::parse(CANONICAL.as_bytes(), &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn many_unknown_elements_keep_the_report_bounded() {
    let many: String = (0..100_000).map(|i| format!("<x{i}/>")).collect();
    let xml = with(
        "        <ricevuta",
        &format!("        {many}\n        <ricevuta"),
    );
    let p = lenient(&xml).unwrap();
    assert_eq!(p.diagnostics.len(), 100);
    assert!(
        p.diagnostics
            .iter()
            .all(|d| d.code == DiagnosticCode::XmlUnknownElement
                || d.code == DiagnosticCode::XmlIndentation)
    );
    assert_eq!(p.daticert.data.receipt, Some(ReceiptKind::Full));
}

#[test]
fn every_tipo_and_errore_value_reads() {
    for kind in DaticertKind::ALL {
        for error in CertError::ALL {
            let xml = with(
                "tipo=\"posta-certificata\" errore=\"nessuno\"",
                &format!("tipo=\"{kind}\" errore=\"{error}\""),
            );
            let p = strict(&xml).unwrap();
            assert_eq!((p.daticert.kind, p.daticert.error), (*kind, *error));
        }
    }
}

#[test]
fn repeated_ricezione_keep_their_order() {
    let xml = with(
        "        <ricevuta tipo=\"completa\" />\n",
        "        <ricezione>uno@pec.example.it</ricezione>\n        <ricezione>tre@pec.example.it</ricezione>\n        <errore-esteso>x</errore-esteso>\n",
    );
    let p = strict(&xml).unwrap();
    assert_eq!(
        p.daticert.data.receptions,
        ["uno@pec.example.it", "tre@pec.example.it"]
    );
    assert_eq!(p.daticert.data.error_detail.as_deref(), Some("x"));
}
