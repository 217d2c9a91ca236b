//! A transport envelope around a 100 MB original: build and sign, beside SHA-256 of the same
//! bytes in the same run, and the peak heap memory a counting allocator sees.
//!
//! ```text
//! cargo bench --bench envelope                      # RustCrypto backend
//! cargo bench --bench envelope --features aws-lc    # AWS-LC backend (the default then)
//! ```
//!
//! Targets (issue 4): build and sign within 1.3 times the hash alone; peak memory (the
//! original included) under 2.2 times the original's size.
//!
//! Two outputs are measured: the [`WireMessage`] the builder returns (the original borrowed,
//! ready for a vectored write) and the same message copied into one buffer (`into_vec`),
//! whose cost is mostly the kernel zeroing 100 MB of fresh pages.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{median, pki};
use pecmail::build::{BuildOptions, EmittingProvider, TransportEnvelope};
use pecmail::cms::{SignRequest, SignatureAlgorithm, Signer, SignerError, SigningIdentity};
use pecmail::daticert::Recipient;
use pecmail::smime::WireMessage;
use pecmail::{Backend, PecTime};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator with the same arguments; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A software key over the `rsa` crate (the RSA operation is negligible at this size).
struct Key {
    key: rsa::PrivateKey,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl Signer for Key {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1Sha256
    }
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }
    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
    fn sign(&self, r: &SignRequest<'_>) -> Result<Vec<u8>, SignerError> {
        self.key
            .sign(rsa::Pkcs1v15Sign::new_unprefixed(), r.digest_info)
            .map_err(|e| SignerError::with_source("rsa", e))
    }
}

/// A 100 MB message: headers, a short text, and an attachment in base64 lines.
fn original(size: usize) -> Vec<u8> {
    let mut m = b"From: mario.rossi@pec.alfa.test\r\nTo: anna.bianchi@pec.beta.test\r\n\
Subject: archivio\r\nMessage-ID: <big@client.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
In allegato.\r\n--b\r\nContent-Type: application/zip; name=\"archivio.zip\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    let line = b"UEsDBBQAAAAIAAAAIQBQSwMEFAAAAAgAAAAhAFBLAwQUAAAACAAAACEAUEsDBBQAAAAIAAAAIQBQ\r\n";
    while m.len() + line.len() + 8 < size {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"--b--\r\n");
    m
}

fn main() {
    use rsa::pkcs8::DecodePrivateKey;
    let key = Key {
        key: rsa::PrivateKey::from_pkcs8_der(&pki("alfa.key.der")).unwrap(),
        certificate: pki("alfa.der"),
        chain: vec![pki("ca1.der")],
    };
    let alfa = EmittingProvider::new(
        "Alfa PEC S.p.A.",
        SigningIdentity::new(&key.certificate, &key.chain).unwrap(),
    )
    .unwrap();
    let recipients = vec![Recipient::certified("anna.bianchi@pec.beta.test")];
    let time = PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).unwrap();
    let backend = Backend::default();
    let mut options = BuildOptions::default();
    options.signing.cms.backend = backend;

    let size = 100_000_000;
    let mut data = original(size);
    data.shrink_to_fit(); // the baseline is then the original itself
    let build = || -> WireMessage<'_> {
        TransportEnvelope::new(
            &data,
            "mario.rossi@pec.alfa.test",
            &recipients,
            "opec-alfa.big@pec.alfa.test",
            time,
        )
        .prepare(&alfa, &options)
        .unwrap()
        .sign_with(&key)
        .unwrap()
    };

    // Peak memory of one build, the original (already allocated) included: as built, and
    // copied into one buffer.
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let message = build();
    let peak_wire = PEAK.load(Ordering::Relaxed);
    let envelope_size = message.len();
    PEAK.store(before, Ordering::Relaxed);
    let bytes = build().into_vec();
    let peak_vec = PEAK.load(Ordering::Relaxed);
    assert_eq!(bytes.len(), envelope_size);
    drop((message, bytes));

    let (n, t) = (7, Duration::from_secs(3));
    let built = median(
        || {
            std::hint::black_box(build());
        },
        n,
        t,
    );
    let built_vec = median(
        || {
            std::hint::black_box(build().into_vec());
        },
        n,
        t,
    );
    let sha2 = median(
        || {
            use sha2::Digest;
            std::hint::black_box(sha2::Sha256::digest(&data));
        },
        n,
        t,
    );
    #[cfg(feature = "aws-lc")]
    let awslc = Some(median(
        || {
            std::hint::black_box(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &data));
        },
        n,
        t,
    ));
    #[cfg(not(feature = "aws-lc"))]
    let awslc: Option<Duration> = None;

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let hash = match (backend.name(), awslc) {
        ("aws-lc", Some(a)) => a,
        _ => sha2,
    };
    println!("backend: {}", backend.name());
    println!(
        "original: {} bytes; envelope: {envelope_size} bytes",
        data.len()
    );
    let ratio = |d: Duration| d.as_secs_f64() / hash.as_secs_f64();
    let share = |p: usize| p as f64 / data.len() as f64;
    println!(
        "build and sign the envelope: {:.2} ms = {:.3} x the hash (target: 1.3 or less)",
        ms(built),
        ratio(built)
    );
    println!(
        "  ... and copy it into one buffer: {:.2} ms = {:.3} x the hash",
        ms(built_vec),
        ratio(built_vec)
    );
    println!("SHA-256 of the original, sha2 crate: {:.2} ms", ms(sha2));
    if let Some(a) = awslc {
        println!("SHA-256 of the original, AWS-LC: {:.2} ms", ms(a));
    }
    println!(
        "peak heap (original included; target: under 2.2 x): as built {} bytes = {:.3} x; \
         in one buffer {} bytes = {:.3} x",
        peak_wire,
        share(peak_wire),
        peak_vec,
        share(peak_vec)
    );
}
