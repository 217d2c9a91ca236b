//! OCSP responses (RFC 6960). Being written.
