/*
 * Unit tests of nest-monitor's plan parser (plan.c), without root: a full
 * plan parsed into its typed fields; every prefix of it (each truncation)
 * refused or parsed, never a crash or a leak (built with ASan+UBSan when the
 * compiler has them); every numeric field set out of range, to junk or to
 * nothing refused with an error naming the record; unknown, doubled and
 * missing records refused. Prints one line per failure and a summary; exits
 * 1 when anything failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "plan.h"

static int failures, checks;

static void check(int ok, const char *fmt, ...)
{
	checks++;
	if (ok)
		return;
	failures++;
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* Every record kind, with numbers at their edges. */
static const char *full[] = {
	"version\t1",
	"id\tx",
	"oci-version\t1.2.0",
	"bundle\t/b",
	"state-dir\t/run/x",
	"exec-fifo\t/run/x/fifo",
	"sync-fd\t3",
	"status-file\t/run/x/status",
	"pid-file\t/run/x/pid",
	"stdio\tlog\t/var/log/x.log",
	"console-socket\t/run/c.sock",
	"console-size\t24\t65535",
	"rootfs\t/r",
	"rootfs-overlay\t/u\t/w\t/l2\t/l1",
	"rootfs-readonly\t1",
	"rootfs-propagation\trslave",
	"cgroup-layout\thybrid",
	"namespace\tuser\t-",
	"namespace\tmount\t-",
	"namespace\tnetwork\t/proc/1/ns/net",
	"uid-map\t0\t100000\t65536",
	"gid-map\t0\t4294901760\t65536",
	"time-offset\tmonotonic\t-10\t999999999",
	"hostname\th",
	"domainname\tex\\tample",
	"cgroup-join\t/sys/fs/cgroup/pids/x",
	"oom-file\t/sys/fs/cgroup/memory/x/memory.oom_control",
	"mount\t/proc\tproc\tproc\te\t0\t",
	"mount\t/data\tbind\t/src\t5001\t84000\tmode=755",
	"device\t/dev/null\tc\t1\t3\t0666\t0\t0",
	"device\t/dev/big\tb\t4095\t1048575\t7777\t4294967294\t4294967294",
	"symlink\t/proc/self/fd\t/dev/fd",
	"masked\t/proc/kcore",
	"readonly\t/proc/sys",
	"sysctl\tnet.ipv4.ip_forward\t1",
	"rlimit\tRLIMIT_NOFILE\t1024\t-1",
	"rlimit\tRLIMIT_CORE\tunlimited\t18446744073709551615",
	"oom-score-adj\t-1000",
	"user\t1000\t4294967294\t0027",
	"groups\t10\t20",
	"cwd\t/home",
	"env\tPATH=/bin",
	"env\tA=1",
	"arg\tsh",
	"arg\t-c",
	"arg\techo a\\nb",
	"no-new-privileges\t1",
	"apparmor-profile\tnest-default",
	"selinux-label\tsystem_u:system_r:container_t:s0:c1,c2",
	"cap\tbounding\tCAP_KILL",
	"cap\tpermitted\tcap_sys_admin",
	"seccomp-default\tSCMP_ACT_ERRNO\t-",
	"seccomp-arch\tSCMP_ARCH_X86_64",
	"seccomp-flag\tSECCOMP_FILTER_FLAG_LOG",
	"seccomp-rule\tSCMP_ACT_ALLOW\t-\tread\t0:SCMP_CMP_EQ:1:0\t5:SCMP_CMP_MASKED_EQ:18446744073709551615",
	"seccomp-rule\tSCMP_ACT_ERRNO\t65535\tmkdir",
	"hook\tprestart\t5\t/bin/true\t1\ttrue\tA=B",
	"hook\tpoststop\t0\t/bin/stop\t0",
	"init\t/sbin/init",
	"init-arg\t-v",
	"annotation\tk\tv\\tw",
	"annotation\tk2\t",
	"preserve-fds\t0",
};
#define NFULL (int)(sizeof full / sizeof full[0])

/* The full plan with line I (0-based) replaced by REPL (NULL: dropped;
 * I = -1: none), plus EXTRA appended (NULL: none). */
static char *plan_text(int i, const char *repl, const char *extra)
{
	size_t size = 1;
	for (int k = 0; k < NFULL; k++)
		size += strlen(full[k]) + 1;
	size += (repl ? strlen(repl) : 0) + (extra ? strlen(extra) + 1 : 0) + 1;
	char *out = malloc(size), *o = out;
	for (int k = 0; k < NFULL; k++) {
		const char *line = k == i ? repl : full[k];
		if (line)
			o += sprintf(o, "%s\n", line);
	}
	if (extra)
		o += sprintf(o, "%s\n", extra);
	*o = 0;
	return out;
}

static int line_of(const char *prefix)
{
	for (int k = 0; k < NFULL; k++)
		if (strncmp(full[k], prefix, strlen(prefix)) == 0)
			return k;
	fprintf(stderr, "no line %s\n", prefix);
	exit(2);
}

static int one_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return 0;
	return 1;
}

static void test_full(void)
{
	struct nest_plan p;
	char err[512];
	char *text = plan_text(-1, NULL, NULL);
	int rc = plan_parse(&p, text, strlen(text), err, sizeof err);
	check(rc == 0, "full plan: %s", err);
	free(text);
	if (rc < 0)
		return;
	check(strcmp(p.id, "x") == 0 && strcmp(p.oci_version, "1.2.0") == 0 && strcmp(p.bundle, "/b") == 0, "strings");
	check(p.sync_fd == 3, "sync-fd");
	check(p.stdio == STDIO_LOG && strcmp(p.log_path, "/var/log/x.log") == 0, "stdio log");
	check(p.has_console_size && p.console_rows == 24 && p.console_cols == 65535, "console-size");
	check(p.overlay_data && strcmp(p.overlay_data, "lowerdir=/l2:/l1,upperdir=/u,workdir=/w") == 0 &&
		      strcmp(p.overlay_upper, "/u") == 0 && strcmp(p.overlay_work, "/w") == 0 && p.noverlay_lowers == 2 &&
		      strcmp(p.overlay_lowers[0], "/l2") == 0 && strcmp(p.overlay_lowers[1], "/l1") == 0,
	      "rootfs-overlay: %s", p.overlay_data ? p.overlay_data : "none");
	check(p.rootfs_readonly == 1 && p.rootfs_propagation == (MS_SLAVE | MS_REC), "rootfs records");
	check(p.cgroup_layout_set && p.cgroup_layout == CGROUP_HYBRID, "cgroup-layout");
	check(plan_ns_is_new(&p, NS_USER) && plan_ns_is_new(&p, NS_MOUNT) && !p.has_ns[NS_PID], "new namespaces");
	check(p.has_ns[NS_NETWORK] && strcmp(p.ns[NS_NETWORK].path, "/proc/1/ns/net") == 0, "joined namespace");
	check(p.nuid_maps == 1 && p.uid_maps[0].container == 0 && p.uid_maps[0].host == 100000 &&
		      p.uid_maps[0].size == 65536, "uid-map");
	check(p.ngid_maps == 1 && p.gid_maps[0].host == 4294901760u, "gid-map at its edge");
	check(p.ntime_offsets == 1 && p.time_offsets[0].secs == -10 && p.time_offsets[0].nanosecs == 999999999,
	      "time-offset");
	check(strcmp(p.domainname, "ex\tample") == 0, "escape in a field");
	check(p.ncgroup_joins == 1 && p.oom_file, "cgroup-join, oom-file");
	check(p.nmounts == 2 && p.mounts[0].flags == 0xe && p.mounts[0].data[0] == 0 &&
		      p.mounts[1].flags == (MS_BIND | MS_REC | MS_RDONLY) &&
		      p.mounts[1].propagation == (MS_SLAVE | MS_REC) && strcmp(p.mounts[1].data, "mode=755") == 0,
	      "mounts");
	check(p.ndevices == 2 && p.devices[0].type == 'c' && p.devices[0].major == 1 && p.devices[0].minor == 3 &&
		      p.devices[0].mode == 0666, "device");
	check(p.devices[1].major == 4095 && p.devices[1].minor == 1048575 && p.devices[1].mode == 07777 &&
		      p.devices[1].uid == 4294967294u, "device at its edges");
	check(p.nsymlinks == 1 && p.nmasked == 1 && p.nreadonly == 1 && p.nsysctls == 1, "paths");
	check(p.nrlimits == 2 && p.rlimits[0].resource == RLIMIT_NOFILE && p.rlimits[0].soft == 1024 &&
		      p.rlimits[0].hard == UINT64_MAX && p.rlimits[1].soft == UINT64_MAX, "rlimits");
	check(p.has_oom_score_adj && p.oom_score_adj == -1000, "oom-score-adj");
	check(p.uid == 1000 && p.gid == 4294967294u && p.umask == 027, "user");
	check(p.ngroups == 2 && p.groups[0] == 10 && p.groups[1] == 20, "groups");
	check(p.nenv == 2 && strcmp(p.env[1], "A=1") == 0 && p.env[2] == NULL, "env, NULL-terminated");
	check(p.nargs == 3 && strcmp(p.args[2], "echo a\nb") == 0, "args");
	check(p.no_new_privileges == 1, "no-new-privileges");
	check(p.apparmor_profile && strcmp(p.apparmor_profile, "nest-default") == 0, "apparmor-profile");
	check(p.selinux_label && strcmp(p.selinux_label, "system_u:system_r:container_t:s0:c1,c2") == 0, "selinux-label");
	check(p.ncaps == 2 && p.caps[0].set == CAPSET_BOUNDING && p.caps[0].cap == 5 &&
		      p.caps[1].set == CAPSET_PERMITTED && p.caps[1].cap == 21, "caps (by number, any case)");
	check(p.seccomp.set && p.seccomp.def.action == SC_ERRNO && p.seccomp.def.errno_ret == 1, "seccomp-default");
	check(p.seccomp.narchs == 1 && p.seccomp.nflags == 1 && p.seccomp.flags[0] == SC_FLAG_LOG, "seccomp arch, flag");
	check(p.seccomp.nrules == 2 && p.seccomp.rules[0].ncond == 2 && p.seccomp.rules[0].cond[1].index == 5 &&
		      p.seccomp.rules[0].cond[1].op == SC_MASKED_EQ &&
		      p.seccomp.rules[0].cond[1].value == UINT64_MAX && p.seccomp.rules[0].cond[1].value_two == 0,
	      "seccomp conditions");
	check(p.seccomp.rules[1].action.errno_ret == 65535, "seccomp errno at its edge");
	check(p.nhooks == 2 && p.hooks[0].kind == HOOK_PRESTART && p.hooks[0].timeout == 5 &&
		      strcmp(p.hooks[0].argv[0], "true") == 0 && p.hooks[0].argv[1] == NULL &&
		      strcmp(p.hooks[0].env[0], "A=B") == 0 && p.hooks[0].env[1] == NULL, "hook");
	check(p.hooks[1].kind == HOOK_POSTSTOP && strcmp(p.hooks[1].argv[0], "/bin/stop") == 0 &&
		      p.hooks[1].env[0] == NULL, "hook without args: argv is its path");
	check(p.ninit_args == 1 && strcmp(p.init, "/sbin/init") == 0, "init");
	check(p.nannotations == 2 && strcmp(p.annotations[0].value, "v\tw") == 0 &&
		      p.annotations[1].value[0] == 0, "annotations");
	check(!p.hold, "no hold");
	check(!p.handoff, "no handoff");
	check(p.preserve_fds == 0 && p.exec_pid == 0, "preserve-fds, not an exec plan");
	plan_free(&p);
}

/* Every prefix of the full plan: an error with a one-line message, or a
 * plan (ASan's leak check covers what either leaves). */
static void test_truncations(void)
{
	char *text = plan_text(-1, NULL, NULL);
	size_t len = strlen(text);
	int parsed = 0;
	for (size_t n = 0; n <= len; n++) {
		struct nest_plan p;
		char err[512];
		/* a copy of exactly N bytes, so ASan sees a read past it */
		char *buf = malloc(n ? n : 1);
		memcpy(buf, text, n);
		int rc = plan_parse(&p, buf, n, err, sizeof err);
		if (rc < 0) {
			check(err[0] && one_line(err) && !p.text, "truncation at %zu: bad error \"%s\"", n, err);
		} else {
			/* the plan up to a record once the required ones are in */
			check(n > 0 && text[n - 1] == '\n', "truncation at %zu mid-line parsed", n);
			parsed++;
			plan_free(&p);
		}
		free(buf);
	}
	check(parsed > 0, "the whole plan parses");
	free(text);
}

/* Record LINE's field FIELD (1-based after the kind) set to VALUE must be
 * refused with an error naming the record and its line. */
static void refuse_field(const char *prefix, int field, const char *value)
{
	int i = line_of(prefix);
	char line[512], *f[16], copy[512];
	int nf = 0;
	snprintf(copy, sizeof copy, "%s", full[i]);
	for (char *s = copy, *t; s; s = t) {
		t = strchr(s, '\t');
		if (t)
			*t++ = 0;
		f[nf++] = s;
	}
	f[field] = (char *)value;
	line[0] = 0;
	for (int k = 0; k < nf; k++)
		snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", k ? "\t" : "", f[k]);
	char *text = plan_text(i, line, NULL);
	struct nest_plan p;
	char err[512], want_line[32];
	int rc = plan_parse(&p, text, strlen(text), err, sizeof err);
	snprintf(want_line, sizeof want_line, "plan line %d: ", i + 1);
	check(rc < 0 && strstr(err, want_line) == err && strstr(err, f[0]) && one_line(err),
	      "%s field %d = \"%s\": %s", f[0], field, value, rc < 0 ? err : "accepted");
	if (rc == 0)
		plan_free(&p);
	free(text);
}

static void test_numbers(void)
{
	/* junk every number refuses */
	static const char *junk[] = { "", "abc", "12x", " 1", "1 ", "0x", "+1", "99999999999999999999999" };
	static const struct {
		const char *prefix;
		int field;
		int negative_ok;
		const char *edges[4]; /* out of range, NULL-terminated */
	} fields[] = {
		{ "sync-fd", 1, 0, { "1048577", "-1" } },
		{ "console-size", 1, 0, { "65536", "-1" } },
		{ "console-size", 2, 0, { "65536" } },
		{ "rootfs-readonly", 1, 0, { "2", "-1" } },
		{ "no-new-privileges", 1, 0, { "2" } },
		{ "uid-map", 1, 0, { "4294967296", "-1" } },
		{ "uid-map", 2, 0, { "4294967296" } },
		{ "uid-map", 3, 0, { "0", "4294901761" } },
		{ "gid-map", 3, 0, { "65537", "0" } },
		{ "time-offset", 2, 1, { "9223372036854775808" } },
		{ "time-offset", 3, 0, { "1000000000", "-1" } },
		{ "mount\t/data", 4, 0, { "40000000", "100000000" } },
		{ "mount\t/data", 5, 0, { "3", "c0000", "60000", "4000" } },
		{ "device\t/dev/null", 3, 0, { "4096", "-1" } },
		{ "device\t/dev/null", 4, 0, { "1048576" } },
		{ "device\t/dev/null", 5, 0, { "10000", "8", "-1" } },
		{ "device\t/dev/null", 6, 0, { "4294967295", "-1" } },
		{ "device\t/dev/null", 7, 0, { "4294967295" } },
		{ "rlimit\tRLIMIT_NOFILE", 2, 0, { "18446744073709551616", "-2" } },
		{ "rlimit\tRLIMIT_NOFILE", 3, 0, { "18446744073709551616", "-2", "1023" } },
		{ "oom-score-adj", 1, 1, { "1001", "-1001" } },
		{ "user", 1, 0, { "4294967295", "-1" } },
		{ "user", 2, 0, { "4294967295" } },
		{ "user", 3, 0, { "10000", "8", "-1" } },
		{ "groups", 1, 0, { "4294967295", "-1" } },
		{ "seccomp-default", 2, 0, { "65536", "-1" } },
		{ "seccomp-rule\tSCMP_ACT_ERRNO", 2, 0, { "65536" } },
		{ "hook\tprestart", 2, 0, { "2147483648", "-1" } },
		{ "hook\tprestart", 4, 0, { "3", "-1" } },
		{ "preserve-fds", 1, 0, { "1048574", "-1" } },
	};
	for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
		for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++)
			refuse_field(fields[k].prefix, fields[k].field, junk[j]);
		if (!fields[k].negative_ok)
			refuse_field(fields[k].prefix, fields[k].field, "-5");
		for (int j = 0; j < 4 && fields[k].edges[j]; j++)
			refuse_field(fields[k].prefix, fields[k].field, fields[k].edges[j]);
	}
	/* the numbers inside a seccomp condition */
	static const char *conds[] = { "6:SCMP_CMP_EQ:1", "x:SCMP_CMP_EQ:1", "0:SCMP_CMP_EQ:-1",
				       "0:SCMP_CMP_EQ:18446744073709551616", "0:SCMP_CMP_EQ:1:x", "0:SCMP_CMP_EQ",
				       "0:SCMP_CMP_XX:1", "0:SCMP_CMP_EQ:1:2:3" };
	for (size_t j = 0; j < sizeof conds / sizeof conds[0]; j++)
		refuse_field("seccomp-rule\tSCMP_ACT_ALLOW", 4, conds[j]);
	/* names */
	refuse_field("namespace\tuser", 1, "users");
	refuse_field("namespace\tnetwork", 2, "relative/path");
	refuse_field("stdio", 1, "file");
	refuse_field("rootfs-propagation", 1, "private ");
	refuse_field("cgroup-layout", 1, "v3");
	refuse_field("time-offset", 1, "realtime");
	refuse_field("device\t/dev/null", 2, "x");
	refuse_field("rlimit\tRLIMIT_NOFILE", 1, "RLIMIT_FOO");
	refuse_field("cap\tbounding", 1, "all");
	refuse_field("cap\tbounding", 2, "CAP_FOO");
	refuse_field("seccomp-default", 1, "SCMP_ACT_FOO");
	refuse_field("seccomp-arch", 1, "X86_64");
	refuse_field("seccomp-flag", 1, "SECCOMP_FILTER_FLAG_FOO");
	refuse_field("hook\tprestart", 1, "poststarted");
	refuse_field("hook\tprestart", 3, "true");
}

/* Appending EXTRA (or dropping the line starting PREFIX) is refused with
 * an error containing WANT. */
static void refuse(const char *what, const char *drop, const char *extra, const char *want)
{
	char *text = plan_text(drop ? line_of(drop) : -1, NULL, extra);
	struct nest_plan p;
	char err[512];
	int rc = plan_parse(&p, text, strlen(text), err, sizeof err);
	check(rc < 0 && strstr(err, want) && one_line(err), "%s: %s", what, rc < 0 ? err : "accepted");
	if (rc == 0)
		plan_free(&p);
	free(text);
}

static void test_records(void)
{
	char err[512];
	refuse("unknown record", NULL, "frobnicate\t1", "unknown record frobnicate");
	refuse("a kind with a newline escape is unknown", NULL, "cwd\\n\t/", "unknown record cwd\\n");
	refuse("single record twice", NULL, "cwd\t/tmp", ": cwd given twice");
	refuse("namespace twice", NULL, "namespace\tuser\t-", "namespace: user given twice");
	refuse("annotation twice", NULL, "annotation\tk\tx", "annotation: k given twice");
	refuse("too few fields", NULL, "mount\t/x\tbind", "mount: wrong number of fields (2)");
	refuse("too many fields", NULL, "env\tA=1\tB=2", "env: wrong number of fields (2)");
	refuse("bad escape", NULL, "env\tA=\\x", "env: bad escape");
	refuse("missing status-file", "status-file", NULL, "plan: missing status-file");
	refuse("missing sync-fd", "sync-fd", NULL, "plan: missing sync-fd");
	refuse("missing rootfs", "rootfs\t", NULL, "plan: missing rootfs");
	refuse("a control character shown as ?", NULL, "frob\x01nicate", "unknown record frob?nicate");
	refuse("empty apparmor-profile", "apparmor-profile", "apparmor-profile\t", "apparmor-profile: empty profile");
	refuse("empty selinux-label", "selinux-label", "selinux-label\t", "selinux-label: empty label");
	refuse("apparmor-profile twice", NULL, "apparmor-profile\tx", "apparmor-profile given twice");

	struct nest_plan p;
	static const char *cases[][2] = {
		{ "id\tx\nversion\t1\n", "plan line 1: expected version" },
		{ "version\t2\n", "plan line 1: version: unsupported version 2" },
		{ "version\t1\nsync-fd\t3\nstatus-file\t/s\nrootfs\t/r\n", "plan: missing arg" },
		{ "version\t1\nsync-fd\t3\nstatus-file\t/s\nrootfs\t/r\narg\tx\nseccomp-rule\tSCMP_ACT_ALLOW\t-\tread\n",
		  "plan: seccomp-rule without seccomp-default" },
		{ "version\t1\nsync-fd\t3\nstatus-file\t/s\nhold\nnamespace\tmount\t-\n", "plan: missing rootfs" },
		{ "version\t1\nsync-fd\t3\nstatus-file\t/s\nhold\tx\n", "hold: wrong number of fields (1)" },
		{ "version\t1\nsync-fd\t3\nhandoff\tyes\n", "handoff: wrong number of fields (1)" },
		{ "version\t1\nsync-fd\t3\nstatus-file\t/s\nrootfs\t/r\narg\tx\nstdio\tlog\t/l\nhandoff\n",
		  "plan: handoff with stdio log" },
		{ "version\t1\nsync-fd\t3\nstatus-file\t/s\nrootfs\t/r\narg\tx", "plan line 5: not terminated" },
		{ "version\t1\nsync-fd\t3\nstatus-file\t/s\nrootfs\t/r\narg\tx\0y\n", "plan line 5: a NUL byte" },
		{ "", "plan: empty" },
	};
	/* the NUL case is 53 bytes long: strlen would stop at its NUL */
	static const size_t lens[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 53, 0 };
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		size_t len = lens[k] ? lens[k] : strlen(cases[k][0]);
		int rc = plan_parse(&p, cases[k][0], len, err, sizeof err);
		check(rc < 0 && strstr(err, cases[k][1]), "case %zu (%s): %s", k, cases[k][1], rc < 0 ? err : "accepted");
		if (rc == 0)
			plan_free(&p);
	}
	/* sync-fd survives a refused plan: the monitor reports there */
	const char *late = "version\t1\nsync-fd\t7\nfrobnicate\n";
	check(plan_parse(&p, late, strlen(late), err, sizeof err) < 0 && p.sync_fd == 7, "sync-fd kept after an error");
	/* a hold needs neither rootfs nor args; without a mount namespace no mounts */
	const char *hold = "version\t1\nsync-fd\t3\nstatus-file\t/s\nhold\nnamespace\tuts\t-\nhostname\th\n"
			   "groups\n";
	int rc = plan_parse(&p, hold, strlen(hold), err, sizeof err);
	check(rc == 0 && p.hold && !p.rootfs && p.nargs == 0 && p.ngroups == 0, "hold plan: %s", rc < 0 ? err : "ok");
	if (rc == 0)
		plan_free(&p);
	const char *handoff = "version\t1\nsync-fd\t3\nstatus-file\t/s\nrootfs\t/r\narg\tx\nhandoff\n";
	rc = plan_parse(&p, handoff, strlen(handoff), err, sizeof err);
	check(rc == 0 && p.handoff, "handoff: %s", rc < 0 ? err : "ok");
	if (rc == 0)
		plan_free(&p);
}

/* An overlay rootfs: paths overlayfs would split are refused, never
 * escaped; it needs a new mount namespace, where it goes with the container. */
static void test_overlay(void)
{
	refuse("overlay twice", NULL, "rootfs-overlay\t/u\t/w\t/l", "rootfs-overlay given twice");
	refuse("overlay without a lower dir", "rootfs-overlay", "rootfs-overlay\t/u\t/w",
	       "rootfs-overlay: wrong number of fields (2)");
	refuse("overlay lower with ':'", "rootfs-overlay", "rootfs-overlay\t/u\t/w\t/a:b",
	       "rootfs-overlay: lower: a path with ':', ',' or '\\': /a:b");
	refuse("overlay upper with ','", "rootfs-overlay", "rootfs-overlay\t/u,x\t/w\t/l",
	       "rootfs-overlay: upper: a path with");
	refuse("overlay work relative", "rootfs-overlay", "rootfs-overlay\t/u\tw\t/l",
	       "rootfs-overlay: work: not an absolute path: w");
	refuse("overlay without a mount namespace", "namespace\tmount", NULL,
	       "plan: rootfs-overlay needs a rootfs and a new mount namespace");
	char big[5000];
	int n = sprintf(big, "rootfs-overlay\t/u\t/w");
	for (int i = 0; i < 32; i++)
		n += sprintf(big + n, "\t/var/lib/nest/images/layers/sha256/%0100d", i);
	/* more layers than one page of options holds: the dirs, no one string
	 * (the monitor mounts them by lowerdir+, one by one) */
	struct nest_plan p;
	char err[512];
	char *text = plan_text(line_of("rootfs-overlay"), NULL, big);
	int big_rc = plan_parse(&p, text, strlen(text), err, sizeof err);
	check(big_rc == 0 && !p.overlay_data && p.noverlay_lowers == 32 && strcmp(p.overlay_upper, "/u") == 0 &&
		      strstr(p.overlay_lowers[31], "00031"),
	      "overlay options past a page: %s", big_rc < 0 ? err : "the lower dirs kept, no mount data");
	if (big_rc == 0)
		plan_free(&p);
	free(text);
	const char *joined = "version\t1\nsync-fd\t3\nstatus-file\t/s\nrootfs\t/r\narg\tx\n"
			     "namespace\tmount\t/proc/1/ns/mnt\nrootfs-overlay\t/u\t/w\t/l\n";
	int rc = plan_parse(&p, joined, strlen(joined), err, sizeof err);
	check(rc < 0 && strstr(err, "needs a rootfs and a new mount namespace"), "overlay in a joined mount namespace: %s",
	      rc < 0 ? err : "accepted");
	if (rc == 0)
		plan_free(&p);
}

/* An exec plan: the process and where it goes, nothing of a container. */
static const char exec_plan[] =
	"version\t1\nid\tx\nstate-dir\t/run/x\nexec\t4194304\t18446744073709551615\nsync-fd\t5\n"
	"preserve-fds\t2\nconsole-socket\t/run/c.sock\nconsole-size\t24\t80\ncgroup-join\t/sys/fs/cgroup/x\n"
	"rlimit\tRLIMIT_NOFILE\t1024\t1024\noom-score-adj\t10\nuser\t1000\t1000\t-\ngroups\t10\ncwd\t/tmp\n"
	"env\tPATH=/bin\narg\tsh\narg\t-c\nno-new-privileges\t1\ncap\teffective\tCAP_KILL\n"
	"apparmor-profile\tnest-default\nselinux-label\tsystem_u:system_r:container_t:s0\n"
	"seccomp-default\tSCMP_ACT_ALLOW\t-\nseccomp-arch\tSCMP_ARCH_X86_64\nseccomp-flag\tSECCOMP_FILTER_FLAG_LOG\n"
	"seccomp-rule\tSCMP_ACT_ERRNO\t1\tmkdir\n";

/* EXTRA appended to the exec plan (DROP: its lines starting so left out
 * first) is refused with an error containing WANT. */
static void refuse_exec(const char *drop, const char *extra, const char *want)
{
	char text[2048];
	size_t o = 0;
	for (const char *line = exec_plan; *line;) {
		size_t len = strcspn(line, "\n") + 1;
		if (!drop || strncmp(line, drop, strlen(drop)) != 0)
			o += (size_t)snprintf(text + o, sizeof text - o, "%.*s", (int)len, line);
		line += len;
	}
	snprintf(text + o, sizeof text - o, "%s%s", extra ? extra : "", extra ? "\n" : "");
	struct nest_plan p;
	char err[512];
	int rc = plan_parse(&p, text, strlen(text), err, sizeof err);
	check(rc < 0 && strstr(err, want) && one_line(err), "exec plan %s%s: %s", drop ? "without " : "+ ",
	      drop ? drop : extra, rc < 0 ? err : "accepted");
	if (rc == 0)
		plan_free(&p);
}

static void test_exec(void)
{
	struct nest_plan p;
	char err[512];
	int rc = plan_parse(&p, exec_plan, strlen(exec_plan), err, sizeof err);
	check(rc == 0, "exec plan: %s", rc < 0 ? err : "ok");
	if (rc == 0) {
		check(p.exec_pid == 4194304 && p.exec_start_time == 18446744073709551615ULL, "exec: pid and start time");
		check(p.preserve_fds == 2 && p.sync_fd == 5, "exec: preserve-fds, sync-fd");
		check(!p.status_file && !p.rootfs && p.nargs == 2 && p.ncgroup_joins == 1 && p.uid == 1000 &&
			      p.seccomp.nrules == 1 && p.console_socket && p.apparmor_profile && p.selinux_label,
		      "exec: the process's records");
		plan_free(&p);
	}
	/* every prefix: refused or parsed, never a crash or a leak */
	for (size_t n = 0; n <= strlen(exec_plan); n++) {
		char *buf = malloc(n ? n : 1);
		memcpy(buf, exec_plan, n);
		if (plan_parse(&p, buf, n, err, sizeof err) == 0)
			plan_free(&p);
		else
			check(err[0] && one_line(err) && !p.text, "exec plan truncated at %zu: \"%s\"", n, err);
		free(buf);
	}
	/* what belongs to a container is refused by name */
	static const char *foreign[] = {
		"rootfs\t/r", "mount\t/proc\tproc\tproc\te\t0\t", "namespace\tpid\t-", "status-file\t/s",
		"exec-fifo\t/f", "hook\tprestart\t0\t/bin/true\t0", "hold", "stdio\tnull", "pid-file\t/p",
		"hostname\th", "uid-map\t0\t1\t1", "sysctl\tk\tv", "init\t/i", "masked\t/m", "device\t/dev/x\tc\t1\t3\t666\t0\t0",
	};
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "plan: %.*s does not belong in an exec plan", (int)strcspn(foreign[i], "\t"),
			 foreign[i]);
		refuse_exec(NULL, foreign[i], want);
	}
	refuse_exec("arg\t", NULL, "plan: missing arg");
	refuse_exec("sync-fd", NULL, "plan: missing sync-fd");
	refuse_exec(NULL, "exec\t1\t1", "exec given twice");
	refuse_exec("sync-fd", "sync-fd\t4", "plan: sync-fd 4 is one of the preserved fds 3-4");
	refuse_exec("exec", "exec\t0\t1", "exec: pid: 0 out of range");
	refuse_exec("exec", "exec\t4194305\t1", "exec: pid: 4194305 out of range");
	refuse_exec("exec", "exec\t1\t-1", "exec: start time: not a number");
	refuse_exec("exec", "exec\t1\t18446744073709551616", "exec: start time: 18446744073709551616 out of range");
	refuse_exec("exec", "exec\t1", "exec: wrong number of fields (1)");
}

int main(void)
{
	test_full();
	test_truncations();
	test_numbers();
	test_records();
	test_overlay();
	test_exec();
	printf("plan parser: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
