//! The few OpenSSL calls the `openssl` crate does not expose, as `openssl cms -verify` and
//! `openssl cms -sign` use them (libcrypto is linked through the `openssl` crate):
//! `SMIME_read_CMS` keeping the detached content, `CMS_verify` with full chain verification,
//! and `CMS_sign` + `SMIME_write_CMS` giving the whole `multipart/signed` message.
// Each benchmark uses its own part of these calls.
#![allow(dead_code)]

use std::ffi::{c_int, c_long, c_uchar, c_uint, c_void};
use std::ptr;

#[repr(C)]
pub struct Bio {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct Cms {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct X509 {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct X509Store {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct EvpPkey {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct Stack {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct BioMethod {
    _opaque: [u8; 0],
}

/// `CMS_BINARY`: the content is not translated (it is canonical already).
const CMS_BINARY: c_uint = 0x80;
/// `CMS_DETACHED`: the content is not carried inside the CMS structure.
const CMS_DETACHED: c_uint = 0x40;
/// `CMS_STREAM`: the signature is made while the output is written.
const CMS_STREAM: c_uint = 0x1000;
/// `BIO_CTRL_INFO`, the control behind the `BIO_get_mem_data` macro.
const BIO_CTRL_INFO: c_int = 3;

unsafe extern "C" {
    fn BIO_new_mem_buf(buf: *const c_void, len: c_int) -> *mut Bio;
    fn BIO_free(bio: *mut Bio) -> c_int;
    fn SMIME_read_CMS(bio: *mut Bio, bcont: *mut *mut Bio) -> *mut Cms;
    fn CMS_verify(
        cms: *mut Cms,
        certs: *mut c_void,
        store: *mut X509Store,
        dcont: *mut Bio,
        out: *mut Bio,
        flags: c_uint,
    ) -> c_int;
    fn CMS_ContentInfo_free(cms: *mut Cms);
    fn X509_STORE_new() -> *mut X509Store;
    fn X509_STORE_add_cert(store: *mut X509Store, x509: *mut X509) -> c_int;
    fn X509_STORE_free(store: *mut X509Store);
    fn d2i_X509(a: *mut *mut X509, pp: *mut *const c_uchar, length: c_long) -> *mut X509;
    fn X509_free(x509: *mut X509);
    fn ERR_clear_error();
    fn BIO_new(method: *const BioMethod) -> *mut Bio;
    fn BIO_s_mem() -> *const BioMethod;
    fn BIO_ctrl(bio: *mut Bio, cmd: c_int, larg: c_long, parg: *mut c_void) -> c_long;
    fn d2i_AutoPrivateKey(
        a: *mut *mut EvpPkey,
        pp: *mut *const c_uchar,
        length: c_long,
    ) -> *mut EvpPkey;
    fn EVP_PKEY_free(key: *mut EvpPkey);
    fn OPENSSL_sk_new_null() -> *mut Stack;
    fn OPENSSL_sk_push(stack: *mut Stack, item: *const c_void) -> c_int;
    fn OPENSSL_sk_pop_free(stack: *mut Stack, free: unsafe extern "C" fn(*mut X509));
    fn CMS_sign(
        cert: *mut X509,
        key: *mut EvpPkey,
        certs: *mut Stack,
        data: *mut Bio,
        flags: c_uint,
    ) -> *mut Cms;
    fn SMIME_write_CMS(out: *mut Bio, cms: *mut Cms, data: *mut Bio, flags: c_int) -> c_int;
}

fn x509(der: &[u8]) -> *mut X509 {
    let mut p = der.as_ptr();
    // SAFETY: `p` points into `der` for `der.len()` bytes.
    let x509 = unsafe { d2i_X509(ptr::null_mut(), &mut p, der.len() as c_long) };
    assert!(!x509.is_null(), "OpenSSL cannot parse a test certificate");
    x509
}

/// `openssl cms -sign -binary` with a chain: a key, its certificate and the chain.
pub struct SmimeSigner {
    cert: *mut X509,
    key: *mut EvpPkey,
    chain: *mut Stack,
}

impl SmimeSigner {
    pub fn new(cert: &[u8], key_pkcs8: &[u8], chain: &[&[u8]]) -> SmimeSigner {
        openssl::init();
        // SAFETY: every object is checked and owned by the signer, which frees it once.
        unsafe {
            let mut p = key_pkcs8.as_ptr();
            let key = d2i_AutoPrivateKey(ptr::null_mut(), &mut p, key_pkcs8.len() as c_long);
            assert!(!key.is_null(), "OpenSSL cannot parse the test key");
            let stack = OPENSSL_sk_new_null();
            assert!(!stack.is_null());
            for der in chain {
                assert!(OPENSSL_sk_push(stack, x509(der).cast()) > 0);
            }
            SmimeSigner {
                cert: x509(cert),
                key,
                chain: stack,
            }
        }
    }

    /// The whole S/MIME message `openssl cms -sign -binary` writes for `entity`: `CMS_sign`
    /// (detached, streaming, SHA-256, signed attributes) and `SMIME_write_CMS` (the
    /// `multipart/signed` framing, the entity copied in and digested, the signature made and
    /// written in base64).
    pub fn sign(&self, entity: &[u8]) -> Vec<u8> {
        // SAFETY: the memory BIOs read `entity`, which outlives them; every object made here
        // is freed here; the output is copied out before its BIO is freed.
        unsafe {
            // As the `openssl cms -sign` command does for S/MIME output: CMS_sign leaves the
            // signature to SMIME_write_CMS, which digests the entity while it copies it out.
            let flags = CMS_DETACHED | CMS_BINARY | CMS_STREAM;
            let data = BIO_new_mem_buf(entity.as_ptr().cast(), entity.len() as c_int);
            assert!(!data.is_null());
            let cms = CMS_sign(self.cert, self.key, self.chain, data, flags);
            assert!(!cms.is_null(), "CMS_sign failed");
            let out = BIO_new(BIO_s_mem());
            assert!(!out.is_null());
            let written = SMIME_write_CMS(out, cms, data, flags as c_int);
            assert_eq!(written, 1, "{}", openssl::error::ErrorStack::get());
            let mut start: *mut c_void = ptr::null_mut();
            let len = BIO_ctrl(
                out,
                BIO_CTRL_INFO,
                0,
                (&mut start as *mut *mut c_void).cast(),
            );
            assert!(len > 0 && !start.is_null());
            let message = std::slice::from_raw_parts(start.cast::<u8>(), len as usize).to_vec();
            BIO_free(out);
            BIO_free(data);
            CMS_ContentInfo_free(cms);
            message
        }
    }
}

impl Drop for SmimeSigner {
    fn drop(&mut self) {
        // SAFETY: made in `new` and freed once.
        unsafe {
            X509_free(self.cert);
            EVP_PKEY_free(self.key);
            OPENSSL_sk_pop_free(self.chain, X509_free);
        }
    }
}

/// An `X509_STORE` of trusted certificates.
pub struct Store(*mut X509Store);

impl Store {
    pub fn new(certificates: &[&[u8]]) -> Store {
        openssl::init();
        // SAFETY: plain OpenSSL object management; every pointer is checked, and the store
        // takes its own reference to each certificate added.
        unsafe {
            let store = X509_STORE_new();
            assert!(!store.is_null());
            for der in certificates {
                let mut p = der.as_ptr();
                let x509 = d2i_X509(ptr::null_mut(), &mut p, der.len() as c_long);
                assert!(!x509.is_null(), "OpenSSL cannot parse a test certificate");
                assert_eq!(X509_STORE_add_cert(store, x509), 1);
                X509_free(x509);
            }
            Store(store)
        }
    }

    /// `openssl cms -verify -binary`: reads the S/MIME message (keeping the detached
    /// content) and verifies the signature and the signer's chain. True when it verifies.
    pub fn cms_verify(&self, message: &[u8]) -> bool {
        // SAFETY: the memory BIO reads `message`, which outlives it; every object made
        // here is freed here; `SMIME_read_CMS` sets `content` only on success.
        unsafe {
            let input = BIO_new_mem_buf(message.as_ptr().cast(), message.len() as c_int);
            assert!(!input.is_null());
            let mut content: *mut Bio = ptr::null_mut();
            let cms = SMIME_read_CMS(input, &mut content);
            let ok = !cms.is_null()
                && !content.is_null()
                && CMS_verify(
                    cms,
                    ptr::null_mut(),
                    self.0,
                    content,
                    ptr::null_mut(),
                    CMS_BINARY,
                ) == 1;
            if !cms.is_null() {
                CMS_ContentInfo_free(cms);
            }
            if !content.is_null() {
                BIO_free(content);
            }
            BIO_free(input);
            if !ok {
                ERR_clear_error();
            }
            ok
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: made by `X509_STORE_new` and freed once.
        unsafe { X509_STORE_free(self.0) }
    }
}
