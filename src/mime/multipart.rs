//! The body parts of a multipart entity (RFC 2046 section 5.1), found strictly.
//!
//! A delimiter is `--boundary` at the start of a line, followed by optional transport
//! padding (blanks) and CR LF; the close delimiter has `--` after the boundary. Every other
//! occurrence of `--boundary` is refused as ambiguous ([`ErrorKind::AmbiguousMime`]):
//! readers disagree on them, so a signature over them would not mean one thing. A line
//! that begins with the delimiter and continues is a delimiter to some readers; mid-line,
//! after a lone CR, it begins a line for Python's `email`; anywhere mid-line, mail-parser
//! 0.11 cuts the part there (its issue 156). A writer that checks its boundary absent from
//! the content, as every provider must (RFC 2046 section 5.1.1), never produces one.

use std::ops::Range;

use memchr::memmem;

use crate::error::{Error, ErrorKind};

fn mime_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedMime, message)
}

fn ambiguous(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::AmbiguousMime, message)
}

/// The parts of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parts {
    /// Each part, headers and body, without the CR LF that precedes the next delimiter.
    pub parts: Vec<Range<usize>>,
    /// Where the first delimiter line starts (the preamble ends).
    pub first_delimiter: usize,
    /// Where the epilogue (after the close delimiter line) starts.
    pub epilogue: usize,
}

/// Splits the multipart body `msg[body]` with `boundary`; offsets are in `msg`. At most
/// `max_parts` parts.
pub(crate) fn split(
    msg: &[u8],
    body: Range<usize>,
    boundary: &str,
    max_parts: usize,
) -> Result<Parts, Error> {
    split_inner(msg, body, boundary, max_parts, false)
}

/// [`split`], except that a body without its close delimiter ends its last part at the end
/// (the part's final CR LF excluded). For describing a message that has already failed
/// (truncated by a repository, say), never for one to trust.
pub(crate) fn split_to_end(
    msg: &[u8],
    body: Range<usize>,
    boundary: &str,
    max_parts: usize,
) -> Result<Parts, Error> {
    split_inner(msg, body, boundary, max_parts, true)
}

/// Checks that every multipart of `entity` (a message or a MIME entity), at any depth and
/// inside every `message/rfc822` part, is closed by its own delimiter, at most `max_depth`
/// levels deep. Readers part ways on one that is not: RFC 2046 and Python's `email` end it
/// at the enclosing delimiter, mail-parser 0.11 reads its last part on to the end of the
/// message, through the unsigned signature part and epilogue (found by the
/// `split_differential` fuzz target). What does not parse as MIME at all is not this
/// check's to judge.
pub(crate) fn check_closed(entity: &[u8], max_depth: usize) -> Result<(), Error> {
    use crate::mime::header::{ContentType, HeaderLimits, parse_block};
    if max_depth == 0 {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            "multiparts and messages nested too deep",
        ));
    }
    let Ok(head) = parse_block(entity, HeaderLimits::default()) else {
        return Ok(());
    };
    let Some(ct) = head
        .one("Content-Type")
        .ok()
        .flatten()
        .and_then(|f| ContentType::parse(&f.unfolded()).ok())
    else {
        return Ok(());
    };
    let body = head.body_start..entity.len();
    if ct.media_type == "multipart" {
        let Some(boundary) = ct.param("boundary") else {
            return Ok(());
        };
        for part in split(entity, body, boundary, 10_000)?.parts {
            check_closed(entity.get(part).unwrap_or(&[]), max_depth - 1)?;
        }
    } else if ct.is("message", "rfc822") {
        check_closed(entity.get(body).unwrap_or(&[]), max_depth - 1)?;
    }
    Ok(())
}

fn split_inner(
    msg: &[u8],
    body: Range<usize>,
    boundary: &str,
    max_parts: usize,
    to_end: bool,
) -> Result<Parts, Error> {
    let mut dash = Vec::with_capacity(boundary.len() + 2);
    dash.extend_from_slice(b"--");
    dash.extend_from_slice(boundary.as_bytes());
    let finder = memmem::Finder::new(&dash);
    let text = msg.get(body.clone()).unwrap_or(&[]);

    let mut parts = Vec::new();
    // The start of the current part (after its delimiter line), once one is open.
    let mut open: Option<usize> = None;
    let mut first_delimiter = body.end;
    for hit in finder.find_iter(text) {
        let at = body.start + hit;
        let line_start = at == body.start || msg.get(at.wrapping_sub(2)..at) == Some(b"\r\n");
        if !line_start {
            return Err(ambiguous(
                "the boundary delimiter inside a line: some readers cut a part there",
            )
            .at(at));
        }
        let after = at + dash.len();
        let close = msg.get(after..after + 2) == Some(b"--");
        let rest = if close { after + 2 } else { after };
        let padding = msg
            .get(rest..body.end)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let end = rest + padding;
        let next_line = if msg.get(end..end + 2) == Some(b"\r\n") && end + 2 <= body.end {
            end + 2
        } else if close && end == body.end {
            end
        } else {
            return Err(ambiguous(
                "a content line begins with the boundary delimiter and continues: the part \
                 boundaries are ambiguous",
            )
            .at(at));
        };
        if let Some(start) = open {
            // The part ends at the CR LF before this delimiter line.
            let part_end = at
                .checked_sub(2)
                .filter(|e| *e >= start)
                .ok_or_else(|| mime_error("a delimiter line directly follows another").at(at))?;
            if parts.len() >= max_parts {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!("more than {max_parts} parts in a multipart"),
                )
                .at(at));
            }
            parts.push(start..part_end);
        } else if close {
            return Err(mime_error("a close delimiter before any part").at(at));
        } else {
            first_delimiter = at;
        }
        if close {
            // After the close delimiter comes the epilogue, which is ignored; a delimiter
            // there would make readers disagree on the parts.
            let epilogue = msg.get(next_line..body.end).unwrap_or(&[]);
            if let Some(later) = finder.find(epilogue) {
                return Err(ambiguous("a boundary delimiter after the close delimiter")
                    .at(next_line + later));
            }
            return Ok(Parts {
                parts,
                first_delimiter,
                epilogue: next_line,
            });
        }
        open = Some(next_line);
    }
    match open {
        None => Err(mime_error("no boundary delimiter in the body").at(body.start)),
        Some(start) if to_end && parts.len() < max_parts => {
            let end = if msg.get(body.end.saturating_sub(2)..body.end) == Some(b"\r\n") {
                (body.end - 2).max(start)
            } else {
                body.end
            };
            parts.push(start..end);
            Ok(Parts {
                parts,
                first_delimiter,
                epilogue: body.end,
            })
        }
        Some(start) => Err(mime_error("no close delimiter").at(start)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(body: &str, boundary: &str) -> Result<Vec<String>, Error> {
        let p = split(body.as_bytes(), 0..body.len(), boundary, 100)?;
        Ok(p.parts.into_iter().map(|r| body[r].to_owned()).collect())
    }

    #[test]
    fn finds_every_part() {
        let body = "preamble\r\n--b\r\nA\r\n--b \t\r\nB\r\nmid -b- line\r\n--b--\r\nepilogue";
        assert_eq!(parts(body, "b").unwrap(), ["A", "B\r\nmid -b- line"]);
        // The first delimiter may be the first line, the close the last bytes.
        assert_eq!(parts("--b\r\nA\r\n--b--", "b").unwrap(), ["A"]);
        // An empty part.
        assert_eq!(parts("--b\r\n\r\n--b--", "b").unwrap(), [""]);
    }

    #[test]
    fn a_truncated_body_is_read_to_its_end_only_on_request() {
        let body = "--b\r\nA\r\n--b\r\nB, cut";
        assert!(parts(body, "b").is_err());
        let p = split_to_end(body.as_bytes(), 0..body.len(), "b", 10).unwrap();
        let got: Vec<&str> = p.parts.into_iter().map(|r| &body[r]).collect();
        assert_eq!(got, ["A", "B, cut"]);
        let crlf = "--b\r\nA\r\n";
        let p = split_to_end(crlf.as_bytes(), 0..crlf.len(), "b", 10).unwrap();
        assert_eq!(&crlf[p.parts[0].clone()], "A");
        // Ambiguity is still refused.
        let bad = "--b\r\nA\r\n--bx\r\n";
        assert!(split_to_end(bad.as_bytes(), 0..bad.len(), "b", 10).is_err());
    }

    #[test]
    fn refuses_ambiguity_and_truncation() {
        for (body, what) in [
            ("--b\r\nA\r\n--bx\r\n--b--", "prefix"),
            ("--b\r\nA\r\n", "no close"),
            ("text only", "none"),
            ("--b--\r\n", "close first"),
            ("--b\r\nA\r\n--b--\r\n--b\r\n", "after close"),
            ("--b\r\n--b\r\nA\r\n--b--", "empty delimiter run"),
        ] {
            assert!(parts(body, "b").is_err(), "{what}");
        }
        for (body, what) in [
            ("--b\r\nA\r\n--bx\r\n--b--", "prefix"),
            ("--b\r\nA --b\r\n--b--", "mid-line"),
            ("--b\r\nA\r--b\r\nB\r\n--b--", "after a lone CR"),
            ("--b\r\nA\r\n--b--\r\n--b\r\n", "after close"),
            ("--b\r\nA\r\n--b--\r\nx--b", "mid-line after close"),
        ] {
            assert_eq!(
                parts(body, "b").unwrap_err().kind(),
                ErrorKind::AmbiguousMime,
                "{what}"
            );
        }
    }

    #[test]
    fn limits_the_part_count() {
        let body = format!("{}--b--", "--b\r\nx\r\n".repeat(5));
        let e = split(body.as_bytes(), 0..body.len(), "b", 3).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    }
}
