//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/corpus` beside the repository, when it exists. The corpus is third-party data:
/// tests read it in place and never copy it.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// Prints why a corpus test did nothing, so that a green run without corpus is visible.
pub fn skip_without_corpus(test: &str) {
    eprintln!(
        "SKIPPED {test}: ../shared/corpus is absent, so no real provider message was checked"
    );
}
