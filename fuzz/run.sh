#!/usr/bin/env bash
# Runs one fuzz target for a number of seconds:  fuzz/run.sh TARGET SECONDS [libFuzzer args]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The working corpus
# is fuzz/corpus/TARGET (ignored by git), seeded from our own fuzz/seeds/TARGET. When the
# shared real-message corpus exists beside the repository, its relevant folder is given to
# libFuzzer as an extra, read-only seed directory: read in place, never copied.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
shift 2

corpus="$here/corpus/$target"
mkdir -p "$corpus"
seeds=()
[ -d "$here/seeds/$target" ] && seeds+=("$here/seeds/$target")
# The revocation and index targets start from the test PKI's own CRLs, OCSP responses and
# index.ldif, in place.
case "$target" in
  crl | ocsp | ldif) seeds+=("$here/../tests/fixtures/pki") ;;
  # The split's differential starts from the built messages of the two message targets.
  split_differential) seeds+=("$here/seeds/read" "$here/seeds/verify") ;;
esac
shared="$here/../../shared/corpus"
if [ -d "$shared" ]; then
  case "$target" in
    crl | ocsp) ;;
    daticert) seeds+=("$shared/_extracted-daticert" "$shared/GerardoMT95+SportelloPaesaggio") ;;
    *) seeds+=("$shared") ;;
  esac
fi

# Whole messages are larger than libFuzzer's default 4 KiB inputs.
case "$target" in
  daticert) ;;
  *) set -- -max_len=131072 "$@" ;;
esac

cd "$here"
exec cargo +nightly fuzz run "$target" "$corpus" "${seeds[@]}" -- \
  -max_total_time="$seconds" -print_final_stats=1 "$@"
