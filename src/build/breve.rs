//! The original message of a short delivery receipt (ricevuta breve, spec 6.5): attachments
//! replaced by their hashes.

use std::ops::Range;

use sha1::Digest as _;

use super::invalid;
use crate::error::{Error, ErrorKind};
use crate::mime::header::{
    ContentType, HeaderBlock, HeaderLimits, parameter, parse_block, parse_disposition,
};
use crate::mime::multipart;

/// Nested multiparts followed at most; deeper structures are refused.
const MAX_DEPTH: usize = 32;
/// Parts per multipart at most.
const MAX_PARTS: usize = 10_000;

/// A part the breve rule replaces by its hash (spec 6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hashable {
    /// The whole part, header and body, in the original.
    pub part: Range<usize>,
    /// Its body (what the hash is of), in the original.
    pub body: Range<usize>,
    /// Its name (`name`, else `filename`, RFC 2231 decoded); `messaggio.eml` for an unnamed
    /// `message/rfc822`.
    pub name: String,
    /// Its disposition type (`attachment` when it has none).
    pub disposition: String,
    /// Its media type, lower case (`type/subtype`).
    pub media_type: String,
}

/// The parts of `original` the breve rule hashes: the one definition the builder replaces
/// and the reader checks (spec 6.5). Inside every multipart, at any depth, each part that has
/// a name, or is a `message/rfc822`, is hashed; the others (text, unnamed parts) are kept,
/// and a multipart is walked. A `multipart/signed` is walked like any other multipart, but
/// its second part must be its signature (`application/pkcs7-signature` or the `x-` form),
/// which is kept: it is the sender's, not an attachment, and a second part of any other type
/// is refused, since it would be either kept (and read back as whatever it claims, a forged
/// `.hash` part say) or hashed where a signature is expected. The top-level entity is never
/// hashed; an opaque `application/pkcs7-mime` original has nothing to walk.
pub(crate) fn hashable_parts(original: &[u8]) -> Result<Vec<Hashable>, Error> {
    let head = parse_block(original, HeaderLimits::default())?;
    let ct = content_type(&head)?;
    let mut out = Vec::new();
    if ct.media_type == "application"
        && matches!(ct.subtype.as_str(), "pkcs7-mime" | "x-pkcs7-mime")
    {
        return Ok(out);
    }
    walk(original, 0..original.len(), &head, &ct, 0, &mut out)?;
    Ok(out)
}

/// The original with every part [`hashable_parts`] selects replaced by its hash, by the
/// rules documented on [`Delivery`](super::Delivery).
pub(crate) fn short_form(original: &[u8]) -> Result<Vec<u8>, Error> {
    let parts = hashable_parts(original).map_err(|e| {
        invalid(format!(
            "original: cannot make the breve form: {}",
            e.message()
        ))
    })?;
    let mut out = Vec::with_capacity(original.len());
    let mut at = 0;
    for p in parts {
        let body = original.get(p.body.clone()).unwrap_or(&[]);
        let hash = sha1::Sha1::digest(body);
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        out.extend_from_slice(original.get(at..p.part.start).unwrap_or(&[]));
        out.extend_from_slice(&hash_part(
            &p.disposition,
            &format!("{}.hash", p.name),
            &hex,
        ));
        at = p.part.end;
    }
    out.extend_from_slice(original.get(at..).unwrap_or(&[]));
    Ok(out)
}

fn content_type(head: &HeaderBlock<'_>) -> Result<ContentType, Error> {
    match head.one("Content-Type")? {
        Some(f) => ContentType::parse(&f.unfolded()),
        None => ContentType::parse("text/plain"),
    }
}

/// Collects, in order, the hashable parts inside the multipart entity `msg[entity]` whose
/// header is `head` and type `ct`.
fn walk(
    msg: &[u8],
    entity: Range<usize>,
    head: &HeaderBlock<'_>,
    ct: &ContentType,
    depth: usize,
    out: &mut Vec<Hashable>,
) -> Result<(), Error> {
    if ct.media_type != "multipart" {
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("multiparts nested deeper than {MAX_DEPTH}"),
        ));
    }
    let boundary = ct
        .param("boundary")
        .ok_or_else(|| Error::new(ErrorKind::MalformedMime, "a multipart without a boundary"))?;
    let body = entity.start + head.body_start..entity.end;
    let parts = multipart::split(msg, body, boundary, MAX_PARTS)?;
    let mut children = &parts.parts[..];
    if ct.subtype == "signed" {
        let [first, signature] = &parts.parts[..] else {
            return Err(Error::new(
                ErrorKind::MalformedMime,
                format!(
                    "a multipart/signed with {} parts instead of two",
                    parts.parts.len()
                ),
            ));
        };
        let bytes = msg.get(signature.clone()).unwrap_or(&[]);
        let sig_ct = content_type(&parse_block(bytes, HeaderLimits::default())?)?;
        if !(sig_ct.is("application", "pkcs7-signature")
            || sig_ct.is("application", "x-pkcs7-signature"))
        {
            return Err(Error::new(
                ErrorKind::MalformedMime,
                format!(
                    "a multipart/signed whose second part is {}/{}, not its signature",
                    sig_ct.media_type, sig_ct.subtype
                ),
            ));
        }
        children = std::slice::from_ref(first);
    }
    for part in children {
        let bytes = msg.get(part.clone()).unwrap_or(&[]);
        let part_head = parse_block(bytes, HeaderLimits::default())?;
        let part_ct = content_type(&part_head)?;
        let disposition = match part_head.one("Content-Disposition")? {
            Some(f) => Some(parse_disposition(&f.unfolded())?),
            None => None,
        };
        let name = parameter(&part_ct.params, "name").or_else(|| {
            disposition
                .as_ref()
                .and_then(|(_, params)| parameter(params, "filename"))
        });
        let is_message = part_ct.is("message", "rfc822");
        if name.is_some() || is_message {
            out.push(Hashable {
                part: part.clone(),
                body: part.start + part_head.body_start..part.end,
                name: name.unwrap_or_else(|| "messaggio.eml".to_owned()),
                disposition: disposition
                    .map(|(k, _)| k)
                    .unwrap_or_else(|| "attachment".to_owned()),
                media_type: format!("{}/{}", part_ct.media_type, part_ct.subtype),
            });
        } else {
            walk(msg, part.clone(), &part_head, &part_ct, depth + 1, out)?;
        }
    }
    Ok(())
}

/// The replacement part. Names that are not plain ASCII are written in RFC 2231 form.
fn hash_part(disposition: &str, name: &str, hex: &str) -> Vec<u8> {
    let plain = name.bytes().all(|b| (b' '..=b'~').contains(&b)) && !name.contains(['"', '\\']);
    let (ct_name, cd_name) = if plain {
        (format!("name=\"{name}\""), format!("filename=\"{name}\""))
    } else {
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        (
            format!("name*=UTF-8''{encoded}"),
            format!("filename*=UTF-8''{encoded}"),
        )
    };
    format!(
        "Content-Type: text/plain; charset=us-ascii; {ct_name}\r\n\
         Content-Disposition: {disposition}; {cd_name}\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n{hex}"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = "From: a@pec.alfa.test\r\nTo: b@pec.beta.test\r\nSubject: fattura\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n\
--outer\r\nContent-Type: text/plain\r\n\r\nIn allegato la fattura.\r\n\
--outer\r\nContent-Type: application/pdf; name=\"fattura.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\nJSVFT0YK\r\n\
--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n\
--inner\r\nContent-Type: text/plain\r\n\r\nx\r\n\
--inner\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename*=UTF-8''logo%C3%A8.png\r\n\r\niVBOR\r\n\
--inner--\r\n\
--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: inoltrato\r\n\r\ntesto\r\n\
--outer--\r\nepilogue\r\n";

    #[test]
    fn replaces_every_attachment_and_keeps_the_rest() {
        let short = String::from_utf8(short_form(ORIGINAL.as_bytes()).unwrap()).unwrap();
        let sha1 = |s: &str| {
            sha1::Sha1::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let pdf = sha1("JVBERi0xLjQK\r\nJSVFT0YK");
        assert!(short.contains(&format!(
            "--outer\r\nContent-Type: text/plain; charset=us-ascii; name=\"fattura.pdf.hash\"\r\n\
             Content-Disposition: attachment; filename=\"fattura.pdf.hash\"\r\n\
             Content-Transfer-Encoding: 7bit\r\n\r\n{pdf}\r\n--outer\r\n"
        )), "{short}");
        let png = sha1("iVBOR");
        assert!(
            short.contains(&format!(
                "Content-Disposition: inline; filename*=UTF-8''logo%C3%A8.png.hash\r\n\
             Content-Transfer-Encoding: 7bit\r\n\r\n{png}\r\n--inner--"
            )),
            "{short}"
        );
        let eml = sha1("Subject: inoltrato\r\n\r\ntesto");
        assert!(short.contains(&format!("filename=\"messaggio.eml.hash\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{eml}\r\n--outer--\r\nepilogue\r\n")), "{short}");
        // Untouched: the headers, the preamble, the text parts.
        assert!(short.starts_with("From: a@pec.alfa.test\r\n"));
        assert!(short.contains(
            "preamble\r\n--outer\r\nContent-Type: text/plain\r\n\r\nIn allegato la fattura.\r\n"
        ));
        assert!(!short.contains("JVBERi0x"));
    }

    #[test]
    fn single_part_and_opaque_messages_are_kept() {
        let plain = "Subject: x\r\n\r\nsolo testo\r\n";
        assert_eq!(short_form(plain.as_bytes()).unwrap(), plain.as_bytes());
        let opaque = "Subject: x\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n\r\nMIAGCSqG\r\n";
        assert_eq!(short_form(opaque.as_bytes()).unwrap(), opaque.as_bytes());
    }

    #[test]
    fn signed_originals_keep_their_signature_part() {
        let signed = "Subject: x\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s\"\r\n\r\n\
--s\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nt\r\n--m\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\nPDF\r\n--m--\r\n\
--s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\r\nMIAG\r\n--s--\r\n";
        let short = String::from_utf8(short_form(signed.as_bytes()).unwrap()).unwrap();
        assert!(short.contains("a.pdf.hash"));
        assert!(short.contains("name=smime.p7s\r\n\r\nMIAG"), "{short}");
    }

    #[test]
    fn a_signed_original_whose_second_part_is_not_a_signature_is_refused() {
        // The smuggling of issue 15: a ".hash" part of the sender's where the signature goes.
        let smuggled = "Subject: x\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s\"\r\n\r\n\
--s\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nt\r\n--m--\r\n\
--s\r\nContent-Type: text/plain; name=\"contratto-firmato.pdf.hash\"\r\n\r\n0123456789012345678901234567890123456789\r\n--s--\r\n";
        let e = short_form(smuggled.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("not its signature"), "{e}");
        assert!(hashable_parts(smuggled.as_bytes()).is_err());
    }

    #[test]
    fn ambiguous_structures_are_refused() {
        let bad = ORIGINAL.replace("--inner--", "--innerX");
        let e = short_form(bad.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
