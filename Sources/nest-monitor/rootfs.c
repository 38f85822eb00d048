/*
 * Devices, symlinks (before pivot_root), masked and readonly paths and the
 * read-only rootfs (after pivot_root).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* Opens the parent directory of PATH inside the root (made if missing)
 * and returns it; *base points at the last component. */
static int open_parent(const char *path, char *buf, size_t len, const char **base)
{
	snprintf(buf, len, "%s", path);
	size_t n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	char *s = strrchr(buf, '/');
	if (!s) {
		*base = buf;
		return open_in_root(g_rootfd, "/", O_PATH | O_DIRECTORY, 0);
	}
	*s = 0;
	*base = s + 1;
	return open_in_root(g_rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY, 1);
}

static const char *fdpath(int fd)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
	return buf;
}

static void device_one(const struct nest_plan *p, const struct plan_device *d)
{
	const char *path = d->path, *base;
	unsigned maj = d->major, min = d->minor;
	mode_t mode = d->mode;
	uid_t uid = d->uid;
	gid_t gid = d->gid;
	mode_t fmt = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	char buf[4096];
	int dfd = open_parent(path, buf, sizeof buf, &base);
	if (dfd < 0)
		fail(path, "device %s", path);
	/* Only the host's root may mknod: in a user namespace (the
	 * container's, or the one a rootless runtime runs in), bind. */
	if (!p->has_ns[NS_USER] && !running_in_userns()) {
		/* The node is made, then changed only through an fd of it that
		 * was checked to be it: a symlink put in its place (a shared
		 * /dev or rootfs) is never followed to a host file while the
		 * host's root is still reachable (CVE-2025-52565). */
		if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
			fail(path, "device %s: unlink", path);
		if (mknodat(dfd, base, fmt | mode, makedev(maj, min)) < 0)
			fail(path, "device %s", path);
		int fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			fail(path, "device %s", path);
		if ((st.st_mode & S_IFMT) != fmt || (fmt != S_IFIFO && st.st_rdev != makedev(maj, min)))
			failx(path, "device %s: replaced while it was made", path);
		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
			fail(path, "device %s: chown", path);
		if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) < 0 &&
		    (errno != ENOSYS || chmod(fdpath(fd), mode) < 0))
			fail(path, "device %s: chmod", path);
		close(fd);
		close(dfd);
		return;
	}
	/* In a user namespace: bind the host's node over a file. */
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (mknodat(dfd, base, S_IFREG | 0644, 0) < 0)
			fail(path, "device %s", path);
	} else if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) {
		errno = EEXIST;
		fail(path, "device %s", path);
	}
	int fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		fail(path, "device %s", path);
	if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
		failx(path, "device %s: replaced by a %s while it was made", path,
		      S_ISLNK(st.st_mode) ? "symlink" : "directory");
	if (mount(path, fdpath(fd), NULL, MS_BIND, NULL) < 0)
		fail(path, "device %s: bind", path);
	close(fd);
	close(dfd);
}

void devices_apply(const struct nest_plan *p)
{
	for (int i = 0; i < p->ndevices; i++)
		device_one(p, &p->devices[i]);
}

void symlinks_apply(const struct nest_plan *p)
{
	for (int i = 0; i < p->nsymlinks; i++) {
		const char *target = p->symlinks[i].target, *link = p->symlinks[i].link, *base;
		char buf[4096], old[4096];
		int dfd = open_parent(link, buf, sizeof buf, &base);
		if (dfd < 0)
			fail(link, "symlink %s", link);
		if (symlinkat(target, dfd, base) < 0) {
			int e = errno;
			ssize_t n = readlinkat(dfd, base, old, sizeof old - 1);
			if (e != EEXIST || n < 0 || (old[n] = 0, strcmp(old, target) != 0)) {
				errno = e;
				fail(link, "symlink %s", link);
			}
		}
		close(dfd);
	}
}

/* After pivot_root: the paths below are the container's own, resolved in
 * the root, and every mount goes on the fd resolved (the new mount API:
 * no path is looked up twice, and no /proc is needed). */

/* The container's /dev/null, checked to be the null device: a symlink or
 * another file swapped in for it (by a container that shares /dev or the
 * rootfs) is never bound over a masked path (CVE-2025-31133). */
static int null_device(void)
{
	int fd = open_in_root(g_rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		fail("/dev/null", "masked: /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		failx("/dev/null", "masked: /dev/null is not the null device (1:3)");
	return fd;
}

/* Puts the mount TREE (an fd of open_tree or fsmount) on the file FD. */
static int move_onto(int tree, int fd)
{
	int r = move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;
	close(tree);
	errno = e;
	return r;
}

static int empty_tmpfs(void)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	int m = -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "0", 0) == 0 &&
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	int e = errno;
	close(fs);
	errno = e;
	return m;
}

static void masked_one(const char *path, int *nullfd)
{
	struct stat st;
	int fd = open_in_root(g_rootfd, path, O_PATH, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail(path, "masked %s", path);
	}
	if (fstat(fd, &st) < 0)
		fail(path, "masked %s", path);
	int tree;
	if (S_ISDIR(st.st_mode)) {
		tree = empty_tmpfs();
	} else {
		if (*nullfd < 0)
			*nullfd = null_device();
		tree = open_tree(*nullfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	}
	if (tree < 0 || move_onto(tree, fd) < 0)
		fail(path, "masked %s", path);
	close(fd);
}

/* A recursive bind of PATH on itself, its top mount read-only (the flags
 * that a user namespace's owner locked are kept by mount_setattr). */
static void readonly_one(const char *path)
{
	int fd = open_in_root(g_rootfd, path, O_PATH, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail(path, "readonly %s", path);
	}
	int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		fail(path, "readonly %s", path);
	if (move_onto(tree, fd) < 0)
		fail(path, "readonly %s", path);
	close(fd);
}

void rootfs_finish(const struct nest_plan *p)
{
	int nullfd = -1;
	for (int i = 0; i < p->nmasked; i++)
		masked_one(p->masked[i], &nullfd);
	if (nullfd >= 0)
		close(nullfd);
	for (int i = 0; i < p->nreadonly; i++)
		readonly_one(p->readonly[i]);
	if (p->rootfs_readonly) {
		unsigned long keep = (locked_mount_flags_at("/") & ~(MS_RDONLY | MS_NODIRATIME));
		if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
			fail("/", "rootfs-readonly");
	}
}
