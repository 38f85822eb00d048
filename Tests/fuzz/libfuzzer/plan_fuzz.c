/*
 * libFuzzer target: the monitor's launch-plan parser (plan.c's plan_load)
 * and the lookups every other part of the monitor makes on its result.
 * The input is written to a memfd and loaded through /proc/self/fd, as the
 * monitor loads STATE_DIR/plan. Built with ASan+UBSan (Tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nest.h"

static const char *kinds[] = {
	"version", "id", "state-dir", "exec-fifo", "sync-fd", "status-file",
	"pid-file", "stdio", "console-socket", "console-size", "rootfs",
	"rootfs-readonly", "rootfs-propagation", "namespace", "uid-map",
	"gid-map", "time-offset", "hostname", "domainname", "cgroup-join",
	"oom-file", "mount", "device", "symlink", "masked", "readonly",
	"sysctl", "rlimit", "oom-score-adj", "user", "groups", "cwd", "env",
	"arg", "no-new-privileges", "cap", "seccomp-default", "seccomp-arch",
	"seccomp-flag", "seccomp-rule", "hook", "init", "init-arg", "bundle",
	"oci-version", "nonexistent",
};

static void plan_reset(void)
{
	for (int i = 0; i < P.n; i++) {
		free(P.r[i].kind);	/* the line's copy: every field points into it */
		free(P.r[i].f - 1);
	}
	free(P.r);
	P.r = NULL;
	P.n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("plan", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	char err[256];
	err[0] = 0;
	int rc = plan_load(path, err, sizeof err);
	if (rc < 0 && err[0] == 0)
		abort();	/* an error always has a message */
	if (memchr(err, 0, sizeof err) == NULL)
		abort();
	/* the monitor sends the message as one `error MESSAGE\n` line */
	if (strchr(err, '\n'))
		abort();
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		int n = 0;
		for (struct rec *r = NULL; (r = plan_next(kinds[k], r));) {
			for (int i = 0; i < r->n; i++)
				(void)strlen(r->f[i]);
			n++;
		}
		if (n != plan_count(kinds[k]))
			abort();
		(void)plan_str(kinds[k], NULL);
	}
	plan_reset();
	return 0;
}
