/*
 * The process's LSM label (AppArmor profile, SELinux label): written to the
 * thread's attr/exec, so that the program's exec, the next one, puts the
 * process in it. Processes forked before that exec (nest-init's child)
 * inherit the pending label.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

/* The file is reached from the container's /proc, which must be procfs,
 * without crossing a mount (a file bind-mounted over attr/exec, as in
 * CVE-2019-16884, would take the label and leave the process unconfined)
 * or following a magic link; thread-self is a plain symlink within /proc. */
static int open_attr(const char *file, const char *what)
{
	int dir = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs sfs;
	if (dir < 0)
		fail("/proc", "%s: /proc", what);
	if (fstatfs(dir, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		failx("/proc", "%s: /proc is not procfs in the container", what);
	struct open_how how = {
		.flags = O_WRONLY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dir, file, &how, sizeof how);
	int e = errno;
	close(dir);
	errno = e;
	return fd;
}

static void write_attr(int fd, const char *path, const char *value, const char *what)
{
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	int e = errno;
	close(fd);
	errno = e;
	if (w < 0)
		fail(path, "%s", what);
	if ((size_t)w != n)
		failx(path, "%s: short write", what);
}

void proc_lsm(const struct nest_plan *p)
{
	if (p->apparmor_profile) {
		const char *what = "apparmor-profile";
		char value[4200];
		int n = snprintf(value, sizeof value, "exec %s", p->apparmor_profile);
		if (n < 0 || (size_t)n >= sizeof value)
			failx(NULL, "%s: the profile's name is too long", what);
		/* The module's own directory (5.8+), then the shared file. */
		const char *path = "/proc/thread-self/attr/apparmor/exec";
		int fd = open_attr("thread-self/attr/apparmor/exec", what);
		if (fd < 0 && errno == ENOENT) {
			path = "/proc/thread-self/attr/exec";
			fd = open_attr("thread-self/attr/exec", what);
		}
		if (fd < 0)
			fail(path, "%s", what);
		write_attr(fd, path, value, what);
	}
	if (p->selinux_label) {
		const char *what = "selinux-label", *path = "/proc/thread-self/attr/exec";
		int fd = open_attr("thread-self/attr/exec", what);
		if (fd < 0)
			fail(path, "%s", what);
		write_attr(fd, path, p->selinux_label, what);
	}
}
