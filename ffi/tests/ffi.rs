//! The C API from Rust: every exported function with NULL pointers and zero lengths gives an
//! error code (never a crash), and a whole round trip (trust store, facts, prepare, sign by
//! callback and in two phases, read back, accessors) works. The C example
//! (`examples/c/`) does the same from C, under valgrind, in CI.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr::{null, null_mut};

use common::messages::{self, ANNA, SENDER};
use common::pki;
use pecmail_ffi::*;
use pecmail_status::*;

fn at() -> pecmail_time {
    pecmail_time {
        unix_seconds: messages::at(0).unix_seconds(),
        offset_minutes: 120,
    }
}

fn last_error() -> String {
    let mut buf = vec![0 as c_char; 512];
    // SAFETY: the buffer has 512 bytes.
    let n = unsafe { pecmail_last_error(buf.as_mut_ptr(), buf.len()) };
    assert!(n >= 1);
    // SAFETY: the library NUL-terminates what it writes.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// The test signer behind the callback: `user_data` points to an `rsa` key.
unsafe extern "C" fn sign_callback(
    user_data: *mut c_void,
    _tbs: *const u8,
    _tbs_len: usize,
    digest_info: *const u8,
    digest_info_len: usize,
    signature: *mut u8,
    capacity: usize,
    signature_len: *mut usize,
) -> c_int {
    // SAFETY: the test passes an `RsaPrivateKey` and the library the buffers it describes.
    let key = unsafe { &*(user_data as *const rsa::PrivateKey) };
    let di = unsafe { std::slice::from_raw_parts(digest_info, digest_info_len) };
    let Ok(sig) = key.sign(rsa::Pkcs1v15Sign::new_unprefixed(), di) else {
        return 1;
    };
    if sig.len() > capacity {
        return 2;
    }
    // SAFETY: `capacity` bytes at `signature`, `signature_len` writable.
    unsafe {
        std::ptr::copy_nonoverlapping(sig.as_ptr(), signature, sig.len());
        *signature_len = sig.len();
    }
    0
}

unsafe extern "C" fn failing_callback(
    _: *mut c_void,
    _: *const u8,
    _: usize,
    _: *const u8,
    _: usize,
    _: *mut u8,
    _: usize,
    _: *mut usize,
) -> c_int {
    -1
}

fn key(name: &str) -> rsa::PrivateKey {
    use rsa::pkcs8::DecodePrivateKey;
    rsa::PrivateKey::from_pkcs8_der(&pki(&format!("{name}.key.der"))).unwrap()
}

struct Fixture {
    store: *mut pecmail_trust_store,
    emitter: *mut pecmail_emitter,
    facts: *mut pecmail_facts,
}

impl Fixture {
    fn new() -> Fixture {
        let mut store = null_mut();
        let mut emitter = null_mut();
        let mut facts = null_mut();
        let (alfa, ca1, root) = (pki("alfa.der"), pki("ca1.der"), pki("root.der"));
        let name = cstr("Alfa PEC S.p.A.");
        let service = cstr(messages::ALFA_SERVICE);
        let domain = cstr("pec.alfa.test");
        let certs = [alfa.as_ptr()];
        let lens = [alfa.len()];
        let domains = [domain.as_ptr()];
        let chain = [ca1.as_ptr()];
        let chain_lens = [ca1.len()];
        let original = messages::ORIGINAL.as_bytes();
        let sender = cstr(SENDER);
        let recipients: Vec<CString> = messages::recipients()
            .iter()
            .map(|r| cstr(&r.address))
            .collect();
        let pointers: Vec<*const c_char> = recipients.iter().map(|r| r.as_ptr()).collect();
        let certified = [true, true, false];
        let identifier = cstr("opec-alfa.20260601100000.1@pec.alfa.test");
        // SAFETY: every pointer is live for the calls, with the lengths given.
        unsafe {
            assert_eq!(pecmail_trust_store_new(&mut store), PECMAIL_OK);
            assert_eq!(
                pecmail_trust_store_add_provider(
                    store,
                    name.as_ptr(),
                    service.as_ptr(),
                    certs.as_ptr(),
                    lens.as_ptr(),
                    1,
                    domains.as_ptr(),
                    1
                ),
                PECMAIL_OK
            );
            assert_eq!(
                pecmail_trust_store_add_anchor(store, root.as_ptr(), root.len()),
                PECMAIL_OK
            );
            assert_eq!(
                pecmail_emitter_new(
                    name.as_ptr(),
                    alfa.as_ptr(),
                    alfa.len(),
                    chain.as_ptr(),
                    chain_lens.as_ptr(),
                    1,
                    &mut emitter
                ),
                PECMAIL_OK,
                "{}",
                last_error()
            );
            assert_eq!(
                pecmail_facts_new(
                    original.as_ptr(),
                    original.len(),
                    sender.as_ptr(),
                    pointers.as_ptr(),
                    certified.as_ptr(),
                    3,
                    identifier.as_ptr(),
                    &mut facts
                ),
                PECMAIL_OK,
                "{}",
                last_error()
            );
        }
        Fixture {
            store,
            emitter,
            facts,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // SAFETY: handles made by `new`, freed once.
        unsafe {
            pecmail_facts_free(self.facts);
            pecmail_emitter_free(self.emitter);
            pecmail_trust_store_free(self.store);
        }
    }
}

fn field(m: *const pecmail_message, f: pecmail_field) -> Option<String> {
    // SAFETY: a live handle; the string lives as long as it.
    let p = unsafe { pecmail_message_string(m, f as u32) };
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

#[test]
fn a_round_trip_through_the_c_api() {
    let fx = Fixture::new();
    let alfa_key = key("alfa");
    let message_id = cstr("opec-alfa.20260601100000.2@pec.alfa.test");
    let original = messages::ORIGINAL.as_bytes();
    // SAFETY: live handles and buffers throughout; every handle freed once.
    unsafe {
        // The envelope, signed by callback.
        let mut pending = null_mut();
        assert_eq!(
            pecmail_prepare_transport_envelope(
                fx.emitter,
                fx.facts,
                original.as_ptr(),
                original.len(),
                at(),
                &mut pending
            ),
            PECMAIL_OK,
            "{}",
            last_error()
        );
        let mut envelope = null_mut();
        assert_eq!(
            pecmail_pending_sign(
                pending,
                Some(sign_callback),
                &alfa_key as *const _ as *mut c_void,
                &mut envelope
            ),
            PECMAIL_OK,
            "{}",
            last_error()
        );
        let bytes =
            std::slice::from_raw_parts(pecmail_bytes_data(envelope), pecmail_bytes_len(envelope))
                .to_vec();
        // The same as the Rust builder makes.
        let fixture = messages::all(
            pecmail::Backend::default(),
            common::signers("alfa")[0].1.as_ref(),
            common::signers("beta")[0].1.as_ref(),
            false,
        );
        assert_eq!(bytes, fixture[0].bytes, "the C API builds the same bytes");
        pecmail_bytes_free(envelope);

        // Read it back.
        let mut m = null_mut();
        assert_eq!(
            pecmail_read(bytes.as_ptr(), bytes.len(), fx.store, 0, &at(), &mut m),
            PECMAIL_OK
        );
        assert!(pecmail_message_valid(m));
        use pecmail_field::*;
        assert_eq!(
            field(m, PECMAIL_FIELD_KIND).as_deref(),
            Some("transport-envelope")
        );
        assert_eq!(field(m, PECMAIL_FIELD_SIGNATURE).as_deref(), Some("valid"));
        assert_eq!(field(m, PECMAIL_FIELD_TRUST).as_deref(), Some("trusted"));
        assert_eq!(
            field(m, PECMAIL_FIELD_PROVIDER).as_deref(),
            Some("Alfa PEC S.p.A.")
        );
        assert_eq!(
            field(m, PECMAIL_FIELD_DATICERT_TIPO).as_deref(),
            Some("posta-certificata")
        );
        assert_eq!(field(m, PECMAIL_FIELD_SENDER).as_deref(), Some(SENDER));
        assert_eq!(
            field(m, PECMAIL_FIELD_RECEIPT_TYPE).as_deref(),
            Some("breve")
        );
        assert_eq!(field(m, PECMAIL_FIELD_DELIVERY), None);
        assert!(pecmail_message_string(m, 999).is_null());
        let mut n = 0usize;
        assert_eq!(pecmail_message_recipient_count(m, &mut n), PECMAIL_OK);
        assert_eq!(n, 3);
        let (mut address, mut certified) = (null(), false);
        assert_eq!(
            pecmail_message_recipient(m, 0, &mut address, &mut certified),
            PECMAIL_OK
        );
        assert_eq!(CStr::from_ptr(address).to_str().unwrap(), ANNA);
        assert!(certified);
        assert_eq!(
            pecmail_message_recipient(m, 3, &mut address, &mut certified),
            PECMAIL_INVALID_INPUT
        );
        let (mut data, mut len) = (null(), 0usize);
        assert_eq!(pecmail_message_original(m, &mut data, &mut len), PECMAIL_OK);
        let carried = std::slice::from_raw_parts(data, len);
        assert!(carried.ends_with(b"--client-boundary--\r\n"));
        assert_eq!(pecmail_message_diagnostic_count(m, &mut n), PECMAIL_OK);
        assert_eq!(n, 0);
        let mut t = pecmail_time {
            unix_seconds: 0,
            offset_minutes: 0,
        };
        assert_eq!(pecmail_message_time(m, &mut t), PECMAIL_OK);
        assert_eq!(t, at());

        // Facts from the read envelope, and an acceptance in two phases.
        let mut facts = null_mut();
        assert_eq!(pecmail_facts_from_message(m, &mut facts), PECMAIL_OK);
        let mut pending = null_mut();
        assert_eq!(
            pecmail_prepare_acceptance(fx.emitter, facts, message_id.as_ptr(), at(), &mut pending),
            PECMAIL_OK
        );
        let (mut di, mut di_len) = (null(), 0usize);
        assert_eq!(
            pecmail_pending_digest_info(pending, &mut di, &mut di_len),
            PECMAIL_OK
        );
        let (mut tbs, mut tbs_len) = (null(), 0usize);
        assert_eq!(
            pecmail_pending_to_be_signed(pending, &mut tbs, &mut tbs_len),
            PECMAIL_OK
        );
        assert_eq!(*tbs, 0x31, "a SET OF signed attributes");
        let sig = alfa_key
            .sign(
                rsa::Pkcs1v15Sign::new_unprefixed(),
                std::slice::from_raw_parts(di, di_len),
            )
            .unwrap();
        let mut receipt = null_mut();
        assert_eq!(
            pecmail_pending_finish(pending, sig.as_ptr(), sig.len(), &mut receipt),
            PECMAIL_OK
        );
        let rbytes =
            std::slice::from_raw_parts(pecmail_bytes_data(receipt), pecmail_bytes_len(receipt));
        let mut r = null_mut();
        assert_eq!(
            pecmail_read(rbytes.as_ptr(), rbytes.len(), fx.store, 0, &at(), &mut r),
            PECMAIL_OK
        );
        assert_eq!(field(r, PECMAIL_FIELD_KIND).as_deref(), Some("acceptance"));
        assert!(pecmail_message_valid(r));
        pecmail_message_free(r);
        pecmail_bytes_free(receipt);

        // A wrong signature, a failing callback: errors, and the pending is consumed.
        let mut pending = null_mut();
        assert_eq!(
            pecmail_prepare_acceptance(fx.emitter, facts, message_id.as_ptr(), at(), &mut pending),
            PECMAIL_OK
        );
        let mut out = null_mut();
        assert_eq!(
            pecmail_pending_finish(pending, [0u8; 256].as_ptr(), 256, &mut out),
            PECMAIL_SIGNATURE_INVALID
        );
        assert!(out.is_null());
        let mut pending = null_mut();
        assert_eq!(
            pecmail_prepare_acceptance(fx.emitter, facts, message_id.as_ptr(), at(), &mut pending),
            PECMAIL_OK
        );
        assert_eq!(
            pecmail_pending_sign(pending, Some(failing_callback), null_mut(), &mut out),
            PECMAIL_SIGNER_FAILED
        );
        assert!(last_error().contains("callback"), "{}", last_error());
        pecmail_facts_free(facts);
        pecmail_message_free(m);
    }
}

#[test]
fn invalid_inputs_are_named() {
    let fx = Fixture::new();
    let bad = cstr("no-at-sign");
    let mut pending = null_mut();
    // SAFETY: live handles and strings.
    unsafe {
        assert_eq!(
            pecmail_prepare_acceptance(fx.emitter, fx.facts, bad.as_ptr(), at(), &mut pending),
            PECMAIL_INVALID_INPUT
        );
        assert!(pending.is_null());
        assert!(last_error().contains("message_id"), "{}", last_error());
        let not_utf8 = [0xffu8, 0];
        assert_eq!(
            pecmail_prepare_acceptance(
                fx.emitter,
                fx.facts,
                not_utf8.as_ptr().cast(),
                at(),
                &mut pending
            ),
            PECMAIL_INVALID_INPUT
        );
        let broken = b"dn: o=postacert\nno colon\n";
        assert_eq!(
            pecmail_trust_store_load_ldif(fx.store, broken.as_ptr(), broken.len()),
            PECMAIL_MALFORMED
        );
        assert!(last_error().contains("line 2"), "{}", last_error());
        let recipient = cstr(ANNA);
        let id = cstr("x@pec.alfa.test");
        assert_eq!(
            pecmail_prepare_delivery(
                fx.emitter,
                fx.facts,
                recipient.as_ptr(),
                7,
                null(),
                0,
                id.as_ptr(),
                at(),
                &mut pending
            ),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_prepare_delivery_timeout(
                fx.emitter,
                fx.facts,
                recipient.as_ptr(),
                13,
                id.as_ptr(),
                at(),
                &mut pending
            ),
            PECMAIL_INVALID_INPUT
        );
        let mut m = null_mut();
        assert_eq!(
            pecmail_read(b"x".as_ptr(), 1, fx.store, 0x80, &at(), &mut m),
            PECMAIL_INVALID_INPUT
        );
    }
}

/// Every exported function, with NULL for every pointer and 0 for every length: an error
/// code (or the documented NULL/0/no-op for accessors and frees), never a crash.
#[test]
fn null_pointers_and_zero_lengths_everywhere() {
    let t = at();
    let n = null::<c_char>();
    let nb = null::<u8>();
    // SAFETY: NULL is what is being tested; the library must check it.
    unsafe {
        let mut buf = [0 as c_char; 4];
        assert!(pecmail_last_error(null_mut(), 0) >= 1);
        assert!(pecmail_last_error(buf.as_mut_ptr(), 0) >= 1);

        assert_eq!(pecmail_trust_store_new(null_mut()), PECMAIL_NULL_ARGUMENT);
        pecmail_trust_store_free(null_mut());
        assert_eq!(
            pecmail_trust_store_add_provider(null_mut(), n, n, null(), null(), 0, null(), 0),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_trust_store_add_anchor(null_mut(), nb, 0),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_trust_store_load_ldif(null_mut(), nb, 0),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_trust_store_provider_count(null(), null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        // With a real store, the other arguments NULL or empty.
        let mut store = null_mut();
        assert_eq!(pecmail_trust_store_new(&mut store), PECMAIL_OK);
        assert_eq!(
            pecmail_trust_store_add_provider(store, n, n, null(), null(), 0, null(), 0),
            PECMAIL_NULL_ARGUMENT
        );
        let name = cstr("X");
        assert_eq!(
            pecmail_trust_store_add_provider(store, name.as_ptr(), n, null(), null(), 1, null(), 0),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_trust_store_add_provider(store, name.as_ptr(), n, null(), null(), 0, null(), 2),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_trust_store_add_anchor(store, nb, 0),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_trust_store_add_anchor(store, nb, 5),
            PECMAIL_NULL_ARGUMENT
        );
        // An empty index has no providers: fine.
        assert_eq!(pecmail_trust_store_load_ldif(store, nb, 0), PECMAIL_OK);
        assert_eq!(
            pecmail_trust_store_load_ldif(store, nb, 3),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_trust_store_provider_count(store, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );

        // Reading.
        let mut m = null_mut();
        assert_eq!(
            pecmail_read(nb, 0, null(), 0, &t, &mut m),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(pecmail_read(nb, 0, store, 0, &t, &mut m), PECMAIL_MALFORMED);
        assert_eq!(
            pecmail_read(nb, 9, store, 0, &t, &mut m),
            PECMAIL_NULL_ARGUMENT
        );
        let mail = messages::ORDINARY_MAIL.as_bytes();
        assert_eq!(
            pecmail_read(mail.as_ptr(), mail.len(), store, 0, &t, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        // The validation time is the caller's: NULL is refused, unless the caller asks for
        // the claimed time, and then a time is refused.
        assert_eq!(
            pecmail_read(mail.as_ptr(), mail.len(), store, 0, null(), &mut m),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_read(
                mail.as_ptr(),
                mail.len(),
                store,
                PECMAIL_READ_AT_CLAIMED_TIME,
                &t,
                &mut m
            ),
            PECMAIL_INVALID_INPUT
        );
        assert!(m.is_null());
        pecmail_message_free(null_mut());
        assert!(pecmail_message_string(null(), 0).is_null());
        assert!(!pecmail_message_valid(null()));
        assert!(pecmail_message_inner(null()).is_null());
        let mut count = 0usize;
        let mut p = null();
        let mut flag = false;
        let mut len = 0usize;
        let mut tm = t;
        assert_eq!(pecmail_message_time(null(), &mut tm), PECMAIL_NULL_ARGUMENT);
        assert_eq!(
            pecmail_message_recipient_count(null(), &mut count),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_recipient(null(), 0, &mut p, &mut flag),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_reception_count(null(), &mut count),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_reception(null(), 0, &mut p),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_diagnostic_count(null(), &mut count),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_diagnostic(null(), 0, null_mut(), null_mut(), null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        let mut data = null();
        assert_eq!(
            pecmail_message_original(null(), &mut data, &mut len),
            PECMAIL_NULL_ARGUMENT
        );
        // A real message, NULL outs.
        assert_eq!(
            pecmail_read(mail.as_ptr(), mail.len(), store, 0, &t, &mut m),
            PECMAIL_OK
        );
        assert_eq!(pecmail_message_time(m, &mut tm), PECMAIL_INVALID_INPUT);
        assert_eq!(pecmail_message_time(m, null_mut()), PECMAIL_NULL_ARGUMENT);
        assert_eq!(
            pecmail_message_recipient_count(m, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_recipient(m, 0, null_mut(), null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_recipient(m, 0, &mut p, &mut flag),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_message_reception_count(m, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_reception(m, 0, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_reception(m, 0, &mut p),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_message_diagnostic_count(m, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_diagnostic(m, 99, null_mut(), null_mut(), null_mut()),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_message_original(m, null_mut(), null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_message_original(m, &mut data, &mut len),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            field(m, pecmail_field::PECMAIL_FIELD_KIND).as_deref(),
            Some("not-pec")
        );
        pecmail_message_free(m);

        // Building.
        let mut emitter = null_mut();
        assert_eq!(
            pecmail_emitter_new(n, nb, 0, null(), null(), 0, &mut emitter),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_emitter_new(name.as_ptr(), nb, 0, null(), null(), 0, &mut emitter),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_emitter_new(name.as_ptr(), nb, 0, null(), null(), 1, &mut emitter),
            PECMAIL_NULL_ARGUMENT
        );
        let alfa = pki("alfa.der");
        assert_eq!(
            pecmail_emitter_new(
                name.as_ptr(),
                alfa.as_ptr(),
                alfa.len(),
                null(),
                null(),
                0,
                null_mut()
            ),
            PECMAIL_NULL_ARGUMENT
        );
        pecmail_emitter_free(null_mut());
        let mut facts = null_mut();
        assert_eq!(
            pecmail_facts_new(nb, 0, n, null(), null(), 0, n, &mut facts),
            PECMAIL_NULL_ARGUMENT
        );
        let sender = cstr(SENDER);
        let id = cstr("id@pec.alfa.test");
        assert_eq!(
            pecmail_facts_new(
                nb,
                0,
                sender.as_ptr(),
                null(),
                null(),
                0,
                id.as_ptr(),
                &mut facts
            ),
            PECMAIL_INVALID_INPUT,
            "an empty original is not a message"
        );
        assert_eq!(
            pecmail_facts_new(
                nb,
                0,
                sender.as_ptr(),
                null(),
                null(),
                2,
                id.as_ptr(),
                &mut facts
            ),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_facts_from_message(null(), &mut facts),
            PECMAIL_NULL_ARGUMENT
        );
        pecmail_facts_free(null_mut());

        let mut pending = null_mut();
        let (e, f) = (null::<pecmail_emitter>(), null::<pecmail_facts>());
        assert_eq!(
            pecmail_prepare_transport_envelope(e, f, nb, 0, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_anomaly_envelope(e, nb, 0, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_acceptance(e, f, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_non_acceptance(e, f, n, false, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_taking_in_charge(e, f, null(), 0, n, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_delivery(e, f, n, 0, nb, 0, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_non_delivery(e, f, n, 0, n, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_virus_detection(e, f, n, n, n, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_delivery_timeout(e, f, n, 12, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert!(pending.is_null());
        // With real handles, each prepare with NULL strings, empty inputs, or a NULL out.
        let fx = Fixture::new();
        let (e, f) = (fx.emitter as *const _, fx.facts as *const _);
        assert_eq!(
            pecmail_prepare_transport_envelope(e, f, nb, 0, t, &mut pending),
            PECMAIL_INVALID_INPUT
        );
        let orig = messages::ORIGINAL.as_bytes();
        assert_eq!(
            pecmail_prepare_transport_envelope(e, f, orig.as_ptr(), orig.len(), t, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_anomaly_envelope(e, nb, 0, id.as_ptr(), t, &mut pending),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_prepare_acceptance(e, f, n, t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_acceptance(e, f, id.as_ptr(), t, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_taking_in_charge(
                e,
                f,
                null(),
                3,
                id.as_ptr(),
                id.as_ptr(),
                t,
                &mut pending
            ),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_taking_in_charge(
                e,
                f,
                null(),
                0,
                id.as_ptr(),
                id.as_ptr(),
                t,
                &mut pending
            ),
            PECMAIL_INVALID_INPUT,
            "nobody covered"
        );
        let anna = cstr(ANNA);
        assert_eq!(
            pecmail_prepare_delivery(e, f, anna.as_ptr(), 0, nb, 0, id.as_ptr(), t, &mut pending),
            PECMAIL_INVALID_INPUT,
            "completa without the original"
        );
        assert_eq!(
            pecmail_prepare_delivery(e, f, anna.as_ptr(), 2, nb, 4, id.as_ptr(), t, &mut pending),
            PECMAIL_NULL_ARGUMENT
        );
        assert!(pending.is_null());
        let bad_time = pecmail_time {
            unix_seconds: i64::MAX,
            offset_minutes: 0,
        };
        assert_eq!(
            pecmail_prepare_acceptance(e, f, id.as_ptr(), bad_time, &mut pending),
            PECMAIL_INVALID_INPUT
        );

        // Pending messages.
        let (mut d, mut l) = (null(), 0usize);
        assert_eq!(
            pecmail_pending_to_be_signed(null(), &mut d, &mut l),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_pending_digest_info(null(), &mut d, &mut l),
            PECMAIL_NULL_ARGUMENT
        );
        let mut out = null_mut();
        assert_eq!(
            pecmail_pending_finish(null_mut(), nb, 0, &mut out),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_pending_sign(null_mut(), None, null_mut(), &mut out),
            PECMAIL_NULL_ARGUMENT
        );
        pecmail_pending_free(null_mut());
        assert_eq!(
            pecmail_prepare_acceptance(e, f, id.as_ptr(), t, &mut pending),
            PECMAIL_OK
        );
        assert_eq!(
            pecmail_pending_to_be_signed(pending, null_mut(), &mut l),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_pending_digest_info(pending, &mut d, null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        // finish with an empty signature: an error, and the pending is consumed.
        assert_eq!(
            pecmail_pending_finish(pending, nb, 0, &mut out),
            PECMAIL_SIGNATURE_INVALID
        );
        assert_eq!(
            pecmail_prepare_acceptance(e, f, id.as_ptr(), t, &mut pending),
            PECMAIL_OK
        );
        assert_eq!(
            pecmail_pending_sign(pending, None, null_mut(), &mut out),
            PECMAIL_NULL_ARGUMENT
        );
        assert_eq!(
            pecmail_prepare_acceptance(e, f, id.as_ptr(), t, &mut pending),
            PECMAIL_OK
        );
        assert_eq!(
            pecmail_pending_sign(pending, Some(sign_callback), null_mut(), null_mut()),
            PECMAIL_NULL_ARGUMENT
        );
        assert!(out.is_null());
        assert!(pecmail_bytes_data(null()).is_null());
        assert_eq!(pecmail_bytes_len(null()), 0);
        pecmail_bytes_free(null_mut());
        pecmail_trust_store_free(store);
    }
}

/// Revocation through the C API: a message signed with the revoked test key, read with
/// ca1's CRL, is `revoked`, with its date and reason; without a time, the read is refused
/// unless the claimed time is asked for.
#[test]
fn revocation_and_the_validation_time_through_the_c_api() {
    let (_, alfa) = common::signers("alfa").into_iter().next().unwrap();
    let (_, beta) = common::signers("beta").into_iter().next().unwrap();
    let acceptance = messages::all(
        pecmail::Backend::default(),
        alfa.as_ref(),
        beta.as_ref(),
        false,
    )
    .into_iter()
    .find(|b| b.name == "acceptance")
    .unwrap()
    .bytes;
    let forged = common::forge::resign(&acceptance, "revoked", |e| e);
    // SAFETY: live handles and buffers of the lengths given, as the functions require.
    unsafe {
        let mut store = null_mut();
        assert_eq!(pecmail_trust_store_new(&mut store), PECMAIL_OK);
        let root = pki("root.der");
        assert_eq!(
            pecmail_trust_store_add_anchor(store, root.as_ptr(), root.len()),
            PECMAIL_OK
        );
        let crl = pki("ca1.crl.der");
        assert_eq!(
            pecmail_trust_store_add_crl(store, crl.as_ptr(), crl.len()),
            PECMAIL_OK
        );
        let ocsp = pki("ocsp-revoked.der");
        assert_eq!(
            pecmail_trust_store_add_ocsp_response(store, ocsp.as_ptr(), ocsp.len()),
            PECMAIL_OK
        );
        assert_eq!(
            pecmail_trust_store_add_crl(store, b"junk".as_ptr(), 4),
            PECMAIL_INVALID_INPUT
        );
        assert_eq!(
            pecmail_trust_store_add_crl(null_mut(), crl.as_ptr(), crl.len()),
            PECMAIL_NULL_ARGUMENT
        );
        let mut m = null_mut();
        assert_eq!(
            pecmail_read(forged.as_ptr(), forged.len(), store, 0, &at(), &mut m),
            PECMAIL_OK
        );
        use pecmail_field::*;
        assert!(!pecmail_message_valid(m));
        assert_eq!(
            field(m, PECMAIL_FIELD_TRUST_VERDICT).as_deref(),
            Some("revoked")
        );
        assert_eq!(
            field(m, PECMAIL_FIELD_REVOCATION).as_deref(),
            Some("revoked")
        );
        assert_eq!(
            field(m, PECMAIL_FIELD_REVOKED_SINCE).as_deref(),
            Some("2026-02-01T00:00:00+00:00")
        );
        assert_eq!(
            field(m, PECMAIL_FIELD_REVOCATION_REASON).as_deref(),
            Some("key-compromise")
        );
        assert_eq!(
            field(m, PECMAIL_FIELD_VALIDATED_AT).as_deref(),
            Some("2026-06-01T10:00:00+02:00")
        );
        pecmail_message_free(m);
        // At the claimed time, by choice only.
        let mut m = null_mut();
        assert_eq!(
            pecmail_read(
                acceptance.as_ptr(),
                acceptance.len(),
                store,
                PECMAIL_READ_AT_CLAIMED_TIME,
                null(),
                &mut m
            ),
            PECMAIL_OK
        );
        assert_eq!(
            field(m, PECMAIL_FIELD_TRUST_VERDICT).as_deref(),
            Some("trusted-at-claimed-time")
        );
        assert!(!pecmail_message_valid(m));
        pecmail_message_free(m);
        pecmail_trust_store_free(store);
    }
}
