# More cases of monitor-tests.sh (sourced by it).

# --- exec-fifo: the init waits until the fifo is read ---
fresh
mkfifo -m 0622 "$S/exec.fifo"
{ base fifo; t exec-fifo "$S/exec.fifo"; sh_args 'echo started'; } >"$S/plan"
# (60 s: the scan of every /proc/*/fd below takes seconds on a busy host,
# and a monitor killed in created state takes its init with it)
timeout 60 sh -c 'exec "$0" "$1" 3>"$2" 7>"$3"' "$MON" "$S/plan" "$S/sync" "$S/extra-fd" &
mpid=$!
for _ in $(seq 100); do grep -q created "$S/sync" 2>/dev/null && break; sleep 0.05; done
grep -q '^created ' "$S/sync" && ok "fifo: created before start" || bad "fifo: sync: $(cat "$S/sync")"
held=""
for f in /proc/[0-9]*/fd/*; do
	[ "$(readlink "$f" 2>/dev/null)" = "$S/extra-fd" ] && held="$held $f"
done
[ -z "$held" ] && ok "fifo: the spawner's other fds are closed" || bad "fifo: extra fd held by$held"
sleep 0.2
[ ! -s "$S/log" ] && ok "fifo: not started yet" || bad "fifo: ran before start"
cpid="$(sed -n 's/^created //p' "$S/sync")"
[ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null && ok "fifo: init alive" || bad "fifo: init not alive"
[ "$(timeout 5 cat "$S/exec.fifo")" = 0S ] && ok "fifo: read 0, then the start's answer S" || bad "fifo: no byte"
wait "$mpid"
expect_log "fifo: started after read" 'stdout started'
expect_status "fifo: exit 0" 0

# --- exec-fifo: a failing startContainer hook is the start's answer ---
fresh
mkfifo -m 0622 "$S/exec.fifo"
{ base fifohook; t exec-fifo "$S/exec.fifo"; t hook startContainer 0 /bin/sh 3 sh -c 'exit 1'; sh_args 'echo never'; } >"$S/plan"
timeout 20 "$MON" "$S/plan" 3>"$S/sync" &
mpid=$!
for _ in $(seq 100); do grep -q created "$S/sync" 2>/dev/null && break; sleep 0.05; done
answer="$(timeout 5 cat "$S/exec.fifo")"
[ "$answer" = "0error"$'\t'"hook"$'\t'"/bin/sh"$'\t'"0"$'\t\t'"hook startContainer /bin/sh: exit status 1" ] &&
	ok "fifo: a failing startContainer hook is the start's answer" || bad "fifo: answer: $answer"
wait "$mpid"
expect_status "fifo: the init exited with the hook's failure" 1
! grep -q never "$S/log" 2>/dev/null && ok "fifo: the process did not run" || bad "fifo: the process ran"

# --- the monitor outlives its spawner and its session ---
fresh
mkfifo -m 0622 "$S/exec.fifo"
{ base outlive; t exec-fifo "$S/exec.fifo"; sh_args 'echo outlived'; } >"$S/plan"
# the spawner exits at once; the pipe's reader sees EOF once `created` is
# written (the monitor lets go of the spawner's stdout)
timeout 10 bash -c '("$0" "$1" 3>"$2" &) | cat' "$MON" "$S/plan" "$S/sync"
[ $? = 0 ] && ok "outlive: spawner's stdout released" || bad "outlive: spawner's stdout held"
for _ in $(seq 100); do grep -q created "$S/sync" 2>/dev/null && break; sleep 0.05; done
sleep 0.2
timeout 5 cat "$S/exec.fifo" >/dev/null
for _ in $(seq 100); do [ -e "$S/status" ] && break; sleep 0.05; done
expect_status "outlive: status written by the orphaned monitor" 0
expect_log "outlive: ran" 'stdout outlived'

# --- hooks: state on stdin, createRuntime in the host, createContainer inside, timeout ---
fresh
cat >"$T/hook.sh" <<EOF
#!/bin/sh
cat > "$T/hook-\$1.json"
EOF
chmod +x "$T/hook.sh"
{
	base hooks
	t hook prestart 0 "$T/hook.sh" 2 hook.sh prestart PATH=/bin:/usr/bin
	t hook createRuntime 5 "$T/hook.sh" 2 hook.sh createRuntime PATH=/bin:/usr/bin
	t hook createContainer 5 "$T/hook.sh" 2 hook.sh createContainer PATH=/bin:/usr/bin
	t hook startContainer 5 /bin/sh 3 sh -c "cat > /tmp/start.json; echo start-hook-ran"
	sh_args 'cat /tmp/start.json; echo'
} >"$S/plan"
run
cpid="$(sed -n 's/^created //p' "$S/sync")"
for k in prestart createRuntime createContainer; do
	grep -q "\"id\":\"mon-hooks\".*\"pid\":$cpid" "$T/hook-$k.json" 2>/dev/null && ok "hooks: $k got the state" || bad "hooks: $k: $(cat "$T/hook-$k.json" 2>&1)"
done
expect_log "hooks: startContainer ran in the container" 'std(out|err) start-hook-ran'
expect_log "hooks: startContainer got the state" '"status":"created"'
fresh
{ base hooktimeout; t hook createRuntime 1 /bin/sleep 2 sleep 10; sh_args true; } >"$S/plan"
run
sync_msg | grep -q '^hook createRuntime /bin/sleep: timed out' && ok "hooks: timeout" || bad "hooks: timeout: $(cat "$S/sync")"

# --- cgroups: join every v1 hierarchy, cgroup namespace, cgroup mount, oom-file ---
fresh
hier=""
for h in memory pids cpu cpuacct cpuset devices freezer blkio unified; do
	d="/sys/fs/cgroup/$h/nest-mon-test-$$"
	if [ -d "/sys/fs/cgroup/$h" ] && { [ "$h" = unified ] || [ ! -e "/sys/fs/cgroup/$h/cgroup.subtree_control" ]; }; then
		mkdir -p "$d" && CG="$CG $d" && hier="$hier $h"
		if [ "$h" = cpuset ]; then
			cat /sys/fs/cgroup/cpuset/cpuset.cpus >"$d/cpuset.cpus"
			cat /sys/fs/cgroup/cpuset/cpuset.mems >"$d/cpuset.mems"
		fi
	fi
done
# the host's layout, as the runtime detects it and writes it in the plan
layout=v1
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then layout=v2
elif [ -d /sys/fs/cgroup/unified ]; then layout=hybrid; fi
if [ -n "$hier" ]; then
	{
		base cgroup
		t namespace cgroup -
		t cgroup-layout "$layout"
		for h in $hier; do t cgroup-join "/sys/fs/cgroup/$h/nest-mon-test-$$"; done
		[ -d /sys/fs/cgroup/memory/nest-mon-test-$$ ] && t oom-file "/sys/fs/cgroup/memory/nest-mon-test-$$/memory.oom_control"
		t mount /sys/fs/cgroup cgroup cgroup f 0 ""
		sh_args 'cat /proc/self/cgroup; ls /sys/fs/cgroup | tr "\n" " "; echo; cat /sys/fs/cgroup/pids/cgroup.procs | wc -l'
	} >"$S/plan"
	run
	expect_status "cgroup: exit 0" 0
	for h in $hier; do
		[ "$h" = unified ] && continue
		expect_log "cgroup: joined $h, namespace root" "stdout [0-9]+:$h:/$"
	done
	case " $hier " in *" unified "*) expect_log "cgroup: joined the unified hierarchy" "stdout 0::/$" ;; esac
	expect_log "cgroup: mount lists the hierarchies" "stdout .*pids"
	grep -q '"oomKilled":false' "$S/status" && ok "cgroup: oomKilled false" || bad "cgroup: $(cat "$S/status")"
else
	echo "skip: cgroup (no v1 memory/pids hierarchies)"
fi

# --- time namespace offsets ---
fresh
if [ -e /proc/self/ns/time ]; then
	{ base time; t namespace time -; t time-offset boottime 864000 0; t time-offset monotonic 864000 0; sh_args 'cut -d. -f1 /proc/uptime'; } >"$S/plan"
	ln -sf busybox "$R/bin/cut"
	run
	up="$(sed -n 's/.* stdout \([0-9]*\)$/\1/p' "$S/log")"
	[ -n "$up" ] && [ "$up" -ge 864000 ] && ok "time: boottime offset" || bad "time: $(cat "$S/log" "$S/sync")"
fi

# --- stdio inherit and null ---
fresh
{ base inherit; sh_args 'echo to-inherited-stdout'; } | sed 's|^stdio\tlog.*|stdio\tinherit|' >"$S/plan"
out="$(timeout 20 "$MON" "$S/plan" 3>"$S/sync")"
[ "$out" = to-inherited-stdout ] && ok "stdio: inherit" || bad "stdio: inherit: $out"
fresh
{ base null; sh_args 'echo to-null; ls -l /proc/self/fd/1'; } | sed 's|^stdio\tlog.*|stdio\tnull|' >"$S/plan"
out="$(timeout 20 "$MON" "$S/plan" 3>"$S/sync")"
[ -z "$out" ] && expect_status "stdio: null" 0 || bad "stdio: null: $out"

# --- console: the pty master arrives on the console socket ---
if command -v python3 >/dev/null; then
	fresh
	{ base console; t console-socket "$S/console.sock"; t console-size 33 101; sh_args 'tty; stty size'; } >"$S/plan"
	ln -sf busybox "$R/bin/tty"; ln -sf busybox "$R/bin/stty"
	python3 - "$S/console.sock" "$S/console.out" <<'EOF' &
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(256, socket.CMSG_SPACE(4))
fd = array.array("i", anc[0][2][:4])[0]
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
open(sys.argv[2], "wb").write(out)
EOF
	ppid=$!
	for _ in $(seq 100); do [ -S "$S/console.sock" ] && break; sleep 0.05; done
	run
	wait "$ppid"
	grep -q '/dev/pts/0' "$S/console.out" 2>/dev/null && ok "console: tty is the pty" || bad "console: $(cat "$S/console.out" "$S/sync" 2>&1)"
	grep -q '33 101' "$S/console.out" 2>/dev/null && ok "console: size" || bad "console: size"

	# With a terminal, nothing of create's stdio outlives create: a reader
	# of the monitor's stdout and stderr sees EOF while the container runs.
	fresh
	{ base console-eof; t console-socket "$S/console.sock"; sh_args 'sleep 3'; } | sed 's|^stdio\tlog.*|stdio\tinherit|' >"$S/plan"
	python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c,_=s.accept(); c.recvmsg(256,socket.CMSG_SPACE(4)); time.sleep(5)' "$S/console.sock" &
	ppid=$!
	for _ in $(seq 100); do [ -S "$S/console.sock" ] && break; sleep 0.05; done
	mkfifo "$S/stdio"
	# (the redirection inside: `timeout` itself must not hold the FIFO)
	timeout 20 sh -c 'exec "$0" "$1" >"$2" 2>&1' "$MON" "$S/plan" "$S/stdio" 3>"$S/sync" &
	mpid=$!
	if timeout 10 cat "$S/stdio" >/dev/null && [ ! -e "$S/status" ] && grep -q '^created' "$S/sync"; then
		ok "console: create's stdout and stderr are let go while the container runs"
	else
		bad "console: the monitor holds create's stdio (status: $(cat "$S/status" 2>&1))"
	fi
	wait "$mpid"
	kill "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null
	expect_status "console: the container ran to its end" 0
else
	echo "skip: console (python3 is not installed)"
fi

# --- joining existing namespaces (pid, network, uts) ---
fresh
unshare --pid --fork --net --uts sh -c "hostname joined-uts; exec sleep 60" &
holder_sh=$!
hp=""
for _ in $(seq 100); do
	hp="$(cat /proc/$holder_sh/task/$holder_sh/children 2>/dev/null | tr -d ' ')"
	[ -n "$hp" ] && [ "$(cat /proc/$hp/comm 2>/dev/null)" = sleep ] && break
	sleep 0.05
done
if [ -n "$hp" ]; then
	{
		base join | grep -vE $'^namespace\t(pid|network|uts)\t'
		t namespace pid "/proc/$hp/ns/pid"
		t namespace network "/proc/$hp/ns/net"
		t namespace uts "/proc/$hp/ns/uts"
		sh_args 'cat /proc/1/comm; hostname; readlink /proc/self/ns/net'
	} >"$S/plan"
	run
	expect_log "join: pid namespace (pid 1 is the holder)" 'stdout sleep$'
	expect_log "join: uts namespace" 'stdout joined-uts$'
	expect_log "join: network namespace" "stdout $(readlink /proc/$hp/ns/net | sed 's/[][]/./g')\$"
else
	bad "join: no namespace holder"
fi
kill -9 "$hp" "$holder_sh" 2>/dev/null # pid 1 of its namespace: SIGKILL only
wait "$holder_sh" 2>/dev/null

# --- oomKilled from the v1 memory cgroup ---
fresh
m="/sys/fs/cgroup/memory/nest-mon-oom-$$"
if [ -d /sys/fs/cgroup/memory ] && [ ! -e /sys/fs/cgroup/memory/cgroup.subtree_control ] && mkdir "$m"; then
	CG="$CG $m"
	echo 16M >"$m/memory.limit_in_bytes"
	[ -e "$m/memory.memsw.limit_in_bytes" ] && echo 16M >"$m/memory.memsw.limit_in_bytes"
	{
		base oom
		t cgroup-join "$m"
		t oom-file "$m/memory.oom_control"
		sh_args 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
	} >"$S/plan"
	run 60
	grep -q '"oomKilled":true' "$S/status" && ok "oom: oomKilled true" || bad "oom: $(cat "$S/status" "$S/sync" "$S/log" 2>&1)"
fi

# --- joining an existing user namespace (the new ones are owned by it) ---
fresh
unshare --user sleep 60 &
uholder=$!
for _ in $(seq 100); do
	[ "$(cat /proc/$uholder/comm 2>/dev/null)" = sleep ] && break
	sleep 0.05
done
echo "0 200000 65536" >/proc/$uholder/uid_map
echo "0 200000 65536" >/proc/$uholder/gid_map
{
	base joinuser
	t namespace user "/proc/$uholder/ns/user"
	sh_args 'cat /proc/self/uid_map; echo x > /dev/null && echo devnull-ok; echo comm=$(cat /proc/1/comm)'
} >"$S/plan"
run
expect_status "join user: exit 0" 0
expect_log "join user: new pid ns owned by it, init is pid 1" 'stdout comm=nest-init$'
cpid="$(sed -n 's/^created //p' "$S/sync")"
[ -n "$cpid" ] && [ "$(cat "$S/pid")" = "$cpid" ] && ok "join user: created pid is the init" || bad "join user: pid"
expect_log "join user: map of the joined namespace" 'stdout +0 +200000 +65536'
expect_log "join user: devices bound" 'stdout devnull-ok'
kill "$uholder" 2>/dev/null
wait "$uholder" 2>/dev/null

# --- seccomp without no-new-privileges for a non-root user (loaded before the switch) ---
fresh
{
	base nnp0
	t user 1000 1000 -
	t seccomp-default SCMP_ACT_ALLOW -
	t seccomp-rule SCMP_ACT_ERRNO - mkdir
	t seccomp-rule SCMP_ACT_ERRNO - mkdirat
	sh_args 'grep -E "NoNewPrivs|Seccomp:" /proc/self/status; mkdir /tmp/z || echo denied'
} >"$S/plan"
run
expect_log "nnp0: no_new_privs not set" 'NoNewPrivs:.0'
expect_log "nnp0: filter loaded" 'Seccomp:.2'
expect_log "nnp0: mkdir denied" 'stdout denied'

# --- exec-fifo in a container without /proc ---
fresh
mkfifo -m 0622 "$S/exec.fifo"
{ base noproc | grep -v $'^mount\t/proc\t' | grep -v $'^symlink\t/proc'; t exec-fifo "$S/exec.fifo"; sh_args 'echo no-proc-started'; } >"$S/plan"
timeout 20 "$MON" "$S/plan" 3>"$S/sync" &
mpid=$!
for _ in $(seq 100); do grep -q created "$S/sync" 2>/dev/null && break; sleep 0.05; done
[ "$(timeout 5 cat "$S/exec.fifo")" = 0S ] && ok "fifo without /proc: read 0S" || bad "fifo without /proc: no byte"
wait "$mpid"
expect_log "fifo without /proc: started" 'stdout no-proc-started'

# --- the spawner gave no stdin/stdout/stderr ---
fresh
{ base closed; sh_args 'echo still-logged; ls /proc/self/fd | tr "\n" " "'; } >"$S/plan"
timeout 20 "$MON" "$S/plan" 3>"$S/sync" 0<&- 1>&- 2>&-
expect_log "closed stdio: the log still works" 'stdout still-logged'
expect_log "closed stdio: container has 0-2 (and ls's 3)" 'stdout P 0 1 2 3 $'

# --- rootfs propagation ---
host_shared=0
grep -E "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / .*shared:" /proc/self/mountinfo >/dev/null && host_shared=1
for prop in rshared rslave private runbindable; do
	fresh
	{ base "prop-$prop"; t rootfs-propagation "$prop"; sh_args 'grep -E "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / " /proc/self/mountinfo'; } >"$S/plan"
	run
	expect_status "rootfs-propagation $prop: ran" 0
	line="$(grep ' stdout ' "$S/log")"
	case "$prop" in
	rshared) case "$line" in *shared:*) ok "rootfs-propagation rshared" ;; *) bad "rootfs-propagation rshared: $line" ;; esac ;;
	rslave) if [ "$host_shared" = 1 ]; then
			case "$line" in *master:*) ok "rootfs-propagation rslave" ;; *) bad "rootfs-propagation rslave: $line" ;; esac
		fi ;;
	private) case "$line" in *shared:* | *master:*) bad "rootfs-propagation private: $line" ;; *) ok "rootfs-propagation private" ;; esac ;;
	runbindable) case "$line" in *unbindable*) ok "rootfs-propagation runbindable" ;; *) bad "rootfs-propagation runbindable: $line" ;; esac ;;
	esac
done

# --- a new user namespace with a joined (host-owned) network namespace ---
fresh
unshare --net sleep 60 &
nholder=$!
for _ in $(seq 100); do [ "$(cat /proc/$nholder/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
{
	base lateuser | grep -vE $'^namespace\tnetwork\t'
	t namespace network "/proc/$nholder/ns/net"
	t namespace user -
	t uid-map 0 100000 65536
	t gid-map 0 100000 65536
	sh_args 'cat /proc/self/uid_map; readlink /proc/self/ns/net; echo comm=$(cat /proc/1/comm);
		ls /sys/kernel >/dev/null && echo sys-ok; touch /sys/kernel/x 2>&1 | grep -q Read-only && echo sys-ro'
} >"$S/plan"
run
expect_status "late userns: ran" 0
expect_log "late userns: /sys bound from the host (sysfs not allowed)" 'stdout sys-ok'
expect_log "late userns: /sys read-only" 'stdout sys-ro'
expect_log "late userns: uid map" 'stdout +0 +100000 +65536'
expect_log "late userns: joined network namespace" "stdout $(readlink /proc/$nholder/ns/net | sed 's/[][]/./g')\$"
expect_log "late userns: init is pid 1 of a new pid namespace" 'stdout comm=nest-init$'
kill -9 "$nholder" 2>/dev/null
wait "$nholder" 2>/dev/null

. "$(dirname "$0")/monitor-tests-cases3.sh"
