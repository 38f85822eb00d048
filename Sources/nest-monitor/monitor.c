/*
 * nest-monitor [-g FD] PLANFILE
 * nest-monitor -z SOCKFD [PAD]   (the zygote, zygote.c)
 * nest-monitor -u list|undo ...  (a joined mount namespace, joinedmnt.c)
 *
 * Executes a launch plan (docs/launch-plan.md): clones the container init,
 * reports `created PID` or `error MESSAGE` on the sync fd, waits for the
 * init and writes the status file.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nest.h"



/*
 * The functions with large buffers that monitor_main calls are kept out of
 * line (NOINLINE): the container init is cloned inside monitor_main's
 * frame and its stack starts below it, so every page of that frame is a
 * page the container's PID 1 (and the monitor that stays) keeps for the
 * container's life.
 */
#define NOINLINE __attribute__((noinline))

/* Writes S to PATH atomically: PATH.tmp, fsync, rename. */
static NOINLINE int write_atomic(const char *path, const char *s)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, s, strlen(s)) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

/* Closes every fd from 3 up but A and B (either may be -1). */
static void close_fds_except(int a, int b)
{
	int keep[2] = { a < b ? a : b, a < b ? b : a };
	unsigned from = 3U + (unsigned)g_preserve_fds;
	for (int i = 0; i < 2; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from && syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0U) < 0)
			for (int fd = (int)from; fd < keep[i]; fd++)
				close(fd);
		from = (unsigned)keep[i] + 1;
	}
	if (syscall(SYS_close_range, from, ~0U, 0U) < 0)
		for (int fd = (int)from; fd < 1024; fd++)
			close(fd);
}

/* The first write to a cgroup.procs after an idle gap waits for an RCU
 * grace period (cgroup_threadgroup_rwsem): the init sets itself up
 * meanwhile. If it failed already, its message is the error. */
static NOINLINE void join_cgroups(const struct nest_plan *p, int chan, pid_t pid)
{
	/* An early monitor's spawner makes the cgroups while the init makes
	 * its namespaces; a second byte on the go channel says they exist, EOF
	 * that they could not be made (the spawner reports why). */
	if (g_go_fd >= 0) {
		char made;
		ssize_t n;
		do
			n = read(g_go_fd, &made, 1);
		while (n < 0 && errno == EINTR);
		close(g_go_fd);
		g_go_fd = -1;
		if (n != 1)
			failx(NULL, "cgroups: the spawner did not make them");
		mtrace("cgroups made");
	}
	chan_send(chan, "K");
	for (int i = 0; i < p->ncgroup_joins; i++) {
		const char *dir = p->cgroup_joins[i];
		char path[4200], val[32], msg[8600];
		snprintf(path, sizeof path, "%s/cgroup.procs", dir);
		int n = snprintf(val, sizeof val, "%d", (int)pid);
		if (write_file(path, val, (size_t)n) < 0) {
			int e = errno;
			ssize_t m = chan_recv_flags(chan, msg, sizeof msg, MSG_DONTWAIT);
			if (m > 1 && msg[0] == 'E')
				fail_relay(msg + 1);
			errno = e;
			fail(dir, "cgroup-join %s", dir);
		}
	}
	mtrace("cgroups joined");
	crash_point("monitor:joined");
}

static int oom_killed(const struct nest_plan *p)
{
	const char *path = p->oom_file;
	if (!path)
		return 0;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return 0;
	char line[256];
	long n = 0;
	while (fgets(line, sizeof line, fp))
		if (strncmp(line, "oom_kill ", 9) == 0)
			n = strtol(line + 9, NULL, 10);
	fclose(fp);
	return n > 0;
}

static NOINLINE void write_status(const struct nest_plan *p, int st)
{
	int code = 0, sig = 0;
	if (WIFEXITED(st)) {
		code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		sig = WTERMSIG(st);
		code = 128 + sig;
	}
	extern char g_finished[64];
	char ts[64], buf[256];
	if (g_finished[0])
		snprintf(ts, sizeof ts, "%s", g_finished);
	else
		rfc3339nano(ts, sizeof ts);
	snprintf(buf, sizeof buf,
		 "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"finishedAt\":\"%s\"}\n",
		 code, sig, oom_killed(p) ? "true" : "false", ts);
	const char *path = p->status_file;
	if (write_atomic(path, buf) < 0) {
		dprintf(2, "nest-monitor: status-file %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Talks with the child until it is ready ("R"): "G" lets it go, the
 * cgroups are joined while it works ("C" when done; before "G" when the
 * init is a fork of the child: it must inherit them). */
static NOINLINE void setup_dialog(const struct nest_plan *p, int chan, pid_t *pidp)
{
	char msg[8600], go[32];
	pid_t pid = *pidp;
	int early = ns_pid_needs_fork(p);
	if (early)
		join_cgroups(p, chan, pid);
	snprintf(go, sizeof go, "G%d", (int)pid);
	if (chan_send(chan, go) < 0)
		fail(NULL, "container init");
	if (!early)
		join_cgroups(p, chan, pid);
	chan_send(chan, "C"); /* if the init is gone, its message follows */
	for (;;) {
		ssize_t n = chan_recv(chan, msg, sizeof msg);
		if (n <= 0) {
			int st;
			child_wait_gone(&st);
			g_child = 0;
			if (st < 0)
				failx(NULL, "container init exited during setup");
			failx(NULL, "container init exited during setup (status %d)",
			      WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
		if (msg[0] == 'E')
			fail_relay(msg + 1);
		if (msg[0] == 'R')
			return;
		if (msg[0] == 'P') {
			/* the init is a fork of the cloned child (ns_pid_needs_fork) */
			pid_t init = (pid_t)atoi(msg + 1);
			int st;
			/* a handed-off clone is our spawner's to reap */
			while (!g_handoff && waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			if (init <= 0)
				failx(NULL, "container init: bad pid");
			*pidp = pid = g_child = init;
			if (g_handoff) {
				close(g_child_pidfd);
				g_child_pidfd = (int)syscall(SYS_pidfd_open, init, 0);
				if (g_child_pidfd < 0)
					fail(NULL, "container init: pidfd");
			}
			snprintf(go, sizeof go, "G%d", (int)pid);
			if (chan_send(chan, go) < 0)
				fail(NULL, "container init");
		}
		if (msg[0] == 'U') {
			ns_write_maps(p, pid, 1);
			if (chan_send(chan, go) < 0)
				fail(NULL, "container init");
		}
		if (msg[0] == 'N') {
			struct step_error e = { 0 };
			if (hooks_run(p, HOOK_PRESTART, pid, "created", &e) < 0 ||
			    hooks_run(p, HOOK_CREATE_RUNTIME, pid, "created", &e) < 0)
				fail_with(&e);
			if (chan_send(chan, go) < 0)
				fail(NULL, "container init");
		}
	}
}

/* Started ahead of its plan (spawned with -g, or forked by the zygote
 * with a go channel), so that its start overlaps the spawner's work: a
 * byte on FD says the plan is written, EOF that the spawner gave up (not
 * an error: -1, and the monitor exits quietly). FD stays g_go_fd for the
 * second byte, "the cgroups exist". */
int monitor_wait_go(int fd)
{
	char go;
	ssize_t n;
	g_go_fd = fd;
	do
		n = read(g_go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -1;
	fcntl(g_go_fd, F_SETFD, FD_CLOEXEC);
	mtrace("go");
	return 0;
}

void *g_heap_start;
int g_go_fd = -1;
char *g_args;
size_t g_args_len;

int main(int argc, char **argv)
{
	/* Where our allocations begin: the static TLS block lies below it
	 * (placed with sbrk before main) and must never be given back. */
	g_heap_start = malloc(1);
	free(g_heap_start);
	g_args = argv[0];
	g_args_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
	if (argc >= 3 && strcmp(argv[1], "-z") == 0)
		return zygote_main(atoi(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "-H") == 0)
		return hook_mode_main(argc, argv);
	if (argc == 3 && strcmp(argv[1], "-x") == 0)
		return exec_main(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "-u") == 0)
		return joined_mnt_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "-n") == 0)
		return netns_mode_main(argc, argv);
	mtrace("start");
	const char *plan = argc == 2 ? argv[1] : NULL;
	if (argc == 4 && strcmp(argv[1], "-g") == 0) {
		if (monitor_wait_go(atoi(argv[2])) < 0)
			return 0;
		plan = argv[3];
	}
	if (!plan) {
		dprintf(2, "usage: nest-monitor [-g FD] PLANFILE | -x PLANFILE | -z SOCKFD [PAD] | -H KIND PLANFILE PID STATUS | -n make|remove PATH\n");
		return 2;
	}
	return monitor_main(plan);
}

/* Loads the plan at PATH into PLAN, or reports why not and exits; -1 when
 * fds 0-2 cannot be made to exist (nowhere to report). */
int load_plan(struct nest_plan *plan, const char *path)
{
	char err[4096];
	if (stdio_ensure() < 0)
		return -1;
	int rc = plan_load(plan, path, err, sizeof err);
	/* a plan refused after its sync-fd record still reports there */
	if (plan->sync_fd >= 0) {
		g_sync_fd = plan->sync_fd;
		if (fcntl(g_sync_fd, F_SETFD, FD_CLOEXEC) < 0)
			g_sync_fd = -1;
	}
	if (rc < 0)
		failx(path, "%s", err);
	return 0;
}

/* A failure after `created` (exec-fifo, startContainer, exec): the init's
 * error record, if it left one on CHAN. */
static NOINLINE void report_late_failure(int chan)
{
	char msg[8600];
	ssize_t n = recv(chan, msg, sizeof msg - 1, MSG_DONTWAIT);
	if (n > 1 && msg[0] == 'E') {
		msg[n] = 0;
		dprintf(2, "nest-monitor: %s\n", error_record_message(msg + 1));
	}
}

/* Executes the plan at PATH: the monitor proper. */
int monitor_main(const char *path)
{
	/* Lives as long as the monitor; the container init, its clone, has
	 * its copy. */
	static struct nest_plan plan;
	const struct nest_plan *p = &plan;
	if (load_plan(&plan, path) < 0)
		return 1;
	g_handoff = plan.handoff;
	if (plan.exec_pid)
		failx(path, "plan: an exec plan is run by nest-monitor -x");
	g_preserve_fds = plan.preserve_fds;
	if (setsid() < 0 && errno != EPERM)
		fail(NULL, "setsid");
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		fail(NULL, "child subreaper");
	if (chdir("/") < 0)
		fail("/", "chdir /");
	/* Nothing but 0, 1, 2 reaches the container, and the monitor keeps
	 * nothing of its spawner's but them and the sync fd. */
	close_fds_except(g_sync_fd, g_go_fd);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);

	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	if (p->stdio == STDIO_LOG) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
			fail(NULL, "stdio log: pipe");
		log_setup(p, out, errp);
	}
	ns_open_joins(p);
	ns_monitor_prepare();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fail(NULL, "socketpair");

	/* Handed off, the init is our spawner's child: a pidfd tells us of
	 * its end (docs/architecture.md, "Process model"). */
	unsigned long flags = ns_clone_flags(p) | SIGCHLD;
	int pidfd = -1;
	if (p->handoff)
		flags |= CLONE_PARENT | CLONE_PIDFD;
	pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, p->handoff ? &pidfd : NULL, NULL, NULL);
	if (pid < 0)
		fail(NULL, "clone");
	if (pid == 0) {
		g_in_child = 1;
		g_chan = sv[1];
		close(sv[0]);
		if (g_sync_fd >= 0)
			close(g_sync_fd);
		g_sync_fd = -1;
		if (out[0] >= 0) {
			close(out[0]);
			close(errp[0]);
		}
		child_main(p, out[1], errp[1]);
		_exit(1);
	}
	g_child = pid;
	g_child_pidfd = pidfd;
	/* the preserved fds are the container's now */
	if (g_preserve_fds > 0)
		(void)syscall(SYS_close_range, 3U, 2U + (unsigned)g_preserve_fds, 0U);
	mtrace("clone");
	crash_point("monitor:clone");
	close(sv[1]);
	ns_close_joins();
	if (out[1] >= 0) {
		close(out[1]);
		close(errp[1]);
	}
	ns_write_maps(p, pid, 0);
	setup_dialog(p, sv[0], &pid);
	mtrace("init ready");

	char buf[64];
	snprintf(buf, sizeof buf, "%d", (int)pid);
	if (p->pid_file && write_atomic(p->pid_file, buf) < 0)
		fail(p->pid_file, "pid-file %s", p->pid_file);
	snprintf(buf, sizeof buf, "created %d\n", (int)pid);
	if (g_sync_fd >= 0) {
		write_all(g_sync_fd, buf, strlen(buf));
		close(g_sync_fd);
		g_sync_fd = -1;
	}
	crash_point("monitor:created");
	g_child = 0;
	if (p->handoff) {
		/* Nothing of create's stdio stays with us: the init has its
		 * own, and the caller may wait for EOF on it. */
		int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; nfd >= 0 && fd < 3; fd++)
			dup2(nfd, fd);
		if (nfd > 2)
			close(nfd);
		handoff_wait(p, sv[0]);
		mtrace("handed off");
		return 0;
	}
	/* The spawner may wait for EOF on what it gave us as stdin/stdout;
	 * unless they are the container's, let them go. With a terminal the
	 * container has the pty, and nothing of create's stdio may outlive
	 * create (a shim waits for EOF on its pipes): stderr goes too. */
	if (p->stdio != STDIO_INHERIT || p->console_socket) {
		int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nfd >= 0) {
			dup2(nfd, 0);
			dup2(nfd, 1);
			if (p->console_socket)
				dup2(nfd, 2);
			close(nfd);
		}
	}

	start_gate_open(p, sv[0]);
	int st = 0;
	log_loop(pid, &st);
	start_gate_close();
	mtrace("init exited");
	crash_point("monitor:exited");
	report_late_failure(sv[0]);
	write_status(p, st);
	mtrace("status written");
	return 0;
}
