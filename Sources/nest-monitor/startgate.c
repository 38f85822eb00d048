/*
 * The exec FIFO, on the host side. `start` opens the FIFO's read end and
 * waits for a byte; the opener of the write end blocks until then. That
 * opener used to be the container init, which held the FIFO's directory
 * (a host directory) while it waited: a process of another container that
 * shares the init's PID namespace reached the host through
 * /proc/PID/fd/N/... Now a helper forked from the monitor (on the host,
 * outside every container namespace) opens and writes the FIFO, and the
 * monitor tells the init "S" over its channel when the helper is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nest.h"

static pid_t helper;
static int init_chan = -1;

static void __attribute__((noreturn)) helper_main(const char *fifo, pid_t monitor)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != monitor ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(1);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	int fd;
	do
		fd = open(fifo, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || write_all(fd, "0", 1) < 0) {
		dprintf(2, "nest-monitor: exec-fifo %s: %s\n", fifo, fd >= 0 && errno == 0 ? "not a FIFO" : strerror(errno));
		_exit(1);
	}
	_exit(0);
}

void start_gate_open(const struct nest_plan *p, int chan)
{
	const char *fifo = p->exec_fifo;
	if (!fifo)
		return;
	pid_t monitor = getpid();
	pid_t pid = fork();
	if (pid < 0)
		fail(fifo, "exec-fifo: fork");
	if (pid == 0)
		helper_main(fifo, monitor);
	helper = pid;
	init_chan = chan;
}

int start_gate_reaped(pid_t pid, int status)
{
	if (helper <= 0 || pid != helper)
		return 0;
	helper = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && chan_send(init_chan, "S") == 0)
		mtrace("started");
	return 1;
}

int start_gate_pending(void)
{
	return helper > 0;
}

/* The init is gone: nothing to start any more. */
void start_gate_close(void)
{
	if (helper <= 0)
		return;
	kill(helper, SIGKILL);
	while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
	helper = 0;
}
