//! A whole PEC exchange between two providers of the test PKI.
//!
//! ```text
//! cargo run --example exchange [-- --out DIR]
//! ```
//!
//! Mario (`mario.rossi@pec.alfa.test`, provider Alfa) writes to Anna (`To`, a PEC mailbox at
//! provider Beta), Luca (`Cc`, PEC at Beta) and an ordinary address (`Cc`). Each step builds
//! a message with the crate, prints it in one line, and reads it back through the verifying
//! reader against a trust store of both providers:
//!
//! 1. Alfa's access point accepts the message: acceptance receipt to Mario, transport
//!    envelope to all three recipients;
//! 2. Beta's incoming point verifies the envelope and takes it in charge for Anna and Luca
//!    (receipt to Alfa's service mailbox);
//! 3. Beta's delivery point stores it and sends Mario a complete delivery receipt for Anna
//!    (`To`) and a summary one for Luca (`Cc`).
//!
//! `--out DIR` also writes every message as a `.eml` file. The process fails if any message
//! does not read back as valid, of its kind.

use std::path::PathBuf;

use postacert::PecTime;
use postacert::build::{
    Acceptance, BuildOptions, Delivery, EmittingProvider, MessageKind, OriginalFacts,
    TakingInCharge, TransportEnvelope,
};
use postacert::cms::{Signer, SigningIdentity};
use postacert::daticert::{ReceiptKind, Recipient};
use postacert::read::{ReadOptions, read};
use postacert::trust::{Provider, TrustStore};

/// The test PKI beside the crate (test keys only).
fn pki(file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pki")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A software signer over the `rsa` crate, as an HSM stand-in (`CKM_RSA_PKCS` style: it signs
/// the DigestInfo it is given).
struct SoftKey {
    key: rsa::RsaPrivateKey,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl SoftKey {
    fn load(name: &str) -> SoftKey {
        use rsa::pkcs8::DecodePrivateKey;
        SoftKey {
            key: rsa::RsaPrivateKey::from_pkcs8_der(&pki(&format!("{name}.key.der")))
                .expect("test key"),
            certificate: pki(&format!("{name}.der")),
            chain: vec![pki("ca1.der")],
        }
    }
}

impl Signer for SoftKey {
    fn algorithm(&self) -> postacert::cms::SignatureAlgorithm {
        postacert::cms::SignatureAlgorithm::RsaPkcs1Sha256
    }
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }
    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
    fn sign(
        &self,
        request: &postacert::cms::SignRequest<'_>,
    ) -> Result<Vec<u8>, postacert::cms::SignerError> {
        self.key
            .sign(rsa::Pkcs1v15Sign::new_unprefixed(), request.digest_info)
            .map_err(|e| postacert::cms::SignerError::with_source("software RSA", e))
    }
}

struct Exchange {
    out: Option<PathBuf>,
    store: TrustStore,
    step: usize,
}

impl Exchange {
    /// Reads a built message back, prints one line about it, writes it with `--out`.
    fn check(&mut self, name: &str, message: &[u8], expected: MessageKind) -> Result<(), String> {
        self.step += 1;
        let read = read(message, &self.store, &ReadOptions::strict())
            .map_err(|e| format!("{name}: unreadable: {e}"))?;
        let kind = read.kind.map(|k| k.as_str()).unwrap_or("not-pec");
        println!(
            "{:>2}. {name:<34} {kind:<18} {:>7} bytes  signature {}, {} by {}",
            self.step,
            message.len(),
            read.signature.as_str(),
            read.trust_status(),
            read.provider().unwrap_or_default(),
        );
        for d in &read.diagnostics {
            println!("      {d}");
        }
        if let Some(dir) = &self.out {
            let file = dir.join(format!("{:02}-{name}.eml", self.step));
            std::fs::write(&file, message).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        if read.kind != Some(expected) || !read.is_valid() {
            return Err(format!("{name}: expected a valid {expected}, read {kind}"));
        }
        Ok(())
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("exchange failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => {
                let dir = PathBuf::from(args.next().ok_or("--out needs a directory")?);
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                out = Some(dir);
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: exchange [--out DIR]"
                ));
            }
        }
    }
    let e = |err: postacert::Error| err.to_string();

    // The two providers, as the provider index would describe them.
    let (alfa_key, beta_key) = (SoftKey::load("alfa"), SoftKey::load("beta"));
    let alfa = EmittingProvider::new(
        "Alfa PEC S.p.A.",
        SigningIdentity::new(alfa_key.certificate(), alfa_key.chain()).map_err(e)?,
    )
    .map_err(e)?;
    let beta = EmittingProvider::new(
        "Beta Posta S.r.l.",
        SigningIdentity::new(beta_key.certificate(), beta_key.chain()).map_err(e)?,
    )
    .map_err(e)?;
    let mut store = TrustStore::new();
    store
        .add_provider(
            Provider::new("Alfa PEC S.p.A.")
                .with_certificate(pki("alfa.der"))
                .with_domain("pec.alfa.test")
                .with_service_address("posta-certificata@pec.alfa.test"),
        )
        .map_err(e)?;
    store
        .add_provider(
            Provider::new("Beta Posta S.r.l.")
                .with_certificate(pki("beta.der"))
                .with_domain("pec.beta.test")
                .with_service_address("posta-certificata@pec.beta.test"),
        )
        .map_err(e)?;
    store.add_anchor(&pki("root.der")).map_err(e)?;
    let mut ex = Exchange {
        out,
        store,
        step: 0,
    };
    let options = BuildOptions::default();
    let at = |s: u32| PecTime::from_parts(2026, 6, 1, 10, 0, s, 120).map_err(e);

    // The message Mario's client submits.
    let original = "From: Mario Rossi <mario.rossi@pec.alfa.test>\r\n\
To: Anna Bianchi <anna.bianchi@pec.beta.test>\r\n\
Cc: luca.verdi@pec.beta.test, ordinario@example.com\r\n\
Subject: Convocazione assemblea =?UTF-8?Q?del_3_giugno_=E2=80=93_sede?=\r\n\
Date: Mon, 01 Jun 2026 09:59:58 +0200\r\n\
Message-ID: <20260601095958.1234@client.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Buongiorno, l'assemblea \u{e8} convocata per il 3 giugno alle 10.\r\n\
Cordiali saluti, Mario\r\n";
    println!("Mario submits: {} bytes to 3 recipients\n", original.len());

    // 1. Alfa's access point: classify recipients by the managed domains of the index.
    let sender = "mario.rossi@pec.alfa.test";
    let recipients: Vec<Recipient> = [
        "anna.bianchi@pec.beta.test",
        "luca.verdi@pec.beta.test",
        "ordinario@example.com",
    ]
    .into_iter()
    .map(|a| {
        let domain = a.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if ex.store.provider_for_domain(domain).is_some() {
            Recipient::certified(a)
        } else {
            Recipient::external(a)
        }
    })
    .collect();
    let identifier = "opec-alfa.20260601100000.1@pec.alfa.test";
    let envelope =
        TransportEnvelope::new(original.as_bytes(), sender, &recipients, identifier, at(0)?);
    let facts = envelope.facts().map_err(e)?;
    let acceptance = Acceptance::new(&facts, "opec-alfa.20260601100000.2@pec.alfa.test", at(0)?)
        .prepare(&alfa, &options)
        .map_err(e)?
        .sign_with(&alfa_key)
        .map_err(e)?
        .into_vec();
    ex.check("acceptance-to-mario", &acceptance, MessageKind::Acceptance)?;
    let envelope = envelope
        .prepare(&alfa, &options)
        .map_err(e)?
        .sign_with(&alfa_key)
        .map_err(e)?
        .into_vec();
    ex.check(
        "transport-envelope",
        &envelope,
        MessageKind::TransportEnvelope,
    )?;

    // 2. Beta's incoming point reads the envelope and takes it in charge for its recipients.
    let received = read(&envelope, &ex.store, &ReadOptions::strict()).map_err(e)?;
    let daticert = received
        .daticert
        .clone()
        .ok_or("the envelope has no daticert")?;
    let facts = OriginalFacts::from_daticert(&daticert);
    let covered: Vec<String> = facts
        .recipients
        .iter()
        .filter(|r| r.address.ends_with("@pec.beta.test"))
        .map(|r| r.address.clone())
        .collect();
    let sender_provider = ex
        .store
        .provider_for_domain("pec.alfa.test")
        .and_then(|p| p.service_address.clone())
        .ok_or("no service mailbox for Alfa")?;
    let taking = TakingInCharge::new(
        &facts,
        &covered,
        &sender_provider,
        "beta-1.20260601100001@pec.beta.test",
        at(1)?,
    )
    .prepare(&beta, &options)
    .map_err(e)?
    .sign_with(&beta_key)
    .map_err(e)?
    .into_vec();
    ex.check(
        "taking-in-charge-to-alfa",
        &taking,
        MessageKind::TakingInCharge,
    )?;

    // 3. Beta's delivery point: complete receipt for Anna (To), summary for Luca (Cc).
    let original_in_envelope = received
        .original()
        .ok_or("the envelope has no postacert.eml")?;
    let full = Delivery::new(
        &facts,
        "anna.bianchi@pec.beta.test",
        ReceiptKind::Full,
        "beta-2.20260601100002@pec.beta.test",
        at(2)?,
    )
    .original(original_in_envelope)
    .prepare(&beta, &options)
    .map_err(e)?
    .sign_with(&beta_key)
    .map_err(e)?
    .into_vec();
    ex.check("delivery-anna-completa", &full, MessageKind::DeliveryFull)?;
    let summary = Delivery::new(
        &facts,
        "luca.verdi@pec.beta.test",
        ReceiptKind::Summary,
        "beta-3.20260601100002@pec.beta.test",
        at(2)?,
    )
    .prepare(&beta, &options)
    .map_err(e)?
    .sign_with(&beta_key)
    .map_err(e)?
    .into_vec();
    ex.check(
        "delivery-luca-sintetica",
        &summary,
        MessageKind::DeliverySummary,
    )?;

    println!(
        "\nAll {} messages built, signed, and read back as valid PEC messages.",
        ex.step
    );
    if let Some(dir) = &ex.out {
        println!("Written to {}", dir.display());
    }
    Ok(())
}
