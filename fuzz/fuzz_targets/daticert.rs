//! `daticert`: the reader never panics, in either mode; whatever strict mode accepts writes
//! back and re-reads to the same value; whatever lenient mode accepts writes back to a
//! document strict mode accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pecmail::daticert::{Daticert, ParseOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(strict) = Daticert::parse(data, &ParseOptions::strict()) {
        let written = strict.daticert.to_xml();
        // Strict input cannot contain characters XML forbids, so nothing is replaced.
        assert!(written.diagnostics.is_empty(), "{:?}", written.diagnostics);
        let again = Daticert::parse(written.xml.as_bytes(), &ParseOptions::strict())
            .expect("the writer's output must parse strictly");
        assert_eq!(again.daticert, strict.daticert);
    }
    if let Ok(lenient) = Daticert::parse(data, &ParseOptions::lenient()) {
        let written = lenient.daticert.to_xml();
        let again = Daticert::parse(written.xml.as_bytes(), &ParseOptions::strict())
            .expect("the writer's output must parse strictly, even from lenient input");
        if written.diagnostics.is_empty() {
            assert_eq!(again.daticert, lenient.daticert);
        }
    }
});
