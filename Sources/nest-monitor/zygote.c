/*
 * nest-monitor -z SOCKFD [PAD]: the zygote. A daemon starts it once and
 * asks it for a monitor per container; it forks one (it is a small,
 * single-threaded C process, so fork needs no exec) instead of the daemon
 * spawning and exec'ing nest-monitor each time. On these hosts an exec of a
 * glibc program costs about 0.65 ms of CPU, most of it glibc's start.
 *
 * SOCKFD is a SOCK_SEQPACKET socket. A request is the plan's path with four
 * descriptors (SCM_RIGHTS): the monitor's stdin, stdout, stderr and its
 * sync fd (fd 3, where it reports `created PID`), and optionally a fifth,
 * a go channel (fd 4): the monitor is then forked before its plan is
 * written and waits for it as `nest-monitor -g` does. The answer is the
 * new monitor's pid in decimal, or `-ERRNO`. EOF on the socket ends the
 * zygote.
 * PAD (any text) makes room in the command line, which each monitor
 * rewrites to `nest-monitor PLANFILE` so that ps tells them apart.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

enum { NFDS = 4, NFDS_GO = 5 };

/* One request: returns its length, 0 at EOF, -1 on error; fds are -1
 * unless NFDS or NFDS_GO came with it (fds[4] is -1 without a go
 * channel). */
static ssize_t receive(int sock, char *buf, size_t len, int fds[NFDS_GO])
{
	char control[CMSG_SPACE(sizeof(int) * NFDS_GO)];
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof control };
	for (int i = 0; i < NFDS_GO; i++)
		fds[i] = -1;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *in = (int *)CMSG_DATA(c);
		if ((got == NFDS || got == NFDS_GO) && !(msg.msg_flags & MSG_CTRUNC)) {
			memcpy(fds, in, sizeof(int) * got);
		} else {
			for (size_t i = 0; i < got; i++)
				close(in[i]);
		}
	}
	return n;
}

/* In the forked child: the received descriptors become 0-3 (4, a go
 * channel, when one came), the command line names the plan, and the
 * monitor runs as if exec'd. */
static int become_monitor(int sock, int fds[NFDS_GO], const char *plan)
{
	close(sock);
	signal(SIGCHLD, SIG_DFL);
	int n = fds[NFDS] >= 0 ? NFDS_GO : NFDS;
	for (int i = 0; i < n; i++) {
		/* received fds are 4 and up, the lowest first: no dup2 clobbers
		 * one not yet moved */
		if (dup2(fds[i], i) < 0)
			_exit(1);
		close(fds[i]);
	}
	memset(g_args, 0, g_args_len);
	snprintf(g_args, g_args_len, "nest-monitor%c%s", 0, plan);
	mtrace_restart();
	mtrace("start");
	if (n == NFDS_GO && monitor_wait_go(NFDS) < 0)
		return 0;
	return monitor_main(plan);
}

int zygote_main(int sock)
{
	/* The read-only bind we were exec'd from (MonitorSpawner) is not
	 * kept: once closed, it is attached nowhere and stays read-only. */
	syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0U);
	/* Monitors are reaped by the kernel: the daemon learns of their end
	 * from their status file and a pidfd, not from wait. */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); /* a dead monitor's init: reaped here, its status kept for pidfds */
	/* On the heap, not in this frame: a monitor's stack (and its init's)
	 * starts below the frame, and keeps every page it spans. */
	enum { PLAN_MAX = 4096 };
	char *plan = malloc(PLAN_MAX);
	if (!plan)
		return 1;
	for (;;) {
		int fds[NFDS_GO];
		ssize_t n = receive(sock, plan, PLAN_MAX - 1, fds);
		if (n == 0 || (n < 0 && errno != EINTR))
			return 0;
		if (n < 0)
			continue;
		plan[n] = 0;
		char answer[32];
		if (fds[0] < 0) {
			snprintf(answer, sizeof answer, "-%d", EBADF);
		} else {
			pid_t pid = fork();
			if (pid == 0)
				exit(become_monitor(sock, fds, plan));
			snprintf(answer, sizeof answer, "%d", pid < 0 ? -errno : (int)pid);
			for (int i = 0; i < NFDS_GO; i++)
				if (fds[i] >= 0)
					close(fds[i]);
		}
		if (send(sock, answer, strlen(answer), 0) < 0 && errno == EPIPE)
			return 0;
	}
}
