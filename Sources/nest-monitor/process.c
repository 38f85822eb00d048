/*
 * The process: hostname, sysctl, rlimits, oom score, user and groups,
 * capabilities, cwd, environment and argv.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "nest.h"

static int has_ns(const char *type)
{
	for (struct rec *r = NULL; (r = plan_next("namespace", r));)
		if (strcmp(r->f[0], type) == 0)
			return 1;
	return 0;
}

void proc_early(void)
{
	if ((plan_next("hostname", NULL) || plan_next("domainname", NULL)) && !has_ns("uts"))
		failx("hostname: needs a uts namespace");
	const char *h = plan_str("hostname", NULL);
	if (h && sethostname(h, strlen(h)) < 0)
		fail("hostname %s", h);
	const char *d = plan_str("domainname", NULL);
	if (d && setdomainname(d, strlen(d)) < 0)
		fail("domainname %s", d);
}

/* KEY uses sysctl(8) notation: dots are slashes and slashes dots. The
 * file is opened beneath /proc/sys. */
void proc_sysctl(void)
{
	int dir = -1;
	for (struct rec *r = NULL; (r = plan_next("sysctl", r));) {
		char path[4096];
		snprintf(path, sizeof path, "%s", r->f[0]);
		for (char *p = path; *p; p++)
			*p = *p == '.' ? '/' : *p == '/' ? '.' : *p;
		if (dir < 0 && (dir = open_in_root(g_rootfd, "/proc/sys", O_PATH | O_DIRECTORY, 0)) < 0)
			fail("sysctl %s: /proc/sys", r->f[0]);
		/* a /proc that is not procfs (a symlink into a volume, a
		 * directory of the image) takes no sysctl */
		struct statfs sfs;
		if (fstatfs(dir, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
			failx("sysctl %s: /proc/sys is not procfs", r->f[0]);
		struct open_how how = {
			.flags = O_WRONLY | O_TRUNC | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
		};
		int fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
		if (fd < 0)
			fail("sysctl %s", r->f[0]);
		ssize_t w = write(fd, r->f[1], strlen(r->f[1]));
		if (w < 0)
			fail("sysctl %s", r->f[0]);
		close(fd);
	}
	if (dir >= 0)
		close(dir);
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

static rlim_t rlim_value(const char *s, const char *name)
{
	if (strcmp(s, "-1") == 0 || strcmp(s, "unlimited") == 0 ||
	    strcmp(s, "18446744073709551615") == 0)
		return RLIM_INFINITY;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		failx("rlimit %s: bad value %s", name, s);
	return (rlim_t)v;
}

void proc_rlimits(void)
{
	for (struct rec *r = NULL; (r = plan_next("rlimit", r));) {
		size_t i;
		for (i = 0; i < sizeof limits / sizeof limits[0]; i++)
			if (strcmp(limits[i].name, r->f[0]) == 0)
				break;
		if (i == sizeof limits / sizeof limits[0])
			failx("rlimit %s: unknown", r->f[0]);
		struct rlimit rl = {
			.rlim_cur = rlim_value(r->f[1], r->f[0]),
			.rlim_max = rlim_value(r->f[2], r->f[0]),
		};
		if (setrlimit(limits[i].res, &rl) < 0)
			fail("rlimit %s", r->f[0]);
	}
}

void proc_oom(void)
{
	const char *v = plan_str("oom-score-adj", NULL);
	if (v && write_file("/proc/self/oom_score_adj", v, strlen(v)) < 0)
		fail("oom-score-adj %s", v);
}

/* Makes the cwd while still root (chdir itself happens as the user). */
void proc_prepare_cwd(void)
{
	const char *cwd = plan_str("cwd", NULL);
	if (!cwd)
		return;
	int fd = open_in_root(g_rootfd, cwd, O_PATH | O_DIRECTORY, 1);
	if (fd < 0)
		fail("cwd %s", cwd);
	close(fd);
}

/* The cwd is entered by this fd, taken once the masked and read-only
 * mounts are in place (an fd taken before them would lead beneath them)
 * and resolved in the root without magic links: a cwd like
 * /proc/self/fd/N never reaches an fd the init holds (CVE-2024-21626). */
int proc_open_cwd(void)
{
	const char *cwd = plan_str("cwd", NULL);
	if (!cwd)
		return -1;
	int fd = open_in_root(g_rootfd, cwd, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		fail("cwd %s", cwd);
	return fd;
}

static cap_value_t cap_named(const char *name)
{
	cap_value_t v;
	char lower[64];
	size_t i;
	for (i = 0; name[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	lower[i] = 0;
	if (cap_from_name(lower, &v) < 0)
		failx("cap %s: unknown capability", name);
	return v;
}

static int cap_in(const char *set, cap_value_t c)
{
	for (struct rec *r = NULL; (r = plan_next("cap", r));)
		if (strcmp(r->f[0], set) == 0 && cap_named(r->f[1]) == c)
			return 1;
	return 0;
}

/* Drops the bounding set while CAP_SETPCAP is still held. */
void proc_drop_bounding(void)
{
	for (struct rec *r = NULL; (r = plan_next("cap", r));) {
		static const char *sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
		size_t i;
		for (i = 0; i < 5 && strcmp(sets[i], r->f[0]) != 0; i++)
			;
		if (i == 5)
			failx("cap %s: unknown set", r->f[0]);
		cap_named(r->f[1]);
	}
	int max = (int)cap_max_bits();
	for (int c = 0; c < max; c++)
		if (!cap_in("bounding", c) && cap_drop_bound(c) < 0 && errno != EINVAL)
			fail("cap bounding: drop %d", c);
}

void proc_user(int cwdfd)
{
	struct rec *u = plan_next("user", NULL);
	uid_t uid = u ? (uid_t)parse_long(u->f[0], 10, "user uid") : 0;
	gid_t gid = u ? (gid_t)parse_long(u->f[1], 10, "user gid") : 0;
	mode_t mask = 022;
	if (u && strcmp(u->f[2], "-") != 0)
		mask = (mode_t)parse_long(u->f[2], 8, "user umask");
	gid_t groups[256];
	int ng = 0;
	struct rec *g = plan_next("groups", NULL);
	for (int i = 0; g && i < g->n && ng < 256; i++)
		if (g->f[i][0])
			groups[ng++] = (gid_t)parse_long(g->f[i], 10, "groups");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail("user: keepcaps");
	/* setgroups is denied in a user ns whose setgroups file says deny */
	if (setgroups((size_t)ng, groups) < 0 && !(errno == EPERM && ng == 0 && ns_in_userns()))
		fail("groups");
	if (setresgid(gid, gid, gid) < 0)
		fail("user gid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		fail("user uid %u", (unsigned)uid);
	umask(mask);
	/* as the user: the directory must be searchable by it */
	if (cwdfd >= 0 && fchdir(cwdfd) < 0)
		fail("cwd %s", plan_str("cwd", ""));
}

void proc_caps(void)
{
	cap_t caps = cap_init();
	if (!caps)
		fail("cap");
	static const struct {
		const char *name;
		cap_flag_t flag;
	} sets[] = { { "effective", CAP_EFFECTIVE }, { "permitted", CAP_PERMITTED },
		     { "inheritable", CAP_INHERITABLE } };
	for (struct rec *r = NULL; (r = plan_next("cap", r));)
		for (int i = 0; i < 3; i++)
			if (strcmp(r->f[0], sets[i].name) == 0) {
				cap_value_t v = cap_named(r->f[1]);
				if (cap_set_flag(caps, sets[i].flag, 1, &v, CAP_SET) < 0)
					fail("cap %s %s", r->f[0], r->f[1]);
			}
	if (cap_set_proc(caps) < 0)
		fail("cap: set");
	cap_free(caps);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail("cap ambient: clear");
	/* The kernel raises an ambient capability only when it is permitted and
	 * inheritable; configs (the default of `runc spec` among them) list
	 * ambient ones without inheritable, and runtimes skip those. */
	for (struct rec *r = NULL; (r = plan_next("cap", r));) {
		if (strcmp(r->f[0], "ambient") != 0)
			continue;
		cap_value_t v = cap_named(r->f[1]);
		if (!cap_in("permitted", v) || !cap_in("inheritable", v))
			continue;
		if (cap_set_ambient(v, CAP_SET) < 0)
			fail("cap ambient %s", r->f[1]);
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail("cap: keepcaps");
}

char **proc_env(void)
{
	int n = plan_count("env"), i = 0;
	char **env = calloc((size_t)n + 1, sizeof *env);
	if (!env)
		fail("env");
	for (struct rec *r = NULL; (r = plan_next("env", r));)
		env[i++] = r->f[0];
	return env;
}

char **proc_argv(void)
{
	int n = plan_count("init-arg") + plan_count("arg") + 3, i = 0;
	char **argv = calloc((size_t)n, sizeof *argv);
	if (!argv)
		fail("arg");
	argv[i++] = "nest-init";
	for (struct rec *r = NULL; (r = plan_next("init-arg", r));)
		argv[i++] = r->f[0];
	argv[i++] = "--";
	for (struct rec *r = NULL; (r = plan_next("arg", r));)
		argv[i++] = r->f[0];
	if (plan_count("arg") == 0)
		failx("arg: no process arguments");
	return argv;
}
