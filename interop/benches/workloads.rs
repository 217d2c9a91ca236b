//! Every workload of `BENCHMARKS.md`, ours beside OpenSSL on the same bytes in the same run.
//!
//! ```text
//! cargo bench -p pecmail-interop --bench workloads
//! ```
//!
//! - build and sign a transport envelope around an original of 1 KB, 100 KB, 10 MB and
//!   100 MB: ours is `TransportEnvelope::prepare` + `sign_with` (the message as built, the
//!   original borrowed); OpenSSL's is `openssl cms -sign -binary` over the very entity we
//!   sign (`CMS_sign` detached + `SMIME_write_CMS`, the whole `multipart/signed` message, see
//!   `ossl.rs`): OpenSSL does not build the PEC entity (headers, daticert, body text),
//!   so the comparison favours it.
//!   SHA-256 of the original alone is printed too (target at 100 MB: ours within 1.3 times);
//! - read and verify the same envelopes: ours is `read::read` (strict: split, CMS, trust
//!   against the test index and root, daticert, classification, cross-checks); OpenSSL's is
//!   `openssl cms -verify -binary` with full chain verification (`SMIME_read_CMS` +
//!   `CMS_verify`, see `ossl.rs`);
//! - build and sign an acceptance receipt, and read and verify it, likewise;
//! - parse a `daticert.xml` (strict and lenient): OpenSSL has no counterpart.
//!
//! Ours is given for both crypto backends; the ratio is our rate over OpenSSL's with AWS-LC
//! (above 1 we are faster). Rates are per second, medians of repeated runs; the runs of one
//! workload are interleaved (ours, OpenSSL's, ours, ...) so that load on the machine falls
//! on both sides alike.

#[path = "../../benches/common/mod.rs"]
mod common;
mod ossl;

use std::time::Duration;

use common::{budget, interleaved, label, median, pki};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkey::PKey;
use openssl::stack::Stack;
use openssl::x509::X509;
use pecmail::build::{Acceptance, BuildOptions, EmittingProvider, TransportEnvelope};
use pecmail::cms::{AwsLcSigner, RsaSigner, Signer, SigningIdentity};
use pecmail::daticert::{Daticert, ParseOptions, Recipient};
use pecmail::mime::{SignedMessage, SplitOptions};
use pecmail::read::{ReadOptions, read};
use pecmail::trust::{Provider, TrustStore};
use pecmail::{Backend, PecTime};

const SIZES: [usize; 4] = [1_000, 100_000, 10_000_000, 100_000_000];
const BACKENDS: [Backend; 2] = [Backend::RustCrypto, Backend::AwsLc];

fn store() -> TrustStore {
    let mut s = TrustStore::new();
    s.add_provider(
        Provider::new("Alfa PEC S.p.A.")
            .with_certificate(pki("alfa.der"))
            .with_domain("pec.alfa.test")
            .with_service_address("posta-certificata@pec.alfa.test"),
    )
    .unwrap();
    s.add_anchor(&pki("root.der")).unwrap();
    s
}

/// An original of about `size` bytes: headers, a line of text, a base64 attachment.
fn original(size: usize) -> Vec<u8> {
    let mut m = b"From: Mario Rossi <mario.rossi@pec.alfa.test>\r\n\
To: anna.bianchi@pec.beta.test\r\n\
Subject: Documenti\r\n\
Date: Mon, 01 Jun 2026 09:59:58 +0200\r\n\
Message-ID: <20260601095958.bench@client.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nIn allegato.\r\n--b\r\n\
Content-Type: application/pdf; name=\"documenti.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    let line = b"JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl\r\n";
    while m.len() + line.len() + 8 < size {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"--b--\r\n");
    m
}

struct Row {
    workload: String,
    size: String,
    ours: [Duration; 2],
    openssl: Option<Duration>,
    note: String,
}

fn rate(d: Duration) -> String {
    let r = 1.0 / d.as_secs_f64();
    if r >= 100.0 {
        format!("{r:.0}/s")
    } else {
        format!("{r:.2}/s")
    }
}

fn main() {
    let cert = pki("alfa.der");
    let chain = vec![pki("ca1.der")];
    let key = pki("alfa.key.der");
    let rsa = RsaSigner::from_pkcs8_der(&key, cert.clone(), chain.clone()).unwrap();
    let aws = AwsLcSigner::from_pkcs8_der(&key, cert.clone(), chain.clone()).unwrap();
    let signer_for = |b: Backend| -> &dyn Signer {
        match b {
            Backend::RustCrypto => &rsa,
            _ => &aws,
        }
    };
    let alfa = EmittingProvider::new(
        "Alfa PEC S.p.A.",
        SigningIdentity::new(&cert, &chain).unwrap(),
    )
    .unwrap();
    let time = PecTime::from_unix(1_780_300_800, 120).unwrap();
    let recipients = vec![Recipient::certified("anna.bianchi@pec.beta.test")];
    let trust = store();
    let options_for = |b: Backend| {
        let mut o = BuildOptions::default();
        o.signing.cms.backend = b;
        o
    };
    let read_options_for = |b: Backend| {
        let mut o = ReadOptions::strict();
        o.verify.cms.backend = b;
        o.trust.backend = b;
        o
    };

    let smime_signer = ossl::SmimeSigner::new(&cert, &key, &[&chain[0]]);
    let openssl_sign = |entity: &[u8]| smime_signer.sign(entity);
    // The stricter baseline, in the note: the CMS structure alone (`CMS_sign` + DER), with no
    // S/MIME framing or base64.
    let ossl_cert = X509::from_der(&cert).unwrap();
    let ossl_key = PKey::private_key_from_der(&key).unwrap();
    let mut ossl_chain = Stack::new().unwrap();
    ossl_chain.push(X509::from_der(&chain[0]).unwrap()).unwrap();
    let openssl_cms_only = |entity: &[u8]| {
        CmsContentInfo::sign(
            Some(&ossl_cert),
            Some(&ossl_key),
            Some(&ossl_chain),
            Some(entity),
            CMSOptions::DETACHED | CMSOptions::BINARY,
        )
        .unwrap()
        .to_der()
        .unwrap()
    };
    let openssl_verify = ossl::Store::new(&[&pki("root.der"), &pki("ca1.der")]);
    // Reading one message: ours with each backend and OpenSSL's, interleaved.
    let time_read = |message: &[u8], n: usize, t: Duration| {
        let (rc, aws) = (
            read_options_for(Backend::RustCrypto),
            read_options_for(Backend::AwsLc),
        );
        let times = interleaved(
            &mut [
                &mut || {
                    std::hint::black_box(read(message, &trust, time, &rc).unwrap());
                },
                &mut || {
                    std::hint::black_box(read(message, &trust, time, &aws).unwrap());
                },
                &mut || {
                    std::hint::black_box(openssl_verify.cms_verify(message));
                },
            ],
            n,
            t,
        );
        ([times[0], times[1]], times[2])
    };

    let mut rows: Vec<Row> = Vec::new();
    let mut sha_at_100mb = Duration::ZERO;
    for size in SIZES {
        let (n, t) = budget(size);
        let data = original(size);
        let build = |b: Backend| {
            TransportEnvelope::new(
                &data,
                "mario.rossi@pec.alfa.test",
                &recipients,
                "opec-alfa.bench@pec.alfa.test",
                time,
            )
            .prepare(&alfa, &options_for(b))
            .unwrap()
            .sign_with(signer_for(b))
            .unwrap()
        };
        let envelope = build(Backend::AwsLc).into_vec();
        let entity = SignedMessage::parse(&envelope, &SplitOptions::default())
            .unwrap()
            .signed_content()
            .to_vec();
        // Outside the timings: both sides accept what they will be timed on.
        for b in BACKENDS {
            assert!(
                read(&envelope, &trust, time, &read_options_for(b))
                    .unwrap()
                    .is_valid()
            );
        }
        assert!(openssl_verify.cms_verify(&envelope));
        assert!(openssl_verify.cms_verify(&openssl_sign(&entity)));

        let t = t * 3;
        let times = interleaved(
            &mut [
                &mut || {
                    std::hint::black_box(build(Backend::RustCrypto));
                },
                &mut || {
                    std::hint::black_box(build(Backend::AwsLc));
                },
                &mut || {
                    std::hint::black_box(openssl_sign(&entity));
                },
                &mut || {
                    std::hint::black_box(openssl_cms_only(&entity));
                },
                &mut || {
                    std::hint::black_box(aws_lc_rs::digest::digest(
                        &aws_lc_rs::digest::SHA256,
                        &data,
                    ));
                },
            ],
            n,
            t,
        );
        let (ours, theirs, cms_only, sha) = ([times[0], times[1]], times[2], times[3], times[4]);
        if size == 100_000_000 {
            sha_at_100mb = sha;
        }
        rows.push(Row {
            workload: "build and sign a transport envelope".into(),
            size: label(size),
            ours,
            openssl: Some(theirs),
            note: format!(
                "OpenSSL CMS_sign+DER alone {} (ratio {:.2}); SHA-256 alone {:.2} ms, ours \
                 (aws-lc) {:.2}x that",
                rate(cms_only),
                cms_only.as_secs_f64() / ours[1].as_secs_f64(),
                sha.as_secs_f64() * 1e3,
                ours[1].as_secs_f64() / sha.as_secs_f64()
            ),
        });

        let (ours, theirs) = time_read(&envelope, n, t);
        rows.push(Row {
            workload: "read and verify a transport envelope".into(),
            size: label(size),
            ours,
            openssl: Some(theirs),
            note: format!("{} bytes", envelope.len()),
        });
    }

    // A receipt.
    let data = original(1_000);
    let facts = TransportEnvelope::new(
        &data,
        "mario.rossi@pec.alfa.test",
        &recipients,
        "opec-alfa.bench@pec.alfa.test",
        time,
    )
    .facts()
    .unwrap();
    let build = |b: Backend| {
        Acceptance::new(&facts, "opec-alfa.bench.2@pec.alfa.test", time)
            .prepare(&alfa, &options_for(b))
            .unwrap()
            .sign_with(signer_for(b))
            .unwrap()
    };
    let receipt = build(Backend::AwsLc).into_vec();
    let entity = SignedMessage::parse(&receipt, &SplitOptions::default())
        .unwrap()
        .signed_content()
        .to_vec();
    assert!(openssl_verify.cms_verify(&receipt));
    let (n, t) = (200, Duration::from_secs(4));
    let times = interleaved(
        &mut [
            &mut || {
                std::hint::black_box(build(Backend::RustCrypto));
            },
            &mut || {
                std::hint::black_box(build(Backend::AwsLc));
            },
            &mut || {
                std::hint::black_box(openssl_sign(&entity));
            },
            &mut || {
                std::hint::black_box(openssl_cms_only(&entity));
            },
        ],
        n,
        t,
    );
    let (ours, theirs, cms_only) = ([times[0], times[1]], times[2], times[3]);
    rows.push(Row {
        workload: "build and sign an acceptance receipt".into(),
        size: format!("{} bytes", receipt.len()),
        ours,
        openssl: Some(theirs),
        note: format!(
            "OpenSSL CMS_sign+DER alone {} (ratio {:.2})",
            rate(cms_only),
            cms_only.as_secs_f64() / ours[1].as_secs_f64()
        ),
    });
    let (ours, theirs) = time_read(&receipt, n, t);
    rows.push(Row {
        workload: "read and verify an acceptance receipt".into(),
        size: format!("{} bytes", receipt.len()),
        ours,
        openssl: Some(theirs),
        note: String::new(),
    });

    // daticert.xml.
    let m = read(&receipt, &trust, time, &read_options_for(Backend::AwsLc)).unwrap();
    let xml = m.daticert.as_ref().unwrap().to_xml().xml;
    let parse = |o: &ParseOptions| {
        median(
            || {
                std::hint::black_box(Daticert::parse(xml.as_bytes(), o).unwrap());
            },
            1000,
            Duration::from_secs(1),
        )
    };
    let strict = parse(&ParseOptions::strict());
    let lenient = parse(&ParseOptions::lenient());
    rows.push(Row {
        workload: "parse a daticert.xml (strict; lenient in the note)".into(),
        size: format!("{} bytes", xml.len()),
        ours: [strict, strict],
        openssl: None,
        note: format!("lenient {}", rate(lenient)),
    });

    println!(
        "| workload | size | ours, rustcrypto | ours, aws-lc | OpenSSL | ratio (aws-lc / OpenSSL) | note |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        let (theirs, ratio) = match r.openssl {
            Some(o) => (
                rate(o),
                format!("{:.2}", o.as_secs_f64() / r.ours[1].as_secs_f64()),
            ),
            None => ("n/a".to_owned(), "n/a".to_owned()),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.size,
            rate(r.ours[0]),
            rate(r.ours[1]),
            theirs,
            ratio,
            r.note
        );
    }
    let envelope_100mb = rows
        .iter()
        .find(|r| r.workload.starts_with("build") && r.size == "100 MB")
        .map(|r| r.ours[1])
        .unwrap_or_default();
    println!(
        "\nbuild and sign at 100 MB (aws-lc) / SHA-256 alone: {:.3} (target: 1.3 or less)",
        envelope_100mb.as_secs_f64() / sha_at_100mb.as_secs_f64()
    );

    receipts_at_the_limit(&receipt, &trust, time, &read_options_for(Backend::AwsLc));
}

/// Reading acceptance receipts with AWS-LC from a store that has seen the chain before,
/// beside the bare RSA-2048 verification the reading cannot avoid (one PKCS #1 v1.5 SHA-256
/// verification by AWS-LC of a message the size of the signed attributes), and with two
/// threads reading at once from the one store (the verified-signature memory is read
/// concurrently).
fn receipts_at_the_limit(receipt: &[u8], trust: &TrustStore, time: PecTime, options: &ReadOptions) {
    use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
    let key = RsaKeyPair::from_pkcs8(&pki("alfa.key.der")).unwrap();
    let message = [0x5au8; 200];
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        &message,
        &mut sig,
    )
    .unwrap();
    let public = UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        key.public_key().as_ref().to_vec(),
    );
    assert!(read(receipt, trust, time, options).unwrap().is_valid());
    let times = interleaved(
        &mut [
            &mut || {
                std::hint::black_box(read(receipt, trust, time, options).unwrap());
            },
            &mut || {
                public.verify(&message, &sig).unwrap();
            },
        ],
        2000,
        Duration::from_secs(6),
    );
    let rate = |d: Duration| 1.0 / d.as_secs_f64();
    let (receipt_rate, rsa_rate) = (rate(times[0]), rate(times[1]));
    // Throughput with one thread and with two sharing the store: wall time of a fixed count.
    let count = 4000;
    let run = |threads: usize| {
        let start = std::time::Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for _ in 0..count {
                        std::hint::black_box(read(receipt, trust, time, options).unwrap());
                    }
                });
            }
        });
        (threads * count) as f64 / start.elapsed().as_secs_f64()
    };
    let (mut one, mut two) = (0f64, 0f64);
    for _ in 0..3 {
        one = one.max(run(1));
        two = two.max(run(2));
    }
    println!("\n### Receipts at the limit (issue 14)\n");
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| read and verify an acceptance receipt, aws-lc, chain seen before | {receipt_rate:.0}/s |"
    );
    println!("| bare RSA-2048 PKCS #1 v1.5 verification, aws-lc | {rsa_rate:.0}/s |");
    println!(
        "| receipt rate / bare RSA rate | {:.1}% (target: 40% or more) |",
        100.0 * receipt_rate / rsa_rate
    );
    println!("| one thread, {count} receipts | {one:.0}/s |");
    println!("| two threads, one shared store | {two:.0}/s |");
    println!(
        "| two threads / one thread | {:.2} (target: 1.8 or more) |",
        two / one
    );
}
