//! Trust verdicts: each certificate of the test PKI gets its own, by the index path and by the
//! chain path, with every backend; real provider certificates chain to their AgID CA.

mod common;

use common::{TEST_TIME_UNIX, pki, signers};
use pecmail::cms::SigningIdentity;
use pecmail::smime::{self, MessageSignOptions, MessageVerifyOptions};
use pecmail::trust::{Provider, TrustOptions, TrustPath, TrustStore, TrustVerdict};
use pecmail::{Backend, PecTime};

fn at() -> PecTime {
    PecTime::from_unix(TEST_TIME_UNIX, 120).unwrap()
}

fn alfa_provider() -> Provider {
    Provider::new("Alfa PEC S.p.A.")
        .with_certificate(pki("alfa.der"))
        .with_domain("pec.alfa.test")
        .with_service_address("posta-certificata@pec.alfa.test")
}

fn beta_provider() -> Provider {
    Provider::new("Beta Posta S.r.l.")
        .with_certificate(pki("beta.der"))
        .with_domain("PEC.Beta.Test")
}

/// A store that knows the providers and the test root.
fn full_store() -> TrustStore {
    let mut s = TrustStore::new();
    s.add_provider(alfa_provider()).unwrap();
    s.add_provider(beta_provider()).unwrap();
    s.add_anchor(&pki("root.der")).unwrap();
    s.add_intermediate(&pki("ca1.der")).unwrap();
    s
}

/// A store with anchors only, as a client without index access has.
fn anchor_store() -> TrustStore {
    let mut s = TrustStore::new();
    s.add_anchor(&pki("root.der")).unwrap();
    s
}

fn options(backend: Backend) -> TrustOptions {
    let mut o = TrustOptions::default();
    o.backend = backend;
    o
}

fn verdict(store: &TrustStore, name: &str, backend: Backend) -> pecmail::trust::TrustReport {
    // The chain the message would carry.
    store.assess_certificate(
        &pki(&format!("{name}.der")),
        &[pki("ca1.der")],
        at(),
        &options(backend),
    )
}

#[test]
fn each_test_certificate_gets_its_own_verdict() {
    for backend in Backend::ALL {
        for store in [full_store(), anchor_store()] {
            let expect = [
                ("alfa", TrustVerdict::Trusted),
                ("beta", TrustVerdict::Trusted),
                ("expired", TrustVerdict::Expired),
                ("rogue", TrustVerdict::UnknownIssuer),
                ("outside", TrustVerdict::NameConstraintViolation),
                ("personal", TrustVerdict::NotAProvider),
            ];
            for (name, want) in expect {
                let r = verdict(&store, name, *backend);
                assert_eq!(r.verdict, want, "{name} ({}): {}", backend.name(), r.detail);
            }
        }
    }
}

#[test]
fn the_report_is_structured() {
    let r = verdict(&full_store(), "alfa", Backend::default());
    assert_eq!(r.verdict, TrustVerdict::Trusted);
    assert_eq!(r.provider.as_ref().unwrap().name, "Alfa PEC S.p.A.");
    assert_eq!(
        r.path,
        TrustPath::IndexAndChain(vec![
            "CN=Posta Certificata Alfa PEC S.p.A.,O=Alfa PEC S.p.A.,C=IT".into(),
            "CN=pecmail Test AgID CA1,OU=Area PEC,O=pecmail test,L=Roma,C=IT".into(),
            "CN=pecmail Test Root CA,O=pecmail test,C=IT".into(),
        ])
    );
    assert_eq!(
        r.certificate.email_addresses,
        ["posta-certificata@pec.alfa.test"]
    );
    assert_eq!(r.certificate.sha1_fingerprint.len(), 40);
    assert_eq!(r.certificate.sha256_fingerprint.len(), 64);
    assert_eq!(r.certificate.not_before.day(), "01/01/2024");
    assert_eq!(r.at, at());

    // On the chain path the provider comes from the address domain (any case).
    let mut s = anchor_store();
    s.add_provider(Provider::new("Beta Posta S.r.l.").with_domain("pec.beta.test"))
        .unwrap();
    let r = verdict(&s, "beta", Backend::default());
    assert_eq!(r.verdict, TrustVerdict::Trusted);
    assert_eq!(r.provider.unwrap().name, "Beta Posta S.r.l.");
    assert!(matches!(r.path, TrustPath::Chain(ref c) if c.len() == 3));
}

#[test]
fn the_index_path_works_without_anchors() {
    let mut s = TrustStore::new();
    s.add_provider(alfa_provider().with_certificate(pki("expired.der")))
        .unwrap();
    for backend in Backend::ALL {
        let r = verdict(&s, "alfa", *backend);
        assert_eq!(
            (r.verdict, r.path),
            (TrustVerdict::Trusted, TrustPath::Index)
        );
        // The old certificate of a rollover is still in the index but has expired.
        assert_eq!(
            verdict(&s, "expired", *backend).verdict,
            TrustVerdict::Expired
        );
        // Not in the index and nothing to chain to.
        assert_eq!(
            verdict(&s, "beta", *backend).verdict,
            TrustVerdict::UnknownIssuer
        );
    }
    // Searching by providerCertificateHash, any case.
    let sha1 = verdict(&s, "alfa", Backend::default())
        .certificate
        .sha1_fingerprint;
    assert_eq!(
        s.provider_by_certificate_hash(&sha1.to_lowercase())
            .unwrap()
            .name,
        "Alfa PEC S.p.A."
    );
    assert!(s.provider_by_certificate_hash("00").is_none());
}

#[test]
fn time_decides_validity() {
    let s = full_store();
    let o = options(Backend::default());
    let when = |y| PecTime::from_parts(y, 6, 1, 0, 0, 0, 0).unwrap();
    let assess = |name: &str, t| {
        s.assess_certificate(&pki(&format!("{name}.der")), &[pki("ca1.der")], t, &o)
            .verdict
    };
    assert_eq!(assess("expired", when(2021)), TrustVerdict::Trusted);
    assert_eq!(assess("alfa", when(2021)), TrustVerdict::NotYetValid);
    assert_eq!(assess("alfa", when(2040)), TrustVerdict::Expired);
}

#[test]
fn the_pec_ca_itself_can_be_the_anchor() {
    // A client that trusts AgID CA1 directly: its name constraints still apply.
    let mut s = TrustStore::new();
    s.add_anchor(&pki("ca1.der")).unwrap();
    let o = options(Backend::default());
    let v = |name: &str| {
        s.assess_certificate(&pki(&format!("{name}.der")), &[], at(), &o)
            .verdict
    };
    assert_eq!(v("alfa"), TrustVerdict::Trusted);
    assert_eq!(v("outside"), TrustVerdict::NameConstraintViolation);
    assert_eq!(v("personal"), TrustVerdict::UnknownIssuer);
}

#[test]
fn a_missing_intermediate_means_no_chain() {
    let s = anchor_store();
    let r = s.assess_certificate(&pki("alfa.der"), &[], at(), &options(Backend::default()));
    assert_eq!(r.verdict, TrustVerdict::UnknownIssuer);
    assert!(r.detail.contains("no chain"), "{}", r.detail);
}

#[test]
fn garbage_is_an_invalid_chain_not_a_panic() {
    let r = full_store().assess_certificate(
        b"not DER",
        &[b"x".to_vec()],
        at(),
        &TrustOptions::default(),
    );
    assert_eq!(r.verdict, TrustVerdict::InvalidChain);
}

#[test]
fn signed_message_to_trust_verdict() {
    for (_, signer) in signers("beta") {
        let message = smime::prepare(
            b"From: posta-certificata@pec.beta.test\r\n",
            b"Content-Type: text/plain\r\n\r\nciao\r\n",
            b"seed",
            &SigningIdentity::new(signer.certificate(), signer.chain()).unwrap(),
            at(),
            &MessageSignOptions::default(),
        )
        .unwrap()
        .sign_with(signer.as_ref())
        .unwrap()
        .into_vec();
        let v = smime::verify(&message, &MessageVerifyOptions::default()).unwrap();
        let r = full_store().assess(&v.signature, at(), &TrustOptions::default());
        assert_eq!(r.verdict, TrustVerdict::Trusted, "{}", r.detail);
        assert_eq!(r.provider.unwrap().name, "Beta Posta S.r.l.");
    }
}

#[test]
fn real_provider_certificates_chain_to_their_agid_ca() {
    let Some(corpus) = common::corpus_dir() else {
        common::skip_without_corpus("real_provider_certificates_chain_to_their_agid_ca");
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("manifest.tsv")).unwrap();
    let mut checked = 0;
    for row in manifest.lines().skip(1).filter(|r| r.ends_with("\tvalid")) {
        let path = row.split('\t').next().unwrap();
        let bytes = std::fs::read(corpus.join(path)).unwrap();
        let mut vo = MessageVerifyOptions::default();
        vo.split.canonicalize_line_endings = true;
        vo.cms.min_rsa_bits = 1024;
        let v = smime::verify(&bytes, &vo).unwrap();
        // The CA certificate the message carries (AgID CA1, or DigitPA CA1 in 2014) is the
        // anchor; the check runs at the signing time.
        let mut store = TrustStore::new();
        for c in v
            .signature
            .certificates
            .iter()
            .filter(|c| **c != v.signature.signer.der)
        {
            store.add_anchor(c).unwrap();
        }
        let mut to = TrustOptions::default();
        to.min_rsa_bits = 1024;
        let r = store.assess(&v.signature, v.signature.signing_time.unwrap(), &to);
        assert_eq!(r.verdict, TrustVerdict::Trusted, "{path}: {}", r.detail);
        // And years later the provider certificate has expired.
        let later = PecTime::from_parts(2040, 1, 1, 0, 0, 0, 0).unwrap();
        assert_eq!(
            store.assess(&v.signature, later, &to).verdict,
            TrustVerdict::Expired
        );
        checked += 1;
    }
    assert_eq!(checked, 16);
}

/// Base64 at 76 columns, folded as LDIF folds (a continuation line begins with one space).
fn ldif_base64(name: &str, der: &[u8]) -> String {
    let s = common::base64(der);
    let line = format!("{name}:: {s}");
    let mut out = String::new();
    for (i, piece) in line.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.push_str("\n ");
        }
        out.push_str(std::str::from_utf8(piece).unwrap());
    }
    out.push('\n');
    out
}

fn sha1_hex(der: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The index of the test PKI as the provider index publishes it: the root entry, Alfa and
/// Beta (upper-case hash, mixed-case domain, a comment, CR LF line ends for Beta), and a
/// `providerUnit` entry for Beta's test environment.
fn test_pki_ldif() -> String {
    let mut l = String::from(
        "version: 1\n# Indice dei gestori di PEC (test PKI)\n\ndn: o=postacert\n\
objectclass: top\nobjectclass: organization\nobjectclass: LDIFLocationURLObject\n\
o: postacert\n\n",
    );
    l.push_str(
        "dn: providerName=Alfa PEC S.p.A.,o=postacert\nobjectclass: top\nobjectclass: provider\n\
providerName: Alfa PEC S.p.A.\nmailReceipt: posta-certificata@pec.alfa.test\n\
managedDomains: pec.alfa.test\nLDIFLocationURL: https://pec.alfa.test/indice.ldif.p7m\n",
    );
    l.push_str(&format!(
        "providerCertificateHash: {}\n",
        sha1_hex(&pki("alfa.der")).to_lowercase()
    ));
    l.push_str(&ldif_base64("providerCertificate;binary", &pki("alfa.der")));
    l.push('\n');
    let beta = format!(
        "dn: providerName=Beta Posta S.r.l.,o=postacert\nobjectclass: provider\n\
providerName: Beta Posta S.r.l.\nmailReceipt: posta-certificata@pec.beta.test\n\
managedDomains: PEC.Beta.Test\nprovidercertificatehash: {}\n{}\n\
dn: providerUnit=collaudo,providerName=Beta Posta S.r.l.,o=postacert\n\
objectclass: provider\nproviderName: Beta Posta S.r.l.\nproviderUnit: collaudo\n\
mailReceipt: posta-certificata@collaudo.beta.test\nmanagedDomains: collaudo.beta.test\n\
providerCertificateHash: {}\n{}",
        sha1_hex(&pki("beta.der")),
        ldif_base64("providerCertificate;binary", &pki("beta.der")),
        sha1_hex(&pki("beta.der")),
        ldif_base64("providerCertificate;binary", &pki("beta.der")),
    );
    l.push_str(&beta.replace('\n', "\r\n"));
    l
}

#[test]
fn an_index_from_the_test_pki_gives_the_hand_built_stores_verdicts() {
    use pecmail::trust::{IndexOptions, ProviderIndex};
    let index = ProviderIndex::parse(test_pki_ldif().as_bytes(), &IndexOptions::default()).unwrap();
    assert!(index.diagnostics.is_empty(), "{:?}", index.diagnostics);
    assert_eq!(index.providers.len(), 3);
    let alfa = &index.providers[0];
    assert_eq!(alfa.name, "Alfa PEC S.p.A.");
    assert_eq!(alfa.certificates, [pki("alfa.der")]);
    assert_eq!(
        alfa.service_address.as_deref(),
        Some("posta-certificata@pec.alfa.test")
    );
    assert_eq!(
        alfa.ldif_location.as_deref(),
        Some("https://pec.alfa.test/indice.ldif.p7m")
    );
    assert_eq!(index.providers[2].unit.as_deref(), Some("collaudo"));

    let mut from_index = TrustStore::new();
    from_index.add_index(&index).unwrap();
    from_index.add_anchor(&pki("root.der")).unwrap();
    from_index.add_intermediate(&pki("ca1.der")).unwrap();
    let by_hand = full_store();
    for backend in Backend::ALL {
        for name in ["alfa", "beta", "expired", "outside", "personal", "rogue"] {
            let a = verdict(&from_index, name, *backend);
            let b = verdict(&by_hand, name, *backend);
            assert_eq!(a.verdict, b.verdict, "{name}: {} / {}", a.detail, b.detail);
            assert_eq!(
                a.provider.as_ref().map(|p| &p.name),
                b.provider.as_ref().map(|p| &p.name),
                "{name}"
            );
        }
    }
    // Hashes and domains without case.
    assert!(
        from_index
            .provider_by_certificate_hash(&sha1_hex(&pki("alfa.der")))
            .is_some()
    );
    assert_eq!(
        from_index
            .provider_for_domain("pec.BETA.test")
            .unwrap()
            .name,
        "Beta Posta S.r.l."
    );
}

#[test]
fn an_index_hash_that_matches_no_certificate_is_reported() {
    use pecmail::trust::{IndexOptions, ProviderIndex};
    let ldif = test_pki_ldif().replacen(
        &sha1_hex(&pki("alfa.der")).to_lowercase(),
        "0000000000000000000000000000000000000000",
        1,
    );
    let index = ProviderIndex::parse(ldif.as_bytes(), &IndexOptions::default()).unwrap();
    let codes: Vec<&str> = index.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["index-hash-mismatch", "index-hash-mismatch"]);
    assert!(index.diagnostics[0].detail.contains("not listed"));
    assert!(index.diagnostics[1].detail.contains("matches none"));
}

#[test]
fn a_broken_certificate_in_the_index_names_its_line() {
    use pecmail::trust::{IndexOptions, ProviderIndex};
    let ldif = "dn: providerName=X,o=postacert\nobjectclass: provider\nproviderName: X\n\
mailReceipt: posta-certificata@pec.x.test\nmanagedDomains: pec.x.test\n\
providerCertificateHash: 0000000000000000000000000000000000000000\n\
providerCertificate;binary:: AAAA\n";
    let e = ProviderIndex::parse(ldif.as_bytes(), &IndexOptions::default()).unwrap_err();
    assert_eq!(e.kind(), pecmail::ErrorKind::MalformedIndex);
    assert!(e.to_string().contains("line 7"), "{e}");
}
