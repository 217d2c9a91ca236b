//! Reading and verifying from C: [`pecmail_read`] and the accessors of its result
//! (spec 6.2, 11).

use std::ffi::{CString, c_char};

use super::{
    bytes, guard, handle, invalid, pecmail_status, pecmail_time, pecmail_trust_store, put,
};
use pecmail::daticert::{Daticert, RecipientKind};
use pecmail::read::{PecMessage, ReadOptions, read};
use pecmail::trust::{RevocationStatus, ValidationTime};

/// Read with every tolerance of `ReadOptions::lenient()`.
pub const PECMAIL_READ_LENIENT: u32 = 1;
/// Flag of [`pecmail_read`]: validate trust at the time the message claims (its signing time,
/// else its daticert's) instead of `at`, which must then be NULL. For archives; such a
/// message is never valid, its verdict is `trusted-at-claimed-time`.
pub const PECMAIL_READ_AT_CLAIMED_TIME: u32 = 2;

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{fffd}")).unwrap_or_default()
}

fn c_opt(s: Option<&str>) -> Option<CString> {
    s.map(c)
}

/// One recipient of `destinatari`.
struct RecipientView {
    address: CString,
    certified: bool,
}

/// What a read message says, owned by the handle (the strings C sees point here).
pub struct pecmail_message {
    kind: CString,
    valid: bool,
    signature: CString,
    signature_error: Option<CString>,
    trust: CString,
    trust_verdict: Option<CString>,
    provider: Option<CString>,
    daticert_tipo: Option<CString>,
    identifier: Option<CString>,
    client_message_id: Option<CString>,
    sender: Option<CString>,
    subject: Option<CString>,
    issuer: Option<CString>,
    delivery: Option<CString>,
    error: Option<CString>,
    error_detail: Option<CString>,
    receipt: Option<CString>,
    revocation: Option<CString>,
    revoked_since: Option<CString>,
    revocation_reason: Option<CString>,
    validated_at: Option<CString>,
    recipients: Vec<RecipientView>,
    receptions: Vec<CString>,
    diagnostics: Vec<(CString, CString, CString)>,
    original: Option<Vec<u8>>,
    time: Option<pecmail_time>,
    facts: Option<pecmail::build::OriginalFacts>,
    inner: Option<Box<pecmail_message>>,
}

impl pecmail_message {
    /// The facts of its daticert, for the receipts about it.
    pub(crate) fn facts(&self) -> Option<pecmail::build::OriginalFacts> {
        self.facts.clone()
    }

    fn from(m: &PecMessage<'_>) -> pecmail_message {
        let d: Option<&Daticert> = m.daticert.as_ref();
        pecmail_message {
            kind: c(m.kind.map(|k| k.as_str()).unwrap_or("not-pec")),
            valid: m.is_valid(),
            signature: c(m.signature.as_str()),
            signature_error: m.signature_error.as_ref().map(|e| c(&e.to_string())),
            trust: c(m.trust_status()),
            trust_verdict: m.trust.as_ref().map(|t| c(t.verdict.as_str())),
            provider: m.provider().as_deref().map(c),
            daticert_tipo: m.daticert_tipo.map(|t| c(t.as_str())),
            identifier: c_opt(m.identifier.as_deref()),
            client_message_id: c_opt(m.client_message_id.as_deref()),
            sender: d.map(|d| c(&d.header.sender)),
            subject: d.and_then(|d| c_opt(d.header.subject.as_deref())),
            issuer: d.map(|d| c(&d.data.provider)),
            delivery: d.and_then(|d| c_opt(d.data.delivery.as_deref())),
            error: d.map(|d| c(d.error.as_str())),
            error_detail: d.and_then(|d| c_opt(d.data.error_detail.as_deref())),
            receipt: d.and_then(|d| d.data.receipt.map(|r| c(r.as_str()))),
            revocation: m.trust.as_ref().map(|t| c(t.revocation.status.as_str())),
            revoked_since: revoked(m).map(|(since, _)| c(&since.to_datetime().to_rfc3339())),
            revocation_reason: revoked(m).and_then(|(_, r)| r).map(c),
            validated_at: m
                .trust
                .as_ref()
                .map(|t| c(&t.at.to_datetime().to_rfc3339())),
            recipients: d
                .map(|d| {
                    d.header
                        .recipients
                        .iter()
                        .map(|r| RecipientView {
                            address: c(&r.address),
                            certified: r.kind == RecipientKind::Certified,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            receptions: d
                .map(|d| d.data.receptions.iter().map(|r| c(r)).collect())
                .unwrap_or_default(),
            diagnostics: m
                .diagnostics
                .iter()
                .map(|x| (c(x.code.as_str()), c(x.severity.as_str()), c(&x.detail)))
                .collect(),
            original: m.original().map(<[u8]>::to_vec),
            time: d.map(|d| pecmail_time {
                unix_seconds: d.data.time.unix_seconds(),
                offset_minutes: d.data.time.offset_minutes(),
            }),
            facts: d.map(pecmail::build::OriginalFacts::from_daticert),
            inner: m
                .embedded
                .as_deref()
                .map(pecmail_message::from)
                .or_else(|| m.inner.as_deref().map(pecmail_message::from))
                .map(Box::new),
        }
    }
}

/// When and why the signer's path was revoked, when it was.
fn revoked(m: &PecMessage<'_>) -> Option<(pecmail::PecTime, Option<&'static str>)> {
    match &m.trust.as_ref()?.revocation.status {
        RevocationStatus::Revoked { since, reason, .. } => Some((*since, *reason)),
        _ => None,
    }
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Reads a received message (`flags`: 0 for strict, or [`PECMAIL_READ_LENIENT`]) against
/// `store`, and gives the result in `*out`, to free with [`pecmail_message_free`]. A
/// message that is not valid is still a result (see [`pecmail_message_valid`]); only a
/// message that cannot be described at all is an error. `at` is the time trust is checked at,
/// the caller's (its clock, or the time an archive received the message): required, unless
/// `flags` has [`PECMAIL_READ_AT_CLAIMED_TIME`], when it must be NULL. The time a message
/// carries is chosen by whoever holds its key, so it is never the default.
///
/// # Safety
/// `raw` NULL or `len` readable bytes; `store` a live handle; `at` NULL or valid; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_read(
    raw: *const u8,
    len: usize,
    store: *const pecmail_trust_store,
    flags: u32,
    at: *const pecmail_time,
    out: *mut *mut pecmail_message,
) -> pecmail_status {
    guard(|| {
        // SAFETY: every pointer as the caller promises.
        let raw = unsafe { bytes("raw", raw, len) }?;
        let store = unsafe { handle("store", store) }?;
        if flags & !(PECMAIL_READ_LENIENT | PECMAIL_READ_AT_CLAIMED_TIME) != 0 {
            return Err(invalid(format!("flags: unknown bits {flags:#x}")));
        }
        let options = if flags & PECMAIL_READ_LENIENT != 0 {
            ReadOptions::lenient()
        } else {
            ReadOptions::strict()
        };
        // SAFETY: as the caller promises.
        let given = unsafe { at.as_ref() };
        let at = match (given, flags & PECMAIL_READ_AT_CLAIMED_TIME != 0) {
            (Some(t), false) => ValidationTime::At(t.get()?),
            (None, true) => ValidationTime::Claimed,
            (None, false) => return Err(super::null("at")),
            (Some(_), true) => {
                return Err(invalid(
                    "at: must be NULL with PECMAIL_READ_AT_CLAIMED_TIME".to_owned(),
                ));
            }
        };
        let m = read(raw, &store.store, at, &options)?;
        let view = Box::into_raw(Box::new(pecmail_message::from(&m)));
        // SAFETY: as the caller promises; on failure the view is freed.
        unsafe { put("out", out, view) }.inspect_err(|_| {
            // SAFETY: just made by `Box::into_raw`.
            drop(unsafe { Box::from_raw(view) });
        })
    })
}

/// Frees a read result. NULL is accepted.
///
/// # Safety
/// `m` must be NULL or a handle from [`pecmail_read`] not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_free(m: *mut pecmail_message) {
    if !m.is_null() {
        // SAFETY: from `Box::into_raw`, freed once.
        drop(unsafe { Box::from_raw(m) });
    }
}

/// The text fields of a read message, for [`pecmail_message_string`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pecmail_field {
    /// The kind: `transport-envelope`, `acceptance`, ... (the README's names), or `not-pec`.
    PECMAIL_FIELD_KIND = 0,
    /// The signature: `valid`, `invalid` (tampered or forged), `refused` (by policy: it
    /// verifies with a key or an algorithm the options refuse), `absent` or `malformed`.
    PECMAIL_FIELD_SIGNATURE = 1,
    /// Why the signature is invalid or malformed.
    PECMAIL_FIELD_SIGNATURE_ERROR = 2,
    /// The signer: `trusted`, `untrusted` or `unknown`.
    PECMAIL_FIELD_TRUST = 3,
    /// The detailed verdict: `trusted`, `trusted-at-claimed-time`, `expired`,
    /// `not-yet-valid`, `unknown-issuer`, `name-constraint-violation`, `not-a-provider`,
    /// `invalid-chain`, `revoked`, `revocation-unknown`, `no-claimed-time`.
    PECMAIL_FIELD_TRUST_VERDICT = 4,
    /// The signing provider's name (the store's), else the signer certificate's subject.
    PECMAIL_FIELD_PROVIDER = 5,
    /// daticert `tipo`: `posta-certificata`, `accettazione`, ...
    PECMAIL_FIELD_DATICERT_TIPO = 6,
    /// The PEC identifier (daticert `identificativo`).
    PECMAIL_FIELD_IDENTIFIER = 7,
    /// The sender client's Message-ID (daticert `msgid`), with angle brackets.
    PECMAIL_FIELD_CLIENT_MESSAGE_ID = 8,
    /// daticert `mittente`.
    PECMAIL_FIELD_SENDER = 9,
    /// daticert `oggetto`.
    PECMAIL_FIELD_SUBJECT = 10,
    /// daticert `gestore-emittente`.
    PECMAIL_FIELD_ISSUER = 11,
    /// daticert `consegna`.
    PECMAIL_FIELD_DELIVERY = 12,
    /// daticert `errore`: `nessuno`, `no-dest`, `no-dominio`, `virus`, `altro`.
    PECMAIL_FIELD_ERROR = 13,
    /// daticert `errore-esteso`.
    PECMAIL_FIELD_ERROR_DETAIL = 14,
    /// daticert `ricevuta tipo`: `completa`, `breve`, `sintetica`.
    PECMAIL_FIELD_RECEIPT_TYPE = 15,
    /// What the revocation information says of the signer's path: `not-checked`, `good`,
    /// `revoked`, `partial`.
    PECMAIL_FIELD_REVOCATION = 16,
    /// When the revocation takes effect, RFC 3339 (the invalidity date of a key compromise,
    /// else the revocation date); NULL unless `revoked`.
    PECMAIL_FIELD_REVOKED_SINCE = 17,
    /// The revocation reason (`key-compromise`, ...), when given.
    PECMAIL_FIELD_REVOCATION_REASON = 18,
    /// The time trust was checked at, RFC 3339.
    PECMAIL_FIELD_VALIDATED_AT = 19,
}

impl pecmail_field {
    const ALL: [pecmail_field; 20] = {
        use pecmail_field::*;
        [
            PECMAIL_FIELD_KIND,
            PECMAIL_FIELD_SIGNATURE,
            PECMAIL_FIELD_SIGNATURE_ERROR,
            PECMAIL_FIELD_TRUST,
            PECMAIL_FIELD_TRUST_VERDICT,
            PECMAIL_FIELD_PROVIDER,
            PECMAIL_FIELD_DATICERT_TIPO,
            PECMAIL_FIELD_IDENTIFIER,
            PECMAIL_FIELD_CLIENT_MESSAGE_ID,
            PECMAIL_FIELD_SENDER,
            PECMAIL_FIELD_SUBJECT,
            PECMAIL_FIELD_ISSUER,
            PECMAIL_FIELD_DELIVERY,
            PECMAIL_FIELD_ERROR,
            PECMAIL_FIELD_ERROR_DETAIL,
            PECMAIL_FIELD_RECEIPT_TYPE,
            PECMAIL_FIELD_REVOCATION,
            PECMAIL_FIELD_REVOKED_SINCE,
            PECMAIL_FIELD_REVOCATION_REASON,
            PECMAIL_FIELD_VALIDATED_AT,
        ]
    };
}

/// A text field (a [`pecmail_field`] value) of a read message: NUL-terminated UTF-8,
/// valid until the message is freed; NULL when the message does not have it, for an unknown
/// field, or for a NULL handle. The field is a plain integer so that a value C makes up is
/// never an invalid enum in Rust.
///
/// # Safety
/// `m` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_string(
    m: *const pecmail_message,
    field: u32,
) -> *const c_char {
    // SAFETY: as the caller promises.
    let Some(m) = (unsafe { m.as_ref() }) else {
        return std::ptr::null();
    };
    let Some(field) = pecmail_field::ALL.get(field as usize).copied() else {
        return std::ptr::null();
    };
    use pecmail_field::*;
    match field {
        PECMAIL_FIELD_KIND => m.kind.as_ptr(),
        PECMAIL_FIELD_SIGNATURE => m.signature.as_ptr(),
        PECMAIL_FIELD_SIGNATURE_ERROR => ptr(&m.signature_error),
        PECMAIL_FIELD_TRUST => m.trust.as_ptr(),
        PECMAIL_FIELD_TRUST_VERDICT => ptr(&m.trust_verdict),
        PECMAIL_FIELD_PROVIDER => ptr(&m.provider),
        PECMAIL_FIELD_DATICERT_TIPO => ptr(&m.daticert_tipo),
        PECMAIL_FIELD_IDENTIFIER => ptr(&m.identifier),
        PECMAIL_FIELD_CLIENT_MESSAGE_ID => ptr(&m.client_message_id),
        PECMAIL_FIELD_SENDER => ptr(&m.sender),
        PECMAIL_FIELD_SUBJECT => ptr(&m.subject),
        PECMAIL_FIELD_ISSUER => ptr(&m.issuer),
        PECMAIL_FIELD_DELIVERY => ptr(&m.delivery),
        PECMAIL_FIELD_ERROR => ptr(&m.error),
        PECMAIL_FIELD_ERROR_DETAIL => ptr(&m.error_detail),
        PECMAIL_FIELD_RECEIPT_TYPE => ptr(&m.receipt),
        PECMAIL_FIELD_REVOCATION => ptr(&m.revocation),
        PECMAIL_FIELD_REVOKED_SINCE => ptr(&m.revoked_since),
        PECMAIL_FIELD_REVOCATION_REASON => ptr(&m.revocation_reason),
        PECMAIL_FIELD_VALIDATED_AT => ptr(&m.validated_at),
    }
}

/// Whether the message is a valid PEC message: signed, signature valid, signer trusted, no
/// error diagnostic. 0 for a NULL handle.
///
/// # Safety
/// `m` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_valid(m: *const pecmail_message) -> bool {
    // SAFETY: as the caller promises.
    unsafe { m.as_ref() }.is_some_and(|m| m.valid)
}

/// daticert `data`: the transaction time, in `*out`. `PECMAIL_INVALID_INPUT` when the
/// message has no daticert.
///
/// # Safety
/// `m` a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_time(
    m: *const pecmail_message,
    out: *mut pecmail_time,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        if out.is_null() {
            return Err(super::null("out"));
        }
        let t = m
            .time
            .ok_or_else(|| invalid("the message has no daticert"))?;
        unsafe { put("out", out, t) }
    })
}

/// The number of `destinatari`, in `*out`.
///
/// # Safety
/// `m` a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_recipient_count(
    m: *const pecmail_message,
    out: *mut usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        unsafe { put("out", out, m.recipients.len()) }
    })
}

/// Recipient `index` of `destinatari`: its address in `*address` (valid until the message
/// is freed) and whether it is a PEC mailbox (`certificato`) in `*certified`.
///
/// # Safety
/// `m` a live handle; `address` and `certified` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_recipient(
    m: *const pecmail_message,
    index: usize,
    address: *mut *const c_char,
    certified: *mut bool,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        if address.is_null() || certified.is_null() {
            return Err(super::null("address or certified"));
        }
        let r = m
            .recipients
            .get(index)
            .ok_or_else(|| invalid(format!("index: {index} of {}", m.recipients.len())))?;
        unsafe { put("address", address, r.address.as_ptr()) }?;
        unsafe { put("certified", certified, r.certified) }
    })
}

/// The number of `ricezione` (a taking in charge), in `*out`.
///
/// # Safety
/// `m` a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_reception_count(
    m: *const pecmail_message,
    out: *mut usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        unsafe { put("out", out, m.receptions.len()) }
    })
}

/// `ricezione` number `index`, in `*out` (valid until the message is freed).
///
/// # Safety
/// `m` a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_reception(
    m: *const pecmail_message,
    index: usize,
    out: *mut *const c_char,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        if out.is_null() {
            return Err(super::null("out"));
        }
        let r = m
            .receptions
            .get(index)
            .ok_or_else(|| invalid(format!("index: {index} of {}", m.receptions.len())))?;
        unsafe { put("out", out, r.as_ptr()) }
    })
}

/// The number of diagnostics, in `*out`.
///
/// # Safety
/// `m` a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_diagnostic_count(
    m: *const pecmail_message,
    out: *mut usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        unsafe { put("out", out, m.diagnostics.len()) }
    })
}

/// Diagnostic number `index`: its stable code (`pec-untrusted`, ...), its severity (`info`,
/// `warning`, `error`) and its detail, each valid until the message is freed. Any of the
/// three out-pointers may be NULL when not wanted.
///
/// # Safety
/// `m` a live handle; each out-pointer NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_diagnostic(
    m: *const pecmail_message,
    index: usize,
    code: *mut *const c_char,
    severity: *mut *const c_char,
    detail: *mut *const c_char,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        let (c, s, d) = m
            .diagnostics
            .get(index)
            .ok_or_else(|| invalid(format!("index: {index} of {}", m.diagnostics.len())))?;
        for (out, value) in [(code, c), (severity, s), (detail, d)] {
            if !out.is_null() {
                // SAFETY: as the caller promises.
                unsafe { out.write(value.as_ptr()) };
            }
        }
        Ok(())
    })
}

/// The original message (`postacert.eml`) the message carries: `*data` and `*len`, valid
/// until the message is freed. `PECMAIL_INVALID_INPUT` when it carries none.
///
/// # Safety
/// `m` a live handle; `data` and `len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_original(
    m: *const pecmail_message,
    data: *mut *const u8,
    len: *mut usize,
) -> pecmail_status {
    guard(|| {
        // SAFETY: as the caller promises.
        let m = unsafe { handle("message", m) }?;
        if data.is_null() || len.is_null() {
            return Err(super::null("data or len"));
        }
        let o = m
            .original
            .as_ref()
            .ok_or_else(|| invalid("the message carries no original"))?;
        unsafe { put("data", data, o.as_ptr()) }?;
        unsafe { put("len", len, o.len()) }
    })
}

/// The message inside: the signed PEC message a wrapper (a mailing list) carries, or the
/// message an anomaly envelope wraps; NULL when there is none. It belongs to `m` (do not
/// free it).
///
/// # Safety
/// `m` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pecmail_message_inner(
    m: *const pecmail_message,
) -> *const pecmail_message {
    // SAFETY: as the caller promises.
    unsafe { m.as_ref() }
        .and_then(|m| m.inner.as_deref())
        .map_or(std::ptr::null(), |i| i as *const pecmail_message)
}
