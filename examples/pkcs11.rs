//! Signing PEC messages with a key held in an HSM, through PKCS #11.
//!
//! ```text
//! bash scripts/pkcs11-check.sh          # everything: SoftHSM2 token, this example, openssl
//!
//! eval "$(bash scripts/softhsm-setup.sh)"   # or step by step: a token with the Alfa key
//! SOFTHSM2_CONF="$SOFTHSM2_CONF" cargo run --example pkcs11 -- \
//!     --module "$PKCS11_MODULE" --pin "$PKCS11_PIN" [--token pecmail] [--label alfa] [--out DIR]
//! ```
//!
//! Providers sign with an HSM, so the crate never holds a key: it hands a
//! [`Signer`] a [`SignRequest`] and checks the signature it gets back against the
//! certificate before emitting anything. `Pkcs11Signer` below is such a signer over the
//! `cryptoki` crate, in the two ways a PKCS #11 token can sign RSA PKCS #1 v1.5 with SHA-256:
//!
//! - [`Mechanism::HashAndSign`]: `CKM_SHA256_RSA_PKCS` over [`SignRequest::message`] (the DER
//!   of the signed attributes); the token hashes;
//! - [`Mechanism::RawRsa`]: `CKM_RSA_PKCS` over [`SignRequest::digest_info`] (the DER
//!   `DigestInfo` of their SHA-256); the token only pads and exponentiates. For tokens that
//!   offer only this one, and for signing a hash computed outside the HSM.
//!
//! The example logs in to the token, finds the RSA private key by label, and:
//!
//! 1. signs the same request with both mechanisms and checks that the signatures are the
//!    same bytes (PKCS #1 v1.5 is deterministic);
//! 2. builds a transport envelope with each mechanism (different PEC identifiers), reads each
//!    back through the crate's verifying reader ([`pecmail::read::read`], strict, with a
//!    trust store of Alfa and the test root), and requires a valid transport envelope;
//! 3. with `--out DIR`, writes `envelope-hash-and-sign.eml` and `envelope-raw-rsa.eml`, which
//!    `scripts/pkcs11-check.sh` verifies again with `openssl cms -verify`.
//!
//! The token is a SoftHSM2 one made by `scripts/softhsm-setup.sh` (label `pecmail`, TEST-ONLY
//! PINs, the Alfa key of `tests/fixtures/pki` imported under label `alfa`, id `01`). The
//! certificate and its chain are read from `tests/fixtures/pki` (`<label>.der`, `ca1.der`);
//! a production signer would read the certificate object stored beside the key instead, and
//! take the PIN from a secret store rather than the command line.
//! The process fails on any error.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::{Mechanism as CkMechanism, MechanismType};
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use pecmail::PecTime;
use pecmail::build::{BuildOptions, EmittingProvider, MessageKind, TransportEnvelope};
use pecmail::cms::{SignRequest, SignatureAlgorithm, Signer, SignerError, SigningIdentity};
use pecmail::daticert::Recipient;
use pecmail::read::{ReadOptions, read};
use pecmail::trust::{Provider, TrustStore};

/// How the token is asked to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    /// `CKM_SHA256_RSA_PKCS` over the DER of the signed attributes: the token hashes.
    HashAndSign,
    /// `CKM_RSA_PKCS` over the DER `DigestInfo`: the token pads and exponentiates only.
    RawRsa,
}

impl Mechanism {
    fn name(self) -> &'static str {
        match self {
            Mechanism::HashAndSign => "hash-and-sign",
            Mechanism::RawRsa => "raw-rsa",
        }
    }

    fn pkcs11_name(self) -> &'static str {
        match self {
            Mechanism::HashAndSign => "CKM_SHA256_RSA_PKCS",
            Mechanism::RawRsa => "CKM_RSA_PKCS",
        }
    }

    fn pkcs11_type(self) -> MechanismType {
        match self {
            Mechanism::HashAndSign => MechanismType::SHA256_RSA_PKCS,
            Mechanism::RawRsa => MechanismType::RSA_PKCS,
        }
    }
}

/// A logged-in session and the private key it signs with. A `Session` is `Send` but not
/// `Sync`, so it sits behind a mutex: one signature at a time on this session (a busy
/// provider would keep a pool of sessions).
struct TokenKey {
    session: Mutex<Session>,
    key: ObjectHandle,
}

/// A [`Signer`] over a PKCS #11 private key.
struct Pkcs11Signer {
    mechanism: Mechanism,
    token: Arc<TokenKey>,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl Pkcs11Signer {
    /// Opens a session on the token labelled `token_label`, logs in with `pin` and finds the
    /// RSA private key labelled `key_label`.
    fn open(
        pkcs11: &Pkcs11,
        token_label: &str,
        pin: &str,
        key_label: &str,
        mechanism: Mechanism,
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, SignerError> {
        let mut found = None;
        for slot in pkcs11
            .get_slots_with_token()
            .map_err(|e| SignerError::with_source("listing the PKCS #11 slots", e))?
        {
            let info = pkcs11
                .get_token_info(slot)
                .map_err(|e| SignerError::with_source("reading a token's information", e))?;
            if info.label().trim_end() == token_label {
                found = Some(slot);
                break;
            }
        }
        let slot = found.ok_or_else(|| {
            SignerError::new(format!("no token labelled {token_label:?} in the module"))
        })?;
        let mechanisms = pkcs11
            .get_mechanism_list(slot)
            .map_err(|e| SignerError::with_source("listing the token's mechanisms", e))?;
        for m in [Mechanism::HashAndSign, Mechanism::RawRsa] {
            if !mechanisms.contains(&m.pkcs11_type()) {
                return Err(SignerError::new(format!(
                    "the token does not offer {}",
                    m.pkcs11_name()
                )));
            }
        }

        let session = pkcs11
            .open_ro_session(slot)
            .map_err(|e| SignerError::with_source("opening a session", e))?;
        session
            .login(UserType::User, Some(&AuthPin::new(pin.into())))
            .map_err(|e| SignerError::with_source("logging in to the token", e))?;
        let keys = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(KeyType::RSA),
                Attribute::Label(key_label.as_bytes().to_vec()),
            ])
            .map_err(|e| SignerError::with_source("searching the private key", e))?;
        let key = match keys.as_slice() {
            [key] => *key,
            [] => {
                return Err(SignerError::new(format!(
                    "no RSA private key labelled {key_label:?} on the token"
                )));
            }
            _ => {
                return Err(SignerError::new(format!(
                    "{} RSA private keys labelled {key_label:?} on the token",
                    keys.len()
                )));
            }
        };
        Ok(Pkcs11Signer {
            mechanism,
            token: Arc::new(TokenKey {
                session: Mutex::new(session),
                key,
            }),
            certificate,
            chain,
        })
    }

    /// The same key and session, signing with another mechanism.
    fn with_mechanism(&self, mechanism: Mechanism) -> Self {
        Pkcs11Signer {
            mechanism,
            token: Arc::clone(&self.token),
            certificate: self.certificate.clone(),
            chain: self.chain.clone(),
        }
    }
}

impl Signer for Pkcs11Signer {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1Sha256
    }

    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>, SignerError> {
        if request.algorithm != SignatureAlgorithm::RsaPkcs1Sha256 {
            return Err(SignerError::new(format!(
                "unsupported signature algorithm {:?}",
                request.algorithm
            )));
        }
        let (mechanism, data) = match self.mechanism {
            Mechanism::HashAndSign => (CkMechanism::Sha256RsaPkcs, request.message),
            Mechanism::RawRsa => (CkMechanism::RsaPkcs, request.digest_info),
        };
        let session = self
            .token
            .session
            .lock()
            .map_err(|_| SignerError::new("the PKCS #11 session lock is poisoned"))?;
        session.sign(&mechanism, self.token.key, data).map_err(|e| {
            SignerError::with_source(
                format!("PKCS #11 signing with {}", self.mechanism.pkcs11_name()),
                e,
            )
        })
    }
}

/// The test PKI beside the crate (test keys only).
fn pki(file: &str) -> Result<Vec<u8>, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pki")
        .join(file);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Args {
    module: PathBuf,
    pin: String,
    token: String,
    label: String,
    out: Option<PathBuf>,
}

const USAGE: &str =
    "usage: pkcs11 --module PATH --pin PIN [--token LABEL] [--label KEY-LABEL] [--out DIR]";

fn parse_args() -> Result<Args, String> {
    let (mut module, mut pin, mut out) = (None, None, None);
    let (mut token, mut label) = ("pecmail".to_string(), "alfa".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value; {USAGE}"));
        match arg.as_str() {
            "--module" => module = Some(PathBuf::from(value()?)),
            "--pin" => pin = Some(value()?),
            "--token" => token = value()?,
            "--label" => label = value()?,
            "--out" => out = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    Ok(Args {
        module: module.ok_or(format!("--module is required; {USAGE}"))?,
        pin: pin.ok_or(format!("--pin is required; {USAGE}"))?,
        token,
        label,
        out,
    })
}

fn main() {
    if let Err(e) = run() {
        eprintln!("pkcs11 failed: {e}");
        std::process::exit(1);
    }
}

/// An error with its chain of sources (a [`SignerError`] keeps the device's error as its
/// source), each cause once.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !s.contains(&cause_text) {
            s.push_str(": ");
            s.push_str(&cause_text);
        }
        source = cause.source();
    }
    s
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let e = |err: pecmail::Error| chain(&err);
    let se = |err: SignerError| chain(&err);

    let pkcs11 = Pkcs11::new(&args.module)
        .map_err(|err| format!("loading {}: {}", args.module.display(), chain(&err)))?;
    pkcs11
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(|err| format!("C_Initialize: {}", chain(&err)))?;
    let library = pkcs11
        .get_library_info()
        .map_err(|err| format!("C_GetInfo: {}", chain(&err)))?;
    println!(
        "module {} ({} {}), token {:?}, key {:?}",
        args.module.display(),
        library.manufacturer_id().trim_end(),
        library.library_version(),
        args.token,
        args.label,
    );

    let hash_and_sign = Pkcs11Signer::open(
        &pkcs11,
        &args.token,
        &args.pin,
        &args.label,
        Mechanism::HashAndSign,
        pki(&format!("{}.der", args.label))?,
        vec![pki("ca1.der")?],
    )
    .map_err(se)?;
    let raw_rsa = hash_and_sign.with_mechanism(Mechanism::RawRsa);

    // Alfa, as the provider index describes it, and a reader that trusts it.
    let alfa = EmittingProvider::new(
        "Alfa PEC S.p.A.",
        SigningIdentity::new(hash_and_sign.certificate(), hash_and_sign.chain()).map_err(e)?,
    )
    .map_err(e)?;
    let mut store = TrustStore::new();
    store
        .add_provider(
            Provider::new("Alfa PEC S.p.A.")
                .with_certificate(pki("alfa.der")?)
                .with_domain("pec.alfa.test")
                .with_service_address("posta-certificata@pec.alfa.test"),
        )
        .map_err(e)?;
    store.add_anchor(&pki("root.der")?).map_err(e)?;

    let original = "From: Mario Rossi <mario.rossi@pec.alfa.test>\r\n\
To: Anna Bianchi <anna.bianchi@pec.beta.test>\r\n\
Subject: Firma con HSM\r\n\
Date: Mon, 01 Jun 2026 09:59:58 +0200\r\n\
Message-ID: <20260601095958.4321@client.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Questo messaggio \u{e8} firmato da una chiave custodita in un HSM.\r\n";
    let sender = "mario.rossi@pec.alfa.test";
    let recipients = [Recipient::certified("anna.bianchi@pec.beta.test")];
    let time = PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).map_err(e)?;
    let options = BuildOptions::default();

    for (n, signer) in [&hash_and_sign, &raw_rsa].into_iter().enumerate() {
        let mechanism = signer.mechanism;
        let identifier = format!("opec-alfa.20260601100000.{}@pec.alfa.test", n + 1);
        let pending =
            TransportEnvelope::new(original.as_bytes(), sender, &recipients, &identifier, time)
                .prepare(&alfa, &options)
                .map_err(e)?;

        // PKCS #1 v1.5 is deterministic: both mechanisms give the same bytes for one request.
        if n == 0 {
            let request = pending.request();
            let by_hash = hash_and_sign.sign(&request).map_err(se)?;
            let by_raw = raw_rsa.sign(&request).map_err(se)?;
            if by_hash != by_raw {
                return Err(format!(
                    "the two mechanisms disagree on one request:\n  {}\n  {}",
                    hex(&by_hash),
                    hex(&by_raw)
                ));
            }
            println!(
                "same request, both mechanisms: identical {}-byte signature {}...",
                by_hash.len(),
                hex(&by_hash[..16.min(by_hash.len())]),
            );
        }

        let envelope = pending.sign_with(signer).map_err(e)?.into_vec();
        let name = format!("envelope-{}.eml", mechanism.name());
        let checked = read(&envelope, &store, time, &ReadOptions::strict()).map_err(e)?;
        let kind = checked.kind.map(|k| k.as_str()).unwrap_or("not-pec");
        println!(
            "{:<20} {:<30} {kind} {} bytes, signature {}, {} by {}",
            mechanism.pkcs11_name(),
            name,
            envelope.len(),
            checked.signature.as_str(),
            checked.trust_status(),
            checked.provider().unwrap_or_default(),
        );
        for d in &checked.diagnostics {
            println!("    {d}");
        }
        if checked.kind != Some(MessageKind::TransportEnvelope) || !checked.is_valid() {
            return Err(format!(
                "{name}: expected a valid transport envelope, read {kind}"
            ));
        }
        if let Some(dir) = &args.out {
            let file = dir.join(&name);
            std::fs::write(&file, &envelope).map_err(|err| format!("{}: {err}", file.display()))?;
        }
    }

    // Close the session (it logs out) before finalizing the module.
    drop((hash_and_sign, raw_rsa));
    pkcs11
        .finalize()
        .map_err(|err| format!("C_Finalize: {}", chain(&err)))?;
    println!("Both envelopes signed on the token and read back as valid.");
    if let Some(dir) = &args.out {
        println!("Written to {}", dir.display());
    }
    Ok(())
}
