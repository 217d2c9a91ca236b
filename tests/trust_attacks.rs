//! What a stolen, expired or revoked provider key cannot buy (issue 14), tried as an attacker
//! would: backdated claims, revoked keys, certificates outside the provider profile, a
//! provider certifying another's mailbox. Each case starts from a message of the fixture
//! set, forged with a key of the test PKI (`tests/fixtures/pki`, whose README says what
//! OpenSSL makes of every file).

mod common;

use common::forge::*;
use common::messages::{self, ANNA};
use common::{now, openssl, pki, pki_path, scratch, signers};
use pecmail::build::{BuildOptions, Delivery, EmittingProvider, MessageKind};
use pecmail::cms::SigningIdentity;
use pecmail::daticert::ReceiptKind;
use pecmail::read::{PecMessage, ReadOptions, SignatureStatus, read};
use pecmail::trust::{
    Provider, RevocationPolicy, RevocationStatus, TimeBasis, TrustOptions, TrustStore,
    TrustVerdict, ValidationTime,
};
use pecmail::{DiagnosticCode, ErrorKind, PecTime};

use DiagnosticCode::*;

use common::messages::fixture;

use common::messages::fixture_message as message;

/// 2021-06-01 10:00:00 +0200: inside the validity of `expired` (2020 to 2022).
fn in_2021() -> PecTime {
    PecTime::from_parts(2021, 6, 1, 10, 0, 0, 120).unwrap()
}

/// The index as it once listed Alfa's 2020 key, beside today's entries and the root.
fn index_store() -> TrustStore {
    let mut s = messages::store();
    s.add_provider(
        Provider::new("Alfa PEC S.p.A. (2020)")
            .with_certificate(pki("expired.der"))
            .with_domain("pec.alfa.test"),
    )
    .unwrap();
    s
}

/// What a client without the index has: the PEC CA's root.
fn anchor_store() -> TrustStore {
    let mut s = TrustStore::new();
    s.add_anchor(&pki("root.der")).unwrap();
    s
}

fn codes(m: &PecMessage<'_>) -> Vec<DiagnosticCode> {
    m.diagnostics.iter().map(|d| d.code).collect()
}

fn verdict(m: &PecMessage<'_>) -> TrustVerdict {
    m.trust.as_ref().expect("a trust report").verdict
}

/// The acceptance, as the holder of the expired 2020 key would send it today: daticert,
/// `Date:` and the CMS signingTime all put back to 2021, inside the key's validity.
fn backdated_with_expired_key() -> Vec<u8> {
    let bytes = set_header(
        &message("acceptance"),
        "Date",
        "Tue, 01 Jun 2021 10:00:00 +0200",
    );
    resign_at(&bytes, "expired", in_2021(), |e| {
        edit_daticert(e, |x| {
            x.replace("<giorno>01/06/2026</giorno>", "<giorno>01/06/2021</giorno>")
        })
    })
}

#[test]
fn an_expired_key_that_backdates_everything_is_not_trusted_now() {
    let forged = backdated_with_expired_key();
    for (name, store) in [("index", index_store()), ("anchor", anchor_store())] {
        let m = read(&forged, &store, now(), &ReadOptions::strict()).unwrap();
        assert_eq!(m.signature, SignatureStatus::Valid, "{name}");
        assert_eq!(verdict(&m), TrustVerdict::Expired, "{name}");
        assert!(!m.is_valid(), "{name}");
        assert!(codes(&m).contains(&PecUntrusted), "{name}");
        // The claims agree with each other: only the caller's time exposes it.
        assert!(
            !codes(&m).contains(&PecTimeMismatch),
            "{name}: {:?}",
            m.diagnostics
        );

        // An archive may ask for the claimed time, explicitly: never plain trusted.
        let m = read(
            &forged,
            &store,
            ValidationTime::Claimed,
            &ReadOptions::strict(),
        )
        .unwrap();
        let t = m.trust.as_ref().unwrap();
        assert_eq!(t.verdict, TrustVerdict::TrustedAtClaimedTime, "{name}");
        assert_eq!(t.time_basis, TimeBasis::Claimed, "{name}");
        assert_eq!(t.at.unix_seconds(), in_2021().unix_seconds(), "{name}");
        assert!(!m.is_valid(), "{name}");
        assert!(codes(&m).contains(&TrustClaimedTime), "{name}");
        assert!(!codes(&m).contains(&PecUntrusted), "{name}");
        assert_eq!(m.trust_status(), "untrusted", "{name}");
    }
}

#[test]
fn a_signing_time_that_disagrees_with_the_signed_data_is_an_error() {
    // Alfa's valid key, a signingTime of 2021 over a daticert of 2026.
    let forged = resign_at(&message("acceptance"), "alfa", in_2021(), |e| e);
    let m = read(&forged, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert_eq!(verdict(&m), TrustVerdict::Trusted);
    assert!(codes(&m).contains(&PecTimeMismatch), "{:?}", m.diagnostics);
    assert!(!m.is_valid());
    // A Date header years away from the daticert likewise (its own code).
    let forged = set_header(
        &message("acceptance"),
        "Date",
        "Tue, 01 Jun 2021 10:00:00 +0200",
    );
    let m = read(&forged, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert!(codes(&m).contains(&PecDateMismatch), "{:?}", m.diagnostics);
    // Within the tolerance (five minutes by default) it is not.
    let forged = resign_at(&message("acceptance"), "alfa", messages::at(240), |e| e);
    let m = read(&forged, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    assert!(m.is_valid(), "{:?}", m.diagnostics);
    let mut tight = ReadOptions::strict();
    tight.claimed_time_tolerance = 60;
    let m = read(&forged, &messages::store(), now(), &tight).unwrap();
    assert!(codes(&m).contains(&PecTimeMismatch));
}

/// The acceptance's signed entity with daticert at 2021, signed by `openssl cms -sign`
/// with the expired key and `-noattr`: no signed attributes, so no signingTime at all.
fn backdated_by_openssl_without_attributes() -> Vec<u8> {
    backdated_by_openssl(&["-noattr"])
}

/// The acceptance with daticert and `Date:` at 2021, signed by OpenSSL with the expired key
/// and the extra `flags`.
fn backdated_by_openssl(flags: &[&str]) -> Vec<u8> {
    let fixture = message("acceptance");
    // The daticert edit, by way of a re-signing whose signature is thrown away.
    let edited = resign_at(&fixture, "alfa", messages::at(0), |e| {
        edit_daticert(e, |x| {
            x.replace("<giorno>01/06/2026</giorno>", "<giorno>01/06/2021</giorno>")
        })
    });
    let split = pecmail::mime::SignedMessage::parse(&edited, &Default::default()).unwrap();
    // Files of their own: the tests that call this run in parallel.
    let tag = flags.concat();
    let entity = scratch(&format!("backdated{tag}-entity.eml"));
    std::fs::write(&entity, split.signed_content()).unwrap();
    let signed = scratch(&format!("backdated{tag}-signed.eml"));
    let mut args = vec!["cms", "-sign"];
    args.extend_from_slice(flags);
    let out = openssl(
        &[
            args.as_slice(),
            &[
                "-binary",
                "-crlfeol",
                "-md",
                "sha256",
                "-in",
                entity.to_str().unwrap(),
                "-signer",
                &pki_path("expired.pem"),
                "-inkey",
                &pki_path("expired.key"),
                "-certfile",
                &pki_path("ca1.pem"),
                "-out",
                signed.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // OpenSSL writes MIME-Version and the multipart/signed; the PEC headers come first.
    let (head, _) = split_head(&fixture);
    let mut bytes: Vec<u8> = fields(&head)
        .into_iter()
        .filter(|f| {
            !is_field(f, "Content-Type") && !is_field(f, "MIME-Version") && !is_field(f, "Date")
        })
        .collect::<String>()
        .into_bytes();
    bytes.extend_from_slice(b"Date: Tue, 01 Jun 2021 10:00:00 +0200\r\n");
    bytes.extend_from_slice(&std::fs::read(&signed).unwrap());
    bytes
}

#[test]
fn an_expired_key_without_signed_attributes_is_not_trusted_now() {
    let forged = backdated_by_openssl_without_attributes();
    let store = index_store();
    let m = read(&forged, &store, now(), &ReadOptions::strict()).unwrap();
    assert_eq!(m.signature, SignatureStatus::Valid, "{:?}", m.diagnostics);
    assert!(codes(&m).contains(&CmsNoSignedAttributes));
    assert!(!m.is_valid());
    expired_now_and_trusted_only_at_the_claimed_2021(&forged, &store);
}

/// Signed attributes without `signingTime`: OpenSSL always writes one, so its attribute type
/// becomes an unregistered one of the same length (1.2.840.113549.1.9.99) and the attributes
/// are signed again with the expired key. The signature is genuine; nothing in it says when.
fn backdated_without_signing_time() -> Vec<u8> {
    use sha2::Digest;
    let text = String::from_utf8(backdated_by_openssl(&["-nosmimecap"])).unwrap();
    let part = text.find("filename=\"smime.p7s\"").unwrap();
    let start = part + text[part..].find("\r\n\r\n").unwrap() + 4;
    // OpenSSL ends the base64 lines with LF alone, then a blank line and the delimiter.
    let end = start + text[start..].find("\n\r\n").unwrap();
    let mut der = b64_decode(&text[start..end]);
    let find = |der: &[u8], what: &[u8]| der.windows(what.len()).position(|w| w == what);
    let pkcs9 = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09];
    let signing_time = find(&der, &[&pkcs9[..], &[0x05]].concat()).unwrap();
    der[signing_time + 10] = 0x63;
    // The signed attributes: a [0] whose first attribute is the content type.
    let content_type = find(&der, &[&pkcs9[..], &[0x03]].concat()).unwrap();
    let first = content_type - 2;
    let (set, len) = match (der[first - 3], der[first - 2], der[first - 1]) {
        (_, 0xa0, n) if n < 0x80 => (first - 2, usize::from(n)),
        (0xa0, 0x81, n) => (first - 3, usize::from(n)),
        other => panic!("signed attributes not found: {other:?}"),
    };
    let mut signed = der[set..first + len].to_vec();
    signed[0] = 0x31; // signed as the SET OF it is
    let mut digest_info = vec![
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    digest_info.extend_from_slice(&sha2::Sha256::digest(&signed));
    use rsa::pkcs8::DecodePrivateKey;
    let key = rsa::PrivateKey::from_pkcs8_der(&pki("expired.key.der")).unwrap();
    let signature = key
        .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info)
        .unwrap();
    let at = der
        .windows(4)
        .rposition(|w| w == [0x04, 0x82, 0x01, 0x00])
        .unwrap()
        + 4;
    der[at..at + 256].copy_from_slice(&signature);
    format!("{}{}{}", &text[..start], b64_encode(&der), &text[end..]).into_bytes()
}

#[test]
fn an_expired_key_with_signed_attributes_but_no_signing_time_is_not_trusted_now() {
    let forged = backdated_without_signing_time();
    let store = index_store();
    let m = read(&forged, &store, now(), &ReadOptions::strict()).unwrap();
    assert_eq!(m.signature, SignatureStatus::Valid, "{:?}", m.diagnostics);
    let report = m.signature_report.as_ref().unwrap();
    assert_eq!(report.signing_time, None, "the forgery has no signingTime");
    assert!(!codes(&m).contains(&CmsNoSignedAttributes));
    assert!(!m.is_valid());
    expired_now_and_trusted_only_at_the_claimed_2021(&forged, &store);
}

/// A forgery with no signingTime: expired at the caller's time, and at the claimed time
/// (the daticert's 2021, there being no signingTime) the distinct verdict, never valid.
fn expired_now_and_trusted_only_at_the_claimed_2021(forged: &[u8], store: &TrustStore) {
    let m = read(forged, store, now(), &ReadOptions::strict()).unwrap();
    assert_eq!(verdict(&m), TrustVerdict::Expired);
    assert!(!m.is_valid());
    let m = read(
        forged,
        store,
        ValidationTime::Claimed,
        &ReadOptions::strict(),
    )
    .unwrap();
    let t = m.trust.as_ref().unwrap();
    assert_eq!(t.verdict, TrustVerdict::TrustedAtClaimedTime);
    assert_eq!(t.at.unix_seconds(), in_2021().unix_seconds());
    assert!(!m.is_valid());
}

// ---- Revocation ----------------------------------------------------------------------------

fn revocation_store(files: &[&str]) -> TrustStore {
    let mut s = anchor_store();
    for f in files {
        if f.contains(".crl") {
            s.add_crl(&pki(f)).unwrap();
        } else {
            s.add_ocsp_response(&pki(f)).unwrap();
        }
    }
    s
}

fn with_policy(policy: RevocationPolicy) -> TrustOptions {
    let mut o = TrustOptions::default();
    o.revocation = policy;
    o
}

fn assess(
    cert: &str,
    store: &TrustStore,
    at: PecTime,
    policy: RevocationPolicy,
) -> pecmail::trust::TrustReport {
    store.assess_certificate(
        &pki(&format!("{cert}.der")),
        &[pki("ca1.der")],
        at,
        &with_policy(policy),
    )
}

/// 2026-06-01T00:00:00Z, inside the current CRLs and OCSP responses.
fn june() -> PecTime {
    PecTime::from_unix(common::TEST_TIME_UNIX, 0).unwrap()
}

fn utc(y: i32, m: u32, d: u32) -> PecTime {
    PecTime::from_parts(y, m, d, 0, 0, 0, 0).unwrap()
}

#[test]
fn a_revoked_key_is_revoked_by_crl_and_by_ocsp_from_its_compromise() {
    for source in ["ca1.crl.der", "ocsp-revoked.der"] {
        let store = revocation_store(&[source]);
        let r = assess("revoked", &store, june(), RevocationPolicy::UseGiven);
        assert_eq!(r.verdict, TrustVerdict::Revoked, "{source}: {}", r.detail);
        let RevocationStatus::Revoked { since, reason, .. } = &r.revocation.status else {
            panic!("{source}: {:?}", r.revocation)
        };
        // Revoked on 2026-03-01 for a key compromise dated 2026-02-01: from the compromise.
        assert_eq!(
            since.unix_seconds(),
            utc(2026, 2, 1).unix_seconds(),
            "{source}"
        );
        assert_eq!(*reason, Some("key-compromise"), "{source}");
        // Before the compromise the certificate was good; the information is there, but
        // not current then (CRL from May, response from the end of May).
        let before = assess(
            "revoked",
            &store,
            utc(2026, 1, 15),
            RevocationPolicy::UseGiven,
        );
        assert_eq!(
            before.verdict,
            TrustVerdict::Trusted,
            "{source}: {}",
            before.detail
        );
        let required = assess(
            "revoked",
            &store,
            utc(2026, 1, 15),
            RevocationPolicy::Require,
        );
        assert_eq!(
            required.verdict,
            TrustVerdict::RevocationUnknown,
            "{source}"
        );
        // Between the compromise and the revocation date: revoked.
        let between = assess(
            "revoked",
            &store,
            utc(2026, 2, 15),
            RevocationPolicy::UseGiven,
        );
        assert_eq!(between.verdict, TrustVerdict::Revoked, "{source}");
        // Alfa's own certificate is not revoked.
        let alfa = assess("alfa", &store, june(), RevocationPolicy::UseGiven);
        assert_eq!(alfa.verdict, TrustVerdict::Trusted, "{source}");
        // Revocation ignored by policy.
        let ignored = assess("revoked", &store, june(), RevocationPolicy::Ignore);
        assert_eq!(ignored.verdict, TrustVerdict::Trusted, "{source}");
        assert_eq!(ignored.revocation.status, RevocationStatus::NotChecked);
    }
}

#[test]
fn a_message_signed_with_the_revoked_key_reads_revoked() {
    let forged = resign(&message("acceptance"), "revoked", |e| e);
    let store = revocation_store(&["ca1.crl.pem"]); // PEM taken too
    let m = read(&forged, &store, now(), &ReadOptions::strict()).unwrap();
    assert_eq!(m.signature, SignatureStatus::Valid);
    assert_eq!(verdict(&m), TrustVerdict::Revoked);
    assert!(!m.is_valid());
    assert!(codes(&m).contains(&PecUntrusted));
}

#[test]
fn stale_information_is_not_a_current_status() {
    for source in ["ca1-stale.crl.der", "ocsp-expired.der"] {
        let store = revocation_store(&[source, "root.crl.der"]);
        let r = assess("alfa", &store, june(), RevocationPolicy::Require);
        assert_eq!(
            r.verdict,
            TrustVerdict::RevocationUnknown,
            "{source}: {}",
            r.detail
        );
        assert!(
            r.revocation
                .ignored
                .iter()
                .any(|i| i.contains("not current")),
            "{source}: {:?}",
            r.revocation
        );
        // Without the strict policy the verdict stands, and says nothing was checked.
        let r = assess("alfa", &store, june(), RevocationPolicy::UseGiven);
        assert_eq!(r.verdict, TrustVerdict::Trusted, "{source}");
        assert_ne!(r.revocation.status, RevocationStatus::Good, "{source}");
    }
    // With current information for the whole path, the strict policy is met.
    let store = revocation_store(&["ca1.crl.der", "root.crl.der"]);
    let r = assess("alfa", &store, june(), RevocationPolicy::Require);
    assert_eq!(r.verdict, TrustVerdict::Trusted, "{}", r.detail);
    assert_eq!(r.revocation.status, RevocationStatus::Good);
    let store = revocation_store(&["ocsp-good.der", "root.crl.der"]);
    let r = assess("alfa", &store, june(), RevocationPolicy::Require);
    assert_eq!(r.verdict, TrustVerdict::Trusted, "{}", r.detail);
    // Without root's CRL, ca1 has no status.
    let store = revocation_store(&["ca1.crl.der"]);
    let r = assess("alfa", &store, june(), RevocationPolicy::Require);
    assert_eq!(r.verdict, TrustVerdict::RevocationUnknown);
    assert!(
        r.revocation.unknown.iter().any(|u| u.contains("AgID CA1")),
        "{:?}",
        r.revocation
    );
}

#[test]
fn information_signed_by_the_wrong_key_is_not_taken_and_said() {
    for source in ["ca1-wrongkey.crl.der", "ocsp-wrong-responder.der"] {
        let cert = if source.contains("crl") {
            "revoked"
        } else {
            "alfa"
        };
        let store = revocation_store(&[source]);
        let r = assess(cert, &store, june(), RevocationPolicy::UseGiven);
        // Not revocation information: the verdict is the chain's.
        assert_eq!(r.verdict, TrustVerdict::Trusted, "{source}: {}", r.detail);
        assert_eq!(
            r.revocation.ignored.len(),
            1,
            "{source}: {:?}",
            r.revocation
        );
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.code == TrustRevocationIgnored),
            "{source}"
        );
        let r = assess(cert, &store, june(), RevocationPolicy::Require);
        assert_eq!(r.verdict, TrustVerdict::RevocationUnknown, "{source}");
    }
    // An unknown status is not a good one.
    let store = revocation_store(&["ocsp-unknown.der", "root.crl.der"]);
    let r = assess("beta", &store, june(), RevocationPolicy::Require);
    assert_eq!(r.verdict, TrustVerdict::RevocationUnknown);
}

#[test]
fn the_index_path_is_its_own_revocation_mechanism() {
    // A provider removed from the index is not trusted; a provider in it without a chain to
    // an anchor has no CRL path, and Require does not ask for one.
    let mut s = TrustStore::new();
    s.add_provider(Provider::new("Alfa PEC S.p.A.").with_certificate(pki("revoked.der")))
        .unwrap();
    s.add_crl(&pki("ca1.crl.der")).unwrap();
    let r = assess("revoked", &s, june(), RevocationPolicy::Require);
    assert_eq!(r.verdict, TrustVerdict::Trusted, "{}", r.detail);
    assert_eq!(r.revocation.status, RevocationStatus::NotChecked);
    let r = assess(
        "revoked",
        &TrustStore::new(),
        june(),
        RevocationPolicy::Require,
    );
    assert_eq!(r.verdict, TrustVerdict::UnknownIssuer);
}

/// Every CRL case beside `openssl verify -crl_check_all` on the same files at the same time;
/// every OCSP case beside `openssl ocsp` (which takes the response's dates from the clock,
/// so it runs under faketime when there is one; without it, the signature and status only).
#[test]
fn revocation_verdicts_agree_with_openssl() {
    let at = common::TEST_TIME_UNIX.to_string();
    // (certificate, CRLs, our verdict under Require, what OpenSSL says)
    let crl_cases: &[(&str, &[&str], TrustVerdict, &str)] = &[
        (
            "alfa",
            &["ca1.crl.pem", "root.crl.pem"],
            TrustVerdict::Trusted,
            ": OK",
        ),
        (
            "revoked",
            &["ca1.crl.pem", "root.crl.pem"],
            TrustVerdict::Revoked,
            "certificate revoked",
        ),
        (
            "alfa",
            &["ca1-stale.crl.pem", "root.crl.pem"],
            TrustVerdict::RevocationUnknown,
            "CRL has expired",
        ),
        (
            "alfa",
            &["ca1-wrongkey.crl.pem", "root.crl.pem"],
            TrustVerdict::RevocationUnknown,
            "CRL signature failure",
        ),
        (
            "revoked",
            &["ca1-wrongkey.crl.pem", "root.crl.pem"],
            TrustVerdict::RevocationUnknown,
            "CRL signature failure",
        ),
        (
            "alfa",
            &["ca1.crl.pem"],
            TrustVerdict::RevocationUnknown,
            "unable to get certificate CRL",
        ),
    ];
    for (cert, crls, ours, theirs) in crl_cases {
        let store = revocation_store(crls);
        let r = assess(cert, &store, june(), RevocationPolicy::Require);
        assert_eq!(r.verdict, *ours, "{cert} {crls:?}: {}", r.detail);
        let mut args = vec![
            "verify".to_owned(),
            "-CAfile".into(),
            pki_path("root.pem"),
            "-untrusted".into(),
            pki_path("ca1.pem"),
            "-crl_check_all".into(),
            "-attime".into(),
            at.clone(),
        ];
        for c in *crls {
            args.push("-CRLfile".into());
            args.push(pki_path(c));
        }
        args.push(pki_path(&format!("{cert}.pem")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = openssl(&args);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            said.contains(theirs),
            "{cert} {crls:?}: OpenSSL said {said}"
        );
        assert_eq!(
            out.status.success(),
            *ours == TrustVerdict::Trusted,
            "{cert} {crls:?}"
        );
    }

    // (response, certificate, our status, OpenSSL's verification, OpenSSL's status)
    let ocsp_cases: &[(&str, &str, &str, bool, &str)] = &[
        ("ocsp-good.der", "alfa", "good", true, "good"),
        ("ocsp-good-by-ca1.der", "alfa", "good", true, "good"),
        ("ocsp-revoked.der", "revoked", "revoked", true, "revoked"),
        ("ocsp-unknown.der", "beta", "unknown", true, "unknown"),
        (
            "ocsp-wrong-responder.der",
            "alfa",
            "not taken",
            false,
            "good",
        ),
        ("ocsp-expired.der", "alfa", "not current", true, "good"),
    ];
    let faketime = std::process::Command::new("faketime")
        .arg("--version")
        .output()
        .is_ok();
    // CI installs it (.ci/run): there the dates are always checked against OpenSSL's.
    assert!(
        faketime || std::env::var_os("CI").is_none(),
        "faketime is missing under CI: OpenSSL's reading of the OCSP dates is not checked"
    );
    for (response, cert, ours, verifies, status) in ocsp_cases {
        let store = revocation_store(&[response, "root.crl.der"]);
        let r = assess(cert, &store, june(), RevocationPolicy::Require);
        let got = match (&r.verdict, &r.revocation) {
            (TrustVerdict::Revoked, _) => "revoked",
            (TrustVerdict::Trusted, _) => "good",
            (_, rev) if rev.ignored.iter().any(|i| i.contains("does not know")) => "unknown",
            (_, rev) if rev.ignored.iter().any(|i| i.contains("not current")) => "not current",
            (_, rev) if !rev.ignored.is_empty() => "not taken",
            _ => "none",
        };
        assert_eq!(got, *ours, "{response}: {} {:?}", r.detail, r.revocation);
        let mut command = if faketime {
            let mut c = std::process::Command::new("faketime");
            c.env("TZ", "UTC")
                .args(["-f", "2026-06-01 00:00:00", "openssl"]);
            c
        } else {
            std::process::Command::new("openssl")
        };
        let out = command
            .args([
                "ocsp",
                "-respin",
                &pki_path(response),
                "-CAfile",
                &pki_path("root.pem"),
            ])
            .args([
                "-verify_other",
                &pki_path("ca1.pem"),
                "-issuer",
                &pki_path("ca1.pem"),
            ])
            .args(["-cert", &pki_path(&format!("{cert}.pem"))])
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            said.contains("Response verify OK"),
            *verifies,
            "{response}: {said}"
        );
        // `file.pem: good`, or after a warning about the dates, `good` on its own line.
        let states =
            said.contains(&format!(".pem: {status}")) || said.lines().any(|l| l.trim() == *status);
        assert!(states, "{response}: {said}");
        if faketime && *ours == "not current" {
            assert!(said.contains("Status times invalid"), "{response}: {said}");
        }
    }
}

// ---- The certificate profile --------------------------------------------------------------

#[test]
fn certificates_outside_the_provider_profile() {
    let index = |name: &str| {
        let mut s = TrustStore::new();
        s.add_provider(
            Provider::new("Alfa PEC S.p.A.").with_certificate(pki(&format!("{name}.der"))),
        )
        .unwrap();
        s
    };
    for (name, expected, says) in [
        (
            "serverauth",
            TrustVerdict::NotAProvider,
            "extended key usage",
        ),
        ("twoat", TrustVerdict::NotAProvider, "is not one mailbox"),
        (
            "mismatch",
            TrustVerdict::InvalidChain,
            "inside the certificate",
        ),
    ] {
        let r = assess(name, &anchor_store(), june(), RevocationPolicy::UseGiven);
        assert_eq!(r.verdict, expected, "{name} (anchor): {}", r.detail);
        assert!(r.detail.contains(says), "{name}: {}", r.detail);
        if name != "mismatch" {
            // The purpose and the addresses hold on the index path too.
            let r = assess(name, &index(name), june(), RevocationPolicy::UseGiven);
            assert_eq!(r.verdict, expected, "{name} (index): {}", r.detail);
        }
    }
    // SHA-1: reported, or refused by choice.
    let r = assess("sha1", &anchor_store(), june(), RevocationPolicy::UseGiven);
    assert_eq!(r.verdict, TrustVerdict::Trusted, "{}", r.detail);
    assert!(r.diagnostics.iter().any(|d| d.code == TrustSha1Certificate));
    let mut strict = TrustOptions::default();
    strict.refuse_sha1_certificates = true;
    let r = anchor_store().assess_certificate(&pki("sha1.der"), &[pki("ca1.der")], june(), &strict);
    assert_eq!(r.verdict, TrustVerdict::InvalidChain, "{}", r.detail);
}

#[test]
fn an_emitting_provider_needs_a_provider_certificate() {
    for (name, rule) in [
        ("personal", "policy"),
        ("serverauth", "extended key usage"),
        ("twoat", "is not one mailbox"),
    ] {
        let identity =
            SigningIdentity::new(&pki(&format!("{name}.der")), &[pki("ca1.der")]).unwrap();
        let e = EmittingProvider::new("Alfa PEC S.p.A.", identity).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
        assert!(
            e.message().contains("not a provider certificate"),
            "{name}: {e}"
        );
        assert!(e.message().contains(rule), "{name}: {e}");
    }
    let identity = SigningIdentity::new(&pki("alfa.der"), &[pki("ca1.der")]).unwrap();
    assert!(EmittingProvider::new("Alfa PEC S.p.A.", identity).is_ok());
}

// ---- A provider certifying another's mailbox ------------------------------------------------

#[test]
fn alfa_certifying_a_delivery_to_a_beta_mailbox_is_an_error_in_every_store() {
    // What Beta alone may say, signed by Alfa.
    let fixture = fixture();
    let envelope = &fixture
        .iter()
        .find(|b| b.name == "transport-envelope")
        .unwrap()
        .bytes;
    let read_envelope = read(envelope, &messages::store(), now(), &ReadOptions::strict()).unwrap();
    let facts =
        pecmail::build::OriginalFacts::from_daticert(read_envelope.daticert.as_ref().unwrap());
    let (_, alfa_key) = signers("alfa").into_iter().next().unwrap();
    let forged = Delivery::new(
        &facts,
        ANNA,
        ReceiptKind::Summary,
        "opec-alfa.9@pec.alfa.test",
        messages::at(2),
    )
    .prepare(&messages::alfa(), &BuildOptions::default())
    .unwrap()
    .sign_with(alfa_key.as_ref())
    .unwrap()
    .into_vec();
    let certificates = {
        let mut s = TrustStore::new();
        s.add_provider(Provider::new("Alfa").with_certificate(pki("alfa.der")))
            .unwrap();
        s.add_provider(Provider::new("Beta").with_certificate(pki("beta.der")))
            .unwrap();
        s
    };
    for (name, store) in [
        ("index", messages::store()),
        ("anchor", anchor_store()),
        ("certificates", certificates),
    ] {
        let m = read(&forged, &store, now(), &ReadOptions::strict()).unwrap();
        assert_eq!(m.kind, Some(MessageKind::DeliverySummary), "{name}");
        assert_eq!(verdict(&m), TrustVerdict::Trusted, "{name}");
        assert!(
            codes(&m).contains(&PecProviderDomain),
            "{name}: {:?}",
            m.diagnostics
        );
        assert!(!m.is_valid(), "{name}");
    }
    // Beta's own receipt is valid in all three.
    let genuine = &fixture
        .iter()
        .find(|b| b.name == "delivery-summary")
        .unwrap()
        .bytes;
    for store in [messages::store(), anchor_store()] {
        let m = read(genuine, &store, now(), &ReadOptions::strict()).unwrap();
        assert!(m.is_valid(), "{:?}", m.diagnostics);
    }
}

/// The SignerInfo's signatureAlgorithm is outside what is signed: a forger who changes the
/// content and names MD5 there must read `invalid` (not verified), never `refused` (which
/// says "verifies, refused by policy"). Found by review.
#[test]
fn an_unverifiable_algorithm_named_by_a_forger_is_invalid_not_refused() {
    let fixture = message("acceptance");
    let text = String::from_utf8(fixture.clone()).unwrap();
    // The content changed after signing: one letter of the readable text.
    let tampered = text.replacen("Ricevuta di accettazione", "Ricevuta di accettaziona", 1);
    assert_ne!(tampered, text);
    // The base64 of smime.p7s, between its part's blank line and the closing delimiter.
    let part = tampered.find("filename=\"smime.p7s\"").unwrap();
    let start = part + tampered[part..].find("\r\n\r\n").unwrap() + 4;
    let end = start + tampered[start..].find("\r\n\r\n").unwrap();
    let mut der = b64_decode(&tampered[start..end]);
    // The last rsaEncryption (or sha256WithRSAEncryption) OID is the SignerInfo's.
    let oid = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    let at = der.windows(oid.len()).rposition(|w| w == oid).unwrap() + oid.len();
    der[at] = 0x04; // md5WithRSAEncryption
    let forged = format!(
        "{}{}{}",
        &tampered[..start],
        b64_encode(&der),
        &tampered[end..]
    );
    let m = read(
        forged.as_bytes(),
        &messages::store(),
        now(),
        &ReadOptions::strict(),
    )
    .unwrap();
    assert_eq!(m.signature, SignatureStatus::Invalid, "{:?}", m.diagnostics);
    let why = m.signature_error.as_ref().unwrap().to_string();
    assert!(
        why.contains("md5"),
        "the algorithm refused it, not the digest: {why}"
    );
    assert!(codes(&m).contains(&PecSignatureInvalid));
    assert!(!m.is_valid());
}

/// The CMS certificate set is not signed: whoever relays a message can add certificates. A
/// broken copy of ca1 put before the real one must not hide the good chain (the search
/// backtracks). Found by review.
#[test]
fn a_broken_intermediate_added_to_the_message_does_not_hide_the_good_chain() {
    let mut broken = pki("ca1.der");
    let last = broken.len() - 1;
    // Its signature no longer verifies, and with a smaller last byte it sorts before the real
    // one in the DER SET OF certificates: the first candidate the search meets.
    assert_ne!(broken[last], 0);
    broken[last] -= 1;
    let fixture = message("acceptance");
    let split = pecmail::mime::SignedMessage::parse(&fixture, &Default::default()).unwrap();
    let (head, _) = split_head(&fixture);
    let head: String = fields(&head)
        .into_iter()
        .filter(|f| !is_field(f, "Content-Type") && !is_field(f, "MIME-Version"))
        .collect();
    let identity = SigningIdentity::new(&pki("alfa.der"), &[broken, pki("ca1.der")]).unwrap();
    let (_, key) = signers("alfa").into_iter().next().unwrap();
    let relayed = pecmail::smime::prepare(
        head.as_bytes(),
        split.signed_content(),
        b"relayed",
        &identity,
        messages::at(0),
        &Default::default(),
    )
    .unwrap()
    .sign_with(key.as_ref())
    .unwrap()
    .into_vec();
    for (name, store) in [
        ("index and anchor", messages::store()),
        ("anchor", anchor_store()),
    ] {
        let m = read(&relayed, &store, now(), &ReadOptions::strict()).unwrap();
        assert_eq!(verdict(&m), TrustVerdict::Trusted, "{name}: {:?}", m.trust);
        assert!(m.is_valid(), "{name}: {:?}", m.diagnostics);
    }
}

/// A daticert address that is not one mailbox (`…@pec.beta.test.`, a trailing dot) belongs
/// to no provider: Alfa signing about it is `pec-provider-domain`, an error, in the anchor
/// store too (it was only the unknown-domain warning). Found by review.
#[test]
fn a_mailbox_with_a_trailing_dot_is_nobodys() {
    let genuine = message("delivery-summary");
    let forged = resign(&genuine, "alfa", |e| {
        edit_daticert(e, |x| {
            x.replace(
                "<consegna>anna.bianchi@pec.beta.test</consegna>",
                "<consegna>anna.bianchi@pec.beta.test.</consegna>",
            )
            .replace(
                "<consegna>luca.verdi@pec.beta.test</consegna>",
                "<consegna>luca.verdi@pec.beta.test.</consegna>",
            )
        })
    });
    let m = read(&forged, &anchor_store(), now(), &ReadOptions::strict()).unwrap();
    assert!(
        codes(&m).contains(&PecProviderDomain),
        "{:?}",
        m.diagnostics
    );
    assert!(!m.is_valid());
}
