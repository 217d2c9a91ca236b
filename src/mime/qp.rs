//! Quoted-printable (RFC 2045 section 6.7), the transfer encoding of the readable text of
//! every PEC message (spec 2.1).

/// The longest encoded line, soft-break `=` included.
const LINE: usize = 76;

fn hex(n: u8) -> u8 {
    b"0123456789ABCDEF"
        .get(usize::from(n & 15))
        .copied()
        .unwrap_or(b'0')
}

/// Encodes `text`, whose hard line breaks are CR LF, as quoted-printable with CR LF line
/// breaks and lines of at most 76 characters. Blanks at the end of a line are encoded, so
/// that no transport can strip them and break a signature.
pub(crate) fn encode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    let mut lines = text.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut column = 0usize;
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let literal =
                (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let width = if literal { 1 } else { 3 };
            // Keep room for the soft break "=" unless this is the last character.
            let room = if last { LINE } else { LINE - 1 };
            if column + width > room {
                out.extend_from_slice(b"=\r\n");
                column = 0;
            }
            if literal {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'=', hex(b >> 4), hex(b)]);
            }
            column += width;
        }
        if lines.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Decodes quoted-printable, leniently: an `=` not followed by two hex digits or a line end
/// is kept as it is. Soft line breaks (`=` at the end of a line) are removed; blanks before
/// a line end are dropped as RFC 2045 asks.
pub(crate) fn decode(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len());
    let mut lines = text.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let trimmed = {
            let end = line
                .iter()
                .rposition(|b| !matches!(b, b' ' | b'\t'))
                .map_or(0, |p| p + 1);
            line.get(..end).unwrap_or(&[])
        };
        let (body, soft) = match trimmed.strip_suffix(b"=") {
            Some(b) => (b, true),
            None => (trimmed, false),
        };
        let mut i = 0;
        while let Some(&b) = body.get(i) {
            if b == b'='
                && let (Some(h), Some(l)) = (
                    body.get(i + 1).copied().and_then(value),
                    body.get(i + 2).copied().and_then(value),
                )
            {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
            out.push(b);
            i += 1;
        }
        if !soft && lines.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_provider_text() {
        let text = "Il giorno 05/12/2024 alle ore 00:02:10 (+0100) il messaggio\r\n\"x = y\" \u{e8} stato inviato \r\n";
        let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        let qp = String::from_utf8(encode(&latin1)).unwrap();
        assert_eq!(
            qp,
            "Il giorno 05/12/2024 alle ore 00:02:10 (+0100) il messaggio\r\n\"x =3D y\" =E8 stato inviato=20\r\n"
        );
        assert_eq!(decode(qp.as_bytes()), latin1);
    }

    #[test]
    fn long_lines_get_soft_breaks() {
        let line = "abcdefghij".repeat(20);
        let qp = encode(line.as_bytes());
        let text = String::from_utf8(qp.clone()).unwrap();
        assert!(text.split("\r\n").all(|l| l.len() <= 76), "{text}");
        assert_eq!(decode(&qp), line.as_bytes());
        // An escape is never split by a soft break.
        let line = "\u{e8}".repeat(60);
        let latin1: Vec<u8> = line.chars().map(|c| c as u32 as u8).collect();
        let qp = encode(&latin1);
        let text = String::from_utf8(qp.clone()).unwrap();
        assert!(
            text.split("\r\n")
                .all(|l| l.len() <= 76 && !l.ends_with("=E"))
        );
        assert_eq!(decode(&qp), latin1);
    }

    #[test]
    fn round_trips_any_bytes() {
        let bytes: Vec<u8> = (0..=255u8).chain(b"  \r\nend\t".iter().copied()).collect();
        // Bare CR/LF bytes inside a line are data for QP only if not line breaks; keep the
        // input to CR LF line breaks, as the text parts are.
        let data: Vec<u8> = bytes
            .into_iter()
            .filter(|&b| b != b'\n' && b != b'\r')
            .collect();
        assert_eq!(decode(&encode(&data)), data);
    }

    #[test]
    fn lenient_decoding_keeps_stray_equals() {
        assert_eq!(decode(b"a=ZZb=4"), b"a=ZZb=4");
        assert_eq!(decode(b"soft=\r\nbreak"), b"softbreak");
    }
}
