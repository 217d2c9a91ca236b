//! MIME boundaries derived from a caller-given value, and proven absent from the content.
//!
//! The crate reads no random source, so boundaries come from the caller: a seed (a message
//! identifier, say) and a label per boundary of the message go through SHA-256; the first 32
//! hex digits, after a fixed prefix, are the boundary. It is then checked absent from every
//! piece of foreign content (and across the joins of adjacent pieces); in the practically
//! impossible case that it occurs, a counter is appended to the seed and the next candidate
//! is tried. The same inputs always give the same boundaries.

use memchr::memmem;

/// The fixed start of every derived boundary.
pub(crate) const PREFIX: &str = "----pecmail-";

/// A searcher for [`PREFIX`], built once (building one costs more than searching a
/// receipt).
pub(crate) fn prefix_finder() -> &'static memmem::Finder<'static> {
    static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new(PREFIX.as_bytes()));
    &FINDER
}

/// The content the boundaries of one message must avoid.
pub(crate) struct Boundaries<'a> {
    pieces: Vec<&'a [u8]>,
    /// Whether each piece contains the prefix at all; most never do, and then need no further
    /// search, so a large original is scanned once for all boundaries of its message.
    suspect: Vec<bool>,
}

impl<'a> Boundaries<'a> {
    /// Prepares the check over `pieces`, which are concatenated in this order in the content.
    pub(crate) fn new(pieces: &[&'a [u8]]) -> Self {
        let finder = prefix_finder();
        Boundaries {
            suspect: pieces.iter().map(|p| finder.find(p).is_some()).collect(),
            pieces: pieces.to_vec(),
        }
    }

    /// Adds pieces already scanned for the prefix (`suspect`: whether any of them contains
    /// it), so that a large original is not searched again.
    pub(crate) fn with_scanned(mut self, pieces: &[&'a [u8]], suspect: bool) -> Self {
        for piece in pieces {
            self.pieces.push(piece);
            self.suspect.push(suspect);
        }
        self
    }

    /// The boundary for `seed` and `label`, absent from the content.
    pub(crate) fn derive(&self, seed: &[u8], label: &str) -> String {
        use sha2::Digest;
        let mut counter = 0u32;
        loop {
            let mut h = sha2::Sha256::new();
            h.update(seed);
            h.update([0]);
            h.update(label.as_bytes());
            if counter > 0 {
                h.update(counter.to_be_bytes());
            }
            let hex: String = h
                .finalize()
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect();
            let boundary = format!("{PREFIX}{hex}");
            if self.absent(&boundary) {
                return boundary;
            }
            counter += 1;
        }
    }

    fn absent(&self, boundary: &str) -> bool {
        let delimiter = format!("--{boundary}");
        let needle = delimiter.as_bytes();
        let finder = memmem::Finder::new(needle);
        let inside = self
            .pieces
            .iter()
            .zip(&self.suspect)
            .any(|(piece, suspect)| *suspect && finder.find(piece).is_some());
        if inside {
            return false;
        }
        // Across each join: the end of one piece and the start of the next.
        let span = needle.len() - 1;
        self.pieces.windows(2).all(|w| {
            let &[a, b] = w else { return true };
            let tail = a.get(a.len().saturating_sub(span)..).unwrap_or(&[]);
            let head = b.get(..span.min(b.len())).unwrap_or(&[]);
            let joined = [tail, head].concat();
            finder.find(&joined).is_none()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct_per_label() {
        let b = Boundaries::new(&[b"content"]);
        let x = b.derive(b"seed", "signed");
        assert_eq!(x, b.derive(b"seed", "signed"));
        assert_ne!(x, b.derive(b"seed", "mixed"));
        assert_ne!(x, b.derive(b"other", "signed"));
        assert_eq!(x.len(), PREFIX.len() + 32);
    }

    #[test]
    fn avoids_the_content_and_the_joins() {
        let first = Boundaries::new(&[b""]).derive(b"seed", "signed");
        let inside = format!("x\r\n--{first}\r\n");
        let b = Boundaries::new(&[inside.as_bytes()]);
        let second = b.derive(b"seed", "signed");
        assert_ne!(first, second);
        // Split across two pieces.
        let (a, rest) = inside.split_at(10);
        let b = Boundaries::new(&[a.as_bytes(), rest.as_bytes()]);
        assert_ne!(b.derive(b"seed", "signed"), first);
    }
}
