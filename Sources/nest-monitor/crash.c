/*
 * Fault injection: NEST_CRASH_AT=NAME makes the monitor SIGKILL itself at
 * the point NAME (monitor:clone, monitor:joined, monitor:created,
 * monitor:exited), so that a test can check what a monitor killed there
 * leaves behind (Tests/security/crash-walk.test.sh). The variable is read
 * once per process.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nest.h"

void crash_point(const char *name)
{
	static const char *armed;
	static int looked;
	if (!looked) {
		armed = getenv("NEST_CRASH_AT");
		looked = 1;
	}
	if (armed && strcmp(armed, name) == 0)
		kill(getpid(), SIGKILL);
}
