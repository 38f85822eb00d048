/*
 * nest-monitor -n make PATH
 * nest-monitor -n remove PATH
 *
 * A network namespace that CNI plugins configure must exist before any
 * container joins it, and must outlive a crash of the daemon so that the
 * plugins' DEL can still find it: it is a file, a bind mount of the
 * namespace's nsfs inode. nestd is multi-threaded and cannot unshare its
 * network namespace; this single-threaded mode does it for it.
 *
 * make: a new network namespace with its loopback up (what the CNI
 * loopback plugin would do, without a plugin run), bound at PATH, which
 * must not exist yet. Nothing is left at PATH when it fails.
 * remove: unmounts PATH (detached: a plugin may still hold it) and
 * removes the file; a PATH that is not there any more is done already.
 *
 * A failure is one line on stderr and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "nest.h"

static int make(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0) {
		dprintf(2, "netns %s: create: %s\n", path, strerror(errno));
		return 1;
	}
	/* bound onto the file just made, through its fd: PATH is not looked
	 * up a second time */
	char target[64];
	snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
	const char *step = "unshare";
	if (unshare(CLONE_NEWNET) < 0)
		goto undo;
	step = "loopback up";
	if (loopback_up() < 0)
		goto undo;
	step = "bind";
	if (mount("/proc/self/ns/net", target, NULL, MS_BIND, NULL) < 0)
		goto undo;
	close(fd);
	return 0;
undo:;
	int saved = errno;
	close(fd);
	unlink(path);
	dprintf(2, "netns %s: %s: %s\n", path, step, strerror(saved));
	return 1;
}

static int remove_ns(const char *path)
{
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT) {
		dprintf(2, "netns %s: unmount: %s\n", path, strerror(errno));
		return 1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		dprintf(2, "netns %s: remove: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int netns_mode_main(int argc, char **argv)
{
	if (stdio_ensure() < 0)
		return 1;
	if (argc != 4 || argv[3][0] != '/') {
		dprintf(2, "usage: nest-monitor -n make|remove /ABSOLUTE/PATH\n");
		return 2;
	}
	if (strcmp(argv[2], "make") == 0)
		return make(argv[3]);
	if (strcmp(argv[2], "remove") == 0)
		return remove_ns(argv[3]);
	dprintf(2, "netns: unknown action %s (make, remove)\n", argv[2]);
	return 2;
}
