//! `pecmail inspect`: its JSON Lines fields and values (which conformance harnesses depend
//! on), its text report, its options and its exit codes. Cargo builds the `pecmail` binary
//! for these tests (`CARGO_BIN_EXE_pecmail`).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::messages::{self, Built};
use common::{corpus_dir, scratch, skip_without_corpus};
use pecmail::PecTime;

/// The time of the fixture messages: inside every test certificate's validity but `expired`'s.
const FIXTURE_TIME: &str = "2026-06-01T10:00:00+02:00";

/// The fields of a message object, in their documented (and emitted) order; a top-level line
/// has `file` first.
const FIELDS: &[&str] = &[
    "error",
    "kind",
    "daticert_tipo",
    "signature",
    "signature_error",
    "trust",
    "trust_verdict",
    "provider",
    "valid",
    "identifier",
    "client_message_id",
    "diagnostics",
    "embedded",
    "inner",
    "validated_at",
    "time_basis",
    "revocation",
    "revoked_since",
    "revocation_reason",
];

const IDENTIFIER: &str = "opec-alfa.20260601100000.1@pec.alfa.test";
const CLIENT_MESSAGE_ID: &str = "<20260601095958.1234@client.example>";

// ---- Running the example -------------------------------------------------------------------

/// `pecmail inspect`: the binary Cargo built for this test, and the command.
fn inspect_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pecmail"));
    command.arg("inspect");
    command
}

fn pki_arg(file: &str) -> String {
    common::pki_path(file)
}

/// The trust options of the fixture set: both providers, the test root, the fixture time.
fn trust_args() -> Vec<String> {
    vec![
        "--trust".into(),
        pki_arg("alfa.der"),
        "--trust".into(),
        pki_arg("beta.der"),
        "--anchor".into(),
        pki_arg("root.der"),
        "--at".into(),
        FIXTURE_TIME.into(),
    ]
}

/// Runs `pecmail inspect` with `args` and `files`; `--at` is the fixture time unless `args`
/// give one (the command requires it).
fn run(args: &[String], files: &[PathBuf]) -> Output {
    let mut command = inspect_command();
    if !args.iter().any(|a| a == "--at") {
        command.args(["--at", FIXTURE_TIME]);
    }
    command.args(args).args(files).output().unwrap()
}

/// Runs with `--json` and parses every line; checks one line per file.
fn run_json(args: &[String], files: &[PathBuf]) -> (Option<i32>, Vec<Json>) {
    let mut all = vec!["--json".to_owned()];
    all.extend_from_slice(args);
    let out = run(&all, files);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Json> = stdout
        .lines()
        .map(|l| Json::parse(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), files.len(), "{stdout}");
    for (line, file) in lines.iter().zip(files) {
        assert_eq!(line.get("file").str(), Some(&*file.to_string_lossy()));
        check_keys(line, true);
    }
    (out.status.code(), lines)
}

/// The documented fields, exactly, in order; nested objects likewise.
fn check_keys(value: &Json, top: bool) {
    let Json::Obj(fields) = value else {
        panic!("not an object: {value:?}")
    };
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected: Vec<&str> = if top { vec!["file"] } else { Vec::new() };
    expected.extend_from_slice(FIELDS);
    assert_eq!(names, expected);
    for nested in ["embedded", "inner"] {
        if *value.get(nested) != Json::Null {
            check_keys(value.get(nested), false);
        }
    }
}

use common::messages::fixture;

fn built<'a>(all: &'a [Built], name: &str) -> &'a [u8] {
    &all.iter().find(|b| b.name == name).unwrap().bytes
}

/// Writes a scratch file for one test.
fn write(test: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch(&format!("inspect-{test}-{name}.eml"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The diagnostic codes of a message object.
fn codes(value: &Json) -> Vec<&str> {
    value
        .get("diagnostics")
        .arr()
        .iter()
        .map(|c| c.str().unwrap())
        .collect()
}

// ---- Tests ---------------------------------------------------------------------------------

#[test]
fn the_fixture_time_is_the_fixture_messages_time() {
    assert_eq!(
        PecTime::parse_rfc3339(FIXTURE_TIME).unwrap(),
        messages::at(0)
    );
}

/// A transport envelope, an acceptance, a summary delivery receipt and an anomaly envelope
/// built with the test PKI: each valid and trusted, every field exact.
#[test]
fn json_reports_built_messages_valid_and_trusted_field_by_field() {
    let all = fixture();
    let files: Vec<PathBuf> = [
        "transport-envelope",
        "acceptance",
        "delivery-summary",
        "anomaly-envelope",
    ]
    .iter()
    .map(|n| write("valid", n, built(&all, n)))
    .collect();
    let (code, lines) = run_json(&trust_args(), &files);
    assert_eq!(code, Some(0));

    let expected = [
        (
            "transport-envelope",
            Some("posta-certificata"),
            "Alfa PEC S.p.A.",
        ),
        ("acceptance", Some("accettazione"), "Alfa PEC S.p.A."),
        (
            "delivery-summary",
            Some("avvenuta-consegna"),
            "Beta Posta S.r.l.",
        ),
        ("anomaly-envelope", None, "Beta Posta S.r.l."),
    ];
    for (line, (kind, tipo, provider)) in lines.iter().zip(expected) {
        let at = kind;
        assert_eq!(line.get("error"), &Json::Null, "{at}");
        assert_eq!(line.get("kind").str(), Some(kind), "{at}");
        assert_eq!(line.get("daticert_tipo").str(), tipo, "{at}");
        assert_eq!(line.get("signature").str(), Some("valid"), "{at}");
        assert_eq!(line.get("signature_error"), &Json::Null, "{at}");
        assert_eq!(line.get("trust").str(), Some("trusted"), "{at}");
        assert_eq!(line.get("trust_verdict").str(), Some("trusted"), "{at}");
        assert_eq!(line.get("provider").str(), Some(provider), "{at}");
        assert_eq!(line.get("valid"), &Json::Bool(true), "{at}");
        assert_eq!(codes(line), Vec::<&str>::new(), "{at}");
        assert_eq!(line.get("embedded"), &Json::Null, "{at}");
        if kind == "anomaly-envelope" {
            // No daticert, so no identifiers; the ordinary mail it carries is `inner`.
            assert_eq!(line.get("identifier"), &Json::Null);
            assert_eq!(line.get("client_message_id"), &Json::Null);
            let inner = line.get("inner");
            assert_eq!(inner.get("error"), &Json::Null);
            assert_eq!(inner.get("kind").str(), Some("not-pec"));
            assert_eq!(inner.get("daticert_tipo"), &Json::Null);
            assert_eq!(inner.get("signature").str(), Some("absent"));
            assert_eq!(inner.get("trust").str(), Some("unknown"));
            assert_eq!(inner.get("trust_verdict"), &Json::Null);
            assert_eq!(inner.get("provider"), &Json::Null);
            assert_eq!(inner.get("valid"), &Json::Bool(false));
            assert_eq!(codes(inner), Vec::<&str>::new());
            assert_eq!(inner.get("inner"), &Json::Null);
        } else {
            assert_eq!(line.get("identifier").str(), Some(IDENTIFIER), "{at}");
            assert_eq!(
                line.get("client_message_id").str(),
                Some(CLIENT_MESSAGE_ID),
                "{at}"
            );
            assert_eq!(line.get("inner"), &Json::Null, "{at}");
        }
    }

    // Deterministic: the same run prints the same bytes.
    let mut args = vec!["--json".to_owned()];
    args.extend(trust_args());
    assert_eq!(run(&args, &files).stdout, run(&args, &files).stdout);
}

/// One byte of the signed body changed: the signature is invalid, the message still
/// described.
#[test]
fn a_tampered_message_has_an_invalid_signature() {
    let all = fixture();
    let mut bytes = built(&all, "transport-envelope").to_vec();
    let needle = b"fattura di giugno";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the original's text is in the signed part");
    bytes[at] = b'F';
    let file = write("tampered", "transport-envelope", &bytes);
    let (code, lines) = run_json(&trust_args(), &[file]);
    assert_eq!(code, Some(0), "a file that was read is not an error");
    let line = &lines[0];
    assert_eq!(line.get("error"), &Json::Null);
    assert_eq!(line.get("kind").str(), Some("transport-envelope"));
    assert_eq!(line.get("daticert_tipo").str(), Some("posta-certificata"));
    assert_eq!(line.get("signature").str(), Some("invalid"));
    assert!(
        line.get("signature_error")
            .str()
            .unwrap()
            .contains("digest mismatch")
    );
    assert_eq!(line.get("trust").str(), Some("unknown"));
    assert_eq!(line.get("trust_verdict"), &Json::Null);
    assert_eq!(line.get("provider"), &Json::Null);
    assert_eq!(line.get("valid"), &Json::Bool(false));
    assert_eq!(line.get("identifier").str(), Some(IDENTIFIER));
    assert!(codes(line).contains(&"pec-signature-invalid"), "{line:?}");
}

/// A file that cannot be read: `error` set, every other field null, exit code 1; the other
/// files are still reported. The name (quotes, backslash, control characters, non-ASCII)
/// comes back exactly, and Python's strict JSON parser accepts every line.
#[test]
fn a_missing_file_is_an_error_and_exit_code_1() {
    let all = fixture();
    let good = write("missing", "acceptance", built(&all, "acceptance"));
    let missing = scratch("inspect-missing-\"quoted\" back\\slash\ttab\u{1}ctl-\u{e8}.eml");
    let _ = std::fs::remove_file(&missing);
    let (code, lines) = run_json(&trust_args(), &[missing.clone(), good.clone()]);
    assert_eq!(code, Some(1));
    let error = &lines[0];
    assert_eq!(error.get("file").str(), Some(&*missing.to_string_lossy()));
    assert!(
        error
            .get("error")
            .str()
            .unwrap()
            .starts_with("cannot read the file: "),
        "{error:?}"
    );
    for field in FIELDS {
        match *field {
            "error" => {}
            "diagnostics" => assert_eq!(error.get(field), &Json::Arr(Vec::new())),
            _ => assert_eq!(error.get(field), &Json::Null, "{field}"),
        }
    }
    assert_eq!(lines[1].get("kind").str(), Some("acceptance"));
    assert_eq!(lines[1].get("valid"), &Json::Bool(true));

    // Python's json module agrees on every line and on the file name.
    let mut args = vec!["--json".to_owned()];
    args.extend(trust_args());
    let out = run(&args, &[missing.clone(), good]);
    let check = "import json, sys\n\
                 lines = [json.loads(l) for l in sys.stdin.read().splitlines()]\n\
                 assert len(lines) == 2, lines\n\
                 print(lines[0]['file'], end='')\n";
    let python = {
        use std::io::Write;
        let mut child = Command::new("python3")
            .args(["-c", check])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 ({e}); the tests need it on PATH"));
        child.stdin.take().unwrap().write_all(&out.stdout).unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    assert_eq!(
        String::from_utf8(python.stdout).unwrap(),
        missing.to_string_lossy()
    );
}

/// Ordinary mail: not PEC, no signature, nothing to trust.
#[test]
fn ordinary_mail_is_not_pec() {
    let file = write("ordinary", "mail", messages::ORDINARY_MAIL.as_bytes());
    let (code, lines) = run_json(&trust_args(), &[file]);
    assert_eq!(code, Some(0));
    let line = &lines[0];
    assert_eq!(line.get("error"), &Json::Null);
    assert_eq!(line.get("kind").str(), Some("not-pec"));
    assert_eq!(line.get("daticert_tipo"), &Json::Null);
    assert_eq!(line.get("signature").str(), Some("absent"));
    assert_eq!(line.get("trust").str(), Some("unknown"));
    assert_eq!(line.get("provider"), &Json::Null);
    assert_eq!(line.get("valid"), &Json::Bool(false));
    assert_eq!(line.get("identifier"), &Json::Null);
    assert_eq!(codes(line), Vec::<&str>::new());
    assert_eq!(line.get("embedded"), &Json::Null);
    assert_eq!(line.get("inner"), &Json::Null);
}

/// Without `--trust` or `--anchor` the signature verifies but the signer is unknown; the
/// provider is then the signer certificate's subject.
#[test]
fn without_a_trust_store_the_signer_is_untrusted() {
    let all = fixture();
    let file = write("no-store", "acceptance", built(&all, "acceptance"));
    let (code, lines) = run_json(&["--at".into(), FIXTURE_TIME.into()], &[file]);
    assert_eq!(code, Some(0));
    let line = &lines[0];
    assert_eq!(line.get("signature").str(), Some("valid"));
    assert_eq!(line.get("trust").str(), Some("untrusted"));
    assert_eq!(line.get("trust_verdict").str(), Some("unknown-issuer"));
    assert_eq!(
        line.get("provider").str(),
        Some("CN=Posta Certificata Alfa PEC S.p.A.,O=Alfa PEC S.p.A.,C=IT")
    );
    assert_eq!(line.get("valid"), &Json::Bool(false));
    assert_eq!(codes(line), ["pec-untrusted"]);
}

/// `--at` is the time trust is checked at: after the certificates expire, they are expired.
#[test]
fn trust_is_checked_at_the_time_given() {
    let all = fixture();
    let file = write("at", "acceptance", built(&all, "acceptance"));
    let mut args = trust_args();
    *args.last_mut().unwrap() = "2040-01-01T00:00:00Z".into();
    let (code, lines) = run_json(&args, &[file]);
    assert_eq!(code, Some(0));
    assert_eq!(lines[0].get("signature").str(), Some("valid"));
    assert_eq!(lines[0].get("trust").str(), Some("untrusted"));
    assert_eq!(lines[0].get("trust_verdict").str(), Some("expired"));
    assert_eq!(lines[0].get("valid"), &Json::Bool(false));
}

/// PEM certificates give exactly what DER ones give.
#[test]
fn pem_certificates_are_read_as_der_ones() {
    let all = fixture();
    let files = vec![
        write(
            "pem",
            "transport-envelope",
            built(&all, "transport-envelope"),
        ),
        write("pem", "delivery-summary", built(&all, "delivery-summary")),
    ];
    let pem: Vec<String> = trust_args()
        .into_iter()
        .map(|a| a.replace(".der", ".pem"))
        .collect();
    assert!(pem.iter().any(|a| a.ends_with("root.pem")));
    let (_, der_lines) = run_json(&trust_args(), &files);
    let (code, pem_lines) = run_json(&pem, &files);
    assert_eq!(code, Some(0));
    assert_eq!(pem_lines, der_lines);
    assert_eq!(
        pem_lines[1].get("provider").str(),
        Some("Beta Posta S.r.l.")
    );
}

/// Stored with LF line ends: strict reading reports the deviation as an error, `--lenient`
/// tolerates it with a warning.
#[test]
fn lenient_tolerates_what_strict_refuses() {
    let all = fixture();
    let crlf = built(&all, "acceptance");
    let mut lf = Vec::with_capacity(crlf.len());
    for (i, b) in crlf.iter().enumerate() {
        if !(*b == b'\r' && crlf.get(i + 1) == Some(&b'\n')) {
            lf.push(*b);
        }
    }
    let file = write("lenient", "acceptance-lf", &lf);
    let (_, strict) = run_json(&trust_args(), std::slice::from_ref(&file));
    assert_eq!(strict[0].get("signature").str(), Some("valid"));
    assert_eq!(codes(&strict[0]), ["mime-lf-line-endings", "pec-deviation"]);
    assert_eq!(strict[0].get("valid"), &Json::Bool(false));
    let mut args = trust_args();
    args.push("--lenient".into());
    let (code, lenient) = run_json(&args, &[file]);
    assert_eq!(code, Some(0));
    assert_eq!(codes(&lenient[0]), ["mime-lf-line-endings"]);
    assert_eq!(lenient[0].get("valid"), &Json::Bool(true));
}

/// The text report: one labelled line per fact, each diagnostic with its severity.
#[test]
fn the_text_report_names_every_fact() {
    let all = fixture();
    let file = write("text", "anomaly-envelope", built(&all, "anomaly-envelope"));
    let out = run(&trust_args(), std::slice::from_ref(&file));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        format!("== {}", file.display()),
        "kind:              anomaly-envelope".to_owned(),
        "daticert tipo:     -".to_owned(),
        "signature:         valid".to_owned(),
        "provider:          Beta Posta S.r.l.".to_owned(),
        "valid:             yes".to_owned(),
        "diagnostics:       none".to_owned(),
        "inner (the message the anomaly envelope carries):".to_owned(),
        "    kind:              not-pec".to_owned(),
        "    signature:         absent".to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing in:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("trust:             trusted (trusted: ")),
        "{text}"
    );

    let mut tampered = built(&all, "transport-envelope").to_vec();
    let needle = b"fattura di giugno";
    let at = tampered
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    tampered[at] = b'F';
    let file = write("text", "tampered", &tampered);
    let out = run(&trust_args(), &[file]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("signature:         invalid (digest mismatch")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("diagnostic:        error [pec-signature-invalid]: ")),
        "{text}"
    );

    let out = run(&[], &[scratch("inspect-text-does-not-exist.eml")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("error: cannot read the file: ")),
        "{text}"
    );
}

/// Bad usage: exit code 2 and the usage on stderr; nothing on stdout.
/// An index naming Alfa only: Alfa's messages are trusted by the index path, Beta's are not;
/// a malformed index is bad usage that names its line.
#[test]
fn an_index_file_trusts_its_providers() {
    use sha1::{Digest, Sha1};
    let der = common::pki("alfa.der");
    let b64 = common::base64(&der);
    let hash: String = Sha1::digest(&der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let ldif = format!(
        "version: 1\n\ndn: providerName=Alfa PEC S.p.A.,o=postacert\nobjectclass: provider\n\
providerName: Alfa PEC S.p.A.\nmailReceipt: posta-certificata@pec.alfa.test\n\
managedDomains: pec.alfa.test\nproviderCertificateHash: {hash}\n\
providerCertificate;binary:: {b64}\n"
    );
    let index = scratch("inspect-index.ldif");
    std::fs::write(&index, &ldif).unwrap();
    let all = fixture();
    let files = [
        write("index", "acceptance", built(&all, "acceptance")),
        write("index", "taking-in-charge", built(&all, "taking-in-charge")),
    ];
    let args = vec![
        "--index".to_owned(),
        index.to_string_lossy().into_owned(),
        "--at".to_owned(),
        FIXTURE_TIME.to_owned(),
    ];
    let (code, lines) = run_json(&args, &files);
    assert_eq!(code, Some(0));
    assert_eq!(lines[0].get("trust").str(), Some("trusted"));
    assert_eq!(lines[0].get("provider").str(), Some("Alfa PEC S.p.A."));
    assert_eq!(lines[0].get("valid"), &Json::Bool(true));
    assert_eq!(lines[1].get("trust").str(), Some("untrusted"));
    assert_eq!(lines[1].get("valid"), &Json::Bool(false));

    let broken = scratch("inspect-index-broken.ldif");
    std::fs::write(&broken, "dn: o=postacert\nno colon\n").unwrap();
    let out = run(
        &["--index".to_owned(), broken.to_string_lossy().into_owned()],
        &files[..1],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn bad_usage_exits_2_with_the_usage() {
    let file = write("usage", "mail", messages::ORDINARY_MAIL.as_bytes());
    let not_a_certificate = write("usage", "not-a-certificate", b"hello");
    let file_arg = file.to_string_lossy().into_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "no FILE given"),
        (vec!["--json", "--lenient"], "no FILE given"),
        (
            vec![&file_arg, "--frobnicate"],
            "unknown option \"--frobnicate\"",
        ),
        (vec![&file_arg, "--at", "1 June 2026"], "--at: "),
        (
            vec![&file_arg, "--at", "2026-06-01T10:00:00"],
            "not an RFC 3339 date-time",
        ),
        (vec![&file_arg, "--trust"], "--trust needs a value"),
        (vec![&file_arg, "--anchor"], "--anchor needs a value"),
    ];
    for (args, message) in cases {
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let out = run(&args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(
            stderr.contains("usage: pecmail inspect [--json]"),
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // A trust file that is not a certificate, or is missing: 2, before any file is read.
    for (option, cert) in [
        ("--trust", not_a_certificate.clone()),
        ("--anchor", not_a_certificate),
        ("--trust", scratch("inspect-usage-no-such-certificate.der")),
    ] {
        let out = run(
            &[option.into(), cert.to_string_lossy().into_owned()],
            std::slice::from_ref(&file),
        );
        assert_eq!(out.status.code(), Some(2), "{option} {}", cert.display());
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
    // Without --at: the time is the caller's to give, so it is bad usage.
    let out = inspect_command().arg(&file_arg).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at is required"));
    assert!(out.stdout.is_empty());
    let help = run(&["--help".into()], &[]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage: pecmail inspect"));
}

/// Revocation and the claimed time in the JSON: a message signed with the revoked key, read
/// with ca1's CRL; the fixture acceptance read at the time it claims.
#[test]
fn revocation_and_the_claimed_time_are_reported() {
    let revoked = common::forge::resign(built(&fixture(), "acceptance"), "revoked", |e| e);
    let file = write("revocation", "revoked", &revoked);
    let args: Vec<String> = [
        "--anchor",
        &pki_arg("root.der"),
        "--crl",
        &pki_arg("ca1.crl.der"),
        "--at",
        FIXTURE_TIME,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, lines) = run_json(&args, std::slice::from_ref(&file));
    assert_eq!(code, Some(0));
    let line = &lines[0];
    assert_eq!(line.get("signature").str(), Some("valid"));
    assert_eq!(line.get("trust_verdict").str(), Some("revoked"));
    assert_eq!(line.get("valid"), &Json::Bool(false));
    assert_eq!(line.get("revocation").str(), Some("revoked"));
    assert_eq!(
        line.get("revoked_since").str(),
        Some("2026-02-01T00:00:00+00:00")
    );
    assert_eq!(line.get("revocation_reason").str(), Some("key-compromise"));
    assert_eq!(line.get("time_basis").str(), Some("caller"));
    assert_eq!(line.get("validated_at").str(), Some(FIXTURE_TIME));

    let genuine = write("revocation", "genuine", built(&fixture(), "acceptance"));
    let args: Vec<String> = ["--anchor", &pki_arg("root.der"), "--at", "claimed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (_, lines) = run_json(&args, std::slice::from_ref(&genuine));
    let line = &lines[0];
    assert_eq!(
        line.get("trust_verdict").str(),
        Some("trusted-at-claimed-time")
    );
    assert_eq!(line.get("time_basis").str(), Some("claimed"));
    assert_eq!(line.get("valid"), &Json::Bool(false));
    assert_eq!(line.get("revocation").str(), Some("not-checked"));
    assert!(codes(line).contains(&"trust-claimed-time"));
}

/// Every corpus row, `--json --lenient`: the daticert `tipo` (and kind, and signature) is the
/// manifest's; a message a mailing list wrapped is `not-pec` with the values in `embedded`.
#[test]
fn every_corpus_row_has_the_manifest_tipo() {
    let Some(dir) = corpus_dir() else {
        skip_without_corpus("every_corpus_row_has_the_manifest_tipo");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = manifest
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(rows.len() >= 29, "{} rows", rows.len());
    let files: Vec<PathBuf> = rows.iter().map(|r| PathBuf::from(r[0])).collect();
    let out = inspect_command()
        .current_dir(&dir)
        .args(["--json", "--lenient", "--at", "claimed"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "every corpus file is read");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Json> = stdout.lines().map(|l| Json::parse(l).unwrap()).collect();
    assert_eq!(lines.len(), rows.len());
    for (row, line) in rows.iter().zip(&lines) {
        let (path, kind, tipo, signature) = (row[0], row[1], row[2], row[3]);
        check_keys(line, true);
        assert_eq!(line.get("file").str(), Some(path));
        assert_eq!(line.get("error"), &Json::Null, "{path}");
        let subject = if signature == "nested" {
            assert_eq!(line.get("kind").str(), Some("not-pec"), "{path}");
            assert_eq!(line.get("signature").str(), Some("absent"), "{path}");
            assert!(codes(line).contains(&"pec-embedded"), "{path}");
            line.get("embedded")
        } else {
            assert_eq!(line.get("embedded"), &Json::Null, "{path}");
            line
        };
        let expected_tipo = (tipo != "-").then_some(tipo);
        assert_eq!(
            subject.get("daticert_tipo").str(),
            expected_tipo,
            "{path}: daticert_tipo"
        );
        if expected_tipo.is_none() {
            assert_eq!(subject.get("daticert_tipo"), &Json::Null, "{path}");
        }
        let kinds: &[&str] = match kind {
            "not-pec" => &["not-pec"],
            "trasporto:posta-certificata" => &["transport-envelope"],
            "trasporto:errore" => &["anomaly-envelope"],
            "ricevuta:accettazione" => &["acceptance"],
            "ricevuta:non-accettazione" => &["non-acceptance", "non-acceptance-virus"],
            "ricevuta:presa-in-carico" => &["taking-in-charge"],
            "ricevuta:avvenuta-consegna" => {
                &["delivery-full", "delivery-short", "delivery-summary"]
            }
            "ricevuta:errore-consegna" => &["non-delivery", "non-delivery-virus"],
            "ricevuta:preavviso-errore-consegna" => &["delivery-timeout"],
            "ricevuta:rilevazione-virus" => &["virus-detection"],
            other => panic!("manifest kind {other:?} is not known to this test"),
        };
        let ours = subject.get("kind").str().unwrap();
        assert!(
            kinds.contains(&ours),
            "{path}: kind {ours}, manifest {kind}"
        );
        let expected_signature = match signature {
            "nested" => "valid",
            "unparsable" => "malformed",
            other => other,
        };
        assert_eq!(
            subject.get("signature").str(),
            Some(expected_signature),
            "{path}: signature"
        );
        // No trust store was given: nothing is trusted, so nothing is valid.
        assert_eq!(subject.get("valid"), &Json::Bool(false), "{path}");
    }
}

/// `pecmail inspect --json --at claimed` prints, over every corpus message and in both modes,
/// the field values the `inspect` example printed before it became this command (the
/// example validated at the claimed time by default): the fields it had, in its order, hash
/// to what `tests/corpus-inspect.tsv` holds; the fields added since are left out of the hash.
/// The table covers every manifest row.
#[test]
fn corpus_lines_are_what_the_inspect_example_printed() {
    use sha2::Digest;
    let Some(dir) = corpus_dir() else {
        skip_without_corpus("corpus_lines_are_what_the_inspect_example_printed");
        return;
    };
    let table = include_str!("corpus-inspect.tsv");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    for file in manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
    {
        for mode in ["strict", "lenient"] {
            assert!(
                rows.iter().any(|r| r[0] == mode && r[1] == file),
                "{file} ({mode}) is not in tests/corpus-inspect.tsv"
            );
        }
    }
    let mut changed = Vec::new();
    for mode in ["strict", "lenient"] {
        let rows: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == mode).collect();
        let mut command = inspect_command();
        command
            .current_dir(&dir)
            .args(["--json", "--at", "claimed"]);
        if mode == "lenient" {
            command.arg("--lenient");
        }
        let out = command.args(rows.iter().map(|r| r[1])).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{mode}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), rows.len(), "{mode}");
        for (row, line) in rows.iter().zip(&lines) {
            let json = Json::parse(line).unwrap();
            assert_eq!(json.get("file").str(), Some(row[1]));
            assert_eq!(json.get("kind").str(), Some(row[2]), "{mode} {}", row[1]);
            assert_eq!(
                json.get("signature").str(),
                Some(row[3]),
                "{mode} {}",
                row[1]
            );
            let before = format!("{}\n", json.project(true).compact());
            let hash = sha2::Sha256::digest(before.as_bytes());
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            if hex != row[5] {
                changed.push(format!(
                    "{mode} {}: the line differs: {before}the row would be\n{}\t{hex}",
                    row[1],
                    row[..5].join("\t")
                ));
            }
        }
    }
    assert!(changed.is_empty(), "{}", changed.join("\n"));
}

// ---- A minimal JSON parser (RFC 8259), for what the example prints -------------------------

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    /// Members in document order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// The object with only the fields the `inspect` example had (`file` and the first 14
    /// of FIELDS), nested objects likewise.
    fn project(&self, top: bool) -> Json {
        const BEFORE: usize = 14;
        let Json::Obj(fields) = self else {
            return self.clone();
        };
        let keep = |k: &str| (top && k == "file") || FIELDS[..BEFORE].contains(&k);
        Json::Obj(
            fields
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| match v {
                    Json::Obj(_) => (k.clone(), v.project(false)),
                    _ => (k.clone(), v.clone()),
                })
                .collect(),
        )
    }

    /// Compact JSON as `pecmail inspect` writes it: `"` and `\\` escaped, controls as
    /// `\u00xx`, nothing else.
    fn compact(&self) -> String {
        fn string(s: &str) -> String {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if c < '\u{20}' || c == '\u{7f}' => {
                        out.push_str(&format!("\\u{:04x}", u32::from(c)))
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => b.to_string(),
            Json::Num(n) => n.to_string(),
            Json::Str(s) => string(s),
            Json::Arr(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Json::compact)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Json::Obj(fields) => format!(
                "{{{}}}",
                fields
                    .iter()
                    .map(|(k, v)| format!("{}:{}", string(k), v.compact()))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing data at {}", p.i));
        }
        Ok(v)
    }

    /// A member of an object; panics when absent.
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no {key:?} in {self:?}")),
            _ => panic!("{key:?} of a non-object {self:?}"),
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => panic!("not an array: {self:?}"),
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), String> {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", b as char, self.i))
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(value)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 64 {
            return Err("too deep".into());
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(format!("expected , or ] at {}", self.i)),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut members: Vec<(String, Json)> = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(format!("duplicate key {key:?}"));
                    }
                    self.ws();
                    self.eat(b':')?;
                    let value = self.value(depth + 1)?;
                    members.push((key, value));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(members));
                        }
                        _ => return Err(format!("expected , or }} at {}", self.i)),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                while matches!(
                    self.s.get(self.i),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                text.parse()
                    .map(Json::Num)
                    .map_err(|e| format!("number {text:?}: {e}"))
            }
            _ => Err(format!("unexpected input at {}", self.i)),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("bad \\u escape at {}", self.i))?;
        self.i += 4;
        Ok(u32::from_str_radix(h, 16).unwrap())
    }

    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.i) else {
                return Err("unterminated string".into());
            };
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err("unterminated escape".into());
                    };
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err("lone high surrogate".into());
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err("bad low surrogate".into());
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or("lone low surrogate")?
                        }
                        _ => return Err(format!("bad escape \\{}", e as char)),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0x00..=0x1f => return Err(format!("raw control character at {}", self.i - 1)),
                _ => out.push(b),
            }
        }
    }
}

#[test]
fn the_test_json_parser_is_correct_for_what_inspect_prints() {
    let v = Json::parse(
        r#" {"a":"q\"b\\s\u0001\u00e8\ud83d\ude00","b":[null,true,false,-1.5e2],"c":{},"d":[]} "#,
    )
    .unwrap();
    assert_eq!(v.get("a").str(), Some("q\"b\\s\u{1}\u{e8}\u{1f600}"));
    assert_eq!(
        v.get("b"),
        &Json::Arr(vec![
            Json::Null,
            Json::Bool(true),
            Json::Bool(false),
            Json::Num(-150.0)
        ])
    );
    assert_eq!(v.get("c"), &Json::Obj(Vec::new()));
    for bad in [
        "",
        "{",
        "{\"a\":1,}",
        "[1 2]",
        "\"a\u{1}\"",
        "\"\\x\"",
        "{\"a\":1,\"a\":2}",
        "\"\\ud83d\"",
        "nul",
        "{} x",
    ] {
        assert!(Json::parse(bad).is_err(), "{bad:?}");
    }
}
