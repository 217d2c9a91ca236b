//! The few OpenSSL calls the `openssl` crate does not expose as `openssl cms -verify` uses
//! them (libcrypto is linked through the `openssl` crate): `SMIME_read_CMS` keeping the
//! detached content, and `CMS_verify` with full chain verification.
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

/// `CMS_BINARY`: the content is not translated (it is canonical already).
const CMS_BINARY: c_uint = 0x80;

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
