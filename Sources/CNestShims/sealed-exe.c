/*
 * A program that a container process runs must never be a writable host
 * file (CVE-2019-5736: a container that reaches /proc/PID/exe of its init
 * could rewrite the host's binary). nest_sealed_exe gives an fd to execute
 * (execveat(fd, "", AT_EMPTY_PATH), or /proc/self/fd/N for posix_spawn): a
 * detached read-only bind of the
 * file (no copy; once the fd is closed the mount is no longer attached
 * anywhere, so nothing can make it writable again), or, where the new
 * mount API is refused, a sealed memfd copy.
 *
 * One implementation for both users: the Swift spawner of nest-monitor
 * (through CNestShims) and nest-monitor itself for an `init` program (the
 * Makefile compiles this file into it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_tree, mount_setattr, memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nest_shims.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static int ro_clone(const char *path)
{
	int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return -1;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int sealed_copy(const char *path)
{
	int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -1;
	struct stat st;
	int fd = -1;
	if (fstat(src, &st) == 0 && S_ISREG(st.st_mode))
		fd = memfd_create("nest-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("nest-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	off_t off = 0;
	while (fd >= 0 && off < st.st_size) {
		ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
		if (n <= 0 && !(n < 0 && errno == EINTR)) {
			close(fd);
			fd = -1;
		}
	}
	int e = errno;
	close(src);
	if (fd >= 0 && (fchmod(fd, 0555) < 0 ||
			fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)) {
		e = errno;
		close(fd);
		fd = -1;
	}
	errno = e;
	return fd;
}

int nest_sealed_exe(const char *path)
{
	int fd = ro_clone(path);
	return fd >= 0 ? fd : sealed_copy(path);
}
