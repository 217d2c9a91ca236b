//! LDIF: the provider index reader against huge values, endless folding and too many
//! entries or values.

use pecmail::ErrorKind::*;
use pecmail::trust::{IndexOptions, ProviderIndex};

use super::{Case, Expect, Outcome};

fn parse(ldif: &[u8]) -> Outcome {
    ProviderIndex::parse(ldif, &IndexOptions::default())
        .map(|i| i.diagnostics.iter().map(|d| d.code).collect())
}

const ENTRY: &str = "dn: providerName=X,o=postacert\nobjectclass: provider\nproviderName: X\n\
mailReceipt: posta-certificata@pec.x.test\nmanagedDomains: pec.x.test\n\
providerCertificateHash: 0000000000000000000000000000000000000000\n";

pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "a 2 MB base64 value",
            format!(
                "{ENTRY}providerCertificate;binary:: {}\n",
                "QUFB".repeat(500_000)
            )
            .into_bytes(),
            Expect::Error(LimitExceeded),
            parse,
        ),
        Case::new(
            "endless folding",
            format!(
                "dn: o=postacert\ndescription: x\n{}",
                " continua\n".repeat(200_000)
            )
            .into_bytes(),
            Expect::Error(LimitExceeded),
            parse,
        ),
        Case::new(
            "20,000 entries",
            "dn: o=postacert\nobjectclass: top\n\n"
                .repeat(20_000)
                .into_bytes(),
            Expect::Error(LimitExceeded),
            parse,
        ),
        Case::new(
            "5,000 values in one entry",
            format!("dn: o=postacert\n{}", "description: x\n".repeat(5_000)).into_bytes(),
            Expect::Error(LimitExceeded),
            parse,
        ),
        Case::new(
            "a URL value",
            format!("{ENTRY}providerCertificate:< file:///etc/ssl/cert.der\n").into_bytes(),
            Expect::Error(MalformedIndex),
            parse,
        ),
        Case::new(
            "invalid base64",
            format!("{ENTRY}providerCertificate;binary:: ***\n").into_bytes(),
            Expect::Error(MalformedIndex),
            parse,
        ),
        Case::new(
            "a certificate that does not decode",
            format!("{ENTRY}providerCertificate;binary:: MAA=\n").into_bytes(),
            Expect::Error(MalformedIndex),
            parse,
        ),
        Case::new(
            "an index over the size limit",
            "# commento\n".repeat(2_000_000).into_bytes(),
            Expect::Error(LimitExceeded),
            parse,
        ),
        Case::new(
            "NUL bytes and no colon",
            b"dn: o=postacert\n\0\0\0\n".to_vec(),
            Expect::Error(MalformedIndex),
            parse,
        ),
    ]
}
