//! MIME: header blocks, base64, and the `multipart/signed` structure of every PEC message
//! (spec 2.1, 7.1).

mod base64;
pub(crate) mod header;
mod signed;

pub use signed::{SignatureProtocol, SignedMessage, SplitOptions, canonical_crlf};
pub(crate) use signed::{derive_boundary, first_bare_lf, frame};
