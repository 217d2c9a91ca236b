//! `read`: the whole reader (split, CMS, trust, daticert, classification, cross-checks) never
//! panics, in strict or lenient mode, whatever the bytes; nor do the accessors of what it
//! returns, down the wrapped (`inner`) and embedded messages. A valid message is signed, with
//! a valid signature and a trusted signer.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pecmail::PecTime;
use pecmail::read::{PecMessage, ReadOptions, SignatureStatus, read};
use pecmail::trust::{Provider, TrustStore, ValidationTime};

/// The test PKI's two providers, its root and its CA (test certificates only).
fn store() -> &'static TrustStore {
    static STORE: OnceLock<TrustStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut s = TrustStore::new();
        s.add_provider(
            Provider::new("Alfa PEC S.p.A.")
                .with_certificate(include_bytes!("../../tests/fixtures/pki/alfa.der").to_vec())
                .with_domain("pec.alfa.test")
                .with_service_address("posta-certificata@pec.alfa.test"),
        )
        .expect("alfa");
        s.add_provider(
            Provider::new("Beta Posta S.r.l.")
                .with_certificate(include_bytes!("../../tests/fixtures/pki/beta.der").to_vec())
                .with_domain("pec.beta.test")
                .with_service_address("posta-certificata@pec.beta.test"),
        )
        .expect("beta");
        s.add_anchor(include_bytes!("../../tests/fixtures/pki/root.der"))
            .expect("root");
        s.add_intermediate(include_bytes!("../../tests/fixtures/pki/ca1.der"))
            .expect("ca1");
        s
    })
}

/// Strict and lenient.
fn options() -> &'static [ReadOptions; 2] {
    static OPTIONS: OnceLock<[ReadOptions; 2]> = OnceLock::new();
    OPTIONS.get_or_init(|| [ReadOptions::strict(), ReadOptions::lenient()])
}

/// Calls every accessor, and checks what they promise, down the nested messages.
fn exercise(m: &PecMessage<'_>, depth: usize) {
    assert!(depth < 64, "nesting deeper than any max_depth");
    let valid = m.is_valid();
    if valid {
        assert!(m.kind.is_some());
        assert_eq!(m.signature, SignatureStatus::Valid);
        assert_eq!(m.trust_status(), "trusted");
    }
    let _ = m.signature.as_str();
    let _ = m.provider();
    let _ = m.source().len();
    if let Some(original) = m.original() {
        let _ = original.len();
    }
    let headers = m.original_headers();
    if m.original().is_none() {
        assert!(headers.is_empty());
    }
    if let Some(inner) = &m.inner {
        exercise(inner, depth + 1);
    }
    if let Some(embedded) = &m.embedded {
        exercise(embedded, depth + 1);
    }
}

fuzz_target!(|data: &[u8]| {
    let store = store();
    // The caller's time (2026-06-01 10:00:00 +0200, inside the validity of the test
    // certificates), and the claimed time an archive may choose.
    let at = PecTime::from_unix(1_780_300_800, 120).expect("valid time");
    for options in options() {
        for time in [ValidationTime::At(at), ValidationTime::Claimed] {
            if let Ok(message) = read(data, store, time, options) {
                exercise(&message, 0);
            }
        }
    }
});
