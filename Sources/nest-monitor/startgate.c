/*
 * The exec FIFO, on the host side. `start` opens the FIFO's read end and
 * waits; the opener of the write end blocks until then. That opener used
 * to be the container init, which held the FIFO's directory (a host
 * directory) while it waited: a process of another container that shares
 * the init's PID namespace reached the host through /proc/PID/fd/N/...
 * Now a helper forked from the monitor (on the host, outside every
 * container namespace) opens the FIFO, writes "0" (the start is seen),
 * tells the init "S" over its channel and waits for its answer: "H" once
 * the startContainer hooks have run, or the error record of what failed
 * ("E", or EOF: the init is gone). It writes that outcome to the FIFO,
 * "S" or the record and a newline, and exits: `start` reads to EOF and
 * fails with the record (docs/launch-plan.md, "Start").
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
static int opened = -1; /* the helper writes a byte here once the FIFO is open */

/* The init's answer to "S" on CHAN, as the FIFO's tail: "S" or an error
 * record, with a newline. */
static void answer(int chan, char *out, size_t len)
{
	char msg[8600];
	ssize_t n = chan_recv(chan, msg, sizeof msg);
	if (n == 1 && msg[0] == 'H') {
		snprintf(out, len, "S\n");
		return;
	}
	if (n > 1 && msg[0] == 'E') {
		snprintf(out, len, "%s\n", msg + 1);
		/* the monitor's stderr has it too, as for any failure of the init */
		dprintf(2, "nest-monitor: %s\n", error_record_message(msg + 1));
		return;
	}
	error_record(out, len - 1, "start", NULL, 0,
		     n <= 0 ? "start: the container init exited before its process started"
			    : "start: unexpected message from the container init");
	strcat(out, "\n");
}

static void __attribute__((noreturn)) helper_main(const char *fifo, pid_t monitor, int chan, int opened_w)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != monitor ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(1);
	/* SIGPIPE: `start` may be gone when the outcome is written */
	signal(SIGPIPE, SIG_IGN);
	close_all_but(chan, opened_w, -1);
	int fd;
	do
		fd = open(fifo, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	struct stat st;
	errno = 0;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		dprintf(2, "nest-monitor: exec-fifo %s: %s\n", fifo, fd >= 0 && errno == 0 ? "not a FIFO" : strerror(errno));
		_exit(1);
	}
	/* from here on the monitor waits for us rather than kill us: `start`
	 * is reading, and gets its answer */
	(void)write_all(opened_w, "o", 1);
	close(opened_w);
	if (write_all(fd, "0", 1) < 0 || chan_send(chan, "S") < 0) {
		dprintf(2, "nest-monitor: exec-fifo %s: %s\n", fifo, strerror(errno));
		_exit(1);
	}
	mtrace("started");
	char out[8700];
	answer(chan, out, sizeof out);
	(void)write_all(fd, out, strlen(out));
	_exit(out[0] == 'S' ? 0 : 1);
}

void start_gate_open(const struct nest_plan *p, int chan)
{
	const char *fifo = p->exec_fifo;
	if (!fifo)
		return;
	int o[2];
	if (pipe2(o, O_CLOEXEC | O_NONBLOCK) < 0)
		fail(fifo, "exec-fifo: pipe");
	pid_t monitor = getpid();
	pid_t pid = fork();
	if (pid < 0)
		fail(fifo, "exec-fifo: fork");
	if (pid == 0) {
		close(o[0]);
		helper_main(fifo, monitor, chan, o[1]);
	}
	close(o[1]);
	helper = pid;
	opened = o[0];
}

int start_gate_reaped(pid_t pid, int status)
{
	if (helper <= 0 || pid != helper)
		return 0;
	helper = 0;
	(void)status;
	return 1;
}

int start_gate_pending(void)
{
	return helper > 0;
}

/* The init is gone: nothing to start any more. A helper that has the
 * FIFO open is telling `start` so (its channel is at EOF): it is waited
 * for; one still waiting for `start` is killed. */
void start_gate_close(void)
{
	char b;
	if (helper > 0 && read(opened, &b, 1) != 1)
		kill(helper, SIGKILL);
	while (helper > 0 && waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
	helper = 0;
	if (opened >= 0)
		close(opened);
	opened = -1;
}
