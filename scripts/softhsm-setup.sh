#!/usr/bin/env bash
# Makes a private SoftHSM2 token holding the Alfa test key, for examples/pkcs11.rs.
#
#   bash scripts/softhsm-setup.sh [DIR]          (DIR defaults to target/softhsm)
#   eval "$(bash scripts/softhsm-setup.sh)"      (sets the variables below in your shell)
#
# DIR receives its own softhsm2.conf and token directory; nothing outside it is touched, the
# system token directory is never used and nothing is exported. Re-running wipes DIR and
# makes it anew (DIR must be empty, missing, or made by this script).
#
# The token: label `pecmail`, user PIN 123456, SO PIN 12345678. TEST-ONLY PINs for a
# throwaway token, like the key it holds: tests/fixtures/pki/alfa.key is public and protects
# nothing. The key is imported with label `alfa`, id 01.
#
# Prints, on standard output, shell assignments (progress goes to standard error):
#   SOFTHSM2_CONF=DIR/softhsm2.conf   the configuration the module must read (pass it in the
#                                     environment of the process that loads the module)
#   PKCS11_MODULE=...                 the SoftHSM2 PKCS #11 module (override with
#                                     SOFTHSM2_MODULE=/path/to/libsofthsm2.so)
#   PKCS11_TOKEN=pecmail  PKCS11_PIN=123456  PKCS11_KEY_LABEL=alfa
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
token_label=pecmail
user_pin=123456      # TEST ONLY
so_pin=12345678      # TEST ONLY
key_label=alfa
key_id=01
key="$repo/tests/fixtures/pki/alfa.key"
marker=.pecmail-softhsm

log() { printf 'softhsm-setup: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v softhsm2-util >/dev/null 2>&1 \
  || die "softhsm2-util not found: install SoftHSM2 (Debian/Ubuntu: apt-get install softhsm2)"

# The PKCS #11 module: an explicit SOFTHSM2_MODULE, else the usual places (Debian's
# /usr/lib/softhsm and multiarch directories, Fedora's /usr/lib64/pkcs11, /usr/local,
# Homebrew).
find_module() {
  if [ -n "${SOFTHSM2_MODULE:-}" ]; then
    [ -f "$SOFTHSM2_MODULE" ] || die "SOFTHSM2_MODULE=$SOFTHSM2_MODULE: no such file"
    printf '%s\n' "$SOFTHSM2_MODULE"
    return
  fi
  local multiarch="" candidate
  if command -v dpkg-architecture >/dev/null 2>&1; then
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || true)
  fi
  if [ -z "$multiarch" ] && command -v gcc >/dev/null 2>&1; then
    multiarch=$(gcc -print-multiarch 2>/dev/null || true)
  fi
  for candidate in \
    /usr/lib/softhsm/libsofthsm2.so \
    ${multiarch:+/usr/lib/$multiarch/softhsm/libsofthsm2.so} \
    /usr/lib/*/softhsm/libsofthsm2.so \
    /usr/lib64/softhsm/libsofthsm2.so \
    /usr/lib64/pkcs11/libsofthsm2.so \
    /usr/lib/pkcs11/libsofthsm2.so \
    /usr/local/lib/softhsm/libsofthsm2.so \
    /opt/homebrew/lib/softhsm/libsofthsm2.so; do
    if [ -f "$candidate" ]; then
      printf '%s\n' "$candidate"
      return
    fi
  done
  die "libsofthsm2.so not found; set SOFTHSM2_MODULE to its path"
}
module=$(find_module)

dir=${1:-$repo/target/softhsm}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Wipe only a directory this script made (or an empty one).
if [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$marker" ]; then
  die "$dir is not empty and was not made by this script; not wiping it"
fi
rm -rf "$dir"
mkdir -p "$dir/tokens"
: >"$dir/$marker"
conf="$dir/softhsm2.conf"
cat >"$conf" <<CONF
# Made by scripts/softhsm-setup.sh: a throwaway token for examples/pkcs11.rs (test-only PINs).
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
slots.mechanisms = ALL
CONF

# softhsm2-util --import wants an unencrypted PKCS #8 PEM key; alfa.key is one, but convert
# anything else (a PKCS #1 "RSA PRIVATE KEY") with openssl.
if head -n 1 "$key" | grep -q -- '-----BEGIN PRIVATE KEY-----'; then
  pkcs8=$key
else
  command -v openssl >/dev/null 2>&1 || die "openssl is needed to convert $key to PKCS #8"
  pkcs8="$dir/alfa.pkcs8.pem"
  openssl pkcs8 -topk8 -nocrypt -in "$key" -out "$pkcs8"
fi

hsm() { SOFTHSM2_CONF="$conf" softhsm2-util "$@"; }
hsm --init-token --free --label "$token_label" --pin "$user_pin" --so-pin "$so_pin" >&2
hsm --import "$pkcs8" --token "$token_label" --label "$key_label" --id "$key_id" \
  --pin "$user_pin" >&2
log "token '$token_label' in $dir/tokens, key '$key_label' (id $key_id), module $module"

printf 'SOFTHSM2_CONF=%q\n' "$conf"
printf 'PKCS11_MODULE=%q\n' "$module"
printf 'PKCS11_TOKEN=%q\n' "$token_label"
printf 'PKCS11_PIN=%q\n' "$user_pin"
printf 'PKCS11_KEY_LABEL=%q\n' "$key_label"
