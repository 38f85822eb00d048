/*
 * The container init between clone and nest-init (run in place, or
 * exec'd when the plan names an init program). Single threaded; every
 * failure goes to the monitor as "E" and an error record. The init's work
 * is two stages (stages.c): the shared one builds the container's file
 * system, the process one makes the process; this file holds the dialog
 * with the monitor around them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init-run.h"
#include "nest.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static pid_t host_pid;
static int cg_joined; /* the monitor sent "C": the init is in its cgroups */
static int cg_made;   /* the monitor sent "K" (or "C"): the cgroup dirs exist */

/* Notes a "K" or "C" message; 0 for any other. */
static int note_cgroups(const char *buf, ssize_t n)
{
	if (n != 1 || (buf[0] != 'C' && buf[0] != 'K'))
		return 0;
	cg_made = 1;
	if (buf[0] == 'C')
		cg_joined = 1;
	return 1;
}

/* Next message from the monitor that is not "C" or "K" (which are noted). */
ssize_t chan_recv_go(char *buf, size_t len)
{
	for (;;) {
		ssize_t n = chan_recv(g_chan, buf, len);
		if (!note_cgroups(buf, n))
			return n;
	}
}

/* Waits until *FLAG is set by a "K" or "C"; anything else is the
 * monitor gone or confused. */
static void await_cgroups(const int *flag)
{
	char buf[64];
	while (!*flag)
		if (!note_cgroups(buf, chan_recv(g_chan, buf, sizeof buf)))
			_exit(1);
}

/* The cgroup dirs exist (the spawner may make them while the init makes
 * its namespaces): needed before they are bind-mounted. */
void cgroups_made(void)
{
	await_cgroups(&cg_made);
}

/* The monitor joins the cgroups while the init sets up its mounts. The
 * init waits for that ("C") before it makes its cgroup namespace, mounts
 * cgroup2, runs a hook or reports ready; a new cgroup namespace is made
 * here, once the init is in its cgroups. */
void cgroups_ready(const struct nest_plan *p)
{
	static int done;
	if (done)
		return;
	done = 1;
	await_cgroups(&cg_joined);
	if (plan_ns_is_new(p, NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		fail(NULL, "namespace cgroup");
	mtrace("cgroups ready");
}

static void wait_go(void)
{
	char buf[64];
	if (chan_recv_go(buf, sizeof buf) <= 0 || buf[0] != 'G')
		_exit(1);
	if (buf[1])
		host_pid = (pid_t)atoi(buf + 1);
}

/* Every hook before the process runs is told "created", as runc and crun
 * tell it: the container exists, its process has not started. */
void run_hooks(const struct nest_plan *p, enum hook_kind kind)
{
	struct step_error e = { 0 };
	if (hooks_run(p, kind, host_pid, "created", &e) < 0)
		fail_with(&e);
}

void stdio_setup(const struct nest_plan *p, int nullfd, int out_w, int err_w)
{
	if (p->console_socket)
		return;
	if (p->stdio == STDIO_NULL) {
		for (int i = 0; i < 3; i++)
			if (dup2(nullfd, i) < 0)
				fail("/dev/null", "stdio null");
	} else if (p->stdio == STDIO_LOG) {
		/* stdin stays the monitor's: /dev/null from its spawner, or a
		 * pipe the spawner writes (nestd's openStdin) */
		if (dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
			fail(p->log_path, "stdio log");
	}
}

void reset_signals(void)
{
	sigset_t all;
	sigemptyset(&all);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* PID 1 lives as long as the container, in a copy of the monitor's
 * memory. Once PROG is forked, the init loop uses a few stack pages and
 * its globals, never the heap: what setup dirtied is given back, the whole
 * heap and the stack below the loop's frames (the deep frames of mounts,
 * libseccomp and libcap), and the code's page entries (idlemem.c). */
static void __attribute__((noinline)) release_setup_memory(void)
{
	const uintptr_t page = 4096;
	drop_stack_below();
	uintptr_t start = ((uintptr_t)g_heap_start + page - 1) & ~(page - 1);
	uintptr_t end = (uintptr_t)sbrk(0) & ~(page - 1);
	if (g_heap_start && end > start)
		(void)madvise((void *)start, end - start, MADV_DONTNEED);
	drop_text_pages();
}

/* Once PROG is forked the init lets go of the fds preserved for it (the
 * reader of a pipe among them sees EOF when PROG closes its end), and of
 * the memory setup used. */
static void prog_forked(void)
{
	if (g_preserve_fds > 0)
		(void)syscall(SYS_close_range, 3U, 2U + (unsigned)g_preserve_fds, 0U);
	release_setup_memory();
}

/* What an exec of nest-init would leave, then its loop: every fd but
 * stdio closed (all are close-on-exec), the process's environment. The
 * capabilities come out the same: exec's transformation of them is
 * idempotent, and PROG's exec applies it once. Never returns. */
static void run_builtin_init(char **argv, char **envp)
{
	unsigned from = 3U + (unsigned)g_preserve_fds;
	if (syscall(SYS_close_range, from, ~0U, 0U) < 0)
		for (int fd = (int)from; fd < 1024; fd++)
			close(fd);
	environ = envp;
	/* The command line ps shows for PID 1: ours (the monitor's, with its
	 * plan path) until overwritten in place, as setproctitle does. */
	memset(g_args, 0, g_args_len);
	memcpy(g_args, "nest-init", g_args_len < 9 ? g_args_len : 9);
	while (*argv && strcmp(*argv, "--") != 0)
		argv++;
	_exit(nest_init_run(argv + 1, prog_forked));
}

/* Until the init is ready, it dies with the monitor. (Credential changes
 * clear the setting: it is made again after them.) */
void die_with_monitor(int on)
{
	/* A handed-off init's parent is the monitor's spawner, not the
	 * monitor: a monitor gone during setup is seen as EOF on the channel. */
	if (g_handoff)
		return;
	if (prctl(PR_SET_PDEATHSIG, on ? SIGKILL : 0, 0, 0, 0) < 0)
		fail(NULL, "parent death signal");
}

void close_all_but(int a, int b, int c)
{
	int keep[3] = { a, b, c };
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	unsigned from = 3U + (unsigned)g_preserve_fds;
	for (int i = 0; i <= 3; i++) {
		unsigned to = i < 3 ? (unsigned)keep[i] : ~0U;
		if (i < 3 && keep[i] < (int)from)
			continue;
		if (to > from && syscall(SYS_close_range, from, i < 3 ? to - 1 : to, 0U) < 0)
			for (int fd = (int)from; fd < (i < 3 ? (int)to : 1024); fd++)
				close(fd);
		if (i < 3)
			from = to + 1;
	}
}

/* Until PROG's exec, the init is a copy of the monitor holding its plan,
 * its channel and (while it sets up) host paths: no process of a container
 * that can see it may open its /proc files (fd, exe, root, cwd, mem,
 * environ) or ptrace it without CAP_SYS_PTRACE over it. The exec of PROG
 * (by nest-init's loop, or of an "init" program) makes a new image that
 * is dumpable by the usual rules. */
void no_dump(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(NULL, "dumpable");
}

/* The init (a process's or a holder's) is set up: it tells the monitor,
 * waits for `start` when there is an exec FIFO and runs the startContainer
 * hooks. Their outcome is the start's: with an exec FIFO the init answers
 * the monitor's "S" with "H" once they have run (a failure is the "E" of
 * fail_with), and the start gate hands that to `start`; without one (a
 * create that starts at once) they run before the init is reported ready,
 * so that their failure is the create's. Only the init writes its channel,
 * a socket no process of the container can reopen, and it is closed at
 * the exec of the container's program: the answer cannot be forged. */
void ready_and_started(const struct nest_plan *p)
{
	mtrace("ready");
	if (!p->exec_fifo)
		run_hooks(p, HOOK_START_CONTAINER);
	/* A monitor killed once the init is reported ready must not take the
	 * running container with it: the death signal goes first. */
	die_with_monitor(0);
	if (chan_send(g_chan, "R") < 0)
		_exit(1); /* the monitor is gone */
	if (!p->exec_fifo)
		return;
	wait_start();
	run_hooks(p, HOOK_START_CONTAINER);
	if (chan_send(g_chan, "H") < 0)
		_exit(1); /* the start gate is gone: `start` was not told */
}

void wait_start(void)
{
	char buf[64];
	if (chan_recv_go(buf, sizeof buf) <= 0 || buf[0] != 'S')
		_exit(1);
	mtrace("started");
}

/* The namespaces, then the hooks of the runtime's namespace. */
static void enter_namespaces(const struct nest_plan *p)
{
	ns_child_setup(p);
	mtrace("namespaces");
	if (ns_pid_needs_fork(p)) {
		if (unshare(CLONE_NEWPID) < 0)
			fail(NULL, "namespace pid");
		pid_t pid = fork();
		if (pid < 0)
			fail(NULL, "namespace pid: fork");
		if (pid > 0) {
			char m[32];
			snprintf(m, sizeof m, "P%d", (int)pid);
			chan_send(g_chan, m);
			_exit(0);
		}
		wait_go(); /* reparented to the monitor */
	}
	die_with_monitor(1);
	if (plan_has_hook(p, HOOK_PRESTART) || plan_has_hook(p, HOOK_CREATE_RUNTIME)) {
		cgroups_ready(p);
		chan_send(g_chan, "N");
		wait_go();
	}
}

void child_main(const struct nest_plan *p, int out_w, int err_w)
{
	no_dump();
	die_with_monitor(1);
	wait_go();
	mtrace("go");
	enter_namespaces(p);

	struct proc_handles h;
	proc_stage_prepare(p, &h);
	int rootfd = vfs_stage(p);
	if (p->hold)
		hold_stage(p, &h, out_w, err_w);
	proc_stage(p, &h, rootfd, out_w, err_w);

	ready_and_started(p);
	reset_signals();
	static char *no_env[] = { NULL };
	char **argv = proc_argv(p), **envp = p->env ? p->env : no_env;
	if (h.initfd < 0)
		run_builtin_init(argv, envp);
	if (syscall(SYS_close_range, 3U + (unsigned)g_preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3 + g_preserve_fds; fd < 1024; fd++)
			if (fd != h.initfd)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	syscall(SYS_execveat, h.initfd, "", argv, envp, AT_EMPTY_PATH);
	fail(p->init, "init %s: exec", p->init);
}
