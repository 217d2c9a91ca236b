//! Mail addresses: the `addr-spec` check builders apply to their inputs, the extraction of
//! addresses from `From:`, `To:` and `Cc:` values (RFC 5322 section 3.4), and the strict
//! reading of a mailbox list that the reader compares with what `daticert.xml` certifies.

/// Whether `s` is an `addr-spec`, `local@domain`: a dot-atom or quoted local part, a
/// dot-atom domain of LDH labels or a domain literal. UTF-8 beyond ASCII is allowed in both
/// parts (RFC 6531). No blanks, no angle brackets, at most 254 characters.
pub(crate) fn is_address(s: &str) -> bool {
    if s.len() > 254 || s.is_empty() {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    local_ok(local) && domain_ok(domain)
}

/// Why `s` is not an address a builder may write, or `None` when it is one: the `Mailbox`
/// of RFC 5321 (section 4.1.2) in its plainest form, a dot-atom local part of at most 64
/// characters and a domain of LDH labels (or an address literal), ASCII only, at most 254
/// characters. The quoted local part is refused (RFC 5321 4.1.2 advises against it, and
/// parsers disagree on its specials: `"a>, <b@x"@y` is one mailbox or two), and so are
/// non-ASCII addresses (SMTPUTF8 is not PEC's; a domain goes in its `xn--` form), and
/// `=?` or `?=` anywhere (decoders take them for an encoded word).
pub(crate) fn builder_address_problem(s: &str) -> Option<&'static str> {
    if !s.is_ascii() {
        return Some("not ASCII (write the domain in its xn-- form)");
    }
    if s.starts_with('"') {
        return Some("a quoted local part");
    }
    if s.contains("=?") || s.contains("?=") {
        return Some("it would read as an encoded word");
    }
    if !is_address(s) {
        return Some("not an addr-spec");
    }
    None
}

fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn dot_atom(s: &str, ok: impl Fn(char) -> bool) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|part| !part.is_empty() && part.chars().all(&ok))
}

fn local_ok(local: &str) -> bool {
    if local.len() > 64 {
        return false;
    }
    if let Some(inner) = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        let mut escaped = false;
        return inner.chars().all(|c| {
            if escaped {
                escaped = false;
                return c != '\r' && c != '\n';
            }
            if c == '\\' {
                escaped = true;
                return true;
            }
            c != '"' && c != '\r' && c != '\n'
        }) && !escaped;
    }
    dot_atom(local, atext)
}

fn domain_ok(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return !literal.is_empty()
            && literal
                .chars()
                .all(|c| c.is_ascii_graphic() && !"[]\\".contains(c));
    }
    domain.len() <= 253
        && dot_atom(domain, |c| {
            c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii()
        })
        && domain
            .split('.')
            .all(|label| label.len() <= 63 && !label.starts_with('-') && !label.ends_with('-'))
}

/// The addresses of an address-list value (`To:`, `Cc:`, `From:`), in order: angle-addr
/// contents, or bare addr-specs; display names, comments and group names are dropped.
pub(crate) fn list(value: &str) -> Vec<String> {
    // One mailbox being read: text outside angle brackets, and the angle-addr if any.
    let mut text = String::new();
    let mut angle: Option<String> = None;
    let mut in_angle = false;
    let mut in_quote = false;
    let mut comment = 0usize;
    let mut out = Vec::new();
    let mut chars = value.chars();
    let flush = |text: &mut String, angle: &mut Option<String>, out: &mut Vec<String>| {
        let addr = angle.take().unwrap_or_else(|| text.clone());
        let addr = addr.trim();
        if !addr.is_empty() {
            out.push(addr.to_owned());
        }
        text.clear();
    };
    while let Some(c) = chars.next() {
        if comment > 0 {
            match c {
                '\\' => {
                    chars.next();
                }
                '(' => comment += 1,
                ')' => comment -= 1,
                _ => {}
            }
        } else if in_quote {
            // Quoted text belongs to a display name or a quoted local part.
            let target = if in_angle {
                angle.get_or_insert_with(String::new)
            } else {
                &mut text
            };
            target.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        target.push(n);
                    }
                }
                '"' => in_quote = false,
                _ => {}
            }
        } else if in_angle {
            match c {
                '>' => in_angle = false,
                '"' => {
                    in_quote = true;
                    angle.get_or_insert_with(String::new).push(c);
                }
                c if !c.is_whitespace() => angle.get_or_insert_with(String::new).push(c),
                _ => {}
            }
        } else {
            match c {
                '"' => {
                    in_quote = true;
                    text.push(c);
                }
                '(' => comment = 1,
                '<' => {
                    in_angle = true;
                    angle = Some(String::new());
                }
                ',' | ';' => flush(&mut text, &mut angle, &mut out),
                // A group name ("Team: a@b, c@d;") is dropped.
                ':' => text.clear(),
                c if c.is_whitespace() => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                }
                c => text.push(c),
            }
        }
    }
    flush(&mut text, &mut angle, &mut out);
    out
}

/// One mailbox of a strictly read mailbox list: display name (as written inside its quotes,
/// or its atoms joined by one space) and addr-spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// Reads `value` as an RFC 5322 `mailbox-list` (section 3.4) in the subset every reader in
/// use parses alike, or says why not. Refused, because readers disagree on them: groups,
/// comments, quoted-pairs, obsolete forms (routes, `.` in a phrase), control characters,
/// unbalanced quotes or brackets, an empty list. Linear in the value.
pub(crate) fn mailboxes(value: &str) -> Result<Vec<Mailbox>, &'static str> {
    let b = value.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let blank = |i: &mut usize| {
        while matches!(b.get(*i), Some(b' ' | b'\t')) {
            *i += 1;
        }
    };
    loop {
        blank(&mut i);
        // A display name: one quoted string, or atoms; then `<addr-spec>`. Or a bare
        // addr-spec, told apart by the absence of `<` before the next `,`.
        let mut name: Option<String> = None;
        let mut words: Vec<&str> = Vec::new();
        let start = i;
        if b.get(i) == Some(&b'"') {
            let end = i
                + 1
                + b.get(i + 1..)
                    .and_then(|r| r.iter().position(|&c| c == b'"'))
                    .ok_or("an unterminated quoted string")?;
            let inner = value
                .get(i + 1..end)
                .ok_or("a quoted string splits a character")?;
            if inner.contains('\\') {
                return Err("a quoted-pair in a display name");
            }
            if inner.chars().any(char::is_control) {
                return Err("a control character in a display name");
            }
            name = Some(inner.to_owned());
            i = end + 1;
            blank(&mut i);
            if b.get(i) != Some(&b'<') {
                return Err("a quoted display name without an angle address");
            }
        } else {
            loop {
                let w = i;
                while b
                    .get(i)
                    .is_some_and(|&c| c >= 0x80 || (c.is_ascii_graphic() && atext_byte(c)))
                {
                    i += 1;
                }
                if i == w {
                    break;
                }
                words.push(value.get(w..i).ok_or("an atom splits a character")?);
                blank(&mut i);
            }
        }
        match b.get(i) {
            Some(b'<') => {
                if name.is_none() && !words.is_empty() {
                    name = Some(words.join(" "));
                }
                let close = i + b
                    .get(i..)
                    .and_then(|r| r.iter().position(|&c| c == b'>'))
                    .ok_or("an unterminated angle address")?;
                let spec = value
                    .get(i + 1..close)
                    .ok_or("an angle address splits a character")?;
                if !is_address(spec) || spec.contains('\\') {
                    return Err("an angle address that is not one addr-spec");
                }
                out.push(Mailbox {
                    name,
                    address: spec.to_owned(),
                });
                i = close + 1;
            }
            _ => {
                // A bare addr-spec: one token up to the next blank or comma.
                i = start;
                while b.get(i).is_some_and(|&c| !matches!(c, b' ' | b'\t' | b',')) {
                    i += 1;
                }
                let spec = value.get(start..i).ok_or("an address splits a character")?;
                if !is_address(spec) || spec.contains(['\\', '"', '<', '>', '(', ')', ':', ';']) {
                    return Err("a mailbox that is neither an addr-spec nor a name-addr");
                }
                out.push(Mailbox {
                    name: None,
                    address: spec.to_owned(),
                });
            }
        }
        blank(&mut i);
        match b.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => return Err("text after a mailbox (a group, a comment, a route)"),
        }
    }
}

fn atext_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addr_spec_syntax() {
        for good in [
            "posta-certificata@pec.aruba.it",
            "a.b+c@x-y.example",
            "\"quoted name\"@example.it",
            "user@[192.0.2.1]",
            "rené@pec.esempio.it",
            "ERO.amministrazione.riscossione@pec.agenziariscossione.gov.it",
        ] {
            assert!(is_address(good), "{good}");
        }
        for bad in [
            "",
            "no-at-sign",
            "@example.it",
            "a@",
            "a..b@example.it",
            ".a@example.it",
            "a b@example.it",
            "<a@example.it>",
            "a@-bad.example",
            "a@exa mple.it",
            "example.example.com",
            "a@b\r\nBcc: x@y",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }

    #[test]
    fn address_lists() {
        assert_eq!(list("a@b.it"), ["a@b.it"]);
        assert_eq!(
            list("\"Rossi, Mario\" <mario@pec.it>, anna@pec.it (Anna), <luca@x.it>"),
            ["mario@pec.it", "anna@pec.it", "luca@x.it"]
        );
        assert_eq!(
            list(
                "\"Per conto di: altea.l@namirialpec.it\" <posta-certificata@sicurezzapostale.it>"
            ),
            ["posta-certificata@sicurezzapostale.it"]
        );
        assert_eq!(
            list("Team: a@b.it, c@d.it;, e@f.it"),
            ["a@b.it", "c@d.it", "e@f.it"]
        );
        assert_eq!(
            list("\"osj12\" <osj12@yahoo.com>,\r\n \"oskiwalrus\" <oskiwalrus@cs.com>"),
            ["osj12@yahoo.com", "oskiwalrus@cs.com"]
        );
        assert!(list("").is_empty());
        assert!(list("undisclosed-recipients:;").is_empty());
    }

    #[test]
    fn strict_mailbox_lists() {
        let one = |name: Option<&str>, address: &str| Mailbox {
            name: name.map(str::to_owned),
            address: address.to_owned(),
        };
        assert_eq!(
            mailboxes("\"Per conto di: a@b.it\" <posta-certificata@pec.it>").unwrap(),
            [one(
                Some("Per conto di: a@b.it"),
                "posta-certificata@pec.it"
            )]
        );
        assert_eq!(
            mailboxes("posta-certificata@pec.aruba.it").unwrap(),
            [one(None, "posta-certificata@pec.aruba.it")]
        );
        assert_eq!(
            mailboxes("Lorenzo Battistini <l.b@pec.it>,\t<x@y.it> , z@w.it").unwrap(),
            [
                one(Some("Lorenzo Battistini"), "l.b@pec.it"),
                one(None, "x@y.it"),
                one(None, "z@w.it")
            ]
        );
        for bad in [
            "",
            "Group: a@b.it;",
            "a@b.it (comment)",
            "\"a>, <evil@x.test\"@pec.alfa.test",
            "\"Per con\\to di\" <a@b.it>",
            "\"unterminated <a@b.it>",
            "<a@b.it",
            "a@b.it, ",
            "a.b <c@d.it>",
            "<@route:a@b.it>",
            "\"x\u{0}\" <a@b.it>",
            "\"quoted\" a@b.it",
        ] {
            assert!(mailboxes(bad).is_err(), "{bad:?}");
        }
    }
}
