//! The signatures of the real provider messages in `../shared/corpus`, verified in place with
//! every backend: every `valid` row of `manifest.tsv` verifies cryptographically (trust aside),
//! every `invalid` row fails with a digest or signature error, every other row fails with a
//! clear error, and nothing panics. The table says which option each row needs and why.

mod common;

use pecmail::smime::{self, MessageVerifyOptions};
use pecmail::{Backend, DigestAlgorithm, ErrorKind};

/// What a corpus row needs and gives.
enum Expect {
    /// Verifies with the digest; `lf`: stored with bare LF line ends, so it needs
    /// `canonicalize_line_endings`; `rsa1024`: signed in 2014 with a 1024-bit key, so it
    /// needs `min_rsa_bits = 1024`.
    Valid {
        digest: DigestAlgorithm,
        lf: bool,
        rsa1024: bool,
    },
    /// Fails with this error (with line ends canonicalised, so that the failure is about the
    /// signature and not the storage).
    Fails(ErrorKind),
}

use DigestAlgorithm::{Sha1, Sha256};
use Expect::{Fails, Valid};

fn expected(path: &str) -> Expect {
    match path {
        // Aruba 2014 (DigitPA era): 1024-bit key, SHA-1; message1/message2 stored with LF.
        "OCA+l10n-italy/7.0/message1" | "OCA+l10n-italy/7.0/message2" => Valid {
            digest: Sha1,
            lf: true,
            rsa1024: true,
        },
        "OCA+l10n-italy/7.0/message2_accettazione" | "OCA+l10n-italy/7.0/message2_consegna" => {
            Valid {
                digest: Sha1,
                lf: false,
                rsa1024: true,
            }
        }
        // Aruba and Sogei 2018, stored with LF by the repository.
        "OCA+l10n-italy/12.0/ACCETTAZIONE_ IT03339130126_00009.xml.txt"
        | "OCA+l10n-italy/12.0/CONSEGNA_ IT03339130126_00009.xml.txt"
        | "OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Invio File 7339338.txt"
        | "OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Ricevuta di consegna 6782414.txt"
        | "fabioportieri+java-pec-parser/[XDCR] xdcr_2022_02_00583.txt.eml" => Valid {
            digest: Sha1,
            lf: true,
            rsa1024: false,
        },
        // TIM 2019: mixed line ends, BER CMS.
        "3dinformatica+docway-msa/erroreParsingEccezioneXML.eml" => Valid {
            digest: Sha1,
            lf: true,
            rsa1024: false,
        },
        // Register.it 2018 (micalg=sha256) and Sogei 2019: CR LF, SHA-256.
        "3dinformatica+docway-msa/daticertEncoding2.eml"
        | "3dinformatica+docway-msa/fattura_passiva_privati_1.eml"
        | "3dinformatica+docway-msa/fattura_passiva_privati_2.eml" => Valid {
            digest: Sha256,
            lf: false,
            rsa1024: false,
        },
        // Aruba 2018, CR LF, SHA-1; segnatura-tags has an edited outer Subject, which the
        // signature does not cover.
        "3dinformatica+docway-msa/segnatura-tags.eml"
        | "3dinformatica+docway-msa/segnatura_allegati_non_validi.eml"
        | "3dinformatica+docway-msa/segnatura_solo_testo.eml" => Valid {
            digest: Sha1,
            lf: false,
            rsa1024: false,
        },
        // Tampered by the repository authors: content changed after signing.
        "OCA+l10n-italy/14.0/POSTA CERTIFICATA_ Invio File 7339338.txt"
        | "OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Invio File 7339338 (base64).txt"
        | "OCA+l10n-italy/12.0/POSTA CERTIFICATA_ Invio File 7339338 (broken XML).txt"
        | "OCA+l10n-italy/12.0/POSTA CERTIFICATA_mancata_consegna.txt" => {
            Fails(ErrorKind::DigestMismatch)
        }
        // A mailing list wrapped the signed message in multipart/mixed; the inner entity is
        // checked below.
        "linux-mailinglist-archives+osst-users.lists.sourceforge.net.0/6919bccf0cd20737872e16ce245107b3148b8313/m" => {
            Fails(ErrorKind::MalformedMime)
        }
        // Extracted postacert.eml, not signed messages.
        "toniorusso+pec-parser/postacert.eml" | "toniorusso+pec-parser/postacertnoattach.eml" => {
            Fails(ErrorKind::MalformedMime)
        }
        // Anonymised with a placeholder signature "MII...njA==".
        "danzipie+go-pec/accettazione.eml"
        | "danzipie+go-pec/consegna.eml"
        | "danzipie+go-pec/email_2.eml"
        | "danzipie+go-pec/email_3.eml" => Fails(ErrorKind::MalformedCms),
        // Truncated: the signature part and the close delimiter are missing.
        "biagioT+java-pec-parser/accettazione.eml" | "biagioT+java-pec-parser/consegna.eml" => {
            Fails(ErrorKind::MalformedMime)
        }
        other => panic!("corpus row {other:?} has no expectation: add one"),
    }
}

fn options(backend: Backend, lf: bool, rsa1024: bool) -> MessageVerifyOptions {
    let mut o = MessageVerifyOptions::default();
    o.cms.backend = backend;
    o.split.canonicalize_line_endings = lf;
    if rsa1024 {
        o.cms.min_rsa_bits = 1024;
    }
    o
}

#[test]
fn every_corpus_signature_gets_its_verdict() {
    let Some(corpus) = common::corpus_dir() else {
        common::skip_without_corpus("every_corpus_signature_gets_its_verdict");
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("manifest.tsv")).unwrap();
    let mut valid = 0;
    for row in manifest.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (path, openssl) = (cols[0], cols[3]);
        let bytes = std::fs::read(corpus.join(path)).unwrap();
        let expect = expected(path);
        // The table must agree with OpenSSL's verdict in the manifest.
        match (&expect, openssl) {
            (Valid { .. }, "valid") | (Fails(ErrorKind::DigestMismatch), "invalid") => {}
            (Fails(_), "nested" | "absent" | "unparsable") => {}
            _ => panic!("{path}: expectation disagrees with OpenSSL's {openssl:?}"),
        }
        for backend in Backend::ALL {
            match expect {
                Valid {
                    digest,
                    lf,
                    rsa1024,
                } => {
                    let v = smime::verify(&bytes, &options(*backend, lf, rsa1024))
                        .unwrap_or_else(|e| panic!("{path} ({}): {e}", backend.name()));
                    assert_eq!(v.signature.digest_algorithm, digest, "{path}");
                    assert!(!v.signature.signer.email_addresses.is_empty(), "{path}");
                    // The options are needed, not just allowed: without them it fails.
                    if lf || rsa1024 {
                        assert!(smime::verify(&bytes, &options(*backend, false, false)).is_err());
                    }
                    valid += 1;
                }
                Fails(kind) => {
                    let e = smime::verify(&bytes, &options(*backend, true, true)).expect_err(path);
                    assert_eq!(e.kind(), kind, "{path}: {e}");
                }
            }
        }
    }
    assert_eq!(valid, 16 * Backend::ALL.len(), "16 rows verify");
}

#[test]
fn the_embedded_namirial_entity_verifies() {
    let Some(corpus) = common::corpus_dir() else {
        common::skip_without_corpus("the_embedded_namirial_entity_verifies");
        return;
    };
    let path = corpus.join("_extracted-signed-entity/linux-mailinglist-archives+osst-users.lists.sourceforge.net.0/6919bccf0cd20737872e16ce245107b3148b8313/m.signed-entity.eml");
    let bytes = std::fs::read(path).unwrap();
    for backend in Backend::ALL {
        let v = smime::verify(&bytes, &options(*backend, true, false)).unwrap();
        assert_eq!(v.signature.digest_algorithm, Sha1);
        assert_eq!(
            v.signature.signer.email_addresses,
            ["posta-certificata@sicurezzapostale.it"]
        );
        assert_eq!(
            v.signature.signer.sha1_fingerprint, "61A9E2865EEEE6C42CB8756B86567337C64CDEC3",
            "the thumbprint the spec records for Namirial"
        );
    }
}
