//! Base64 (RFC 2045 section 6.8) for `smime.p7s` and other MIME parts.
//!
//! Encoding writes lines of 76 characters ended by CR LF. Decoding skips CR, LF, space and TAB
//! (line structure), and refuses anything else outside the alphabet, data after padding, and
//! impossible lengths: a signature that does not decode exactly is malformed, not guessed at.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Characters per encoded line, as RFC 2045 allows at most.
pub(crate) const LINE: usize = 76;

/// Appends the encoding of `data` to `out`, 76 characters per line, each line ended by CR LF
/// (also the last one).
pub(crate) fn encode_lines(data: &[u8], out: &mut Vec<u8>) {
    // 57 input bytes make one 76-character line.
    const PER_LINE: usize = LINE / 4 * 3;
    let sextet = |n: u32, shift: u32| {
        ALPHABET
            .get(((n >> shift) & 63) as usize)
            .copied()
            .unwrap_or(b'=')
    };
    out.reserve(data.len().div_ceil(3) * 4 + data.len().div_ceil(PER_LINE) * 2);
    for line in data.chunks(PER_LINE) {
        let mut groups = line.chunks_exact(3);
        for g in &mut groups {
            let &[a, b, c] = g else { continue };
            let n = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
        }
        match *groups.remainder() {
            [a] => {
                let n = u32::from(a) << 16;
                out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), b'=', b'=']);
            }
            [a, b] => {
                let n = (u32::from(a) << 16) | (u32::from(b) << 8);
                out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), b'=']);
            }
            _ => {}
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Why a base64 text did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// A byte outside the alphabet, line breaks and blanks, at this offset.
    InvalidByte(usize),
    /// Data after the `=` padding, at this offset.
    AfterPadding(usize),
    /// The number of characters is not a whole number of quantums.
    Length,
}

/// The value of each byte in the alphabet; 0xff for every other byte.
// Evaluated at compile time: an index out of range would not compile.
#[allow(clippy::indexing_slicing)]
const VALUES: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Whether [`decode`] takes `c` anywhere at all: the alphabet, padding, line breaks, blanks.
pub(crate) fn may_decode(c: u8) -> bool {
    value(c).is_some() || matches!(c, b'=' | b'\r' | b'\n' | b' ' | b'\t')
}

fn value(c: u8) -> Option<u32> {
    VALUES
        .get(usize::from(c))
        .copied()
        .filter(|&v| v < 64)
        .map(u32::from)
}

/// Appends the decoding of `body` (whole quanta, no padding) and says so; leaves `out` as it
/// was and says not when a byte is outside the alphabet.
fn quanta(body: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    out.resize(start + body.len() / 4 * 3, 0);
    let Some(dest) = out.get_mut(start..) else {
        return false;
    };
    let mut bad = 0u8;
    for (q, o) in body.chunks_exact(4).zip(dest.chunks_exact_mut(3)) {
        // A u8 index into 256 entries is never out of range.
        #[allow(clippy::indexing_slicing)]
        let v = |x: u8| VALUES[usize::from(x)];
        if let ([a, b, c, d], [x, y, z]) = (q, o) {
            let (a, b, c, d) = (v(*a), v(*b), v(*c), v(*d));
            bad |= a | b | c | d;
            let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
            (*x, *y, *z) = ((n >> 16) as u8, (n >> 8) as u8, n as u8);
        }
    }
    // A value of 64 or more (0xff) anywhere sets a bit no alphabet value has.
    if bad >= 64 {
        out.truncate(start);
        return false;
    }
    true
}

/// Decodes base64 text, skipping line breaks and blanks.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut count = 0u32;
    let mut padding = 0u32;
    let mut i = 0;
    // Where the line read one character at a time ends: a line is tried at once only once,
    // so that decoding stays linear whatever the line holds.
    let mut slow_until = 0;
    while let Some(&c) = text.get(i) {
        // A whole line of alphabet characters on a quantum boundary, the common case: at
        // once, four characters at a time; anything else goes one character at a time.
        if count == 0 && padding == 0 && i >= slow_until {
            let rest = text.get(i..).unwrap_or(&[]);
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let line = rest.get(..end).unwrap_or(&[]);
            let body = line.strip_suffix(b"\r").unwrap_or(line);
            if !body.is_empty() && body.len() % 4 == 0 && quanta(body, &mut out) {
                i += body.len();
                continue;
            }
            slow_until = i + end;
        }
        match c {
            b'\r' | b'\n' | b' ' | b'\t' => {}
            b'=' => {
                padding += 1;
                // Padding completes the current quantum: "xx==" or "xxx=".
                if count + padding > 4 || count < 2 {
                    return Err(DecodeError::AfterPadding(i));
                }
            }
            c => {
                if padding > 0 {
                    return Err(DecodeError::AfterPadding(i));
                }
                let v = value(c).ok_or(DecodeError::InvalidByte(i))?;
                acc = (acc << 6) | v;
                count += 1;
                if count == 4 {
                    out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                    acc = 0;
                    count = 0;
                }
            }
        }
        i += 1;
    }
    match (count, padding) {
        (0, 0) => {}
        (2, 2) | (2, 0) => out.push((acc >> 4) as u8),
        (3, 1) | (3, 0) => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => return Err(DecodeError::Length),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-character-at-a-time reading the fast path must equal.
    fn slow(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        let (mut acc, mut count, mut padding) = (0u32, 0u32, 0u32);
        for (i, &c) in text.iter().enumerate() {
            match c {
                b'\r' | b'\n' | b' ' | b'\t' => continue,
                b'=' => {
                    padding += 1;
                    if count + padding > 4 || count < 2 {
                        return Err(DecodeError::AfterPadding(i));
                    }
                }
                c => {
                    if padding > 0 {
                        return Err(DecodeError::AfterPadding(i));
                    }
                    acc = (acc << 6) | value(c).ok_or(DecodeError::InvalidByte(i))?;
                    count += 1;
                    if count == 4 {
                        out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                        (acc, count) = (0, 0);
                    }
                }
            }
        }
        match (count, padding) {
            (0, 0) => {}
            (2, 2) | (2, 0) => out.push((acc >> 4) as u8),
            (3, 1) | (3, 0) => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            _ => return Err(DecodeError::Length),
        }
        Ok(out)
    }

    #[test]
    fn the_fast_path_reads_as_one_character_at_a_time() {
        // A deterministic stream of texts: valid encodings, broken at every place with
        // line breaks, blanks, padding and bytes outside the alphabet.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in 0..3000 {
            let len = (next() % 200) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut text = Vec::new();
            encode_lines(&data, &mut text);
            assert_eq!(decode(&text).unwrap(), data);
            let specials = b"\r\n \t=*-A/+";
            for _ in 0..(n % 4) {
                if text.is_empty() {
                    break;
                }
                let at = (next() as usize) % text.len();
                let b = specials[(next() as usize) % specials.len()];
                if next() % 2 == 0 {
                    text[at] = b;
                } else {
                    text.insert(at, b);
                }
            }
            assert_eq!(
                decode(&text),
                slow(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    fn enc(data: &[u8]) -> String {
        let mut out = Vec::new();
        encode_lines(data, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg==\r\n"),
            ("fo", "Zm8=\r\n"),
            ("foo", "Zm9v\r\n"),
            ("foob", "Zm9vYg==\r\n"),
            ("fooba", "Zm9vYmE=\r\n"),
            ("foobar", "Zm9vYmFy\r\n"),
        ] {
            assert_eq!(enc(plain.as_bytes()), coded);
            assert_eq!(decode(coded.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn lines_are_76_columns() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let text = enc(&data);
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 76));
        assert!(lines.last().unwrap().len() <= 76);
        assert_eq!(decode(text.as_bytes()).unwrap(), data);
        // Exactly 57 bytes make one full line and no empty line after it.
        assert_eq!(enc(&[0u8; 57]).matches("\r\n").count(), 1);
    }

    #[test]
    fn decoding_skips_line_structure_only() {
        assert_eq!(decode(b"Zm9v\nYmFy\r\n  \t").unwrap(), b"foobar");
        assert_eq!(decode(b"Zm9v*mFy"), Err(DecodeError::InvalidByte(4)));
        assert_eq!(decode(b"Zg==Zg=="), Err(DecodeError::AfterPadding(4)));
        assert_eq!(decode(b"Z==="), Err(DecodeError::AfterPadding(1)));
        assert_eq!(decode(b"Zm9vY"), Err(DecodeError::Length));
        assert_eq!(decode(b"MII...njA=="), Err(DecodeError::InvalidByte(3)));
    }

    #[test]
    fn unpadded_tails_decode() {
        assert_eq!(decode(b"Zg").unwrap(), b"f");
        assert_eq!(decode(b"Zm8").unwrap(), b"fo");
    }
}
