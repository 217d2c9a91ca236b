//! The `daticert.xml` writer.

use core::fmt::Write as _;

use super::Daticert;
use crate::error::{Diagnostic, DiagnosticCode};

/// Options of [`Daticert::to_xml_with`].
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Write `<!DOCTYPE postacert SYSTEM "daticert.dtd">` after the XML declaration. No
    /// observed provider does; off by default.
    pub doctype: bool,
}

/// The output of the writer: the document and what had to be changed to keep it well-formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenXml {
    /// The document, UTF-8.
    pub xml: String,
    /// One `xml-char-replaced` diagnostic per element whose text had forbidden characters;
    /// empty in the normal case.
    pub diagnostics: Vec<Diagnostic>,
}

impl Daticert {
    /// Writes the document with default options (no DOCTYPE).
    ///
    /// Output rules (spec 4.3, as the OpenPEC-family providers write it):
    ///
    /// - UTF-8, first line `<?xml version="1.0" encoding="UTF-8"?>`, optionally followed by
    ///   `<!DOCTYPE postacert SYSTEM "daticert.dtd">` ([`WriteOptions::doctype`], off by default);
    /// - elements in DTD order, one per line, 4-space indentation, LF line ends, a final LF;
    /// - `<ricevuta tipo=".." />` self-closed; optional elements written only when present;
    ///   `risposte` always written (empty when the value is empty);
    /// - text escapes `&`, `<`, `>` and CR (as `&#13;`, so that it survives the end-of-line
    ///   normalisation of XML readers); attribute values also escape `"`, TAB and LF;
    /// - **forbidden characters**: a character XML 1.0 does not allow (C0 controls other than
    ///   TAB, LF, CR; U+FFFE; U+FFFF) cannot be written in any form. Each one is replaced by
    ///   U+FFFD REPLACEMENT CHARACTER and the replacement is reported as an `xml-char-replaced`
    ///   diagnostic naming the element and the code points, so that nothing is lost silently.
    pub fn to_xml(&self) -> WrittenXml {
        self.to_xml_with(&WriteOptions::default())
    }

    /// Writes the document with the given options.
    pub fn to_xml_with(&self, options: &WriteOptions) -> WrittenXml {
        let mut w = XmlWriter {
            out: String::with_capacity(1024),
            diagnostics: Vec::new(),
        };
        w.out
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if options.doctype {
            w.out
                .push_str("<!DOCTYPE postacert SYSTEM \"daticert.dtd\">\n");
        }
        let _ = writeln!(
            w.out,
            "<postacert tipo=\"{}\" errore=\"{}\">",
            self.kind.as_str(),
            self.error.as_str()
        );

        let h = &self.header;
        w.out.push_str("    <intestazione>\n");
        w.leaf(2, "mittente", &h.sender);
        for r in &h.recipients {
            w.leaf_with_attr(2, "destinatari", "tipo", r.kind.as_str(), &r.address);
        }
        w.leaf(2, "risposte", &h.reply_to);
        if let Some(subject) = &h.subject {
            w.leaf(2, "oggetto", subject);
        }
        w.out.push_str("    </intestazione>\n");

        let d = &self.data;
        w.out.push_str("    <dati>\n");
        w.leaf(2, "gestore-emittente", &d.provider);
        let _ = writeln!(w.out, "        <data zona=\"{}\">", d.time.zone());
        w.leaf(3, "giorno", &d.time.day());
        w.leaf(3, "ora", &d.time.time_of_day());
        w.out.push_str("        </data>\n");
        w.leaf(2, "identificativo", &d.identifier);
        if let Some(msgid) = &d.client_message_id {
            w.leaf(2, "msgid", msgid);
        }
        if let Some(receipt) = d.receipt {
            let _ = writeln!(w.out, "        <ricevuta tipo=\"{}\" />", receipt.as_str());
        }
        if let Some(delivery) = &d.delivery {
            w.leaf(2, "consegna", delivery);
        }
        for r in &d.receptions {
            w.leaf(2, "ricezione", r);
        }
        if let Some(detail) = &d.error_detail {
            w.leaf(2, "errore-esteso", detail);
        }
        w.out.push_str("    </dati>\n");
        w.out.push_str("</postacert>\n");

        WrittenXml {
            xml: w.out,
            diagnostics: w.diagnostics,
        }
    }
}

struct XmlWriter {
    out: String,
    diagnostics: Vec<Diagnostic>,
}

impl XmlWriter {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str("    ");
        }
    }

    fn leaf(&mut self, level: usize, name: &str, text: &str) {
        self.indent(level);
        let _ = write!(self.out, "<{name}>");
        self.text(name, text, false);
        let _ = writeln!(self.out, "</{name}>");
    }

    fn leaf_with_attr(&mut self, level: usize, name: &str, attr: &str, value: &str, text: &str) {
        self.indent(level);
        let _ = write!(self.out, "<{name} {attr}=\"");
        self.text(name, value, true);
        self.out.push_str("\">");
        self.text(name, text, false);
        let _ = writeln!(self.out, "</{name}>");
    }

    fn text(&mut self, element: &str, text: &str, in_attribute: bool) {
        let mut replaced: Vec<char> = Vec::new();
        for c in text.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '\r' => self.out.push_str("&#13;"),
                '"' if in_attribute => self.out.push_str("&quot;"),
                '\t' if in_attribute => self.out.push_str("&#9;"),
                '\n' if in_attribute => self.out.push_str("&#10;"),
                c if is_xml_char(c) => self.out.push(c),
                c => {
                    replaced.push(c);
                    self.out.push('\u{FFFD}');
                }
            }
        }
        if !replaced.is_empty() {
            let points: Vec<String> = replaced
                .iter()
                .map(|c| format!("U+{:04X}", u32::from(*c)))
                .collect();
            self.diagnostics.push(Diagnostic::new(
                DiagnosticCode::XmlCharReplaced,
                format!("<{element}>: {} written as U+FFFD", points.join(", ")),
            ));
        }
    }
}

/// The `Char` production of XML 1.0: `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
/// [#x10000-#x10FFFF]` (surrogates cannot occur in a Rust `char`).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daticert::{CertData, CertError, DaticertKind, Header, ReceiptKind, Recipient};
    use crate::time::PecTime;

    fn envelope() -> Daticert {
        Daticert {
            kind: DaticertKind::Transport,
            error: CertError::None,
            header: Header {
                sender: "altea.l@namirialpec.it".into(),
                recipients: vec![
                    Recipient::external("osm.ism@bedag.ch"),
                    Recipient::certified("b@pec.example.it"),
                ],
                reply_to: "altea.l@namirialpec.it".into(),
                subject: Some("Norah Colly".into()),
            },
            data: CertData {
                provider: "Namirial S.p.A.".into(),
                time: PecTime::from_parts(2024, 12, 5, 0, 2, 10, 60).unwrap(),
                identifier: "opec21192.20241205000210.24820.46.1.184@sicurezzapostale.it".into(),
                client_message_id: Some(
                    "<2839ed57-e664-4020-bb69-6a8cb92d05a6@email.android.com>".into(),
                ),
                receipt: Some(ReceiptKind::Full),
                delivery: None,
                receptions: vec![],
                error_detail: None,
            },
        }
    }

    #[test]
    fn writes_the_provider_form_exactly() {
        let w = envelope().to_xml();
        assert!(w.diagnostics.is_empty());
        let expected = "\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<postacert tipo=\"posta-certificata\" errore=\"nessuno\">
    <intestazione>
        <mittente>altea.l@namirialpec.it</mittente>
        <destinatari tipo=\"esterno\">osm.ism@bedag.ch</destinatari>
        <destinatari tipo=\"certificato\">b@pec.example.it</destinatari>
        <risposte>altea.l@namirialpec.it</risposte>
        <oggetto>Norah Colly</oggetto>
    </intestazione>
    <dati>
        <gestore-emittente>Namirial S.p.A.</gestore-emittente>
        <data zona=\"+0100\">
            <giorno>05/12/2024</giorno>
            <ora>00:02:10</ora>
        </data>
        <identificativo>opec21192.20241205000210.24820.46.1.184@sicurezzapostale.it</identificativo>
        <msgid>&lt;2839ed57-e664-4020-bb69-6a8cb92d05a6@email.android.com&gt;</msgid>
        <ricevuta tipo=\"completa\" />
    </dati>
</postacert>
";
        assert_eq!(w.xml, expected);
    }

    #[test]
    fn doctype_is_optional() {
        let mut opts = WriteOptions::default();
        assert!(!envelope().to_xml_with(&opts).xml.contains("DOCTYPE"));
        opts.doctype = true;
        let xml = envelope().to_xml_with(&opts).xml;
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE postacert SYSTEM \"daticert.dtd\">\n<postacert "
        ));
    }

    #[test]
    fn escapes_markup_and_cr() {
        let mut d = envelope();
        d.header.subject = Some("a & b <c> \"d\" 'e'\r\nf\tg]]>".into());
        let w = d.to_xml();
        assert!(
            w.xml
                .contains("<oggetto>a &amp; b &lt;c&gt; \"d\" 'e'&#13;\nf\tg]]&gt;</oggetto>")
        );
        assert!(w.diagnostics.is_empty());
    }

    #[test]
    fn replaces_forbidden_characters_and_reports_them() {
        let mut d = envelope();
        d.header.subject = Some("RIMBORSO \u{16}IVA\u{0}\u{FFFE}".into());
        let w = d.to_xml();
        assert!(
            w.xml
                .contains("<oggetto>RIMBORSO \u{FFFD}IVA\u{FFFD}\u{FFFD}</oggetto>")
        );
        assert_eq!(w.diagnostics.len(), 1);
        assert_eq!(w.diagnostics[0].code, DiagnosticCode::XmlCharReplaced);
        assert_eq!(
            w.diagnostics[0].detail,
            "<oggetto>: U+0016, U+0000, U+FFFE written as U+FFFD"
        );
    }

    #[test]
    fn xml_char_production() {
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            'é',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            assert!(is_xml_char(c), "{c:?}");
        }
        for c in [
            '\0', '\u{8}', '\u{B}', '\u{C}', '\u{1F}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert!(!is_xml_char(c), "{c:?}");
        }
    }
}
