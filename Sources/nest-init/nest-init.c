/*
 * nest-init: PID 1 of every Nest container.
 *
 *   nest-init [options] -- PROG ARGS...
 *
 * Forks PROG, forwards every catchable signal to it, reaps every child
 * (orphans included) and exits with PROG's status (128+N when PROG was
 * killed by signal N). It writes no files and allocates nothing.
 *
 * Options: -h prints usage. Anything else before `--` is an error (exit 2).
 *
 * Exit codes of its own: 1 (fork failed), 2 (usage), 126/127 (PROG could
 * not be executed: EACCES / anything else), printed as
 * `nest-init: exec PROG: REASON` on stderr.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *a, const char *b, const char *c, const char *d)
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

static int usage(void)
{
	say("usage: nest-init [options] -- PROG [ARGS...]", 0, 0, 0);
	return 2;
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
	say("exec ", argv[0], ": ", strerror(e));
	_exit(e == EACCES ? 126 : 127);
}

int main(int argc, char **argv)
{
	/* comm is the exec'd file name, which is a number when nest-init is
	 * run from an fd with execveat(AT_EMPTY_PATH). */
	(void)prctl(PR_SET_NAME, "nest-init", 0, 0, 0);
	/* Not dumpable: a process of the container cannot open /proc/1/exe
	 * (the host's nest-init binary) or ptrace us. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (getpid() != 1)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		}
		if (argv[i][0] == '-') {
			say("unknown option ", argv[i], 0, 0);
			return usage();
		}
		break; /* PROG without `--` */
	}
	if (i >= argc)
		return usage();
	char **prog = argv + i;

	sigset_t all, saved;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &saved);
	/* An inherited SIG_IGN for SIGCHLD would make the kernel reap our
	 * children for us and lose PROG's status. */
	(void)signal(SIGCHLD, SIG_DFL);

	pid_t child = fork();
	if (child < 0) {
		say("fork: ", strerror(errno), 0, 0);
		return 1;
	}
	if (child == 0)
		run_child(prog, &saved);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			(void)kill(child, sig);
			continue;
		}
		int st, done = 0, code = 0;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0 || (p < 0 && errno == EINTR)) {
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
