/*
 * The launch plan's parser: a line-oriented, TAB-separated text
 * (docs/launch-plan.md) into a struct nest_plan. This file splits the text
 * into lines and fields, unescapes them, dispatches each record to its
 * handler (plan-records.c) and checks what the records say together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan-parse.h"

/* Unescapes S in place; returns -1 on a bad escape. */
static int unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		s++;
		if (*s == '\\')
			*o++ = '\\';
		else if (*s == 't')
			*o++ = '\t';
		else if (*s == 'n')
			*o++ = '\n';
		else
			return -1;
	}
	*o = 0;
	return 0;
}

/* One line (its '\n' replaced by NUL), split in place. */
static int parse_line(struct pctx *c, char *line)
{
	int nf = 1;
	for (char *q = line; *q; q++)
		nf += *q == '\t';
	char **f = calloc((size_t)nf, sizeof *f);
	if (!f) {
		c->kind = "plan";
		return pf_err(c, "out of memory");
	}
	char *q = line;
	for (int i = 0; i < nf; i++) {
		f[i] = q;
		q = strchr(q, '\t');
		if (q)
			*q++ = 0;
	}
	/* The kind is matched as written (no kind has an escape). */
	c->kind = f[0];
	int k;
	for (k = 0; k < plan_nkinds && strcmp(plan_kinds[k].kind, f[0]) != 0; k++)
		;
	int rc = -1;
	int n = nf - 1;
	if (c->line == 1 && strcmp(f[0], "version") != 0) {
		snprintf(c->err, c->errlen, "plan line 1: expected version");
		goto out;
	}
	if (k == plan_nkinds) {
		snprintf(c->err, c->errlen, "plan line %d: unknown record %s", c->line, pf_shown(f[0]));
		pf_one_line(c->err);
		goto out;
	}
	c->kind = plan_kinds[k].kind;
	if (!plan_kinds[k].repeated && (c->seen[k / 32] & (1U << (k % 32)))) {
		snprintf(c->err, c->errlen, "plan line %d: %s given twice", c->line, c->kind);
		goto out;
	}
	c->seen[k / 32] |= 1U << (k % 32);
	for (int j = 1; j < nf; j++)
		if (unescape(f[j]) < 0) {
			pf_err(c, "bad escape");
			goto out;
		}
	if (n < plan_kinds[k].min || (plan_kinds[k].max >= 0 && n > plan_kinds[k].max)) {
		pf_err(c, "wrong number of fields (%d)", n);
		goto out;
	}
	rc = plan_kinds[k].fn(c, f + 1, n);
out:
	free(f);
	return rc;
}

static int has_kind(const struct pctx *c, const char *kind)
{
	for (int k = 0; k < plan_nkinds; k++)
		if (strcmp(plan_kinds[k].kind, kind) == 0)
			return (c->seen[k / 32] >> (k % 32)) & 1;
	return 0;
}

/* What an exec plan may say: the process and where it goes. The rest of
 * a container (its namespaces, file system, hooks, status) is the one it
 * joins. */
static const char *const exec_kinds[] = {
	"version", "id", "state-dir", "sync-fd", "exec", "preserve-fds", "console-socket", "console-size",
	"cgroup-join", "rlimit", "oom-score-adj", "user", "groups", "cwd", "env", "arg", "no-new-privileges",
	"apparmor-profile", "selinux-label", "cap", "seccomp-default", "seccomp-arch", "seccomp-flag", "seccomp-rule",
};

static int check_exec(struct pctx *c)
{
	for (int k = 0; k < plan_nkinds; k++) {
		if (!((c->seen[k / 32] >> (k % 32)) & 1))
			continue;
		size_t i = 0;
		while (i < sizeof exec_kinds / sizeof exec_kinds[0] && strcmp(exec_kinds[i], plan_kinds[k].kind) != 0)
			i++;
		if (i == sizeof exec_kinds / sizeof exec_kinds[0]) {
			snprintf(c->err, c->errlen, "plan: %s does not belong in an exec plan", plan_kinds[k].kind);
			return -1;
		}
	}
	if (!has_kind(c, "sync-fd")) {
		snprintf(c->err, c->errlen, "plan: missing sync-fd");
		return -1;
	}
	if (c->p->nargs == 0) {
		snprintf(c->err, c->errlen, "plan: missing arg (the process's arguments)");
		return -1;
	}
	return 0;
}

/* What the records say together. */
static int check_whole(struct pctx *c)
{
	struct nest_plan *p = c->p;
	if (p->seccomp.nrules && !p->seccomp.set) {
		snprintf(c->err, c->errlen, "plan: seccomp-rule without seccomp-default");
		return -1;
	}
	if (p->sync_fd >= 3 && p->sync_fd < 3 + p->preserve_fds) {
		snprintf(c->err, c->errlen, "plan: sync-fd %d is one of the preserved fds 3-%d", p->sync_fd,
			 2 + p->preserve_fds);
		return -1;
	}
	if (p->exec_pid)
		return check_exec(c);
	static const char *required[] = { "status-file", "sync-fd" };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!has_kind(c, required[i])) {
			snprintf(c->err, c->errlen, "plan: missing %s", required[i]);
			return -1;
		}
	/* A hold runs no program and needs a root only for its mounts. */
	if (!p->rootfs && (!p->hold || plan_ns_is_new(p, NS_MOUNT))) {
		snprintf(c->err, c->errlen, "plan: missing rootfs");
		return -1;
	}
	/* in the host's (or a joined) namespace it would outlive the container */
	if (p->overlay_upper && (!p->rootfs || !plan_ns_is_new(p, NS_MOUNT))) {
		snprintf(c->err, c->errlen, "plan: rootfs-overlay needs a rootfs and a new mount namespace");
		return -1;
	}
	if (!p->hold && p->nargs == 0) {
		snprintf(c->err, c->errlen, "plan: missing arg (the process's arguments)");
		return -1;
	}
	/* the log's copier is the monitor, which leaves a handed-off init */
	if (p->handoff && p->stdio == STDIO_LOG) {
		snprintf(c->err, c->errlen, "plan: handoff with stdio log");
		return -1;
	}
	return 0;
}

int plan_parse(struct nest_plan *p, const char *buf, size_t len, char *err, size_t errlen)
{
	struct pctx c = { .p = p, .err = err, .errlen = errlen, .kind = "plan" };
	memset(p, 0, sizeof *p);
	p->sync_fd = -1;
	p->umask = 022;
	p->rootfs_propagation = MS_PRIVATE | MS_REC;
	p->rootfs_propagation_name = "rprivate";
	err[0] = 0;
	if (len == 0) {
		snprintf(err, errlen, "plan: empty");
		return -1;
	}
	p->text = malloc(len + 1);
	if (!p->text) {
		snprintf(err, errlen, "plan: out of memory");
		return -1;
	}
	memcpy(p->text, buf, len);
	p->text[len] = 0;
	char *line = p->text, *end = p->text + len;
	while (line < end) {
		c.line++;
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *nul = memchr(line, 0, (size_t)((nl ? nl : end) - line));
		if (nul) {
			snprintf(err, errlen, "plan line %d: a NUL byte", c.line);
			goto fail;
		}
		if (!nl) {
			snprintf(err, errlen, "plan line %d: not terminated", c.line);
			goto fail;
		}
		*nl = 0;
		if (parse_line(&c, line) < 0)
			goto fail;
		line = nl + 1;
	}
	if (check_whole(&c) < 0)
		goto fail;
	return 0;
fail:;
	int sync_fd = p->sync_fd;
	plan_free(p);
	p->sync_fd = sync_fd;
	return -1;
}

int plan_read(struct nest_plan *p, int fd, const char *name, char *err, size_t errlen)
{
	struct stat st;
	memset(p, 0, sizeof *p);
	p->sync_fd = -1;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "plan %s: %s", name, strerror(errno));
		return -1;
	}
	/* a pipe or a socket has no size to trust: read to EOF */
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			snprintf(err, errlen, "plan: out of memory");
			return -1;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "plan %s: %s", name, strerror(errno));
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {
			char *grown = cap > (64u << 20) ? NULL : realloc(buf, cap * 2);
			if (!grown)
				free(buf);
			buf = grown;
			cap *= 2;
		}
	}
	int rc = plan_parse(p, buf, len, err, errlen);
	free(buf);
	return rc;
}

int plan_load(struct nest_plan *p, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(p, 0, sizeof *p);
		p->sync_fd = -1;
		snprintf(err, errlen, "plan %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = plan_read(p, fd, path, err, errlen);
	close(fd);
	return rc;
}

void plan_free(struct nest_plan *p)
{
	for (int i = 0; i < p->nhooks; i++) {
		free(p->hooks[i].argv);
		free(p->hooks[i].env);
	}
	for (int i = 0; i < p->seccomp.nrules; i++)
		free(p->seccomp.rules[i].cond);
	free(p->uid_maps);
	free(p->gid_maps);
	free(p->time_offsets);
	free(p->cgroup_joins);
	free(p->mounts);
	free(p->devices);
	free(p->symlinks);
	free(p->masked);
	free(p->readonly);
	free(p->sysctls);
	free(p->rlimits);
	free(p->groups);
	free(p->env);
	free(p->args);
	free(p->caps);
	free(p->seccomp.archs);
	free(p->seccomp.flags);
	free(p->seccomp.rules);
	free(p->hooks);
	free(p->init_args);
	free(p->annotations);
	free(p->overlay_data);
	free(p->overlay_lowers);
	free(p->text);
	memset(p, 0, sizeof *p);
}

int plan_has_hook(const struct nest_plan *p, enum hook_kind kind)
{
	for (int i = 0; i < p->nhooks; i++)
		if (p->hooks[i].kind == kind)
			return 1;
	return 0;
}

int plan_ns_is_new(const struct nest_plan *p, enum ns_type type)
{
	return p->has_ns[type] && !p->ns[type].path;
}
