#!/bin/bash
# Unit tests of nest-monitor's plan parser (Tests/c/plan/plan-parser-test.c),
# without root: built here with gcc, with ASan and UBSan when they link.
#   Tests/c/plan-tests.sh
set -u
cd "$(dirname "$0")/../.."
OUT="$(mktemp -d /tmp/nest-plan-tests.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT
CC="${CC:-gcc}"
SRC="Tests/c/plan/plan-parser-test.c $(ls Sources/nest-monitor/plan*.c)"
FLAGS="-g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -ISources/nest-monitor"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if echo 'int main(void){return 0;}' | "$CC" $SAN -x c - -o "$OUT/probe" 2>/dev/null; then
	FLAGS="$FLAGS $SAN"
else
	echo "note: $CC has no ASan/UBSan here; the tests run without them"
fi
"$CC" $FLAGS $SRC -o "$OUT/plan-parser-test" || { echo "FAIL: build"; exit 1; }
ASAN_OPTIONS=detect_leaks=1 "$OUT/plan-parser-test"
