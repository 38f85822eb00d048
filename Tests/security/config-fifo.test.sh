#!/bin/bash
# Attack class: config.json that is not a regular file (issue 9 item 8). A
# FIFO in place of config.json (or a symlink to one) made `nest create` and a
# nestd worker block for ever in open(); a device or a directory must not be
# opened for reading either. Each must be refused promptly with an error
# naming config.json, through `nest create` and through nestd, leaving
# nothing behind (no state dir, process or cgroup).
source "$(dirname "$0")/lib.sh"

base="$(bundle base sleep 300)" || { bad "bundle"; finish; }
kinds=(fifo symlink-to-fifo chardev directory)
make_bad() {   # make_bad KIND: a bundle whose config.json is KIND; prints its dir
	local d="$T/b-$1"
	mkdir -p "$d"
	ln -sfn "$base/rootfs" "$d/rootfs"
	rm -rf "$d/config.json"
	case $1 in
	fifo) mkfifo "$d/config.json" ;;
	symlink-to-fifo) mkfifo "$d/real.json"; ln -s real.json "$d/config.json" ;;
	chardev) mknod "$d/config.json" c 1 3 ;;
	directory) mkdir "$d/config.json" ;;
	esac
	echo "$d"
}
state_dirs() { find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l; }

for k in "${kinds[@]}"; do
	d="$(make_bad "$k")"
	start=$(date +%s%N)
	timeout 10 "$BINDIR/nest" --root "$ROOT" create --bundle "$d" "${NS_TAG}-$k" >/dev/null 2>"$T/err"; rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ $rc != 0 ] && [ $rc != 124 ] && grep -q "config.json" "$T/err" && [ $ms -lt 5000 ]; then
		ok "config.json as $k: nest create refuses in ${ms} ms: $(head -c 160 "$T/err")"
	else
		bad "config.json as $k: nest create rc=$rc after ${ms} ms: $(head -c 200 "$T/err")"
	fi
done
[ "$(state_dirs "$ROOT")" = 0 ] && ok "config.json not a file: nest left no state dir" || bad "nest left: $(ls "$ROOT")"

start_nestd || finish
for k in "${kinds[@]}"; do
	d="$T/b-$k"
	code="$(curl -s -m 10 -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		--data "{\"bundle\":\"$d\",\"name\":\"${NS_TAG}-d$k\"}" http://localhost/v1/containers)"
	if [ "$code" = 400 ] && jq -e '.error | test("config.json")' "$T/resp" >/dev/null 2>&1; then
		ok "config.json as $k: nestd answers 400: $(jq -r .error "$T/resp" | head -c 160)"
	else
		bad "config.json as $k: nestd answered '$code' $(head -c 200 "$T/resp" 2>/dev/null)"
	fi
done
check "config.json not a file: nestd still answers" curl -sf -m 5 --unix-socket "$SOCK" http://localhost/v1/version -o /dev/null
n="$(nestctl ps -a --format json 2>/dev/null | jq length)"
[ "$n" = 0 ] && ok "config.json not a file: no container listed" || bad "config.json not a file: $n container(s) listed"
[ "$(state_dirs "$T/droot")" = 0 ] && ok "config.json not a file: nestd left no state dir" || bad "nestd left: $(ls "$T/droot")"
[ -z "$(cgroups_of_test)" ] && ok "config.json not a file: no cgroup" || bad "cgroups: $(cgroups_of_test)"
# a worker blocked in open() on the FIFO would hold it: release any, so
# that the baseline's nestd can stop
for k in fifo symlink-to-fifo; do f="$T/b-$k/config.json"; [ -p "$f" ] || f="$T/b-$k/real.json"; timeout 1 sh -c "echo '{}' > '$f'" 2>/dev/null; done
finish
