//! # pecmail-interop
//!
//! Not a library to use: the home of what runs [`pecmail`] beside OpenSSL in one process,
//! the side-by-side benchmarks (`benches/`: `smime`, `read`, `workloads`, each timing the
//! same bytes through both in the same run and printing the ratios; figures in the
//! repository's `BENCHMARKS.md`). It links the system OpenSSL through the `openssl` crate,
//! which is why it is a workspace member of its own: the library and its tests link no
//! system library.
//!
//! ```text
//! cargo bench -p pecmail-interop --bench workloads
//! ```

#![forbid(unsafe_code)]
