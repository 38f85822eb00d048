/*
 * nest-monitor -H KIND PLANFILE PID STATUS: runs the plan's hooks of KIND
 * (poststart, poststop) with the OCI state of STATUS and PID, as the
 * monitor runs those of creation, for a spawner that must not fork: one
 * implementation of hooks, one state. PLANFILE `-` is the plan read to EOF
 * from fd 4 (for a plan no longer on disk: poststop runs after the state
 * directory is gone). A failure is an error record on fd 3
 * when it is open (as the sync fd has it), else on stderr; the exit status
 * is then 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

int hook_mode_main(int argc, char **argv)
{
	static struct nest_plan plan;
	char err[4096], *end;
	if (stdio_ensure() < 0)
		return 1;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) == 0)
		g_sync_fd = 3;
	if (argc != 6) {
		dprintf(2, "usage: nest-monitor -H KIND PLANFILE PID STATUS\n");
		return 2;
	}
	int kind = plan_hook_kind(argv[2]);
	if (kind < 0)
		failx(NULL, "hook: unknown kind %s", argv[2]);
	errno = 0;
	long pid = strtol(argv[4], &end, 10);
	if (errno || end == argv[4] || *end || pid < 0 || pid > 4194304)
		failx(NULL, "hook %s: bad pid %s", argv[2], argv[4]);
	int rc = strcmp(argv[3], "-") == 0 ? plan_read(&plan, 4, "fd 4", err, sizeof err)
					    : plan_load(&plan, argv[3], err, sizeof err);
	if (rc < 0)
		failx(strcmp(argv[3], "-") == 0 ? NULL : argv[3], "%s", err);
	/* what the spawner passed besides (the plan's memfd, the binary we
	 * run from) is not the hooks' */
	syscall(SYS_close_range, 4U, ~0U, 0U);
	signal(SIGCHLD, SIG_DFL);
	struct step_error e = { 0 };
	if (hooks_run(&plan, (enum hook_kind)kind, (pid_t)pid, argv[5], &e) < 0)
		fail_with(&e);
	plan_free(&plan);
	return 0;
}
