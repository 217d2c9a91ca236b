//! Certificate revocation lists (X.509 v2 CRLs, RFC 5280 section 5). Being written.
