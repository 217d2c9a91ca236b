//! Header blocks (RFC 5322 section 2.2) and `Content-Type` parameters (RFC 2045 section 5.1),
//! read strictly and without copying.
//!
//! A header block is a sequence of fields, each `name ":" value CRLF`, a value continuing on
//! lines that begin with a space or TAB (folding), ended by an empty line. Lines must end in
//! CR LF: callers that accept LF-only input canonicalise it first (see
//! [`canonical_crlf`](super::canonical_crlf)).

use std::collections::{HashMap, HashSet};

use crate::error::{Error, ErrorKind};

/// Limits on a header block, against hostile input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderLimits {
    /// Longest physical line, CR LF excluded.
    pub max_line: usize,
    /// Most fields.
    pub max_fields: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        // RFC 5322 caps lines at 998 characters; real messages exceed it (long Received
        // lines, unfolded subjects), so the cap here is generous but finite.
        HeaderLimits {
            max_line: 64 * 1024,
            max_fields: 10_000,
        }
    }
}

/// One header field, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    /// The name as written.
    pub name: &'a [u8],
    /// The value as written after the colon: folding CR LFs included, final CR LF excluded.
    pub value: &'a [u8],
    /// Where the field starts (its name) in the parsed input.
    pub start: usize,
    /// Where the value starts (after the colon) in the parsed input.
    pub value_start: usize,
    /// Where the field ends in the parsed input, after its final CR LF.
    pub end: usize,
    /// Blanks between the name and the colon: an obsolete form (RFC 5322 section 4.5.8)
    /// that this parser drops, but that Python's `email` takes as the end of the header
    /// block.
    pub blank_before_colon: bool,
}

impl<'a> Field<'a> {
    /// The name compared without case.
    pub(crate) fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value with folding removed (CR LF before a blank dropped) and outer blanks trimmed,
    /// as text: UTF-8 when valid, otherwise Latin-1.
    pub(crate) fn unfolded(&self) -> String {
        // Most values are one line: nothing to remove, one copy.
        let joined;
        let value = if memchr::memchr(b'\r', self.value).is_none() {
            self.value
        } else {
            let mut out = Vec::with_capacity(self.value.len());
            let mut rest = self.value;
            while let Some(at) = memchr::memmem::find(rest, b"\r\n") {
                out.extend_from_slice(rest.get(..at).unwrap_or(&[]));
                rest = rest.get(at + 2..).unwrap_or(&[]);
            }
            out.extend_from_slice(rest);
            joined = out;
            &joined
        };
        let trimmed = trim_blanks(value);
        match std::str::from_utf8(trimmed) {
            Ok(s) => s.to_owned(),
            Err(_) => trimmed.iter().map(|&b| char::from(b)).collect(),
        }
    }
}

fn trim_blanks(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |p| p + 1);
    s.get(start..end).unwrap_or(&[])
}

/// A parsed header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderBlock<'a> {
    /// The fields in order.
    pub fields: Vec<Field<'a>>,
    /// Offset of the first byte after the empty line that ends the block (the body).
    pub body_start: usize,
}

impl<'a> HeaderBlock<'a> {
    /// The only field with this name: `Ok(None)` when absent, an error when repeated.
    pub(crate) fn one(&self, name: &str) -> Result<Option<&Field<'a>>, Error> {
        let mut found = self.fields.iter().filter(|f| f.is(name));
        let first = found.next();
        if found.next().is_some() {
            return Err(Error::new(
                ErrorKind::MalformedMime,
                format!("the {name} header appears more than once"),
            ));
        }
        Ok(first)
    }
}

/// Reads the header block at the start of `input` (offsets are relative to `input`).
pub(crate) fn parse_block(input: &[u8], limits: HeaderLimits) -> Result<HeaderBlock<'_>, Error> {
    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut pos = 0usize;
    // The field being read: start of its value, and where its last line ended.
    let mut current: Option<(usize, usize, usize)> = None; // (name_start, name_end, value_start)
    let mut last_end = 0usize;
    loop {
        let Some(line_len) = memchr::memchr(b'\n', input.get(pos..).unwrap_or(&[])) else {
            return Err(Error::new(
                ErrorKind::MalformedMime,
                "the header block has no end (no empty line)",
            )
            .at(pos));
        };
        let line_end = pos + line_len; // index of '\n'
        if line_len == 0 || input.get(line_end - 1) != Some(&b'\r') {
            return Err(Error::new(
                ErrorKind::MalformedMime,
                "a header line ends in a bare LF (CR LF is required)",
            )
            .at(line_end));
        }
        let line = input.get(pos..line_end - 1).unwrap_or(&[]);
        if line.len() > limits.max_line {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "a header line of {} bytes is over the limit of {}",
                    line.len(),
                    limits.max_line
                ),
            )
            .at(pos));
        }
        let next = line_end + 1;
        if line.is_empty() {
            if let Some((ns, ne, vs)) = current.take() {
                push(&mut fields, input, ns, ne, vs, last_end, limits)?;
            }
            return Ok(HeaderBlock {
                fields,
                body_start: next,
            });
        }
        match line.first() {
            Some(b' ' | b'\t') => {
                if current.is_none() {
                    return Err(Error::new(
                        ErrorKind::MalformedMime,
                        "a folded header line with no field before it",
                    )
                    .at(pos));
                }
            }
            _ => {
                if let Some((ns, ne, vs)) = current.take() {
                    push(&mut fields, input, ns, ne, vs, last_end, limits)?;
                }
                let colon = line.iter().position(|&b| b == b':').ok_or_else(|| {
                    Error::new(ErrorKind::MalformedMime, "a header line without a colon").at(pos)
                })?;
                let name = line.get(..colon).unwrap_or(&[]);
                // RFC 5322: printable US-ASCII except colon. Blanks before the colon are an
                // obsolete form some software writes; they are dropped.
                let name_trimmed = trim_blanks(name);
                if name_trimmed.is_empty() || !name_trimmed.iter().all(|b| (33..=126).contains(b)) {
                    return Err(Error::new(
                        ErrorKind::MalformedMime,
                        "a header field name is empty or has characters RFC 5322 forbids",
                    )
                    .at(pos));
                }
                // Blanks before the name cannot occur (a leading blank folds the line).
                current = Some((pos, pos + name_trimmed.len(), pos + colon + 1));
            }
        }
        last_end = line_end - 1;
        pos = next;
    }
}

fn push<'a>(
    fields: &mut Vec<Field<'a>>,
    input: &'a [u8],
    name_start: usize,
    name_end: usize,
    value_start: usize,
    value_end: usize,
    limits: HeaderLimits,
) -> Result<(), Error> {
    if fields.len() >= limits.max_fields {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("more than {} header fields", limits.max_fields),
        )
        .at(name_start));
    }
    fields.push(Field {
        name: input.get(name_start..name_end).unwrap_or(&[]),
        value: input.get(value_start..value_end).unwrap_or(&[]),
        start: name_start,
        value_start,
        end: value_end + 2,
        // The colon is at value_start - 1.
        blank_before_colon: name_end + 1 != value_start,
    });
    Ok(())
}

/// A `Content-Type` value: type, subtype (both lower-cased) and parameters (names
/// lower-cased, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    pub media_type: String,
    pub subtype: String,
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// Whether this is `type/subtype` (compared without case).
    pub(crate) fn is(&self, media_type: &str, subtype: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type)
            && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// The value of a parameter, by lower-case name.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parses an unfolded `Content-Type` value. Comments `( ... )` are skipped; a parameter
    /// given twice is an error, since which value a reader takes is exactly what an attacker
    /// would play with.
    pub(crate) fn parse(value: &str) -> Result<ContentType, Error> {
        let bad = |what: &str| {
            Error::new(
                ErrorKind::MalformedMime,
                format!("Content-Type {value:?}: {what}"),
            )
        };
        let mut p = Cursor {
            s: value.as_bytes(),
            i: 0,
        };
        p.skip_cfws().map_err(&bad)?;
        let media_type = p.token().ok_or_else(|| bad("no media type"))?;
        p.skip_cfws().map_err(&bad)?;
        if !p.eat(b'/') {
            return Err(bad("no '/' after the media type"));
        }
        p.skip_cfws().map_err(&bad)?;
        let subtype = p.token().ok_or_else(|| bad("no subtype"))?;
        let params = parameters(&mut p).map_err(&bad)?;
        Ok(ContentType {
            media_type: media_type.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params,
        })
    }
}

/// A `Content-Disposition` value (RFC 2183): the type, lower-cased, and its parameters.
pub(crate) fn parse_disposition(value: &str) -> Result<(String, Vec<(String, String)>), Error> {
    let bad = |what: &str| {
        Error::new(
            ErrorKind::MalformedMime,
            format!("Content-Disposition {value:?}: {what}"),
        )
    };
    let mut p = Cursor {
        s: value.as_bytes(),
        i: 0,
    };
    p.skip_cfws().map_err(&bad)?;
    let kind = p.token().ok_or_else(|| bad("no disposition type"))?;
    let params = parameters(&mut p).map_err(&bad)?;
    Ok((kind.to_ascii_lowercase(), params))
}

/// `*(";" attribute "=" value)`, names lower-cased, values unquoted, a repeated name refused.
fn parameters(p: &mut Cursor<'_>) -> Result<Vec<(String, String)>, &'static str> {
    let mut params: Vec<(String, String)> = Vec::new();
    let read = parameter_list(p, &mut params);
    // The repetition is looked for once, in a set of the names read: a search of those before
    // each name would be quadratic in the parameters of one hostile header. Its error is the
    // one a check at each name would give: those names are the ones read before any syntax
    // error, and the message names neither the parameter nor where it is.
    // A header of a real message has a few parameters: compared pairwise, with nothing to
    // allocate or hash.
    let repeated = if params.len() <= 16 {
        params
            .iter()
            .enumerate()
            .any(|(i, (n, _))| params.iter().take(i).any(|(m, _)| m == n))
    } else {
        let mut names: HashSet<&str> = HashSet::with_capacity(params.len());
        params.iter().any(|(n, _)| !names.insert(n))
    };
    if repeated {
        return Err("a parameter given twice");
    }
    read.map(|()| params)
}

/// Reads the parameters into `params`, up to the end or to the first syntax error.
fn parameter_list(
    p: &mut Cursor<'_>,
    params: &mut Vec<(String, String)>,
) -> Result<(), &'static str> {
    loop {
        p.skip_cfws()?;
        if p.done() {
            return Ok(());
        }
        if !p.eat(b';') {
            return Err("expected ';' between parameters");
        }
        p.skip_cfws()?;
        if p.done() {
            return Ok(()); // a trailing ';' is common and harmless
        }
        let mut name = p.token().ok_or("a parameter without a name")?;
        name.make_ascii_lowercase();
        p.skip_cfws()?;
        if !p.eat(b'=') {
            return Err("a parameter without '='");
        }
        p.skip_cfws()?;
        let value = if p.peek() == Some(b'"') {
            p.quoted()?
        } else {
            p.token().ok_or("a parameter without a value")?
        };
        params.push((name, value));
    }
}

/// A parameter value by name, in any of its forms: `name`, RFC 2231 `name*`
/// (`charset'language'percent-encoded`), or continuations `name*0`, `name*1*`, ...
pub(crate) fn parameter(params: &[(String, String)], name: &str) -> Option<String> {
    if let Some((_, v)) = params.iter().find(|(n, _)| n == name) {
        return Some(v.clone());
    }
    let star = format!("{name}*");
    if let Some((_, v)) = params.iter().find(|(n, _)| *n == star) {
        return Some(extended(v, true));
    }
    // The continuations by their suffix after `name*` (`0`, `1*`, ...), the first of each
    // kept as the search in order would find it: looking each one up in the whole list
    // would take the continuations times the parameters.
    let mut sections: HashMap<&str, &str> = HashMap::new();
    for (n, v) in params {
        if let Some(suffix) = n.strip_prefix(star.as_str()) {
            sections.entry(suffix).or_insert(v.as_str());
        }
    }
    if sections.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut found = false;
    for i in 0..1000 {
        if let Some(v) = sections.get(format!("{i}*").as_str()) {
            out.push_str(&extended(v, i == 0));
        } else if let Some(v) = sections.get(i.to_string().as_str()) {
            out.push_str(v);
        } else {
            break;
        }
        found = true;
    }
    found.then_some(out)
}

/// An RFC 2231 extended value as text: the first section carries `charset'language'`, the
/// others are percent-encoded in that charset (read as UTF-8 when unknown).
fn extended(v: &str, first: bool) -> String {
    let (charset, text) = if first {
        let mut parts = v.splitn(3, '\'');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(c), Some(_), Some(t)) => (c.to_ascii_lowercase(), t),
            _ => (String::from("us-ascii"), v),
        }
    } else {
        (String::from("utf-8"), v)
    };
    let bytes = percent_decode(text);
    super::words::to_text(&charset, &bytes)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned())
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%'
            && let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

struct Cursor<'s> {
    s: &'s [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Skips blanks and (nested) comments.
    fn skip_cfws(&mut self) -> Result<(), &'static str> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.i += 1,
                Some(b'(') => {
                    let mut depth = 0usize;
                    loop {
                        match self.peek() {
                            None => return Err("unterminated comment"),
                            Some(b'\\') => self.i += 2,
                            Some(b'(') => {
                                depth += 1;
                                self.i += 1;
                            }
                            Some(b')') => {
                                depth -= 1;
                                self.i += 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            Some(_) => self.i += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// RFC 2045 token: any printable ASCII but tspecials and space.
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c <= b' ' || c >= 0x7f || b"()<>@,;:\\\"/[]?=".contains(&c) {
                break;
            }
            self.i += 1;
        }
        let t = self.s.get(start..self.i)?;
        if t.is_empty() {
            return None;
        }
        Some(t.iter().map(|&b| char::from(b)).collect())
    }

    /// A quoted string, unescaped.
    fn quoted(&mut self) -> Result<String, &'static str> {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    let c = self
                        .s
                        .get(self.i + 1)
                        .copied()
                        .ok_or("unterminated quoted string")?;
                    out.push(c);
                    self.i += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(s: &str) -> Result<HeaderBlock<'_>, Error> {
        parse_block(s.as_bytes(), HeaderLimits::default())
    }

    #[test]
    fn reads_fields_with_folding_and_any_case() {
        let s = "From: a@b\r\nContent-Type: multipart/signed;\r\n\tprotocol=\"application/x-pkcs7-signature\"; \r\n micalg=sha1\r\nX-Riferimento-Message-ID: <x@y>\r\n\r\nbody";
        let b = block(s).unwrap();
        assert_eq!(b.fields.len(), 3);
        assert_eq!(&s[b.body_start..], "body");
        let ct = b.one("content-type").unwrap().unwrap();
        assert_eq!(
            ct.unfolded(),
            "multipart/signed;\tprotocol=\"application/x-pkcs7-signature\";  micalg=sha1"
        );
        assert!(b.one("Subject").unwrap().is_none());
        assert!(b.one("FROM").unwrap().is_some());
    }

    #[test]
    fn refuses_malformed_blocks() {
        let cases: &[(&str, ErrorKind)] = &[
            ("From: a\nTo: b\r\n\r\n", ErrorKind::MalformedMime),
            ("From: a\r\nTo: b\r\n", ErrorKind::MalformedMime),
            (" folded: first\r\n\r\n", ErrorKind::MalformedMime),
            ("No colon here\r\n\r\n", ErrorKind::MalformedMime),
            (": empty name\r\n\r\n", ErrorKind::MalformedMime),
        ];
        for (s, kind) in cases {
            assert_eq!(block(s).unwrap_err().kind(), *kind, "{s:?}");
        }
        let dup = block("Content-Type: a/b\r\ncontent-type: c/d\r\n\r\n").unwrap();
        assert_eq!(
            dup.one("Content-Type").unwrap_err().kind(),
            ErrorKind::MalformedMime
        );
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "a 70,000-byte line and 10,001 fields take Miri more than 15 minutes"
    )]
    fn limits_line_length_and_field_count() {
        let long = format!("Subject: {}\r\n\r\n", "x".repeat(70_000));
        assert_eq!(block(&long).unwrap_err().kind(), ErrorKind::LimitExceeded);
        let many = "A: b\r\n".repeat(10_001) + "\r\n";
        assert_eq!(block(&many).unwrap_err().kind(), ErrorKind::LimitExceeded);
    }

    #[test]
    fn dispositions_and_extended_parameters() {
        let (kind, params) =
            parse_disposition("Attachment; filename*=UTF-8''fattura%20n%C2%B01.pdf").unwrap();
        assert_eq!(kind, "attachment");
        assert_eq!(
            parameter(&params, "filename").as_deref(),
            Some("fattura n°1.pdf")
        );
        let (_, params) =
            parse_disposition("inline; filename*0=\"lungo_\"; filename*1*=%C3%A8.txt").unwrap();
        assert_eq!(
            parameter(&params, "filename").as_deref(),
            Some("lungo_è.txt")
        );
        let (_, params) = parse_disposition("attachment; filename=\"a.pdf\"").unwrap();
        assert_eq!(parameter(&params, "filename").as_deref(), Some("a.pdf"));
        assert_eq!(parameter(&params, "name"), None);
    }

    #[test]
    fn content_type_parameters() {
        let ct = ContentType::parse(
            "Multipart/Signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"----=_Part_1\\\"x\" (comment (nested))",
        )
        .unwrap();
        assert!(ct.is("multipart", "signed"));
        assert_eq!(ct.param("protocol"), Some("application/pkcs7-signature"));
        assert_eq!(ct.param("micalg"), Some("sha-256"));
        assert_eq!(ct.param("boundary"), Some("----=_Part_1\"x"));
        let ct = ContentType::parse("application/xml; name=daticert.xml;").unwrap();
        assert_eq!(ct.param("name"), Some("daticert.xml"));
        for bad in [
            "",
            "multipart",
            "multipart/signed; boundary",
            "multipart/signed; boundary=\"x",
            "multipart/signed; boundary=a; BOUNDARY=b",
            "multipart/signed boundary=a",
            "text/plain (unterminated",
        ] {
            assert_eq!(
                ContentType::parse(bad).unwrap_err().kind(),
                ErrorKind::MalformedMime,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_parameter_twice_in_any_case_is_refused_wherever_it_is() {
        let many: String = (0..300).map(|i| format!("; p{i}=v")).collect();
        for bad in [
            format!("text/plain{many}; NAME=a; name=b"),
            format!("text/plain; Name=a{many}; nAmE=b"),
            format!("text/plain; p7=x{many}"),
        ] {
            let e = ContentType::parse(&bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::MalformedMime);
            assert!(e.message().ends_with(": a parameter given twice"), "{e}");
        }
        // The first error in the value is the one reported, as before.
        let e = ContentType::parse("text/plain; a=1; A=2; b").unwrap_err();
        assert!(e.message().ends_with(": a parameter given twice"), "{e}");
        let e = ContentType::parse("text/plain; a=1; A=2 x").unwrap_err();
        assert!(e.message().ends_with(": a parameter given twice"), "{e}");
        let e = ContentType::parse("text/plain; b; a=1; A=2").unwrap_err();
        assert!(e.message().ends_with(": a parameter without '='"), "{e}");
        let e = ContentType::parse("text/plain; a=1; A=\"2").unwrap_err();
        assert!(e.message().ends_with(": unterminated quoted string"), "{e}");
        let e = ContentType::parse("text/plain; a=1; A=").unwrap_err();
        assert!(
            e.message().ends_with(": a parameter without a value"),
            "{e}"
        );
        assert_eq!(
            ContentType::parse(&format!("text/plain{many}"))
                .unwrap()
                .params
                .len(),
            300
        );
    }

    /// `parameters` as it was before the repetition was looked for in a set (issue 15): the
    /// reference the new one must agree with, errors included.
    fn quadratic_parameters(p: &mut Cursor<'_>) -> Result<Vec<(String, String)>, &'static str> {
        let mut params: Vec<(String, String)> = Vec::new();
        loop {
            p.skip_cfws()?;
            if p.done() {
                break;
            }
            if !p.eat(b';') {
                return Err("expected ';' between parameters");
            }
            p.skip_cfws()?;
            if p.done() {
                break;
            }
            let name = p
                .token()
                .ok_or("a parameter without a name")?
                .to_ascii_lowercase();
            p.skip_cfws()?;
            if !p.eat(b'=') {
                return Err("a parameter without '='");
            }
            p.skip_cfws()?;
            let value = if p.peek() == Some(b'"') {
                p.quoted()?
            } else {
                p.token().ok_or("a parameter without a value")?
            };
            if params.iter().any(|(n, _)| *n == name) {
                return Err("a parameter given twice");
            }
            params.push((name, value));
        }
        Ok(params)
    }

    #[test]
    fn parameters_agree_with_the_quadratic_check_errors_included() {
        let pieces = [
            "; a=1",
            "; A=\"x\"",
            "; b=2",
            "; B = (c) 3",
            ";",
            " ",
            "=",
            "a",
            "\"",
            "\\",
            "(c)",
            "(",
            "é",
            "\r\n ",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut refused_twice = 0;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut r = state;
            let mut v = String::new();
            for _ in 0..state % 16 {
                r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                v.push_str(pieces[(r >> 33) as usize % pieces.len()]);
            }
            let cursor = || Cursor {
                s: v.as_bytes(),
                i: 0,
            };
            let got = parameters(&mut cursor());
            assert_eq!(got, quadratic_parameters(&mut cursor()), "{v:?}");
            refused_twice += usize::from(got == Err("a parameter given twice"));
        }
        assert!(refused_twice > 1_000, "{refused_twice}");
    }

    /// `parameter` as it was before the continuations were indexed (issue 15): the
    /// reference the indexed one must agree with.
    fn quadratic_parameter(params: &[(String, String)], name: &str) -> Option<String> {
        if let Some((_, v)) = params.iter().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        if let Some((_, v)) = params.iter().find(|(n, _)| *n == format!("{name}*")) {
            return Some(extended(v, true));
        }
        let mut out = String::new();
        let mut found = false;
        for i in 0..1000 {
            if let Some((_, v)) = params.iter().find(|(n, _)| *n == format!("{name}*{i}*")) {
                out.push_str(&extended(v, i == 0));
            } else if let Some((_, v)) = params.iter().find(|(n, _)| *n == format!("{name}*{i}")) {
                out.push_str(v);
            } else {
                break;
            }
            found = true;
        }
        found.then_some(out)
    }

    #[test]
    fn continuations_in_any_order_join_as_before() {
        let join = |v: &str| {
            let (_, params) = parse_disposition(v).unwrap();
            let got = parameter(&params, "filename");
            assert_eq!(got, quadratic_parameter(&params, "filename"), "{v}");
            got
        };
        assert_eq!(
            join("attachment; filename*2=c; filename*0=a; filename*1=b").as_deref(),
            Some("abc")
        );
        assert_eq!(
            join("attachment; filename*1*=%C3%A8; filename*0*=UTF-8''x%20; filename*2=.pdf")
                .as_deref(),
            Some("x è.pdf")
        );
        // A gap ends the value; a section in both forms is read in its extended one.
        assert_eq!(
            join("attachment; filename*0=a; filename*2=c").as_deref(),
            Some("a")
        );
        assert_eq!(
            join("attachment; filename*0=a; filename*1=b; filename*1*=%41").as_deref(),
            Some("aA")
        );
        assert_eq!(join("attachment; filename*1=b"), None);
        assert_eq!(join("attachment; filename*00=a"), None);
        assert_eq!(
            join("attachment; filename*0=a; filename=plain").as_deref(),
            Some("plain")
        );
        // Sections 0 to 999 are read, no more.
        let many: String = (0..1000)
            .rev()
            .map(|i| format!("; filename*{i}=x"))
            .collect();
        let others: String = (0..500).map(|i| format!("; p{i}=v")).collect();
        assert_eq!(
            join(&format!("attachment{others}{many}")).map(|v| v.len()),
            Some(1000)
        );
        assert_eq!(
            join(&format!("attachment{many}; filename*1000=y")).map(|v| v.len()),
            Some(1000)
        );
    }

    #[test]
    fn parameter_agrees_with_the_quadratic_search_on_any_list() {
        // `parameter` takes any list: repeated names (which `parameters` refuses) included.
        let names = [
            "name", "name*", "name*0", "name*0*", "name*1", "name*1*", "name*2", "name*01",
            "name**", "names*0", "other",
        ];
        let values = ["a", "UTF-8''%C3%A8", "%41", "x'y", "ISO-8859-1'it'%E9"];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut r = state;
            let params: Vec<(String, String)> = (0..state % 7)
                .map(|_| {
                    r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let n = names[(r >> 33) as usize % names.len()];
                    let v = values[(r >> 45) as usize % values.len()];
                    (n.to_owned(), v.to_owned())
                })
                .collect();
            assert_eq!(
                parameter(&params, "name"),
                quadratic_parameter(&params, "name"),
                "{params:?}"
            );
        }
    }
}
