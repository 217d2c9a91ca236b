//! Sign and verify a detached CMS signature at 1 KB, 100 KB, 10 MB and 100 MB, with both
//! crypto backends, beside OpenSSL (in process, through the `openssl` crate) on the same bytes
//! in the same run, and print the ratios.
//!
//! ```text
//! cargo bench -p pecmail-interop --bench smime
//! ```
//!
//! - sign: `SigningIdentity::prepare` (hash the content, build the signed attributes) + the software
//!   signer of the backend (RustCrypto `rsa`, AWS-LC) + `sign_with` (emit DER; both
//!   software signers check their own signatures, so the crate does not check again), against `CMS_sign` (detached, binary) + DER encoding;
//! - verify: `cms::verify_detached` on the content slice as it lies (no copy), against
//!   `CMS_verify` (detached, binary, without chain checks) on the same signature and content.
//!   The `openssl` crate always gives `CMS_verify` an output buffer, so OpenSSL also copies
//!   the content once; that copy is measured on its own and printed.
//! - verify message: `smime::verify` (strict split, then CMS) on a whole message, against
//!   OpenSSL's `SMIME_read_PKCS7` + `PKCS7_verify` (what `openssl smime -verify` does);
//! - signing overhead, at 100 KB: the full signature against the backend's own RSA signature
//!   of the same bytes (PKCS #1 v1.5 with SHA-256: hash and private-key operation), and
//!   against the private-key operation alone, taken apart.

#[path = "../../benches/common/mod.rs"]
mod common;

use std::time::Duration;

use common::{budget, content, interleaved, label, median, pki, ratio, show};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::PKey;
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;
use pecmail::cms::{
    self, AwsLcSigner, RsaSigner, SignOptions, Signer, SigningIdentity, VerifyOptions,
};
use pecmail::smime::{self, MessageSignOptions, MessageVerifyOptions};
use pecmail::{Backend, PecTime};

const SIZES: [usize; 4] = [1_000, 100_000, 10_000_000, 100_000_000];

fn main() {
    let cert = pki("alfa.der");
    let chain = vec![pki("ca1.der")];
    let key = pki("alfa.key.der");
    let time = PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).unwrap();
    let identity = SigningIdentity::new(&cert, &chain).unwrap();
    let rsa_signer = RsaSigner::from_pkcs8_der(&key, cert.clone(), chain.clone()).unwrap();
    let aws_signer = AwsLcSigner::from_pkcs8_der(&key, cert.clone(), chain.clone()).unwrap();
    let signer_for = |b: Backend| -> &dyn Signer {
        match b {
            Backend::RustCrypto => &rsa_signer,
            _ => &aws_signer,
        }
    };
    let backends = [Backend::RustCrypto, Backend::AwsLc];

    let ossl_cert = X509::from_der(&cert).unwrap();
    let ossl_key = PKey::private_key_from_der(&key).unwrap();
    let mut ossl_chain = Stack::new().unwrap();
    ossl_chain.push(X509::from_der(&chain[0]).unwrap()).unwrap();
    let mut ossl_certs = Stack::new().unwrap();
    ossl_certs.push(X509::from_der(&cert).unwrap()).unwrap();
    let sign_flags = CMSOptions::DETACHED | CMSOptions::BINARY;
    let verify_flags = CMSOptions::BINARY | CMSOptions::NO_SIGNER_CERT_VERIFY;
    let empty_store = X509StoreBuilder::new().unwrap().build();

    println!(
        "| workload | size | ours, rustcrypto | ours, aws-lc | OpenSSL | OpenSSL/aws-lc | OpenSSL/rustcrypto |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut verify_100mb = Vec::new();
    for size in SIZES {
        let data = content(size);
        let (iters, time_budget) = budget(size);

        // Sign.
        let mut ours = Vec::new();
        for b in backends {
            let mut options = SignOptions::default();
            options.backend = b;
            let signer = signer_for(b);
            ours.push(median(
                || {
                    let p7s = identity
                        .prepare(&data, time, &options)
                        .unwrap()
                        .sign_with(signer)
                        .unwrap();
                    std::hint::black_box(p7s);
                },
                iters,
                time_budget,
            ));
        }
        let openssl = median(
            || {
                let c = CmsContentInfo::sign(
                    Some(&ossl_cert),
                    Some(&ossl_key),
                    Some(&ossl_chain),
                    Some(&data),
                    sign_flags,
                )
                .unwrap();
                std::hint::black_box(c.to_der().unwrap());
            },
            iters,
            time_budget,
        );
        row("sign", size, &ours, openssl);

        // Verify the same signature (ours, made once) with each.
        let p7s = identity
            .prepare(&data, time, &SignOptions::default())
            .unwrap()
            .sign_with(&aws_signer)
            .unwrap();
        let mut ours = Vec::new();
        for b in backends {
            let mut options = VerifyOptions::default();
            options.backend = b;
            ours.push(median(
                || {
                    std::hint::black_box(cms::verify_detached(&data, &p7s, &options).unwrap());
                },
                iters,
                time_budget,
            ));
        }
        let openssl = median(
            || {
                let mut c = CmsContentInfo::from_der(&p7s).unwrap();
                c.verify(Some(&ossl_certs), None, Some(&data), None, verify_flags)
                    .unwrap();
            },
            iters,
            time_budget,
        );
        row("verify", size, &ours, openssl);

        // Verify a whole message: the strict split plus the CMS verification, against
        // OpenSSL's S/MIME reader (SMIME_read_PKCS7) plus PKCS7_verify.
        let mut entity = b"Content-Type: application/octet-stream\r\n\r\n".to_vec();
        entity.extend_from_slice(&data);
        let message = smime::prepare(
            b"From: posta-certificata@pec.alfa.test\r\n",
            &entity,
            b"bench",
            &identity,
            time,
            &MessageSignOptions::default(),
        )
        .unwrap()
        .sign_with(&aws_signer)
        .unwrap()
        .into_vec();
        let mut ours = Vec::new();
        for b in backends {
            let mut options = MessageVerifyOptions::default();
            options.cms.backend = b;
            ours.push(median(
                || {
                    std::hint::black_box(smime::verify(&message, &options).unwrap());
                },
                iters,
                time_budget,
            ));
        }
        let openssl = median(
            || {
                let (p7, content) = Pkcs7::from_smime(&message).unwrap();
                p7.verify(
                    &ossl_certs,
                    &empty_store,
                    content.as_deref(),
                    None,
                    Pkcs7Flags::NOVERIFY | Pkcs7Flags::BINARY,
                )
                .unwrap();
            },
            iters,
            time_budget,
        );
        row("verify message", size, &ours, openssl);
        if size == 100_000_000 {
            verify_100mb = ours.clone();
            let copy = median(
                || std::hint::black_box(data.to_vec()).clear(),
                iters,
                time_budget,
            );
            println!(
                "| (a copy of the content, which OpenSSL's verify also makes here) | {} | | | {} | | |",
                label(size),
                show(copy, size)
            );
        }
    }

    // SHA-256 alone, for reference.
    let data = content(100_000_000);
    let (iters, time_budget) = budget(data.len());
    let mut hashes = Vec::new();
    for b in backends {
        let mut options = SignOptions::default();
        options.backend = b;
        hashes.push(median(
            || {
                // prepare hashes the content once; nothing else in it grows with the size.
                std::hint::black_box(identity.prepare(&data, time, &options).unwrap());
            },
            iters,
            time_budget,
        ));
    }
    let openssl = median(
        || {
            std::hint::black_box(
                openssl::hash::hash(openssl::hash::MessageDigest::sha256(), &data).unwrap(),
            );
        },
        iters,
        time_budget,
    );
    row("SHA-256 (prepare)", data.len(), &hashes, openssl);

    // Signing overhead beyond the RSA operation, at 100 KB, measured against two baselines.
    // (a) The backend's own RSA signature of the same 100 KB: PKCS #1 v1.5 with SHA-256, the
    //     hash-and-sign call each library offers (`RsaKeyPair::sign`, `Pkcs1v15Sign` over a
    //     SHA-256); what the crate adds to that is its overhead: signed attributes and their
    //     digest, the ESS certificate hash, the check the API promises when the signer does
    //     not make its own, and the DER assembly.
    // (b) The private-key operation alone (a precomputed digest): then the SHA-256 of the
    //     content, which no signature of that content can avoid, counts as overhead too, so
    //     it is shown apart.
    println!();
    println!(
        "| backend | full signature, 100 KB | RSA signature of the 100 KB (hash + sign) | overhead over it | RSA private operation alone | content SHA-256 | signature check | assembly and attributes | overhead over the private operation | same, without the content hash |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let data = content(100_000);
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let rsa_key = {
        use rsa::pkcs8::DecodePrivateKey;
        rsa::PrivateKey::from_pkcs8_der(&key).unwrap()
    };
    let aws_key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&key).unwrap();
    let aws_rng = aws_lc_rs::rand::SystemRandom::new();
    for b in backends {
        let mut options = SignOptions::default();
        options.backend = b;
        let signer = signer_for(b);
        let pending = identity.prepare(&data, time, &options).unwrap();
        let signature = signer.sign(&pending.request()).unwrap();
        // Interleaved, so that each share of the machine's noise is the same for all six.
        let times = interleaved(
            &mut [
                &mut || {
                    let p7s = identity
                        .prepare(&data, time, &options)
                        .unwrap()
                        .sign_with(signer)
                        .unwrap();
                    std::hint::black_box(p7s);
                },
                &mut || match b {
                    Backend::RustCrypto => {
                        use sha2::Digest;
                        let hash = sha2::Sha256::digest(&data);
                        let sig = rsa_key
                            .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hash)
                            .unwrap();
                        std::hint::black_box(sig);
                    }
                    _ => {
                        let mut sig = vec![0u8; aws_key.public_modulus_len()];
                        aws_key
                            .sign(
                                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                                &aws_rng,
                                &data,
                                &mut sig,
                            )
                            .unwrap();
                        std::hint::black_box(sig);
                    }
                },
                &mut || drop(std::hint::black_box(signer.sign(&pending.request()))),
                &mut || {
                    drop(std::hint::black_box(
                        identity.prepare(&data, time, &options),
                    ))
                },
                &mut || drop(std::hint::black_box(identity.prepare(b"", time, &options))),
                &mut || {
                    let p = identity.prepare(b"", time, &options).unwrap();
                    std::hint::black_box(p.finish(&signature)).ok();
                },
            ],
            1_000,
            Duration::from_secs(8),
        );
        let [full, plain, rsa, prepare_full, prepare_empty, with_finish] = times[..] else {
            unreachable!("six workloads were timed")
        };
        let hash = us(prepare_full) - us(prepare_empty);
        // `sign_with` skips the check for a signer that checks its own signatures (both
        // software signers do): then the rest is the assembly alone.
        let (finish, finish_shown) = if signer.checks_own_signatures() {
            (0.0, "skipped: the signer checks its own".to_owned())
        } else {
            let f = us(with_finish) - us(prepare_empty);
            (f, format!("{f:.1} µs"))
        };
        let other = us(full) - us(rsa) - hash - finish;
        println!(
            "| {} | {:.1} µs | {:.1} µs | {:.1}% | {:.1} µs | {hash:.1} µs | {finish_shown} | {other:.1} µs | {:.1}% | {:.1}% |",
            b.name(),
            us(full),
            us(plain),
            (us(full) - us(plain)) / us(plain) * 100.0,
            us(rsa),
            (us(full) - us(rsa)) / us(rsa) * 100.0,
            (us(full) - us(rsa) - hash) / us(rsa) * 100.0,
        );
    }

    println!();
    for (b, d) in backends.iter().zip(&verify_100mb) {
        println!(
            "verify a 100 MB message with {}: {:.2} GB/s (target: 1 GB/s or more)",
            b.name(),
            100e6 / d.as_secs_f64() / 1e9
        );
    }
}

fn row(workload: &str, size: usize, ours: &[Duration], openssl: Duration) {
    println!(
        "| {workload} | {} | {} | {} | {} | {} | {} |",
        label(size),
        show(ours[0], size),
        show(ours[1], size),
        show(openssl, size),
        ratio(openssl, ours[1]),
        ratio(openssl, ours[0]),
    );
}
