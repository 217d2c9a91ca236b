//! The real provider messages of `../shared/corpus` that read as valid, each with what makes
//! it so: the AgID (or DigitPA) CA taken from the message's own certificates as the only
//! anchor, the signing time given as the caller's time, and the lenient options (the corpus
//! holds LF-stored and 1024-bit messages). Read in place, never copied.

use std::path::Path;

use pecmail::PecTime;
use pecmail::read::{ReadOptions, read};
use pecmail::trust::TrustStore;

/// One row of `manifest.tsv`.
pub struct Row {
    pub path: String,
    pub kind: String,
    pub tipo: String,
    pub signature: String,
}

/// The rows of `dir/manifest.tsv`.
pub fn manifest(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l}");
            Row {
                path: f[0].to_owned(),
                kind: f[1].to_owned(),
                tipo: f[2].to_owned(),
                signature: f[3].to_owned(),
            }
        })
        .collect()
}

/// A real message and the reading under which it is valid.
pub struct Trusted {
    pub path: String,
    pub raw: Vec<u8>,
    pub store: TrustStore,
    pub at: PecTime,
    pub options: ReadOptions,
}

/// Every corpus row OpenSSL verifies (not those a mailing list wrapped: their top level is
/// not PEC), with its anchor and time; `None` without the corpus.
pub fn trusted(dir: &Path) -> Vec<Trusted> {
    let mut out = Vec::new();
    for row in manifest(dir) {
        if row.signature != "valid" {
            continue;
        }
        let raw = std::fs::read(dir.join(&row.path)).unwrap();
        let options = ReadOptions::lenient();
        let first = read(&raw, &TrustStore::new(), super::now(), &options).unwrap();
        let report = first.signature_report.as_ref().unwrap();
        let ca = report
            .certificates
            .iter()
            .find(|c| {
                pecmail::CertificateInfo::from_der(c).unwrap().subject == report.signer.issuer
            })
            .unwrap_or_else(|| panic!("{}: the issuing CA is not in the message", row.path));
        let mut store = TrustStore::new();
        store.add_anchor(ca).unwrap();
        let at = report
            .signing_time
            .or_else(|| first.daticert.as_ref().map(|d| d.data.time))
            .unwrap();
        out.push(Trusted {
            path: row.path,
            raw,
            store,
            at,
            options,
        });
    }
    out
}
