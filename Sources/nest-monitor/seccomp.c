/*
 * seccomp with libseccomp: default action, architectures, flags, rules.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "nest.h"

static uint32_t action(const char *name, const char *err, const char *what)
{
	int e = EPERM;
	if (strcmp(err, "-") != 0)
		e = (int)parse_long(err, 10, what);
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		return SCMP_ACT_KILL_THREAD;
	if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		return SCMP_ACT_KILL_PROCESS;
	if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		return SCMP_ACT_TRAP;
	if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		return SCMP_ACT_ERRNO((uint32_t)e);
	if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		return SCMP_ACT_TRACE((uint32_t)e);
	if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		return SCMP_ACT_ALLOW;
	if (strcmp(name, "SCMP_ACT_LOG") == 0)
		return SCMP_ACT_LOG;
	failx("%s: unsupported action %s", what, name);
}

static enum scmp_compare op_named(const char *s)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE },	{ "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE },	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE },	{ "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].name, s) == 0)
			return ops[i].op;
	failx("seccomp-rule: unknown operator %s", s);
}

static void add_rule(scmp_filter_ctx ctx, uint32_t def, struct rec *r)
{
	uint32_t act = action(r->f[0], r->f[1], "seccomp-rule");
	if (act == def)
		return;
	int nr = seccomp_syscall_resolve_name(r->f[2]);
	if (nr == __NR_SCMP_ERROR)
		return; /* unknown on this kernel/arch: ignored like runc */
	int nc = r->n - 3;
	struct scmp_arg_cmp *c = calloc((size_t)nc + 1, sizeof *c);
	if (!c)
		fail("seccomp-rule");
	int dup = 0;
	for (int i = 0; i < nc; i++) {
		char buf[256], *save = NULL;
		strncpy(buf, r->f[3 + i], sizeof buf - 1);
		buf[sizeof buf - 1] = 0;
		char *idx = strtok_r(buf, ":", &save), *op = strtok_r(NULL, ":", &save);
		char *v1 = strtok_r(NULL, ":", &save), *v2 = strtok_r(NULL, ":", &save);
		if (!idx || !op || !v1)
			failx("seccomp-rule %s: bad condition %s", r->f[2], r->f[3 + i]);
		c[i].arg = (unsigned)parse_long(idx, 10, "seccomp-rule index");
		c[i].op = op_named(op);
		c[i].datum_a = strtoull(v1, NULL, 10);
		c[i].datum_b = v2 ? strtoull(v2, NULL, 10) : 0;
		for (int k = 0; k < i; k++)
			if (c[k].arg == c[i].arg)
				dup = 1;
	}
	int rc;
	if (!dup) {
		rc = seccomp_rule_add_array(ctx, act, nr, (unsigned)nc, c);
	} else {
		/* several conditions on one argument: one rule each (as runc) */
		rc = 0;
		for (int i = 0; i < nc && rc == 0; i++)
			rc = seccomp_rule_add_array(ctx, act, nr, 1, &c[i]);
	}
	free(c);
	if (rc < 0) {
		errno = -rc;
		fail("seccomp-rule %s", r->f[2]);
	}
}

void seccomp_apply(int nnp)
{
	struct rec *d = plan_next("seccomp-default", NULL);
	if (!d) {
		if (plan_next("seccomp-rule", NULL))
			failx("seccomp-rule: no seccomp-default");
		return;
	}
	uint32_t def = action(d->f[0], d->f[1], "seccomp-default");
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		failx("seccomp-default: seccomp_init failed");
	int rc;
	for (struct rec *r = NULL; (r = plan_next("seccomp-arch", r));) {
		char lower[64];
		size_t i;
		const char *a = r->f[0];
		if (strncmp(a, "SCMP_ARCH_", 10) == 0)
			a += 10;
		for (i = 0; a[i] && i < sizeof lower - 1; i++)
			lower[i] = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
		lower[i] = 0;
		uint32_t arch = seccomp_arch_resolve_name(lower);
		if (!arch)
			failx("seccomp-arch %s: unknown", r->f[0]);
		rc = seccomp_arch_add(ctx, arch);
		if (rc < 0 && rc != -EEXIST) {
			errno = -rc;
			fail("seccomp-arch %s", r->f[0]);
		}
	}
	for (struct rec *r = NULL; (r = plan_next("seccomp-flag", r));) {
		enum scmp_filter_attr attr;
		if (strcmp(r->f[0], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			attr = SCMP_FLTATR_CTL_TSYNC;
		else if (strcmp(r->f[0], "SECCOMP_FILTER_FLAG_LOG") == 0)
			attr = SCMP_FLTATR_CTL_LOG;
		else if (strcmp(r->f[0], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			attr = SCMP_FLTATR_CTL_SSB;
		else
			failx("seccomp-flag %s: unsupported", r->f[0]);
		rc = seccomp_attr_set(ctx, attr, 1);
		if (rc < 0) {
			errno = -rc;
			fail("seccomp-flag %s", r->f[0]);
		}
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, nnp ? 1 : 0);
	if (rc < 0) {
		errno = -rc;
		fail("seccomp: no_new_privs attribute");
	}
	for (struct rec *r = NULL; (r = plan_next("seccomp-rule", r));)
		add_rule(ctx, def, r);
	rc = seccomp_load(ctx);
	if (rc < 0) {
		errno = -rc;
		fail("seccomp: load");
	}
	seccomp_release(ctx);
}
