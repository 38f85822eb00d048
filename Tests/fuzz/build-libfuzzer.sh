#!/bin/sh
# Builds the libFuzzer targets into OUT (default .build/fuzz):
#   plan-fuzzer  nest-monitor's plan parser (C, ASan+UBSan)
#   xml-fuzzer   NestSubsystem's XML reader, route check and writer (Swift, ASan)
#   spec-fuzzer  NestOCI's config.json decoder, validation and encoder (Swift, ASan)
# The Swift modules are compiled again with the fuzzer's coverage
# instrumentation, straight with swiftc (SwiftPM would give the executable a
# main of its own; libFuzzer brings its own). A target is rebuilt only when a
# source it is made from is newer.
#   Tests/fuzz/build-libfuzzer.sh [OUT]
set -eu
cd "$(dirname "$0")/../.."
export PATH="$PATH:/opt/swift/usr/bin"
OUT="${1:-.build/fuzz}"
mkdir -p "$OUT"
CC="${FUZZ_CC:-/opt/swift/usr/bin/clang}"
# gold warns about every ASan symbol it cannot export; lld does not
LD="-fuse-ld=lld"
quiet() { grep -v "Cannot export local symbol" || true; }
newer() { # newer TARGET SOURCES...: true when TARGET is missing or older
	t="$1"; shift
	[ -e "$t" ] || return 0
	for s in "$@"; do [ "$s" -nt "$t" ] && return 0; done
	return 1
}

PLAN_SRC=$(ls Sources/nest-monitor/plan*.c)
if newer "$OUT/plan-fuzzer" Tests/fuzz/libfuzzer/plan_fuzz.c $PLAN_SRC Sources/nest-monitor/plan*.h; then
	echo "fuzz: building plan-fuzzer"
	"$CC" $LD -g -O1 -D_GNU_SOURCE -Wall -Wextra -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -ISources/nest-monitor \
		Tests/fuzz/libfuzzer/plan_fuzz.c $PLAN_SRC -o "$OUT/plan-fuzzer"
fi

SAN="-sanitize=fuzzer,address -use-ld=lld -parse-as-library -O -g"
OCI_SRC=$(ls Sources/NestOCI/*.swift)
SUB_SRC=$(ls Sources/NestSubsystem/*.swift)
if newer "$OUT/lib/libNestOCI.a" $OCI_SRC; then
	echo "fuzz: building NestOCI with fuzzer instrumentation"
	mkdir -p "$OUT/lib"
	swiftc $SAN -emit-module -emit-library -static -module-name NestOCI $OCI_SRC \
		-emit-module-path "$OUT/lib/NestOCI.swiftmodule" -o "$OUT/lib/libNestOCI.a" 2>&1 | quiet
fi
if newer "$OUT/lib/libNestSubsystem.a" $SUB_SRC "$OUT/lib/libNestOCI.a"; then
	echo "fuzz: building NestSubsystem with fuzzer instrumentation"
	swiftc $SAN -I "$OUT/lib" -emit-module -emit-library -static -module-name NestSubsystem $SUB_SRC \
		-emit-module-path "$OUT/lib/NestSubsystem.swiftmodule" -o "$OUT/lib/libNestSubsystem.a" 2>&1 | quiet
fi
if newer "$OUT/spec-fuzzer" Tests/fuzz/libfuzzer/spec_fuzz.swift "$OUT/lib/libNestOCI.a"; then
	echo "fuzz: building spec-fuzzer"
	swiftc $SAN -I "$OUT/lib" Tests/fuzz/libfuzzer/spec_fuzz.swift "$OUT/lib/libNestOCI.a" \
		-o "$OUT/spec-fuzzer" 2>&1 | quiet
fi
if newer "$OUT/xml-fuzzer" Tests/fuzz/libfuzzer/xml_fuzz.swift "$OUT/lib/libNestSubsystem.a"; then
	echo "fuzz: building xml-fuzzer"
	swiftc $SAN -I "$OUT/lib" Tests/fuzz/libfuzzer/xml_fuzz.swift "$OUT/lib/libNestSubsystem.a" \
		"$OUT/lib/libNestOCI.a" -o "$OUT/xml-fuzzer" 2>&1 | quiet
fi
for t in plan-fuzzer spec-fuzzer xml-fuzzer; do
	[ -x "$OUT/$t" ] || { echo "fuzz: $t was not built" >&2; exit 1; }
done
