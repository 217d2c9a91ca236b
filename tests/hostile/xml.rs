//! XML: `daticert.xml` against entity bombs, external entities, huge and deep documents,
//! bad encodings.

use pecmail::DiagnosticCode::*;
use pecmail::ErrorKind::*;
use pecmail::daticert::{Daticert, ParseOptions};

use super::{Case, Expect, Outcome};

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn document(inside_dati: &str) -> String {
    format!(
        "{DECL}<postacert tipo=\"accettazione\" errore=\"nessuno\">\n<intestazione>\n\
<mittente>a@pec.example.it</mittente>\n<destinatari tipo=\"certificato\">b@pec.example.it</destinatari>\n\
<risposte>a@pec.example.it</risposte>\n<oggetto>Prova</oggetto>\n</intestazione>\n<dati>\n\
<gestore-emittente>Example PEC</gestore-emittente>\n<data zona=\"+0100\">\n<giorno>05/12/2024</giorno>\n\
<ora>00:02:10</ora>\n</data>\n<identificativo>opec1.1@pec.example.it</identificativo>\n\
{inside_dati}</dati>\n</postacert>\n"
    )
}

fn strict(xml: &[u8]) -> Outcome {
    Daticert::parse(xml, &ParseOptions::strict())
        .map(|p| p.diagnostics.iter().map(|d| d.code).collect())
}

fn lenient(xml: &[u8]) -> Outcome {
    Daticert::parse(xml, &ParseOptions::lenient())
        .map(|p| p.diagnostics.iter().map(|d| d.code).collect())
}

pub fn cases() -> Vec<Case> {
    let laughs = {
        let mut d = String::from("<!DOCTYPE postacert [\n<!ENTITY lol \"lol\">\n");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            d.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">\n",
                format!("&{prev};").repeat(10)
            ));
        }
        d.push_str("]>\n");
        format!("{DECL}{d}<postacert tipo=\"accettazione\" errore=\"nessuno\">&lol9;</postacert>\n")
    };
    let external = format!(
        "{DECL}<!DOCTYPE postacert [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n\
<postacert tipo=\"accettazione\" errore=\"nessuno\">&x;</postacert>\n"
    );
    let many = document(&"<extra/>\n".repeat(100_000));
    let deep = document(&format!(
        "{}{}",
        "<x>".repeat(10_000),
        "</x>".repeat(10_000)
    ));
    let mut bad_utf8 = document("").into_bytes();
    let at = bad_utf8.windows(5).position(|w| w == b"Prova").unwrap();
    bad_utf8[at] = 0xff;
    vec![
        Case::new(
            "billion laughs",
            laughs.into_bytes(),
            Expect::Error(DtdDeclaration),
            lenient,
        ),
        Case::new(
            "an external entity",
            external.into_bytes(),
            Expect::Error(DtdDeclaration),
            lenient,
        ),
        Case::new(
            "100,000 unknown elements, lenient",
            many.clone().into_bytes(),
            Expect::Diagnostic(XmlUnknownElement),
            lenient,
        ),
        Case::new(
            "100,000 unknown elements, strict",
            many.into_bytes(),
            Expect::Error(UnknownElement),
            strict,
        ),
        Case::new(
            "10,000 levels of nesting",
            deep.into_bytes(),
            Expect::Error(LimitExceeded),
            lenient,
        ),
        Case::new(
            "invalid UTF-8",
            bad_utf8,
            Expect::Error(XmlEncoding),
            lenient,
        ),
        Case::new(
            "a declared encoding other than UTF-8",
            document("").replace("UTF-8", "ISO-8859-1").into_bytes(),
            Expect::Error(XmlEncoding),
            lenient,
        ),
        Case::new(
            "over the 1 MiB limit",
            document(&format!("<!-- {} -->\n", "x".repeat(1 << 20))).into_bytes(),
            Expect::Error(LimitExceeded),
            lenient,
        ),
        Case::new(
            "an unterminated comment",
            format!("{DECL}<postacert tipo=\"accettazione\" errore=\"nessuno\"><!-- forever")
                .into_bytes(),
            Expect::Error(XmlMalformed),
            lenient,
        ),
        Case::new(
            "10,000 attributes on the root",
            {
                let attrs: String = (0..10_000).map(|i| format!(" a{i}=\"v\"")).collect();
                document("")
                    .replacen(
                        "errore=\"nessuno\"",
                        &format!("errore=\"nessuno\"{attrs}"),
                        1,
                    )
                    .into_bytes()
            },
            Expect::Diagnostic(XmlUnknownAttribute),
            lenient,
        ),
        Case::new(
            "a 900 KB subject",
            document("")
                .replace("Prova", &"è".repeat(450_000))
                .into_bytes(),
            Expect::Diagnostic(XmlIndentation),
            lenient,
        ),
    ]
}
