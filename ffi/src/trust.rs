//! The trust store from C: providers (as the provider index lists them), anchors, an LDIF
//! index (spec 6.2, 8).

use std::ffi::c_char;

use super::pecmail_status;
use super::{Fail, byte_arrays, bytes, guard, handle, null, optional_string, put, string, strings};
use pecmail::trust::{IndexOptions, Provider, ProviderIndex, TrustStore};

/// Which signers are PEC providers ([`TrustStore`]). Free with
/// [`pecmail_trust_store_free`].
pub struct pecmail_trust_store {
    pub(crate) store: TrustStore,
}

/// A new, empty store (nothing trusted) in `*out`.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_new(
    out: *mut *mut pecmail_trust_store,
) -> pecmail_status {
    guard(|| {
        let store = Box::into_raw(Box::new(pecmail_trust_store {
            store: TrustStore::new(),
        }));
        // SAFETY: as the caller promises; on failure the store is freed.
        unsafe { put("out", out, store) }.inspect_err(|_| {
            // SAFETY: just made by `Box::into_raw`.
            drop(unsafe { Box::from_raw(store) });
        })
    })
}

/// Frees a store. NULL is accepted.
///
/// # Safety
/// `store` must be NULL or a handle not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_free(store: *mut pecmail_trust_store) {
    if !store.is_null() {
        // SAFETY: from `Box::into_raw`, freed once.
        drop(unsafe { Box::from_raw(store) });
    }
}

/// Adds a provider: its name (`providerName`), its service mailbox (`mailReceipt`, may be
/// NULL), `n_certificates` signing certificates (DER; several during a rollover) and
/// `n_domains` managed domains.
///
/// # Safety
/// `store` a live handle; `name` a string; `service_address` NULL or a string;
/// `certificates`/`certificate_lens` arrays of `n_certificates`; `domains` an array of
/// `n_domains` strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_add_provider(
    store: *mut pecmail_trust_store,
    name: *const c_char,
    service_address: *const c_char,
    certificates: *const *const u8,
    certificate_lens: *const usize,
    n_certificates: usize,
    domains: *const *const c_char,
    n_domains: usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let store = unsafe { store.as_mut() }.ok_or_else(|| null("store"))?;
        let name = unsafe { string("name", name) }?;
        let service = unsafe { optional_string("service_address", service_address) }?;
        let certs = unsafe {
            byte_arrays(
                "certificates",
                certificates,
                certificate_lens,
                n_certificates,
            )
        }?;
        let domains = unsafe { strings("domains", domains, n_domains) }?;
        let mut p = Provider::new(name);
        if let Some(s) = service {
            p = p.with_service_address(s);
        }
        for c in certs {
            p = p.with_certificate(c.to_vec());
        }
        for d in domains {
            p = p.with_domain(d);
        }
        store.store.add_provider(p).map_err(Fail::from)
    })
}

/// Adds a trust anchor (DER): a root, or the AgID CA itself.
///
/// # Safety
/// `store` a live handle; `der` NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_add_anchor(
    store: *mut pecmail_trust_store,
    der: *const u8,
    len: usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let store = unsafe { store.as_mut() }.ok_or_else(|| null("store"))?;
        let der = unsafe { bytes("der", der, len) }?;
        store.store.add_anchor(der).map_err(Fail::from)
    })
}

/// Adds a certificate revocation list (DER or PEM, RFC 5280 section 5) the caller fetched:
/// it is taken where its issuer's signature verifies (`TrustStore::add_crl`). A CRL with a
/// critical extension the library does not process is `PECMAIL_INVALID_INPUT`.
///
/// # Safety
/// `store` a live handle; `crl` NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_add_crl(
    store: *mut pecmail_trust_store,
    crl: *const u8,
    len: usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let store = unsafe { store.as_mut() }.ok_or_else(|| null("store"))?;
        let crl = unsafe { bytes("crl", crl, len) }?;
        store.store.add_crl(crl).map_err(Fail::from)
    })
}

/// Adds an OCSP response (DER, RFC 6960) the caller fetched: taken when the issuer, or a
/// responder the issuer delegated, signed it (`TrustStore::add_ocsp_response`).
///
/// # Safety
/// `store` a live handle; `response` NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_add_ocsp_response(
    store: *mut pecmail_trust_store,
    response: *const u8,
    len: usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let store = unsafe { store.as_mut() }.ok_or_else(|| null("store"))?;
        let response = unsafe { bytes("response", response, len) }?;
        store.store.add_ocsp_response(response).map_err(Fail::from)
    })
}

/// Loads every provider of a provider index (LDIF, spec 8). A malformed index is
/// `PECMAIL_MALFORMED`, with the line in the message.
///
/// # Safety
/// `store` a live handle; `ldif` NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_load_ldif(
    store: *mut pecmail_trust_store,
    ldif: *const u8,
    len: usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let store = unsafe { store.as_mut() }.ok_or_else(|| null("store"))?;
        let ldif = unsafe { bytes("ldif", ldif, len) }?;
        let index = ProviderIndex::parse(ldif, &IndexOptions::default())?;
        store.store.add_index(&index).map_err(Fail::from)
    })
}

/// The number of providers in the store, in `*out`.
///
/// # Safety
/// `store` a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_trust_store_provider_count(
    store: *const pecmail_trust_store,
    out: *mut usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let store = unsafe { handle("store", store) }?;
        unsafe { put("out", out, store.store.providers().len()) }
    })
}
