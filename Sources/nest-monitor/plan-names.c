/*
 * The names a plan may use (namespace types, capabilities, rlimits,
 * propagation, seccomp actions, operators and flags, hook kinds) and what
 * they stand for. Plain tables: the parser needs neither libcap nor
 * libseccomp, so it can be tested and fuzzed on its own.
 */
#include <sched.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "plan-names.h"

/* The index of S in NAMES (N entries), or -1. */
static int index_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static const char *const ns_names[NS_COUNT] = {
	[NS_PID] = "pid", [NS_NETWORK] = "network", [NS_MOUNT] = "mount", [NS_IPC] = "ipc",
	[NS_UTS] = "uts", [NS_USER] = "user", [NS_CGROUP] = "cgroup", [NS_TIME] = "time",
};

const char *plan_ns_name(enum ns_type type)
{
	return (unsigned)type < NS_COUNT ? ns_names[type] : "?";
}

int names_ns(const char *s)
{
	return index_of(ns_names, NS_COUNT, s);
}

/* Indexed by capability number (linux/capability.h). */
static const char *const caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int names_cap(const char *s)
{
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
		if (strcasecmp(caps[i], s) == 0)
			return (int)i;
	return -1;
}

static const char *const cap_sets[CAPSET_COUNT] = {
	[CAPSET_BOUNDING] = "bounding", [CAPSET_EFFECTIVE] = "effective",
	[CAPSET_INHERITABLE] = "inheritable", [CAPSET_PERMITTED] = "permitted",
	[CAPSET_AMBIENT] = "ambient",
};

int names_cap_set(const char *s)
{
	return index_of(cap_sets, CAPSET_COUNT, s);
}

static const struct {
	const char *name;
	int res;
} limits[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int names_rlimit(const char *s)
{
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
		if (strcmp(limits[i].name, s) == 0)
			return limits[i].res;
	return -1;
}

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
	{ "private", MS_PRIVATE },	{ "rprivate", MS_PRIVATE | MS_REC },
	{ "slave", MS_SLAVE },		{ "rslave", MS_SLAVE | MS_REC },
	{ "shared", MS_SHARED },	{ "rshared", MS_SHARED | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

int names_propagation(const char *s, unsigned long *flags)
{
	for (size_t i = 0; i < sizeof propagations / sizeof propagations[0]; i++)
		if (strcmp(propagations[i].name, s) == 0) {
			*flags = propagations[i].flags;
			return 0;
		}
	return -1;
}

static const struct {
	const char *name;
	enum sc_action action;
} actions[] = {
	{ "SCMP_ACT_KILL", SC_KILL_THREAD },	{ "SCMP_ACT_KILL_THREAD", SC_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", SC_KILL_PROCESS }, { "SCMP_ACT_TRAP", SC_TRAP },
	{ "SCMP_ACT_ERRNO", SC_ERRNO },		{ "SCMP_ACT_TRACE", SC_TRACE },
	{ "SCMP_ACT_ALLOW", SC_ALLOW },		{ "SCMP_ACT_LOG", SC_LOG },
};

int names_sc_action(const char *s)
{
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(actions[i].name, s) == 0)
			return (int)actions[i].action;
	return -1;
}

static const char *const ops[] = {
	[SC_NE] = "SCMP_CMP_NE", [SC_LT] = "SCMP_CMP_LT", [SC_LE] = "SCMP_CMP_LE",
	[SC_EQ] = "SCMP_CMP_EQ", [SC_GE] = "SCMP_CMP_GE", [SC_GT] = "SCMP_CMP_GT",
	[SC_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

int names_sc_op(const char *s)
{
	return index_of(ops, sizeof ops / sizeof ops[0], s);
}

static const char *const sc_flags[] = {
	[SC_FLAG_TSYNC] = "SECCOMP_FILTER_FLAG_TSYNC",
	[SC_FLAG_LOG] = "SECCOMP_FILTER_FLAG_LOG",
	[SC_FLAG_SPEC_ALLOW] = "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
};

int names_sc_flag(const char *s)
{
	return index_of(sc_flags, sizeof sc_flags / sizeof sc_flags[0], s);
}

static const char *const hook_kinds[HOOK_COUNT] = {
	[HOOK_PRESTART] = "prestart", [HOOK_CREATE_RUNTIME] = "createRuntime",
	[HOOK_CREATE_CONTAINER] = "createContainer", [HOOK_START_CONTAINER] = "startContainer",
	[HOOK_POSTSTART] = "poststart", [HOOK_POSTSTOP] = "poststop",
};

const char *plan_hook_kind_name(enum hook_kind kind)
{
	return (unsigned)kind < HOOK_COUNT ? hook_kinds[kind] : "?";
}

int plan_hook_kind(const char *s)
{
	return index_of(hook_kinds, HOOK_COUNT, s);
}

const char *plan_cap_set_name(enum cap_set set)
{
	return (unsigned)set < CAPSET_COUNT ? cap_sets[set] : "?";
}
