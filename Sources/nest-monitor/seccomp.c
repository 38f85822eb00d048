/*
 * seccomp with libseccomp: default action, architectures, flags, rules.
 * A failure releases the filter before it is reported.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nest.h"

static uint32_t action(const struct plan_sc_action *a)
{
	switch (a->action) {
	case SC_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	case SC_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
	case SC_TRAP: return SCMP_ACT_TRAP;
	case SC_ERRNO: return SCMP_ACT_ERRNO(a->errno_ret);
	case SC_TRACE: return SCMP_ACT_TRACE(a->errno_ret);
	case SC_LOG: return SCMP_ACT_LOG;
	case SC_ALLOW: break;
	}
	return SCMP_ACT_ALLOW;
}

static const enum scmp_compare ops[] = {
	[SC_NE] = SCMP_CMP_NE, [SC_LT] = SCMP_CMP_LT, [SC_LE] = SCMP_CMP_LE, [SC_EQ] = SCMP_CMP_EQ,
	[SC_GE] = SCMP_CMP_GE, [SC_GT] = SCMP_CMP_GT, [SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static const char *const flag_names[] = {
	[SC_FLAG_TSYNC] = "SECCOMP_FILTER_FLAG_TSYNC",
	[SC_FLAG_LOG] = "SECCOMP_FILTER_FLAG_LOG",
	[SC_FLAG_SPEC_ALLOW] = "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
};

static const enum scmp_filter_attr flag_attrs[] = {
	[SC_FLAG_TSYNC] = SCMP_FLTATR_CTL_TSYNC,
	[SC_FLAG_LOG] = SCMP_FLTATR_CTL_LOG,
	[SC_FLAG_SPEC_ALLOW] = SCMP_FLTATR_CTL_SSB,
};

/* 0, or a libseccomp error (-errno) with what failed in *E. */
static int add_rule(scmp_filter_ctx ctx, uint32_t def, const struct plan_sc_rule *r, struct step_error *e)
{
	uint32_t act = action(&r->action);
	if (act == def)
		return 0;
	int nr = seccomp_syscall_resolve_name(r->syscall);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* unknown on this kernel/arch: ignored like runc */
	struct scmp_arg_cmp c[6];
	int nc = 0, dup = 0;
	for (int i = 0; i < r->ncond && nc < 6; i++) {
		c[nc] = (struct scmp_arg_cmp){ r->cond[i].index, ops[r->cond[i].op], r->cond[i].value,
					       r->cond[i].value_two };
		for (int k = 0; k < nc; k++)
			dup |= c[k].arg == c[nc].arg;
		nc++;
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
	if (rc < 0)
		snprintf(e->msg, sizeof e->msg, "seccomp-rule %s: %s", r->syscall, strerror(-rc));
	return rc;
}

/* The filter, loaded; 0 or -errno with *E set. */
static int load(const struct nest_plan *p, scmp_filter_ctx ctx, uint32_t def, int nnp, struct step_error *e)
{
	const struct plan_seccomp *s = &p->seccomp;
	int rc;
	for (int i = 0; i < s->narchs; i++) {
		char lower[64];
		size_t k;
		const char *a = s->archs[i] + 10; /* after SCMP_ARCH_ (checked by the parser) */
		for (k = 0; a[k] && k < sizeof lower - 1; k++)
			lower[k] = (char)(a[k] >= 'A' && a[k] <= 'Z' ? a[k] + 32 : a[k]);
		lower[k] = 0;
		uint32_t arch = seccomp_arch_resolve_name(lower);
		if (!arch) {
			snprintf(e->msg, sizeof e->msg, "seccomp-arch %s: unknown", s->archs[i]);
			return -EINVAL;
		}
		rc = seccomp_arch_add(ctx, arch);
		if (rc < 0 && rc != -EEXIST) {
			snprintf(e->msg, sizeof e->msg, "seccomp-arch %s: %s", s->archs[i], strerror(-rc));
			return rc;
		}
	}
	for (int i = 0; i < s->nflags; i++) {
		rc = seccomp_attr_set(ctx, flag_attrs[s->flags[i]], 1);
		if (rc < 0) {
			snprintf(e->msg, sizeof e->msg, "seccomp-flag %s: %s", flag_names[s->flags[i]], strerror(-rc));
			return rc;
		}
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, nnp ? 1 : 0);
	if (rc < 0) {
		snprintf(e->msg, sizeof e->msg, "seccomp: no_new_privs attribute: %s", strerror(-rc));
		return rc;
	}
	for (int i = 0; i < s->nrules; i++)
		if ((rc = add_rule(ctx, def, &s->rules[i], e)) < 0)
			return rc;
	rc = seccomp_load(ctx);
	if (rc < 0)
		snprintf(e->msg, sizeof e->msg, "seccomp: load: %s", strerror(-rc));
	return rc;
}

void seccomp_apply(const struct nest_plan *p, int nnp)
{
	if (!p->seccomp.set)
		return;
	uint32_t def = action(&p->seccomp.def);
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		failx(NULL, "seccomp-default: seccomp_init failed");
	struct step_error e = { 0 };
	int rc = load(p, ctx, def, nnp, &e);
	seccomp_release(ctx);
	if (rc < 0) {
		e.err = -rc;
		fail_with(&e);
	}
}
