//! Indice dei gestori di PEC (spec 8): the provider index, as the LDIF (RFC 2849) each
//! provider publishes and every provider keeps a copy of.
//!
//! > Base `o=postacert`; provider entry DN `providerName=<name>,o=postacert`; secondary
//! > environments `providerUnit=<environment>,providerName=<name>,o=postacert`. Object class
//! > `provider`: MUST providerCertificateHash, providerCertificate, providerName,
//! > mailReceipt, managedDomains; MAY description, LDIFLocationURL, providerUnit.
//!
//! [`ProviderIndex::parse`] reads the LDIF as the index uses it: `version: 1`, comments,
//! folded lines, `::` base64 values, `;binary` attribute options, several certificates per
//! provider (rollover), `providerUnit` entries; attribute names, hashes and domains are
//! compared without case. Each provider and unit entry becomes a [`Provider`] for the
//! [`TrustStore`](super::TrustStore) ([`TrustStore::add_index`](super::TrustStore::add_index)).
//!
//! Malformed input gives an [`ErrorKind::MalformedIndex`] error naming the line. A
//! `providerCertificateHash` that matches none of the entry's certificates, or a certificate
//! whose hash is not listed, is reported as a diagnostic: the store indexes certificates by
//! their computed hash, so neither can make a wrong certificate trusted. URL values (`:<`)
//! would need I/O and are refused; change records other than `add` are refused.

use std::collections::HashSet;

use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind};
use crate::mime::base64;
use crate::x509::Cert;

use super::Provider;

/// Limits of [`ProviderIndex::parse`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexOptions {
    /// The largest LDIF accepted, in bytes. Default: 16 MiB (the whole index of about a
    /// hundred providers is well under 1 MiB).
    pub max_size: usize,
    /// The longest logical line (folded lines joined), in bytes. Default: 1 MiB.
    pub max_line: usize,
    /// The most entries. Default: 10,000.
    pub max_entries: usize,
    /// The most values of one entry. Default: 1,000.
    pub max_values: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            max_size: 16 << 20,
            max_line: 1 << 20,
            max_entries: 10_000,
            max_values: 1_000,
        }
    }
}

/// The providers of an index, and what was noticed reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderIndex {
    /// One per provider entry and per `providerUnit` entry, in order.
    pub providers: Vec<Provider>,
    /// Hashes that match no certificate, certificates whose hash is not listed.
    pub diagnostics: Vec<Diagnostic>,
}

/// One attribute value, with the line it started on.
struct Value {
    name: String,
    bytes: Vec<u8>,
    line: usize,
}

struct Entry {
    dn: String,
    line: usize,
    values: Vec<Value>,
}

impl Entry {
    fn all(&self, name: &str) -> impl Iterator<Item = &Value> {
        self.values
            .iter()
            .filter(move |v| v.name.eq_ignore_ascii_case(name))
    }

    fn text(&self, name: &str) -> Result<Vec<(String, usize)>, Error> {
        self.all(name)
            .map(|v| {
                String::from_utf8(v.bytes.clone())
                    .map(|s| (s, v.line))
                    .map_err(|_| malformed(v.line, format!("{name}: not UTF-8")))
            })
            .collect()
    }

    fn one(&self, name: &str) -> Result<Option<(String, usize)>, Error> {
        let mut all = self.text(name)?;
        if all.len() > 1 {
            return Err(malformed(
                all.get(1).map_or(self.line, |v| v.1),
                format!("{name} is single-valued"),
            ));
        }
        Ok(all.pop())
    }

    fn required(&self, name: &str) -> Result<(String, usize), Error> {
        self.one(name)?
            .ok_or_else(|| malformed(self.line, format!("the entry {:?} has no {name}", self.dn)))
    }

    fn is_provider(&self) -> bool {
        self.all("objectClass")
            .any(|v| v.bytes.eq_ignore_ascii_case(b"provider"))
            || self.all("providerName").next().is_some()
    }
}

fn malformed(line: usize, message: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::MalformedIndex,
        format!("LDIF line {line}: {}", message.into()),
    )
}

impl ProviderIndex {
    /// Reads the provider index from its LDIF.
    pub fn parse(ldif: &[u8], options: &IndexOptions) -> Result<ProviderIndex, Error> {
        if ldif.len() > options.max_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the LDIF is {} bytes, over the limit of {}",
                    ldif.len(),
                    options.max_size
                ),
            ));
        }
        let mut providers = Vec::new();
        let mut diagnostics = Vec::new();
        entries(ldif, options, |entry| {
            if entry.is_provider() {
                providers.push(provider(&entry, &mut diagnostics)?);
            }
            Ok(())
        })?;
        Ok(ProviderIndex {
            providers,
            diagnostics,
        })
    }
}

fn provider(entry: &Entry, diagnostics: &mut Vec<Diagnostic>) -> Result<Provider, Error> {
    let (name, name_line) = entry.required("providerName")?;
    if name.trim().is_empty() {
        return Err(malformed(name_line, "providerName is empty"));
    }
    let (service, service_line) = entry.required("mailReceipt")?;
    if !crate::mime::address::is_address(service.trim()) {
        return Err(malformed(
            service_line,
            format!("mailReceipt {service:?} is not an address"),
        ));
    }
    let mut p = Provider::new(name.trim()).with_service_address(service.trim());
    for (domain, line) in entry.text("managedDomains")? {
        if domain.trim().is_empty() {
            return Err(malformed(line, "managedDomains is empty"));
        }
        p = p.with_domain(domain.trim());
    }
    if p.domains.is_empty() {
        return Err(malformed(
            entry.line,
            format!("the entry {:?} has no managedDomains", entry.dn),
        ));
    }
    p.unit = entry.one("providerUnit")?.map(|(u, _)| u.trim().to_owned());
    p.ldif_location = entry
        .one("LDIFLocationURL")?
        .map(|(u, _)| u.trim().to_owned());

    // Each list also as a set, for the lookups of the other's members: an entry may list
    // thousands of each.
    let mut hashes: Vec<String> = Vec::new();
    let mut hash_set: HashSet<String> = HashSet::new();
    for (h, line) in entry.text("providerCertificateHash")? {
        let h = h.trim().to_ascii_lowercase();
        if h.len() != 40 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed(
                line,
                format!("providerCertificateHash {h:?} is not 40 hex digits"),
            ));
        }
        hash_set.insert(h.clone());
        hashes.push(h);
    }
    if hashes.is_empty() {
        return Err(malformed(
            entry.line,
            format!("the entry {:?} has no providerCertificateHash", entry.dn),
        ));
    }
    let mut computed: HashSet<String> = HashSet::new();
    for v in entry.all("providerCertificate") {
        let cert = Cert::from_der(&v.bytes).map_err(|e| {
            malformed(
                v.line,
                format!("providerCertificate does not decode: {}", e.message()),
            )
        })?;
        let sha1: String = cert.sha1().iter().map(|b| format!("{b:02x}")).collect();
        if !hash_set.contains(&sha1) {
            diagnostics.push(Diagnostic::new(
                DiagnosticCode::IndexHashMismatch,
                format!(
                    "{name}: the certificate at line {} (SHA-1 {sha1}) is not listed in \
                     providerCertificateHash",
                    v.line
                ),
            ));
        }
        computed.insert(sha1);
        p.certificates.push(v.bytes.clone());
    }
    if p.certificates.is_empty() {
        return Err(malformed(
            entry.line,
            format!("the entry {:?} has no providerCertificate", entry.dn),
        ));
    }
    for h in hashes.iter().filter(|h| !computed.contains(*h)) {
        diagnostics.push(Diagnostic::new(
            DiagnosticCode::IndexHashMismatch,
            format!("{name}: providerCertificateHash {h} matches none of its certificates"),
        ));
    }
    Ok(p)
}

/// A logical line (folds joined) and the number of the physical line it starts on; `None`
/// marks a record separator.
type Line = Option<(usize, Vec<u8>)>;

/// Gives each logical line of the LDIF to `on_line`, comments dropped, as it is complete:
/// only one line is held at a time, so memory follows the longest line, not the file.
fn logical_lines(
    ldif: &[u8],
    options: &IndexOptions,
    mut on_line: impl FnMut(Line) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut pending: Option<(usize, Vec<u8>)> = None;
    // Whether the last thing given was a separator (or nothing yet): blank lines collapse.
    let mut separated = true;
    let mut in_comment = false;
    for (i, raw) in ldif.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(rest) = line.strip_prefix(b" ") {
            // A continuation: of a comment, of a value, or misplaced.
            if in_comment {
                continue;
            }
            match &mut pending {
                Some((_, joined)) => {
                    if joined.len() + rest.len() > options.max_line {
                        return Err(Error::new(
                            ErrorKind::LimitExceeded,
                            format!(
                                "LDIF line {number}: a folded line over {} bytes",
                                options.max_line
                            ),
                        ));
                    }
                    joined.extend_from_slice(rest);
                }
                None => {
                    return Err(malformed(
                        number,
                        "a continuation line with nothing to continue",
                    ));
                }
            }
            continue;
        }
        if let Some(done) = pending.take() {
            on_line(Some(done))?;
            separated = false;
        }
        in_comment = line.first() == Some(&b'#');
        if in_comment {
            continue;
        }
        if line.is_empty() {
            if !separated {
                on_line(None)?;
                separated = true;
            }
            continue;
        }
        if line.len() > options.max_line {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("LDIF line {number}: over {} bytes", options.max_line),
            ));
        }
        pending = Some((number, line.to_vec()));
    }
    if let Some(done) = pending.take() {
        on_line(Some(done))?;
    }
    Ok(())
}

/// `name[;options]: value`, `name:: base64`; `name:< url` is refused.
fn attribute(number: usize, line: &[u8]) -> Result<Value, Error> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| malformed(number, "no ':' after the attribute name"))?;
    let spec = std::str::from_utf8(line.get(..colon).unwrap_or(&[]))
        .map_err(|_| malformed(number, "the attribute name is not ASCII"))?;
    let name = spec.split(';').next().unwrap_or("");
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(malformed(number, format!("bad attribute name {spec:?}")));
    }
    let rest = line.get(colon + 1..).unwrap_or(&[]);
    let bytes = match rest.first() {
        Some(b':') => {
            let text = rest.get(1..).unwrap_or(&[]).trim_ascii();
            base64::decode(text).map_err(|_| malformed(number, format!("{name}: bad base64")))?
        }
        Some(b'<') => {
            return Err(malformed(
                number,
                format!("{name}: a URL value (:<) would need I/O; give the value inline"),
            ));
        }
        _ => rest.trim_ascii_start().to_vec(),
    };
    Ok(Value {
        name: name.to_owned(),
        bytes,
        line: number,
    })
}

/// Gives each entry to `on_entry` as it is complete.
fn entries(
    ldif: &[u8],
    options: &IndexOptions,
    mut on_entry: impl FnMut(Entry) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut count = 0usize;
    let mut current: Option<Entry> = None;
    let mut first = true;
    logical_lines(ldif, options, |item| {
        let Some((number, line)) = item else {
            if let Some(entry) = current.take() {
                on_entry(entry)?;
            }
            return Ok(());
        };
        let value = attribute(number, &line)?;
        if first && value.name.eq_ignore_ascii_case("version") {
            first = false;
            if value.bytes.trim_ascii() != b"1" {
                return Err(malformed(number, "only LDIF version 1 is known"));
            }
            return Ok(());
        }
        first = false;
        match &mut current {
            None => {
                if !value.name.eq_ignore_ascii_case("dn") {
                    return Err(malformed(number, "an entry must begin with dn:"));
                }
                if count >= options.max_entries {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!(
                            "LDIF line {number}: more than {} entries",
                            options.max_entries
                        ),
                    ));
                }
                count += 1;
                current = Some(Entry {
                    dn: String::from_utf8_lossy(&value.bytes).into_owned(),
                    line: number,
                    values: Vec::new(),
                });
            }
            Some(entry) => {
                if value.name.eq_ignore_ascii_case("dn") {
                    return Err(malformed(number, "a second dn: in one entry"));
                }
                if value.name.eq_ignore_ascii_case("changetype") {
                    if !value.bytes.trim_ascii().eq_ignore_ascii_case(b"add") {
                        return Err(malformed(
                            number,
                            "only content records (or changetype: add) describe the index",
                        ));
                    }
                    return Ok(());
                }
                if entry.values.len() >= options.max_values {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!(
                            "LDIF line {number}: more than {} values in one entry",
                            options.max_values
                        ),
                    ));
                }
                entry.values.push(value);
            }
        }
        Ok(())
    })?;
    if let Some(entry) = current.take() {
        on_entry(entry)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ProviderIndex, Error> {
        ProviderIndex::parse(text.as_bytes(), &IndexOptions::default())
    }

    #[test]
    fn malformed_input_names_its_line() {
        for (text, line) in [
            ("dn: o=postacert\nno colon here\n", 2),
            ("objectClass: top\n", 1),
            (
                "dn: o=postacert\n dn continued\n\n continuation after a blank\n",
                4,
            ),
            ("version: 2\n", 1),
            ("dn: a\nmailReceipt:: !!!\n", 2),
            ("dn: a\nproviderCertificate:< file:///etc/cert\n", 2),
            ("dn: a\nchangetype: delete\n", 2),
            ("dn: a\ndn: b\n", 2),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::MalformedIndex, "{text:?}: {e}");
            assert!(
                e.to_string().contains(&format!("line {line}:")),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn folding_comments_and_base64_are_read() {
        let text = "version: 1\r\n# a comment\r\n  folded into the comment\r\ndn: o=post\r\n acert\r\nobjectClass: top\r\ndescription:: Y2lhbyDDqA==\r\n\r\n";
        let mut entries_seen = Vec::new();
        entries(text.as_bytes(), &IndexOptions::default(), |e| {
            entries_seen.push(e);
            Ok(())
        })
        .unwrap();
        let entries = entries_seen;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].dn, "o=postacert");
        assert_eq!(entries[0].values[1].bytes, "ciao è".as_bytes());
        assert_eq!(entries[0].values[1].line, 7);
    }

    #[test]
    fn a_provider_entry_needs_its_mandatory_attributes() {
        let e = parse("dn: providerName=X,o=postacert\nobjectClass: provider\nproviderName: X\n")
            .unwrap_err();
        assert!(e.to_string().contains("mailReceipt"), "{e}");
        // Present but blank: a provider without a name or with an empty domain would enter
        // the trust store as one (the `ldif` fuzz target checks that this never happens).
        let entry = |name: &str, domain: &str| {
            format!(
                "dn: providerName=X,o=postacert\nobjectClass: provider\nproviderName: {name}\n\
                 mailReceipt: posta-certificata@pec.x.test\nmanagedDomains: {domain}\n"
            )
        };
        for (text, line, what) in [
            (entry(" ", "pec.x.test"), 3, "providerName is empty"),
            (entry("X", " "), 5, "managedDomains is empty"),
        ] {
            let e = parse(&text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::MalformedIndex, "{text:?}: {e}");
            let shown = e.to_string();
            assert!(shown.contains(&format!("line {line}:")), "{shown}");
            assert!(shown.contains(what), "{shown}");
        }
    }

    #[test]
    fn limits_hold() {
        let o = IndexOptions {
            max_line: 10,
            ..IndexOptions::default()
        };
        let e = ProviderIndex::parse(b"dn: o=postacert\n 0123456789\n", &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        let o = IndexOptions {
            max_entries: 1,
            ..IndexOptions::default()
        };
        let e = ProviderIndex::parse(b"dn: a\n\ndn: b\n", &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        let o = IndexOptions {
            max_size: 3,
            ..IndexOptions::default()
        };
        let e = ProviderIndex::parse(b"dn: a\n", &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    }
}
