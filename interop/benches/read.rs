//! Reading a received PEC message, beside OpenSSL's `cms -verify` of the same bytes in the
//! same run, for two messages built here with the test PKI (signed by `alfa`, chain `ca1`):
//!
//! - an acceptance receipt of about 10 KB (a message to 25 recipients: each one is in the
//!   receipt's text and in its `daticert.xml`);
//! - a transport envelope of about 100 KB (an original with a 90 KB base64 attachment).
//!
//! ```text
//! cargo bench -p pecmail-interop --bench read
//! ```
//!
//! - ours: [`pecmail::read::read`] with [`ReadOptions::strict`] (strict split, CMS
//!   verification, trust assessment of the signer against a store of the two test providers
//!   and the test root, `daticert.xml`, classification, cross-checks), once with the
//!   RustCrypto backend and once with AWS-LC (both the CMS and the trust backend), `at` set to
//!   the time the messages were built;
//! - OpenSSL: what `openssl cms -verify -CAfile root+ca1 -binary` does, in process:
//!   `SMIME_read_CMS` (MIME split, base64 decoding, DER parsing) keeping the detached content,
//!   then `CMS_verify` with full chain verification against an `X509_STORE` holding the test
//!   root and `ca1` (the S/MIME purpose and the validity dates at the current time are checked
//!   too), no output buffer. The `openssl` crate's `CmsContentInfo::smime_read_cms` passes
//!   no content pointer to `SMIME_read_CMS`, so the content of a `multipart/signed` message is
//!   dropped and a detached signature cannot be verified through it: the few OpenSSL calls
//!   needed are declared here (the `openssl` crate links the library).
//!
//! Outside the timings, the bench checks that our reader finds each message valid
//! (`is_valid()`) with each backend and that OpenSSL's verification succeeds (and fails with
//! a store without the root, so the chain is really checked), so that no failure path is
//! measured. Rates are messages per second (median of repeated runs); the
//! ratio is our rate over OpenSSL's (above 1 we are faster). Target (issue): with the aws-lc
//! backend, at least OpenSSL's rate.

#[path = "../../benches/common/mod.rs"]
mod common;
mod ossl;

use std::time::Duration;

use common::{median, pki};
use pecmail::build::{Acceptance, BuildOptions, EmittingProvider, TransportEnvelope};
use pecmail::cms::{AwsLcSigner, SigningIdentity};
use pecmail::daticert::Recipient;
use pecmail::read::{ReadOptions, read};
use pecmail::trust::{Provider, TrustStore};
use pecmail::{Backend, PecTime};

/// Both test providers, as the provider index describes them, and the test root (as the
/// tests' `messages::store()`).
fn store() -> TrustStore {
    let mut s = TrustStore::new();
    s.add_provider(
        Provider::new("Alfa PEC S.p.A.")
            .with_certificate(pki("alfa.der"))
            .with_domain("pec.alfa.test")
            .with_service_address("posta-certificata@pec.alfa.test"),
    )
    .unwrap();
    s.add_provider(
        Provider::new("Beta Posta S.r.l.")
            .with_certificate(pki("beta.der"))
            .with_domain("pec.beta.test")
            .with_service_address("posta-certificata@pec.beta.test"),
    )
    .unwrap();
    s.add_anchor(&pki("root.der")).unwrap();
    s
}

/// An original message to `recipients` with a base64 attachment of about `attachment` bytes.
fn original(recipients: &[Recipient], attachment: usize) -> Vec<u8> {
    let to: Vec<&str> = recipients.iter().map(|r| r.address.as_str()).collect();
    let mut m = format!(
        "From: Mario Rossi <mario.rossi@pec.alfa.test>\r\n\
To: {}\r\n\
Subject: Verbale della riunione del 1 giugno\r\n\
Date: Mon, 01 Jun 2026 09:59:58 +0200\r\n\
Message-ID: <20260601095958.bench@client.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"client-boundary\"\r\n\
\r\n\
--client-boundary\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
In allegato il verbale.\r\n\
--client-boundary\r\n\
Content-Type: application/pdf; name=\"verbale.pdf\"\r\n\
Content-Disposition: attachment; filename=\"verbale.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n",
        to.join(",\r\n ")
    )
    .into_bytes();
    let line = b"JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl\r\n";
    for _ in 0..attachment.div_ceil(line.len()) {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"--client-boundary--\r\n");
    m
}

/// The recipients of the message the acceptance receipt is about (each one adds about 170
/// bytes to the receipt).
const RECIPIENTS: usize = 25;

fn main() {
    let cert = pki("alfa.der");
    let chain = vec![pki("ca1.der")];
    let signer = AwsLcSigner::from_pkcs8_der(&pki("alfa.key.der"), cert.clone(), chain.clone())
        .expect("test key");
    let alfa = EmittingProvider::new(
        "Alfa PEC S.p.A.",
        SigningIdentity::new(&cert, &chain).unwrap(),
    )
    .unwrap();
    // 2026-06-01 10:00:00 +0200, inside the validity of the test certificates.
    let time = PecTime::from_unix(1_780_300_800, 120).unwrap();
    let build_options = BuildOptions::default();

    // (a) An acceptance receipt for a message to many recipients: about 10 KB.
    let many: Vec<Recipient> = (0..RECIPIENTS)
        .map(|i| Recipient::certified(format!("destinatario.{i:02}@pec.beta.test")))
        .collect();
    let small_original = original(&many, 0);
    let small_envelope = TransportEnvelope::new(
        &small_original,
        "mario.rossi@pec.alfa.test",
        &many,
        "opec-alfa.20260601100000.1@pec.alfa.test",
        time,
    );
    let facts = small_envelope.facts().unwrap();
    let acceptance = Acceptance::new(&facts, "opec-alfa.20260601100000.2@pec.alfa.test", time)
        .prepare(&alfa, &build_options)
        .unwrap()
        .sign_with(&signer)
        .unwrap()
        .into_vec();

    // (b) A transport envelope around an original with a 90 KB attachment: about 100 KB.
    let few = vec![
        Recipient::certified("anna.bianchi@pec.beta.test"),
        Recipient::certified("luca.verdi@pec.beta.test"),
    ];
    let big_original = original(&few, 90_000);
    let envelope = TransportEnvelope::new(
        &big_original,
        "mario.rossi@pec.alfa.test",
        &few,
        "opec-alfa.20260601100000.3@pec.alfa.test",
        time,
    )
    .prepare(&alfa, &build_options)
    .unwrap()
    .sign_with(&signer)
    .unwrap()
    .into_vec();

    let trust = store();
    let backends = [Backend::RustCrypto, Backend::AwsLc];
    let options_for = |backend: Backend| {
        let mut o = ReadOptions::strict();
        o.verify.cms.backend = backend;
        o.trust.backend = backend;
        o
    };
    let openssl = ossl::Store::new(&[&pki("root.der"), &pki("ca1.der")]);
    let no_anchor = ossl::Store::new(&[&pki("ca1.der")]);

    println!(
        "| message | size | ours, rustcrypto | ours, aws-lc | OpenSSL cms -verify | ours/OpenSSL, rustcrypto | ours/OpenSSL, aws-lc |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut below_target = Vec::new();
    for (name, bytes) in [
        ("acceptance receipt", &acceptance),
        ("transport envelope", &envelope),
    ] {
        // Outside the timings: every reader must find the message valid.
        for b in backends {
            let m = read(bytes, &trust, time, &options_for(b)).unwrap();
            assert!(
                m.is_valid(),
                "{name} with {}: not valid: {:?}",
                b.name(),
                m.diagnostics
            );
        }
        assert!(
            openssl.cms_verify(bytes),
            "{name}: OpenSSL cms -verify failed"
        );
        // And OpenSSL does check the chain: without the root, the same call fails.
        assert!(
            !no_anchor.cms_verify(bytes),
            "{name}: OpenSSL verified without the root"
        );

        let (iters, budget) = (200, Duration::from_secs(2));
        let ours: Vec<Duration> = backends
            .iter()
            .map(|&b| {
                let options = options_for(b);
                median(
                    || {
                        std::hint::black_box(read(bytes, &trust, time, &options).unwrap());
                    },
                    iters,
                    budget,
                )
            })
            .collect();
        let theirs = median(
            || {
                std::hint::black_box(openssl.cms_verify(bytes));
            },
            iters,
            budget,
        );
        let rate = |d: Duration| 1.0 / d.as_secs_f64();
        let ratio = |d: Duration| rate(d) / rate(theirs);
        println!(
            "| {name} | {} bytes | {:.0}/s | {:.0}/s | {:.0}/s | {:.2} | {:.2} |",
            bytes.len(),
            rate(ours[0]),
            rate(ours[1]),
            rate(theirs),
            ratio(ours[0]),
            ratio(ours[1]),
        );
        if ratio(ours[1]) < 1.0 {
            below_target.push(name);
        }
    }
    println!();
    if below_target.is_empty() {
        println!("target met: with aws-lc, at least OpenSSL's rate for both messages");
    } else {
        println!(
            "target NOT met (aws-lc below OpenSSL's rate): {}",
            below_target.join(", ")
        );
    }
}
