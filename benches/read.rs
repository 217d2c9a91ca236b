//! Reading a received PEC message, beside OpenSSL's `cms -verify` of the same bytes in the
//! same run, for two messages built here with the test PKI (signed by `alfa`, chain `ca1`):
//!
//! - an acceptance receipt of about 10 KB (a message to 25 recipients: each one is in the
//!   receipt's text and in its `daticert.xml`);
//! - a transport envelope of about 100 KB (an original with a 90 KB base64 attachment).
//!
//! ```text
//! cargo bench --features openssl-bench --bench read
//! ```
//!
//! - ours: [`postacert::read::read`] with [`ReadOptions::strict`] (strict split, CMS
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

mod common;

use std::time::Duration;

use common::{median, pki};
use postacert::build::{Acceptance, BuildOptions, EmittingProvider, TransportEnvelope};
use postacert::cms::{AwsLcSigner, SigningIdentity};
use postacert::daticert::Recipient;
use postacert::read::{ReadOptions, read};
use postacert::trust::{Provider, TrustStore};
use postacert::{Backend, PecTime};

/// The few OpenSSL calls the `openssl` crate does not expose as `openssl cms -verify` uses
/// them (libcrypto is linked through the `openssl` crate).
mod ossl {
    use std::ffi::{c_int, c_long, c_uchar, c_uint, c_void};
    use std::ptr;

    #[repr(C)]
    pub struct Bio {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct Cms {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct X509 {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct X509Store {
        _opaque: [u8; 0],
    }

    /// `CMS_BINARY`: the content is not translated (it is canonical already).
    const CMS_BINARY: c_uint = 0x80;

    unsafe extern "C" {
        fn BIO_new_mem_buf(buf: *const c_void, len: c_int) -> *mut Bio;
        fn BIO_free(bio: *mut Bio) -> c_int;
        fn SMIME_read_CMS(bio: *mut Bio, bcont: *mut *mut Bio) -> *mut Cms;
        fn CMS_verify(
            cms: *mut Cms,
            certs: *mut c_void,
            store: *mut X509Store,
            dcont: *mut Bio,
            out: *mut Bio,
            flags: c_uint,
        ) -> c_int;
        fn CMS_ContentInfo_free(cms: *mut Cms);
        fn X509_STORE_new() -> *mut X509Store;
        fn X509_STORE_add_cert(store: *mut X509Store, x509: *mut X509) -> c_int;
        fn X509_STORE_free(store: *mut X509Store);
        fn d2i_X509(a: *mut *mut X509, pp: *mut *const c_uchar, length: c_long) -> *mut X509;
        fn X509_free(x509: *mut X509);
        fn ERR_clear_error();
    }

    /// An `X509_STORE` of trusted certificates.
    pub struct Store(*mut X509Store);

    impl Store {
        pub fn new(certificates: &[&[u8]]) -> Store {
            openssl::init();
            // SAFETY: plain OpenSSL object management; every pointer is checked, and the store
            // takes its own reference to each certificate added.
            unsafe {
                let store = X509_STORE_new();
                assert!(!store.is_null());
                for der in certificates {
                    let mut p = der.as_ptr();
                    let x509 = d2i_X509(ptr::null_mut(), &mut p, der.len() as c_long);
                    assert!(!x509.is_null(), "OpenSSL cannot parse a test certificate");
                    assert_eq!(X509_STORE_add_cert(store, x509), 1);
                    X509_free(x509);
                }
                Store(store)
            }
        }

        /// `openssl cms -verify -binary`: reads the S/MIME message (keeping the detached
        /// content) and verifies the signature and the signer's chain. True when it verifies.
        pub fn cms_verify(&self, message: &[u8]) -> bool {
            // SAFETY: the memory BIO reads `message`, which outlives it; every object made
            // here is freed here; `SMIME_read_CMS` sets `content` only on success.
            unsafe {
                let input = BIO_new_mem_buf(message.as_ptr().cast(), message.len() as c_int);
                assert!(!input.is_null());
                let mut content: *mut Bio = ptr::null_mut();
                let cms = SMIME_read_CMS(input, &mut content);
                let ok = !cms.is_null()
                    && !content.is_null()
                    && CMS_verify(
                        cms,
                        ptr::null_mut(),
                        self.0,
                        content,
                        ptr::null_mut(),
                        CMS_BINARY,
                    ) == 1;
                if !cms.is_null() {
                    CMS_ContentInfo_free(cms);
                }
                if !content.is_null() {
                    BIO_free(content);
                }
                BIO_free(input);
                if !ok {
                    ERR_clear_error();
                }
                ok
            }
        }
    }

    impl Drop for Store {
        fn drop(&mut self) {
            // SAFETY: made by `X509_STORE_new` and freed once.
            unsafe { X509_STORE_free(self.0) }
        }
    }
}

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
        o.at = Some(time);
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
            let m = read(bytes, &trust, &options_for(b)).unwrap();
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
                        std::hint::black_box(read(bytes, &trust, &options).unwrap());
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
