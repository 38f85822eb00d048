/*
 * The attacker's and the witness's halves of the exec tests (built static,
 * copied into a container's rootfs or run on the host).
 *   execprobe watch DIR     in a container: until DIR/stop exists, scans
 *                           /proc for processes still in their setup (their
 *                           command line is the monitor's, "nest-monitor")
 *                           and opens /proc/PID/{root,cwd,exe,fd/N} of each,
 *                           as often as it can; an object counts when the
 *                           process was still in its setup once it was
 *                           opened. What it opened is written to DIR/opened
 *                           (one line per object, with a count), the counts
 *                           to DIR/summary, and every object that leads out
 *                           of the container to DIR/leaks: a directory whose
 *                           ".." chain ends elsewhere than at our "/", a
 *                           file or device fd from 3 up, an exe that opens
 *                           for writing. A pipe from 3 up that opens for
 *                           writing gets "created 1" (the report a monitor
 *                           sends its spawner, forged: the host's PID 1 for
 *                           the process), counted as pipes_written.
 *   execprobe where         prints "inside CWD" when the cwd's ".." chain
 *                           ends at our "/", else "OUTSIDE CWD"
 *   execprobe fds           prints the fds it was started with ("0 1 2"),
 *                           and for each one that is a directory whether
 *                           its ".." chain ends outside ("OUTSIDE N")
 *   execprobe takepid PID PROG ARGS...
 *                           on the host: forks until a child gets PID
 *                           (through ns_last_pid), which execs PROG; prints
 *                           PID, or exits 1 after 2000 tries
 *   execprobe console SOCK OUT
 *                           a console socket's receiver: listens on SOCK
 *                           until SIGTERM and appends a line to OUT for
 *                           each fd received ("NAME host-devpts|OTHER");
 *                           the fds are kept open until the end
 *   execprobe hold          sleeps until killed
 *   execprobe reap PROG ARGS...
 *                           runs PROG as a child subreaper and exits once
 *                           every descendant left to it has been reaped
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static struct stat root_st;

/* 1: DIRFD's ".." chain ends at our root; 0: it ends elsewhere (a root
 * that is not ours: the host's); -1: the walk failed. */
static int inside(int dirfd)
{
	int cur = dup(dirfd);
	for (int i = 0; cur >= 0 && i < 4096; i++) {
		struct stat a, b;
		if (fstat(cur, &a) < 0)
			break;
		if (a.st_dev == root_st.st_dev && a.st_ino == root_st.st_ino) {
			close(cur);
			return 1;
		}
		int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &b) < 0)
			break;
		close(cur);
		if (b.st_dev == a.st_dev && b.st_ino == a.st_ino) {
			close(up);
			return 0;
		}
		cur = up;
	}
	if (cur >= 0)
		close(cur);
	return -1;
}

static const char *type_of(mode_t m)
{
	return S_ISDIR(m) ? "dir" : S_ISREG(m) ? "file" : S_ISCHR(m) ? "chr" : S_ISBLK(m) ? "blk" :
	       S_ISFIFO(m) ? "pipe" : S_ISSOCK(m) ? "socket" : S_ISLNK(m) ? "symlink" : "other";
}

/* ---- watch ---- */

#define MAXREC 512
static struct rec {
	char line[600];
	unsigned long n;
} recs[MAXREC];
static int nrecs;
static unsigned long setup_pids, other_pids, opened, after_exec, denied, leaks, pipes_written;
static const char *outdir;

static void note(const char *line, int leak)
{
	for (int i = 0; i < nrecs; i++)
		if (strcmp(recs[i].line, line) == 0) {
			recs[i].n++;
			return;
		}
	if (nrecs < MAXREC) {
		snprintf(recs[nrecs].line, sizeof recs[nrecs].line, "%s", line);
		recs[nrecs++].n = 1;
	}
	if (leak) {
		char path[4096];
		snprintf(path, sizeof path, "%s/leaks", outdir);
		FILE *f = fopen(path, "a");
		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
	}
}

/* What fd FD (opened from /proc/PID/WHAT) is; a leak is noted as such. */
static void judge(const char *what, int fdnum, int fd)
{
	char self[64], link[512] = "?", line[600];
	struct stat st;
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(self, link, sizeof link - 1);
	if (n >= 0)
		link[n] = 0;
	if (fstat(fd, &st) < 0) {
		snprintf(line, sizeof line, "%s -> %s: fstat failed", what, link);
		note(line, 0);
		return;
	}
	const char *verdict = "given";
	int leak = 0;
	if (S_ISDIR(st.st_mode)) {
		int in = inside(fd);
		verdict = in == 1 ? "inside" : in == 0 ? "OUTSIDE the container" : "walk failed";
		leak = in != 1;
	} else if (strcmp(what, "exe") == 0) {
		int w = open(self, O_WRONLY | O_CLOEXEC);
		verdict = w >= 0 ? "OPENS FOR WRITING" : "read-only";
		leak = w >= 0;
		if (w >= 0)
			close(w);
	} else if (fdnum >= 3 && S_ISREG(st.st_mode) && strchr(link, ':') && link[0] != '/') {
		/* a namespace the process joins ("net:[4026531840]"): it
		 * opens through /proc/PID/ns once the process runs anyway */
		verdict = "a namespace";
	} else if (fdnum >= 3 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))) {
		verdict = "LEAKED host file";
		leak = 1;
	} else if (fdnum >= 3 && S_ISFIFO(st.st_mode)) {
		int w = open(self, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		verdict = "a pipe that does not open for writing";
		if (w >= 0) {
			verdict = "a pipe that opens for writing";
			if (write(w, "created 1\n", 10) == 10) {
				verdict = "A PIPE WRITTEN INTO";
				pipes_written++;
			}
			close(w);
		}
	} else if (fdnum >= 3) {
		verdict = "kept";
	}
	if (fdnum >= 0)
		snprintf(line, sizeof line, "fd %d -> %s (%s): %s", fdnum, link, type_of(st.st_mode), verdict);
	else
		snprintf(line, sizeof line, "%s -> %s (%s): %s", what, link, type_of(st.st_mode), verdict);
	if (leak)
		leaks++;
	note(line, leak);
}

/* 1 while PID runs the monitor's image (before its program's exec) */
static int in_setup(const char *pid)
{
	char path[300], buf[64];
	snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strcmp(buf, "nest-monitor") == 0;
}

static void try_open(const char *pid, const char *what, int fdnum)
{
	char path[400];
	snprintf(path, sizeof path, "/proc/%s/%s", pid, what);
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		denied++;
		return;
	}
	/* opened from the monitor's image: before the program's exec (after
	 * it, the process is the container's own, dumpable as any) */
	if (!in_setup(pid)) {
		after_exec++;
		close(fd);
		return;
	}
	opened++;
	const char *kind = strncmp(what, "fd/", 3) == 0 ? "fd" : what;
	judge(kind, fdnum, fd);
	close(fd);
}

static void probe(const char *pid)
{
	try_open(pid, "root", -1);
	try_open(pid, "cwd", -1);
	try_open(pid, "exe", -1);
	char path[300];
	snprintf(path, sizeof path, "/proc/%s/fd", pid);
	DIR *d = opendir(path);
	if (!d) {
		denied++;
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char what[300];
		snprintf(what, sizeof what, "fd/%s", e->d_name);
		try_open(pid, what, atoi(e->d_name));
	}
	closedir(d);
}

static void write_results(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/opened", outdir);
	FILE *f = fopen(path, "w");
	if (f) {
		for (int i = 0; i < nrecs; i++)
			fprintf(f, "%lu x %s\n", recs[i].n, recs[i].line);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/summary", outdir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "setup_pids %lu\nother_pids %lu\nopened %lu\nafter_exec %lu\ndenied %lu\nleaks %lu\npipes_written %lu\n",
			setup_pids, other_pids, opened, after_exec, denied, leaks, pipes_written);
		fclose(f);
	}
}

static int watch(const char *dir)
{
	outdir = dir;
	/* a pipe whose reader has gone fails the write, not the watcher */
	signal(SIGPIPE, SIG_IGN);
	char stop[4096];
	snprintf(stop, sizeof stop, "%s/stop", dir);
	/* pids are not reused in the hundreds of execs of a test */
	static unsigned char seen[4194304 / 8 + 1], setup[4194304 / 8 + 1];
	int me = getpid();
	while (access(stop, F_OK) < 0) {
		DIR *d = opendir("/proc");
		if (!d)
			return 1;
		struct dirent *e;
		while ((e = readdir(d))) {
			int pid = atoi(e->d_name);
			if (pid <= 1 || pid == me || pid > 4194304)
				continue;
			unsigned bit = 1u << (pid & 7);
			if ((seen[pid >> 3] & bit) && !(setup[pid >> 3] & bit))
				continue;
			int s = in_setup(e->d_name);
			if (!(seen[pid >> 3] & bit)) {
				seen[pid >> 3] |= bit;
				if (s) {
					setup[pid >> 3] |= bit;
					setup_pids++;
				} else {
					other_pids++;
				}
			}
			if (!s) {
				setup[pid >> 3] &= (unsigned char)~bit;
				continue;
			}
			probe(e->d_name);
		}
		closedir(d);
	}
	write_results();
	return 0;
}

/* ---- console ---- */

static volatile sig_atomic_t stopped;
static void on_term(int sig)
{
	(void)sig;
	stopped = 1;
}

static int console(const char *path, const char *out)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
	unlink(path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(l, 16) < 0)
		return 2;
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	struct stat host;
	if (stat("/dev/pts/ptmx", &host) < 0)
		return 2;
	while (!stopped) {
		int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		char name[256] = "", cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { name, sizeof name - 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
		ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
		struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL;
		FILE *f = fopen(out, "a");
		if (n > 0)
			name[n] = 0;
		if (cm && cm->cmsg_type == SCM_RIGHTS) {
			int fd;
			struct stat st;
			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
			const char *where = fstat(fd, &st) < 0 ? "unknown" : st.st_dev == host.st_dev ? "host-devpts" : "other-devpts";
			if (f)
				fprintf(f, "%s %s\n", name, where);
		} else if (f) {
			fprintf(f, "%s no-fd\n", name);
		}
		if (f)
			fclose(f);
		close(c);
	}
	return 0;
}

/* ---- takepid ---- */

static int takepid(int pid, char **argv)
{
	for (int i = 0; i < 2000; i++) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || dprintf(fd, "%d", pid - 1) < 0)
			return 2;
		close(fd);
		pid_t c = fork();
		if (c < 0)
			return 2;
		if (c == 0) {
			if (getpid() != pid)
				_exit(0);
			/* it outlives us: our caller's pipes are not its */
			int null = open("/dev/null", O_RDWR);
			for (int i = 0; i < 3; i++)
				dup2(null, i);
			setsid();
			execvp(argv[0], argv);
			_exit(127);
		}
		if (c == pid) {
			printf("%d\n", pid);
			return 0;
		}
		waitpid(c, NULL, 0);
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (stat("/", &root_st) < 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "watch") == 0)
		return watch(argv[2]);
	if (argc == 2 && strcmp(argv[1], "where") == 0) {
		char cwd[4096] = "?";
		if (!getcwd(cwd, sizeof cwd))
			snprintf(cwd, sizeof cwd, "(unreachable: %s)", strerror(errno));
		int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		printf("%s %s\n", fd >= 0 && inside(fd) == 1 ? "inside" : "OUTSIDE", cwd);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "fds") == 0) {
		DIR *d = opendir("/proc/self/fd");
		if (!d)
			return 2;
		struct dirent *e;
		const char *sep = "";
		while ((e = readdir(d))) {
			int fd = atoi(e->d_name);
			struct stat st;
			if (e->d_name[0] == '.' || fd == dirfd(d))
				continue;
			printf("%s%d", sep, fd);
			if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && inside(fd) != 1)
				printf(" OUTSIDE %d", fd);
			sep = " ";
		}
		printf("\n");
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "takepid") == 0)
		return takepid(atoi(argv[2]), argv + 3);
	if (argc == 4 && strcmp(argv[1], "console") == 0)
		return console(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "reap") == 0) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			return 2;
		pid_t c = fork();
		if (c == 0) {
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		while (wait(NULL) > 0 || errno == EINTR)
			;
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "hold") == 0) {
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: execprobe watch DIR | where | takepid PID PROG... | hold\n");
	return 2;
}
