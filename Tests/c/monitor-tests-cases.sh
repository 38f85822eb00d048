# The cases of monitor-tests.sh (sourced by it).

# --- basic: pid 1, hostname, fds, seccomp, caps, masked, readonly, log ---
fresh
{
	base basic
	t hostname nesttest
	t masked /proc/keys
	t masked /sys/firmware
	t readonly /proc/sys
	t sysctl net.ipv4.ip_forward 1
	t cap bounding CAP_CHOWN
	t cap effective CAP_CHOWN
	t cap permitted CAP_CHOWN
	t seccomp-default SCMP_ACT_ALLOW -
	t seccomp-arch SCMP_ARCH_X86_64
	t seccomp-rule SCMP_ACT_ERRNO 1 mkdir
	t seccomp-rule SCMP_ACT_ERRNO 1 mkdirat
	t seccomp-rule SCMP_ACT_ERRNO 13 chmod 1:SCMP_CMP_EQ:511:0
	t seccomp-rule SCMP_ACT_ERRNO 13 fchmodat 2:SCMP_CMP_EQ:511:0
	sh_args 'cat /proc/1/comm; hostname; ls /proc/self/fd | tr "\n" " "; echo;
		mkdir /tmp/x || echo mkdir-denied;
		touch /tmp/f; chmod 755 /tmp/f && echo chmod755-ok; chmod 777 /tmp/f || echo chmod777-denied;
		echo keys=$(wc -c < /proc/keys); echo fw=$(ls /sys/firmware | wc -l);
		echo x > /proc/sys/kernel/domainname || echo sys-ro;
		grep CapBnd /proc/self/status; echo fwd=$(cat /proc/sys/net/ipv4/ip_forward);
		echo cmdline=$(tr "\0" " " < /proc/1/cmdline);
		echo -n partial'
} >"$S/plan"
run
[ "$rc" = 0 ] && ok "basic: monitor exit 0" || bad "basic: monitor rc=$rc"
grep -qE '^created [0-9]+$' "$S/sync" && ok "basic: created on sync fd" || bad "basic: sync: $(cat "$S/sync")"
[ "$(cat "$S/pid" 2>/dev/null)" = "$(sed -n 's/^created //p' "$S/sync")" ] && ok "basic: pid-file" || bad "basic: pid-file"
expect_status "basic: exit 0" 0
grep -qE '"finishedAt":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z"' "$S/status" && ok "basic: finishedAt" || bad "basic: finishedAt"
expect_log "basic: pid 1 is nest-init" '^[^ ]+Z stdout nest-init$'
expect_log "basic: pid 1's command line is nest-init, not the monitor's" ' stdout cmdline=nest-init$'
expect_log "basic: hostname" ' stdout nesttest$'
expect_log "basic: only fds 0-3 (3 = ls's dir)" ' stdout 0 1 2 3 $'
expect_log "basic: seccomp mkdir EPERM" 'stdout mkdir-denied'
expect_log "basic: seccomp stderr record" "stderr mkdir: can't create directory '/tmp/x': Operation not permitted"
expect_log "basic: seccomp condition allows 755" 'chmod755-ok'
expect_log "basic: seccomp condition denies 777" 'chmod777-denied'
expect_log "basic: masked file" 'stdout keys=0$'
expect_log "basic: masked dir" 'stdout fw=0$'
expect_log "basic: readonly /proc/sys" 'stdout sys-ro'
expect_log "basic: bounding set" 'CapBnd:.0000000000000001$'
expect_log "basic: sysctl (before /proc/sys is read-only)" 'stdout fwd=1$'
expect_log "basic: partial line record" ' stdout P partial$'

# --- an init program named by the plan is exec'd as PID 1 ---
fresh
{
	EXEC_INIT=1 base execinit
	sh_args 'cat /proc/1/comm; ls /proc/self/fd | tr "\n" " "; echo; exit 7'
} >"$S/plan"
run
expect_status "exec'd init: exit status passed through" 7
expect_log "exec'd init: pid 1 is nest-init" '^[^ ]+Z stdout nest-init$'
expect_log "exec'd init: only fds 0-3 (3 = ls's dir)" ' stdout 0 1 2 3 $'
grep -q "^init	$INIT\$" "$S/plan" && ok "exec'd init: plan names it" || bad "exec'd init: no init record in the plan"

# --- exit codes ---
fresh
{ base exit; sh_args 'exit 7'; } >"$S/plan"
run
expect_status "exit: code 7" 7
fresh
{ base kill; sh_args 'kill -9 $$'; } >"$S/plan"
run
expect_status "exit: killed process maps to 137" 137

# --- readonly rootfs ---
fresh
{ base ro | grep -v $'^cwd\t'; t rootfs-readonly 1; t cwd /work/dir; t oom-score-adj 500; sh_args 'touch /x 2>&1; touch /dev/y && echo dev-rw; pwd; cat /proc/self/oom_score_adj'; } >"$S/plan"
run
expect_log "rootfs-readonly: / is read-only" 'Read-only file system'
expect_log "rootfs-readonly: /dev tmpfs writable" 'stdout dev-rw'
[ ! -e "$R/x" ] && ok "rootfs-readonly: nothing written" || bad "rootfs-readonly: /x exists"
expect_log "rootfs-readonly: missing cwd made first" 'stdout /work/dir$'
expect_log "oom-score-adj" 'stdout 500$'
rm -rf "$R/work"

# --- symlinks in the rootfs do not lead out of it ---
fresh
mkdir -p "$T/src"
echo inside >"$T/src/marker"
ln -s /etc "$R/abs-link"
ln -s ../../../../../../etc "$R/rel-link"
{
	base symlink
	t mount /abs-link/sub none "$T/src" 1000 0 ""
	t mount /rel-link/sub2/ none "$T/src" 5000 0 ""
	sh_args 'cat /etc/sub/marker /etc/sub2/marker'
} >"$S/plan"
run
expect_status "symlink: container ran" 0
[ "$(grep -c 'stdout inside' "$S/log")" = 2 ] && ok "symlink: mounts landed in rootfs/etc" || bad "symlink: $(cat "$S/log")"
[ ! -e /etc/sub ] && [ ! -e /etc/sub2 ] && ok "symlink: host /etc untouched" || bad "symlink: host /etc/sub made"
[ -d "$R/etc/sub" ] && ok "symlink: dest made inside the rootfs" || bad "symlink: no $R/etc/sub"
rm -f "$R/abs-link" "$R/rel-link"
rmdir "$R/etc/sub" "$R/etc/sub2" 2>/dev/null

# --- bind of a file, read-only bind ---
fresh
{
	base bindfile
	t mount /etc/hostsfile none "$T/src/marker" 1000 0 ""
	t mount /ro none "$T/src" 1001 0 ""
	t mount /rro none "$T" 5001 0 ""
	sh_args 'cat /etc/hostsfile; touch /ro/x 2>&1; touch /rro/rootfs/dev/x 2>&1 | grep -q Read-only && echo rro-ok'
} >"$S/plan"
run
expect_log "bind: file source made as file" 'stdout inside'
expect_log "bind: read-only bind" 'Read-only file system'
expect_log "bind: recursive read-only bind" 'stdout rro-ok'
rm -f "$R/etc/hostsfile"; rmdir "$R/ro" "$R/rro"

# --- user namespace ---
fresh
{
	base userns
	t namespace user -
	t uid-map 0 100000 65536
	t gid-map 0 100000 65536
	t rootfs-readonly 1
	t masked /proc/keys
	t readonly /proc/sys
	t hostname userns-host
	sh_args 'cat /proc/self/uid_map /proc/self/gid_map; id -u; echo x > /dev/null && echo devnull-ok;
		touch /x 2>&1; echo keys=$(wc -c < /proc/keys); hostname'
} >"$S/plan"
run
expect_status "userns: exit 0" 0
expect_log "userns: uid map" 'stdout +0 +100000 +65536'
expect_log "userns: uid 0 inside" 'stdout 0$'
expect_log "userns: device bound from host" 'stdout devnull-ok'
expect_log "userns: read-only rootfs" 'Read-only file system'
expect_log "userns: masked" 'stdout keys=0$'
expect_log "userns: hostname" 'stdout userns-host$'
cpid="$(sed -n 's/^created //p' "$S/sync")"

# --- user, groups, umask, ambient caps, no-new-privileges, rlimits ---
fresh
{
	base user
	t user 1000 1000 027
	t groups 10 20
	t no-new-privileges 1
	t rlimit RLIMIT_NOFILE 1000 1000
	for s in bounding effective permitted inheritable ambient; do t cap $s CAP_NET_BIND_SERVICE; done
	t seccomp-default SCMP_ACT_ALLOW -
	t seccomp-rule SCMP_ACT_ERRNO - mkdir
	sh_args 'id; umask; grep -E "CapAmb|NoNewPrivs" /proc/self/status; ulimit -n; cd /tmp && pwd'
} >"$S/plan"
run
expect_log "user: uid/gid/groups" 'uid=1000 gid=1000 groups=10,20'
expect_log "user: umask" 'stdout 0027'
expect_log "user: ambient" 'CapAmb:.0000000000000400'
expect_log "user: no_new_privs" 'NoNewPrivs:.1'
expect_log "user: rlimit" 'stdout 1000$'

# --- rlimit above the hard limit fails naming the limit ---
fresh
{ base rlimit; t rlimit RLIMIT_NOFILE 99999999 99999999; sh_args 'true'; } >"$S/plan"
run
sync_msg | grep -q '^rlimit RLIMIT_NOFILE: Operation not permitted$' && ok "rlimit: error names the limit" || bad "rlimit: sync: $(cat "$S/sync")"
expect_error "rlimit: the record says EPERM" rlimit "" EPERM
fresh
{ base oomadj; t oom-score-adj -1000; sh_args 'true'; } >"$S/plan"
cur="$(cat /proc/self/oom_score_adj)"
run
if [ "$cur" -gt -1000 ]; then
	sync_msg | grep -q '^oom-score-adj -1000: ' && ok "oom-score-adj: lowering without CAP_SYS_RESOURCE is an error" || {
		grep -q 'CapEff:.*' /proc/self/status; expect_status "oom-score-adj: lowered (CAP_SYS_RESOURCE held)" 0; }
fi

# --- error path: a missing mount source ---
fresh
{ base error; t mount /data none /nonexistent-nest-src 1000 0 ""; sh_args 'sleep 100'; } >"$S/plan"
run
[ "$rc" = 1 ] && ok "error: monitor exit 1" || bad "error: rc=$rc"
sync_msg | grep -q '^mount /data: source /nonexistent-nest-src: No such file or directory$' &&
	ok "error: reported on sync fd" || bad "error: sync: $(cat "$S/sync")"
expect_error "error: the record has the step, the path and the errno" mount /nonexistent-nest-src ENOENT
[ ! -e "$S/status" ] && ok "error: no status file" || bad "error: status file written"
sleep 0.2
if grep -lq "$S/plan" /proc/[0-9]*/cmdline 2>/dev/null; then bad "error: process left"; else ok "error: no process left"; fi

# --- error in the monitor after clone: a missing cgroup ---
fresh
{ base cgerror; t cgroup-join /sys/fs/cgroup/pids/nest-no-such-cgroup; sh_args 'sleep 100'; } >"$S/plan"
run
sync_msg | grep -q '^cgroup-join /sys/fs/cgroup/pids/nest-no-such-cgroup: No such file or directory$' &&
	ok "error: cgroup-join reported" || bad "error: cgroup-join: $(cat "$S/sync")"
expect_error "error: cgroup-join's record" cgroup-join /sys/fs/cgroup/pids/nest-no-such-cgroup ENOENT
sleep 0.2
if grep -lq "$S/plan" /proc/[0-9]*/cmdline 2>/dev/null; then bad "error: cgroup-join left a process"; else ok "error: cgroup-join left no process"; fi

# --- unknown record ---
fresh
{ base unknown; t frobnicate 1; sh_args true; } >"$S/plan"
run
sync_msg | grep -q '^plan line [0-9]*: unknown record frobnicate$' && ok "plan: unknown record refused" || bad "plan: $(cat "$S/sync")"
expect_error "plan: the record names the plan" plan "$S/plan" ""
fresh
{ base twice; t cwd /tmp; sh_args true; } >"$S/plan"
run
sync_msg | grep -q '^plan line [0-9]*: cwd given twice$' && ok "plan: single record given twice refused" || bad "plan: $(cat "$S/sync")"
fresh
{ base escapes; t arg sh; t arg -c; t arg 'printf "%s|" "$1"; echo'; t arg x; t arg $'a\tb\\c\nd'; } >"$S/plan"
run
# the log shows the argument back: a TAB b BACKSLASH c, then "d|" on its own line
[ "$(grep -c '' "$S/log")" = 2 ] && expect_log "plan: escapes (TAB, backslash, newline)" $'stdout a\tb\\\\c$' || bad "plan: escapes: $(cat "$S/log")"
expect_log "plan: escapes (second line)" 'stdout d\|$'

# --- hostname without a uts namespace is refused (never the host's) ---
fresh
{ base nouts | grep -v $'^namespace\tuts'; t hostname must-not-happen; sh_args true; } >"$S/plan"
before="$(hostname)"
run
sync_msg | grep -q '^hostname: needs a uts namespace$' && [ "$(hostname)" = "$before" ] &&
	ok "hostname: refused without uts namespace" || bad "hostname: $(cat "$S/sync")"

. "$(dirname "$0")/monitor-tests-cases2.sh"
