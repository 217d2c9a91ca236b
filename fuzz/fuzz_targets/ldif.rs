//! `ldif`: the provider index reader never panics, with default and tight limits; what it
//! accepts has every mandatory attribute, loads into a trust store, and names only
//! certificates that decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pecmail::trust::{IndexOptions, ProviderIndex, TrustStore};

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = ProviderIndex::parse(data, &IndexOptions::default()) {
        for p in &index.providers {
            assert!(!p.name.trim().is_empty(), "a provider without a name");
            assert!(p.domains.iter().all(|d| !d.trim().is_empty()), "an empty domain");
            assert!(!p.certificates.is_empty(), "a provider without certificates");
            assert!(!p.domains.is_empty(), "a provider without managed domains");
            assert!(p.service_address.is_some(), "a provider without mailReceipt");
        }
        let mut store = TrustStore::new();
        store
            .add_index(&index)
            .expect("the index reader checked every certificate");
        assert_eq!(store.providers().len(), index.providers.len());
    }
    let mut tight = IndexOptions::default();
    tight.max_line = 256;
    tight.max_entries = 4;
    tight.max_values = 16;
    let _ = ProviderIndex::parse(data, &tight);
});
