#!/usr/bin/env bash
# Runs the library's unit tests, and the C API's argument-checking tests, under Miri:
#   scripts/miri.sh
#
# Needs the nightly toolchain with the miri component (`rustup +nightly component add miri`).
# Default features only for the unit tests: the `aws-lc` backend is C code, which Miri cannot
# interpret. Tests too slow to interpret are marked `#[cfg_attr(miri, ignore = "...")]` in
# the source, with the reason. In ffi/tests/ffi.rs (the `unsafe` C API), the null-pointer and
# invalid-input tests run; the full round trip is skipped, as its RSA signatures take Miri
# more than 15 minutes. Those tests read the test PKI from disk, hence the isolation flag.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo +nightly miri test -p pecmail --lib
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation" \
  cargo +nightly miri test -p pecmail-ffi --test ffi -- --skip a_round_trip_through_the_c_api
