/*
 * The handed-off init (plan record `handoff`, docs/architecture.md "Process
 * model"). Engines run `nest create` under a child subreaper of theirs and
 * wait for the container's process themselves: the monitor clones the init
 * as its spawner's child (CLONE_PARENT), so that once `nest create` exits
 * the engine inherits it and sees its exit status. The monitor cannot wait
 * for a process that is not its child; it watches it through a pidfd, and
 * stays only as long as the start gate needs it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nest.h"

/* Waits until the init has exited. STATUS (if not NULL) gets its wait
 * status when it is our child, else -1: another process reaps it. */
void child_wait_gone(int *status)
{
	int st = -1;
	if (g_child_pidfd >= 0) {
		struct pollfd p = { .fd = g_child_pidfd, .events = POLLIN };
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
	} else if (g_child > 0) {
		while (waitpid(g_child, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (status)
		*status = st;
}

/* After `created`: lets the start gate open the init, or sees the init
 * die first, and returns; the monitor then exits. */
void handoff_wait(const struct nest_plan *p, int chan)
{
	start_gate_open(p, chan);
	if (!start_gate_pending())
		return;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fail(NULL, "signalfd");
	for (;;) {
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			start_gate_reaped(w, st);
		if (!start_gate_pending())
			break;
		struct pollfd fds[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = g_child_pidfd, .events = POLLIN },
		};
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents) {
			mtrace("init exited before start");
			break;
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) > 0)
			;
	}
	start_gate_close();
	close(sfd);
}
