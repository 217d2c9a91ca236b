//! One message of every kind, built from fixed inputs with the test PKI: the fixture set of
//! the builder and reader tests.
#![allow(dead_code)]

use pecmail::build::{
    Acceptance, AnomalyEnvelope, BuildOptions, Delivery, DeliveryTimeout, EmittingProvider,
    MessageKind, NonAcceptance, NonDelivery, OriginalFacts, TakingInCharge, Timeout,
    TransportEnvelope, VirusDetection,
};
use pecmail::cms::{Signer, SigningIdentity};
use pecmail::daticert::{CertError, ReceiptKind, Recipient};
use pecmail::read::{ReadOptions, read};
use pecmail::trust::{Provider, TrustStore};
use pecmail::{Backend, PecTime};

use super::now;
use super::pki;

pub const SENDER: &str = "mario.rossi@pec.alfa.test";
pub const ANNA: &str = "anna.bianchi@pec.beta.test";
pub const LUCA: &str = "luca.verdi@pec.beta.test";
pub const ORDINARY: &str = "ordinario@example.com";
pub const ALFA_SERVICE: &str = "posta-certificata@pec.alfa.test";

/// The submitted message: text and a PDF attachment, a UTF-8 subject.
pub const ORIGINAL: &str = "From: Mario Rossi <mario.rossi@pec.alfa.test>\r\n\
To: Anna Bianchi <anna.bianchi@pec.beta.test>\r\n\
Cc: luca.verdi@pec.beta.test, ordinario@example.com\r\n\
Subject: Fattura =?UTF-8?Q?n=C2=B0_42_=E2=80=93_giugno?=\r\n\
Date: Mon, 01 Jun 2026 09:59:58 +0200\r\n\
Message-ID: <20260601095958.1234@client.example>\r\n\
X-TipoRicevuta: breve\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"client-boundary\"\r\n\
\r\n\
--client-boundary\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
In allegato la fattura di giugno. Cos\u{ec} \u{e8}.\r\n\
--client-boundary\r\n\
Content-Type: application/pdf; name=\"fattura-42.pdf\"\r\n\
Content-Disposition: attachment; filename=\"fattura-42.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl\r\n\
Y29kZT4+CnN0cmVhbQp4nDPQM1Qo5ypUMFAw0DMwslAwtTTVyyrOzFMoSs1LSSxRSEksSeTlAgCI\r\n\
--client-boundary--\r\n";

/// The ordinary message an incoming point wraps in an anomaly envelope.
pub const ORDINARY_MAIL: &str = "Return-Path: <newsletter@example.com>\r\n\
Received: from mx.example.com by mx.pec.beta.test; Mon, 01 Jun 2026 10:05:00 +0200\r\n\
From: Newsletter <newsletter@example.com>\r\n\
To: anna.bianchi@pec.beta.test\r\n\
Subject: Offerte di giugno\r\n\
Date: Mon, 01 Jun 2026 10:04:59 +0200\r\n\
Message-ID: <news-77@example.com>\r\n\
\r\n\
Le nostre offerte.\r\n";

pub fn at(seconds: i64) -> PecTime {
    PecTime::from_unix(1_780_300_800 + seconds, 120).unwrap() // 2026-06-01 10:00:00 +0200
}

pub fn recipients() -> Vec<Recipient> {
    vec![
        Recipient::certified(ANNA),
        Recipient::certified(LUCA),
        Recipient::external(ORDINARY),
    ]
}

pub fn alfa() -> EmittingProvider {
    EmittingProvider::new(
        "Alfa PEC S.p.A.",
        SigningIdentity::new(&pki("alfa.der"), &[pki("ca1.der")]).unwrap(),
    )
    .unwrap()
}

pub fn beta() -> EmittingProvider {
    EmittingProvider::new(
        "Beta Posta S.r.l.",
        SigningIdentity::new(&pki("beta.der"), &[pki("ca1.der")]).unwrap(),
    )
    .unwrap()
}

/// Both providers, as the provider index describes them, and the test root.
pub fn store() -> TrustStore {
    let mut s = TrustStore::new();
    s.add_provider(
        Provider::new("Alfa PEC S.p.A.")
            .with_certificate(pki("alfa.der"))
            .with_domain("pec.alfa.test")
            .with_service_address(ALFA_SERVICE),
    )
    .unwrap();
    s.add_provider(
        Provider::new("Beta Posta S.r.l.")
            .with_certificate(pki("beta.der"))
            .with_domain("pec.beta.test")
            .with_service_address("posta-certificata@pec.beta.test"),
    )
    .unwrap();
    s.add_anchor(&pki("root.der")).unwrap();
    s
}

/// The fixture set with the first signer of each provider, the default backend, text only.
pub fn fixture() -> Vec<Built> {
    let (_, alfa) = super::signers("alfa").into_iter().next().unwrap();
    let (_, beta) = super::signers("beta").into_iter().next().unwrap();
    all(Backend::default(), alfa.as_ref(), beta.as_ref(), false)
}

/// One message of [`fixture`], by name.
pub fn fixture_message(name: &str) -> Vec<u8> {
    fixture()
        .into_iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .bytes
}

/// A built message of the fixture set.
pub struct Built {
    pub name: &'static str,
    pub kind: MessageKind,
    pub bytes: Vec<u8>,
}

/// Every kind, from fixed inputs, with `backend` and the signers `alfa_signer` /
/// `beta_signer`; `html` adds the HTML alternative.
pub fn all(
    backend: Backend,
    alfa_signer: &dyn Signer,
    beta_signer: &dyn Signer,
    html: bool,
) -> Vec<Built> {
    let mut options = BuildOptions::default();
    options.signing.cms.backend = backend;
    options.html = html;
    let (alfa, beta) = (alfa(), beta());
    let recipients = recipients();
    let identifier = "opec-alfa.20260601100000.1@pec.alfa.test";
    let envelope =
        TransportEnvelope::new(ORIGINAL.as_bytes(), SENDER, &recipients, identifier, at(0));
    let facts: OriginalFacts = envelope.facts().unwrap();
    let mut out = Vec::new();
    let mut push = |name, kind, bytes| out.push(Built { name, kind, bytes });

    let envelope_bytes = envelope
        .prepare(&alfa, &options)
        .unwrap()
        .sign_with(alfa_signer)
        .unwrap()
        .into_vec();
    let read_envelope = read(&envelope_bytes, &store(), now(), &ReadOptions::strict()).unwrap();
    let pecmail = read_envelope.original().unwrap().to_vec();
    push(
        "transport-envelope",
        MessageKind::TransportEnvelope,
        envelope_bytes.clone(),
    );

    push(
        "anomaly-envelope",
        MessageKind::AnomalyEnvelope,
        AnomalyEnvelope::new(
            ORDINARY_MAIL.as_bytes(),
            "messaggio di posta ordinaria",
            at(300),
        )
        .prepare(&beta, &options)
        .unwrap()
        .sign_with(beta_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "acceptance",
        MessageKind::Acceptance,
        Acceptance::new(&facts, "opec-alfa.20260601100000.2@pec.alfa.test", at(0))
            .prepare(&alfa, &options)
            .unwrap()
            .sign_with(alfa_signer)
            .unwrap()
            .into_vec(),
    );
    push(
        "non-acceptance",
        MessageKind::NonAcceptance,
        NonAcceptance::new(
            &facts,
            "destinatari in Ccn non ammessi",
            "opec-alfa.3@pec.alfa.test",
            at(0),
        )
        .prepare(&alfa, &options)
        .unwrap()
        .sign_with(alfa_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "non-acceptance-virus",
        MessageKind::NonAcceptanceVirus,
        NonAcceptance::new(
            &facts,
            "Eicar-Test-Signature",
            "opec-alfa.4@pec.alfa.test",
            at(0),
        )
        .virus()
        .prepare(&alfa, &options)
        .unwrap()
        .sign_with(alfa_signer)
        .unwrap()
        .into_vec(),
    );
    let covered = vec![ANNA.to_owned(), LUCA.to_owned()];
    push(
        "taking-in-charge",
        MessageKind::TakingInCharge,
        TakingInCharge::new(
            &facts,
            &covered,
            ALFA_SERVICE,
            "beta-1@pec.beta.test",
            at(1),
        )
        .prepare(&beta, &options)
        .unwrap()
        .sign_with(beta_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "delivery-full",
        MessageKind::DeliveryFull,
        Delivery::new(
            &facts,
            ANNA,
            ReceiptKind::Full,
            "beta-2@pec.beta.test",
            at(2),
        )
        .original(&pecmail)
        .prepare(&beta, &options)
        .unwrap()
        .sign_with(beta_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "delivery-short",
        MessageKind::DeliveryShort,
        Delivery::new(
            &facts,
            ANNA,
            ReceiptKind::Short,
            "beta-3@pec.beta.test",
            at(2),
        )
        .original(&pecmail)
        .prepare(&beta, &options)
        .unwrap()
        .sign_with(beta_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "delivery-summary",
        MessageKind::DeliverySummary,
        Delivery::new(
            &facts,
            LUCA,
            ReceiptKind::Summary,
            "beta-4@pec.beta.test",
            at(2),
        )
        .prepare(&beta, &options)
        .unwrap()
        .sign_with(beta_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "non-delivery",
        MessageKind::NonDelivery,
        NonDelivery::new(
            &facts,
            ANNA,
            CertError::NoRecipient,
            "5.1.1 - Beta Posta S.r.l. - indirizzo non valido",
            "beta-5@pec.beta.test",
            at(2),
        )
        .prepare(&beta, &options)
        .unwrap()
        .sign_with(beta_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "non-delivery-virus",
        MessageKind::NonDeliveryVirus,
        NonDelivery::new(
            &facts,
            ANNA,
            CertError::Virus,
            "Eicar-Test-Signature",
            "opec-alfa.6@pec.alfa.test",
            at(3),
        )
        .prepare(&alfa, &options)
        .unwrap()
        .sign_with(alfa_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "virus-detection",
        MessageKind::VirusDetection,
        VirusDetection::new(
            &facts,
            ANNA,
            "Eicar-Test-Signature",
            ALFA_SERVICE,
            "beta-6@pec.beta.test",
            at(2),
        )
        .prepare(&beta, &options)
        .unwrap()
        .sign_with(beta_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "delivery-timeout-12h",
        MessageKind::DeliveryTimeout,
        DeliveryTimeout::new(
            &facts,
            LUCA,
            Timeout::Hours12,
            "opec-alfa.7@pec.alfa.test",
            at(12 * 3600),
        )
        .prepare(&alfa, &options)
        .unwrap()
        .sign_with(alfa_signer)
        .unwrap()
        .into_vec(),
    );
    push(
        "delivery-timeout-24h",
        MessageKind::DeliveryTimeout,
        DeliveryTimeout::new(
            &facts,
            LUCA,
            Timeout::Hours24,
            "opec-alfa.8@pec.alfa.test",
            at(23 * 3600),
        )
        .prepare(&alfa, &options)
        .unwrap()
        .sign_with(alfa_signer)
        .unwrap()
        .into_vec(),
    );
    out
}
