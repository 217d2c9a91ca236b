//! A differential oracle: what we call `valid` must be the same message to the other MIME
//! parsers in use, Python's `email` (under its compat32 and default policies) and
//! mail-parser 0.11.
//!
//! The real valid corpus messages and every built message are mutated in their unsigned
//! bytes (the top-level header block, the preamble, the signature part, the epilogue): CR,
//! LF, NUL, `;`, `*`, `\`, quotes, blanks inserted; parameters added and repeated; delimiter-
//! like lines; header lines added; header values changed; the attacks of issue 15 (cases A to
//! D, the lone-CR subject). Each mutant is read by us and by the three other readers. A
//! mutant whose view, to any of them, differs from its original's view (the parts and their
//! types, each part's decoded bytes, the decoded subject and the PEC headers, the mailboxes of
//! `From`, `Sender`, `Reply-To`, `To`, `Cc`, the `Date`) is a differential, and must not be
//! `valid`: it must carry an error diagnostic. The run is seeded and reproducible; it prints
//! the mutants tried, the differentials found and those flagged.
//!
//! The builders are held to the same standard from the other side: inputs drawn from the
//! whole Unicode range, specials over-represented, either build into messages the four
//! readers read as intended, or are refused with `InvalidInput` naming the field.
//!
//! Every unmutated message is also checked as it is: for each other reader, the first part
//! of the `multipart/signed` must be what that reader makes of the bytes our signature check
//! covered.

mod common;

use std::collections::BTreeMap;
use std::io::Write;

use common::messages::{fixture, store};
use common::{corpus_dir, now, real, scratch, skip_without_corpus};
use pecmail::PecTime;
use pecmail::Severity;
use pecmail::mime::{SignedMessage, SplitOptions};
use pecmail::read::{PecMessage, ReadOptions, read};
use pecmail::trust::TrustStore;
use serde_json::{Value, json};
use sha2::Digest;

/// A valid message to mutate, and how it is read.
struct Subject {
    name: String,
    raw: Vec<u8>,
    store: std::rc::Rc<TrustStore>,
    at: PecTime,
    options: ReadOptions,
}

/// SplitMix64: a seeded, reproducible stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn subjects() -> Vec<Subject> {
    let mut out = Vec::new();
    match corpus_dir() {
        Some(dir) => {
            for t in real::trusted(&dir) {
                let store = std::rc::Rc::new(t.store);
                // Messages a repository stored with LF line ends are mutated in the CR LF
                // form their provider sent (the one the signature covers).
                let raw = pecmail::mime::canonical_crlf(&t.raw).into_owned();
                // A few real messages are not valid (a subject the provider changed, say):
                // only valid messages are mutated, since only they can be forged into valid.
                if !read(&raw, &store, t.at, &t.options).unwrap().is_valid() {
                    continue;
                }
                out.push(Subject {
                    name: t.path,
                    raw,
                    store,
                    at: t.at,
                    options: t.options,
                });
            }
            assert!(out.len() >= 12, "{} real valid messages", out.len());
        }
        None => skip_without_corpus("the differential oracle over the real messages"),
    }
    let built_store = std::rc::Rc::new(store());
    for b in fixture() {
        out.push(Subject {
            name: format!("built {}", b.name),
            raw: b.bytes,
            store: built_store.clone(),
            at: now(),
            options: ReadOptions::strict(),
        });
    }
    out
}

/// The unsigned regions of a split message: header block, preamble, after the signed part.
struct Regions {
    /// Offsets of the starts of the top-level header lines (each field's first line).
    field_starts: Vec<usize>,
    body_start: usize,
    preamble_end: usize,
    signed_end: usize,
    boundary: String,
    /// Where the top-level `Content-Type`'s parameters start (its first `;`) and end.
    content_type_params: usize,
    content_type_end: usize,
}

fn regions(raw: &[u8]) -> Regions {
    let s = SignedMessage::parse(raw, &SplitOptions::default()).unwrap();
    let mut field_starts = Vec::new();
    let mut content_type_end = 0;
    let mut content_type_params = 0;
    for (name, value) in s.headers() {
        let start = name.as_ptr() as usize - raw.as_ptr() as usize;
        field_starts.push(start);
        if name.eq_ignore_ascii_case(b"Content-Type") {
            let start = value.as_ptr() as usize - raw.as_ptr() as usize;
            content_type_end = start + value.len();
            content_type_params = start + value.iter().position(|&b| b == b';').unwrap();
        }
    }
    let boundary = s.boundary().to_owned();
    let preamble_end = s.signed_range().start - (boundary.len() + 4);
    Regions {
        field_starts,
        body_start: s.body_start(),
        preamble_end,
        signed_end: s.signed_range().end,
        boundary,
        content_type_params,
        content_type_end,
    }
}

fn insert(raw: &[u8], at: usize, what: &[u8]) -> Vec<u8> {
    let mut out = raw[..at].to_vec();
    out.extend_from_slice(what);
    out.extend_from_slice(&raw[at..]);
    out
}

/// Replaces the value of the first top-level `name` field.
fn set_value(raw: &[u8], body_start: usize, name: &str, value: &str) -> Option<Vec<u8>> {
    let head = &raw[..body_start];
    let text = String::from_utf8_lossy(head);
    let mut at = 0;
    for line in text.split_inclusive("\r\n") {
        if line
            .split_once(':')
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            // The field runs to the next line that does not fold.
            let mut end = at + line.len();
            while matches!(raw.get(end), Some(b' ' | b'\t')) {
                end += raw[end..].windows(2).position(|w| w == b"\r\n")? + 2;
            }
            let mut out = raw[..at].to_vec();
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            out.extend_from_slice(&raw[end..]);
            return Some(out);
        }
        at += line.len();
    }
    None
}

fn value_of(raw: &[u8], name: &str) -> Option<String> {
    let s = SignedMessage::parse(raw, &SplitOptions::default()).ok()?;
    s.headers()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| {
            String::from_utf8_lossy(v)
                .replace("\r\n", "")
                .trim()
                .to_owned()
        })
}

const SPECIALS: &[&[u8]] = &[
    b"\r", b"\n", b"\0", b";", b"*", b"\\", b"\"", b" ", b"\t", b"(", b":", b"\r\n", b"\r\n ",
    b"=?", b"?=", b"<", b",",
];

/// One mutant of `raw`: its class and bytes.
fn mutate(raw: &[u8], r: &Regions, rng: &mut Rng) -> (&'static str, Vec<u8>) {
    let b = &r.boundary;
    let forged_parts = "--EVIL\r\nContent-Type: text/plain\r\n\r\nFORGED TEXT\r\n--EVIL\r\n\
         Content-Type: application/xml; name=\"daticert.xml\"\r\n\r\n\
         <postacert tipo=\"accettazione\" errore=\"nessuno\"><intestazione>\
         <mittente>forger@evil.example</mittente></intestazione></postacert>\r\n--EVIL--\r\n";
    match rng.below(7) {
        0 => {
            // A special byte in a header line (after the name's first byte, so that the
            // field stays a field).
            let at = 1 + rng.below(r.body_start - 3);
            (
                "byte in the header block",
                insert(raw, at, rng.pick::<&[u8]>(SPECIALS)),
            )
        }
        1 => {
            let (from, to) = match rng.below(2) {
                0 => (r.body_start, r.preamble_end.max(r.body_start)),
                _ => (r.signed_end, raw.len()),
            };
            let at = from + rng.below(to - from + 1);
            (
                "byte in the preamble, signature part or epilogue",
                insert(raw, at, rng.pick::<&[u8]>(SPECIALS)),
            )
        }
        2 => {
            let params = [
                "; boundary*=''EVIL".to_owned(),
                "; boundary*0=EVIL".to_owned(),
                "; boundary*0*=''EVIL".to_owned(),
                "; BOUNDARY=\"EVIL\"".to_owned(),
                "; boundary=\"EVIL\"".to_owned(),
                format!("; boundary=\"{b}\""),
                "; protocol=\"text/plain\"".to_owned(),
                "; protocol*=''text%2Fplain".to_owned(),
                "; micalg=md5".to_owned(),
                "; name*=''x".to_owned(),
                "; x=\"a;boundary=EVIL\"".to_owned(),
                "; (comment) x=y".to_owned(),
                ";;".to_owned(),
                "; x=y".to_owned(),
            ];
            // Readers take the first or the last of two: both places are tried.
            let at = if rng.below(2) == 0 {
                r.content_type_params
            } else {
                r.content_type_end
            };
            (
                "Content-Type parameter",
                insert(raw, at, rng.pick(&params).as_bytes()),
            )
        }
        3 => {
            let lines = [
                "--EVIL\r\n".to_owned(),
                format!("--{b}\r\n"),
                format!("--{b}x\r\n"),
                format!("--{b}--\r\n"),
                format!("x\r--{b}\r\n"),
                format!("x --{b}\r\n"),
                "--\r\n".to_owned(),
                forged_parts.to_owned(),
            ];
            let line = rng.pick(&lines).clone();
            let at = if rng.below(2) == 0 {
                r.body_start
            } else {
                raw.len()
            };
            ("delimiter-like line", insert(raw, at, line.as_bytes()))
        }
        4 => {
            let lines = [
                "Subject: ACCETTAZIONE: FORGED\r\n",
                "From: forger@evil.example\r\n",
                "From: \"Per conto di: direttore@tribunale.example\" <posta-certificata@evil.example>\r\n",
                "Sender: forger@evil.example\r\n",
                "Reply-To: attacker@evil.example\r\n",
                "To: victim@evil.example\r\n",
                "Cc: witness@evil.example\r\n",
                "Date: Mon, 1 Jan 2001 00:00:00 +0000\r\n",
                "Content-Type: text/plain\r\n",
                "Content-Transfer-Encoding: base64\r\n",
                "MIME-Version: 2.0\r\n",
                "X-Ricevuta: errore-consegna\r\n",
                "X-Filler: x\rSubject: ACCETTAZIONE: FORGED SUBJECT\r\n",
                "Subject : obsolete\r\n",
                "X-Note: harmless\r\n",
                "Received: from x by y; Mon, 1 Jan 2001 00:00:00 +0000\r\n",
            ];
            let at = *rng.pick(&r.field_starts);
            ("header line", insert(raw, at, rng.pick(&lines).as_bytes()))
        }
        5 => {
            let from = value_of(raw, "From").unwrap_or_default();
            let to = value_of(raw, "To").unwrap_or_default();
            let subject = value_of(raw, "Subject").unwrap_or_default();
            let edits: Vec<(&str, String)> = vec![
                (
                    "From",
                    format!(
                        "\"Per conto di: direttore@tribunale.example\" <{}>",
                        from.rsplit('<').next().unwrap_or("").trim_end_matches('>')
                    ),
                ),
                ("From", format!("{from}, second@evil.example")),
                ("From", format!("Group: {from};")),
                ("To", format!("{to}, extra@evil.example")),
                ("To", "victim@evil.example".to_owned()),
                ("Date", "Mon, 1 Jan 2001 00:00:00 +0000".to_owned()),
                ("Date", "not a date".to_owned()),
                ("Subject", format!("{subject}\u{8}")),
                ("Subject", format!("{subject} ")),
                ("Subject", subject.replacen(' ', "  ", 1)),
                ("Subject", format!("{subject}\u{7f}")),
            ];
            let (name, value) = rng.pick(&edits);
            match set_value(raw, r.body_start, name, value) {
                Some(m) => ("header value", m),
                None => (
                    "header value",
                    insert(raw, 0, format!("{name}: {value}\r\n").as_bytes()),
                ),
            }
        }
        _ => {
            // The attacks of issue 15, with the forged parts in the preamble.
            let evil = "X-Filler: x\rContent-Type: multipart/mixed; boundary=\"EVIL\"\r\n";
            let m = match rng.below(5) {
                0 => insert(
                    &insert(raw, r.body_start, forged_parts.as_bytes()),
                    0,
                    evil.as_bytes(),
                ),
                1 => {
                    let m = insert(raw, r.body_start, forged_parts.as_bytes());
                    let ct = value_of(raw, "Content-Type").unwrap();
                    let forged = ct.replacen("boundary", "boundary*=''EVIL; boundary", 1);
                    set_value(&m, r.body_start, "Content-Type", &forged).unwrap()
                }
                2 => {
                    let ct = value_of(raw, "Content-Type").unwrap();
                    let quoted = ct.replacen(&format!("\"{b}\""), &format!("\"\\{b}\""), 1);
                    set_value(raw, r.body_start, "Content-Type", &quoted).unwrap()
                }
                3 => {
                    let line = format!("x\r--{b}\r\nContent-Type: text/plain\r\n\r\nFORGED\r\n");
                    insert(raw, r.body_start, line.as_bytes())
                }
                _ => insert(
                    raw,
                    0,
                    b"X-Filler: x\rSubject: ACCETTAZIONE: FORGED SUBJECT\r\n",
                ),
            };
            ("attack of issue 15", m)
        }
    }
}

/// Python's views of many messages, in one run of `tests/support/differential.py`.
fn python(messages: &[&[u8]]) -> Vec<(Value, Value)> {
    python_with(messages, &[])
}

/// [`python`] with the script's extra arguments.
fn python_with(messages: &[&[u8]], args: &[&str]) -> Vec<(Value, Value)> {
    // One file per call: the tests of this file run in parallel, and two of them at once
    // would write one file.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let batch = scratch(&format!("differential-{}-{call}.batch", std::process::id()));
    let mut f = std::fs::File::create(&batch).unwrap();
    for m in messages {
        f.write_all(&(m.len() as u32).to_be_bytes()).unwrap();
        f.write_all(m).unwrap();
    }
    drop(f);
    let script = common::repo_root().join("tests/support/differential.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&batch)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); the tests need it on PATH"));
    let _ = std::fs::remove_file(&batch);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let views: Vec<(Value, Value)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            (v["compat32"].take(), v["default"].take())
        })
        .collect();
    assert_eq!(views.len(), messages.len());
    views
}

fn sha16(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// mail-parser's view, in the shape of the Python one.
fn mail_parser(raw: &[u8]) -> Value {
    use mail_parser::{MessageParser, MimeHeaders, PartType};
    fn ctype(p: &mail_parser::MessagePart<'_>) -> String {
        p.content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase())
            .unwrap_or_else(|| "text/plain".to_owned())
    }
    fn tree(m: &mail_parser::Message<'_>, p: &mail_parser::MessagePart<'_>, depth: usize) -> Value {
        let name = p.attachment_name();
        match &p.body {
            PartType::Multipart(ids) if depth < 16 => json!([
                ctype(p),
                name,
                ids.iter()
                    .filter_map(|i| m.part(*i))
                    .map(|c| tree(m, c, depth + 1))
                    .collect::<Vec<_>>()
            ]),
            PartType::Message(inner) if depth < 16 => {
                json!([ctype(p), name, [tree(inner, inner.root_part(), depth + 1)]])
            }
            _ => json!([ctype(p), name, sha16(p.contents())]),
        }
    }
    let Some(m) = MessageParser::default().parse(raw) else {
        return json!({"error": "unparsable"});
    };
    let root = m.root_part();
    let addresses = |a: Option<&mail_parser::Address<'_>>| -> Value {
        a.map(|a| {
            a.iter()
                .map(|x| json!([x.name(), x.address()]))
                .collect::<Vec<_>>()
        })
        .into()
    };
    let parts: Value = match &root.body {
        PartType::Multipart(ids) => ids
            .iter()
            .filter_map(|i| m.part(*i))
            .map(|c| tree(&m, c, 1))
            .collect::<Vec<_>>()
            .into(),
        _ => Value::Null,
    };
    json!({
        "root": ctype(root),
        "boundary": root.content_type().and_then(|c| c.attribute("boundary")),
        "parts": parts,
        "subject": m.subject(),
        "from": addresses(m.from()),
        "sender": addresses(m.sender()),
        "reply-to": addresses(m.reply_to()),
        "to": addresses(m.to()),
        "cc": addresses(m.cc()),
        "date": m.date().map(|d| d.to_timestamp()),
    })
}

/// Refused: not valid, and either an error diagnostic says why, or the message is not read
/// as PEC at all (the mutation took its PEC structure away, to us as to the others).
fn flagged(m: &PecMessage<'_>) -> bool {
    !m.is_valid()
        && (m.kind.is_none() || m.diagnostics.iter().any(|d| d.severity == Severity::Error))
}

/// The three other readers' views of one message.
#[derive(PartialEq, Debug)]
struct Views {
    compat32: Value,
    default: Value,
    mail_parser: Value,
}

impl Views {
    /// Which readers see something else than in `other`.
    fn differ(&self, other: &Views) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.compat32 != other.compat32 {
            out.push("python-compat32");
        }
        if self.default != other.default {
            out.push("python-default");
        }
        if self.mail_parser != other.mail_parser {
            out.push("mail-parser");
        }
        out
    }
}

/// Mutants per message: enough to cover every class many times over in a few seconds.
const MUTANTS_PER_MESSAGE: usize = 160;

#[test]
fn no_reader_sees_another_message_in_what_we_call_valid() {
    let subjects = subjects();
    let mut rng = Rng(0x5eed_0015);
    // The originals, their signed entities, then the mutants.
    let mut inputs: Vec<(usize, &'static str, Vec<u8>)> = Vec::new();
    let mut entities = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        let split = SignedMessage::parse(&s.raw, &SplitOptions::default()).unwrap();
        entities.push(split.signed_content().to_vec());
        let r = regions(&s.raw);
        for _ in 0..MUTANTS_PER_MESSAGE {
            let (class, bytes) = mutate(&s.raw, &r, &mut rng);
            inputs.push((i, class, bytes));
        }
    }
    let mut all: Vec<&[u8]> = subjects.iter().map(|s| s.raw.as_slice()).collect();
    all.extend(entities.iter().map(Vec::as_slice));
    all.extend(inputs.iter().map(|(_, _, b)| b.as_slice()));
    let py = python(&all);
    let views = |k: usize| Views {
        compat32: py[k].0.clone(),
        default: py[k].1.clone(),
        mail_parser: mail_parser(all[k]),
    };
    let n = subjects.len();

    // Each original as it is: the other readers' first part is what we verified.
    for (i, s) in subjects.iter().enumerate() {
        let whole = views(i);
        let entity = views(n + i);
        for (reader, w, e) in [
            ("python-compat32", &whole.compat32, &entity.compat32),
            ("python-default", &whole.default, &entity.default),
            ("mail-parser", &whole.mail_parser, &entity.mail_parser),
        ] {
            assert_eq!(w["root"], "multipart/signed", "{} ({reader})", s.name);
            let parts = w["parts"]
                .as_array()
                .unwrap_or_else(|| panic!("{} ({reader})", s.name));
            assert_eq!(parts.len(), 2, "{} ({reader})", s.name);
            assert_eq!(parts[0][0], e["root"], "{} ({reader})", s.name);
            assert_eq!(
                parts[0][2], e["parts"],
                "{} ({reader}): the first part is not what was verified",
                s.name
            );
        }
    }

    // The mutants.
    let originals: Vec<Views> = (0..n).map(views).collect();
    let mut tried = 0;
    let mut found = 0;
    let mut caught = 0;
    let mut refused_alike = 0;
    let mut by_class: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    for (k, (i, class, bytes)) in inputs.iter().enumerate() {
        let s = &subjects[*i];
        // An input that cannot be read at all (no header block) is refused outright.
        let ours = read(bytes, &s.store, s.at, &s.options).ok();
        let (valid, flag) = match &ours {
            Some(m) => (m.is_valid(), flagged(m)),
            None => (false, true),
        };
        let theirs = views(2 * n + k);
        let differ = theirs.differ(&originals[*i]);
        tried += 1;
        let entry = by_class.entry(class).or_default();
        entry.0 += 1;
        if !differ.is_empty() {
            found += 1;
            entry.1 += 1;
            if flag {
                caught += 1;
                entry.2 += 1;
            } else if missed.len() < 12 {
                // Where the mutant departs from its original, and what it says there.
                let at = s
                    .raw
                    .iter()
                    .zip(bytes.iter())
                    .take_while(|(a, b)| a == b)
                    .count();
                let from = at.saturating_sub(80);
                missed.push(format!(
                    "{} / {class}: {differ:?} see another message, we say {}; at byte {at}: \
                     {:?} became {:?}",
                    s.name,
                    if valid {
                        "valid"
                    } else {
                        "invalid without an error"
                    },
                    String::from_utf8_lossy(&s.raw[from..(at + 60).min(s.raw.len())]),
                    String::from_utf8_lossy(&bytes[from..(at + 60).min(bytes.len())]),
                ));
            } else {
                missed.push(String::new());
            }
        } else if !valid {
            refused_alike += 1;
        }
    }
    eprintln!(
        "differential oracle: {tried} mutants of {n} messages tried, {found} differentials \
         found, {caught} flagged; {refused_alike} mutants refused though every reader saw the \
         original"
    );
    for (class, (t, f, c)) in &by_class {
        eprintln!("  {class}: {t} tried, {f} differentials, {c} flagged");
    }
    assert!(
        missed.is_empty(),
        "{} differentials not flagged:\n{}",
        missed.len(),
        missed
            .iter()
            .filter(|m| !m.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    assert!(
        found > tried / 4,
        "the mutants must produce differentials to test anything"
    );
}

/// The real valid messages only (the corpus must be there).
fn real_subjects() -> Vec<Subject> {
    let all = subjects();
    let real: Vec<Subject> = all
        .into_iter()
        .filter(|s| !s.name.starts_with("built "))
        .collect();
    assert!(real.len() >= 12, "{} real valid messages", real.len());
    real
}

/// The diagnostic codes of a reading of `bytes` as `s` is read.
fn codes_of(s: &Subject, bytes: &[u8]) -> Vec<pecmail::DiagnosticCode> {
    let m = read(bytes, &s.store, s.at, &s.options).unwrap();
    m.diagnostics.iter().map(|d| d.code).collect()
}

/// Issue 15, cases A to D and the lone-CR subject, on every real valid message: Python's
/// `email` is shown a forged part or subject, and we refuse the message as ambiguous.
#[test]
fn the_unsigned_byte_attacks_on_real_messages_are_refused_as_ambiguous() {
    use pecmail::DiagnosticCode::MimeAmbiguous;
    let real = real_subjects();
    let forged_parts = "--EVIL\r\nContent-Type: text/plain\r\n\r\nFORGED TEXT\r\n--EVIL--\r\n";
    let mut cases: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    for s in &real {
        let r = regions(&s.raw);
        let b = &r.boundary;
        let ct = value_of(&s.raw, "Content-Type").unwrap();
        let with_parts = insert(&s.raw, r.body_start, forged_parts.as_bytes());
        let a = insert(
            &with_parts,
            0,
            b"X-Filler: x\rContent-Type: multipart/mixed; boundary=\"EVIL\"\r\n",
        );
        let bb = set_value(
            &with_parts,
            r.body_start,
            "Content-Type",
            &ct.replacen("boundary", "boundary*=''EVIL; boundary", 1),
        )
        .unwrap();
        let c = set_value(
            &s.raw,
            r.body_start,
            "Content-Type",
            &ct.replacen(&format!("\"{b}\""), &format!("\"\\{b}\""), 1),
        )
        .unwrap();
        let d = insert(
            &s.raw,
            r.body_start,
            format!("x\r--{b}\r\nContent-Type: text/plain\r\n\r\nFORGED TEXT\r\n").as_bytes(),
        );
        let e = insert(
            &s.raw,
            0,
            b"X-Filler: x\rSubject: ACCETTAZIONE: FORGED SUBJECT\r\n",
        );
        for (case, bytes) in [
            ("A", a),
            ("B", bb),
            ("C", c),
            ("D", d),
            ("lone-CR subject", e),
        ] {
            cases.push((s.name.clone(), case, bytes));
        }
    }
    let all: Vec<&[u8]> = real
        .iter()
        .map(|s| s.raw.as_slice())
        .chain(cases.iter().map(|(_, _, b)| b.as_slice()))
        .collect();
    let py = python(&all);
    for (k, (name, case, bytes)) in cases.iter().enumerate() {
        let s = real.iter().find(|s| &s.name == name).unwrap();
        let original = &py[real.iter().position(|x| &x.name == name).unwrap()];
        let seen = &py[real.len() + k];
        // Python is shown another message, under one policy at least (C: compat32 keeps the
        // backslash, so it finds no part; B: the default policy takes EVIL).
        assert!(
            seen.0 != original.0 || seen.1 != original.1,
            "{name} case {case}: Python sees the original"
        );
        let codes = codes_of(s, bytes);
        assert!(
            codes.contains(&MimeAmbiguous),
            "{name} case {case}: {codes:?}"
        );
    }
}

/// Each change of a shown header that daticert or the signed original certifies, on every
/// real valid message that carries the header: its own error diagnostic.
#[test]
fn every_certified_header_change_has_its_own_error_on_the_real_messages() {
    use pecmail::DiagnosticCode::*;
    let real = real_subjects();
    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &real {
        let r = regions(&s.raw);
        let before = codes_of(s, &s.raw);
        let from = value_of(&s.raw, "From").unwrap();
        let address = from
            .rsplit('<')
            .next()
            .unwrap()
            .trim_end_matches('>')
            .to_owned();
        let mut changes: Vec<(&str, Vec<u8>, pecmail::DiagnosticCode)> = vec![
            (
                "From display name",
                set_value(
                    &s.raw,
                    r.body_start,
                    "From",
                    &format!("\"Per conto di: direttore@tribunale.example\" <{address}>"),
                )
                .unwrap(),
                PecFromDisplayName,
            ),
            (
                "second mailbox in From",
                set_value(
                    &s.raw,
                    r.body_start,
                    "From",
                    &format!("{from}, other@evil.example"),
                )
                .unwrap(),
                PecFromMailbox,
            ),
        ];
        match value_of(&s.raw, "Reply-To") {
            Some(_) => changes.push((
                "changed Reply-To",
                set_value(&s.raw, r.body_start, "Reply-To", "attacker@evil.example").unwrap(),
                PecReplyToMismatch,
            )),
            None => changes.push((
                "added Reply-To",
                insert(&s.raw, 0, b"Reply-To: attacker@evil.example\r\n"),
                PecReplyToMismatch,
            )),
        }
        if let Some(to) = value_of(&s.raw, "To") {
            changes.push((
                "changed To",
                set_value(
                    &s.raw,
                    r.body_start,
                    "To",
                    &format!("{to}, victim@evil.example"),
                )
                .unwrap(),
                PecToMismatch,
            ));
        }
        if value_of(&s.raw, "Cc").is_none() {
            changes.push((
                "added Cc",
                insert(&s.raw, 0, b"Cc: witness@evil.example\r\n"),
                PecCcMismatch,
            ));
        }
        if value_of(&s.raw, "Date").is_some() {
            changes.push((
                "changed Date",
                set_value(
                    &s.raw,
                    r.body_start,
                    "Date",
                    "Mon, 1 Jan 2001 00:00:00 +0000",
                )
                .unwrap(),
                PecDateMismatch,
            ));
        }
        if let Some(subject) = value_of(&s.raw, "Subject") {
            for (what, c) in [("BS in Subject", '\u{8}'), ("DEL in Subject", '\u{7f}')] {
                let forged = format!(
                    "{}{c}{}",
                    &subject[..subject.len() - 1],
                    &subject[subject.len() - 1..]
                );
                changes.push((
                    what,
                    set_value(&s.raw, r.body_start, "Subject", &forged).unwrap(),
                    PecSubjectDiffers,
                ));
            }
        }
        for (what, bytes, code) in changes {
            assert!(
                !before.contains(&code),
                "{}: {code} before any change",
                s.name
            );
            let after = codes_of(s, &bytes);
            assert!(
                after.contains(&code),
                "{} / {what}: expected {code}, got {after:?}",
                s.name
            );
            *checked.entry(what).or_default() += 1;
        }
    }
    eprintln!("certified header changes checked: {checked:?}");
    for what in [
        "From display name",
        "second mailbox in From",
        "changed To",
        "changed Date",
    ] {
        assert!(
            checked.get(what).copied().unwrap_or(0) >= 12,
            "{what}: {checked:?}"
        );
    }
}

/// Characters a builder input is drawn from: the specials of RFC 5322, 5321 and 2047, the
/// controls, the Unicode line breaks, often; then any character.
fn hostile_char(rng: &mut Rng) -> char {
    const SPECIALS: &[char] = &[
        '"', '\\', '<', '>', ',', ';', ':', '@', '(', ')', '[', ']', '.', ' ', '=', '?', '_',
        '\u{0}', '\u{1b}', '\u{7f}', '\r', '\n', '\t', '\u{85}', '\u{2028}', '\u{FEFF}', 'è', '€',
        '🙂', '\'', '+', '-',
    ];
    match rng.below(4) {
        0 | 1 => *rng.pick(SPECIALS),
        2 => char::from(b'a' + rng.below(26) as u8),
        _ => loop {
            // Any scalar value, the low planes more often.
            let max = *rng.pick(&[0x80u32, 0x800, 0x1_0000, 0x11_0000]);
            if let Some(c) = char::from_u32(rng.below(max as usize) as u32) {
                break c;
            }
        },
    }
}

fn hostile_text(rng: &mut Rng, len: usize) -> String {
    let mut s: String = (0..len).map(|_| hostile_char(rng)).collect();
    if rng.below(4) == 0 {
        s.insert_str(rng.below(2) * s.len(), "=?utf-8?q?x?=");
    }
    s
}

fn plain_text(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| *rng.pick(&['a', 'e', 'r', 't', '0', '.', '-', '_']))
        .collect::<String>()
}

/// Characters that are valid where they appear but special to someone: the atext of RFC
/// 5322 beyond letters and digits (`=` and `?` make encoded-word markers).
const ATEXT_SPECIALS: &[char] = &[
    '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~',
];

/// How hard an input is drawn: plain, valid with specials, or anything.
#[derive(Clone, Copy, PartialEq)]
enum Draw {
    Plain,
    Tricky,
    Hostile,
}

fn draw(rng: &mut Rng) -> Draw {
    match rng.below(20) {
        0..=11 => Draw::Plain,
        12..=16 => Draw::Tricky,
        _ => Draw::Hostile,
    }
}

/// A local part or identifier word, as `how` says (hostile ones sometimes quoted).
fn local_part(rng: &mut Rng, how: Draw) -> String {
    let n = 1 + rng.below(10);
    match how {
        Draw::Plain => format!("m{}x", plain_text(rng, n).replace('.', "")),
        Draw::Tricky => (0..n)
            .map(|_| {
                if rng.below(2) == 0 {
                    *rng.pick(ATEXT_SPECIALS)
                } else {
                    char::from(b'a' + rng.below(26) as u8)
                }
            })
            .collect(),
        Draw::Hostile => {
            let text = hostile_text(rng, n);
            if rng.below(3) == 0 {
                format!("\"{text}\"")
            } else {
                text
            }
        }
    }
}

/// A subject, as `how` says: tricky ones have the specials and any non-control character.
fn subject_text(rng: &mut Rng, how: Draw, case: usize) -> String {
    let n = 1 + rng.below(40);
    match how {
        Draw::Plain => format!("Fattura {case} {}", plain_text(rng, n)),
        Draw::Tricky => {
            let mut s = String::new();
            while s.chars().count() < n {
                let c = hostile_char(rng);
                if !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}') {
                    s.push(c);
                }
            }
            if rng.below(3) == 0 {
                s.push_str(" =?utf-8?q?x?= ");
            }
            s
        }
        Draw::Hostile => hostile_text(rng, n),
    }
}

/// The subject as written in an original: every byte Q-escaped, in encoded words that split
/// no character.
fn encoded_subject(subject: &str) -> String {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in subject.chars() {
        let mut buf = [0u8; 4];
        let piece: String = c
            .encode_utf8(&mut buf)
            .bytes()
            .map(|b| format!("={b:02X}"))
            .collect();
        if word.len() + piece.len() > 60 {
            words.push(format!("=?UTF-8?Q?{word}?="));
            word.clear();
        }
        word.push_str(&piece);
    }
    words.push(format!("=?UTF-8?Q?{word}?="));
    words.join("\r\n ")
}

/// What Python (one policy) or mail-parser must show of a built message.
fn shows(view: &Value, field: &str) -> Value {
    match field {
        "subject" => view["headers"]["subject"].clone(),
        "from" | "to" => view["addresses"][field].clone(),
        _ => view[field].clone(),
    }
}

/// Issue 15, item 6: builders write only what parses back the same. Inputs (sender,
/// recipients, subject, identifiers) are drawn from the whole Unicode range with the
/// specials, controls and encoded-word markers over-represented; each case builds a
/// transport envelope and its acceptance, or is refused with `InvalidInput` naming the
/// field. What is built is read by us (valid, daticert as intended), by Python's `email`
/// under both policies and by mail-parser: `From`, `To`, `Subject`, `Message-ID` and
/// `X-Riferimento-Message-ID` must be the intent, to each of them.
#[test]
fn what_the_builders_write_every_parser_reads_as_intended() {
    use common::messages::{ALFA_SERVICE, alfa, at};
    use pecmail::build::{Acceptance, BuildOptions, TransportEnvelope};
    use pecmail::daticert::Recipient;

    // Signing dominates; without AWS-LC (the `aws-lc` feature, on in CI) the RSA of a debug
    // build would take minutes for the full draw.
    const CASES: usize = if cfg!(feature = "aws-lc") { 4_000 } else { 400 };
    let mut rng = Rng(0x5eed_0615);
    let (_, key) = common::signers("alfa").pop().unwrap();
    let (alfa, store) = (alfa(), store());
    let fields = [
        "sender",
        "recipients[",
        "subject",
        "identifier",
        "client_message_id",
        "message_id",
        "original",
    ];
    struct Built {
        sender: String,
        recipients: Vec<String>,
        subject: String,
        identifier: String,
        receipt_id: String,
        client_id: String,
        envelope: Vec<u8>,
        receipt: Vec<u8>,
    }
    let mut built = Vec::new();
    let (mut refused, mut plain_refused, mut hostile_built) = (BTreeMap::new(), 0, 0);
    for case in 0..CASES {
        let mut plain = true;
        let mut next = |rng: &mut Rng| {
            let how = draw(rng);
            plain &= how == Draw::Plain;
            how
        };
        let how = next(&mut rng);
        let sender = format!("{}@pec.alfa.test", local_part(&mut rng, how));
        let recipients: Vec<String> = (0..1 + rng.below(3))
            .map(|_| {
                let how = next(&mut rng);
                format!("{}@pec.beta.test", local_part(&mut rng, how))
            })
            .collect();
        let how = next(&mut rng);
        let subject = subject_text(&mut rng, how, case);
        let mut ident = |rng: &mut Rng| {
            let how = next(rng);
            let right = match how {
                Draw::Hostile if rng.below(2) == 0 => hostile_text(rng, 6),
                _ => "pec.alfa.test".to_owned(),
            };
            format!("{}@{right}", local_part(rng, how))
        };
        let identifier = ident(&mut rng);
        let receipt_id = ident(&mut rng);
        // The client's Message-ID is a header of the original: one line, as a client writes it.
        let client_id = format!("<{}>", ident(&mut rng)).replace(['\r', '\n'], "");
        let original = format!(
            "From: {sender}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: {client_id}\r\n\
Date: Mon, 01 Jun 2026 09:59:58 +0200\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nTesto.\r\n",
            recipients.join(", "),
            encoded_subject(&subject),
        );
        let list: Vec<Recipient> = recipients.iter().map(Recipient::certified).collect();
        let envelope =
            TransportEnvelope::new(original.as_bytes(), &sender, &list, &identifier, at(0));
        let result = envelope.facts().and_then(|facts| {
            assert_eq!(
                facts.subject, subject,
                "the test's own encoding of the subject"
            );
            let options = BuildOptions::default();
            let e = envelope
                .prepare(&alfa, &options)?
                .sign_with(key.as_ref())?
                .into_vec();
            let r = Acceptance::new(&facts, &receipt_id, at(0))
                .prepare(&alfa, &options)?
                .sign_with(key.as_ref())?
                .into_vec();
            Ok((e, r))
        });
        match result {
            Ok((envelope, receipt)) => {
                hostile_built += usize::from(!plain);
                built.push(Built {
                    sender,
                    recipients,
                    subject,
                    identifier,
                    receipt_id,
                    client_id,
                    envelope,
                    receipt,
                });
            }
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    pecmail::ErrorKind::InvalidInput,
                    "case {case}: {e}"
                );
                let field = fields
                    .iter()
                    .find(|f| e.message().starts_with(*f))
                    .unwrap_or_else(|| panic!("case {case}: the error names no field: {e}"));
                *refused.entry(*field).or_insert(0usize) += 1;
                plain_refused += usize::from(plain);
                assert!(!plain, "case {case}: plain inputs refused: {e}");
            }
        }
    }
    let messages: Vec<&[u8]> = built
        .iter()
        .flat_map(|b| [b.envelope.as_slice(), b.receipt.as_slice()])
        .collect();
    let py = python_with(&messages, &["--builder"]);
    let mut disagreements = Vec::new();
    for (i, b) in built.iter().enumerate() {
        for (k, bytes) in [(2 * i, &b.envelope), (2 * i + 1, &b.receipt)] {
            let envelope = k % 2 == 0;
            let m = read(bytes, &store, now(), &ReadOptions::strict()).unwrap();
            let d = m.daticert.as_ref().unwrap();
            let ours_ok = m.is_valid()
                && d.header.sender == b.sender
                && d.header.subject.as_deref() == Some(b.subject.as_str())
                && d.header
                    .recipients
                    .iter()
                    .map(|r| r.address.as_str())
                    .eq(b.recipients.iter().map(String::as_str))
                && d.data.identifier == b.identifier
                && d.data.client_message_id.as_deref() == Some(b.client_id.as_str());
            if !ours_ok {
                disagreements.push(format!("ours, message {k}: {:?} {d:?}", m.diagnostics));
            }
            let (prefix, from, to, id) = if envelope {
                (
                    "POSTA CERTIFICATA: ",
                    json!([[format!("Per conto di: {}", b.sender), ALFA_SERVICE]]),
                    None,
                    &b.identifier,
                )
            } else {
                (
                    "ACCETTAZIONE: ",
                    json!([["", ALFA_SERVICE]]),
                    Some(json!([["", b.sender]])),
                    &b.receipt_id,
                )
            };
            let subject = format!("{prefix}{}", b.subject);
            for (reader, view) in [("python-compat32", &py[k].0), ("python-default", &py[k].1)] {
                let mut want = vec![
                    ("subject", json!([subject.trim()])),
                    ("from", from.clone()),
                    ("message-id", json!([format!("<{id}>")])),
                ];
                if let Some(to) = &to {
                    want.push(("to", to.clone()));
                }
                for (field, value) in want {
                    if shows(view, field) != value {
                        disagreements.push(format!(
                            "{reader}, message {k}, {field}: {} != {value}",
                            shows(view, field)
                        ));
                    }
                }
                if envelope && view["headers"]["x-riferimento-message-id"] != json!([b.client_id]) {
                    disagreements.push(format!("{reader}, message {k}: X-Riferimento-Message-ID"));
                }
            }
            let mp = mail_parser(bytes);
            let parsed = mail_parser::MessageParser::default()
                .parse(bytes.as_slice())
                .unwrap();
            let mut want = vec![("subject", json!(subject)), ("from", from.clone())];
            if let Some(to) = &to {
                want.push(("to", to.clone()));
            }
            let mp_from = |v: &Value| -> Value {
                // mail-parser gives no name as null; the others give "".
                json!(v.as_array().map(|l| {
                    l.iter()
                        .map(|x| json!([x[0].as_str().unwrap_or(""), x[1]]))
                        .collect::<Vec<_>>()
                }))
            };
            for (field, value) in want {
                let got = if field == "subject" {
                    mp["subject"].clone()
                } else {
                    mp_from(&mp[field])
                };
                if got != value {
                    disagreements.push(format!(
                        "mail-parser, message {k}, {field}: {got} != {value}"
                    ));
                }
            }
            if parsed.message_id() != Some(id.as_str()) {
                disagreements.push(format!(
                    "mail-parser, message {k}: Message-ID {:?}",
                    parsed.message_id()
                ));
            }
        }
    }
    println!(
        "builder property: {CASES} cases, {} built ({hostile_built} from hostile inputs), refused by field {refused:?}, {} messages read by 4 parsers, {} disagreements",
        built.len(),
        messages.len(),
        disagreements.len()
    );
    assert_eq!(plain_refused, 0);
    assert!(
        hostile_built > 0 && !refused.is_empty(),
        "the draw must reach both outcomes"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {:#?}",
        disagreements.len(),
        &disagreements[..disagreements.len().min(12)]
    );
}

// ---- Findings of the fuzz target split_differential (fuzz/fuzz_targets) ----------------------

/// Every part mail-parser 0.11 reads in `raw`, decoded, down nested messages.
fn mail_parser_contents(raw: &[u8]) -> Vec<Vec<u8>> {
    fn walk(m: &mail_parser::Message<'_>, depth: usize, out: &mut Vec<Vec<u8>>) {
        for p in &m.parts {
            match &p.body {
                mail_parser::PartType::Message(inner) if depth < 16 => walk(inner, depth + 1, out),
                _ => out.push(p.contents().to_vec()),
            }
        }
    }
    let mut out = Vec::new();
    if let Some(m) = mail_parser::MessageParser::default().parse(raw) {
        walk(&m, 0, &mut out);
    }
    out
}

/// split_differential, finding 2 (fixed): a `smime.p7s` whose base64 lacks its final padding.
/// Python's `email` pads it and decodes its last bytes, mail-parser 0.11 drops them: the
/// split accepted it and handed on Python's reading. Now refused as ambiguous. The fuzzer's
/// input was a built acceptance with LF line ends (lenient split) whose signature's `=` was
/// gone (712 bytes to us and Python, 711 to mail-parser); this is the same shape, minimised
/// by hand.
#[test]
fn split_differential_an_unpadded_signature_is_refused() {
    let unpadded: &[u8] = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=B\r\n\r\n--B\r\n\r\nx\r\n--B\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMAMCAQA\r\n--B--\r\n";
    // The two readings: mail-parser drops the unfinished quantum (`AQA`, two bytes), Python
    // pads it and keeps them.
    let m = mail_parser::MessageParser::default()
        .parse(unpadded)
        .unwrap();
    let ids = m.root_part().sub_parts().unwrap().to_vec();
    assert_eq!(m.part(ids[1]).unwrap().contents(), [0x30, 0x03, 0x02]);
    let py = python(&[unpadded]);
    assert_eq!(
        py[0].0["parts"][1][2],
        sha16(&[0x30, 0x03, 0x02, 0x01, 0x00])
    );
    for canonicalize in [false, true] {
        let mut options = SplitOptions::default();
        options.canonicalize_line_endings = canonicalize;
        let e = SignedMessage::parse(unpadded, &options).unwrap_err();
        assert_eq!(e.kind(), pecmail::ErrorKind::AmbiguousMime, "{e}");
        // Padded, the same message splits.
        let padded = [&unpadded[..unpadded.len() - 9], b"=\r\n--B--\r\n"].concat();
        let s = SignedMessage::parse(&padded, &options).unwrap();
        assert_eq!(s.signature(), [0x30, 0x03, 0x02, 0x01, 0x00]);
    }
}

/// split_differential, finding 1 (fixed: the reader checks that every multipart of the
/// carried message is closed, `mime-ambiguous` otherwise): a multipart without its close delimiter inside the signed entity. RFC 2046
/// (section 5.1.1: no boundary inside the parts) ends it at the enclosing delimiter, as our
/// split and Python's `email` do; mail-parser 0.11 reads its last part on through our
/// delimiter, the signature and the epilogue, which are unsigned: text appended to the
/// epilogue is shown to a mail-parser reader inside the signed content. The split treats the
/// entity as opaque; what must not be `valid` is such a message. Two ways to get one: the
/// signer writes it (the entity's own multipart/mixed: refused today, the entity's split is
/// strict), or the sender does (postacert.eml, which the provider signs as it came: read as
/// valid today, with the injected text shown by mail-parser inside the original's text).
#[test]
fn split_differential_an_unterminated_multipart_in_the_signed_entity_is_not_valid() {
    let injected = b"INIETTATO: testo fuori dalla firma\r\n";
    let store = store();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // The signer's: the entity's multipart/mixed loses its close delimiter.
    let envelope = common::messages::fixture_message("transport-envelope");
    cases.push((
        "signed entity",
        common::forge::resign(&envelope, "alfa", |entity| {
            let close = entity.rfind("--\r\n").expect("a close delimiter");
            let line = entity[..close].rfind("\r\n").unwrap() + 2;
            format!("{}{}", &entity[..line], &entity[close + 4..])
        }),
    ));
    // The sender's: postacert.eml is a multipart/mixed without its close delimiter.
    let original = "From: Mario Rossi <mario.rossi@pec.alfa.test>\r\n\
        To: Anna Bianchi <anna.bianchi@pec.beta.test>\r\n\
        Subject: Contratto\r\n\
        Date: Mon, 01 Jun 2026 09:59:58 +0200\r\n\
        Message-ID: <20260601095958.99@client.example>\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"client-boundary\"\r\n\
        \r\n\
        --client-boundary\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        Il testo firmato.\r\n";
    let alfa = common::messages::alfa();
    let (_, signer) = common::signers("alfa").into_iter().next().unwrap();
    let recipients = [pecmail::daticert::Recipient::certified(
        common::messages::ANNA,
    )];
    let built = pecmail::build::TransportEnvelope::new(
        original.as_bytes(),
        common::messages::SENDER,
        &recipients,
        "opec-alfa.20260601100000.9@pec.alfa.test",
        common::messages::at(0),
    )
    .prepare(&alfa, &pecmail::build::BuildOptions::default())
    .and_then(|p| p.sign_with(signer.as_ref()));
    // The builder signs the original as the sender wrote it; the reader must say what it is.
    cases.push(("postacert.eml", built.unwrap().into_vec()));
    for (what, bytes) in cases {
        let forged = [bytes.as_slice(), injected].concat();
        // mail-parser shows the unsigned text inside a part.
        let shown = mail_parser_contents(&forged)
            .iter()
            .any(|c| c.windows(9).any(|w| w == b"INIETTATO"));
        let ours = read(&forged, &store, now(), &ReadOptions::strict()).unwrap();
        eprintln!(
            "{what}: mail-parser shows the epilogue inside a part: {shown}; we say {} ({:?})",
            if ours.is_valid() {
                "valid"
            } else {
                "not valid"
            },
            ours.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.code)
                .collect::<Vec<_>>()
        );
        assert!(
            !(shown && ours.is_valid()),
            "{what}: mail-parser shows the unsigned epilogue as signed content, and we say \
             valid"
        );
        if what == "postacert.eml" {
            // The attack is real (mail-parser is fooled) and named.
            assert!(
                shown,
                "mail-parser no longer shows the epilogue: the case tests nothing"
            );
            assert!(
                ours.diagnostics
                    .iter()
                    .any(|d| d.code == pecmail::DiagnosticCode::MimeAmbiguous),
                "{:?}",
                ours.diagnostics
            );
        }
    }
}
