//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod forge;
pub mod messages;
pub mod real;

use std::path::{Path, PathBuf};

/// The repository's root: this package's directory, or for a member of the workspace
/// (`ffi/`, `cli/`, `interop/`, which include these helpers by path) its parent.
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if here.join("tests/fixtures/pki").is_dir() {
        here.to_path_buf()
    } else {
        here.parent()
            .expect("a workspace member has a parent")
            .to_path_buf()
    }
}

/// `../shared/corpus` beside the repository, when it exists. The corpus is third-party data:
/// tests read it in place and never copy it.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// What a corpus test does when `../shared/corpus` is absent: it fails, naming the folder,
/// so that a green run always means the real provider messages were checked. Locally (not
/// under CI, where `CI` is set), `PECMAIL_SKIP_CORPUS=1` turns the failure into a skip that
/// says so on stderr.
pub fn skip_without_corpus(test: &str) {
    let folder = repo_root().join("../shared/corpus");
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    let opt_out = std::env::var("PECMAIL_SKIP_CORPUS").is_ok_and(|v| v == "1");
    if ci || !opt_out {
        panic!(
            "{test}: the corpus of real provider messages, {}, is missing{}; it is third-party \
             data read in place (see ../shared/README.md). Without it, set \
             PECMAIL_SKIP_CORPUS=1 to skip the corpus tests locally (never under CI)",
            folder.display(),
            if ci { " under CI" } else { "" }
        );
    }
    eprintln!(
        "SKIPPED {test}: {} is absent and PECMAIL_SKIP_CORPUS=1",
        folder.display()
    );
}

/// A file of the test PKI (`tests/fixtures/pki`, made by its `make.sh`; test keys only).
pub fn pki(file: &str) -> Vec<u8> {
    let path = repo_root().join("tests/fixtures/pki").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The path of a file of the test PKI, for OpenSSL command lines.
pub fn pki_path(file: &str) -> String {
    repo_root()
        .join("tests/fixtures/pki")
        .join(file)
        .to_string_lossy()
        .into_owned()
}

/// Runs `openssl` with arguments; panics with a clear message when it is missing. CI
/// installs it (`.ci/run`).
pub fn openssl(args: &[&str]) -> std::process::Output {
    std::process::Command::new("openssl")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl ({e}); the interop tests need it on PATH"))
}

/// Standard base64 (RFC 4648), padded, on one line: what the tests write into the messages
/// and indexes they forge.
pub fn base64(bytes: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            s.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            s.push('=');
        }
    }
    s
}

/// A scratch file under Cargo's per-test temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pecmail-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// 2026-06-01T00:00:00Z: inside the validity of every test certificate but `expired`.
pub const TEST_TIME_UNIX: i64 = 1_780_272_000;

/// The validation time of the tests, the caller's (the crate never takes it from a
/// message): 2026-06-01T10:00:00+02:00, the time of the fixture messages.
pub fn now() -> pecmail::PecTime {
    pecmail::PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).unwrap()
}

/// A `Signer` written outside the crate, over the `rsa` crate, signing the DigestInfo as a
/// raw PKCS #11 `CKM_RSA_PKCS` mechanism would. It makes the signing tests run in any build,
/// and shows the trait works for external implementations.
pub struct RawRsaSigner {
    key: rsa::PrivateKey,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl pecmail::cms::Signer for RawRsaSigner {
    fn algorithm(&self) -> pecmail::cms::SignatureAlgorithm {
        pecmail::cms::SignatureAlgorithm::RsaPkcs1Sha256
    }
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }
    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
    fn sign(
        &self,
        request: &pecmail::cms::SignRequest<'_>,
    ) -> Result<Vec<u8>, pecmail::cms::SignerError> {
        self.key
            .sign(rsa::Pkcs1v15Sign::new_unprefixed(), request.digest_info)
            .map_err(|e| pecmail::cms::SignerError::with_source("raw RSA failed", e))
    }
}

/// Every signer available, for a test PKI identity (`alfa`, `beta`, ...), with `ca1` as
/// chain; each paired with the name of its implementation: the external raw one always, the
/// crate's software signers when their features are on.
#[allow(unused_mut)]
pub fn signers(name: &str) -> Vec<(&'static str, Box<dyn pecmail::cms::Signer>)> {
    use rsa::pkcs8::DecodePrivateKey;
    let key = pki(&format!("{name}.key.der"));
    let cert = pki(&format!("{name}.der"));
    let chain = vec![pki("ca1.der")];
    let raw = RawRsaSigner {
        key: rsa::PrivateKey::from_pkcs8_der(&key).unwrap(),
        certificate: cert.clone(),
        chain: chain.clone(),
    };
    let mut out: Vec<(&'static str, Box<dyn pecmail::cms::Signer>)> = vec![("raw", Box::new(raw))];
    #[cfg(feature = "rsa-signer")]
    out.push((
        "rsa",
        Box::new(
            pecmail::cms::RsaSigner::from_pkcs8_der(&key, cert.clone(), chain.clone()).unwrap(),
        ),
    ));
    #[cfg(feature = "aws-lc")]
    out.push((
        "aws-lc",
        Box::new(
            pecmail::cms::AwsLcSigner::from_pkcs8_der(&key, cert.clone(), chain.clone()).unwrap(),
        ),
    ));
    let _ = (key, cert, chain);
    out
}
