//! `verify`: the S/MIME split, the CMS walk and verification, and the trust assessment never
//! panic, whatever the bytes. A split that succeeds stays inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pecmail::PecTime;
use pecmail::cms::{self, VerifyOptions};
use pecmail::smime::{self, MessageVerifyOptions};
use pecmail::trust::{TrustOptions, TrustStore};

fuzz_target!(|data: &[u8]| {
    // The whole message, in the most lenient configuration (so the deepest code runs).
    let mut options = MessageVerifyOptions::default();
    options.split.canonicalize_line_endings = true;
    options.cms.min_rsa_bits = 1024;
    if let Ok(message) = pecmail::mime::SignedMessage::parse(data, &options.split) {
        let range = message.signed_range();
        assert!(range.start <= range.end && range.end <= message.source().len());
    }
    if let Ok(v) = smime::verify(data, &options) {
        assert!(!v.signature.certificates.is_empty());
    }
    // The bytes as a detached CMS signature, and as a certificate to assess.
    let _ = cms::verify_detached(b"content", data, &VerifyOptions::default());
    let time = PecTime::from_unix(1_780_272_000, 0).expect("valid time");
    let store = TrustStore::new();
    let _ = store.assess_certificate(data, &[data.to_vec()], time, &TrustOptions::default());
});
