//! The parts of a PEC message's signed entity (spec 2.1): readable text, `daticert.xml`,
//! `postacert.eml`, and whatever else a provider adds.
//!
//! The entity is a `multipart/mixed` whose first part is the text (`text/plain` or
//! `multipart/alternative`); `daticert.xml` and `postacert.eml` follow in either order
//! ("interchangeable", RT); providers may add parts, which readers must ignore. Parts are
//! recognised by type and name: `application/xml` named `daticert.xml`, `message/rfc822`
//! named `postacert.eml` (a `message/rfc822` without name also counts, as the anomaly
//! envelope carries "the entire received message").

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind};
use crate::mime::header::{ContentType, HeaderLimits, parameter, parse_block, parse_disposition};
use crate::mime::{base64, multipart, qp, words};

/// Parts per entity at most.
const MAX_PARTS: usize = 64;

/// A located part: its range in the entity and how its body is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The part, headers and body.
    pub range: Range<usize>,
    /// The body.
    pub body: Range<usize>,
    /// The media type, `type/subtype`, lower case.
    pub media_type: String,
    /// The name (`name` or `filename`), when it has one.
    pub name: Option<String>,
    /// The `Content-Transfer-Encoding`, lower case (`7bit` when absent).
    pub encoding: String,
    /// The `charset`, lower case, when given.
    pub charset: Option<String>,
}

impl Part {
    /// The body decoded from its transfer encoding.
    pub(crate) fn decoded<'a>(&self, entity: &'a [u8]) -> Result<Cow<'a, [u8]>, Error> {
        let body = entity.get(self.body.clone()).unwrap_or(&[]);
        match self.encoding.as_str() {
            "base64" => base64::decode(body).map(Cow::Owned).map_err(|_| {
                Error::new(
                    ErrorKind::MalformedMime,
                    format!("the base64 of part {:?} does not decode", self.describe()),
                )
            }),
            "quoted-printable" => Ok(Cow::Owned(qp::decode(body))),
            _ => Ok(Cow::Borrowed(body)),
        }
    }

    fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {n}", self.media_type),
            None => self.media_type.clone(),
        }
    }
}

/// The parts found in a signed entity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entity {
    /// The readable text parts (plain, and HTML when an alternative), in order.
    pub text: Vec<Part>,
    /// `daticert.xml`.
    pub daticert: Option<Part>,
    /// `postacert.eml`.
    pub original: Option<Part>,
    /// Any other part, ignored by the reader but reported.
    pub extra: Vec<Part>,
    /// What was noticed on the way.
    pub diagnostics: Vec<Diagnostic>,
}

/// How strictly the multiparts of an entity are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// RFC 2046: a close delimiter ends every multipart.
    Strict,
    /// A missing close delimiter ends the last part at the end: only to describe a message
    /// whose signature already failed.
    ToEnd,
}

impl Split {
    fn run(
        self,
        msg: &[u8],
        body: Range<usize>,
        boundary: &str,
    ) -> Result<multipart::Parts, Error> {
        match self {
            Split::Strict => multipart::split(msg, body, boundary, MAX_PARTS),
            Split::ToEnd => multipart::split_to_end(msg, body, boundary, MAX_PARTS),
        }
    }
}

/// Reads the parts of a signed entity. Fails when the entity is not a readable
/// `multipart/mixed`, or holds two `daticert.xml` or two `postacert.eml` (which one would
/// count is exactly what a forger would play with).
pub(crate) fn parts(entity: &[u8], split: Split) -> Result<Entity, Error> {
    let head = parse_block(entity, HeaderLimits::default())?;
    let ct = match head.one("Content-Type")? {
        Some(f) => ContentType::parse(&f.unfolded())?,
        None => {
            return Err(Error::new(
                ErrorKind::MalformedMime,
                "the signed entity has no Content-Type",
            ));
        }
    };
    if !ct.is("multipart", "mixed") {
        return Err(Error::new(
            ErrorKind::MalformedMime,
            format!(
                "the signed entity is {}/{}, not multipart/mixed",
                ct.media_type, ct.subtype
            ),
        ));
    }
    let boundary = ct.param("boundary").ok_or_else(|| {
        Error::new(
            ErrorKind::MalformedMime,
            "the signed multipart/mixed has no boundary",
        )
    })?;
    let found = split.run(entity, head.body_start..entity.len(), boundary)?;
    let mut out = Entity::default();
    for (i, range) in found.parts.iter().enumerate() {
        let part = describe(entity, range.clone())?;
        let is_daticert = part
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case("daticert.xml"));
        let is_original = part.media_type == "message/rfc822"
            && part
                .name
                .as_deref()
                .is_none_or(|n| n.eq_ignore_ascii_case("postacert.eml"));
        if i == 0 && part.media_type.starts_with("text/") {
            out.text.push(part);
        } else if i == 0 && part.media_type == "multipart/alternative" {
            out.text = alternatives(entity, &part, split)?;
        } else if is_daticert {
            if out.daticert.is_some() {
                return Err(Error::new(
                    ErrorKind::MalformedMime,
                    "two daticert.xml parts in the signed entity",
                ));
            }
            out.daticert = Some(part);
        } else if is_original {
            if out.original.is_some() {
                return Err(Error::new(
                    ErrorKind::MalformedMime,
                    "two postacert.eml parts in the signed entity",
                ));
            }
            out.original = Some(part);
        } else {
            out.diagnostics.push(Diagnostic::new(
                DiagnosticCode::PecExtraPart,
                format!("part {} ({}) ignored", i + 1, part.describe()),
            ));
            out.extra.push(part);
        }
    }
    Ok(out)
}

/// The parts of a `multipart/alternative` text.
fn alternatives(entity: &[u8], alt: &Part, split: Split) -> Result<Vec<Part>, Error> {
    let bytes = entity.get(alt.range.clone()).unwrap_or(&[]);
    let head = parse_block(bytes, HeaderLimits::default())?;
    let ct = match head.one("Content-Type")? {
        Some(f) => ContentType::parse(&f.unfolded())?,
        None => ContentType::parse("text/plain")?,
    };
    let boundary = ct.param("boundary").ok_or_else(|| {
        Error::new(
            ErrorKind::MalformedMime,
            "a multipart/alternative without boundary",
        )
    })?;
    let found = split.run(
        entity,
        alt.range.start + head.body_start..alt.range.end,
        boundary,
    )?;
    found
        .parts
        .into_iter()
        .map(|r| describe(entity, r))
        .collect()
}

fn describe(entity: &[u8], range: Range<usize>) -> Result<Part, Error> {
    let bytes = entity.get(range.clone()).unwrap_or(&[]);
    let head = parse_block(bytes, HeaderLimits::default())?;
    let ct = match head.one("Content-Type")? {
        Some(f) => ContentType::parse(&f.unfolded())?,
        None => ContentType::parse("text/plain")?,
    };
    let disposition = match head.one("Content-Disposition")? {
        Some(f) => Some(parse_disposition(&f.unfolded())?),
        None => None,
    };
    let name = parameter(&ct.params, "name")
        .or_else(|| {
            disposition
                .as_ref()
                .and_then(|(_, p)| parameter(p, "filename"))
        })
        .map(|n| words::decode(&n));
    let encoding = head
        .one("Content-Transfer-Encoding")?
        .map(|f| f.unfolded().to_ascii_lowercase())
        .unwrap_or_else(|| "7bit".to_owned());
    Ok(Part {
        body: range.start + head.body_start..range.end,
        range,
        media_type: format!("{}/{}", ct.media_type, ct.subtype),
        name,
        encoding,
        charset: ct.param("charset").map(str::to_ascii_lowercase),
    })
}

/// The text of a text part, decoded from its transfer encoding and charset.
pub(crate) fn text(entity: &[u8], part: &Part) -> Result<String, Error> {
    let bytes = part.decoded(entity)?;
    let charset = part.charset.as_deref().unwrap_or("us-ascii");
    Ok(words::to_text(charset, &bytes)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()))
}
