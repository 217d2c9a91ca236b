//! `split_differential`: whatever our `multipart/signed` split accepts, mail-parser 0.11 reads
//! as the same two parts (issue 15, item 3). A reader built on mail-parser must be shown
//! exactly the bytes our signature check covers, and the signature it checks.
//!
//! For every input that [`SignedMessage::parse`] accepts, under the strict options
//! (`SplitOptions::default()`) and the lenient one (`canonicalize_line_endings`), mail-parser
//! parses the bytes we split ([`SignedMessage::source`]: the input itself, or its CR LF form
//! when it was canonicalised) and must see:
//!
//! 1. a root part `multipart/signed` (type and subtype compared case-insensitively) whose
//!    `boundary` parameter is exactly our [`SignedMessage::boundary`];
//! 2. exactly two child parts of the root;
//! 3. the first child's raw bytes, `source[offset_header..offset_end]`, equal to our
//!    [`SignedMessage::signed_content`], byte for byte. RFC 2046 section 5.1.1: the body part
//!    runs from after the CR LF that ends the delimiter line (after its transport padding)
//!    up to, not including, the CR LF that precedes the next delimiter line, because "the
//!    CRLF preceding the boundary delimiter line is conceptually attached to the boundary".
//!    mail-parser's `offset_header` is the first byte after the delimiter line and its
//!    `offset_end` the CR of that CR LF, so the comparison is exact: nothing is trimmed on
//!    either side. One exception (`header_only_with_its_end`): when our entity is a header
//!    block only, with no empty line, mail-parser takes the delimiter's CR LF for the empty
//!    line that ends it, so its part has those two bytes more (same fields, same empty body);
//!    that is the only difference excused in the bytes;
//! 4. the second child of the protocol's media type (case-insensitively), base64, decoded to
//!    exactly our [`SignedMessage::signature`].
//!
//! When the lenient split canonicalised bare LFs, mail-parser also parses the input as it
//! came (with its LFs, which it takes as line ends): the same four points must hold, with the
//! first child's raw bytes compared after [`canonical_crlf`]. A reader that gets the message
//! as a repository stored it must not be shown another first part than the one we verified.
//!
//! A difference is then told apart in two:
//!
//! - the framing, which is the split's own: the same four points, with the signed entity
//!   replaced by a neutral one (`NEUTRAL`) and everything else as it is. A difference here
//!   always panics: mail-parser does not take our delimiters, our boundary or our signature.
//! - the signed entity's inner structure. The split treats the entity as opaque. mail-parser
//!   does not: inside a part it looks only for the innermost boundary and reads header blocks
//!   to their empty line, so a signed entity whose own MIME is malformed (a multipart without
//!   its close delimiter, or with no delimiter before it, or with two delimiter lines and no
//!   CR LF between; `--boundary` inside a line, where mail-parser cuts a part, its issue 156;
//!   a part that ends inside its header block; a header line that is not a field; a
//!   composite part with a transfer encoding it does not know) makes it read on past our
//!   delimiter, into the signature part and the epilogue, or give up before our delimiter
//!   (the root then has one part). RFC 2046 ends every enclosed part at the enclosing
//!   delimiter (no boundary may occur inside the parts, section 5.1.1), as our split and
//!   Python's `email` do. That is
//!   finding 1 in FUZZING.md: open, and the reader's to refuse, not the split's
//!   (tests/differential.rs holds it). So that fuzzing goes on past it, a difference is not
//!   reported when the framing agrees and the signed entity is not well-formed MIME
//!   ([`well_formed`], a strict reading of RFC 5322 header blocks and RFC 2046 multiparts);
//!   `SPLIT_DIFFERENTIAL_ALL=1` reports it too. Any other difference panics: mail-parser
//!   reading a well-formed signed entity otherwise than its bytes.
//!
//! mail-parser's own `debug_assert!`s fire on some malformed entities (cargo fuzz compiles
//! them in). Such a panic is caught (`mail_parser`) and counts as a difference like any
//! other: excused only under the two conditions above (the framing agrees, and the signed
//! entity is not well-formed), reported otherwise.
#![no_main]

use std::ops::Range;

use libfuzzer_sys::fuzz_target;
use mail_parser::{Encoding, Message, MessageParser, MimeHeaders, PartType};
use pecmail::mime::{SignedMessage, SplitOptions, canonical_crlf};

/// The entity that stands for ours when the framing alone is compared: a plain part, without
/// a dash, that no reader can read past.
const NEUTRAL: &[u8] = b"Content-Type: text/plain\r\n\r\nneutral";

/// What mail-parser must see.
struct Expected<'a> {
    boundary: &'a str,
    protocol: &'a str,
    entity: &'a [u8],
    signature: &'a [u8],
}

/// The bytes, shown readably in a panic message (at most 2 KiB of them).
fn shown(bytes: &[u8]) -> String {
    let cut = bytes.len().min(2048);
    let mut s = String::from_utf8_lossy(&bytes[..cut])
        .escape_debug()
        .to_string();
    if cut < bytes.len() {
        s.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    s
}

/// `type/subtype` as mail-parser reads a part's `Content-Type` (none: `text/plain`).
fn media_type(part: &mail_parser::MessagePart<'_>) -> String {
    part.content_type().map_or_else(
        || "text/plain".to_owned(),
        |c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")),
    )
}

/// A panic inside mail-parser: one of its own `debug_assert!`s (its internal consistency
/// checks, "Invalid part ID, could not find multipart." and the like), compiled in because
/// cargo fuzz builds everything with debug assertions. A bug of mail-parser; a release build
/// goes on with a state it considers impossible, so there is no reading to compare.
struct MailParserPanicked;

/// mail-parser's reading of `bytes`, or its own assertion failing.
fn mail_parser(bytes: &[u8]) -> Result<Option<Message<'_>>, MailParserPanicked> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        // After libFuzzer's hook (set before the first input), which reports and aborts: a
        // panic located in mail-parser's sources is left to unwind to the catch below.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info
                .location()
                .is_some_and(|l| l.file().contains("mail-parser-0.11"))
            {
                previous(info);
            }
        }));
    });
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MessageParser::default().parse(bytes)
    }))
    .map_err(|_| {
        static SEEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            eprintln!("split_differential: mail-parser's own assertion failed ({n} so far)");
        }
        MailParserPanicked
    })
}

/// What `same_split` found otherwise.
enum Differs {
    /// What differs.
    Reading(String),
    /// mail-parser could not read the bytes: its own assertion failed.
    Panicked,
}

impl From<String> for Differs {
    fn from(what: String) -> Self {
        Differs::Reading(what)
    }
}

/// The one difference of mail-parser's raw first part that is excused: a signed entity that
/// is a header block only (fields ended by CR LF, no empty line, no body). RFC 2046's body
/// part is then the fields alone, since the CR LF before the delimiter line is the
/// delimiter's; mail-parser takes that CR LF as the empty line that ends the header block,
/// so its raw part is the entity and that CR LF. It shows the same fields and the same empty
/// body: nothing is read otherwise but the offset.
fn header_only_with_its_end(entity: &[u8], theirs: &[u8]) -> bool {
    let header_only = entity.ends_with(b"\r\n")
        && !entity.starts_with(b"\r\n")
        && !entity.windows(4).any(|w| w == b"\r\n\r\n");
    header_only && theirs.strip_suffix(b"\r\n") == Some(entity)
}

/// mail-parser's parts of `bytes`, one a line: type, offsets (header, body, end), encoding,
/// what it holds; down the nested messages. For the panic message.
fn tree(bytes: &[u8]) -> String {
    fn walk(m: &Message<'_>, depth: usize, out: &mut String) {
        for (i, p) in m.parts.iter().enumerate() {
            let body = match &p.body {
                PartType::Multipart(ids) => format!("parts {ids:?}"),
                PartType::Message(_) => "a message:".to_owned(),
                _ => format!("{} bytes", p.contents().len()),
            };
            out.push_str(&format!(
                "  {:indent$}{i}: {} {}..{}..{} {:?}{} {body}\n",
                "",
                media_type(p),
                p.offset_header,
                p.offset_body,
                p.offset_end,
                p.encoding,
                if p.is_encoding_problem {
                    " (encoding problem)"
                } else {
                    ""
                },
                indent = depth * 2,
            ));
            if let PartType::Message(inner) = &p.body
                && depth < 16
            {
                walk(inner, depth + 1, out);
            }
        }
    }
    let mut out = String::new();
    match mail_parser(bytes) {
        Ok(Some(m)) => walk(&m, 0, &mut out),
        Ok(None) => out.push_str("  (no message)\n"),
        Err(MailParserPanicked) => out.push_str("  (its own assertion fails)\n"),
    }
    out
}

/// Whether mail-parser, reading `bytes`, sees the parts `want` says; if not, what differs.
/// `canonical`: the bytes are the input with bare LFs, and the first part is compared in its
/// CR LF form.
fn same_split(want: &Expected<'_>, bytes: &[u8], canonical: bool) -> Result<(), Differs> {
    let parsed = mail_parser(bytes).map_err(|MailParserPanicked| Differs::Panicked)?;
    let Some(m): Option<Message<'_>> = parsed else {
        return Err("mail-parser finds no message at all".to_owned().into());
    };
    let root = m.root_part();
    let root_type = media_type(root);
    if !root_type.eq_ignore_ascii_case("multipart/signed") {
        return Err(format!("the root is {root_type}, not multipart/signed").into());
    }
    let boundary = root.content_type().and_then(|c| c.attribute("boundary"));
    if boundary != Some(want.boundary) {
        return Err(format!("the root's boundary is {boundary:?}").into());
    }
    let children = match &root.body {
        PartType::Multipart(ids) => ids.as_slice(),
        other => return Err(format!("the root is not read as a multipart: {other:?}").into()),
    };
    let [first, second] = children else {
        return Err(format!("the root has {} parts, not two", children.len()).into());
    };
    let (Some(first), Some(second)) = (m.part(*first), m.part(*second)) else {
        return Err("a child part id names no part".to_owned().into());
    };

    // The first part: raw bytes, RFC 2046's body part without the CR LF of the delimiter.
    let (start, end) = (first.offset_header as usize, first.offset_end as usize);
    let Some(raw) = bytes.get(start..end) else {
        return Err(
            format!("the first part's offsets {start}..{end} are outside the input").into(),
        );
    };
    let raw = if canonical {
        canonical_crlf(raw)
    } else {
        raw.into()
    };
    if *raw != *want.entity && !header_only_with_its_end(want.entity, &raw) {
        let common = raw
            .iter()
            .zip(want.entity)
            .take_while(|(a, b)| a == b)
            .count();
        return Err(format!(
            "the first part differs from the signed entity: mail-parser's is {} bytes at \
             {start}..{end}, ours {} bytes; they agree on {common} bytes, then mail-parser \
             has \"{}\", we have \"{}\"",
            raw.len(),
            want.entity.len(),
            shown(raw.get(common..(common + 80).min(raw.len())).unwrap_or(&[])),
            shown(
                want.entity
                    .get(common..(common + 80).min(want.entity.len()))
                    .unwrap_or(&[])
            ),
        )
        .into());
    }

    // The second part: the protocol's type, base64, the same signature once decoded.
    let second_type = media_type(second);
    if !second_type.eq_ignore_ascii_case(want.protocol) {
        return Err(format!(
            "the second part is {second_type}, we read {}",
            want.protocol
        )
        .into());
    }
    if second.encoding != Encoding::Base64 || second.is_encoding_problem {
        return Err(format!(
            "the second part is not decoded as base64 (encoding {:?}, encoding problem {})",
            second.encoding, second.is_encoding_problem
        )
        .into());
    }
    if second.contents() != want.signature {
        return Err(format!(
            "the signature differs: mail-parser decodes {} bytes, we {}",
            second.contents().len(),
            want.signature.len()
        )
        .into());
    }
    Ok(())
}

/// The lines of `bytes`, each without its CR LF, and whether it had one (the last one may
/// not).
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8], bool)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = bytes.get(at..).filter(|r| !r.is_empty())?;
        let start = at;
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(end) => {
                at += end + 2;
                Some((start, &rest[..end], true))
            }
            None => {
                at = bytes.len();
                Some((start, rest, false))
            }
        }
    })
}

/// A `Content-Type` value taken apart.
enum Syntax {
    /// `type/subtype` (lower case) and the parameters (names lower case, values unquoted).
    Parsed(String, Vec<(String, String)>),
    /// Not RFC 2045's syntax: a type or a parameter that is not a token, a value that is
    /// neither a token nor a quoted string, a missing `=`.
    Malformed,
    /// Well-formed perhaps, but beyond this reading: a comment, a quoted-pair. (An
    /// unbalanced comment or quote is malformed.)
    Unsure,
}

/// RFC 2045 section 5.1: `type "/" subtype *(";" parameter)`, with blanks between the
/// tokens (and a `;` at the end, which writers leave).
fn parse_content_type(value: &str) -> Syntax {
    let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c);
    // Comments: unbalanced is malformed, balanced is beyond this reading.
    let (mut quoted, mut depth, mut comment) = (false, 0usize, false);
    for c in value.chars() {
        match c {
            '\\' => return Syntax::Unsure,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => {
                depth += 1;
                comment = true;
            }
            ')' if !quoted => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return Syntax::Malformed,
            },
            _ => {}
        }
    }
    if depth > 0 || quoted {
        return Syntax::Malformed;
    }
    if comment {
        return Syntax::Unsure;
    }
    let mut rest = value.trim_start();
    let word = |rest: &mut &str| -> Option<String> {
        let n = rest.find(|c| !token(c)).unwrap_or(rest.len());
        let w = (n > 0).then(|| rest[..n].to_ascii_lowercase());
        *rest = rest[n..].trim_start();
        w
    };
    let (Some(kind), Some('/')) = (word(&mut rest), rest.chars().next()) else {
        return Syntax::Malformed;
    };
    rest = rest[1..].trim_start();
    let Some(subtype) = word(&mut rest) else {
        return Syntax::Malformed;
    };
    let mut params = Vec::new();
    loop {
        match rest.strip_prefix(';') {
            Some(after) => rest = after.trim_start(),
            None if rest.is_empty() => break,
            None => return Syntax::Malformed,
        }
        if rest.is_empty() {
            break;
        }
        let Some(name) = word(&mut rest) else {
            return Syntax::Malformed;
        };
        let Some(after) = rest.strip_prefix('=') else {
            return Syntax::Malformed;
        };
        rest = after.trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let Some(end) = quoted.find('"') else {
                return Syntax::Malformed;
            };
            let v = quoted[..end].to_owned();
            rest = quoted[end + 1..].trim_start();
            v
        } else {
            let n = rest.find(|c| !token(c)).unwrap_or(rest.len());
            if n == 0 {
                return Syntax::Malformed;
            }
            let v = rest[..n].to_owned();
            rest = rest[n..].trim_start();
            v
        };
        params.push((name, value));
    }
    Syntax::Parsed(format!("{kind}/{subtype}"), params)
}

/// Whether `entity` (headers and body, CR LF line ends) is well-formed MIME, strictly, down
/// its multiparts and the messages they carry unencoded:
/// - its header block is fields (a name of printable characters but `:`, then `:`) and
///   folded lines, each ended by CR LF, up to an empty line or the end; at most one `Content-Type`, in RFC 2045's
///   syntax (`parse_content_type`), with one `boundary` on a multipart;
/// - a multipart or a `message/rfc822` has no `Content-Transfer-Encoding` but 7bit, 8bit or
///   binary (mail-parser reads an unknown one as none);
/// - a multipart has a boundary, a delimiter line before its close delimiter line, the close
///   delimiter line, no delimiter line right after another (each takes the CR LF before
///   it), and well-formed parts; and `--boundary` nowhere else: not inside a
///   line, not at the start of a line that goes on, not after the close delimiter line (what
///   our own reader, src/mime/multipart.rs, refuses as ambiguous; mail-parser cuts a part
///   at `--boundary` inside a line, its issue 156).
///
/// Deeper than 16 levels, or a `Content-Type` this reading cannot take apart, counts as
/// well-formed: the differential is then reported, not excused.
fn well_formed(entity: &[u8], depth: usize) -> bool {
    if depth > 16 {
        return true;
    }
    let mut content_type: Option<String> = None;
    let mut encoding = String::new();
    let mut current: Option<(String, String)> = None;
    let mut body_start = entity.len();
    let mut fields = Vec::new();
    for (start, line, ended) in lines(entity) {
        // A field ends with its CR LF: a part that ends inside its header block (the CR LF
        // before a delimiter is the delimiter's) leaves the next part's headers to readers
        // that go on reading fields, as mail-parser does.
        if !ended {
            return false;
        }
        if line.is_empty() {
            body_start = start + 2;
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            match &mut current {
                Some((_, value)) => value.push_str(&String::from_utf8_lossy(line)),
                None => return false,
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            return false;
        };
        if colon == 0 || !line[..colon].iter().all(|c| (33..=126).contains(c)) {
            return false;
        }
        if let Some(field) = current.take() {
            fields.push(field);
        }
        current = Some((
            String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase(),
            String::from_utf8_lossy(&line[colon + 1..]).into_owned(),
        ));
    }
    fields.extend(current);
    for (name, value) in fields {
        match name.as_str() {
            "content-type" if content_type.is_some() => return false,
            "content-type" => content_type = Some(value),
            "content-transfer-encoding" => encoding = value.trim().to_ascii_lowercase(),
            _ => {}
        }
    }
    let Some(content_type) = content_type else {
        return true;
    };
    let (media, params) = match parse_content_type(&content_type) {
        Syntax::Parsed(media, params) => (media, params),
        Syntax::Malformed => return false,
        Syntax::Unsure => return true,
    };
    let body = entity.get(body_start..).unwrap_or(&[]);
    // RFC 2045 section 6.4, RFC 2046 section 5.2.1: a composite type takes no encoding but
    // the identity ones.
    let identity = matches!(encoding.as_str(), "" | "7bit" | "8bit" | "binary");
    if media == "message/rfc822" {
        return identity && well_formed(body, depth + 1);
    }
    if !media.starts_with("multipart/") {
        return true;
    }
    if !identity {
        return false;
    }
    let mut boundaries = params.iter().filter(|(n, _)| n == "boundary");
    let (boundary, None) = (boundaries.next().map(|(_, v)| v), boundaries.next()) else {
        return false;
    };
    let Some(boundary) = boundary.filter(|b| !b.is_empty()) else {
        return false;
    };
    let dash = format!("--{boundary}");
    let dash = dash.as_bytes();
    let mut open: Option<usize> = None;
    let mut at = 0;
    while let Some(found) = body
        .get(at..)
        .and_then(|rest| rest.windows(dash.len()).position(|w| w == dash))
    {
        let start = at + found;
        // At a line start, then `--` for the close, blanks, and the line's end.
        if start != 0 && start.checked_sub(2).and_then(|s| body.get(s..start)) != Some(b"\r\n") {
            return false;
        }
        let after = &body[start + dash.len()..];
        let close = after.starts_with(b"--");
        let after = if close { &after[2..] } else { after };
        let blanks = after
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        let after = &after[blanks..];
        if !(after.starts_with(b"\r\n") || close && after.is_empty()) {
            return false;
        }
        if let Some(part) = open {
            // The CR LF before a delimiter is its own: a delimiter line right after another
            // has none, and our reader refuses it.
            let Some(end) = start.checked_sub(2).filter(|e| *e >= part) else {
                return false;
            };
            if !well_formed(&body[part..end], depth + 1) {
                return false;
            }
        }
        let next = body.len() - after.len() + if after.is_empty() { 0 } else { 2 };
        if close {
            // Nothing in the epilogue reads as a delimiter.
            let epilogue = &body[next..];
            return open.is_some() && !epilogue.windows(dash.len()).any(|w| w == dash);
        }
        open = Some(next);
        at = next;
    }
    false
}

/// The range in `raw` of `range`, a range of `canonical_crlf(raw)`.
fn raw_range(raw: &[u8], range: &Range<usize>) -> Range<usize> {
    let (mut start, mut canonical) = (None, 0);
    for (at, &b) in raw.iter().enumerate() {
        if start.is_none() && canonical >= range.start {
            start = Some(at);
        }
        if canonical >= range.end {
            return start.unwrap_or(at)..at;
        }
        canonical += 1 + usize::from(b == b'\n' && (at == 0 || raw[at - 1] != b'\r'));
    }
    start.unwrap_or(raw.len())..raw.len()
}

/// Panics, naming the mode and what differs, when mail-parser reads `bytes` otherwise than
/// `ours`. `entity`: where the signed entity lies in `bytes`.
fn check(mode: &str, ours: &SignedMessage<'_>, bytes: &[u8], entity: Range<usize>, raw: bool) {
    let want = Expected {
        boundary: ours.boundary(),
        protocol: ours.protocol().as_str(),
        entity: ours.signed_content(),
        signature: ours.signature(),
    };
    let whole = match same_split(&want, bytes, raw) {
        Ok(()) => return,
        Err(Differs::Reading(what)) => Some(what),
        Err(Differs::Panicked) => None,
    };
    let neutral = [&bytes[..entity.start], NEUTRAL, &bytes[entity.end..]].concat();
    let framing = same_split(
        &Expected {
            entity: NEUTRAL,
            ..want
        },
        &neutral,
        raw,
    );
    let report = |what: &str| -> ! {
        panic!(
            "split_differential ({mode}): we accept the message, mail-parser 0.11 reads it \
             otherwise: {what}\nour boundary {:?}, signed entity {} bytes at {entity:?} of the \
             input below, signature {} bytes\nmail-parser's parts:\n{}input: \"{}\"",
            ours.boundary(),
            ours.signed_content().len(),
            ours.signature().len(),
            tree(bytes),
            shown(bytes),
        )
    };
    let whole = whole.unwrap_or_else(|| "mail-parser's own assertion fails on it".to_owned());
    match framing {
        Err(Differs::Reading(framing)) => report(&format!(
            "{whole}; and with a neutral signed entity, the framing itself: {framing}"
        )),
        Err(Differs::Panicked) => report(&format!(
            "{whole}; and with a neutral signed entity, mail-parser's own assertion fails"
        )),
        Ok(()) => {}
    }
    static ALL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let all = *ALL.get_or_init(|| std::env::var_os("SPLIT_DIFFERENTIAL_ALL").is_some());
    if all || well_formed(ours.signed_content(), 0) {
        report(&format!(
            "{whole} (the framing agrees: the signed entity's content makes the difference)"
        ));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(ours) = SignedMessage::parse(data, &SplitOptions::default()) {
        check("strict", &ours, ours.source(), ours.signed_range(), false);
    }
    let mut lenient = SplitOptions::default();
    lenient.canonicalize_line_endings = true;
    if let Ok(ours) = SignedMessage::parse(data, &lenient) {
        check("lenient", &ours, ours.source(), ours.signed_range(), false);
        if ours.is_canonicalized() {
            let entity = raw_range(data, &ours.signed_range());
            check(
                "lenient, the input with its bare LFs",
                &ours,
                data,
                entity,
                true,
            );
        }
    }
});
