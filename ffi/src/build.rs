//! Building from C (spec 3): an emitting provider, the facts of a transaction, one
//! `pecmail_prepare_*` per message, and two ways to sign the prepared message: a callback
//! (the caller's HSM code), or the two-phase form (the bytes to sign out, the signature in).

use std::ffi::{c_char, c_int, c_void};

use super::{
    Fail, byte_arrays, bytes, guard, handle, invalid, null, pecmail_bytes, pecmail_message,
    pecmail_status, pecmail_time, string, strings,
};
use pecmail::build::{
    Acceptance, AnomalyEnvelope, BuildOptions, Delivery, DeliveryTimeout, EmittingProvider,
    NonAcceptance, NonDelivery, OriginalFacts, TakingInCharge, Timeout, TransportEnvelope,
    VirusDetection,
};
use pecmail::cms::SigningIdentity;
use pecmail::daticert::{CertError, ReceiptKind, Recipient};
use pecmail::smime::PendingMessage;

/// The provider that emits messages: its name (`gestore-emittente`) and signing certificate.
/// Free with [`pecmail_emitter_free`].
pub struct pecmail_emitter {
    emitter: EmittingProvider,
}

/// The facts of a transaction (sender, recipients, subject, identifiers), shared by every
/// message about it. Free with [`pecmail_facts_free`].
pub struct pecmail_facts {
    facts: OriginalFacts,
}

/// A message written but not yet signed. Sign it with [`pecmail_pending_sign`], or read
/// [`pecmail_pending_to_be_signed`] / [`pecmail_pending_digest_info`] and give the
/// signature to [`pecmail_pending_finish`]. Both consume it; otherwise free it with
/// [`pecmail_pending_free`].
pub struct pecmail_pending {
    pending: PendingMessage<'static>,
}

fn boxed<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Writes a new handle to `out`, freeing it if `out` is NULL.
///
/// # Safety
/// `out` must be NULL or valid for a write.
unsafe fn give<T>(out: *mut *mut T, value: T) -> Result<(), Fail> {
    if out.is_null() {
        return Err(null("out"));
    }
    // SAFETY: checked non-null; valid for a write as the caller promises.
    unsafe { out.write(boxed(value)) };
    Ok(())
}

/// Frees a handle made by `boxed`.
///
/// # Safety
/// `p` must be NULL or from `boxed`, freed once.
unsafe fn free<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: as the caller promises.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A new emitting provider: `name` as in `gestore-emittente`, the signing certificate (DER)
/// and its chain (`n_chain` DER certificates, the AgID CA).
///
/// # Safety
/// `name` a string; `certificate` NULL or `certificate_len` bytes; `chain`/`chain_lens`
/// arrays of `n_chain`; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_emitter_new(
    name: *const c_char,
    certificate: *const u8,
    certificate_len: usize,
    chain: *const *const u8,
    chain_lens: *const usize,
    n_chain: usize,
    out: *mut *mut pecmail_emitter,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let name = unsafe { string("name", name) }?;
        let cert = unsafe { bytes("certificate", certificate, certificate_len) }?;
        let chain = unsafe { byte_arrays("chain", chain, chain_lens, n_chain) }?;
        let chain: Vec<Vec<u8>> = chain.into_iter().map(<[u8]>::to_vec).collect();
        let identity = SigningIdentity::new(cert, &chain)?;
        let emitter = EmittingProvider::new(name, identity)?;
        unsafe { give(out, pecmail_emitter { emitter }) }
    })
}

/// Frees an emitter. NULL is accepted.
///
/// # Safety
/// `e` must be NULL or a handle not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_emitter_free(e: *mut pecmail_emitter) {
    // SAFETY: as the caller promises.
    unsafe { free(e) }
}

/// The facts of a submitted message (the access point's view): the original, the sender
/// (SMTP reverse path), `n` recipients with whether each is a PEC mailbox (`certified`), the
/// PEC identifier assigned.
///
/// # Safety
/// `original` NULL or `original_len` bytes; `sender`, `identifier` strings; `recipients` an
/// array of `n` strings; `certified` an array of `n`; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_facts_new(
    original: *const u8,
    original_len: usize,
    sender: *const c_char,
    recipients: *const *const c_char,
    certified: *const bool,
    n: usize,
    identifier: *const c_char,
    out: *mut *mut pecmail_facts,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let original = unsafe { bytes("original", original, original_len) }?;
        let sender = unsafe { string("sender", sender) }?;
        let addresses = unsafe { strings("recipients", recipients, n) }?;
        let identifier = unsafe { string("identifier", identifier) }?;
        let certified: &[bool] = if n == 0 {
            &[]
        } else if certified.is_null() {
            return Err(null("certified"));
        } else {
            // SAFETY: `n` elements, as the caller promises.
            unsafe { std::slice::from_raw_parts(certified, n) }
        };
        let list = addresses
            .iter()
            .zip(certified)
            .map(|(a, c)| {
                if *c {
                    Recipient::certified(*a)
                } else {
                    Recipient::external(*a)
                }
            })
            .collect();
        let facts = OriginalFacts::from_original(original, sender, list, identifier)?;
        unsafe { give(out, pecmail_facts { facts }) }
    })
}

/// The facts of a received transport envelope (the recipient provider's view), from its
/// daticert.
///
/// # Safety
/// `message` a live read result; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_facts_from_message(
    message: *const pecmail_message,
    out: *mut *mut pecmail_facts,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", message) }?;
        let facts = m
            .facts()
            .ok_or_else(|| invalid("message: it has no daticert to take the facts from"))?;
        unsafe { give(out, pecmail_facts { facts }) }
    })
}

/// Frees facts. NULL is accepted.
///
/// # Safety
/// `f` must be NULL or a handle not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_facts_free(f: *mut pecmail_facts) {
    // SAFETY: as the caller promises.
    unsafe { free(f) }
}

/// Finishes a prepare: the pending message, owning its bytes, to `out`.
///
/// # Safety
/// `out` must be NULL or valid for a write.
unsafe fn pending(
    out: *mut *mut pecmail_pending,
    p: Result<PendingMessage<'_>, pecmail::Error>,
) -> Result<(), Fail> {
    if out.is_null() {
        return Err(null("out"));
    }
    let pending = p?.into_owned();
    // SAFETY: as the caller promises.
    unsafe { give(out, pecmail_pending { pending }) }
}

/// Busta di trasporto (spec 3.1) around `original`, for the facts' sender and recipients.
///
/// # Safety
/// `emitter`, `facts` live handles; `original` NULL or `original_len` bytes; `out` valid for
/// a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_transport_envelope(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    original: *const u8,
    original_len: usize,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let original = unsafe { bytes("original", original, original_len) }?;
        let p = TransportEnvelope::new(
            original,
            &f.facts.sender,
            &f.facts.recipients,
            &f.facts.identifier,
            time.get()?,
        )
        .prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// Busta di anomalia (spec 3.2) around the whole `received` message, for `reason`.
///
/// # Safety
/// `emitter` a live handle; `received` NULL or `received_len` bytes; `reason` a string;
/// `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_anomaly_envelope(
    emitter: *const pecmail_emitter,
    received: *const u8,
    received_len: usize,
    reason: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let received = unsafe { bytes("received", received, received_len) }?;
        let reason = unsafe { string("reason", reason) }?;
        let p = AnomalyEnvelope::new(received, reason, time.get()?)
            .prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// Ricevuta di accettazione (spec 3.3), with its own `message_id`.
///
/// # Safety
/// `emitter`, `facts` live handles; `message_id` a string; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_acceptance(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    message_id: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let id = unsafe { string("message_id", message_id) }?;
        let p = Acceptance::new(&f.facts, id, time.get()?)
            .prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// Avviso di non accettazione (spec 3.4) for `reason`; `virus` makes it the virus variant.
///
/// # Safety
/// `emitter`, `facts` live handles; `reason`, `message_id` strings; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_non_acceptance(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    reason: *const c_char,
    virus: bool,
    message_id: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let reason = unsafe { string("reason", reason) }?;
        let id = unsafe { string("message_id", message_id) }?;
        let mut b = NonAcceptance::new(&f.facts, reason, id, time.get()?);
        if virus {
            b = b.virus();
        }
        let p = b.prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// Ricevuta di presa in carico (spec 3.5) for the `n_covered` recipients, to the sender
/// provider's service mailbox `to`.
///
/// # Safety
/// `emitter`, `facts` live handles; `covered` an array of `n_covered` strings; `to`,
/// `message_id` strings; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_taking_in_charge(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    covered: *const *const c_char,
    n_covered: usize,
    to: *const c_char,
    message_id: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let covered: Vec<String> = unsafe { strings("covered", covered, n_covered) }?
            .into_iter()
            .map(str::to_owned)
            .collect();
        let to = unsafe { string("to", to) }?;
        let id = unsafe { string("message_id", message_id) }?;
        let p = TakingInCharge::new(&f.facts, &covered, to, id, time.get()?)
            .prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// The `ricevuta` types of [`pecmail_prepare_delivery`] (passed as `uint32_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pecmail_receipt_type {
    /// `completa`: the original whole.
    PECMAIL_RECEIPT_FULL = 0,
    /// `breve`: attachments replaced by their hashes.
    PECMAIL_RECEIPT_SHORT = 1,
    /// `sintetica`: no original.
    PECMAIL_RECEIPT_SUMMARY = 2,
}

/// Ricevuta di avvenuta consegna (spec 3.6) for `recipient`; `original` (the envelope's
/// `postacert.eml`) is needed for completa and breve, and may be NULL with length 0 for
/// sintetica.
///
/// # Safety
/// `emitter`, `facts` live handles; `recipient`, `message_id` strings; `original` NULL or
/// `original_len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_delivery(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    recipient: *const c_char,
    receipt_type: u32,
    original: *const u8,
    original_len: usize,
    message_id: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let recipient = unsafe { string("recipient", recipient) }?;
        let original = unsafe { bytes("original", original, original_len) }?;
        let id = unsafe { string("message_id", message_id) }?;
        let kind = match receipt_type {
            x if x == pecmail_receipt_type::PECMAIL_RECEIPT_FULL as u32 => ReceiptKind::Full,
            x if x == pecmail_receipt_type::PECMAIL_RECEIPT_SHORT as u32 => ReceiptKind::Short,
            x if x == pecmail_receipt_type::PECMAIL_RECEIPT_SUMMARY as u32 => ReceiptKind::Summary,
            other => return Err(invalid(format!("receipt_type: {other} is not one"))),
        };
        let mut b = Delivery::new(&f.facts, recipient, kind, id, time.get()?);
        if !original.is_empty() {
            b = b.original(original);
        }
        let p = b.prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// The `errore` values of [`pecmail_prepare_non_delivery`] (passed as `uint32_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pecmail_error_class {
    /// `no-dest`: no such mailbox.
    PECMAIL_ERROR_NO_RECIPIENT = 0,
    /// `no-dominio`: no such domain.
    PECMAIL_ERROR_NO_DOMAIN = 1,
    /// `virus`: the virus variant.
    PECMAIL_ERROR_VIRUS = 2,
    /// `altro`: any other reason.
    PECMAIL_ERROR_OTHER = 3,
}

/// Avviso di mancata consegna (spec 3.7, 3.8) for `recipient`; `detail` goes to
/// `errore-esteso`.
///
/// # Safety
/// `emitter`, `facts` live handles; `recipient`, `detail`, `message_id` strings; `out` valid
/// for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_non_delivery(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    recipient: *const c_char,
    error: u32,
    detail: *const c_char,
    message_id: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let recipient = unsafe { string("recipient", recipient) }?;
        let detail = unsafe { string("detail", detail) }?;
        let id = unsafe { string("message_id", message_id) }?;
        use pecmail_error_class::*;
        let error = match error {
            x if x == PECMAIL_ERROR_NO_RECIPIENT as u32 => CertError::NoRecipient,
            x if x == PECMAIL_ERROR_NO_DOMAIN as u32 => CertError::NoDomain,
            x if x == PECMAIL_ERROR_VIRUS as u32 => CertError::Virus,
            x if x == PECMAIL_ERROR_OTHER as u32 => CertError::Other,
            other => return Err(invalid(format!("error: {other} is not an error class"))),
        };
        let p = NonDelivery::new(&f.facts, recipient, error, detail, id, time.get()?)
            .prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// Avviso di rilevazione virus (spec 3.8) for `recipient`, naming `virus`, to the sender
/// provider's service mailbox `to`.
///
/// # Safety
/// `emitter`, `facts` live handles; `recipient`, `virus`, `to`, `message_id` strings; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_virus_detection(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    recipient: *const c_char,
    virus: *const c_char,
    to: *const c_char,
    message_id: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let recipient = unsafe { string("recipient", recipient) }?;
        let virus = unsafe { string("virus", virus) }?;
        let to = unsafe { string("to", to) }?;
        let id = unsafe { string("message_id", message_id) }?;
        let p = VirusDetection::new(&f.facts, recipient, virus, to, id, time.get()?)
            .prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// Avviso di mancata consegna per superamento tempo massimo (spec 3.9) for `recipient`:
/// `hours` is 12 (the first notice) or 24 (the second).
///
/// # Safety
/// `emitter`, `facts` live handles; `recipient`, `message_id` strings; `out` valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_prepare_delivery_timeout(
    emitter: *const pecmail_emitter,
    facts: *const pecmail_facts,
    recipient: *const c_char,
    hours: u32,
    message_id: *const c_char,
    time: pecmail_time,
    out: *mut *mut pecmail_pending,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let e = unsafe { handle("emitter", emitter) }?;
        let f = unsafe { handle("facts", facts) }?;
        let recipient = unsafe { string("recipient", recipient) }?;
        let id = unsafe { string("message_id", message_id) }?;
        let timeout = match hours {
            12 => Timeout::Hours12,
            24 => Timeout::Hours24,
            other => return Err(invalid(format!("hours: {other}, not 12 or 24"))),
        };
        let p = DeliveryTimeout::new(&f.facts, recipient, timeout, id, time.get()?)
            .prepare(&e.emitter, &BuildOptions::default());
        unsafe { pending(out, p) }
    })
}

/// The bytes to sign (the DER of the signed attributes): `*data` and `*len`, valid until the
/// pending message is consumed or freed. A hash-and-sign mechanism (`CKM_SHA256_RSA_PKCS`)
/// signs these.
///
/// # Safety
/// `p` a live handle; `data` and `len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_pending_to_be_signed(
    p: *const pecmail_pending,
    data: *mut *const u8,
    len: *mut usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let p = unsafe { handle("pending", p) }?;
        out_slice(p.pending.to_be_signed(), data, len)
    })
}

/// The DER DigestInfo of the bytes to sign: `*data` and `*len`, valid until the pending
/// message is consumed or freed. A raw RSA mechanism (`CKM_RSA_PKCS`) signs this.
///
/// # Safety
/// `p` a live handle; `data` and `len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_pending_digest_info(
    p: *const pecmail_pending,
    data: *mut *const u8,
    len: *mut usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let p = unsafe { handle("pending", p) }?;
        out_slice(p.pending.digest_info(), data, len)
    })
}

fn out_slice(s: &[u8], data: *mut *const u8, len: *mut usize) -> Result<(), Fail> {
    if data.is_null() || len.is_null() {
        return Err(null("data or len"));
    }
    // SAFETY: checked non-null; valid for writes as the caller promises.
    unsafe {
        data.write(s.as_ptr());
        len.write(s.len());
    }
    Ok(())
}

/// Completes the message with `signature` (RSA PKCS #1 v1.5 with SHA-256 over the bytes to
/// sign; checked against the certificate first) and gives its bytes in `*out`. Consumes
/// `p`, whatever the outcome.
///
/// # Safety
/// `p` a live handle, not used after this call; `signature` NULL or `signature_len` bytes;
/// `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_pending_finish(
    p: *mut pecmail_pending,
    signature: *const u8,
    signature_len: usize,
    out: *mut *mut pecmail_bytes,
) -> pecmail_status {
    guard(|| {
        if p.is_null() {
            return Err(null("pending"));
        }
        // SAFETY: a live handle, consumed here as documented.
        let p = unsafe { Box::from_raw(p) };
        let signature = unsafe { bytes("signature", signature, signature_len) }?;
        if out.is_null() {
            return Err(null("out"));
        }
        let message = p.pending.finish(signature)?.into_vec();
        // SAFETY: checked non-null.
        unsafe { out.write(pecmail_bytes::boxed(message)) };
        Ok(())
    })
}

/// The caller's signer: signs `to_be_signed` (hash-and-sign) or, equivalently,
/// `digest_info` (raw RSA), writes the signature into `signature` (room for `capacity`
/// bytes, 1024: enough for RSA-8192) and its length into `*signature_len`, and returns 0;
/// any other value is a failure. The algorithm is RSA PKCS #1 v1.5 with SHA-256.
pub type pecmail_sign_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        to_be_signed: *const u8,
        to_be_signed_len: usize,
        digest_info: *const u8,
        digest_info_len: usize,
        signature: *mut u8,
        capacity: usize,
        signature_len: *mut usize,
    ) -> c_int,
>;

/// Signs the pending message with `callback` (given `user_data`) and gives the message's
/// bytes in `*out`. Consumes `p`, whatever the outcome. A callback failure is
/// `PECMAIL_SIGNER_FAILED`; a signature that does not verify with the emitter's
/// certificate is `PECMAIL_SIGNATURE_INVALID`.
///
/// # Safety
/// `p` a live handle, not used after this call; `callback` a function that honours its
/// contract; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_pending_sign(
    p: *mut pecmail_pending,
    callback: pecmail_sign_callback,
    user_data: *mut c_void,
    out: *mut *mut pecmail_bytes,
) -> pecmail_status {
    guard(|| {
        if p.is_null() {
            return Err(null("pending"));
        }
        // SAFETY: a live handle, consumed here as documented.
        let p = unsafe { Box::from_raw(p) };
        let callback = callback.ok_or_else(|| null("callback"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        const CAPACITY: usize = 1024;
        let mut signature = vec![0u8; CAPACITY];
        let mut len = 0usize;
        let tbs = p.pending.to_be_signed();
        let di = p.pending.digest_info();
        // SAFETY: the callback's contract; every buffer is ours and sized as stated.
        let rc = unsafe {
            callback(
                user_data,
                tbs.as_ptr(),
                tbs.len(),
                di.as_ptr(),
                di.len(),
                signature.as_mut_ptr(),
                CAPACITY,
                &mut len,
            )
        };
        if rc != 0 {
            return Err(Fail(
                pecmail_status::PECMAIL_SIGNER_FAILED,
                format!("the signer callback failed (returned {rc})"),
            ));
        }
        if len > CAPACITY {
            return Err(Fail(
                pecmail_status::PECMAIL_SIGNER_FAILED,
                format!("the signer callback reported {len} bytes, over {CAPACITY}"),
            ));
        }
        signature.truncate(len);
        let message = p.pending.finish(&signature)?.into_vec();
        // SAFETY: checked non-null.
        unsafe { out.write(pecmail_bytes::boxed(message)) };
        Ok(())
    })
}

/// Frees a pending message that will not be signed. NULL is accepted.
///
/// # Safety
/// `p` must be NULL or a handle not yet consumed or freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_pending_free(p: *mut pecmail_pending) {
    // SAFETY: as the caller promises.
    unsafe { free(p) }
}
