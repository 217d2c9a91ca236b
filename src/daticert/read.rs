//! The `daticert.xml` reader.

use std::collections::HashSet;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::write::is_xml_char;
use super::{
    CertData, CertError, Daticert, DaticertKind, Header, ReceiptKind, Recipient, RecipientKind,
};
use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind};
use crate::time::PecTime;

/// Strict (DTD) or lenient (real-world) reading of `daticert.xml` (spec 4.1, 4.3).
///
/// **Strict** ([`DaticertMode::Strict`], the default) accepts exactly the documents that are
/// well-formed XML 1.0 in UTF-8 and valid against the DTD (spec 4.1): element order, required
/// elements and attributes, allowed values, no text where only elements may be. Layout (CR LF,
/// any indentation), comments, processing instructions, a DOCTYPE line, `utf-8` in lower case,
/// an empty `risposte` and `<ricevuta ..></ricevuta>` are all valid XML and valid against the
/// DTD, so strict mode accepts them and reports each as an `info` diagnostic.
///
/// **Lenient** ([`DaticertMode::Lenient`]) also accepts the real-world deviations that break
/// the DTD or well-formedness, each reported as a `warning` diagnostic (see
/// [`DiagnosticCode`]): a missing `risposte`, raw control characters or character references
/// to characters XML forbids (kept as they are), unknown elements (skipped with their
/// content) and attributes (ignored), stray text between elements (ignored), elements out of
/// order (read by name).
///
/// Both modes refuse: input over [`ParseOptions::max_size`], nesting deeper than
/// [`ParseOptions::max_depth`], encodings other than UTF-8, any DTD internal subset (entity
/// declarations are never processed, so no entity is ever expanded), undefined entities, a
/// duplicated single element, a missing required element other than `risposte`, an unknown
/// `tipo` or other enumerated value, and a malformed date.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DaticertMode {
    /// Well-formed XML valid against the DTD; cosmetic differences are reported.
    #[default]
    Strict,
    /// Also the deviations real providers send, each reported.
    Lenient,
}

/// Options of [`Daticert::parse`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Strict or lenient reading. Default: strict.
    pub mode: DaticertMode,
    /// The largest input accepted, in bytes. Default: 1 MiB (real files are under 2 KiB).
    pub max_size: usize,
    /// The deepest element nesting accepted. The DTD needs 4; unknown elements skipped in
    /// lenient mode may nest deeper, up to this limit. Default: 32.
    pub max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            mode: DaticertMode::Strict,
            max_size: 1 << 20,
            max_depth: 32,
        }
    }
}

impl ParseOptions {
    /// Strict mode with default limits.
    pub fn strict() -> Self {
        ParseOptions::default()
    }

    /// Lenient mode with default limits.
    pub fn lenient() -> Self {
        ParseOptions {
            mode: DaticertMode::Lenient,
            ..ParseOptions::default()
        }
    }
}

/// The result of [`Daticert::parse`]: the document and what was noticed while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDaticert {
    /// The certification data.
    pub daticert: Daticert,
    /// Deviations and cosmetic differences, in the order they were found. Identical
    /// diagnostics are reported once, and at most 100 are kept.
    pub diagnostics: Vec<Diagnostic>,
}

/// The `tipo` a `daticert.xml` declares on its root element, read from the start tag alone
/// (the first 4 KiB), even when the rest of the document is broken or cut. For describing a
/// damaged message, never for trusting it: [`Daticert::parse`] is the reader.
pub(crate) fn declared_kind(input: &[u8]) -> Option<DaticertKind> {
    let head = input.get(..input.len().min(4096))?;
    let start = memchr::memmem::find(head, b"<postacert")? + b"<postacert".len();
    let tag = head.get(start..)?;
    let tag = tag.get(..memchr::memchr(b'>', tag).unwrap_or(tag.len()))?;
    let mut rest = tag;
    while let Some(at) = memchr::memmem::find(rest, b"tipo") {
        let before = at.checked_sub(1).and_then(|i| rest.get(i)).copied();
        let after = rest.get(at + 4..).unwrap_or(&[]);
        rest = after;
        if !before.is_some_and(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let after = after
            .trim_ascii_start()
            .strip_prefix(b"=")?
            .trim_ascii_start();
        let (&quote, value) = after.split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let value = value.get(..memchr::memchr(quote, value)?)?;
        return DaticertKind::from_wire(std::str::from_utf8(value).ok()?);
    }
    None
}

impl Daticert {
    /// Reads a `daticert.xml` document (spec 4). [`DaticertMode`] says what each mode
    /// accepts; [`ParseOptions`] holds the mode and the limits.
    ///
    /// ```
    /// use pecmail::daticert::{Daticert, DaticertKind, ParseOptions};
    /// let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
    /// <postacert tipo="accettazione" errore="nessuno">
    ///     <intestazione>
    ///         <mittente>a@pec.example.it</mittente>
    ///         <destinatari tipo="certificato">b@pec.example.it</destinatari>
    ///         <risposte>a@pec.example.it</risposte>
    ///         <oggetto>Prova</oggetto>
    ///     </intestazione>
    ///     <dati>
    ///         <gestore-emittente>Example PEC S.p.A.</gestore-emittente>
    ///         <data zona="+0100">
    ///             <giorno>05/12/2024</giorno>
    ///             <ora>00:02:10</ora>
    ///         </data>
    ///         <identificativo>opec1.20241205000210.1@pec.example.it</identificativo>
    ///         <msgid>&lt;1@client.example&gt;</msgid>
    ///     </dati>
    /// </postacert>
    /// "#;
    /// let parsed = Daticert::parse(xml, &ParseOptions::strict()).unwrap();
    /// assert_eq!(parsed.daticert.kind, DaticertKind::Acceptance);
    /// assert_eq!(parsed.daticert.data.client_message_id.as_deref(), Some("<1@client.example>"));
    /// assert!(parsed.diagnostics.is_empty());
    /// ```
    pub fn parse(input: &[u8], options: &ParseOptions) -> Result<ParsedDaticert, Error> {
        if input.len() > options.max_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "daticert.xml is {} bytes, over the limit of {}",
                    input.len(),
                    options.max_size
                ),
            ));
        }
        let mut diagnostics = Vec::new();
        let (body, bom) = match input.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, 3),
            None => (input, 0),
        };
        if bom > 0 {
            diagnostics.push(Diagnostic::new(
                DiagnosticCode::XmlBom,
                "UTF-8 byte order mark before the declaration",
            ));
        }
        let text = std::str::from_utf8(body).map_err(|e| {
            Error::new(ErrorKind::XmlEncoding, "daticert.xml is not valid UTF-8")
                .at(bom + e.valid_up_to())
        })?;
        if text.contains('\r') {
            diagnostics.push(Diagnostic::new(
                DiagnosticCode::XmlCrlf,
                "CR LF or CR line endings",
            ));
        }
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        let mut parser = Parser {
            reader,
            base: bom,
            lenient: options.mode == DaticertMode::Lenient,
            max_depth: options.max_depth,
            diagnostics,
            reported: HashSet::new(),
            whitespace: String::new(),
            layout_reported: false,
        };
        let daticert = parser.document()?;
        Ok(ParsedDaticert {
            daticert,
            diagnostics: parser.diagnostics,
        })
    }
}

/// The most diagnostics one document can produce; the rest are dropped.
pub(crate) const MAX_DIAGNOSTICS: usize = 100;

/// One child slot of a container element, in DTD order.
struct Slot {
    name: &'static str,
    repeats: bool,
}

const fn one(name: &'static str) -> Slot {
    Slot {
        name,
        repeats: false,
    }
}

const fn many(name: &'static str) -> Slot {
    Slot {
        name,
        repeats: true,
    }
}

const ROOT_ELEMENT: &[Slot] = &[one("intestazione"), one("dati")];
const INTESTAZIONE: &[Slot] = &[
    one("mittente"),
    many("destinatari"),
    one("risposte"),
    one("oggetto"),
];
const DATI: &[Slot] = &[
    one("gestore-emittente"),
    one("data"),
    one("identificativo"),
    one("msgid"),
    one("ricevuta"),
    one("consegna"),
    many("ricezione"),
    one("errore-esteso"),
];
const DATA: &[Slot] = &[one("giorno"), one("ora")];

/// A start tag, and whether it was self-closed (`<x/>`).
struct Tag<'i> {
    start: BytesStart<'i>,
    empty: bool,
}

impl Tag<'_> {
    fn name(&self) -> String {
        self.start.name().as_ref().to_owned()
    }
}

struct Parser<'i> {
    reader: Reader<&'i [u8]>,
    /// Bytes skipped before the reader's input (a BOM), added to reported offsets.
    base: usize,
    lenient: bool,
    max_depth: usize,
    diagnostics: Vec<Diagnostic>,
    /// What `diagnostics` already holds, for de-duplication.
    reported: HashSet<(DiagnosticCode, String)>,
    /// Whitespace text seen since the last tag, to check the layout.
    whitespace: String,
    layout_reported: bool,
}

#[derive(Default)]
struct Partial {
    sender: Option<String>,
    recipients: Vec<Recipient>,
    reply_to: Option<String>,
    subject: Option<String>,
    provider: Option<String>,
    time: Option<PecTime>,
    identifier: Option<String>,
    client_message_id: Option<String>,
    receipt: Option<ReceiptKind>,
    delivery: Option<String>,
    receptions: Vec<String>,
    error_detail: Option<String>,
    seen_intestazione: bool,
    seen_dati: bool,
}

impl<'i> Parser<'i> {
    fn offset(&self) -> usize {
        self.base + usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX - self.base)
    }

    fn err(&self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(kind, message).at(self.offset())
    }

    /// Records a diagnostic once; past [`MAX_DIAGNOSTICS`] further ones are dropped, so that
    /// hostile input cannot grow the report faster than the input.
    fn diag(&mut self, code: DiagnosticCode, detail: impl Into<String>) {
        let detail = detail.into();
        if self.diagnostics.len() < MAX_DIAGNOSTICS && self.reported.insert((code, detail.clone()))
        {
            self.diagnostics.push(Diagnostic::new(code, detail));
        }
    }

    /// In lenient mode records the deviation; in strict mode fails with `kind`.
    fn deviation(
        &mut self,
        code: DiagnosticCode,
        kind: ErrorKind,
        detail: String,
    ) -> Result<(), Error> {
        if self.lenient {
            self.diag(code, detail);
            Ok(())
        } else {
            Err(self.err(kind, detail))
        }
    }

    /// The next event that matters: comments and processing instructions are reported and
    /// skipped here, wherever they are.
    fn next(&mut self) -> Result<Event<'i>, Error> {
        loop {
            let event = self.reader.read_event().map_err(|e| {
                let at = self.base
                    + usize::try_from(self.reader.error_position())
                        .unwrap_or(usize::MAX - self.base);
                Error::new(ErrorKind::XmlMalformed, e.to_string()).at(at)
            })?;
            match event {
                Event::Comment(_) => self.diag(DiagnosticCode::XmlComment, "comment ignored"),
                Event::PI(pi) => {
                    let target = pi.target().to_owned();
                    self.diag(
                        DiagnosticCode::XmlProcessingInstruction,
                        format!("<?{target} ...?> ignored"),
                    );
                }
                other => return Ok(other),
            }
        }
    }

    fn document(&mut self) -> Result<Daticert, Error> {
        let mut first = true;
        let mut declared = false;
        let root = loop {
            let event = self.next()?;
            let was_first = core::mem::replace(&mut first, false);
            match event {
                Event::Decl(decl) if was_first => {
                    declared = true;
                    self.declaration(&decl)?;
                }
                Event::Decl(_) => {
                    return Err(self.err(
                        ErrorKind::XmlMalformed,
                        "XML declaration not at the start of the document",
                    ));
                }
                Event::DocType(doctype) => {
                    if doctype.contains('[') {
                        return Err(self.err(
                            ErrorKind::DtdDeclaration,
                            "DOCTYPE with an internal subset: entity and other declarations \
                             are never processed",
                        ));
                    }
                    self.diag(
                        DiagnosticCode::XmlDoctype,
                        format!("<!DOCTYPE {}> not processed", doctype.as_ref().trim()),
                    );
                }
                Event::Text(t) if t.as_ref().chars().all(is_xml_whitespace) => {}
                Event::Start(start) => {
                    break Tag {
                        start,
                        empty: false,
                    };
                }
                Event::Empty(start) => break Tag { start, empty: true },
                Event::Eof => {
                    return Err(self.err(ErrorKind::XmlMalformed, "no root element"));
                }
                _ => {
                    return Err(
                        self.err(ErrorKind::XmlMalformed, "content before the root element")
                    );
                }
            }
        };
        if !declared {
            self.diag(
                DiagnosticCode::XmlDeclarationMissing,
                "no XML declaration; UTF-8 assumed",
            );
        }
        if root.name() != "postacert" {
            return Err(self.err(
                ErrorKind::UnknownElement,
                format!("root element <{}> is not <postacert>", root.name()),
            ));
        }

        let mut kind = None;
        let mut error = None;
        for (name, value) in self.attributes(&root, &["tipo", "errore"])? {
            match name {
                "tipo" => {
                    kind = Some(self.enumerated(
                        &value,
                        DaticertKind::from_wire,
                        DaticertKind::WHAT,
                    )?)
                }
                _ => {
                    error = Some(self.enumerated(&value, CertError::from_wire, CertError::WHAT)?)
                }
            }
        }
        let kind = kind.ok_or_else(|| {
            self.err(
                ErrorKind::MissingAttribute,
                "<postacert> has no tipo attribute",
            )
        })?;

        let mut p = Partial::default();
        if root.empty {
            return Err(self.err(ErrorKind::MissingElement, "<postacert> is empty"));
        }
        self.container(
            "postacert",
            0,
            ROOT_ELEMENT,
            &mut |parser, slot, tag| match slot {
                0 => {
                    p.seen_intestazione = true;
                    parser.intestazione(tag, &mut p)
                }
                _ => {
                    p.seen_dati = true;
                    parser.dati(tag, &mut p)
                }
            },
        )?;
        self.epilogue()?;
        self.finish(kind, error.unwrap_or(CertError::None), p)
    }

    fn declaration(&mut self, decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), Error> {
        let version = decl
            .version()
            .map_err(|e| self.err(ErrorKind::XmlMalformed, e.to_string()))?;
        if version.as_ref() != "1.0" {
            return Err(self.err(
                ErrorKind::XmlMalformed,
                format!("XML version {:?}; only 1.0 is read", version.as_ref()),
            ));
        }
        if let Some(encoding) = decl.encoding() {
            let encoding =
                encoding.map_err(|e| self.err(ErrorKind::XmlMalformed, e.to_string()))?;
            let label = encoding.as_ref().to_owned();
            if label != "UTF-8" {
                if label.eq_ignore_ascii_case("utf-8") || label.eq_ignore_ascii_case("utf8") {
                    self.diag(
                        DiagnosticCode::XmlEncodingLabel,
                        format!("encoding declared as {label:?}"),
                    );
                } else {
                    return Err(self.err(
                        ErrorKind::XmlEncoding,
                        format!("encoding {label:?}; daticert.xml must be UTF-8"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// After the root element: only whitespace, comments and processing instructions.
    fn epilogue(&mut self) -> Result<(), Error> {
        loop {
            match self.next()? {
                Event::Eof => return Ok(()),
                Event::Text(t) if t.as_ref().chars().all(is_xml_whitespace) => {}
                _ => {
                    return Err(self.err(ErrorKind::XmlMalformed, "content after the root element"));
                }
            }
        }
    }

    /// Reads the attributes of `tag`, returning those named in `known` (by their static name)
    /// with their normalised values. Unknown attributes fail in strict mode.
    fn attributes(
        &mut self,
        tag: &Tag<'i>,
        known: &[&'static str],
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let mut out = Vec::new();
        let element = tag.name();
        for attr in tag.start.attributes() {
            let attr = attr.map_err(|e| self.err(ErrorKind::XmlMalformed, e.to_string()))?;
            let key = attr.key.as_ref();
            let value = attr
                .normalized_value(XmlVersion::Explicit1_0)
                .map_err(|e| self.err(ErrorKind::XmlMalformed, e.to_string()))?;
            match known.iter().find(|k| **k == key) {
                Some(name) => out.push((*name, value.into_owned())),
                None => {
                    let key = key.to_owned();
                    self.deviation(
                        DiagnosticCode::XmlUnknownAttribute,
                        ErrorKind::InvalidValue,
                        format!("<{element}> has an unknown attribute {key:?}"),
                    )?;
                }
            }
        }
        Ok(out)
    }

    /// Reads an enumerated attribute value. Enumerated attributes are whitespace-normalised
    /// by XML (leading and trailing blanks dropped), so `tipo=" breve "` is `breve`.
    fn enumerated<T>(
        &self,
        value: &str,
        from_wire: fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<T, Error> {
        from_wire(value.trim_matches(is_xml_whitespace)).ok_or_else(|| {
            self.err(
                ErrorKind::InvalidValue,
                format!("{what} {value:?} is not a value the DTD allows"),
            )
        })
    }

    /// Walks the children of a container element at `depth` (root is 0) and hands each known
    /// child to `on_child` with its slot index. Checks order, duplicates, stray text, layout.
    fn container(
        &mut self,
        name: &str,
        depth: usize,
        slots: &[Slot],
        on_child: &mut dyn FnMut(&mut Parser<'i>, usize, Tag<'i>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        // Children of a container at (0-based) `depth` are at nesting level `depth + 2`.
        if depth + 2 > self.max_depth {
            return Err(self.err(ErrorKind::LimitExceeded, "element nesting too deep"));
        }
        let mut seen = vec![false; slots.len()];
        let mut furthest = 0usize;
        self.whitespace.clear();
        loop {
            let event = self.next()?;
            let tag = match event {
                Event::Text(t) => {
                    let content = t.xml10_content();
                    if content.chars().all(is_xml_whitespace) {
                        self.whitespace.push_str(&content);
                    } else {
                        self.stray_text(name, &content)?;
                        // Judge the layout by what follows the stray text.
                        let tail = content.trim_end_matches(is_xml_whitespace).len();
                        self.whitespace.clear();
                        self.whitespace.push_str(content.get(tail..).unwrap_or(""));
                    }
                    continue;
                }
                Event::GeneralRef(r) => {
                    self.stray_text(name, &format!("&{};", r.as_ref()))?;
                    continue;
                }
                Event::CData(c) => {
                    let text = c.xml10_content().into_owned();
                    self.stray_text(name, &text)?;
                    continue;
                }
                Event::Start(start) => Tag {
                    start,
                    empty: false,
                },
                Event::Empty(start) => Tag { start, empty: true },
                Event::End(_) => {
                    self.layout(depth);
                    return Ok(());
                }
                Event::Eof => {
                    return Err(
                        self.err(ErrorKind::XmlMalformed, format!("<{name}> is not closed"))
                    );
                }
                Event::Decl(_) | Event::DocType(_) | Event::Comment(_) | Event::PI(_) => {
                    return Err(self.err(
                        ErrorKind::XmlMalformed,
                        format!("declaration inside <{name}>"),
                    ));
                }
            };
            self.layout(depth + 1);
            let child = tag.name();
            let Some(index) = slots.iter().position(|s| s.name == child) else {
                self.deviation(
                    DiagnosticCode::XmlUnknownElement,
                    ErrorKind::UnknownElement,
                    format!("<{child}> inside <{name}>"),
                )?;
                if !tag.empty {
                    self.skip(depth + 1)?;
                }
                self.whitespace.clear();
                continue;
            };
            let slot = slots.get(index).map(|s| s.repeats).unwrap_or(false);
            if seen.get(index).copied().unwrap_or(false) && !slot {
                return Err(self.err(
                    ErrorKind::DuplicateElement,
                    format!("<{child}> appears twice inside <{name}>"),
                ));
            }
            if index < furthest {
                let after = slots.get(furthest).map(|s| s.name).unwrap_or("");
                self.deviation(
                    DiagnosticCode::XmlElementOrder,
                    ErrorKind::ElementOrder,
                    format!("<{child}> after <{after}> inside <{name}>"),
                )?;
            }
            furthest = furthest.max(index);
            if let Some(s) = seen.get_mut(index) {
                *s = true;
            }
            on_child(self, index, tag)?;
            self.whitespace.clear();
        }
    }

    /// Non-whitespace text between elements.
    fn stray_text(&mut self, element: &str, text: &str) -> Result<(), Error> {
        let shown: String = text.trim().chars().take(40).collect();
        self.deviation(
            DiagnosticCode::XmlStrayText,
            ErrorKind::UnexpectedText,
            format!("text {shown:?} inside <{element}>, where only elements are allowed"),
        )
    }

    /// Checks that the whitespace before a tag at `depth` is a line break and 4 spaces per
    /// level; reports the first difference only.
    fn layout(&mut self, depth: usize) {
        if self.layout_reported {
            return;
        }
        let ws = self.whitespace.as_str();
        let ok = ws
            .strip_prefix('\n')
            .is_some_and(|indent| indent.len() == 4 * depth && indent.bytes().all(|b| b == b' '));
        if !ok {
            self.layout_reported = true;
            let detail = format!(
                "at byte {}: {ws:?} before a tag at depth {depth}",
                self.offset()
            );
            self.diag(DiagnosticCode::XmlIndentation, detail);
        }
    }

    /// Skips the content of an element whose start tag was just read, at `depth`.
    fn skip(&mut self, depth: usize) -> Result<(), Error> {
        let mut open = 1usize;
        loop {
            match self.next()? {
                Event::Start(_) => {
                    open += 1;
                    if depth + open > self.max_depth {
                        return Err(self.err(ErrorKind::LimitExceeded, "element nesting too deep"));
                    }
                }
                Event::End(_) => {
                    open -= 1;
                    if open == 0 {
                        return Ok(());
                    }
                }
                Event::Eof => {
                    return Err(self.err(ErrorKind::XmlMalformed, "element not closed"));
                }
                _ => {}
            }
        }
    }

    /// Reads the text of a leaf element (`#PCDATA`) whose start tag was just read.
    fn leaf(&mut self, tag: &Tag<'i>) -> Result<String, Error> {
        let name = tag.name();
        let _ = self.attributes(tag, &[])?;
        self.leaf_text(tag, &name)
    }

    fn leaf_text(&mut self, tag: &Tag<'i>, name: &str) -> Result<String, Error> {
        let mut text = String::new();
        if tag.empty {
            return Ok(text);
        }
        loop {
            match self.next()? {
                Event::Text(t) => {
                    let content = t.xml10_content();
                    self.raw_chars(name, &content)?;
                    text.push_str(&content);
                }
                Event::CData(c) => {
                    self.diag(DiagnosticCode::XmlCdata, format!("CDATA inside <{name}>"));
                    let content = c.xml10_content();
                    self.raw_chars(name, &content)?;
                    text.push_str(&content);
                }
                Event::GeneralRef(r) => {
                    let c = self.reference(name, r.as_ref())?;
                    text.push(c);
                }
                Event::Start(start) => {
                    let child = Tag {
                        start,
                        empty: false,
                    };
                    self.element_in_text(name, &child)?;
                    // Leaves are at most at 0-based depth 3, so this child is at most at 4.
                    self.skip(4)?;
                }
                Event::Empty(start) => {
                    let child = Tag { start, empty: true };
                    self.element_in_text(name, &child)?;
                }
                Event::End(_) => return Ok(text),
                Event::Eof => {
                    return Err(
                        self.err(ErrorKind::XmlMalformed, format!("<{name}> is not closed"))
                    );
                }
                Event::Decl(_) | Event::DocType(_) | Event::Comment(_) | Event::PI(_) => {
                    return Err(self.err(
                        ErrorKind::XmlMalformed,
                        format!("declaration inside <{name}>"),
                    ));
                }
            }
        }
    }

    fn element_in_text(&mut self, name: &str, child: &Tag<'i>) -> Result<(), Error> {
        self.deviation(
            DiagnosticCode::XmlUnknownElement,
            ErrorKind::UnknownElement,
            format!("<{}> inside the text of <{name}>", child.name()),
        )
    }

    /// Checks raw text for characters XML 1.0 forbids.
    fn raw_chars(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let bad: Vec<String> = text
            .chars()
            .filter(|c| !is_xml_char(*c))
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        if bad.is_empty() {
            return Ok(());
        }
        self.deviation(
            DiagnosticCode::XmlControlCharacter,
            ErrorKind::XmlMalformed,
            format!("<{name}> contains {} that XML 1.0 forbids", bad.join(", ")),
        )
    }

    /// Resolves `&name;`: the five predefined entities and character references only.
    fn reference(&mut self, name: &str, reference: &str) -> Result<char, Error> {
        let c = match reference {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "quot" => '"',
            r => {
                let Some(number) = r.strip_prefix('#') else {
                    return Err(self.err(
                        ErrorKind::XmlMalformed,
                        format!("undefined entity &{r}; in <{name}> (entities are never expanded)"),
                    ));
                };
                let code = match number.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None if number.bytes().all(|b| b.is_ascii_digit()) => number.parse().ok(),
                    None => None,
                };
                let Some(c) = code.and_then(char::from_u32).filter(|c| *c != '\0') else {
                    return Err(self.err(
                        ErrorKind::XmlMalformed,
                        format!("&{r}; in <{name}> is not a valid character reference"),
                    ));
                };
                if !is_xml_char(c) {
                    self.deviation(
                        DiagnosticCode::XmlForbiddenCharReference,
                        ErrorKind::XmlMalformed,
                        format!(
                            "&{r}; in <{name}> refers to U+{:04X}, which XML 1.0 forbids",
                            u32::from(c)
                        ),
                    )?;
                }
                c
            }
        };
        Ok(c)
    }

    fn intestazione(&mut self, tag: Tag<'i>, p: &mut Partial) -> Result<(), Error> {
        let _ = self.attributes(&tag, &[])?;
        if tag.empty {
            return Err(self.err(ErrorKind::MissingElement, "<intestazione> is empty"));
        }
        self.container("intestazione", 1, INTESTAZIONE, &mut |parser, slot, tag| {
            match slot {
                0 => p.sender = Some(parser.leaf(&tag)?),
                1 => {
                    let mut kind = RecipientKind::Certified;
                    for (_, value) in parser.attributes(&tag, &["tipo"])? {
                        kind = parser.enumerated(
                            &value,
                            RecipientKind::from_wire,
                            RecipientKind::WHAT,
                        )?;
                    }
                    let address = parser.leaf_text(&tag, "destinatari")?;
                    p.recipients.push(Recipient { address, kind });
                }
                2 => {
                    let value = parser.leaf(&tag)?;
                    if value.is_empty() {
                        parser.diag(DiagnosticCode::RisposteEmpty, "<risposte> is empty");
                    }
                    p.reply_to = Some(value);
                }
                _ => p.subject = Some(parser.leaf(&tag)?),
            }
            Ok(())
        })
    }

    fn dati(&mut self, tag: Tag<'i>, p: &mut Partial) -> Result<(), Error> {
        let _ = self.attributes(&tag, &[])?;
        if tag.empty {
            return Err(self.err(ErrorKind::MissingElement, "<dati> is empty"));
        }
        self.container("dati", 1, DATI, &mut |parser, slot, tag| {
            match slot {
                0 => p.provider = Some(parser.leaf(&tag)?),
                1 => p.time = Some(parser.data(tag)?),
                2 => p.identifier = Some(parser.leaf(&tag)?),
                3 => p.client_message_id = Some(parser.leaf(&tag)?),
                4 => p.receipt = Some(parser.ricevuta(tag)?),
                5 => p.delivery = Some(parser.leaf(&tag)?),
                6 => {
                    let value = parser.leaf(&tag)?;
                    p.receptions.push(value);
                }
                _ => p.error_detail = Some(parser.leaf(&tag)?),
            }
            Ok(())
        })
    }

    fn data(&mut self, tag: Tag<'i>) -> Result<PecTime, Error> {
        let mut zona = None;
        for (_, value) in self.attributes(&tag, &["zona"])? {
            zona = Some(value);
        }
        let zona = zona
            .ok_or_else(|| self.err(ErrorKind::MissingAttribute, "<data> has no zona attribute"))?;
        if tag.empty {
            return Err(self.err(
                ErrorKind::MissingElement,
                "<data> has no <giorno> and <ora>",
            ));
        }
        let mut giorno = None;
        let mut ora = None;
        self.container("data", 2, DATA, &mut |parser, slot, tag| {
            let value = parser.leaf(&tag)?;
            match slot {
                0 => giorno = Some(value),
                _ => ora = Some(value),
            }
            Ok(())
        })?;
        let giorno =
            giorno.ok_or_else(|| self.err(ErrorKind::MissingElement, "<data> has no <giorno>"))?;
        let ora = ora.ok_or_else(|| self.err(ErrorKind::MissingElement, "<data> has no <ora>"))?;
        PecTime::parse_daticert(&giorno, &ora, &zona)
            .map_err(|e| self.err(ErrorKind::InvalidValue, format!("<data>: {}", e.message())))
    }

    fn ricevuta(&mut self, tag: Tag<'i>) -> Result<ReceiptKind, Error> {
        let mut kind = None;
        for (_, value) in self.attributes(&tag, &["tipo"])? {
            kind = Some(self.enumerated(&value, ReceiptKind::from_wire, ReceiptKind::WHAT)?);
        }
        let kind = kind.ok_or_else(|| {
            self.err(
                ErrorKind::MissingAttribute,
                "<ricevuta> has no tipo attribute",
            )
        })?;
        if !tag.empty {
            self.diag(
                DiagnosticCode::RicevutaEndTag,
                "<ricevuta> written with an end tag",
            );
            // EMPTY content: nothing at all may come before the end tag.
            let content = self.leaf_text(&tag, "ricevuta")?;
            if !content.is_empty() {
                self.deviation(
                    DiagnosticCode::XmlStrayText,
                    ErrorKind::UnexpectedText,
                    format!(
                        "<ricevuta> is declared EMPTY but contains {:?}",
                        content.trim()
                    ),
                )?;
            }
        }
        Ok(kind)
    }

    fn finish(
        &mut self,
        kind: DaticertKind,
        error: CertError,
        p: Partial,
    ) -> Result<Daticert, Error> {
        let missing = |what: &str| self.err(ErrorKind::MissingElement, format!("no <{what}>"));
        if !p.seen_intestazione {
            return Err(missing("intestazione"));
        }
        if !p.seen_dati {
            return Err(missing("dati"));
        }
        let sender = p.sender.ok_or_else(|| missing("mittente"))?;
        if p.recipients.is_empty() {
            return Err(missing("destinatari"));
        }
        let provider = p.provider.ok_or_else(|| missing("gestore-emittente"))?;
        let time = p.time.ok_or_else(|| missing("data"))?;
        let identifier = p.identifier.ok_or_else(|| missing("identificativo"))?;
        let reply_to = match p.reply_to {
            Some(r) => r,
            None => {
                self.deviation(
                    DiagnosticCode::RisposteMissing,
                    ErrorKind::MissingElement,
                    "no <risposte> in <intestazione>".to_owned(),
                )?;
                String::new()
            }
        };
        Ok(Daticert {
            kind,
            error,
            header: Header {
                sender,
                recipients: p.recipients,
                reply_to,
                subject: p.subject,
            },
            data: CertData {
                provider,
                time,
                identifier,
                client_message_id: p.client_message_id,
                receipt: p.receipt,
                delivery: p.delivery,
                receptions: p.receptions,
                error_detail: p.error_detail,
            },
        })
    }
}

/// XML's `S` production: space, TAB, CR, LF.
fn is_xml_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_kind_survives_a_cut_document() {
        let cut =
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<postacert tipo=\"posta-certificata\" ";
        assert_eq!(declared_kind(cut), Some(DaticertKind::Transport));
        assert_eq!(
            declared_kind(b"<postacert errore='nessuno'\n  tipo = 'accettazione'>"),
            Some(DaticertKind::Acceptance)
        );
        for none in [
            &b"<postacert errore=\"nessuno\">"[..],
            b"<postacert xtipo=\"accettazione\">",
            b"<postacert tipo=\"accettazione",
            b"<postacert tipo=\"altro\">",
            b"<other tipo=\"accettazione\">",
            b"",
        ] {
            assert_eq!(
                declared_kind(none),
                None,
                "{}",
                String::from_utf8_lossy(none)
            );
        }
        // Only the root's start tag counts.
        assert_eq!(
            declared_kind(b"<postacert><x tipo=\"accettazione\"/>"),
            None
        );
    }
}
