/* The volume seed copy (nest_volume.h): fd-relative and O_NOFOLLOW all the
 * way, because SRC is a container's rootfs, whose content its owner chose. */
#define _GNU_SOURCE
#include "nest_volume.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 128

static int fail(char *where, size_t len, const char *path)
{
	int e = errno;
	snprintf(where, len, "%s", path);
	errno = e;
	return -1;
}

static int copy_attrs(int fd, const struct stat *st)
{
	struct timespec t[2] = { st->st_atim, st->st_mtim };
	if (fchown(fd, st->st_uid, st->st_gid) != 0 || fchmod(fd, st->st_mode & 07777) != 0 || futimens(fd, t) != 0)
		return -1;
	return 0;
}

static int copy_data(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return -1;
		break;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			off += w;
		}
	}
}

static int copy_dir(int src, int dst, const char *path, int depth, char *where, size_t len);

static int copy_entry(int src, int dst, const char *name, const char *path, int depth, char *where, size_t len)
{
	struct stat st;
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return fail(where, len, path);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		if (depth >= MAX_DEPTH) {
			errno = ELOOP;
			return fail(where, len, path);
		}
		if (mkdirat(dst, name, 0700) != 0)
			return fail(where, len, path);
		int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0)
			return fail(where, len, path);
		int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0) {
			close(s);
			return fail(where, len, path);
		}
		int rc = copy_dir(s, d, path, depth + 1, where, len);
		close(s);
		close(d);
		return rc;
	}
	case S_IFREG: {
		int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (in < 0)
			return fail(where, len, path);
		struct stat now;
		/* swapped for something else since the fstatat: not copied */
		if (fstat(in, &now) != 0 || !S_ISREG(now.st_mode)) {
			close(in);
			errno = EAGAIN;
			return fail(where, len, path);
		}
		int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0) {
			close(in);
			return fail(where, len, path);
		}
		int rc = copy_data(in, out) == 0 && copy_attrs(out, &now) == 0 ? 0 : -1;
		int e = errno;
		close(in);
		close(out);
		errno = e;
		return rc == 0 ? 0 : fail(where, len, path);
	}
	case S_IFLNK: {
		char target[4097];
		ssize_t n = readlinkat(src, name, target, sizeof target - 1);
		if (n < 0)
			return fail(where, len, path);
		target[n] = 0;
		struct timespec t[2] = { st.st_atim, st.st_mtim };
		if (symlinkat(target, dst, name) != 0 || fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
		    utimensat(dst, name, t, AT_SYMLINK_NOFOLLOW) != 0)
			return fail(where, len, path);
		return 0;
	}
	case S_IFIFO: {
		struct timespec t[2] = { st.st_atim, st.st_mtim };
		if (mknodat(dst, name, S_IFIFO | 0600, 0) != 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
		    fchmodat(dst, name, st.st_mode & 07777, 0) != 0 || utimensat(dst, name, t, AT_SYMLINK_NOFOLLOW) != 0)
			return fail(where, len, path);
		return 0;
	}
	default:
		return 0;
	}
}

static int copy_dir(int src, int dst, const char *path, int depth, char *where, size_t len)
{
	struct stat st;
	if (fstat(src, &st) != 0)
		return fail(where, len, path);
	int lister = dup(src);
	if (lister < 0)
		return fail(where, len, path);
	DIR *dir = fdopendir(lister);
	if (!dir) {
		close(lister);
		return fail(where, len, path);
	}
	int rc = 0;
	struct dirent *e;
	char child[4096];
	errno = 0;
	while ((e = readdir(dir)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child) {
			errno = ENAMETOOLONG;
			rc = fail(where, len, path);
			break;
		}
		if (copy_entry(src, dst, e->d_name, child, depth, where, len) != 0) {
			rc = -1;
			break;
		}
		errno = 0;
	}
	if (rc == 0 && errno != 0)
		rc = fail(where, len, path);
	int saved = errno;
	closedir(dir);
	errno = saved;
	if (rc == 0 && copy_attrs(dst, &st) != 0)
		rc = fail(where, len, path);
	return rc;
}

int nest_copy_tree(int src, int dst, char *where, size_t where_len)
{
	if (where_len)
		where[0] = 0;
	return copy_dir(src, dst, ".", 0, where, where_len);
}

int nest_rename_noreplace(const char *from, const char *to)
{
	return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}
