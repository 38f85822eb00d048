/*
 * nest-monitor -u list NSPATH ROOTFS
 * nest-monitor -u undo NSPATH DEV INO ROOTFS [ID...]
 *
 * The mounts a container makes in a mount namespace it joins by path stay
 * there after its processes are gone. The runtime is multi-threaded and
 * cannot setns(CLONE_NEWNS); this single-threaded mode enters the
 * namespace for it (docs/security.md, "A container without a mount
 * namespace of its own").
 *
 * list, at create before the monitor runs: the namespace's identity
 * (st_dev st_ino of NSPATH's target), ROOTFS as that namespace resolves
 * it, then the ids of the mounts already at or below it, one a line.
 *
 * undo, at delete: when NSPATH still names the namespace DEV INO, every
 * mount at or below ROOTFS but the IDs is detached, deepest first; the
 * report is `done` then the mount points (mountinfo-escaped) that could
 * not be unmounted. `gone REASON` when the namespace is not reachable any
 * more: it ended with its mounts, or NSPATH names another one now (its
 * holder died and the pid was reused) whose mounts are not the container's.
 *
 * Everything goes to fd 3; a failure is an error record there (as the
 * monitor's) and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

#define MAX_MOUNTS 4096

struct mnt {
	long id;
	int depth;
	char *point; /* unescaped */
	char *raw;   /* as mountinfo shows it */
};

static FILE *g_out;

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

static int under(const char *point, const char *root)
{
	size_t n = strlen(root);
	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(point, root, n) == 0 && (point[n] == 0 || point[n] == '/');
}

/* The mounts of our namespace at or below ROOT, in mountinfo's order (a
 * mount after the one it is on). Returns their count, -1 on error. */
static int mounts_under(const char *root, struct mnt *out, int max)
{
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	while (getline(&line, &cap, fp) > 0 && n < max) {
		char *save, *f[5];
		int i = 0;
		for (char *t = strtok_r(line, " ", &save); t && i < 5; t = strtok_r(NULL, " ", &save))
			f[i++] = t;
		if (i < 5)
			continue;
		char *raw = strdup(f[4]), *point = strdup(f[4]);
		if (!raw || !point) {
			free(raw);
			free(point);
			break;
		}
		unescape(point);
		if (!under(point, root)) {
			free(raw);
			free(point);
			continue;
		}
		int depth = 0;
		for (const char *c = point; *c; c++)
			depth += *c == '/';
		out[n++] = (struct mnt){ .id = strtol(f[0], NULL, 10), .depth = depth, .point = point, .raw = raw };
	}
	free(line);
	fclose(fp);
	return n;
}

static void mounts_free(struct mnt *m, int n)
{
	for (int i = 0; i < n; i++) {
		free(m[i].point);
		free(m[i].raw);
	}
}

/* Keeps the container's (not in KEEP); deepest first, and at one point
 * the later (upper) mount first. Returns the new count. */
static int theirs(struct mnt *m, int n, char **keep, int nkeep)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		int kept = 0;
		for (int j = 0; j < nkeep && !kept; j++)
			kept = strtol(keep[j], NULL, 10) == m[i].id;
		if (kept) {
			free(m[i].point);
			free(m[i].raw);
		} else {
			m[k++] = m[i];
		}
	}
	/* an insertion sort: deeper first, then later first */
	for (int i = 1; i < k; i++) {
		struct mnt x = m[i];
		int j = i - 1;
		while (j >= 0 && m[j].depth <= x.depth) {
			m[j + 1] = m[j];
			j--;
		}
		m[j + 1] = x;
	}
	return k;
}

static int same_ids(const struct mnt *a, int na, const long *b, int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (a[i].id != b[i])
			return 0;
	return 1;
}

static int open_ns(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void enter(int fd, const char *path)
{
	if (setns(fd, CLONE_NEWNS) < 0) {
		/* setns checks the fd is a namespace of the type named */
		if (errno == EINVAL)
			failx(path, "namespace mount %s: not a mount namespace", path);
		fail(path, "namespace mount %s", path);
	}
	close(fd);
}

static int do_list(const char *nspath, const char *rootfs)
{
	static struct mnt m[MAX_MOUNTS];
	struct stat st;
	int fd = open_ns(nspath, &st);
	if (fd < 0)
		fail(nspath, "namespace mount %s", nspath);
	enter(fd, nspath);
	/* the rootfs as the monitor will find it there */
	char root[PATH_MAX];
	if (!realpath(rootfs, root))
		snprintf(root, sizeof root, "%s", rootfs);
	int n = mounts_under(root, m, MAX_MOUNTS);
	if (n < 0)
		fail("/proc/self/mountinfo", "mountinfo /proc/self/mountinfo");
	fprintf(g_out, "%llu %llu\n%s\n", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, root);
	for (int i = 0; i < n; i++)
		fprintf(g_out, "%ld\n", m[i].id);
	mounts_free(m, n);
	return fflush(g_out) == 0 ? 0 : 1;
}

static int do_undo(const char *nspath, const char *dev, const char *ino, const char *root, char **keep, int nkeep)
{
	static struct mnt m[MAX_MOUNTS];
	static long last[MAX_MOUNTS];
	int nlast = -1;
	struct stat st;
	int fd = open_ns(nspath, &st);
	if (fd < 0) {
		fprintf(g_out, "gone %s: %s\n", nspath, strerror(errno));
		return fflush(g_out) == 0 ? 0 : 1;
	}
	if (strtoull(dev, NULL, 10) != (unsigned long long)st.st_dev ||
	    strtoull(ino, NULL, 10) != (unsigned long long)st.st_ino) {
		fprintf(g_out, "gone %s names another namespace now\n", nspath);
		return fflush(g_out) == 0 ? 0 : 1;
	}
	enter(fd, nspath);
	/* A detached mount takes those below it along: each round reads what
	 * is left, until nothing of the container's is or nothing more goes. */
	int n;
	for (int round = 0;; round++) {
		n = mounts_under(root, m, MAX_MOUNTS);
		if (n < 0)
			fail("/proc/self/mountinfo", "mountinfo /proc/self/mountinfo");
		n = theirs(m, n, keep, nkeep);
		if (n == 0 || round == 8 || same_ids(m, n, last, nlast))
			break;
		for (int i = 0; i < n; i++) {
			last[i] = m[i].id;
			/* the kernel's path of a mount at or below the host's
			 * rootfs path; its last component is not followed */
			umount2(m[i].point, MNT_DETACH | UMOUNT_NOFOLLOW);
		}
		nlast = n;
		mounts_free(m, n);
	}
	fprintf(g_out, "done\n");
	for (int i = 0; i < n; i++)
		fprintf(g_out, "%s\n", m[i].raw);
	mounts_free(m, n);
	return fflush(g_out) == 0 ? 0 : 1;
}

int joined_mnt_main(int argc, char **argv)
{
	if (stdio_ensure() < 0)
		return 1;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		return 1;
	g_sync_fd = 3;
	/* the binary we run from, passed after the report pipe */
	syscall(SYS_close_range, 4U, ~0U, 0U);
	g_out = fdopen(dup(3), "w");
	if (!g_out)
		fail(NULL, "report: fd 3");
	if (argc == 5 && strcmp(argv[2], "list") == 0)
		return do_list(argv[3], argv[4]);
	if (argc >= 7 && strcmp(argv[2], "undo") == 0)
		return do_undo(argv[3], argv[4], argv[5], argv[6], argv + 7, argc - 7);
	failx(NULL, "usage: nest-monitor -u list NSPATH ROOTFS | -u undo NSPATH DEV INO ROOTFS [ID...]");
}
