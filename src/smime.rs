//! S/MIME signed messages (RFC 8551, spec 2.1 and 7.1): a `multipart/signed` whose second
//! part is a detached CMS signature of the first.
//!
//! - [`prepare`] / [`PendingMessage::finish`] (or [`PendingMessage::sign_with`]) sign an
//!   entity and frame the message, a [`WireMessage`] that borrows the entity rather than
//!   copying it.
//! - [`verify`] splits a received message strictly and verifies its signature; trust in the
//!   signer is a separate question for [`TrustStore`](crate::trust::TrustStore).

use crate::cms::{self, PendingSignature, SignOptions, SignRequest, Signer, SigningIdentity};
use crate::crypto;
use crate::error::{Diagnostic, DiagnosticCode, Error, ErrorKind};
use crate::mime::boundary::Boundaries;
use crate::mime::{self, SignatureProtocol, SignedMessage, SplitOptions};
use crate::time::PecTime;
use crate::{DigestAlgorithm, cms::SignatureReport, cms::VerifyOptions};

/// Options of [`prepare`].
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageSignOptions {
    /// The CMS options: backend, `signatureAlgorithm`, ESS signing-certificate.
    pub cms: SignOptions,
    /// The `protocol` label: `application/pkcs7-signature` (default) or the OpenPEC
    /// family's `application/x-pkcs7-signature`.
    pub protocol: SignatureProtocol,
}

/// A message whose signature is pending: headers and signed entity are written, the
/// signature part is not.
///
/// Large input (the original a transport envelope carries, the message an anomaly envelope
/// wraps) is borrowed, not copied: see [`WireMessage`].
#[derive(Debug)]
pub struct PendingMessage<'a> {
    /// The bytes written so far: headers, MIME header, preamble, first delimiter, and the
    /// parts of the entity the crate wrote.
    out: Vec<u8>,
    /// The message in order: ranges of `out` and borrowed input.
    segments: Vec<Segment<'a>>,
    boundary: String,
    protocol: SignatureProtocol,
    signature: PendingSignature,
    diagnostics: Vec<Diagnostic>,
}

/// One stretch of a message: written by the crate, or borrowed from the caller's input.
#[derive(Debug, Clone)]
enum Segment<'a> {
    Written(core::ops::Range<usize>),
    Borrowed(&'a [u8]),
}

/// A piece of the entity handed to [`prepare_pieces`]: bytes to copy, or input to borrow.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece<'p, 'a> {
    Copy(&'p [u8]),
    Borrow(&'a [u8]),
}

impl Piece<'_, '_> {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Piece::Copy(b) | Piece::Borrow(b) => b,
        }
    }
}

/// A signed message ready for the wire, as the segments it is made of: bytes the crate wrote
/// and input it borrowed (a large original is never copied).
///
/// Send it with one vectored write of [`segments`](Self::segments), or take one buffer with
/// [`into_vec`](Self::into_vec) (free when nothing was borrowed, as for receipts and
/// notices; one copy otherwise).
#[derive(Debug, Clone)]
pub struct WireMessage<'a> {
    out: Vec<u8>,
    segments: Vec<Segment<'a>>,
}

impl<'a> WireMessage<'a> {
    /// The message's size in bytes.
    pub fn len(&self) -> usize {
        self.segments().map(<[u8]>::len).sum()
    }

    /// Whether the message is empty (it never is).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The message's bytes, in order, in as few slices as it is made of.
    pub fn segments(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.segments.iter().map(|s| match s {
            Segment::Written(r) => self.out.get(r.clone()).unwrap_or(&[]),
            Segment::Borrowed(b) => b,
        })
    }

    /// The message as one buffer.
    pub fn into_vec(self) -> Vec<u8> {
        if let [Segment::Written(r)] = self.segments.as_slice()
            && r.start == 0
            && r.end == self.out.len()
        {
            return self.out;
        }
        let mut v = Vec::with_capacity(self.len());
        for s in self.segments() {
            v.extend_from_slice(s);
        }
        v
    }
}

/// Prepares a signed message.
///
/// - `head`: the top-level header lines, each ended by CR LF, without `MIME-Version` and
///   `Content-Type` (written here);
/// - `entity`: the MIME entity to sign (its own headers, an empty line, its body), CR LF
///   throughout;
/// - `boundary_seed`: any caller-given value (a message identifier, say); the boundary is
///   derived from it and checked absent from the entity, so the output is deterministic;
/// - `identity`: the signing certificate and chain;
/// - `signing_time`: the transaction time.
///
/// Fails with [`ErrorKind::InvalidInput`] naming the field when the head or the entity has
/// bare LF or CR, or the head already has a MIME header.
pub fn prepare<'a>(
    head: &[u8],
    entity: &'a [u8],
    boundary_seed: &[u8],
    identity: &SigningIdentity,
    signing_time: PecTime,
    options: &MessageSignOptions,
) -> Result<PendingMessage<'a>, Error> {
    check_crlf("entity", entity)?;
    let boundary = Boundaries::new(&[entity]).derive(boundary_seed, "signed");
    prepare_pieces(
        head,
        &[Piece::Borrow(entity)],
        boundary,
        identity,
        signing_time,
        options,
    )
}

/// [`prepare`] for an entity given in pieces (written once, in order, straight into the
/// message) with a boundary the caller has already proven absent from it. The builders use
/// this so that a large original is copied exactly once.
pub(crate) fn prepare_pieces<'a>(
    head: &[u8],
    pieces: &[Piece<'_, 'a>],
    boundary: String,
    identity: &SigningIdentity,
    signing_time: PecTime,
    options: &MessageSignOptions,
) -> Result<PendingMessage<'a>, Error> {
    check_head(head)?;
    let copied: usize = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Copy(b) => Some(b.len()),
            Piece::Borrow(_) => None,
        })
        .sum();
    // Room for the framing and the signature part, so that the buffer never reallocates.
    let mut out = Vec::with_capacity(head.len() + copied + 16 * 1024);
    mime::frame_head(
        &mut out,
        head,
        &boundary,
        options.protocol,
        DigestAlgorithm::Sha256.micalg(),
    );
    let mut segments = Vec::with_capacity(pieces.len() + 2);
    let mut written = 0..out.len();
    let mut hasher = crypto::Sha256::new(options.cms.backend);
    for piece in pieces {
        hasher.update(piece.bytes());
        match piece {
            Piece::Copy(b) => out.extend_from_slice(b),
            Piece::Borrow(b) => {
                segments.push(Segment::Written(written.start..out.len()));
                segments.push(Segment::Borrowed(b));
                written = out.len()..out.len();
            }
        }
    }
    segments.push(Segment::Written(written.start..out.len()));
    let signature = identity.prepare_digest(hasher.finish(), signing_time, &options.cms)?;
    Ok(PendingMessage {
        out,
        segments,
        boundary,
        protocol: options.protocol,
        signature,
        diagnostics: Vec::new(),
    })
}

fn check_head(head: &[u8]) -> Result<(), Error> {
    check_crlf("head", head)?;
    if !head.is_empty() && !head.ends_with(b"\r\n") {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "head: the last header line must end with CR LF",
        ));
    }
    let block = [head, b"\r\n"].concat();
    let fields = mime::header::parse_block(&block, mime::header::HeaderLimits::default())
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("head: {}", e.message())))?;
    if let Some(f) = fields
        .fields
        .iter()
        .find(|f| f.is("Content-Type") || f.is("MIME-Version"))
    {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "head: {} is written by the framing, not given",
                String::from_utf8_lossy(f.name)
            ),
        ));
    }
    Ok(())
}

pub(crate) fn check_crlf(field: &str, bytes: &[u8]) -> Result<(), Error> {
    let bad_lf = mime::first_bare_lf(bytes);
    let bad_cr = memchr::memchr_iter(b'\r', bytes).find(|&i| bytes.get(i + 1) != Some(&b'\n'));
    if let Some(at) = bad_lf.into_iter().chain(bad_cr).min() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{field}: bare CR or LF at byte {at}; signed content must be CR LF throughout"),
        ));
    }
    Ok(())
}

impl<'a> PendingMessage<'a> {
    /// The bytes to sign (the DER of the signed attributes).
    pub fn to_be_signed(&self) -> &[u8] {
        self.signature.to_be_signed()
    }

    /// SHA-256 of [`to_be_signed`](Self::to_be_signed).
    pub fn digest(&self) -> &[u8] {
        self.signature.digest()
    }

    /// The DER DigestInfo of [`digest`](Self::digest).
    pub fn digest_info(&self) -> &[u8] {
        self.signature.digest_info()
    }

    /// The request a [`Signer`] receives.
    pub fn request(&self) -> SignRequest<'_> {
        self.signature.request()
    }

    /// The boundary of the `multipart/signed`.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The same pending message, owning every byte: what it borrowed is copied. For a
    /// caller that cannot keep the input alive until the signature comes (an HSM queue, the
    /// C API).
    pub fn into_owned(self) -> PendingMessage<'static> {
        let mut out = Vec::with_capacity(
            self.segments
                .iter()
                .map(|s| match s {
                    Segment::Written(r) => r.len(),
                    Segment::Borrowed(b) => b.len(),
                })
                .sum(),
        );
        for s in &self.segments {
            match s {
                Segment::Written(r) => {
                    out.extend_from_slice(self.out.get(r.clone()).unwrap_or(&[]))
                }
                Segment::Borrowed(b) => out.extend_from_slice(b),
            }
        }
        PendingMessage {
            segments: vec![Segment::Written(0..out.len())],
            out,
            boundary: self.boundary,
            protocol: self.protocol,
            signature: self.signature,
            diagnostics: self.diagnostics,
        }
    }

    /// What building noticed, such as characters `daticert.xml` cannot hold
    /// (`xml-char-replaced`).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub(crate) fn add_diagnostics(&mut self, diagnostics: Vec<Diagnostic>) {
        self.diagnostics.extend(diagnostics);
    }

    /// Completes the message with the signature value (checked against the certificate's
    /// key first).
    pub fn finish(self, signature: &[u8]) -> Result<WireMessage<'a>, Error> {
        self.complete(|pending| pending.finish(signature))
    }

    /// Signs with `signer` and completes the message.
    pub fn sign_with(self, signer: &dyn Signer) -> Result<WireMessage<'a>, Error> {
        self.complete(|pending| pending.sign_with(signer))
    }

    fn complete(
        self,
        sign: impl FnOnce(PendingSignature) -> Result<Vec<u8>, Error>,
    ) -> Result<WireMessage<'a>, Error> {
        let PendingMessage {
            mut out,
            mut segments,
            boundary,
            protocol,
            signature,
            ..
        } = self;
        let cms = sign(signature)?;
        let start = out.len();
        mime::frame_tail(&mut out, &boundary, protocol, &cms);
        // Extend the last written segment when it ends where the tail begins.
        match segments.last_mut() {
            Some(Segment::Written(r)) if r.end == start => r.end = out.len(),
            _ => segments.push(Segment::Written(start..out.len())),
        }
        segments.retain(|s| !matches!(s, Segment::Written(r) if r.is_empty()));
        Ok(WireMessage { out, segments })
    }
}

/// Options of [`verify`].
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageVerifyOptions {
    /// How to split the message (line-end canonicalisation, size limit).
    pub split: SplitOptions,
    /// How to verify the signature (backend, minimum key size, size limit).
    pub cms: VerifyOptions,
}

/// A message whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedMessage<'a> {
    /// The split message: headers, signed entity, signature.
    pub message: SignedMessage<'a>,
    /// What the signature says.
    pub signature: SignatureReport,
    /// Everything noticed, split and signature together, plus `smime-micalg-mismatch`.
    pub diagnostics: Vec<Diagnostic>,
}

/// Splits a received message strictly and verifies its signature cryptographically.
///
/// Errors are those of [`SignedMessage::parse`] and [`cms::verify_detached`]: a message whose
/// content was altered gives [`ErrorKind::DigestMismatch`], a forged signature
/// [`ErrorKind::SignatureInvalid`].
pub fn verify<'a>(
    raw: &'a [u8],
    options: &MessageVerifyOptions,
) -> Result<VerifiedMessage<'a>, Error> {
    let message = SignedMessage::parse(raw, &options.split)?;
    let (signature, mismatch) = verify_split(&message, &options.cms, &crate::x509::Parse)?;
    let mut diagnostics = message.diagnostics().to_vec();
    diagnostics.extend(signature.diagnostics.iter().cloned());
    diagnostics.extend(mismatch);
    Ok(VerifiedMessage {
        message,
        signature,
        diagnostics,
    })
}

/// The one signature check of a split message, shared by [`verify`] and the reader: the CMS
/// signature over the signed entity, with certificates from `certs` (a trust store keeps
/// those it parsed before), and the `smime-micalg-mismatch` diagnostic when the header's
/// `micalg` does not name the digest the signer used.
pub(crate) fn verify_split(
    message: &SignedMessage<'_>,
    options: &cms::VerifyOptions,
    certs: &dyn crate::x509::CertSource,
) -> Result<(cms::SignatureReport, Option<Diagnostic>), Error> {
    let report = cms::verify_detached_with(
        message.signed_content(),
        message.signature(),
        options,
        certs,
    )?;
    let mismatch = (DigestAlgorithm::from_micalg(message.micalg())
        != Some(report.digest_algorithm))
    .then(|| {
        Diagnostic::new(
            DiagnosticCode::SmimeMicalgMismatch,
            format!(
                "micalg={} but the signer used {}",
                message.micalg(),
                report.digest_algorithm
            ),
        )
    });
    Ok((report, mismatch))
}
