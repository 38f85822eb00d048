/*
 * The launch plan: a line-oriented, TAB-separated file (docs/launch-plan.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nest.h"

struct plan P;

/* kind, min fields, max fields (-1 = unbounded) */
static const struct {
	const char *kind;
	int min, max;
} kinds[] = {
	{ "version", 1, 1 },		{ "id", 1, 1 },
	{ "state-dir", 1, 1 },		{ "exec-fifo", 1, 1 },
	{ "sync-fd", 1, 1 },		{ "status-file", 1, 1 },
	{ "pid-file", 1, 1 },		{ "stdio", 1, 2 },
	{ "console-socket", 1, 1 },	{ "console-size", 2, 2 },
	{ "rootfs", 1, 1 },		{ "rootfs-readonly", 1, 1 },
	{ "rootfs-propagation", 1, 1 },	{ "namespace", 2, 2 },
	{ "uid-map", 3, 3 },		{ "gid-map", 3, 3 },
	{ "time-offset", 3, 3 },	{ "hostname", 1, 1 },
	{ "domainname", 1, 1 },		{ "cgroup-join", 1, 1 },
	{ "oom-file", 1, 1 },		{ "mount", 6, 6 },
	{ "device", 7, 7 },		{ "symlink", 2, 2 },
	{ "masked", 1, 1 },		{ "readonly", 1, 1 },
	{ "sysctl", 2, 2 },		{ "rlimit", 3, 3 },
	{ "oom-score-adj", 1, 1 },	{ "user", 3, 3 },
	{ "groups", 0, -1 },		{ "cwd", 1, 1 },
	{ "env", 1, 1 },		{ "arg", 1, 1 },
	{ "no-new-privileges", 1, 1 },	{ "cap", 2, 2 },
	{ "seccomp-default", 2, 2 },	{ "seccomp-arch", 1, 1 },
	{ "seccomp-flag", 1, 1 },	{ "seccomp-rule", 3, -1 },
	{ "hook", 4, -1 },		{ "init", 1, 1 },
	{ "init-arg", 1, 1 },		{ "bundle", 1, 1 },
	{ "oci-version", 1, 1 },
};

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

static int add_line(char *line, int lineno, char *err, size_t errlen)
{
	int nf = 1;
	for (char *p = line; *p; p++)
		if (*p == '\t')
			nf++;
	char **f = calloc((size_t)nf + 1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "plan: out of memory");
		return -1;
	}
	int i = 0;
	char *p = line;
	for (;;) {
		char *t = strchr(p, '\t');
		if (t)
			*t = 0;
		f[i++] = p;
		if (!t)
			break;
		p = t + 1;
	}
	size_t k;
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		if (strcmp(kinds[k].kind, f[0]) == 0)
			break;
	static const char *repeated[] = {
		"namespace", "uid-map", "gid-map", "time-offset", "cgroup-join",
		"mount", "device", "symlink", "masked", "readonly", "sysctl",
		"rlimit", "env", "arg", "cap", "seccomp-arch", "seccomp-flag",
		"seccomp-rule", "hook", "init-arg",
	};
	int rep = 0;
	for (size_t i = 0; i < sizeof repeated / sizeof repeated[0]; i++)
		rep |= strcmp(repeated[i], f[0]) == 0;
	if (!rep && plan_next(f[0], NULL)) {
		snprintf(err, errlen, "plan line %d: %s given twice", lineno, f[0]);
		free(f);
		return -1;
	}
	if (k == sizeof kinds / sizeof kinds[0]) {
		snprintf(err, errlen, "plan line %d: unknown record %s", lineno, f[0]);
		free(f);
		return -1;
	}
	/* The kind is matched as written (no kind has an escape), so that an
	 * error naming it never carries a newline into the `error MESSAGE\n`
	 * line of the sync fd. */
	for (int j = 1; j < nf; j++)
		if (unescape(f[j]) < 0) {
			snprintf(err, errlen, "plan line %d: bad escape", lineno);
			free(f);
			return -1;
		}
	int n = nf - 1;
	/* `groups` with one empty field means no groups */
	if (strcmp(f[0], "groups") == 0 && n == 1 && f[1][0] == 0)
		n = 0;
	if (n < kinds[k].min || (kinds[k].max >= 0 && n > kinds[k].max)) {
		snprintf(err, errlen, "plan line %d: %s: wrong number of fields (%d)",
			 lineno, f[0], n);
		free(f);
		return -1;
	}
	if (lineno == 1 && strcmp(f[0], "version") != 0) {
		snprintf(err, errlen, "plan line 1: expected version");
		free(f);
		return -1;
	}
	if (strcmp(f[0], "version") == 0 && (lineno != 1 || strcmp(f[1], "1") != 0)) {
		snprintf(err, errlen, "plan line %d: unsupported version", lineno);
		free(f);
		return -1;
	}
	struct rec *r = realloc(P.r, sizeof *r * (size_t)(P.n + 1));
	if (!r) {
		snprintf(err, errlen, "plan: out of memory");
		free(f);
		return -1;
	}
	P.r = r;
	P.r[P.n++] = (struct rec){ .kind = f[0], .n = n, .f = f + 1, .line = lineno };
	return 0;
}

int plan_load(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	if (!fp) {
		snprintf(err, errlen, "plan %s: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;
	while ((len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(err, errlen, "plan line %d: not terminated", lineno);
			goto fail;
		}
		line[len - 1] = 0;
		char *copy = strdup(line);
		if (!copy) {
			snprintf(err, errlen, "plan: out of memory");
			goto fail;
		}
		if (add_line(copy, lineno, err, errlen) < 0) {
			free(copy);
			goto fail;
		}
	}
	free(line);
	fclose(fp);
	if (lineno == 0) {
		snprintf(err, errlen, "plan %s: empty", path);
		return -1;
	}
	static const char *required[] = { "rootfs", "status-file", "sync-fd" };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!plan_next(required[i], NULL)) {
			snprintf(err, errlen, "plan: missing %s", required[i]);
			return -1;
		}
	return 0;
fail:
	/* the monitor exits on a bad plan, but a plan refused must not cost
	 * memory to a process that carries on (the fuzz target loads many) */
	free(line);
	fclose(fp);
	return -1;
}

struct rec *plan_next(const char *kind, struct rec *prev)
{
	int i = prev ? (int)(prev - P.r) + 1 : 0;
	for (; i < P.n; i++)
		if (strcmp(P.r[i].kind, kind) == 0)
			return &P.r[i];
	return NULL;
}

const char *plan_str(const char *kind, const char *def)
{
	struct rec *r = plan_next(kind, NULL);
	return r && r->n > 0 ? r->f[0] : def;
}

int plan_count(const char *kind)
{
	int c = 0;
	for (struct rec *r = NULL; (r = plan_next(kind, r));)
		c++;
	return c;
}
