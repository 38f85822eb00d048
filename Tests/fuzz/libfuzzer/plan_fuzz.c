/*
 * libFuzzer target: the monitor's launch-plan parser (plan.c's plan_parse),
 * and a walk over every typed record it gives back. Built with ASan+UBSan
 * (Tests/fuzz/run.sh): a crash, an out-of-bounds read of a record or a leak
 * of a refused plan is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static size_t sum;

static void walk(const char *s)
{
	if (s)
		sum += strlen(s);
}

static void walk_plan(const struct nest_plan *p)
{
	const char *strs[] = { p->id, p->oci_version, p->bundle, p->state_dir, p->exec_fifo,
			       p->status_file, p->pid_file, p->oom_file, p->log_path, p->console_socket,
			       p->rootfs, p->hostname, p->domainname, p->cwd, p->init };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		walk(strs[i]);
	for (int i = 0; i < NS_COUNT; i++)
		if (p->has_ns[i])
			walk(p->ns[i].path);
	for (int i = 0; i < p->ncgroup_joins; i++)
		walk(p->cgroup_joins[i]);
	for (int i = 0; i < p->nmounts; i++) {
		walk(p->mounts[i].dest);
		walk(p->mounts[i].type);
		walk(p->mounts[i].source);
		walk(p->mounts[i].data);
	}
	for (int i = 0; i < p->ndevices; i++)
		walk(p->devices[i].path);
	for (int i = 0; i < p->nsymlinks; i++) {
		walk(p->symlinks[i].target);
		walk(p->symlinks[i].link);
	}
	for (int i = 0; i < p->nmasked; i++)
		walk(p->masked[i]);
	for (int i = 0; i < p->nreadonly; i++)
		walk(p->readonly[i]);
	for (int i = 0; i < p->nsysctls; i++)
		walk(p->sysctls[i].value);
	for (int i = 0; i < p->nrlimits; i++)
		walk(p->rlimits[i].name);
	for (int i = 0; p->env && p->env[i]; i++)
		walk(p->env[i]);
	for (int i = 0; i < p->nargs; i++)
		walk(p->args[i]);
	for (int i = 0; i < p->ngroups; i++)
		sum += p->groups[i];
	for (int i = 0; i < p->ncaps; i++)
		walk(p->caps[i].name);
	for (int i = 0; i < p->seccomp.narchs; i++)
		walk(p->seccomp.archs[i]);
	for (int i = 0; i < p->seccomp.nrules; i++) {
		walk(p->seccomp.rules[i].syscall);
		for (int k = 0; k < p->seccomp.rules[i].ncond; k++)
			sum += p->seccomp.rules[i].cond[k].index;
	}
	for (int i = 0; i < p->nhooks; i++) {
		walk(p->hooks[i].path);
		for (char **a = p->hooks[i].argv; *a; a++)
			walk(*a);
		for (char **e = p->hooks[i].env; *e; e++)
			walk(*e);
	}
	for (int i = 0; i < p->ninit_args; i++)
		walk(p->init_args[i]);
	for (int i = 0; i < p->nannotations; i++) {
		walk(p->annotations[i].key);
		walk(p->annotations[i].value);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nest_plan p;
	char err[256];
	memset(err, 'x', sizeof err);
	int rc = plan_parse(&p, (const char *)data, size, err, sizeof err);
	if (memchr(err, 0, sizeof err) == NULL)
		abort();	/* the message is always terminated */
	if (rc < 0) {
		if (err[0] == 0)
			abort();	/* an error always has a message */
		/* the monitor sends the message as one line of the sync fd */
		for (const char *c = err; *c; c++)
			if ((unsigned char)*c < 0x20)
				abort();
		if (p.text)
			abort();	/* a refused plan holds nothing */
		return 0;
	}
	walk_plan(&p);
	plan_free(&p);
	return 0;
}
