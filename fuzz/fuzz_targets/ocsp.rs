//! `ocsp`: an OCSP response of any bytes never panics: parsed into a trust store, then
//! asked about the test PKI's leaves under ca1, under every revocation policy, at times
//! inside and outside its dates. `revoked` only comes from a response that carries the
//! delegated responder's genuine signature of `ocsp-revoked.der` (the fuzzer cannot make
//! another one; what it may change is outside the signed bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pecmail::PecTime;
use pecmail::trust::{RevocationPolicy, TrustOptions, TrustStore, TrustVerdict};

const ROOT: &[u8] = include_bytes!("../../tests/fixtures/pki/root.der");
const CA1: &[u8] = include_bytes!("../../tests/fixtures/pki/ca1.der");
const ALFA: &[u8] = include_bytes!("../../tests/fixtures/pki/alfa.der");
const BETA: &[u8] = include_bytes!("../../tests/fixtures/pki/beta.der");
const REVOKED: &[u8] = include_bytes!("../../tests/fixtures/pki/revoked.der");
const OCSP_REVOKED: &[u8] = include_bytes!("../../tests/fixtures/pki/ocsp-revoked.der");

/// The last 256 bytes of the signed response's tbs and signature: the RSA-2048 signature
/// value sits before the responder's certificate, so it is found by its known offset in the
/// genuine file (the BIT STRING after the signature algorithm).
fn signature(der: &[u8]) -> &[u8] {
    let at = der
        .windows(5)
        .position(|w| w == [0x03, 0x82, 0x01, 0x01, 0x00])
        .expect("the signature BIT STRING");
    &der[at + 5..at + 5 + 256]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let mut store = TrustStore::new();
    store.add_anchor(ROOT).expect("the test root");
    let genuine = contains(data, signature(OCSP_REVOKED));
    if store.add_ocsp_response(data).is_err() {
        return;
    }
    for at in [1_780_272_000, 1_767_225_600, 4_102_444_800] {
        let at = PecTime::from_unix(at, 0).expect("valid time");
        for policy in [RevocationPolicy::UseGiven, RevocationPolicy::Require] {
            let mut options = TrustOptions::default();
            options.revocation = policy;
            for (leaf, name) in [(ALFA, "alfa"), (BETA, "beta"), (REVOKED, "revoked")] {
                let r = store.assess_certificate(leaf, &[CA1.to_vec()], at, &options);
                if r.verdict == TrustVerdict::Revoked {
                    assert!(genuine && name == "revoked", "a revocation nobody signed: {r:?}");
                }
            }
        }
    }
});
