#!/usr/bin/env bash
# The C API, end to end: checks that include/pecmail.h is what cbindgen generates from
# this crate (pecmail-ffi), that it compiles with -Wall -Wextra -Werror -std=c99, builds the
# static library, builds examples/c/exchange.c against it with gcc and OpenSSL's libcrypto
# (the example's signer), runs it, and runs it again under valgrind (no error, no leak).
#
#   bash ffi/c-example.sh
#
# Needs gcc, valgrind, OpenSSL headers and cbindgen 0.29.2; installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"
root=..

say() { printf 'c-example: %s\n' "$*" >&2; }

missing=()
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  ($sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}") >/dev/null
fi
if [ "$(cbindgen --version 2>/dev/null || true)" != "cbindgen 0.29.2" ]; then
  say "installing cbindgen 0.29.2"
  cargo install --quiet --locked cbindgen --version 0.29.2
fi

out=$root/target/c-example
mkdir -p "$out"

say "header: regenerating with cbindgen and comparing"
cbindgen --quiet --config cbindgen.toml --crate pecmail-ffi --output "$out/pecmail.h"
if ! diff -u include/pecmail.h "$out/pecmail.h"; then
  say "include/pecmail.h is out of date: run"
  say "  (cd ffi && cbindgen --config cbindgen.toml --crate pecmail-ffi --output include/pecmail.h)"
  exit 1
fi

say "header: compiling with -Wall -Wextra -Werror -std=c99 (and as C++)"
printf '#include "pecmail.h"\nint main(void) { return PECMAIL_OK; }\n' > "$out/header.c"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude "$out/header.c" -o "$out/header-check"
g++ -std=c++11 -Wall -Wextra -Werror -Iinclude -x c++ "$out/header.c" -o "$out/header-check-cpp"

say "library: cargo build -p pecmail-ffi"
cargo build --quiet -p pecmail-ffi --lib
lib=$root/target/debug/libpecmail_ffi.a

say "example: gcc examples/c/exchange.c"
gcc -std=c99 -Wall -Wextra -Werror -g -Iinclude examples/c/exchange.c "$lib" \
  $(pkg-config --libs libcrypto) -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
  -o "$out/exchange"

say "example: running"
"$out/exchange" $root/tests/fixtures/pki

say "example: running under valgrind"
valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
  "$out/exchange" $root/tests/fixtures/pki >/dev/null

say "ok"
