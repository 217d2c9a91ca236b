//! MIME: header blocks, base64, and the `multipart/signed` structure of every PEC message
//! (spec 2.1, 7.1).

pub(crate) mod address;
pub(crate) mod base64;
pub(crate) mod boundary;
pub(crate) mod header;
pub(crate) mod multipart;
pub(crate) mod qp;
mod signed;
pub(crate) mod words;

pub use signed::{SignatureProtocol, SignedMessage, SplitOptions, canonical_crlf};
pub(crate) use signed::{first_bare_lf, frame_head, frame_tail};
