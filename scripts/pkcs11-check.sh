#!/usr/bin/env bash
# Signs PEC transport envelopes with a key held in SoftHSM2, through PKCS #11, and checks them:
#
#   bash scripts/pkcs11-check.sh
#
# 1. installs SoftHSM2 (Debian package softhsm2) when softhsm2-util is missing, and openssl;
# 2. makes a throwaway token with the Alfa test key (scripts/softhsm-setup.sh, test-only PINs)
#    in target/pkcs11-check/softhsm;
# 3. runs examples/pkcs11.rs, which signs with CKM_SHA256_RSA_PKCS and with CKM_RSA_PKCS,
#    checks that both give the same signature, reads both envelopes back with the crate's
#    verifying reader and writes them to target/pkcs11-check/out;
# 4. verifies both envelopes again with `openssl cms -verify` against the test root CA
#    (default S/MIME signing purpose), checks the signer is Alfa's certificate, and that the
#    verification fails against an unrelated root.
#
# Exits non-zero if anything fails. CI runs it from .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'pkcs11-check: %s\n' "$*"; }
die() { printf 'pkcs11-check: FAILED: %s\n' "$*" >&2; exit 1; }

missing=()
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  log "installing ${missing[*]}"
  ("${sudo[@]}" apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}") \
    >/dev/null 2>&1 || die "could not install ${missing[*]} with apt-get"
fi
log "$(softhsm2-util --version | head -n 1 | sed 's/^/SoftHSM2 /'), $(openssl version)"

work=target/pkcs11-check
out="$work/out"
pki=tests/fixtures/pki

# The token; the setup script prints shell assignments (SOFTHSM2_CONF, PKCS11_MODULE,
# PKCS11_TOKEN, PKCS11_PIN, PKCS11_KEY_LABEL), which stay local to this script.
mkdir -p "$work"
setup=$(bash scripts/softhsm-setup.sh "$work/softhsm" 2>"$work/setup.log") \
  || { cat "$work/setup.log" >&2; die "scripts/softhsm-setup.sh"; }
eval "$setup"
log "token $PKCS11_TOKEN with key $PKCS11_KEY_LABEL, SOFTHSM2_CONF=$SOFTHSM2_CONF"
log "module $PKCS11_MODULE"

rm -rf "$out"
SOFTHSM2_CONF="$SOFTHSM2_CONF" cargo run --quiet --example pkcs11 -- \
  --module "$PKCS11_MODULE" --pin "$PKCS11_PIN" \
  --token "$PKCS11_TOKEN" --label "$PKCS11_KEY_LABEL" --out "$out" \
  || die "examples/pkcs11.rs"

alfa=$(openssl x509 -in "$pki/alfa.pem" -noout -fingerprint -sha256)
for name in hash-and-sign raw-rsa; do
  eml="$out/envelope-$name.eml"
  [ -s "$eml" ] || die "$eml was not written"
  openssl cms -verify -in "$eml" -CAfile "$pki/root.pem" -certfile "$pki/ca1.pem" \
    -signer "$out/signer-$name.pem" -out /dev/null 2>"$out/verify-$name.log" \
    || { cat "$out/verify-$name.log" >&2; die "openssl cms -verify $eml"; }
  signer=$(openssl x509 -in "$out/signer-$name.pem" -noout -fingerprint -sha256)
  [ "$signer" = "$alfa" ] || die "$eml is signed by $signer, not Alfa ($alfa)"
  if openssl cms -verify -in "$eml" -CAfile "$pki/rogue-root.pem" -out /dev/null \
    >/dev/null 2>&1; then
    die "$eml verifies against an unrelated root: the check proves nothing"
  fi
  log "openssl: $eml verified against the test root, signer Alfa"
done
log "ok"
