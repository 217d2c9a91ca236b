//! Header text: RFC 2047 encoded words, both ways, and folding (RFC 5322 section 2.2.3).
//!
//! Subjects of PEC messages repeat the original subject after a prefix (spec 3), and real
//! originals carry encoded words (`=?UTF-8?Q?...?=`, `=?ISO-8859-1?Q?...?=`); so the builders
//! decode the original's subject and encode the new one.

/// Decodes the encoded words of an unstructured header value (RFC 2047 sections 4-6).
/// Charsets UTF-8, US-ASCII, ISO-8859-1, ISO-8859-15 and Windows-1252 are decoded; a word in
/// another charset, or malformed, is kept as written. Blanks between adjacent encoded words
/// are dropped, as RFC 2047 section 6.2 says.
pub(crate) fn decode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pos = 0;
    let mut pending_blank = String::new();
    let mut after_word = false;
    let mut stops = TextStops::new(value);
    while let Some(rest) = value.get(pos..).filter(|r| !r.is_empty()) {
        if rest.starts_with("=?")
            && let Some((decoded, used)) = word(value, pos + 2, &mut stops)
        {
            if !after_word {
                out.push_str(&pending_blank);
            }
            pending_blank.clear();
            out.push_str(&decoded);
            pos += used + 2;
            after_word = true;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if c == ' ' || c == '\t' {
            pending_blank.push(c);
        } else {
            out.push_str(&pending_blank);
            pending_blank.clear();
            out.push(c);
            after_word = false;
        }
        pos += c.len_utf8();
    }
    out.push_str(&pending_blank);
    out
}

/// Where the text of an encoded word ends: at the first `?=`, unless a blank (which no
/// encoded word holds) comes first. Every `=?` opens a candidate word, and a value of
/// `=?x?q?a` runs that never close would have each search run to the end of the value, in
/// quadratic time: so the last answer is kept, and a search starts only past it. The
/// candidates of one value ask in increasing order, so each byte is searched once.
struct TextStops<'v> {
    value: &'v [u8],
    /// The last search: where it started, and the first stop at or after that (`None`: no
    /// stop up to the end).
    last: Option<(usize, Option<usize>)>,
}

impl<'v> TextStops<'v> {
    fn new(value: &'v str) -> Self {
        TextStops {
            value: value.as_bytes(),
            last: None,
        }
    }

    /// The first `?=`, space or TAB at or after `at`.
    fn first(&mut self, at: usize) -> Option<usize> {
        if let Some((from, found)) = self.last
            && from <= at
            && found.is_none_or(|f| f >= at)
        {
            return found;
        }
        let mut i = at;
        let found = loop {
            let Some(hit) = self
                .value
                .get(i..)
                .and_then(|r| memchr::memchr3(b'?', b' ', b'\t', r))
            else {
                break None;
            };
            let hit = i + hit;
            if self.value.get(hit) != Some(&b'?') || self.value.get(hit + 1) == Some(&b'=') {
                break Some(hit);
            }
            i = hit + 1;
        };
        self.last = Some((at, found));
        found
    }
}

/// Decodes one encoded word whose `=?` ends at `start` in `value`: returns the text and how
/// many bytes it used (without the `=?`).
fn word(value: &str, start: usize, stops: &mut TextStops<'_>) -> Option<(String, usize)> {
    // Each of these two searches stops at the next `?`, at the latest the one of the next
    // `=?`: together they read each byte a bounded number of times.
    let (charset, rest) = value.get(start..)?.split_once('?')?;
    let (encoding, _) = rest.split_once('?')?;
    let text_start = start + charset.len() + 1 + encoding.len() + 1;
    let end = stops.first(text_start)?;
    if value.as_bytes().get(end) != Some(&b'?') {
        return None; // a blank inside the text
    }
    let text = value.get(text_start..end)?;
    if charset.is_empty() {
        return None;
    }
    let used = end + 2 - start;
    // RFC 2231 language suffix: charset*lang.
    let charset = charset.split('*').next()?.to_ascii_lowercase();
    let bytes = if encoding.eq_ignore_ascii_case("b") {
        // A byte the decoder refuses fails the word. A scan that stops at the first finds it
        // by the `?` of the next candidate at the latest; decoding would read the whole text,
        // which may run to the end of a 64 KiB line, for each of thousands of candidates.
        if !text.bytes().all(super::base64::may_decode) {
            return None;
        }
        super::base64::decode(text.as_bytes()).ok()?
    } else if encoding.eq_ignore_ascii_case("q") {
        q_decode(text)?
    } else {
        return None;
    };
    Some((to_text(&charset, &bytes)?, used))
}

fn q_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// Bytes in a charset to text, for the charsets met in Italian mail.
pub(crate) fn to_text(charset: &str, bytes: &[u8]) -> Option<String> {
    // ASCII reads the same in every charset met here; most texts are.
    if bytes.is_ascii()
        && matches!(
            charset,
            "utf-8"
                | "utf8"
                | "us-ascii"
                | "ascii"
                | "iso-8859-1"
                | "latin1"
                | "iso8859-1"
                | "l1"
                | "iso-8859-15"
                | "latin-9"
                | "windows-1252"
                | "cp1252"
        )
    {
        return String::from_utf8(bytes.to_vec()).ok();
    }
    match charset {
        "utf-8" | "utf8" | "us-ascii" | "ascii" => String::from_utf8(bytes.to_vec()).ok(),
        "iso-8859-1" | "latin1" | "iso8859-1" | "l1" => {
            Some(bytes.iter().map(|&b| char::from(b)).collect())
        }
        "iso-8859-15" | "latin-9" => Some(
            bytes
                .iter()
                .map(|&b| match b {
                    0xa4 => '€',
                    0xa6 => 'Š',
                    0xa8 => 'š',
                    0xb4 => 'Ž',
                    0xb8 => 'ž',
                    0xbc => 'Œ',
                    0xbd => 'œ',
                    0xbe => 'Ÿ',
                    b => char::from(b),
                })
                .collect(),
        ),
        "windows-1252" | "cp1252" => Some(bytes.iter().map(|&b| cp1252(b)).collect()),
        _ => None,
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH
            .get(usize::from(b - 0x80))
            .copied()
            .unwrap_or(char::from(b)),
        b => char::from(b),
    }
}

/// Writes a header field `name: value`: words of printable ASCII are written as they are,
/// runs of words with other characters (or that look like encoded words) become RFC 2047
/// encoded words (UTF-8, Q), at most 75 characters each; the line is folded at blanks so
/// that lines stay within 78 characters where the text allows. The result ends with CR LF.
///
/// Blanks are kept exactly: readers drop the blanks between two encoded words, and many
/// (Python's `decode_header`, mail-parser) collapse or trim blanks beside one or at the end
/// of a value; so every blank beside an encoded run except the one that separates it from a
/// plain word travels inside the encoding, and trailing blanks are encoded with the word
/// before them.
pub(crate) fn header(name: &str, value: &str) -> String {
    let plain = |w: &str| w.bytes().all(|b| (b'!'..=b'~').contains(&b)) && !w.contains("=?");
    // Words between single blanks: an empty word is one more blank.
    let words: Vec<&str> = value.split(' ').collect();
    let mut encoded: Vec<bool> = words.iter().map(|w| !w.is_empty() && !plain(w)).collect();
    // Trailing blanks, with the word before them.
    if let Some(last) = words.iter().rposition(|w| !w.is_empty())
        && last + 1 < words.len()
    {
        encoded.iter_mut().skip(last).for_each(|e| *e = true);
    }
    // Blanks between or beside encoded words join them.
    let mut i = 0;
    while i < words.len() {
        if encoded.get(i) == Some(&true) {
            let mut j = i + 1;
            while words.get(j).is_some_and(|w| w.is_empty()) {
                j += 1;
            }
            let mut k = i;
            while k > 0 && words.get(k - 1).is_some_and(|w| w.is_empty()) {
                k -= 1;
            }
            encoded.iter_mut().take(i).skip(k).for_each(|e| *e = true);
            // Up to the next word: into this run, or (that word plain) beside it.
            encoded.iter_mut().take(j).skip(i).for_each(|e| *e = true);
            i = j;
        } else {
            i += 1;
        }
    }
    // Atoms: the pieces between which a fold may go.
    let mut atoms: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words.get(i).copied().unwrap_or("");
        if encoded.get(i) != Some(&true) {
            atoms.push(w.to_owned());
            i += 1;
            continue;
        }
        let mut j = i;
        while encoded.get(j) == Some(&true) {
            j += 1;
        }
        // The first atom shares its line with the name and cannot fold before it.
        let first_max = if atoms.is_empty() {
            78usize.saturating_sub(name.len() + 2).clamp(24, 75)
        } else {
            75
        };
        atoms.extend(encode_run(
            &words.get(i..j).unwrap_or_default().join(" "),
            first_max,
        ));
        i = j;
    }
    let mut out = format!("{name}:");
    let mut column = out.len();
    for atom in atoms {
        if column + 1 + atom.len() > 78 && column > name.len() + 1 {
            out.push_str("\r\n");
            column = 0;
        }
        out.push(' ');
        out.push_str(&atom);
        column += 1 + atom.len();
    }
    out.push_str("\r\n");
    out
}

/// A display name as an RFC 5322 `phrase`: a quoted string when the text is printable ASCII
/// with no `"` or `\\` (no quoted-pair, which readers unescape differently) and no `=?`
/// (read as an encoded word inside quotes by some); otherwise UTF-8 Q encoded words of the
/// characters RFC 2047 section 5 (3) allows in a phrase, separated by blanks. Each reader
/// then decodes the same text, and none sees a `:` or `,` that would make a group or a
/// second mailbox.
pub(crate) fn phrase(text: &str) -> String {
    let quotable = text.bytes().all(|b| (b' '..=b'~').contains(&b))
        && !text.contains(['"', '\\'])
        && !text.contains("=?");
    if quotable {
        format!("\"{text}\"")
    } else {
        encode_run(text, 75).join(" ")
    }
}

/// Encodes text as UTF-8 Q encoded words of at most 75 characters (the first at most
/// `first_max`), never splitting a character.
fn encode_run(text: &str, first_max: usize) -> Vec<String> {
    const OPEN: &str = "=?UTF-8?Q?";
    const CLOSE: &str = "?=";
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        let mut piece = String::new();
        match c {
            ' ' => piece.push('_'),
            c if c.is_ascii_alphanumeric() || "!*+-/".contains(c) => piece.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    piece.push_str(&format!("={b:02X}"));
                }
            }
        }
        let max = if words.is_empty() { first_max } else { 75 };
        if OPEN.len() + word.len() + piece.len() + CLOSE.len() > max && !word.is_empty() {
            words.push(format!("{OPEN}{word}{CLOSE}"));
            word.clear();
        }
        word.push_str(&piece);
    }
    if !word.is_empty() {
        words.push(format!("{OPEN}{word}{CLOSE}"));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_is_quoted_or_encoded_and_decodes_back() {
        assert_eq!(
            phrase("Per conto di: mario.rossi@pec.alfa.test"),
            "\"Per conto di: mario.rossi@pec.alfa.test\""
        );
        for text in [
            "Per conto di: \"a>, <evil@x.test\"@pec.alfa.test",
            "Per conto di: rené@pec.alfa.test",
            "Per conto di: =?utf-8?q?x?=@y",
            "a\\b",
        ] {
            let p = phrase(text);
            assert!(p.starts_with("=?UTF-8?Q?"), "{p}");
            // Nothing a phrase cannot hold outside an encoded word's own syntax.
            assert!(
                p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"=?_!*+-/ ".contains(&b)),
                "{p}"
            );
            assert_eq!(decode(&p), text);
        }
    }

    #[test]
    fn blanks_beside_encoded_words_and_at_the_end_are_kept() {
        for (value, written) in [
            ("A  è", "S: A =?UTF-8?Q?_=C3=A8?=\r\n"),
            ("è  B", "S: =?UTF-8?Q?=C3=A8_?= B\r\n"),
            ("A B ", "S: A =?UTF-8?Q?B_?=\r\n"),
            ("A  B", "S: A  B\r\n"),
        ] {
            let h = header("S", value);
            assert_eq!(h, written, "{value:?}");
            assert_eq!(decode(h.trim_start_matches("S: ").trim_end()), value);
        }
    }

    #[test]
    fn decodes_real_subjects() {
        assert_eq!(
            decode("=?UTF-8?Q?POSTA_CERTIFICATA=3A_caff=C3=A8?="),
            "POSTA CERTIFICATA: caffè"
        );
        assert_eq!(
            decode("=?ISO-8859-1?Q?POSTA_CERTIFICATA:_perch=E9?= ok"),
            "POSTA CERTIFICATA: perché ok"
        );
        assert_eq!(decode("=?utf-8?B?w6g=?= =?utf-8?B?w6g=?="), "èè");
        assert_eq!(decode("=?UTF-8?Q?=C3=A8?="), "è");
        assert_eq!(decode("a =?windows-1252?Q?=80?= b"), "a € b");
        assert_eq!(decode("plain  text"), "plain  text");
        // Unknown charset or broken words stay as written.
        assert_eq!(decode("=?koi8-r?Q?x?="), "=?koi8-r?Q?x?=");
        assert_eq!(decode("=?UTF-8?Q?=ZZ?="), "=?UTF-8?Q?=ZZ?=");
        assert_eq!(decode("=?UTF-8?Q?unterminated"), "=?UTF-8?Q?unterminated");
    }

    #[test]
    fn plain_values_fold_at_blanks() {
        assert_eq!(
            header("Subject", "ACCETTAZIONE: prova"),
            "Subject: ACCETTAZIONE: prova\r\n"
        );
        let long = "parola ".repeat(20);
        let h = header("Subject", long.trim_end());
        assert!(h.split("\r\n").all(|l| l.len() <= 78), "{h}");
        assert_eq!(decode(&unfold(&h)), format!("Subject: {}", long.trim_end()));
    }

    fn unfold(h: &str) -> String {
        h.trim_end_matches("\r\n").replace("\r\n", "")
    }

    #[test]
    fn non_ascii_values_round_trip() {
        let h = header("Subject", "POSTA CERTIFICATA: caffè e perché no");
        assert_eq!(
            h,
            "Subject: POSTA CERTIFICATA: =?UTF-8?Q?caff=C3=A8?= e =?UTF-8?Q?perch=C3=A9?=\r\n no\r\n"
        );
        for v in [
            "POSTA CERTIFICATA: caffè e perché",
            "€ ✓ 日本語 🙂",
            &"àèìòù ".repeat(30),
            "=?not a word?=",
            // Blanks between two words to encode travel inside the encoding.
            "è  ¡",
            "è   ¡ ok  à",
            "è  ",
        ] {
            let h = header("Subject", v);
            assert!(h.split("\r\n").all(|l| l.len() <= 78), "{h}");
            assert!(h.is_ascii());
            let value = unfold(&h);
            assert_eq!(decode(value.strip_prefix("Subject: ").unwrap()), v);
        }
    }

    /// The decoder as it was before the search for the end of a word was bounded (issue 15):
    /// the reference the linear one must agree with.
    fn quadratic_decode(value: &str) -> String {
        fn word(s: &str) -> Option<(String, usize)> {
            let (charset, rest) = s.split_once('?')?;
            let (encoding, rest) = rest.split_once('?')?;
            let text_len = rest.find("?=")?;
            let text = rest.get(..text_len)?;
            if charset.is_empty() || text.contains([' ', '\t']) {
                return None;
            }
            let used = charset.len() + 1 + encoding.len() + 1 + text_len + 2;
            let charset = charset.split('*').next()?.to_ascii_lowercase();
            let bytes = if encoding.eq_ignore_ascii_case("b") {
                crate::mime::base64::decode(text.as_bytes()).ok()?
            } else if encoding.eq_ignore_ascii_case("q") {
                q_decode(text)?
            } else {
                return None;
            };
            Some((to_text(&charset, &bytes)?, used))
        }
        let mut out = String::new();
        let mut rest = value;
        let mut pending_blank = String::new();
        let mut after_word = false;
        while !rest.is_empty() {
            if let Some((decoded, used)) = rest.strip_prefix("=?").and_then(word) {
                if !after_word {
                    out.push_str(&pending_blank);
                }
                pending_blank.clear();
                out.push_str(&decoded);
                rest = rest.get(used + 2..).unwrap_or("");
                after_word = true;
                continue;
            }
            let c = rest.chars().next().unwrap();
            if c == ' ' || c == '\t' {
                pending_blank.push(c);
            } else {
                out.push_str(&pending_blank);
                pending_blank.clear();
                out.push(c);
                after_word = false;
            }
            rest = &rest[c.len_utf8()..];
        }
        out.push_str(&pending_blank);
        out
    }

    #[test]
    fn unclosed_words_before_a_real_one_decode_as_before() {
        let runs = "=?x ".repeat(50);
        let cases = [
            format!("{runs}=?UTF-8?Q?caff=C3=A8?="),
            format!("{runs}=?UTF-8?Q?caff=C3=A8?= {runs}"),
            format!("{}=?utf-8?q?a?=", "=?x?q?a".repeat(30)),
            format!("{}?=", "=?utf-8?q?a".repeat(30)),
            "=?utf-8?q?a=?utf-8?q?b?=".to_owned(),
            "=?utf-8?q?a b?= =?utf-8?q?c?=".to_owned(),
            "=?utf-8?q?a\tb?=".to_owned(),
            "=?utf-8?q??=x".to_owned(),
            "=?utf-8?q?a?b?=".to_owned(),
            "=?utf-8*it i t?q?=C3=A8?=".to_owned(),
            "=??q?a?=".to_owned(),
            "=?utf-8?B?w6g=?==?utf-8?B?w6g=?=".to_owned(),
            "=?=?=?=?utf-8?q?x?=?=".to_owned(),
            "é=?utf-8?q?é?=é".to_owned(),
            format!("{}?=", "=?utf-8?b?QUFB".repeat(30)),
            format!("{}=?utf-8?b?w6g=?=", "=?u?b?QUFB".repeat(30)),
            "=?utf-8?b?w6?g=?=".to_owned(),
            "=?utf-8?b?w6g=\r\n?=".to_owned(),
            "=?utf-8?b?w6g=é?=".to_owned(),
        ];
        for v in &cases {
            assert_eq!(decode(v), quadratic_decode(v), "{v:?}");
        }
        assert_eq!(decode(&cases[0]), format!("{}caffè", runs));
        // The first candidate runs to the second word's end, where `=?u` is no Q escape.
        assert_eq!(decode("=?utf-8?q?a=?utf-8?q?b?="), "=?utf-8?q?ab");
        assert_eq!(decode("=?utf-8?q?a b?= =?utf-8?q?c?="), "=?utf-8?q?a b?= c");
    }

    #[test]
    fn agrees_with_the_quadratic_decoder_on_short_values() {
        // A fixed pseudo-random sample of values made of the pieces of encoded words, whole
        // and broken, with blanks and line breaks between.
        let pieces = [
            "=?utf-8?q?",
            "=?UTF-8?B?",
            "=?x?q?",
            "=?utf-8*it?Q?",
            "=?",
            "?=",
            "?",
            "=",
            " ",
            "\t",
            "a",
            "_",
            "=C3=A8",
            "w6g=",
            "é",
            "\r\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut decoded = 0;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 12) as usize;
            let mut v = String::new();
            let mut r = state;
            for _ in 0..len {
                r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                v.push_str(pieces[(r >> 33) as usize % pieces.len()]);
            }
            let d = decode(&v);
            assert_eq!(d, quadratic_decode(&v), "{v:?}");
            decoded += usize::from(d != v);
        }
        // The sample reaches words that decode, not only broken ones.
        assert!(decoded > 5_000, "{decoded}");
    }
}
