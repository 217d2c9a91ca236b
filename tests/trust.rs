//! Trust verdicts: each certificate of the test PKI gets its own, by the index path and by the
//! chain path, with every backend; real provider certificates chain to their AgID CA.

mod common;

use common::{TEST_TIME_UNIX, pki, signers};
use postacert::cms::SigningIdentity;
use postacert::smime::{self, MessageSignOptions, MessageVerifyOptions};
use postacert::trust::{Provider, TrustOptions, TrustPath, TrustStore, TrustVerdict};
use postacert::{Backend, PecTime};

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

fn verdict(store: &TrustStore, name: &str, backend: Backend) -> postacert::trust::TrustReport {
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
            "CN=postacert Test AgID CA1,OU=Area PEC,O=postacert test,L=Roma,C=IT".into(),
            "CN=postacert Test Root CA,O=postacert test,C=IT".into(),
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
