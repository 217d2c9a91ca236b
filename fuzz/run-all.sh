#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS each:  fuzz/run-all.sh SECONDS [TARGET...]
#
# Each run goes through fuzz/run.sh (seeds from fuzz/seeds/TARGET and, read in place, the
# shared corpus). The final libFuzzer statistics of each run are kept in
# fuzz/logs/TARGET-<date>.log (ignored by git) and summarised at the end; FUZZING.md records
# the campaigns. A crash stops the campaign with its artifact under fuzz/artifacts/TARGET.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:?usage: fuzz/run-all.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(daticert verify read ldif crl ocsp split_differential)
mkdir -p "$here/logs"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
for t in "${targets[@]}"; do
  log="$here/logs/$t-$stamp.log"
  echo "fuzz: $t for $seconds s (log $log)" >&2
  "$here/run.sh" "$t" "$seconds" >"$log" 2>&1
done
for t in "${targets[@]}"; do
  log="$here/logs/$t-$stamp.log"
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'DONE *cov: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  echo "$t: $runs runs in $seconds s, coverage $cov, peak RSS $rss MB"
done
