//! `pecmail inspect`: reads received messages with the verifying reader and reports what each
//! one is: kind, daticert `tipo`, signature, trust, provider, identifiers and every
//! diagnostic.
//!
//! ```text
//! pecmail inspect --at TIME [--json] [--index FILE]... [--trust FILE]... [--anchor FILE]... [--crl FILE]... [--ocsp FILE]... [--revocation POLICY] [--lenient] FILE...
//! ```
//!
//! - `--json`: one JSON object per file and per line (JSON Lines) instead of the text report;
//!   the fields are documented in this crate's README and are stable.
//! - `--index FILE`: the provider index (Indice dei gestori) as LDIF: every provider with its
//!   certificates, domains and service mailbox.
//! - `--trust FILE`: a provider's signing certificate (DER, or PEM with one or more
//!   `CERTIFICATE` blocks), as the provider index lists it; the provider is named after the
//!   certificate's subject organisation (`O`), else the file name without extension.
//! - `--anchor FILE`: a trusted CA certificate (DER or PEM), such as the AgID CA.
//! - `--at TIME` (required): the time trust is checked at: an RFC 3339 time such as
//!   `2026-06-01T10:00:00+02:00`, `now` (this machine's clock, UTC), or `claimed` (the time
//!   each message claims: for archives; such a message is never `valid`, its verdict is
//!   `trusted-at-claimed-time`). There is no default: the time a message carries is chosen
//!   by whoever holds its key.
//! - `--crl FILE`: a certificate revocation list (DER or PEM) the caller fetched; `--ocsp
//!   FILE`: an OCSP response (DER). Repeatable.
//! - `--revocation POLICY`: `ignore`, `use` (the default: what `--crl` and `--ocsp` give) or
//!   `require` (a current status for every certificate of the path, else
//!   `revocation-unknown`).
//! - `--lenient`: every tolerance of `ReadOptions::lenient()` (LF line ends, lenient
//!   daticert, non-standard `micalg`, subject tags, extra parts, 1024-bit keys); strict by
//!   default.
//!
//! The exit status is 0 when every file was read (valid or not), 1 when a file could not be
//! read or described, 2 on bad usage (including a `--trust` or `--anchor` file that is not a
//! certificate).

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use pecmail::PecTime;

use crate::json::{json_error_line, json_line};
use pecmail::read::{PecMessage, ReadOptions, read};
use pecmail::trust::{
    IndexOptions, Provider, ProviderIndex, RevocationPolicy, TrustStore, ValidationTime,
};

const USAGE: &str = "usage: pecmail inspect [--json] [--index FILE]... [--trust FILE]... \
[--anchor FILE]... [--crl FILE]... [--ocsp FILE]... [--revocation ignore|use|require] \
[--lenient] --at RFC3339|now|claimed FILE...";

/// The command line.
struct Args {
    json: bool,
    index: Vec<OsString>,
    trust: Vec<OsString>,
    anchors: Vec<OsString>,
    at: Option<ValidationTime>,
    crls: Vec<OsString>,
    ocsp: Vec<OsString>,
    revocation: RevocationPolicy,
    lenient: bool,
    files: Vec<OsString>,
}

/// Runs `pecmail inspect` with the arguments after the command name.
pub(crate) fn run(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args = match parse_args(args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("pecmail inspect: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let store = match trust_store(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pecmail inspect: {e}");
            return ExitCode::from(2);
        }
    };
    let mut options = if args.lenient {
        ReadOptions::lenient()
    } else {
        ReadOptions::strict()
    };
    options.trust.revocation = args.revocation;
    let Some(at) = args.at else {
        eprintln!(
            "pecmail inspect: --at is required: the time to validate at (RFC 3339), now, or \
             claimed\n{USAGE}"
        );
        return ExitCode::from(2);
    };

    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for file in &args.files {
        let name = file.to_string_lossy();
        let report = match std::fs::read(file) {
            Err(e) => Err(format!("cannot read the file: {e}")),
            Ok(raw) => match read(&raw, &store, at, &options) {
                Ok(m) if args.json => Ok(json_line(&name, &m)),
                Ok(m) => Ok(text_report(&name, &m)),
                Err(e) => Err(e.to_string()),
            },
        };
        let out = match report {
            Ok(out) => out,
            Err(e) => {
                failed = true;
                if args.json {
                    json_error_line(&name, &e)
                } else {
                    format!("== {name}\nerror: {e}\n")
                }
            }
        };
        if stdout.write_all(out.as_bytes()).is_err() {
            return ExitCode::FAILURE; // stdout closed: nobody is reading
        }
    }
    if stdout.flush().is_err() || failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `Ok(None)` for `--help`.
fn parse_args(mut args: impl Iterator<Item = OsString>) -> Result<Option<Args>, String> {
    let mut out = Args {
        json: false,
        index: Vec::new(),
        trust: Vec::new(),
        anchors: Vec::new(),
        at: None,
        crls: Vec::new(),
        ocsp: Vec::new(),
        revocation: RevocationPolicy::default(),
        lenient: false,
        files: Vec::new(),
    };
    let mut only_files = false;
    while let Some(arg) = args.next() {
        let flag = arg
            .to_str()
            .filter(|a| !only_files && a.starts_with('-') && *a != "-");
        let Some(flag) = flag else {
            out.files.push(arg);
            continue;
        };
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag {
            "--" => only_files = true,
            "--json" => out.json = true,
            "--lenient" => out.lenient = true,
            "--index" => out.index.push(value("--index")?),
            "--trust" => out.trust.push(value("--trust")?),
            "--anchor" => out.anchors.push(value("--anchor")?),
            "--crl" => out.crls.push(value("--crl")?),
            "--ocsp" => out.ocsp.push(value("--ocsp")?),
            "--revocation" => {
                out.revocation = match value("--revocation")?.to_str() {
                    Some("ignore") => RevocationPolicy::Ignore,
                    Some("use") => RevocationPolicy::UseGiven,
                    Some("require") => RevocationPolicy::Require,
                    _ => return Err("--revocation: ignore, use or require".to_owned()),
                }
            }
            "--at" => {
                let v = value("--at")?;
                let v = v.to_str().ok_or("--at: not UTF-8")?;
                out.at = Some(match v {
                    "now" => ValidationTime::At(now()?),
                    "claimed" => ValidationTime::Claimed,
                    v => PecTime::parse_rfc3339(v)
                        .map_err(|e| format!("--at: {e}"))?
                        .into(),
                });
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if out.files.is_empty() {
        return Err("no FILE given".to_owned());
    }
    Ok(Some(out))
}

/// The providers of `--index` and `--trust`, and the anchors of `--anchor`.
fn trust_store(args: &Args) -> Result<TrustStore, String> {
    let mut store = TrustStore::new();
    for file in &args.index {
        let shown = file.to_string_lossy();
        let bytes = std::fs::read(file).map_err(|e| format!("--index {shown}: {e}"))?;
        let index = ProviderIndex::parse(&bytes, &IndexOptions::default())
            .map_err(|e| format!("--index {shown}: {e}"))?;
        for d in &index.diagnostics {
            eprintln!("pecmail inspect: --index {shown}: {d}");
        }
        store
            .add_index(&index)
            .map_err(|e| format!("--index {shown}: {e}"))?;
    }
    for file in &args.trust {
        for der in certificates(file)? {
            let name = organisation(&der).unwrap_or_else(|| {
                Path::new(file)
                    .file_stem()
                    .unwrap_or(file)
                    .to_string_lossy()
                    .into_owned()
            });
            store
                .add_provider(Provider::new(name).with_certificate(der))
                .map_err(|e| format!("--trust {}: {e}", file.to_string_lossy()))?;
        }
    }
    for file in &args.crls {
        let shown = file.to_string_lossy();
        let bytes = std::fs::read(file).map_err(|e| format!("--crl {shown}: {e}"))?;
        store
            .add_crl(&bytes)
            .map_err(|e| format!("--crl {shown}: {e}"))?;
    }
    for file in &args.ocsp {
        let shown = file.to_string_lossy();
        let bytes = std::fs::read(file).map_err(|e| format!("--ocsp {shown}: {e}"))?;
        store
            .add_ocsp_response(&bytes)
            .map_err(|e| format!("--ocsp {shown}: {e}"))?;
    }
    for file in &args.anchors {
        for der in certificates(file)? {
            store
                .add_anchor(&der)
                .map_err(|e| format!("--anchor {}: {e}", file.to_string_lossy()))?;
        }
    }
    Ok(store)
}

/// This machine's clock, UTC: the one place the time is read, on the caller's request.
fn now() -> Result<PecTime, String> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| "--at now: the clock is before 1970".to_owned())?
        .as_secs();
    let seconds = i64::try_from(seconds).map_err(|_| "--at now: the clock is out of range")?;
    PecTime::from_unix(seconds, 0).map_err(|e| format!("--at now: {e}"))
}

/// The certificates of a file: DER, or every `CERTIFICATE` block of a PEM file.
fn certificates(file: &OsStr) -> Result<Vec<Vec<u8>>, String> {
    let shown = file.to_string_lossy();
    let bytes = std::fs::read(file).map_err(|e| format!("{shown}: {e}"))?;
    pecmail::pem::certificates(&bytes).map_err(|e| format!("{shown}: {}", e.message()))
}

/// The subject organisation (`O`) of a certificate. `None` when it does not decode or has
/// no `O`.
fn organisation(der: &[u8]) -> Option<String> {
    let info = pecmail::CertificateInfo::from_der(der).ok()?;
    rdn_value(&info.subject, &["O", "2.5.4.10"])
}

/// The first value of an attribute in an RFC 4514 distinguished name, unescaped; `None` for
/// values written as `#hex` (not a string type).
fn rdn_value(dn: &str, types: &[&str]) -> Option<String> {
    let bytes = dn.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // One `type=value`, up to an unescaped `,` or `+`.
        let start = i;
        let mut eq = None;
        let mut value = Vec::new();
        while let Some(&b) = bytes.get(i) {
            match b {
                b',' | b'+' => break,
                b'=' if eq.is_none() => eq = Some(i),
                b'\\' if eq.is_some() => {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match hex {
                        Some(h) => {
                            value.push(h);
                            i += 2;
                        }
                        None => {
                            value.extend(bytes.get(i + 1).copied());
                            i += 1;
                        }
                    }
                }
                _ if eq.is_some() => value.push(b),
                _ => {}
            }
            i += 1;
        }
        if let Some(eq) = eq {
            let name = dn.get(start..eq).unwrap_or("").trim();
            let hex_form = dn.get(eq + 1..).is_some_and(|v| v.starts_with('#'));
            if types.iter().any(|t| t.eq_ignore_ascii_case(name)) && !hex_form {
                return Some(String::from_utf8_lossy(&value).into_owned());
            }
        }
        i += 1; // the separator
    }
    None
}

/// The kind's stable kebab-case name, `not-pec` for mail that is not a signed PEC message.
pub(crate) fn kind(m: &PecMessage<'_>) -> &'static str {
    m.kind.map_or("not-pec", |k| k.as_str())
}

// ---- Text ----------------------------------------------------------------------------------

fn text_report(file: &str, m: &PecMessage<'_>) -> String {
    let mut out = format!("== {file}\n");
    text_fields(m, "", &mut out);
    out
}

fn text_fields(m: &PecMessage<'_>, indent: &str, out: &mut String) {
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "{indent}{:<19}{value}", format!("{label}:"));
    };
    line("kind", kind(m));
    line("daticert tipo", m.daticert_tipo.map_or("-", |t| t.as_str()));
    match &m.signature_error {
        Some(e) => line("signature", &format!("{} ({e})", m.signature.as_str())),
        None => line("signature", m.signature.as_str()),
    }
    match &m.trust {
        Some(t) => line(
            "trust",
            &format!(
                "{} ({}: {})",
                m.trust_status(),
                t.verdict.as_str(),
                t.detail
            ),
        ),
        None => line("trust", m.trust_status()),
    }
    line("provider", m.provider().as_deref().unwrap_or("-"));
    line("valid", if m.is_valid() { "yes" } else { "no" });
    line("identifier", m.identifier.as_deref().unwrap_or("-"));
    line(
        "client message id",
        m.client_message_id.as_deref().unwrap_or("-"),
    );
    if m.diagnostics.is_empty() {
        line("diagnostics", "none");
    }
    for d in &m.diagnostics {
        line("diagnostic", &d.to_string());
    }
    let deeper = format!("{indent}    ");
    if let Some(e) = &m.embedded {
        let _ = writeln!(
            out,
            "{indent}embedded (the signed message inside the wrapper):"
        );
        text_fields(e, &deeper, out);
    }
    if let Some(i) = &m.inner {
        let _ = writeln!(
            out,
            "{indent}inner (the message the anomaly envelope carries):"
        );
        text_fields(i, &deeper, out);
    }
}
