/*
 * The init loop of nest-init, shared by the nest-init program and by
 * nest-monitor, which runs it in the container's first process instead of
 * exec'ing the program (one exec less per container; see
 * docs/performance.md).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init-run.h"

void nest_init_say(const char *a, const char *b, const char *c, const char *d)
{
	const char *parts[] = { "nest-init: ", a, b, c, d, "\n" };
	for (unsigned i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!parts[i])
			continue;
		size_t n = strlen(parts[i]);
		const char *p = parts[i];
		while (n > 0) {
			ssize_t w = write(2, p, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return;
			p += w;
			n -= (size_t)w;
		}
	}
}

/* Runs in the forked child: become PROG. Never returns. */
static void run_child(char **argv, const sigset_t *saved)
{
	/* With a controlling tty on stdin, PROG gets its own process group
	 * and becomes the tty's foreground group (same session). SIGTTOU is
	 * still blocked here, so tcsetpgrp cannot stop us. */
	if (isatty(0)) {
		if (setpgid(0, 0) == 0)
			(void)tcsetpgrp(0, getpid());
	}
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, saved, 0);

	execvp(argv[0], argv);
	int e = errno;
	nest_init_say("exec ", argv[0], ": ", strerror(e));
	_exit(e == EACCES ? 126 : 127);
}

int nest_init_run(char **prog, void (*after_fork)(void))
{
	/* comm: "nest-init" whether exec'd from an fd (comm would be a
	 * number) or run inside nest-monitor's container process. */
	(void)prctl(PR_SET_NAME, "nest-init", 0, 0, 0);
	/* Not dumpable: a process of the container cannot open /proc/1/exe
	 * (a host binary) or ptrace us. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (getpid() != 1)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	sigset_t all, saved;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &saved);
	/* An inherited SIG_IGN for SIGCHLD would make the kernel reap our
	 * children for us and lose PROG's status. */
	(void)signal(SIGCHLD, SIG_DFL);

	pid_t child = fork();
	if (child < 0) {
		nest_init_say("fork: ", strerror(errno), 0, 0);
		return 1;
	}
	if (child == 0)
		run_child(prog, &saved);
	if (after_fork)
		after_fork();

	/* The loop's calls go through syscall(), not their glibc wrappers:
	 * nest-monitor drops its code's page entries in after_fork, and each
	 * wrapper would map a 64 kB window of the binary back in
	 * (nest-monitor/idlemem.c). sigfillset left out glibc's internal
	 * signals, as sigwaitinfo would. */
	for (;;) {
		siginfo_t si;
		int sig = (int)syscall(SYS_rt_sigtimedwait, &all, &si, NULL, (size_t)(_NSIG / 8));
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			(void)syscall(SYS_kill, child, sig);
			continue;
		}
		int st, done = 0, code = 0;
		pid_t p;
		while ((p = (pid_t)syscall(SYS_wait4, -1, &st, WNOHANG, NULL)) > 0 || (p < 0 && errno == EINTR)) {
			if (p != child)
				continue;
			done = 1;
			code = WIFEXITED(st) ? WEXITSTATUS(st)
			     : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
		}
		/* The rest of the PID namespace dies with us when we are its
		 * PID 1; as a subreaper our orphans go to our parent. */
		if (done)
			return code;
	}
}
