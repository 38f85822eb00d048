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
#include <unistd.h>

#include "nest.h"

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

static void device_one(struct rec *r)
{
	const char *path = r->f[0], *type = r->f[1], *base;
	unsigned maj = (unsigned)parse_long(r->f[2], 10, "device major");
	unsigned min = (unsigned)parse_long(r->f[3], 10, "device minor");
	mode_t mode = (mode_t)parse_long(r->f[4], 8, "device mode") & 07777;
	uid_t uid = (uid_t)parse_long(r->f[5], 10, "device uid");
	gid_t gid = (gid_t)parse_long(r->f[6], 10, "device gid");
	mode_t fmt;
	if (strcmp(type, "c") == 0 || strcmp(type, "u") == 0)
		fmt = S_IFCHR;
	else if (strcmp(type, "b") == 0)
		fmt = S_IFBLK;
	else if (strcmp(type, "p") == 0)
		fmt = S_IFIFO;
	else
		failx("device %s: unknown type %s", path, type);
	char buf[4096];
	int dfd = open_parent(path, buf, sizeof buf, &base);
	if (dfd < 0)
		fail("device %s", path);
	if (!ns_in_userns()) {
		if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
			fail("device %s: unlink", path);
		if (mknodat(dfd, base, fmt | mode, makedev(maj, min)) < 0)
			fail("device %s", path);
		if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			fail("device %s: chown", path);
		if (fchmodat(dfd, base, mode, 0) < 0)
			fail("device %s: chmod", path);
		close(dfd);
		return;
	}
	/* In a user namespace: bind the host's node over a file. */
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (mknodat(dfd, base, S_IFREG | 0644, 0) < 0)
			fail("device %s", path);
	} else if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) {
		errno = EEXIST;
		fail("device %s", path);
	}
	int fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail("device %s", path);
	if (mount(path, fdpath(fd), NULL, MS_BIND, NULL) < 0)
		fail("device %s: bind", path);
	close(fd);
	close(dfd);
}

void devices_apply(void)
{
	for (struct rec *r = NULL; (r = plan_next("device", r));)
		device_one(r);
}

void symlinks_apply(void)
{
	for (struct rec *r = NULL; (r = plan_next("symlink", r));) {
		const char *target = r->f[0], *link = r->f[1], *base;
		char buf[4096], old[4096];
		int dfd = open_parent(link, buf, sizeof buf, &base);
		if (dfd < 0)
			fail("symlink %s", link);
		if (symlinkat(target, dfd, base) < 0) {
			int e = errno;
			ssize_t n = readlinkat(dfd, base, old, sizeof old - 1);
			if (e != EEXIST || n < 0 || (old[n] = 0, strcmp(old, target) != 0)) {
				errno = e;
				fail("symlink %s", link);
			}
		}
		close(dfd);
	}
}

/* After pivot_root: the paths below are the container's own. */
static int open_target(const char *path, char *tgt, size_t len)
{
	int fd = open_in_root(g_rootfd, path, O_PATH, 0);
	if (fd < 0)
		return -1;
	if (access("/proc/self/fd", X_OK) == 0)
		snprintf(tgt, len, "/proc/self/fd/%d", fd);
	else
		snprintf(tgt, len, "%s", path);
	return fd;
}

static void masked_one(const char *path)
{
	char tgt[128];
	struct stat st;
	int fd = open_target(path, tgt, sizeof tgt);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail("masked %s", path);
	}
	if (fstat(fd, &st) < 0)
		fail("masked %s", path);
	int r;
	if (S_ISDIR(st.st_mode))
		r = mount("tmpfs", tgt, "tmpfs", MS_RDONLY, "size=0");
	else
		r = mount("/dev/null", tgt, NULL, MS_BIND, NULL);
	if (r < 0)
		fail("masked %s", path);
	close(fd);
}

static void readonly_one(const char *path)
{
	char tgt[128];
	int fd = open_target(path, tgt, sizeof tgt);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail("readonly %s", path);
	}
	if (mount(tgt, tgt, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail("readonly %s", path);
	close(fd);
	fd = open_target(path, tgt, sizeof tgt);
	if (fd < 0)
		fail("readonly %s", path);
	unsigned long keep = (locked_mount_flags_at(tgt) & ~(MS_RDONLY | MS_NODIRATIME));
	if (mount(NULL, tgt, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		fail("readonly %s: remount", path);
	close(fd);
}

void rootfs_finish(void)
{
	for (struct rec *r = NULL; (r = plan_next("masked", r));)
		masked_one(r->f[0]);
	for (struct rec *r = NULL; (r = plan_next("readonly", r));)
		readonly_one(r->f[0]);
	if (strcmp(plan_str("rootfs-readonly", "0"), "1") == 0) {
		unsigned long keep = (locked_mount_flags_at("/") & ~(MS_RDONLY | MS_NODIRATIME));
		if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
			fail("rootfs-readonly");
	}
}
