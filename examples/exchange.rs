//! A whole PEC exchange between two providers of the test PKI (test keys only).
//!
//! ```text
//! cargo run --example exchange [-- --out DIR]
//! ```
//!
//! Mario (`mario.rossi@pec.alfa.test`, provider Alfa) writes to Anna (`To`, a PEC mailbox at
//! provider Beta), Luca (`Cc`, PEC at Beta) and an ordinary address (`Cc`). Each step builds
//! a message with the crate, signs it with the provider's software key
//! ([`pecmail::cms::RsaSigner`], feature `rsa-signer`, on by default), prints who sends it
//! to whom and when, and reads it back through the verifying reader against a trust store
//! of both providers:
//!
//! 1. Alfa's access point accepts the message: acceptance receipt to Mario, transport
//!    envelope to all three recipients;
//! 2. Beta's incoming point verifies the envelope and takes it in charge for Anna and Luca
//!    (receipt to Alfa's service mailbox);
//! 3. Beta's delivery point stores it and sends Mario one receipt per PEC recipient: a
//!    complete one for Anna (`To`: the type Mario asked for), a summary one for Luca (`Cc`);
//!    the ordinary address gets none;
//! 4. Mario writes to Giulia at Beta, whose incoming point never answers: Alfa's delivery
//!    tracker sends Mario the 12 h notice, then the 24 h one.
//!
//! The decisions are the crate's provider rules ([`pecmail::rules`]): the access point's
//! checks, the incoming point's decision, the receipt fan-out, the tracker.
//!
//! `--out DIR` also writes every message as a `.eml` file, which `pecmail inspect` (the
//! `cli/` crate) reads. The process fails if any message does not read back as valid, of
//! its kind.

use std::path::{Path, PathBuf};

use pecmail::PecTime;
use pecmail::build::{
    Acceptance, BuildOptions, DeliveryTimeout, EmittingProvider, MessageKind, OriginalFacts,
    TakingInCharge, Timeout, TransportEnvelope,
};
use pecmail::cms::{RsaSigner, Signer, SigningIdentity};
use pecmail::daticert::{ReceiptKind, RecipientKind};
use pecmail::read::{ReadOptions, read};
use pecmail::rules::{
    IncomingDecision, IncomingPolicy, RecipientOutcome, Submission, SubmissionDecision,
    SubmissionPolicy, Tracker, TrackingPolicy, check_submission, decide_incoming, plan_receipts,
};
use pecmail::trust::{Provider, TrustStore};

const PKI: &str = "tests/fixtures/pki";

/// A file of the test PKI beside the crate.
fn pki(file: &str) -> Result<Vec<u8>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PKI).join(file);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A provider of the exchange: its signing key and certificate, as the crate uses them.
struct Party {
    name: &'static str,
    signer: RsaSigner,
    emitter: EmittingProvider,
}

impl Party {
    /// `NAME.key.der` (PKCS #8) and `NAME.der` of the test PKI, with `ca1.der` as chain.
    fn load(name: &'static str, file: &str) -> Result<Party, String> {
        let e = |err: pecmail::Error| format!("{file}: {err}");
        let signer = RsaSigner::from_pkcs8_der(
            &pki(&format!("{file}.key.der"))?,
            pki(&format!("{file}.der"))?,
            vec![pki("ca1.der")?],
        )
        .map_err(e)?;
        let identity = SigningIdentity::new(signer.certificate(), signer.chain()).map_err(e)?;
        let emitter = EmittingProvider::new(name, identity).map_err(e)?;
        Ok(Party {
            name,
            signer,
            emitter,
        })
    }
}

struct Exchange {
    out: Option<PathBuf>,
    store: TrustStore,
    step: usize,
}

impl Exchange {
    /// Reads a built message back, prints when it goes from whom to whom and what it is,
    /// writes it with `--out`.
    fn check(
        &mut self,
        (time, from, to): (PecTime, &str, &str),
        name: &str,
        message: &[u8],
        expected: MessageKind,
    ) -> Result<(), String> {
        self.step += 1;
        let read = read(message, &self.store, time, &ReadOptions::strict())
            .map_err(|e| format!("{name}: unreadable: {e}"))?;
        let kind = read.kind.map(|k| k.as_str()).unwrap_or("not-pec");
        println!(
            "{:>2}. {}  {from} -> {to}",
            self.step,
            time.to_datetime().format("%Y-%m-%d %H:%M:%S %z"),
        );
        println!(
            "    {kind}, {} bytes: signature {}, {} ({}), {}",
            message.len(),
            read.signature.as_str(),
            read.trust_status(),
            read.provider().unwrap_or_default(),
            if read.is_valid() {
                "valid"
            } else {
                "NOT VALID"
            },
        );
        for d in &read.diagnostics {
            println!("    {d}");
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

/// Why a recipient gets the receipt it gets (spec 3.6): the type the sender asked for goes
/// to the primary (`To`) recipients, the summary one to the others.
fn why(kind: MessageKind, requested: ReceiptKind) -> String {
    let asked = requested.as_str();
    match kind {
        MessageKind::DeliverySummary if requested != ReceiptKind::Summary => {
            format!("in Cc: a sintetica receipt (the sender asked for {asked})")
        }
        MessageKind::DeliverySummary => "the sender asked for sintetica".to_owned(),
        _ => format!("in To: the type the sender asked for, {asked}"),
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
    let alfa = Party::load("Alfa PEC S.p.A.", "alfa")?;
    let beta = Party::load("Beta Posta S.r.l.", "beta")?;
    let mut store = TrustStore::new();
    for (party, file, domain) in [(&alfa, "alfa", "alfa"), (&beta, "beta", "beta")] {
        store
            .add_provider(
                Provider::new(party.name)
                    .with_certificate(pki(&format!("{file}.der"))?)
                    .with_domain(format!("pec.{domain}.test"))
                    .with_service_address(format!("posta-certificata@pec.{domain}.test")),
            )
            .map_err(e)?;
    }
    store.add_anchor(&pki("root.der")?).map_err(e)?;
    println!("Two providers of the test PKI ({PKI}, test keys only):");
    println!("  {:<18} pec.alfa.test  signs with alfa.der", alfa.name);
    println!("  {:<18} pec.beta.test  signs with beta.der\n", beta.name);
    let mut ex = Exchange {
        out,
        store,
        step: 0,
    };
    let options = BuildOptions::default();
    // The caller's clock: the crate reads none.
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
    println!(
        "Mario Rossi <{sender}> submits {} bytes, \"{}\", to:",
        original.len(),
        facts.subject
    );
    for (recipient, header) in facts.recipients.iter().zip(["To", "Cc", "Cc"]) {
        let what = match recipient.kind {
            RecipientKind::Certified => "a PEC mailbox (certificato): a delivery receipt",
            _ => "ordinary mail (esterno): no receipt, the envelope as plain mail",
        };
        println!("  {header}: {:<28} {what}", recipient.address);
    }
    println!();
    let acceptance = Acceptance::new(&facts, "opec-alfa.20260601100000.2@pec.alfa.test", at(0)?)
        .prepare(&alfa.emitter, &options)
        .map_err(e)?
        .sign_with(&alfa.signer)
        .map_err(e)?
        .into_vec();
    ex.check(
        (at(0)?, "Alfa", sender),
        "acceptance-to-mario",
        &acceptance,
        MessageKind::Acceptance,
    )?;
    let envelope = TransportEnvelope::new(
        original.as_bytes(),
        sender,
        &facts.recipients,
        identifier,
        at(0)?,
    )
    .prepare(&alfa.emitter, &options)
    .map_err(e)?
    .sign_with(&alfa.signer)
    .map_err(e)?
    .into_vec();
    ex.check(
        (at(0)?, "Alfa", &forward.join(", ")),
        "transport-envelope",
        &envelope,
        MessageKind::TransportEnvelope,
    )?;

    // 2. Beta's incoming point reads the envelope (spec 6.2) for its two recipients: deliver,
    //    and take it in charge to Alfa's service mailbox.
    let received = read(&envelope, &ex.store, at(1)?, &ReadOptions::strict()).map_err(e)?;
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
    .prepare(&beta.emitter, &options)
    .map_err(e)?
    .sign_with(&beta.signer)
    .map_err(e)?
    .into_vec();
    ex.check(
        (at(1)?, "Beta", &taking_in_charge.to),
        "taking-in-charge-to-alfa",
        &taking,
        MessageKind::TakingInCharge,
    )?;

    // 3. Beta's delivery point stores it and plans one receipt per recipient (spec 3.6):
    //    completa for Anna (To, as asked), sintetica for Luca (Cc).
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
            .prepare(&plan, &id, at(2)?, &beta.emitter, &options)
            .map_err(e)?
            .sign_with(&beta.signer)
            .map_err(e)?
            .into_vec();
        let name = format!(
            "{}-{}",
            receipt.kind.as_str(),
            receipt.recipient.split('.').next().unwrap_or("recipient")
        );
        ex.check((at(2)?, "Beta", sender), &name, &bytes, receipt.kind)?;
        println!(
            "    about {}: {}",
            receipt.recipient,
            why(receipt.kind, plan.requested)
        );
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
    println!("\nAt 10:10 Mario writes to giulia.neri@pec.beta.test; Beta never answers.\n");
    let identifier = "opec-alfa.20260601101000.3@pec.alfa.test";
    let facts = accept(
        &ex.store,
        &to_giulia,
        sender,
        &["giulia.neri@pec.beta.test"],
        identifier,
    )?;
    let acceptance = Acceptance::new(&facts, "opec-alfa.20260601101000.4@pec.alfa.test", at(600)?)
        .prepare(&alfa.emitter, &options)
        .map_err(e)?
        .sign_with(&alfa.signer)
        .map_err(e)?
        .into_vec();
    ex.check(
        (at(600)?, "Alfa", sender),
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
    .prepare(&alfa.emitter, &options)
    .map_err(e)?
    .sign_with(&alfa.signer)
    .map_err(e)?
    .into_vec();
    ex.check(
        (at(600)?, "Alfa", "giulia.neri@pec.beta.test"),
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
                    .prepare(&alfa.emitter, &options)
                    .map_err(e)?
                    .sign_with(&alfa.signer)
                    .map_err(e)?
                    .into_vec();
            let (label, why) = match notice.timeout {
                Timeout::Hours12 => (
                    "timeout-12h-to-mario",
                    "neither taken in charge nor delivered within 12 h: it may still be delivered",
                ),
                _ => (
                    "timeout-24h-to-mario",
                    "not delivered within 24 h: the delivery is taken as failed",
                ),
            };
            ex.check(
                (notice.due, "Alfa", sender),
                label,
                &bytes,
                MessageKind::DeliveryTimeout,
            )?;
            println!("    about {}: {why}", notice.recipient);
        }
    }
    if !tracker.is_finished() {
        return Err("the tracker should have ended after the 24 h notice".into());
    }

    println!(
        "\nAll {} messages built, signed, and read back as valid PEC messages.",
        ex.step
    );
    match &ex.out {
        Some(dir) => println!(
            "Written to {}; read them again with\n  cargo run -p pecmail-cli -- inspect \
             --trust {PKI}/alfa.der --trust {PKI}/beta.der --at 2026-06-01T10:00:00+02:00 {}/*.eml",
            dir.display(),
            dir.display()
        ),
        None => println!(
            "Run with `-- --out DIR` to write each message as a .eml file, then read them with\n  \
             cargo run -p pecmail-cli -- inspect --trust {PKI}/alfa.der --trust {PKI}/beta.der \
             --at 2026-06-01T10:00:00+02:00 DIR/*.eml"
        ),
    }
    Ok(())
}
