/*
 * The process: hostname, sysctl, rlimits, oom score, user and groups,
 * capabilities, cwd and argv.
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

void proc_early(const struct nest_plan *p)
{
	if ((p->hostname || p->domainname) && !p->has_ns[NS_UTS])
		failx(NULL, "hostname: needs a uts namespace");
	if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0)
		fail(NULL, "hostname %s", p->hostname);
	if (p->domainname && setdomainname(p->domainname, strlen(p->domainname)) < 0)
		fail(NULL, "domainname %s", p->domainname);
}

/* KEY uses sysctl(8) notation: dots are slashes and slashes dots. The
 * file is opened beneath /proc/sys. */
void proc_sysctl(const struct nest_plan *p)
{
	int dir = -1;
	for (int i = 0; i < p->nsysctls; i++) {
		const char *key = p->sysctls[i].key, *value = p->sysctls[i].value;
		char path[4096];
		snprintf(path, sizeof path, "%s", key);
		for (char *q = path; *q; q++)
			*q = *q == '.' ? '/' : *q == '/' ? '.' : *q;
		if (dir < 0 && (dir = open_in_root(g_rootfd, "/proc/sys", O_PATH | O_DIRECTORY, 0)) < 0)
			fail("/proc/sys", "sysctl %s: /proc/sys", key);
		/* a /proc that is not procfs (a symlink into a volume, a
		 * directory of the image) takes no sysctl */
		struct statfs sfs;
		if (fstatfs(dir, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
			failx("/proc/sys", "sysctl %s: /proc/sys is not procfs", key);
		struct open_how how = {
			.flags = O_WRONLY | O_TRUNC | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
		};
		int fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
		if (fd < 0)
			fail(path, "sysctl %s", key);
		ssize_t w = write(fd, value, strlen(value));
		if (w < 0)
			fail(path, "sysctl %s", key);
		close(fd);
	}
	if (dir >= 0)
		close(dir);
}

void proc_rlimits(const struct nest_plan *p)
{
	for (int i = 0; i < p->nrlimits; i++) {
		const struct plan_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {
			.rlim_cur = r->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->soft,
			.rlim_max = r->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->hard,
		};
		if (setrlimit(r->resource, &rl) < 0)
			fail(NULL, "rlimit %s", r->name);
	}
}

void proc_oom(const struct nest_plan *p)
{
	char v[16];
	if (!p->has_oom_score_adj)
		return;
	int n = snprintf(v, sizeof v, "%d", p->oom_score_adj);
	if (write_file("/proc/self/oom_score_adj", v, (size_t)n) < 0)
		fail("/proc/self/oom_score_adj", "oom-score-adj %s", v);
}

/* Makes the cwd while still root (chdir itself happens as the user). */
void proc_prepare_cwd(const struct nest_plan *p)
{
	if (!p->cwd)
		return;
	int fd = open_in_root(g_rootfd, p->cwd, O_PATH | O_DIRECTORY, 1);
	if (fd < 0)
		fail(p->cwd, "cwd %s", p->cwd);
	close(fd);
}

/* The cwd is entered by this fd, taken once the masked and read-only
 * mounts are in place (an fd taken before them would lead beneath them)
 * and resolved in the root without magic links: a cwd like
 * /proc/self/fd/N never reaches an fd the init holds (CVE-2024-21626). */
int proc_open_cwd(const struct nest_plan *p, int rootfd)
{
	if (!p->cwd)
		return -1;
	int fd = open_in_root(rootfd, p->cwd, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		fail(p->cwd, "cwd %s", p->cwd);
	return fd;
}

static int cap_in(const struct nest_plan *p, enum cap_set set, int c)
{
	for (int i = 0; i < p->ncaps; i++)
		if (p->caps[i].set == set && p->caps[i].cap == c)
			return 1;
	return 0;
}

/* Drops the bounding set while CAP_SETPCAP is still held. */
void proc_drop_bounding(const struct nest_plan *p)
{
	int max = (int)cap_max_bits();
	for (int c = 0; c < max; c++)
		if (!cap_in(p, CAPSET_BOUNDING, c) && cap_drop_bound(c) < 0 && errno != EINVAL)
			fail(NULL, "cap bounding: drop %d", c);
}

void proc_user(const struct nest_plan *p, int cwdfd)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail(NULL, "user: keepcaps");
	/* setgroups is denied in a user ns whose setgroups file says deny */
	if (setgroups((size_t)p->ngroups, p->groups) < 0 &&
	    !(errno == EPERM && p->ngroups == 0 && p->has_ns[NS_USER]))
		fail(NULL, "groups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		fail(NULL, "user gid %u", (unsigned)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		fail(NULL, "user uid %u", (unsigned)p->uid);
	umask(p->umask);
	/* as the user: the directory must be searchable by it */
	if (cwdfd >= 0 && fchdir(cwdfd) < 0)
		fail(p->cwd, "cwd %s", p->cwd ? p->cwd : "");
}

void proc_caps(const struct nest_plan *p)
{
	static const struct {
		enum cap_set set;
		cap_flag_t flag;
	} sets[] = { { CAPSET_EFFECTIVE, CAP_EFFECTIVE }, { CAPSET_PERMITTED, CAP_PERMITTED },
		     { CAPSET_INHERITABLE, CAP_INHERITABLE } };
	cap_t caps = cap_init();
	if (!caps)
		fail(NULL, "cap");
	for (int i = 0; i < p->ncaps; i++)
		for (int k = 0; k < 3; k++)
			if (p->caps[i].set == sets[k].set) {
				cap_value_t v = p->caps[i].cap;
				if (cap_set_flag(caps, sets[k].flag, 1, &v, CAP_SET) < 0) {
					int e = errno;
					cap_free(caps);
					errno = e;
					fail(NULL, "cap %s %s", plan_cap_set_name(sets[k].set), p->caps[i].name);
				}
			}
	int rc = cap_set_proc(caps);
	int e = errno;
	cap_free(caps);
	errno = e;
	if (rc < 0)
		fail(NULL, "cap: set");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail(NULL, "cap ambient: clear");
	/* The kernel raises an ambient capability only when it is permitted and
	 * inheritable; configs (the default of `runc spec` among them) list
	 * ambient ones without inheritable, and runtimes skip those. */
	for (int i = 0; i < p->ncaps; i++) {
		int v = p->caps[i].cap;
		if (p->caps[i].set != CAPSET_AMBIENT || !cap_in(p, CAPSET_PERMITTED, v) ||
		    !cap_in(p, CAPSET_INHERITABLE, v))
			continue;
		if (cap_set_ambient(v, CAP_SET) < 0)
			fail(NULL, "cap ambient %s", p->caps[i].name);
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail(NULL, "cap: keepcaps");
}

char **proc_argv(const struct nest_plan *p)
{
	int i = 0;
	char **argv = calloc((size_t)(p->ninit_args + p->nargs + 3), sizeof *argv);
	if (!argv)
		fail(NULL, "arg");
	argv[i++] = "nest-init";
	for (int k = 0; k < p->ninit_args; k++)
		argv[i++] = (char *)p->init_args[k];
	argv[i++] = "--";
	for (int k = 0; k < p->nargs; k++)
		argv[i++] = (char *)p->args[k];
	return argv;
}
