//! Time against input size for the worst cases of the hostile suite (`tests/hostile`): each
//! input is doubled three times, and the time of each size is printed with its ratio to the
//! previous one. Linear growth shows as ratios near 2; quadratic as near 4.
//!
//! ```text
//! cargo bench --bench hostile
//! ```

mod common;

use std::time::Duration;

use common::median;
use pecmail::daticert::{Daticert, ParseOptions};
use pecmail::read::{ReadOptions, read};
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

fn cms_set(n: usize) -> Vec<u8> {
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
            name: "LDIF: endless folding",
            unit: "continuation lines",
            base: 50_000,
            input: ldif_folding,
            run: parse_ldif,
        },
    ];
    println!("| workload | size | input bytes | time | ratio to the previous size |");
    println!("|---|---|---|---|---|");
    for w in &workloads {
        let mut previous: Option<Duration> = None;
        for k in 0..4 {
            let n = w.base << k;
            let input = (w.input)(n);
            let t = median(|| (w.run)(&input), 5, Duration::from_millis(500));
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
