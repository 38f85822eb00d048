/*
 * One handler per record kind of the launch plan (docs/launch-plan.md):
 * each checks its fields whole (numbers against their ranges, names
 * against plan-names.c) and fills struct nest_plan.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "plan-names.h"
#include "plan-parse.h"

static int r_version(struct pctx *c, char **f, int n)
{
	(void)n;
	if (c->line != 1 || strcmp(f[0], "1") != 0)
		return pf_err(c, "unsupported version %s", pf_shown(f[0]));
	return 0;
}

#define STRING(name, field)                                   \
	static int name(struct pctx *c, char **f, int n)     \
	{                                                     \
		(void)n;                                      \
		c->p->field = f[0];                           \
		return 0;                                     \
	}
/* A repeated record of one string, appended to a list. */
#define LIST(name, field)                                                \
	static int name(struct pctx *c, char **f, int n)                 \
	{                                                                \
		(void)n;                                                 \
		return pf_push_str(c, &c->p->field, &c->p->n##field, f[0]); \
	}
STRING(r_id, id)
STRING(r_oci_version, oci_version)
STRING(r_bundle, bundle)
STRING(r_state_dir, state_dir)
STRING(r_exec_fifo, exec_fifo)
STRING(r_status_file, status_file)
STRING(r_pid_file, pid_file)
STRING(r_oom_file, oom_file)
STRING(r_console_socket, console_socket)
STRING(r_rootfs, rootfs)
STRING(r_hostname, hostname)
STRING(r_domainname, domainname)
STRING(r_cwd, cwd)
STRING(r_init, init)

static int r_sync_fd(struct pctx *c, char **f, int n)
{
	long long v;
	(void)n;
	/* the kernel's default limit of open files (fs.nr_open) */
	if (pf_snum(c, f[0], "fd", 10, 0, 1048576, &v) < 0)
		return -1;
	c->p->sync_fd = (int)v;
	return 0;
}

static int r_stdio(struct pctx *c, char **f, int n)
{
	struct nest_plan *p = c->p;
	if (strcmp(f[0], "log") == 0) {
		if (n != 2 || !f[1][0])
			return pf_err(c, "log: no path");
		p->stdio = STDIO_LOG;
		p->log_path = f[1];
		return 0;
	}
	if (n != 1)
		return pf_err(c, "%s: takes no path", pf_shown(f[0]));
	if (strcmp(f[0], "inherit") == 0)
		p->stdio = STDIO_INHERIT;
	else if (strcmp(f[0], "null") == 0)
		p->stdio = STDIO_NULL;
	else
		return pf_err(c, "unknown mode %s", pf_shown(f[0]));
	return 0;
}

static int r_console_size(struct pctx *c, char **f, int n)
{
	long long rows, cols;
	(void)n;
	if (pf_snum(c, f[0], "rows", 10, 0, 65535, &rows) < 0 || pf_snum(c, f[1], "cols", 10, 0, 65535, &cols) < 0)
		return -1;
	c->p->has_console_size = 1;
	c->p->console_rows = (unsigned short)rows;
	c->p->console_cols = (unsigned short)cols;
	return 0;
}

static int r_rootfs_readonly(struct pctx *c, char **f, int n)
{
	(void)n;
	return pf_flag01(c, f[0], &c->p->rootfs_readonly);
}

static int r_no_new_privileges(struct pctx *c, char **f, int n)
{
	(void)n;
	return pf_flag01(c, f[0], &c->p->no_new_privileges);
}

static int r_rootfs_propagation(struct pctx *c, char **f, int n)
{
	(void)n;
	if (names_propagation(f[0], &c->p->rootfs_propagation) < 0)
		return pf_err(c, "unknown %s", pf_shown(f[0]));
	c->p->rootfs_propagation_name = f[0];
	return 0;
}

static int r_cgroup_layout(struct pctx *c, char **f, int n)
{
	(void)n;
	if (strcmp(f[0], "v1") == 0)
		c->p->cgroup_layout = CGROUP_V1;
	else if (strcmp(f[0], "v2") == 0)
		c->p->cgroup_layout = CGROUP_V2;
	else if (strcmp(f[0], "hybrid") == 0)
		c->p->cgroup_layout = CGROUP_HYBRID;
	else
		return pf_err(c, "unknown layout %s (v1, v2 or hybrid)", pf_shown(f[0]));
	c->p->cgroup_layout_set = 1;
	return 0;
}

static int r_namespace(struct pctx *c, char **f, int n)
{
	(void)n;
	int t = names_ns(f[0]);
	if (t < 0)
		return pf_err(c, "%s: unknown type", pf_shown(f[0]));
	if (c->p->has_ns[t])
		return pf_err(c, "%s given twice", f[0]);
	if (strcmp(f[1], "-") != 0 && f[1][0] != '/')
		return pf_err(c, "%s: not an absolute path or -: %s", f[0], pf_shown(f[1]));
	c->p->has_ns[t] = 1;
	c->p->ns[t].type = (enum ns_type)t;
	c->p->ns[t].path = strcmp(f[1], "-") == 0 ? NULL : f[1];
	return 0;
}

/* The kernel takes at most 340 lines of a map. */
static int idmap(struct pctx *c, char **f, struct plan_idmap **maps, int *nmaps)
{
	uint32_t in, out;
	unsigned long long size;
	if (*nmaps >= 340)
		return pf_err(c, "more than 340 entries");
	if (pf_unum(c, f[0], "container id", 10, 4294967295ULL, &size) < 0)
		return -1;
	in = (uint32_t)size;
	if (pf_unum(c, f[1], "host id", 10, 4294967295ULL, &size) < 0)
		return -1;
	out = (uint32_t)size;
	if (pf_unum(c, f[2], "size", 10, 4294967295ULL, &size) < 0)
		return -1;
	if (size == 0 || in + size > 4294967296ULL || out + size > 4294967296ULL)
		return pf_err(c, "size: %s out of range", pf_shown(f[2]));
	struct plan_idmap *m = pf_push(c, maps, nmaps, sizeof *m);
	if (!m)
		return -1;
	*m = (struct plan_idmap){ in, out, (uint32_t)size };
	return 0;
}

static int r_uid_map(struct pctx *c, char **f, int n)
{
	(void)n;
	return idmap(c, f, &c->p->uid_maps, &c->p->nuid_maps);
}

static int r_gid_map(struct pctx *c, char **f, int n)
{
	(void)n;
	return idmap(c, f, &c->p->gid_maps, &c->p->ngid_maps);
}

static int r_time_offset(struct pctx *c, char **f, int n)
{
	long long secs, ns;
	(void)n;
	if (strcmp(f[0], "monotonic") != 0 && strcmp(f[0], "boottime") != 0)
		return pf_err(c, "unknown clock %s", pf_shown(f[0]));
	if (pf_snum(c, f[1], "secs", 10, -9223372036854775807LL, 9223372036854775807LL, &secs) < 0 ||
	    pf_snum(c, f[2], "nanosecs", 10, 0, 999999999, &ns) < 0)
		return -1;
	struct plan_time_offset *t = pf_push(c, &c->p->time_offsets, &c->p->ntime_offsets, sizeof *t);
	if (!t)
		return -1;
	*t = (struct plan_time_offset){ f[0], secs, ns };
	return 0;
}

/* overlayfs splits its options at ',' and its lower dirs at ':', and
 * takes '\\' as an escape: a path holding one is refused, never escaped. */
static int overlay_path(struct pctx *c, const char *what, const char *s)
{
	if (s[0] != '/')
		return pf_err(c, "%s: not an absolute path: %s", what, pf_shown(s));
	if (strpbrk(s, ":,\\"))
		return pf_err(c, "%s: a path with ':', ',' or '\\': %s", what, pf_shown(s));
	return 0;
}

/* UPPER WORK LOWER...: the lower dirs top first, as overlayfs lists them.
 * The one-string mount data is made only when it fits the page mount(2)
 * copies; an image of more layers needs fsconfig's lowerdir+ (mounts.c). */
static int r_rootfs_overlay(struct pctx *c, char **f, int n)
{
	size_t len = sizeof "lowerdir=,upperdir=,workdir=";
	if (overlay_path(c, "upper", f[0]) < 0 || overlay_path(c, "work", f[1]) < 0)
		return -1;
	len += strlen(f[0]) + strlen(f[1]);
	for (int i = 2; i < n; i++) {
		if (overlay_path(c, "lower", f[i]) < 0)
			return -1;
		len += strlen(f[i]) + 1;
	}
	const char **lowers = calloc((size_t)(n - 2), sizeof *lowers);
	if (!lowers)
		return pf_err(c, "out of memory");
	for (int i = 2; i < n; i++)
		lowers[i - 2] = f[i];
	char *d = NULL;
	if (len <= 4096) {
		d = malloc(len);
		if (!d) {
			free(lowers);
			return pf_err(c, "out of memory");
		}
		strcpy(d, "lowerdir=");
		for (int i = 2; i < n; i++) {
			if (i > 2)
				strcat(d, ":");
			strcat(d, f[i]);
		}
		strcat(d, ",upperdir=");
		strcat(d, f[0]);
		strcat(d, ",workdir=");
		strcat(d, f[1]);
	}
	c->p->overlay_upper = f[0];
	c->p->overlay_work = f[1];
	c->p->overlay_lowers = lowers;
	c->p->noverlay_lowers = n - 2;
	c->p->overlay_data = d;
	return 0;
}

static int r_cgroup_join(struct pctx *c, char **f, int n)
{
	(void)n;
	if (f[0][0] != '/')
		return pf_err(c, "not an absolute path: %s", pf_shown(f[0]));
	return pf_push_str(c, &c->p->cgroup_joins, &c->p->ncgroup_joins, f[0]);
}

/* The MS_* bits a `mount` record may carry (MountOptions.swift), and the
 * propagation: one of the four kinds, maybe with MS_REC. */
#define MOUNT_FLAGS                                                                             \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_REMOUNT | MS_MANDLOCK | \
	 MS_DIRSYNC | MS_NOATIME | MS_NODIRATIME | MS_BIND | MS_REC | MS_SILENT | MS_RELATIME |     \
	 MS_STRICTATIME | MS_LAZYTIME | MS_NOSYMFOLLOW | MS_I_VERSION)
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#define PROPAGATIONS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

static int r_mount(struct pctx *c, char **f, int n)
{
	unsigned long long flags, prop;
	(void)n;
	if (pf_unum(c, f[3], "flags", 16, 0xffffffffULL, &flags) < 0 ||
	    pf_unum(c, f[4], "propagation", 16, 0xffffffffULL, &prop) < 0)
		return -1;
	if (flags & ~(unsigned long long)MOUNT_FLAGS)
		return pf_err(c, "%s: flags: unknown bits %llx", pf_shown(f[0]), flags & ~(unsigned long long)MOUNT_FLAGS);
	unsigned long kind = (unsigned long)prop & ~(unsigned long)MS_REC;
	if (prop && ((kind & ~(unsigned long)PROPAGATIONS) || __builtin_popcountl(kind) != 1))
		return pf_err(c, "%s: propagation: not one kind: %llx", pf_shown(f[0]), prop);
	struct plan_mount *m = pf_push(c, &c->p->mounts, &c->p->nmounts, sizeof *m);
	if (!m)
		return -1;
	*m = (struct plan_mount){ f[0], f[1], f[2], f[5], (unsigned long)flags, (unsigned long)prop };
	return 0;
}

static int r_device(struct pctx *c, char **f, int n)
{
	unsigned long long major, minor, mode;
	uint32_t uid, gid;
	(void)n;
	if (strlen(f[1]) != 1 || !strchr("cbpu", f[1][0]))
		return pf_err(c, "%s: unknown type %s", pf_shown(f[0]), pf_shown(f[1]));
	/* what the kernel's dev_t holds: 12 bits of major, 20 of minor */
	if (pf_unum(c, f[2], "major", 10, 4095, &major) < 0 || pf_unum(c, f[3], "minor", 10, 1048575, &minor) < 0 ||
	    pf_unum(c, f[4], "mode", 8, 07777, &mode) < 0 || pf_id32(c, f[5], "uid", &uid) < 0 ||
	    pf_id32(c, f[6], "gid", &gid) < 0)
		return -1;
	struct plan_device *d = pf_push(c, &c->p->devices, &c->p->ndevices, sizeof *d);
	if (!d)
		return -1;
	*d = (struct plan_device){ f[0], f[1][0], (unsigned)major, (unsigned)minor, (mode_t)mode, uid, gid };
	return 0;
}

static int r_symlink(struct pctx *c, char **f, int n)
{
	(void)n;
	struct plan_symlink *s = pf_push(c, &c->p->symlinks, &c->p->nsymlinks, sizeof *s);
	if (!s)
		return -1;
	*s = (struct plan_symlink){ f[0], f[1] };
	return 0;
}

LIST(r_masked, masked)
LIST(r_readonly, readonly)
static int r_sysctl(struct pctx *c, char **f, int n)
{
	(void)n;
	if (!f[0][0])
		return pf_err(c, "empty key");
	struct plan_sysctl *s = pf_push(c, &c->p->sysctls, &c->p->nsysctls, sizeof *s);
	if (!s)
		return -1;
	*s = (struct plan_sysctl){ f[0], f[1] };
	return 0;
}

static int rlim(struct pctx *c, const char *s, const char *what, uint64_t *out)
{
	unsigned long long v;
	if (strcmp(s, "-1") == 0 || strcmp(s, "unlimited") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (pf_unum(c, s, what, 10, UINT64_MAX, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

static int r_rlimit(struct pctx *c, char **f, int n)
{
	uint64_t soft, hard;
	(void)n;
	int res = names_rlimit(f[0]);
	if (res < 0)
		return pf_err(c, "%s: unknown", pf_shown(f[0]));
	if (rlim(c, f[1], "soft", &soft) < 0 || rlim(c, f[2], "hard", &hard) < 0)
		return -1;
	if (soft > hard)
		return pf_err(c, "%s: soft limit %s above hard limit %s", f[0], pf_shown(f[1]), pf_shown(f[2]));
	struct plan_rlimit *r = pf_push(c, &c->p->rlimits, &c->p->nrlimits, sizeof *r);
	if (!r)
		return -1;
	*r = (struct plan_rlimit){ f[0], res, soft, hard };
	return 0;
}

static int r_oom_score_adj(struct pctx *c, char **f, int n)
{
	long long v;
	(void)n;
	if (pf_snum(c, f[0], "value", 10, -1000, 1000, &v) < 0)
		return -1;
	c->p->has_oom_score_adj = 1;
	c->p->oom_score_adj = (int)v;
	return 0;
}

static int r_user(struct pctx *c, char **f, int n)
{
	unsigned long long mask = 022;
	(void)n;
	if (pf_id32(c, f[0], "uid", &c->p->uid) < 0 || pf_id32(c, f[1], "gid", &c->p->gid) < 0)
		return -1;
	if (strcmp(f[2], "-") != 0 && pf_unum(c, f[2], "umask", 8, 07777, &mask) < 0)
		return -1;
	c->p->umask = (mode_t)mask;
	return 0;
}

static int r_groups(struct pctx *c, char **f, int n)
{
	/* `groups` with no field or one empty field: no groups */
	if (n == 0 || (n == 1 && !f[0][0]))
		return 0;
	if (n > 65536)
		return pf_err(c, "more than 65536 groups");
	c->p->groups = calloc((size_t)n, sizeof *c->p->groups);
	if (!c->p->groups)
		return pf_err(c, "out of memory");
	for (int i = 0; i < n; i++) {
		uint32_t g;
		if (pf_id32(c, f[i], "gid", &g) < 0)
			return -1;
		c->p->groups[c->p->ngroups++] = g;
	}
	return 0;
}

static int r_env(struct pctx *c, char **f, int n)
{
	(void)n;
	/* Kept NULL-terminated (it is the process's environment): a slot for
	 * the entry and one for the NULL, which is not counted. */
	char **slot = pf_push(c, &c->p->env, &c->p->nenv, sizeof *slot);
	if (!slot || !pf_push(c, &c->p->env, &c->p->nenv, sizeof *slot))
		return -1;
	c->p->nenv--;
	c->p->env[c->p->nenv - 1] = f[0];
	return 0;
}

/* An LSM label: never empty (an empty one would be written as the
 * kernel's "no change" and the process run unconfined). */
#define LABEL(name, field, what)                                  \
	static int name(struct pctx *c, char **f, int n)         \
	{                                                         \
		(void)n;                                          \
		if (!f[0][0])                                     \
			return pf_err(c, "empty " what);          \
		c->p->field = f[0];                               \
		return 0;                                         \
	}
LABEL(r_apparmor_profile, apparmor_profile, "profile")
LABEL(r_selinux_label, selinux_label, "label")

LIST(r_arg, args)
LIST(r_init_arg, init_args)
static int r_cap(struct pctx *c, char **f, int n)
{
	(void)n;
	int set = names_cap_set(f[0]), cap = names_cap(f[1]);
	if (set < 0)
		return pf_err(c, "%s: unknown set", pf_shown(f[0]));
	if (cap < 0)
		return pf_err(c, "%s: unknown capability", pf_shown(f[1]));
	struct plan_cap *k = pf_push(c, &c->p->caps, &c->p->ncaps, sizeof *k);
	if (!k)
		return -1;
	*k = (struct plan_cap){ (enum cap_set)set, cap, f[1] };
	return 0;
}

static int sc_action(struct pctx *c, const char *name, const char *err, struct plan_sc_action *a)
{
	int act = names_sc_action(name);
	if (act < 0)
		return pf_err(c, "unsupported action %s", pf_shown(name));
	unsigned long long e = 1; /* EPERM */
	/* the 16 bits of SECCOMP_RET_DATA */
	if (strcmp(err, "-") != 0 && pf_unum(c, err, "errno", 10, 65535, &e) < 0)
		return -1;
	*a = (struct plan_sc_action){ (enum sc_action)act, name, (uint32_t)e };
	return 0;
}

static int r_seccomp_default(struct pctx *c, char **f, int n)
{
	(void)n;
	if (sc_action(c, f[0], f[1], &c->p->seccomp.def) < 0)
		return -1;
	c->p->seccomp.set = 1;
	return 0;
}

static int r_seccomp_arch(struct pctx *c, char **f, int n)
{
	(void)n;
	if (strncmp(f[0], "SCMP_ARCH_", 10) != 0 || !f[0][10])
		return pf_err(c, "not an SCMP_ARCH_ name: %s", pf_shown(f[0]));
	return pf_push_str(c, &c->p->seccomp.archs, &c->p->seccomp.narchs, f[0]);
}

static int r_seccomp_flag(struct pctx *c, char **f, int n)
{
	(void)n;
	int fl = names_sc_flag(f[0]);
	if (fl < 0)
		return pf_err(c, "%s: unsupported", pf_shown(f[0]));
	enum sc_flag *slot = pf_push(c, &c->p->seccomp.flags, &c->p->seccomp.nflags, sizeof *slot);
	if (!slot)
		return -1;
	*slot = (enum sc_flag)fl;
	return 0;
}

/* INDEX:OP:VALUE[:VALUETWO], in place. */
static int sc_cond(struct pctx *c, char *s, const char *syscall, struct plan_sc_cond *out)
{
	char *part[4] = { s, NULL, NULL, NULL };
	int np = 1;
	for (char *q = s; *q; q++)
		if (*q == ':') {
			if (np == 4)
				return pf_err(c, "%s: bad condition", pf_shown(syscall));
			*q = 0;
			part[np++] = q + 1;
		}
	if (np < 3)
		return pf_err(c, "%s: bad condition", pf_shown(syscall));
	unsigned long long idx, v1, v2 = 0;
	int op = names_sc_op(part[1]);
	if (pf_unum(c, part[0], "condition index", 10, 5, &idx) < 0)
		return -1;
	if (op < 0)
		return pf_err(c, "%s: unknown operator %s", pf_shown(syscall), pf_shown(part[1]));
	if (pf_unum(c, part[2], "condition value", 10, UINT64_MAX, &v1) < 0 ||
	    (part[3] && pf_unum(c, part[3], "condition value two", 10, UINT64_MAX, &v2) < 0))
		return -1;
	*out = (struct plan_sc_cond){ (unsigned)idx, (enum sc_op)op, v1, v2 };
	return 0;
}

static int r_seccomp_rule(struct pctx *c, char **f, int n)
{
	struct plan_seccomp *s = &c->p->seccomp;
	struct plan_sc_rule *r = pf_push(c, &s->rules, &s->nrules, sizeof *r);
	if (!r)
		return -1;
	r->syscall = f[2];
	if (!f[2][0])
		return pf_err(c, "empty syscall name");
	if (sc_action(c, f[0], f[1], &r->action) < 0)
		return -1;
	if (n - 3 > 6)
		return pf_err(c, "%s: more than 6 conditions", pf_shown(f[2]));
	if (n > 3) {
		r->cond = calloc((size_t)(n - 3), sizeof *r->cond);
		if (!r->cond)
			return pf_err(c, "out of memory");
	}
	for (int i = 3; i < n; i++)
		if (sc_cond(c, f[i], f[2], &r->cond[r->ncond++]) < 0)
			return -1;
	return 0;
}

static int r_hook(struct pctx *c, char **f, int n)
{
	long long timeout, nargs;
	int kind = plan_hook_kind(f[0]);
	if (kind < 0)
		return pf_err(c, "unknown kind %s", pf_shown(f[0]));
	if (pf_snum(c, f[1], "timeout", 10, 0, 2147483647, &timeout) < 0)
		return -1;
	if (f[2][0] != '/')
		return pf_err(c, "%s: path: not absolute: %s", f[0], pf_shown(f[2]));
	if (pf_snum(c, f[3], "argument count", 10, 0, n - 4, &nargs) < 0)
		return -1;
	struct plan_hook *h = pf_push(c, &c->p->hooks, &c->p->nhooks, sizeof *h);
	if (!h)
		return -1;
	int nenv = n - 4 - (int)nargs;
	h->argv = calloc((size_t)nargs + 2, sizeof *h->argv);
	h->env = calloc((size_t)nenv + 1, sizeof *h->env);
	if (!h->argv || !h->env)
		return pf_err(c, "out of memory");
	h->kind = (enum hook_kind)kind;
	h->timeout = (unsigned)timeout;
	h->path = f[2];
	for (int i = 0; i < nargs; i++)
		h->argv[i] = f[4 + i];
	if (nargs == 0)
		h->argv[0] = f[2];
	for (int i = 0; i < nenv; i++)
		h->env[i] = f[4 + nargs + i];
	return 0;
}

static int r_annotation(struct pctx *c, char **f, int n)
{
	(void)n;
	for (int i = 0; i < c->p->nannotations; i++)
		if (strcmp(c->p->annotations[i].key, f[0]) == 0)
			return pf_err(c, "%s given twice", pf_shown(f[0]));
	struct plan_annotation *a = pf_push(c, &c->p->annotations, &c->p->nannotations, sizeof *a);
	if (!a)
		return -1;
	*a = (struct plan_annotation){ f[0], f[1] };
	return 0;
}

/* A record without fields that sets a flag. */
#define FLAG(name, field)                                 \
	static int name(struct pctx *c, char **f, int n) \
	{                                                 \
		(void)f;                                  \
		(void)n;                                  \
		c->p->field = 1;                          \
		return 0;                                 \
	}
FLAG(r_hold, hold)
FLAG(r_handoff, handoff)
/* The pid of the container's init: 1 up to the kernel's PID_MAX_LIMIT. */
static int r_exec(struct pctx *c, char **f, int n)
{
	long long pid;
	unsigned long long start;
	(void)n;
	if (pf_snum(c, f[0], "pid", 10, 1, 4194304, &pid) < 0 || pf_unum(c, f[1], "start time", 10, UINT64_MAX, &start) < 0)
		return -1;
	c->p->exec_pid = (pid_t)pid;
	c->p->exec_start_time = start;
	return 0;
}

static int r_preserve_fds(struct pctx *c, char **f, int n)
{
	long long v;
	(void)n;
	/* 3 + N stays within the kernel's default limit of open files */
	if (pf_snum(c, f[0], "count", 10, 0, 1048573, &v) < 0)
		return -1;
	c->p->preserve_fds = (int)v;
	return 0;
}

const struct plan_kind plan_kinds[] = {
	{ "version", 1, 1, 0, r_version },
	{ "id", 1, 1, 0, r_id },
	{ "oci-version", 1, 1, 0, r_oci_version },
	{ "bundle", 1, 1, 0, r_bundle },
	{ "state-dir", 1, 1, 0, r_state_dir },
	{ "exec-fifo", 1, 1, 0, r_exec_fifo },
	{ "sync-fd", 1, 1, 0, r_sync_fd },
	{ "status-file", 1, 1, 0, r_status_file },
	{ "pid-file", 1, 1, 0, r_pid_file },
	{ "handoff", 0, 0, 0, r_handoff },
	{ "stdio", 1, 2, 0, r_stdio },
	{ "console-socket", 1, 1, 0, r_console_socket },
	{ "console-size", 2, 2, 0, r_console_size },
	{ "rootfs", 1, 1, 0, r_rootfs },
	{ "rootfs-overlay", 3, -1, 0, r_rootfs_overlay },
	{ "rootfs-readonly", 1, 1, 0, r_rootfs_readonly },
	{ "rootfs-propagation", 1, 1, 0, r_rootfs_propagation },
	{ "cgroup-layout", 1, 1, 0, r_cgroup_layout },
	{ "namespace", 2, 2, 1, r_namespace },
	{ "uid-map", 3, 3, 1, r_uid_map },
	{ "gid-map", 3, 3, 1, r_gid_map },
	{ "time-offset", 3, 3, 1, r_time_offset },
	{ "hostname", 1, 1, 0, r_hostname },
	{ "domainname", 1, 1, 0, r_domainname },
	{ "cgroup-join", 1, 1, 1, r_cgroup_join },
	{ "oom-file", 1, 1, 0, r_oom_file },
	{ "mount", 6, 6, 1, r_mount },
	{ "device", 7, 7, 1, r_device },
	{ "symlink", 2, 2, 1, r_symlink },
	{ "masked", 1, 1, 1, r_masked },
	{ "readonly", 1, 1, 1, r_readonly },
	{ "sysctl", 2, 2, 1, r_sysctl },
	{ "rlimit", 3, 3, 1, r_rlimit },
	{ "oom-score-adj", 1, 1, 0, r_oom_score_adj },
	{ "user", 3, 3, 0, r_user },
	{ "groups", 0, -1, 0, r_groups },
	{ "cwd", 1, 1, 0, r_cwd },
	{ "env", 1, 1, 1, r_env },
	{ "arg", 1, 1, 1, r_arg },
	{ "no-new-privileges", 1, 1, 0, r_no_new_privileges },
	{ "apparmor-profile", 1, 1, 0, r_apparmor_profile },
	{ "selinux-label", 1, 1, 0, r_selinux_label },
	{ "cap", 2, 2, 1, r_cap },
	{ "seccomp-default", 2, 2, 0, r_seccomp_default },
	{ "seccomp-arch", 1, 1, 1, r_seccomp_arch },
	{ "seccomp-flag", 1, 1, 1, r_seccomp_flag },
	{ "seccomp-rule", 3, -1, 1, r_seccomp_rule },
	{ "hook", 4, -1, 1, r_hook },
	{ "init", 1, 1, 0, r_init },
	{ "init-arg", 1, 1, 1, r_init_arg },
	{ "annotation", 2, 2, 1, r_annotation },
	{ "hold", 0, 0, 0, r_hold },
	{ "preserve-fds", 1, 1, 0, r_preserve_fds },
	{ "exec", 2, 2, 0, r_exec },
};
const int plan_nkinds = (int)(sizeof plan_kinds / sizeof plan_kinds[0]);
