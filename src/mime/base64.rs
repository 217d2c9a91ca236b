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

fn value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes base64 text, skipping line breaks and blanks.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut count = 0u32;
    let mut padding = 0u32;
    for (i, &c) in text.iter().enumerate() {
        match c {
            b'\r' | b'\n' | b' ' | b'\t' => continue,
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
