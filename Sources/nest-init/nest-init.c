/*
 * nest-init: PID 1 of every Nest container.
 *
 *   nest-init [options] -- PROG ARGS...
 *
 * Forks PROG, forwards every catchable signal to it, reaps every child
 * (orphans included) and exits with PROG's status (128+N when PROG was
 * killed by signal N). It writes no files and allocates nothing.
 *
 * Options: -h prints usage. Anything else before `--` is an error (exit 2).
 *
 * Exit codes of its own: 1 (fork failed), 2 (usage), 126/127 (PROG could
 * not be executed: EACCES / anything else), printed as
 * `nest-init: exec PROG: REASON` on stderr.
 */
#include <string.h>

#include "init-run.h"

static int usage(void)
{
	nest_init_say("usage: nest-init [options] -- PROG [ARGS...]", 0, 0, 0);
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		}
		if (argv[i][0] == '-') {
			nest_init_say("unknown option ", argv[i], 0, 0);
			return usage();
		}
		break; /* PROG without `--` */
	}
	if (i >= argc)
		return usage();
	return nest_init_run(argv + i, 0);
}
