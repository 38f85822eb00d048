#!/bin/bash
# Fuzzing of Nest's parsers and API, bounded for CI (docs/security-testing.md):
#   regressions  every input a fuzzer once failed on, replayed (Tests/fuzz/regressions)
#   libfuzzer    libFuzzer with ASan (+UBSan for C): plan (nest-monitor's plan
#                parser), xml (the subsystem XML reader and writer), spec
#                (config.json decoder, validation, encoder)
#   loop         nest-fuzz, the dependency-free mutation loop: spec (decode,
#                validate, translate, XML round trip), xml, api (REST JSON models)
#   http         nest-fuzz: raw mutated HTTP to a running nestd (root)
#   schema       schemathesis against docs/api/openapi.yaml and a running nestd (root)
#   Tests/fuzz/run.sh [PART...]                       (default: all of them)
# Bounds: FUZZ_SECONDS per target (default 30), or FUZZ_RUNS inputs per
# target instead (nightly: FUZZ_RUNS=1000000); SCHEMA_SECONDS for
# schemathesis (default 150). FUZZ_SEED (default 1) seeds nest-fuzz and
# schemathesis. Findings are kept in .build/fuzz/artifacts.
set -u
cd "$(dirname "$0")/../.."
REPO="$PWD"
export PATH="$PATH:/opt/swift/usr/bin"
export BINDIR="${BINDIR:-.build/debug}"
case "$BINDIR" in /*) ;; *) BINDIR="$REPO/$BINDIR" ;; esac
OUT="$REPO/.build/fuzz"
ART="$OUT/artifacts"
mkdir -p "$ART"
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=(regressions libfuzzer loop http schema)
SECS="${FUZZ_SECONDS:-30}"
passed=() failed=() skipped=() summary=()
pass() { passed+=("$1"); }
fail() { failed+=("$1"); echo "FAIL: $1"; }
skip() { skipped+=("$1"); echo "SKIP: $1: $2"; }
want() { local p; for p in "${PARTS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

# nest-fuzz: NEST_FUZZ, else a release build when it is newer (nightly), else BINDIR's
NEST_FUZZ="${NEST_FUZZ:-}"
if [ -z "$NEST_FUZZ" ]; then
	NEST_FUZZ="$BINDIR/nest-fuzz"
	[ -x .build/release/nest-fuzz ] && [ .build/release/nest-fuzz -nt "$NEST_FUZZ" ] && NEST_FUZZ="$REPO/.build/release/nest-fuzz"
fi
if [ ! -x "$NEST_FUZZ" ] && { want loop || want http || want regressions; }; then
	echo "fuzz: building nest-fuzz"
	swift build --product nest-fuzz >/dev/null && NEST_FUZZ="$(swift build --show-bin-path)/nest-fuzz"
fi
export NEST_FUZZ

# the libFuzzer runtime ships with the Swift toolchain's clang
have_libfuzzer=1
ls /opt/swift/usr/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || have_libfuzzer=0
if [ $have_libfuzzer = 1 ] && { want libfuzzer || want regressions; }; then
	Tests/fuzz/build-libfuzzer.sh "$OUT" || { fail "libfuzzer: build"; have_libfuzzer=0; }
fi
export SWIFT_BACKTRACE=enable=no   # the sanitizer's report is the one to read

if want regressions; then
	for t in plan spec xml api; do
		d="Tests/fuzz/regressions/$t"
		ls "$d"/* >/dev/null 2>&1 || continue
		if [ $have_libfuzzer = 1 ] && [ -x "$OUT/$t-fuzzer" ]; then
			if "$OUT/$t-fuzzer" "$d"/* > "$ART/regress-$t.log" 2>&1; then pass "regressions: $t-fuzzer ($(ls "$d" | wc -l) inputs)"
			else fail "regressions: $t-fuzzer on $d"; tail -30 "$ART/regress-$t.log"; fi
		fi
		[ "$t" = plan ] && continue
		if "$NEST_FUZZ" "$t" --artifacts "$ART" --replay "$d"/*; then pass "regressions: nest-fuzz $t"
		else fail "regressions: nest-fuzz $t on $d"; fi
	done
fi

# requests that once failed nestd, each to a fresh one (the fuzzer's oracle)
if want regressions && [ "$(id -u)" = 0 ]; then
	for f in Tests/fuzz/regressions/http/*; do
		[ -e "$f" ] || continue
		echo "== fuzz: regression $f against a running nestd"
		if timeout 120 bash Tests/fuzz/daemon.sh replay "$ART" "$REPO/$f"; then pass "regressions: http $(basename "$f")"
		else fail "regressions: http $(basename "$f") (a nestd fault, see above)"; fi
	done
fi

if want libfuzzer; then
	if [ $have_libfuzzer = 0 ]; then skip libfuzzer "no libclang_rt.fuzzer in /opt/swift (the Swift toolchain's clang)"
	else
		for t in plan spec xml; do
			corpus="$OUT/corpus/$t"; mkdir -p "$corpus"
			case $t in
			plan) cp Tests/fuzz/seeds/plan/* "$corpus/" ;;
			spec) cp Tests/NestOCITests/Fixtures/*.json "$corpus/"
			      for f in Tests/NestSubsystemTests/Golden/*.json; do cp "$f" "$corpus/golden-${f##*/}"; done ;;
			xml) cp Tests/NestSubsystemTests/Golden/*.xml docs/examples/*.xml "$corpus/" ;;
			esac
			if [ -n "${FUZZ_RUNS:-}" ]; then bound=(-runs="$FUZZ_RUNS"); else bound=(-max_total_time="$SECS"); fi
			echo "== fuzz: libfuzzer $t ${bound[*]}"
			"$OUT/$t-fuzzer" "${bound[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
				-artifact_prefix="$ART/$t-" "$corpus" > "$ART/libfuzzer-$t.log" 2>&1
			rc=$?
			runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$ART/libfuzzer-$t.log")
			rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$ART/libfuzzer-$t.log")
			summary+=("libfuzzer $t: ${runs:-?} inputs, ${rate:-?}/s, corpus $(ls "$corpus" | wc -l)")
			if [ $rc = 0 ]; then pass "libfuzzer $t"
			else
				fail "libfuzzer $t (exit $rc; the input is in $ART/$t-*)"
				grep -m1 -A25 "ERROR\|Fatal error\|deadly signal\|SUMMARY" "$ART/libfuzzer-$t.log"
			fi
		done
	fi
fi

if want loop; then
	for t in spec xml api; do
		case $t in
		spec) seeds=(--seeds Tests/NestOCITests/Fixtures --seeds Tests/NestSubsystemTests/Golden --seed-ext json) ;;
		xml) seeds=(--seeds Tests/NestSubsystemTests/Golden --seeds docs/examples --seed-ext xml) ;;
		api) seeds=(--seeds Tests/fuzz/seeds/api) ;;
		esac
		if [ -n "${FUZZ_RUNS:-}" ]; then bound=(--runs "$FUZZ_RUNS"); else bound=(--seconds "$SECS"); fi
		echo "== fuzz: nest-fuzz $t ${bound[*]}"
		"$NEST_FUZZ" "$t" "${bound[@]}" --seed "${FUZZ_SEED:-1}" --artifacts "$ART" "${seeds[@]}" | tee "$ART/loop-$t.log" | tail -n 1
		if [ "${PIPESTATUS[0]}" = 0 ]; then pass "nest-fuzz $t"; else fail "nest-fuzz $t (the input is in $ART)"; fi
		summary+=("$(tail -n 1 "$ART/loop-$t.log")")
	done
fi

for w in http schema; do
	want $w || continue
	if [ "$(id -u)" != 0 ]; then skip $w "needs root (a real nestd)"; continue; fi
	if [ $w = schema ]; then
		command -v socat >/dev/null || { skip schema "socat is not installed (scripts/setup.sh installs it)"; continue; }
		if [ ! -x "$OUT/venv/bin/schemathesis" ]; then
			echo "fuzz: installing schemathesis (pinned) into $OUT/venv"
			{ python3 -m venv "$OUT/venv" && "$OUT/venv/bin/pip" install -q "schemathesis==4.32.5"; } >"$ART/pip.log" 2>&1 \
				|| { skip schema "cannot install schemathesis from PyPI: $(tail -n 1 "$ART/pip.log")"; continue; }
		fi
	fi
	echo "== fuzz: $w against a running nestd"
	if timeout 900 bash Tests/fuzz/daemon.sh $w "$ART"; then pass "$w"; else fail "$w"; fi
done

echo "== fuzz summary"
for s in "${summary[@]}"; do echo "  $s"; done
echo "fuzz: ${#passed[@]} passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}, ${#skipped[@]} skipped"
[ "${#failed[@]}" = 0 ]
