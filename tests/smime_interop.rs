//! Interoperability with OpenSSL, both ways, with every crypto backend and software signer:
//! everything we sign verifies with `openssl cms -verify` against the test PKI, and we verify
//! what `openssl cms -sign` produces with SHA-256, SHA-1, streamed BER and no signed
//! attributes.

mod common;

use common::{TEST_TIME_UNIX, openssl, pki, pki_path, scratch, signers};
use pecmail::cms::{SignOptions, SignatureAlgorithmId, Signer, SigningIdentity};
use pecmail::mime::SignatureProtocol;
use pecmail::smime::{self, MessageSignOptions, MessageVerifyOptions};
use pecmail::{Backend, DiagnosticCode, DigestAlgorithm, ErrorKind, PecTime};

const HEAD: &[u8] = b"From: posta-certificata@pec.alfa.test\r\nTo: mario@pec.beta.test\r\nSubject: prova\r\nDate: Mon, 01 Jun 2026 10:00:00 +0200\r\nMessage-ID: <id1@pec.alfa.test>\r\n";

fn entity(body: &str) -> Vec<u8> {
    format!(
        "Content-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn identity(signer: &dyn Signer) -> SigningIdentity {
    SigningIdentity::new(signer.certificate(), signer.chain()).unwrap()
}

fn signing_time() -> PecTime {
    PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).unwrap()
}

fn verify_options(backend: Backend) -> MessageVerifyOptions {
    let mut o = MessageVerifyOptions::default();
    o.cms.backend = backend;
    o
}

/// `openssl cms -verify` against the test root, at the test time; returns (ok, stderr).
fn openssl_verifies(message: &[u8], name: &str) -> (bool, String) {
    let path = scratch(name);
    std::fs::write(&path, message).unwrap();
    let out = openssl(&[
        "cms",
        "-verify",
        "-in",
        path.to_str().unwrap(),
        "-CAfile",
        &pki_path("root.pem"),
        "-attime",
        &TEST_TIME_UNIX.to_string(),
        "-out",
        "/dev/null",
    ]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn there_is_a_signer_for_every_backend() {
    let names: Vec<&str> = signers("alfa").iter().map(|(n, _)| *n).collect();
    assert!(names.contains(&"raw"));
    #[cfg(feature = "rsa-signer")]
    assert!(names.contains(&"rsa"));
    #[cfg(feature = "aws-lc")]
    assert!(names.contains(&"aws-lc"));
    assert!(
        !names.is_empty(),
        "build with --all-features to run the interop tests"
    );
}

#[test]
fn what_we_sign_openssl_verifies() {
    let mut count = 0;
    for backend in Backend::ALL {
        for (signer_name, signer) in signers("alfa") {
            for algorithm in [
                SignatureAlgorithmId::RsaEncryption,
                SignatureAlgorithmId::Sha256WithRsaEncryption,
            ] {
                for protocol in [
                    SignatureProtocol::Pkcs7Signature,
                    SignatureProtocol::XPkcs7Signature,
                ] {
                    for ess in [true, false] {
                        let mut cms = SignOptions::default();
                        cms.backend = *backend;
                        cms.signature_algorithm = algorithm;
                        cms.signing_certificate = ess;
                        let mut options = MessageSignOptions::default();
                        options.cms = cms;
                        options.protocol = protocol;
                        let label = format!(
                            "{}-{signer_name}-{algorithm:?}-{protocol:?}-{ess}",
                            backend.name()
                        );
                        let content = entity(&format!("Messaggio {label} =E8 firmato."));
                        let pending = smime::prepare(
                            HEAD,
                            &content,
                            b"id1@pec.alfa.test",
                            &identity(signer.as_ref()),
                            signing_time(),
                            &options,
                        )
                        .unwrap();
                        let message = pending.sign_with(signer.as_ref()).unwrap().into_vec();

                        let (ok, err) = openssl_verifies(&message, &format!("ours-{label}.eml"));
                        assert!(ok, "OpenSSL refused {label}: {err}");

                        let verified = smime::verify(&message, &verify_options(*backend)).unwrap();
                        assert_eq!(verified.signature.digest_algorithm, DigestAlgorithm::Sha256);
                        assert_eq!(verified.signature.signature_algorithm, algorithm);
                        assert_eq!(
                            verified.signature.signer.email_addresses,
                            ["posta-certificata@pec.alfa.test"]
                        );
                        assert_eq!(
                            verified.signature.signing_time.map(|t| t.unix_seconds()),
                            Some(signing_time().unix_seconds())
                        );
                        assert_eq!(verified.message.protocol(), protocol);
                        assert!(
                            verified.diagnostics.is_empty(),
                            "{label}: {:?}",
                            verified.diagnostics
                        );
                        count += 1;
                    }
                }
            }
        }
    }
    assert!(count >= 8, "only {count} combinations ran");
}

#[test]
fn signing_is_deterministic_and_backends_agree() {
    let mut outputs = Vec::new();
    for backend in Backend::ALL {
        for (_, signer) in signers("beta") {
            let mut options = MessageSignOptions::default();
            options.cms.backend = *backend;
            let message = smime::prepare(
                HEAD,
                &entity("uguale"),
                b"seed",
                &identity(signer.as_ref()),
                signing_time(),
                &options,
            )
            .unwrap()
            .sign_with(signer.as_ref())
            .unwrap()
            .into_vec();
            outputs.push(message);
        }
    }
    assert!(!outputs.is_empty());
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "same inputs must give the same bytes"
    );
}

/// Signs `content` with `openssl cms -sign` and the extra arguments; returns the S/MIME output.
fn openssl_sign(content: &[u8], name: &str, extra: &[&str]) -> Vec<u8> {
    let input = scratch(&format!("{name}.in"));
    let output = scratch(&format!("{name}.eml"));
    let (signer, key, chain) = (
        pki_path("alfa.pem"),
        pki_path("alfa.key"),
        pki_path("ca1.pem"),
    );
    std::fs::write(&input, content).unwrap();
    let mut args = vec![
        "cms",
        "-sign",
        "-in",
        input.to_str().unwrap(),
        "-signer",
        &signer,
        "-inkey",
        &key,
        "-certfile",
        &chain,
        "-out",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = openssl(&args);
    assert!(
        out.status.success(),
        "openssl cms -sign {extra:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(output).unwrap()
}

#[test]
fn we_verify_what_openssl_signs() {
    let content = b"Content-Type: text/plain\r\n\r\nfirmato da OpenSSL\r\n";
    // OpenSSL 3 writes the base64 of smime.p7s with LF even with -crlfeol.
    use DiagnosticCode::{CmsBer, CmsNoSignedAttributes, CmsSha1, SmimeSignatureLf};
    let cases: &[(&str, &[&str], DigestAlgorithm, &[DiagnosticCode])] = &[
        (
            "sha256",
            &["-md", "sha256", "-crlfeol"],
            DigestAlgorithm::Sha256,
            &[SmimeSignatureLf],
        ),
        (
            "sha1",
            &["-md", "sha1", "-crlfeol"],
            DigestAlgorithm::Sha1,
            &[SmimeSignatureLf, CmsSha1],
        ),
        (
            "noattr",
            &["-md", "sha256", "-noattr", "-crlfeol"],
            DigestAlgorithm::Sha256,
            &[SmimeSignatureLf, CmsNoSignedAttributes],
        ),
        // Streamed BER: OpenSSL writes indefinite lengths with -stream -outform DER; the
        // signature is then framed as a multipart/signed here (see `openssl_ber_message`).
        (
            "stream",
            &["-md", "sha256", "-stream", "-binary", "-outform", "DER"],
            DigestAlgorithm::Sha256,
            &[CmsBer],
        ),
        (
            "stream-sha1-noattr",
            &[
                "-md", "sha1", "-stream", "-noattr", "-binary", "-outform", "DER",
            ],
            DigestAlgorithm::Sha1,
            &[CmsBer, CmsSha1, CmsNoSignedAttributes],
        ),
    ];
    for (name, args, digest, diagnostics) in cases {
        let mut message = openssl_sign(content, &format!("openssl-{name}"), args);
        if args.contains(&"DER") {
            assert_eq!(
                &message[..2],
                [0x30, 0x80],
                "{name}: OpenSSL did not write BER"
            );
            let micalg = if digest == &DigestAlgorithm::Sha1 {
                "sha-1"
            } else {
                "sha-256"
            };
            let detached = detach_streamed(&message);
            message = openssl_ber_message(content, &detached, micalg);
            let (ok, err) = openssl_verifies(&message, &format!("openssl-{name}-framed.eml"));
            assert!(
                ok,
                "{name}: OpenSSL refuses the detached BER message: {err}"
            );
            // Labelled with the wrong micalg: still valid, and the mismatch is reported.
            let mislabelled = openssl_ber_message(content, &detached, "sha-512");
            let v = smime::verify(&mislabelled, &MessageVerifyOptions::default()).unwrap();
            assert!(
                v.diagnostics
                    .iter()
                    .any(|d| d.code == DiagnosticCode::SmimeMicalgMismatch)
            );
        }
        for backend in Backend::ALL {
            let v = smime::verify(&message, &verify_options(*backend))
                .unwrap_or_else(|e| panic!("{name} with {}: {e}", backend.name()));
            assert_eq!(v.signature.digest_algorithm, *digest, "{name}");
            assert_eq!(v.message.signed_content(), content, "{name}");
            assert_eq!(
                v.signature.signer.email_addresses,
                ["posta-certificata@pec.alfa.test"]
            );
            let codes: Vec<DiagnosticCode> = v.diagnostics.iter().map(|d| d.code).collect();
            assert_eq!(&codes, diagnostics, "{name}");
        }
    }
}

/// Removes the streamed eContent from an attached BER SignedData made by `openssl cms -sign
/// -stream`, giving the detached BER form. The eContent is `[0] { OCTET STRING (constructed,
/// indefinite) { OCTET STRING segments } }` right after the id-data OID of encapContentInfo.
fn detach_streamed(ber: &[u8]) -> Vec<u8> {
    let id_data = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ];
    let start = ber
        .windows(id_data.len())
        .position(|w| w == id_data)
        .expect("id-data OID")
        + id_data.len();
    assert_eq!(
        &ber[start..start + 4],
        [0xa0, 0x80, 0x24, 0x80],
        "streamed eContent"
    );
    let mut i = start + 4;
    while ber[i..i + 2] != [0, 0] {
        assert_eq!(ber[i], 0x04, "primitive segment");
        let (len, header) = match ber[i + 1] {
            n if n < 0x80 => (usize::from(n), 2),
            0x81 => (usize::from(ber[i + 2]), 3),
            0x82 => (usize::from(ber[i + 2]) << 8 | usize::from(ber[i + 3]), 4),
            n => panic!("length form {n:#x}"),
        };
        i += header + len;
    }
    assert_eq!(
        &ber[i..i + 4],
        [0, 0, 0, 0],
        "end of the segments and of [0]"
    );
    [&ber[..start], &ber[i + 4..]].concat()
}

/// Frames a detached signature made by OpenSSL as a multipart/signed message, CR LF
/// throughout, base64 by `openssl base64`.
fn openssl_ber_message(content: &[u8], p7s: &[u8], micalg: &str) -> Vec<u8> {
    let der = scratch("ber.p7s");
    std::fs::write(&der, p7s).unwrap();
    let out = openssl(&["base64", "-in", der.to_str().unwrap()]);
    assert!(out.status.success());
    let b64 = String::from_utf8(out.stdout).unwrap().replace('\n', "\r\n");
    let mut m = String::from_utf8(b"From: posta-certificata@pec.alfa.test\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=MICALG; boundary=\"----pecmail-test\"\r\n\r\n------pecmail-test\r\n".to_vec())
    .unwrap()
    .replace("MICALG", micalg)
    .into_bytes();
    m.extend_from_slice(content);
    m.extend_from_slice(b"\r\n------pecmail-test\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    m.extend_from_slice(b64.as_bytes());
    m.extend_from_slice(b"------pecmail-test--\r\n");
    m
}

#[test]
fn openssl_lf_output_needs_canonicalisation() {
    // Without -crlfeol OpenSSL writes LF line ends but signs the CR LF form (RFC 5751).
    let content = b"Content-Type: text/plain\r\n\r\nriga uno\r\nriga due\r\n";
    let message = openssl_sign(content, "openssl-lf", &["-md", "sha256"]);
    let strict = smime::verify(&message, &MessageVerifyOptions::default()).unwrap_err();
    assert_eq!(strict.kind(), ErrorKind::MalformedMime);
    let mut options = MessageVerifyOptions::default();
    options.split.canonicalize_line_endings = true;
    let v = smime::verify(&message, &options).unwrap();
    assert_eq!(v.diagnostics[0].code, DiagnosticCode::MimeLfLineEndings);
    assert_eq!(v.message.signed_content(), content);
}

#[test]
fn tampering_is_detected() {
    for backend in Backend::ALL {
        let (_, signer) = signers("alfa").into_iter().next().unwrap();
        let mut options = MessageSignOptions::default();
        options.cms.backend = *backend;
        let message = smime::prepare(
            HEAD,
            &entity("importo: 100 EUR"),
            b"t",
            &identity(signer.as_ref()),
            signing_time(),
            &options,
        )
        .unwrap()
        .sign_with(signer.as_ref())
        .unwrap()
        .into_vec();
        let vo = verify_options(*backend);

        // Content changed after signing.
        let text = String::from_utf8(message.clone()).unwrap();
        let altered = text.replacen("100 EUR", "900 EUR", 1);
        assert_eq!(
            smime::verify(altered.as_bytes(), &vo).unwrap_err().kind(),
            ErrorKind::DigestMismatch
        );

        // Signature value changed: find the base64 of the signature part and flip a char in
        // its last line before padding.
        let sig_start = text.rfind("filename=\"smime.p7s\"").unwrap();
        let body_start = sig_start + text[sig_start..].find("\r\n\r\n").unwrap() + 4;
        let end = text.rfind("\r\n--").unwrap();
        let mut bytes = message.clone();
        let at = (body_start..end)
            .rev()
            .find(|&i| bytes[i].is_ascii_alphanumeric() && i < end - 8)
            .unwrap();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let e = smime::verify(&bytes, &vo).unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::SignatureInvalid | ErrorKind::MalformedCms
            ),
            "{e}"
        );

        // Outer headers are not signed: changing them keeps the signature valid.
        let relabeled = text.replacen("Subject: prova", "Subject: altro", 1);
        assert!(smime::verify(relabeled.as_bytes(), &vo).is_ok());
    }
}

#[test]
fn finish_refuses_a_signature_from_another_key() {
    let (_, alfa) = signers("alfa").into_iter().next().unwrap();
    let (_, beta) = signers("beta").into_iter().next().unwrap();
    let x = entity("x");
    let pending = smime::prepare(
        HEAD,
        &x,
        b"s",
        &identity(alfa.as_ref()),
        signing_time(),
        &MessageSignOptions::default(),
    )
    .unwrap();
    // Beta signs the same bytes with its own key.
    let wrong = beta.sign(&pending.request()).unwrap();
    assert_eq!(
        pending.finish(&wrong).unwrap_err().kind(),
        ErrorKind::SignatureInvalid
    );

    let pending = smime::prepare(
        HEAD,
        &x,
        b"s",
        &identity(alfa.as_ref()),
        signing_time(),
        &MessageSignOptions::default(),
    )
    .unwrap();
    assert_eq!(
        pending.finish(&[0u8; 256]).unwrap_err().kind(),
        ErrorKind::SignatureInvalid
    );
    let pending = smime::prepare(
        HEAD,
        &x,
        b"s",
        &identity(alfa.as_ref()),
        signing_time(),
        &MessageSignOptions::default(),
    )
    .unwrap();
    assert_eq!(
        pending.sign_with(beta.as_ref()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

/// The software signers are trusted to check their own signatures, so each must refuse, when
/// it is made, a key that is not its certificate's.
#[cfg(any(feature = "rsa-signer", feature = "aws-lc"))]
#[test]
fn software_signers_refuse_a_key_that_is_not_their_certificates() {
    type Make = fn(&[u8], Vec<u8>, Vec<Vec<u8>>) -> Result<Box<dyn Signer>, pecmail::Error>;
    let makers: Vec<(&str, Make)> = vec![
        #[cfg(feature = "rsa-signer")]
        ("rsa", |k, c, ch| {
            pecmail::cms::RsaSigner::from_pkcs8_der(k, c, ch).map(|s| Box::new(s) as _)
        }),
        #[cfg(feature = "aws-lc")]
        ("aws-lc", |k, c, ch| {
            pecmail::cms::AwsLcSigner::from_pkcs8_der(k, c, ch).map(|s| Box::new(s) as _)
        }),
    ];
    for (name, make) in makers {
        let Err(err) = make(&pki("beta.key.der"), pki("alfa.der"), vec![pki("ca1.der")]) else {
            panic!("{name}: beta's key was accepted with alfa's certificate")
        };
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}");
        assert!(
            err.to_string().contains("not the key of the certificate"),
            "{name}: {err}"
        );
        let good = make(&pki("alfa.key.der"), pki("alfa.der"), vec![pki("ca1.der")]).unwrap();
        assert!(good.checks_own_signatures(), "{name}");
    }
}

/// A signer whose device fails: the error keeps the device's own error as its source.
struct BrokenHsm {
    certificate: Vec<u8>,
}

#[derive(Debug)]
struct DeviceError;

impl std::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CKR_DEVICE_REMOVED")
    }
}

impl std::error::Error for DeviceError {}

impl pecmail::cms::Signer for BrokenHsm {
    fn algorithm(&self) -> pecmail::cms::SignatureAlgorithm {
        pecmail::cms::SignatureAlgorithm::RsaPkcs1Sha256
    }
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }
    fn chain(&self) -> &[Vec<u8>] {
        &[]
    }
    fn sign(
        &self,
        _: &pecmail::cms::SignRequest<'_>,
    ) -> Result<Vec<u8>, pecmail::cms::SignerError> {
        Err(pecmail::cms::SignerError::with_source(
            "token gone",
            DeviceError,
        ))
    }
}

#[test]
fn signer_failure_keeps_its_source() {
    let hsm = BrokenHsm {
        certificate: pki("alfa.der"),
    };
    let x = entity("x");
    let pending = smime::prepare(
        HEAD,
        &x,
        b"s",
        &SigningIdentity::new(&hsm.certificate, &[]).unwrap(),
        signing_time(),
        &MessageSignOptions::default(),
    )
    .unwrap();
    let e = pending.sign_with(&hsm).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignerFailed);
    let source = std::error::Error::source(&e).unwrap();
    assert_eq!(source.to_string(), "token gone");
    assert_eq!(source.source().unwrap().to_string(), "CKR_DEVICE_REMOVED");
}

#[test]
fn prepare_validates_its_inputs() {
    let id = SigningIdentity::new(&pki("alfa.der"), &[pki("ca1.der")]).unwrap();
    let o = MessageSignOptions::default();
    let t = signing_time();
    let cases: Vec<(&[u8], Vec<u8>, &str)> = vec![
        (b"From: a\nTo: b\r\n", entity("x"), "head"),
        (
            HEAD,
            b"Content-Type: text/plain\n\nbare LF\n".to_vec(),
            "entity",
        ),
        (b"MIME-Version: 1.0\r\n", entity("x"), "head"),
        (b"From: a", entity("x"), "head"),
    ];
    for (head, entity, field) in cases {
        let e = smime::prepare(head, &entity, b"s", &id, t, &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{field}: {e}");
        assert!(e.message().starts_with(field), "{field}: {e}");
    }
    let e = SigningIdentity::new(b"not a certificate", &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().starts_with("certificate"), "{e}");
    let e = SigningIdentity::new(&pki("alfa.der"), &[b"junk".to_vec()]).unwrap_err();
    assert!(e.message().starts_with("chain certificate 0"), "{e}");
    let mut bad = o.clone();
    bad.cms.signature_algorithm = SignatureAlgorithmId::Sha1WithRsaEncryption;
    let e = smime::prepare(HEAD, &entity("x"), b"s", &id, t, &bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn small_keys_need_the_option() {
    // OpenSSL signs with a fresh 1024-bit key and a self-signed certificate.
    let key = scratch("rsa1024.key");
    let cert = scratch("rsa1024.pem");
    let out = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
        "-subj",
        "/CN=old provider",
        "-days",
        "3650",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = scratch("rsa1024.in");
    std::fs::write(&input, b"Content-Type: text/plain\r\n\r\nvecchio\r\n").unwrap();
    let output = scratch("rsa1024.eml");
    let out = openssl(&[
        "cms",
        "-sign",
        "-md",
        "sha1",
        "-crlfeol",
        "-in",
        input.to_str().unwrap(),
        "-signer",
        cert.to_str().unwrap(),
        "-inkey",
        key.to_str().unwrap(),
        "-out",
        output.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = std::fs::read(output).unwrap();
    let e = smime::verify(&message, &MessageVerifyOptions::default()).unwrap_err();
    // It verifies; the key size is refused by policy (not a tampered message).
    assert_eq!(e.kind(), ErrorKind::PolicyRefused);
    let mut options = MessageVerifyOptions::default();
    options.cms.min_rsa_bits = 1024;
    let v = smime::verify(&message, &options).unwrap();
    let codes: Vec<DiagnosticCode> = v.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            DiagnosticCode::SmimeSignatureLf,
            DiagnosticCode::CmsSha1,
            DiagnosticCode::CmsWeakKey
        ]
    );
}
