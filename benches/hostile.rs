//! Time against input size for the worst cases of the hostile suite (`tests/hostile`): each
//! input is doubled three times, and the time of each size is printed with its ratio to the
//! previous one. Linear growth shows as ratios near 2; quadratic as near 4.
//!
//! ```text
//! cargo bench --bench hostile
//! cargo bench --bench hostile -- Subject     # only the workloads whose name has "Subject"
//! ```

mod common;

use std::time::{Duration, Instant};

use common::interleaved;

use pecmail::daticert::{Daticert, ParseOptions};
use pecmail::read::{ReadOptions, read};
use pecmail::rules::{Submission, SubmissionPolicy, check_submission};
use pecmail::trust::{IndexOptions, ProviderIndex, TrustStore};

/// A workload: its name, the input of size `n`, and what it runs.
struct Workload {
    name: &'static str,
    unit: &'static str,
    base: usize,
    input: fn(usize) -> Vec<u8>,
    run: fn(&[u8]),
}

fn read_lenient(raw: &[u8]) {
    let store = TrustStore::new();
    let mut o = ReadOptions::lenient();
    // The limits are raised so that growth, not refusal, is measured.
    o.verify.split.max_size = usize::MAX;
    let at = pecmail::PecTime::from_unix(1_780_300_800, 120).unwrap();
    let _ = std::hint::black_box(read(raw, &store, at, &o));
}

fn header_line(n: usize) -> Vec<u8> {
    let mut m = b"From: a@b.example\r\nSubject: ".to_vec();
    m.extend(std::iter::repeat_n(b'x', n));
    m.extend_from_slice(b"\r\n\r\nbody\r\n");
    m
}

fn header_fields(n: usize) -> Vec<u8> {
    let mut m = Vec::new();
    for i in 0..n {
        m.extend_from_slice(format!("X-F{i}: v\r\n").as_bytes());
    }
    m.extend_from_slice(b"\r\nbody\r\n");
    m
}

fn signed_parts(n: usize) -> Vec<u8> {
    // A multipart/signed whose first part holds n parts (64 at most are read), and a signature that cannot be read:
    // the reader describes it, reading every part.
    let mut entity = String::from("Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
    for i in 0..n {
        entity.push_str(&format!(
            "--p\r\nContent-Type: text/plain; name=\"a{i}.txt\"\r\n\r\nparte {i}\r\n"
        ));
    }
    entity.push_str("--p--");
    format!(
        "From: posta-certificata@pec.alfa.test\r\nX-Ricevuta: accettazione\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s\"\r\n\r\n\
--s\r\n{entity}\r\n--s\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMAA=\r\n--s--\r\n"
    )
    .into_bytes()
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let bytes: Vec<u8> = content
        .len()
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(0x80 | bytes.len() as u8);
    out.extend_from_slice(&bytes);
    out.extend_from_slice(content);
    out
}

fn cms_set(n: usize) -> Vec<u8> {
    let certs: Vec<u8> = std::iter::repeat_n([0x30u8, 0x00], n).flatten().collect();
    let mut sd = vec![0x02, 0x01, 0x01, 0x31, 0x00];
    sd.extend_from_slice(&[
        0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ]);
    sd.extend(tlv(0xa0, &certs));
    sd.extend_from_slice(&[0x31, 0x00]);
    let mut ci = vec![
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
    ];
    ci.extend(tlv(0xa0, &tlv(0x30, &sd)));
    tlv(0x30, &ci)
}

/// The first DER element of `b`: the whole element, its content, and what follows it.
fn der_element(b: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (len, header) = match b[1] {
        l if l < 0x80 => (usize::from(l), 2),
        l => {
            let n = usize::from(l & 0x7f);
            (
                b[2..2 + n]
                    .iter()
                    .fold(0, |a, &x| (a << 8) | usize::from(x)),
                2 + n,
            )
        }
    };
    (
        &b[..header + len],
        &b[header..header + len],
        &b[header + len..],
    )
}

/// A SignedData whose one SignerInfo names a real certificate (the test PKI's provider
/// Alfa, carried in it) and has `n` signed attributes of distinct unknown types: each is
/// read, and checked against those before it, before the signature can fail.
fn cms_attributes(n: usize) -> Vec<u8> {
    let cert = common::pki("alfa.der");
    let (_, cert_content, _) = der_element(&cert);
    let (_, mut tbs, _) = der_element(cert_content);
    if tbs[0] == 0xa0 {
        tbs = der_element(tbs).2; // version
    }
    let (serial, _, tbs) = der_element(tbs);
    let (_, _, tbs) = der_element(tbs); // signature algorithm
    let (issuer, _, _) = der_element(tbs);
    let mut attributes = Vec::new();
    for i in 0..n {
        // 1.3.6.1.4.1.i
        let mut oid = vec![0x2b, 0x06, 0x01, 0x04, 0x01];
        let mut arc = vec![(i & 0x7f) as u8];
        let mut rest = i >> 7;
        while rest > 0 {
            arc.insert(0, 0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        oid.extend(arc);
        let mut attribute = tlv(0x06, &oid);
        attribute.extend_from_slice(&[0x31, 0x00]);
        attributes.extend(tlv(0x30, &attribute));
    }
    let sha256 = [
        0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    ];
    let sha256_rsa = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
    ];
    let mut sid = issuer.to_vec();
    sid.extend_from_slice(serial);
    let mut info = vec![0x02, 0x01, 0x01];
    info.extend(tlv(0x30, &sid));
    info.extend_from_slice(&sha256);
    info.extend(tlv(0xa0, &attributes));
    info.extend_from_slice(&sha256_rsa);
    info.extend(tlv(0x04, &[0u8; 256]));
    let mut sd = vec![0x02, 0x01, 0x01];
    sd.extend(tlv(0x31, &sha256));
    sd.extend_from_slice(&[
        0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ]);
    sd.extend(tlv(0xa0, &cert));
    sd.extend(tlv(0x31, &tlv(0x30, &info)));
    let mut ci = vec![
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
    ];
    ci.extend(tlv(0xa0, &tlv(0x30, &sd)));
    tlv(0x30, &ci)
}

/// One provider entry listing `n` certificates (the test PKI's Alfa, again and again) and
/// `n` hashes that match none of them: each list is looked up for the other's members.
fn ldif_hashes(n: usize) -> Vec<u8> {
    let index = String::from_utf8(common::pki("index.ldif")).unwrap();
    let start = index.find("providerCertificate;binary::").unwrap();
    let len = index[start..]
        .split_inclusive('\n')
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with(' '))
        .map(|(_, l)| l.len())
        .sum::<usize>();
    let certificate = &index[start..start + len];
    let mut ldif = String::from(
        "dn: providerName=Alfa,o=postacert\nobjectclass: provider\nproviderName: Alfa\n\
mailReceipt: posta-certificata@pec.alfa.test\nmanagedDomains: pec.alfa.test\n",
    );
    for i in 0..n {
        ldif.push_str(&format!("providerCertificateHash: {i:040x}\n"));
    }
    for _ in 0..n {
        ldif.push_str(certificate);
    }
    ldif.into_bytes()
}

fn verify_cms(p7s: &[u8]) {
    let mut o = pecmail::cms::VerifyOptions::default();
    o.max_signature_size = usize::MAX;
    let _ = std::hint::black_box(pecmail::cms::verify_detached(b"x", p7s, &o));
}

fn xml_elements(n: usize) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<postacert tipo=\"accettazione\" errore=\"nessuno\">\n\
<intestazione>\n<mittente>a@pec.example.it</mittente>\n<destinatari tipo=\"certificato\">b@pec.example.it</destinatari>\n\
<risposte>a@pec.example.it</risposte>\n<oggetto>Prova</oggetto>\n</intestazione>\n<dati>\n\
<gestore-emittente>Example</gestore-emittente>\n<data zona=\"+0100\">\n<giorno>05/12/2024</giorno>\n\
<ora>00:02:10</ora>\n</data>\n<identificativo>opec1.1@pec.example.it</identificativo>\n{}</dati>\n</postacert>\n",
        "<extra/>\n".repeat(n)
    )
    .into_bytes()
}

fn parse_xml(xml: &[u8]) {
    let mut o = ParseOptions::lenient();
    o.max_size = usize::MAX;
    let _ = std::hint::black_box(Daticert::parse(xml, &o));
}

fn ldif_entries(n: usize) -> Vec<u8> {
    "dn: o=postacert\nobjectclass: top\ndescription: voce\n\n"
        .repeat(n)
        .into_bytes()
}

fn ldif_folding(n: usize) -> Vec<u8> {
    format!(
        "dn: o=postacert\ndescription: x\n{}",
        " continua\n".repeat(n)
    )
    .into_bytes()
}

fn parse_ldif(ldif: &[u8]) {
    let mut o = IndexOptions::default();
    o.max_size = usize::MAX;
    o.max_line = usize::MAX;
    o.max_entries = usize::MAX;
    o.max_values = usize::MAX;
    let _ = std::hint::black_box(ProviderIndex::parse(ldif, &o));
}

/// A PEM CRL whose base64 is one long line ending in padding: what once took quadratic time
/// (the fast decoding was retried after every quantum).
fn pem_padded(n: usize) -> Vec<u8> {
    let mut v = b"-----BEGIN X509 CRL-----\n".to_vec();
    v.extend(std::iter::repeat_n(b'A', n / 4 * 4 + 2));
    v.extend_from_slice(b"==\n-----END X509 CRL-----\n");
    v
}

fn add_crl(pem: &[u8]) {
    let mut store = pecmail::trust::TrustStore::new();
    let _ = std::hint::black_box(store.add_crl(pem));
}

/// A receipt as the reader meets it: an `X-Ricevuta` marker (so that every check of the
/// shown header runs), `extra` header lines, and a signed entity whose first part carries
/// `part_params` after its name; the signature cannot be read, so the reader describes it.
fn receipt(extra: &str, top_params: &str, part_params: &str) -> Vec<u8> {
    format!(
        "From: posta-certificata@pec.alfa.test\r\nX-Ricevuta: accettazione\r\n{extra}MIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s\"{top_params}\r\n\r\n\
--s\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n\
--p\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\ntesto\r\n\
--p\r\nContent-Type: application/octet-stream{part_params}\r\n\r\nallegato\r\n--p--\r\n\
--s\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMAA=\r\n--s--\r\n"
    )
    .into_bytes()
}

/// `n` pieces joined into one folded header value: a line break before every 500th piece
/// keeps each line far below the 64 KiB line limit, and unfolding gives back the pieces
/// joined by `sep` alone.
fn folded(n: usize, sep: &str, piece: impl Fn(usize) -> String) -> String {
    folded_every(500, n, sep, piece)
}

/// [`folded`], with a line break before every `every`-th piece.
fn folded_every(every: usize, n: usize, sep: &str, piece: impl Fn(usize) -> String) -> String {
    let mut v = String::new();
    for i in 0..n {
        if i > 0 {
            if i % every == 0 {
                v.push_str(sep.trim_end_matches(' '));
                v.push_str("\r\n ");
            } else {
                v.push_str(sep);
            }
        }
        v.push_str(&piece(i));
    }
    v
}

/// `Subject: ` and `=?x ` `n` times: every `=?` opens what might be an encoded word that
/// never closes.
fn subject_runs(n: usize) -> String {
    format!(
        "Subject: {}\r\n",
        folded(n, " ", |_| "=?x".to_owned()).trim_end()
    )
}

/// `Subject: ` and lines of 6,000 `=?u?b?QUFB` ending in `?=`, `n` runs in all: every
/// candidate's text runs to the close at the end of its line (a fold's blank ends any text),
/// so each is decoded far enough to fail.
fn subject_b_runs(n: usize) -> Vec<u8> {
    subject_closed_lines(n, 6_000, "=?u?b?QUFB")
}

/// The same with Q words: lines of 4,800 `=?utf-8?q?=41` ending in `?=`.
fn subject_q_runs(n: usize) -> Vec<u8> {
    subject_closed_lines(n, 4_800, "=?utf-8?q?=41")
}

fn subject_closed_lines(n: usize, per_line: usize, piece: &str) -> Vec<u8> {
    let mut subject = String::from("Subject:");
    for line in 0..n.div_ceil(per_line) {
        let pieces = per_line.min(n - line * per_line);
        subject.push_str(&format!(" {}?=\r\n", piece.repeat(pieces)));
    }
    receipt(&subject, "", "")
}

fn read_subject_runs(n: usize) -> Vec<u8> {
    receipt(&subject_runs(n), "", "")
}

/// A submission whose headers are `extra`, to `To` recipients given by `to`.
fn submission_message(extra: &str) -> Vec<u8> {
    format!(
        "From: mittente@pec.alfa.test\r\n{extra}Date: Mon, 1 Jun 2026 10:00:00 +0200\r\n\
Message-ID: <1@client.alfa.test>\r\n\r\ntesto\r\n"
    )
    .into_bytes()
}

fn submission_subject_runs(n: usize) -> Vec<u8> {
    submission_message(&format!("To: uno@pec.beta.test\r\n{}", subject_runs(n)))
}

fn submit(original: &[u8]) {
    // The forward paths are the To addresses, read back from the message.
    let text = String::from_utf8_lossy(original);
    let forward: Vec<&str> = text
        .split(['<', '>', ',', ' ', '\r', '\n'])
        .filter(|w| w.ends_with("@pec.beta.test"))
        .collect();
    let s = Submission {
        original,
        reverse_path: "mittente@pec.alfa.test",
        forward_paths: &forward,
        virus: None,
        identifier: "opec1.1@pec.alfa.test",
    };
    let store = TrustStore::new();
    let _ = std::hint::black_box(check_submission(&s, &store, &SubmissionPolicy::default()));
}

/// `n` parameters after the top-level `Content-Type`'s own, their names of one length (so
/// that no comparison stops at the length).
fn top_params(n: usize) -> Vec<u8> {
    let params = folded(n, "; ", |i| format!("p{i:06}=v"));
    receipt("Subject: prova\r\n", &format!("; {params}"), "")
}

/// One part named by RFC 2231 continuations `name*0` to `name*998` (the most the reader
/// joins), then `n` other parameters.
fn continuations(n: usize) -> Vec<u8> {
    let name = folded(999, "; ", |i| format!("name*{i}=a"));
    let params = folded(n, "; ", |i| format!("p{i:06}=v"));
    receipt("Subject: prova\r\n", "", &format!("; {name}; {params}"))
}

fn mailbox(i: usize) -> String {
    format!("Utente {i} <u{i}@pec.beta.test>")
}

/// A receipt whose `To` names `n` mailboxes.
fn read_to_list(n: usize) -> Vec<u8> {
    receipt(
        &format!("Subject: prova\r\nTo: {}\r\n", folded(n, ", ", mailbox)),
        "",
        "",
    )
}

/// A submission to `n` mailboxes, in `To` and as forward paths.
fn submission_to_list(n: usize) -> Vec<u8> {
    submission_message(&format!(
        "To: {}\r\nSubject: prova\r\n",
        folded(n, ", ", mailbox)
    ))
}

/// A receipt with `n` header fields, each looked up by every check of the shown header.
fn receipt_fields(n: usize) -> Vec<u8> {
    let mut extra = String::from("Subject: prova\r\nTo: u@pec.beta.test\r\n");
    for i in 0..n {
        extra.push_str(&format!("X-F{i}: v\r\n"));
    }
    receipt(&extra, "", "")
}

/// A `presa-in-carico` daticert with `n` destinatari and `n` ricezione.
fn daticert_recipients(n: usize) -> Vec<u8> {
    let mut destinatari = String::new();
    let mut ricezione = String::new();
    for i in 0..n {
        destinatari.push_str(&format!(
            "<destinatari tipo=\"certificato\">u{i}@pec.beta.test</destinatari>\n"
        ));
        // In reverse order, so that a search from the front finds each late.
        ricezione.push_str(&format!(
            "<ricezione>u{}@pec.beta.test</ricezione>\n",
            n - 1 - i
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<postacert tipo=\"presa-in-carico\" errore=\"nessuno\">\n\
<intestazione>\n<mittente>a@pec.alfa.test</mittente>\n{destinatari}\
<risposte>a@pec.alfa.test</risposte>\n<oggetto>Prova</oggetto>\n</intestazione>\n<dati>\n\
<gestore-emittente>Example</gestore-emittente>\n<data zona=\"+0100\">\n<giorno>05/12/2024</giorno>\n\
<ora>00:02:10</ora>\n</data>\n<identificativo>opec1.1@pec.beta.test</identificativo>\n{ricezione}</dati>\n</postacert>\n"
    )
    .into_bytes()
}

fn parse_validate_xml(xml: &[u8]) {
    let mut o = ParseOptions::lenient();
    o.max_size = usize::MAX;
    if let Ok(parsed) = Daticert::parse(xml, &o) {
        let _ = std::hint::black_box(parsed.daticert.validate());
    }
}

fn main() {
    let workloads = [
        Workload {
            name: "PEM CRL: one long base64 line ending in padding",
            unit: "bytes",
            base: 64 << 10,
            input: pem_padded,
            run: add_crl,
        },
        Workload {
            name: "read: one long header line (refused over 64 KiB)",
            unit: "bytes",
            base: 64 << 10,
            input: header_line,
            run: read_lenient,
        },
        Workload {
            name: "read: many header fields",
            unit: "fields",
            base: 1_000,
            input: header_fields,
            run: read_lenient,
        },
        Workload {
            name: "read: many parts in the signed entity",
            unit: "parts",
            base: 8,
            input: signed_parts,
            run: read_lenient,
        },
        Workload {
            name: "CMS: a huge SET OF certificates",
            unit: "certificates",
            base: 25_000,
            input: cms_set,
            run: verify_cms,
        },
        Workload {
            name: "CMS: many signed attributes",
            unit: "attributes",
            base: 8_000,
            input: cms_attributes,
            run: verify_cms,
        },
        Workload {
            name: "daticert.xml: many unknown elements",
            unit: "elements",
            base: 25_000,
            input: xml_elements,
            run: parse_xml,
        },
        Workload {
            name: "LDIF: many entries",
            unit: "entries",
            base: 10_000,
            input: ldif_entries,
            run: parse_ldif,
        },
        Workload {
            name: "LDIF: a provider with many certificates and hashes",
            unit: "of each",
            base: 1_000,
            input: ldif_hashes,
            run: parse_ldif,
        },
        Workload {
            name: "LDIF: endless folding",
            unit: "continuation lines",
            base: 50_000,
            input: ldif_folding,
            run: parse_ldif,
        },
        Workload {
            name: "read: Subject of `=?x ` runs (encoded words that never close)",
            unit: "runs",
            base: 8_000,
            input: read_subject_runs,
            run: read_lenient,
        },
        Workload {
            name: "read: Subject of `=?u?b?QUFB` runs, each line closed by `?=`",
            unit: "runs",
            base: 8_000,
            input: subject_b_runs,
            run: read_lenient,
        },
        Workload {
            name: "read: Subject of `=?utf-8?q?=41` runs, each line closed by `?=`",
            unit: "runs",
            base: 8_000,
            input: subject_q_runs,
            run: read_lenient,
        },
        Workload {
            name: "check_submission: Subject of `=?x ` runs",
            unit: "runs",
            base: 8_000,
            input: submission_subject_runs,
            run: submit,
        },
        Workload {
            name: "read: top-level Content-Type with many parameters",
            unit: "parameters",
            base: 2_000,
            input: top_params,
            run: read_lenient,
        },
        Workload {
            name: "read: a part with name*0 to name*998 and many parameters",
            unit: "parameters",
            base: 2_000,
            input: continuations,
            run: read_lenient,
        },
        Workload {
            name: "read: a receipt's To with many mailboxes",
            unit: "mailboxes",
            base: 1_000,
            input: read_to_list,
            run: read_lenient,
        },
        Workload {
            name: "check_submission: To and forward paths with many mailboxes",
            unit: "mailboxes",
            base: 1_000,
            input: submission_to_list,
            run: submit,
        },
        Workload {
            name: "read: a receipt's many header fields (every check looks up)",
            unit: "fields",
            base: 1_000,
            input: receipt_fields,
            run: read_lenient,
        },
        Workload {
            name: "daticert.xml: destinatari x ricezione, parsed and validated",
            unit: "of each",
            base: 1_000,
            input: daticert_recipients,
            run: parse_validate_xml,
        },
    ];
    println!("| workload | size | input bytes | time | ratio to the previous size |");
    println!("|---|---|---|---|---|");
    // `cargo bench --bench hostile -- WORD` runs the workloads whose name contains WORD.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for w in workloads
        .iter()
        .filter(|w| only.is_empty() || only.iter().any(|o| w.name.contains(o.as_str())))
    {
        let sizes: Vec<usize> = (0..4).map(|k| w.base << k).collect();
        let inputs: Vec<Vec<u8>> = sizes.iter().map(|&n| (w.input)(n)).collect();
        // The four sizes are timed in turn, round after round, so that each gets the same
        // share of what else runs on the machine and their ratios hold on a busy one. A
        // largest run over a second (the quadratic cases, before their fix) makes for three
        // rounds, so that the table is written in minutes.
        let once = Instant::now();
        if let Some(largest) = inputs.last() {
            (w.run)(largest);
        }
        let (rounds, time) = if once.elapsed() > Duration::from_secs(1) {
            (3, Duration::ZERO)
        } else {
            (5, Duration::from_secs(1))
        };
        let mut runs: Vec<_> = inputs.iter().map(|input| move || (w.run)(input)).collect();
        let mut fs: Vec<&mut dyn FnMut()> =
            runs.iter_mut().map(|f| f as &mut dyn FnMut()).collect();
        let times = interleaved(&mut fs, rounds, time);
        let mut previous: Option<Duration> = None;
        for ((n, input), t) in sizes.iter().zip(&inputs).zip(times) {
            let ratio = previous
                .map(|p| format!("{:.2}", t.as_secs_f64() / p.as_secs_f64()))
                .unwrap_or_else(|| "-".to_owned());
            println!(
                "| {} | {n} {} | {} | {:.3} ms | {ratio} |",
                w.name,
                w.unit,
                input.len(),
                t.as_secs_f64() * 1e3
            );
            previous = Some(t);
        }
    }
}
