//! `crl`: a certificate revocation list of any bytes never panics: given to a trust store as
//! DER and wrapped as PEM, then applied to the test PKI's path (ca1's leaves under root)
//! under every revocation policy, at times inside and outside its dates. A verdict always
//! comes out, and `revoked` only from a CRL that carries one of ca1's genuine signatures (the
//! fuzzer cannot make another one, so a revocation it makes up must be ignored).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pecmail::PecTime;
use pecmail::trust::{RevocationPolicy, TrustOptions, TrustStore, TrustVerdict};

const ROOT: &[u8] = include_bytes!("../../tests/fixtures/pki/root.der");
const CA1: &[u8] = include_bytes!("../../tests/fixtures/pki/ca1.der");
const ALFA: &[u8] = include_bytes!("../../tests/fixtures/pki/alfa.der");
const REVOKED: &[u8] = include_bytes!("../../tests/fixtures/pki/revoked.der");
/// ca1's genuine CRLs: what they say about `revoked` is the only revocation there is.
const GENUINE: &[&[u8]] = &[
    include_bytes!("../../tests/fixtures/pki/ca1.crl.der"),
    include_bytes!("../../tests/fixtures/pki/ca1-stale.crl.der"),
];

/// `der` as a PEM `X509 CRL` block.
fn pem(der: &[u8]) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = b"-----BEGIN X509 CRL-----\n".to_vec();
    for (i, c) in der.chunks(3).enumerate() {
        let n = c.iter().enumerate().fold(0u32, |a, (k, &b)| a | u32::from(b) << (16 - 8 * k));
        for k in 0..4 {
            out.push(if k <= c.len() { A[(n >> (18 - 6 * k) & 63) as usize] } else { b'=' });
        }
        if i % 16 == 15 {
            out.push(b'\n');
        }
    }
    out.extend_from_slice(b"\n-----END X509 CRL-----\n");
    out
}

/// The DER inside the first PEM `X509 CRL` block of `text`, when it decodes.
fn unpem(text: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    let body = text.split("-----BEGIN X509 CRL-----").nth(1)?.split("-----END X509 CRL-----").next()?;
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    // The CRL a store could take from these bytes carries ca1's own signature.
    let der = unpem(data).unwrap_or_else(|| data.to_vec());
    let genuine = GENUINE.iter().any(|g| der.ends_with(&g[g.len() - 256..]));
    for input in [data.to_vec(), pem(data)] {
        let mut store = TrustStore::new();
        store.add_anchor(ROOT).expect("the test root");
        if store.add_crl(&input).is_err() {
            continue;
        }
        for at in [1_780_272_000, 1_767_225_600, 4_102_444_800] {
            let at = PecTime::from_unix(at, 0).expect("valid time");
            for policy in [RevocationPolicy::Ignore, RevocationPolicy::UseGiven, RevocationPolicy::Require] {
                let mut options = TrustOptions::default();
                options.revocation = policy;
                for (leaf, name) in [(ALFA, "alfa"), (REVOKED, "revoked")] {
                    let r = store.assess_certificate(leaf, &[CA1.to_vec()], at, &options);
                    if r.verdict == TrustVerdict::Revoked {
                        assert!(genuine && name == "revoked", "a revocation nobody signed: {r:?}");
                    }
                }
            }
        }
    }
});
