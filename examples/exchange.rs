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
//!    (`To`) and a summary one for Luca (`Cc`);
//! 4. Mario writes to Giulia at Beta, whose incoming point never answers: Alfa's delivery
//!    tracker sends Mario the 12 h notice, then the 24 h one.
//!
//! The decisions are the crate's provider rules ([`pecmail::rules`]): the access point's
//! checks, the incoming point's decision, the receipt fan-out, the tracker.
//!
//! `--out DIR` also writes every message as a `.eml` file. The process fails if any message
//! does not read back as valid, of its kind.

use std::path::PathBuf;

use pecmail::PecTime;
use pecmail::build::{
    Acceptance, BuildOptions, DeliveryTimeout, EmittingProvider, MessageKind, OriginalFacts,
    TakingInCharge, Timeout, TransportEnvelope,
};
use pecmail::cms::{Signer, SigningIdentity};
use pecmail::read::{ReadOptions, read};
use pecmail::rules::{
    IncomingDecision, IncomingPolicy, RecipientOutcome, Submission, SubmissionDecision,
    SubmissionPolicy, Tracker, TrackingPolicy, check_submission, decide_incoming, plan_receipts,
};
use pecmail::trust::{Provider, TrustStore};

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
    key: rsa::PrivateKey,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl SoftKey {
    fn load(name: &str) -> SoftKey {
        use rsa::pkcs8::DecodePrivateKey;
        SoftKey {
            key: rsa::PrivateKey::from_pkcs8_der(&pki(&format!("{name}.key.der")))
                .expect("test key"),
            certificate: pki(&format!("{name}.der")),
            chain: vec![pki("ca1.der")],
        }
    }
}

impl Signer for SoftKey {
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
            .map_err(|e| pecmail::cms::SignerError::with_source("software RSA", e))
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

/// The access point's check of a submission: the facts of an accepted message, or why not.
fn accept(
    store: &TrustStore,
    original: &str,
    sender: &str,
    forward: &[&str],
    identifier: &str,
) -> Result<OriginalFacts, String> {
    let submission = Submission {
        original: original.as_bytes(),
        reverse_path: sender,
        forward_paths: forward,
        virus: None,
        identifier,
    };
    match check_submission(&submission, store, &SubmissionPolicy::default()) {
        SubmissionDecision::Accept(facts) => Ok(facts),
        SubmissionDecision::Refuse(refusal) => Err(format!("refused: {}", refusal.italian())),
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
    let e = |err: pecmail::Error| err.to_string();

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
    let start = PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).map_err(e)?;
    let at = |seconds: i64| PecTime::from_unix(start.unix_seconds() + seconds, 120).map_err(e);

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

    // 1. Alfa's access point checks the submission (spec 6.1) and classifies the recipients
    //    by the domains of the index; it sends the acceptance and the envelope.
    let sender = "mario.rossi@pec.alfa.test";
    let forward = [
        "anna.bianchi@pec.beta.test",
        "luca.verdi@pec.beta.test",
        "ordinario@example.com",
    ];
    let identifier = "opec-alfa.20260601100000.1@pec.alfa.test";
    let facts = accept(&ex.store, original, sender, &forward, identifier)?;
    let acceptance = Acceptance::new(&facts, "opec-alfa.20260601100000.2@pec.alfa.test", at(0)?)
        .prepare(&alfa, &options)
        .map_err(e)?
        .sign_with(&alfa_key)
        .map_err(e)?
        .into_vec();
    ex.check("acceptance-to-mario", &acceptance, MessageKind::Acceptance)?;
    let envelope = TransportEnvelope::new(
        original.as_bytes(),
        sender,
        &facts.recipients,
        identifier,
        at(0)?,
    )
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

    // 2. Beta's incoming point reads the envelope (spec 6.2) for its two recipients: deliver,
    //    and take it in charge to Alfa's service mailbox.
    let received = read(&envelope, &ex.store, &ReadOptions::strict()).map_err(e)?;
    let local = ["anna.bianchi@pec.beta.test", "luca.verdi@pec.beta.test"];
    let IncomingDecision::DeliverEnvelope {
        facts,
        taking_in_charge,
        ..
    } = decide_incoming(&received, &local, None, &IncomingPolicy::default())
    else {
        return Err("Beta's incoming point does not deliver the envelope".into());
    };
    let taking = TakingInCharge::new(
        &facts,
        &taking_in_charge.covered,
        &taking_in_charge.to,
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

    // 3. Beta's delivery point stores it and plans one receipt per recipient (spec 3.6):
    //    completa for Anna (To), sintetica for Luca (Cc).
    let plan = plan_receipts(
        &received,
        &[
            (local[0], RecipientOutcome::Delivered),
            (local[1], RecipientOutcome::Delivered),
        ],
    )
    .map_err(e)?;
    for (i, receipt) in plan.receipts.iter().enumerate() {
        let id = format!("beta-{}.20260601100002@pec.beta.test", i + 2);
        let bytes = receipt
            .prepare(&plan, &id, at(2)?, &beta, &options)
            .map_err(e)?
            .sign_with(&beta_key)
            .map_err(e)?
            .into_vec();
        let name = format!(
            "{}-{}",
            receipt.kind.as_str(),
            receipt.recipient.split('.').next().unwrap_or("recipient")
        );
        ex.check(&name, &bytes, receipt.kind)?;
    }

    // 4. Another message, to Giulia at Beta, whose incoming point never answers: Alfa's
    //    tracker (spec 3.9) gives the 12 h notice, then the 24 h one.
    let to_giulia = original
        .replace(
            "To: Anna Bianchi <anna.bianchi@pec.beta.test>",
            "To: giulia.neri@pec.beta.test",
        )
        .replace(
            "Cc: luca.verdi@pec.beta.test, ordinario@example.com\r\n",
            "",
        )
        .replace("20260601095958.1234", "20260601100958.5678");
    println!("\nMario writes to Giulia; Beta never answers.\n");
    let identifier = "opec-alfa.20260601101000.3@pec.alfa.test";
    let facts = accept(
        &ex.store,
        &to_giulia,
        sender,
        &["giulia.neri@pec.beta.test"],
        identifier,
    )?;
    let acceptance = Acceptance::new(&facts, "opec-alfa.20260601101000.4@pec.alfa.test", at(600)?)
        .prepare(&alfa, &options)
        .map_err(e)?
        .sign_with(&alfa_key)
        .map_err(e)?
        .into_vec();
    ex.check(
        "acceptance-giulia-to-mario",
        &acceptance,
        MessageKind::Acceptance,
    )?;
    let envelope = TransportEnvelope::new(
        to_giulia.as_bytes(),
        sender,
        &facts.recipients,
        identifier,
        at(600)?,
    )
    .prepare(&alfa, &options)
    .map_err(e)?
    .sign_with(&alfa_key)
    .map_err(e)?
    .into_vec();
    ex.check(
        "transport-envelope-to-giulia",
        &envelope,
        MessageKind::TransportEnvelope,
    )?;
    let mut tracker =
        Tracker::new(at(600)?, &facts.recipients, TrackingPolicy::default()).map_err(e)?;
    for hours in [1, 6, 12, 18, 24] {
        for notice in tracker.tick(at(600 + hours * 3600)?) {
            let id = format!("opec-alfa.timeout-{hours}h@pec.alfa.test");
            let bytes =
                DeliveryTimeout::new(&facts, &notice.recipient, notice.timeout, &id, notice.due)
                    .prepare(&alfa, &options)
                    .map_err(e)?
                    .sign_with(&alfa_key)
                    .map_err(e)?
                    .into_vec();
            let label = match notice.timeout {
                Timeout::Hours12 => "timeout-12h-to-mario",
                _ => "timeout-24h-to-mario",
            };
            ex.check(label, &bytes, MessageKind::DeliveryTimeout)?;
        }
    }
    if !tracker.is_finished() {
        return Err("the tracker should have ended after the 24 h notice".into());
    }

    println!(
        "\nAll {} messages built, signed, and read back as valid PEC messages.",
        ex.step
    );
    if let Some(dir) = &ex.out {
        println!("Written to {}", dir.display());
    }
    Ok(())
}
