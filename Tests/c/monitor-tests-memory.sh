# Sourced by monitor-tests.sh: what a container's PID 1 and the monitor that
# stays keep mapped once set up (nest-monitor/idlemem.c). Setup runs through
# most of nest-monitor, about 850 kB of it mapped; the loops that follow
# run a few functions, and each process drops the page entries of the code
# once set up. A page mapped counts in a process's PSS (its share of it).

# resident kB of PID's file-backed executable mappings (the binary's code)
code_kb() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { c = ($2 ~ /x/ && $5 != 0); next }
	     c && /^Rss:/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps" 2>/dev/null
}
# waits until PID maps at most KB kB of code; prints what it maps
code_settles() {
	local kb
	for _ in $(seq 200); do
		kb="$(code_kb "$1")"
		[ -n "$kb" ] && [ "$kb" -le "$2" ] && break
		sleep 0.05
	done
	echo "${kb:-gone}"
}

fresh
{ base memory; t arg sleep; t arg 1000; } >"$S/plan"
timeout 60 "$MON" "$S/plan" 3>"$S/sync" &
tpid=$!
for _ in $(seq 200); do grep -q '^created' "$S/sync" 2>/dev/null && break; sleep 0.05; done
cpid="$(sed -n 's/^created //p' "$S/sync")"
mpid="$(tr -d ' ' <"/proc/$tpid/task/$tpid/children")" # timeout's child
prog=""
for _ in $(seq 200); do
	prog="$(cat "/proc/$cpid/task/$cpid/children" 2>/dev/null | tr -d ' ')"
	[ -n "$prog" ] && [ "$(cat "/proc/$prog/comm" 2>/dev/null)" = sleep ] && break
	sleep 0.05
done
# 256 kB: four of the kernel's 64 kB fault-around windows; setup left
# about 640 kB of code mapped in each
kb="$(code_settles "$cpid" 256)"
[ "$kb" != gone ] && [ "$kb" -le 256 ] && ok "memory: PID 1 maps $kb kB of code once its program runs" ||
	bad "memory: PID 1 maps $kb kB of code (at most 256 expected): $(cat "$S/sync")"
kb="$(code_settles "$mpid" 256)"
[ "$kb" != gone ] && [ "$kb" -le 256 ] && ok "memory: the monitor maps $kb kB of code while it waits" ||
	bad "memory: the monitor maps $kb kB of code (at most 256 expected)"
# the loops still work with their code mapped again on demand: the init
# forwards SIGTERM, reaps its program and exits with its status; the
# monitor writes it
kill -TERM "$cpid"
wait "$tpid"
expect_status "memory: then PID 1 forwards a signal and exits with its program's status" 143
