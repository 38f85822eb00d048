/*
 * The container init between clone and nest-init (run in place, or
 * exec'd when the plan names an init program). Single threaded; every
 * failure goes to the monitor as "E<message>".
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
void cgroups_ready(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	await_cgroups(&cg_joined);
	if (ns_is_new("cgroup") && unshare(CLONE_NEWCGROUP) < 0)
		fail("namespace cgroup");
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

static void run_hooks(const char *kind)
{
	char err[4096];
	if (hooks_run(kind, host_pid, "creating", err, sizeof err) < 0)
		failx("%s", err);
}

static int has_hook(const char *kind)
{
	for (struct rec *r = NULL; (r = plan_next("hook", r));)
		if (strcmp(r->f[0], kind) == 0)
			return 1;
	return 0;
}

static void stdio_setup(int nullfd, int out_w, int err_w)
{
	const char *mode = plan_str("stdio", "inherit");
	if (plan_next("console-socket", NULL))
		return;
	if (strcmp(mode, "null") == 0) {
		for (int i = 0; i < 3; i++)
			if (dup2(nullfd, i) < 0)
				fail("stdio null");
	} else if (strcmp(mode, "log") == 0) {
		if (dup2(nullfd, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
			fail("stdio log");
	}
}

static void reset_signals(void)
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
 * libseccomp and libcap). */
static void __attribute__((noinline)) release_setup_memory(void)
{
	const uintptr_t page = 4096, span = 1024 * 1024;
	uintptr_t below = ((uintptr_t)__builtin_frame_address(0) & ~(page - 1)) - 4 * page;
	/* Unmapped parts of the span are skipped (ENOMEM), mapped ones freed. */
	(void)madvise((void *)(below - span), span, MADV_DONTNEED);
	uintptr_t start = ((uintptr_t)g_heap_start + page - 1) & ~(page - 1);
	uintptr_t end = (uintptr_t)sbrk(0) & ~(page - 1);
	if (g_heap_start && end > start)
		(void)madvise((void *)start, end - start, MADV_DONTNEED);
}

/* What an exec of nest-init would leave, then its loop: every fd but
 * stdio closed (all are close-on-exec), the process's environment. The
 * capabilities come out the same: exec's transformation of them is
 * idempotent, and PROG's exec applies it once. Never returns. */
static void run_builtin_init(char **argv, char **envp)
{
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	environ = envp;
	/* The command line ps shows for PID 1: ours (the monitor's, with its
	 * plan path) until overwritten in place, as setproctitle does. */
	memset(g_args, 0, g_args_len);
	memcpy(g_args, "nest-init", g_args_len < 9 ? g_args_len : 9);
	while (*argv && strcmp(*argv, "--") != 0)
		argv++;
	_exit(nest_init_run(argv + 1, release_setup_memory));
}

/* Until the init is ready, it dies with the monitor. (Credential changes
 * clear the setting: it is made again after them.) */
static void die_with_monitor(int on)
{
	if (prctl(PR_SET_PDEATHSIG, on ? SIGKILL : 0, 0, 0, 0) < 0)
		fail("parent death signal");
}

/* Closes every fd from 3 up but the three (-1 for none). */
static void close_all_but(int a, int b, int c)
{
	int keep[3] = { a, b, c };
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	unsigned from = 3;
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
static void no_dump(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("dumpable");
}

/* Created: the monitor says "S" once `start` has read the exec FIFO; EOF
 * is the monitor gone, and a container without its monitor never starts. */
static void wait_start(void)
{
	char buf[64];
	if (chan_recv_go(buf, sizeof buf) <= 0 || buf[0] != 'S')
		_exit(1);
	mtrace("started");
}

void child_main(int out_w, int err_w)
{
	no_dump();
	die_with_monitor(1);
	wait_go();
	mtrace("go");
	ns_child_setup();
	mtrace("namespaces");
	if (ns_pid_needs_fork()) {
		if (unshare(CLONE_NEWPID) < 0)
			fail("namespace pid");
		pid_t p = fork();
		if (p < 0)
			fail("namespace pid: fork");
		if (p > 0) {
			char m[32];
			snprintf(m, sizeof m, "P%d", (int)p);
			chan_send(g_chan, m);
			_exit(0);
		}
		wait_go(); /* reparented to the monitor */
	}
	die_with_monitor(1);
	if (has_hook("prestart") || has_hook("createRuntime")) {
		cgroups_ready();
		chan_send(g_chan, "N");
		wait_go();
	}
	if (!ns_is_new("mount"))
		failx("namespace mount: a new mount namespace is required");
	proc_early();
	rootfs_prepare();
	mounts_apply();
	mtrace("mounts");
	devices_apply();
	symlinks_apply();
	mtrace("devices");
	if (has_hook("createContainer"))
		cgroups_ready();
	run_hooks("createContainer");

	/* With an "init" record the init is that program, exec'd from a
	 * read-only clone of it (a container never reaches a writable host
	 * binary); without one, nest-init's loop runs here, in the process that
	 * is already PID 1, which saves an exec per container. */
	const char *init = plan_str("init", NULL);
	int initfd = -1;
	if (init && (initfd = nest_sealed_exe(init)) < 0)
		fail("init %s", init);
	/* The exec FIFO is the monitor's business (startgate.c): the init
	 * holds no fd of a host file or directory while it waits. */
	int gated = plan_next("exec-fifo", NULL) != NULL;
	int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0)
		fail("stdio /dev/null");
	console_connect();
	proc_oom(); /* through the host's /proc: the container may have none */

	rootfs_pivot();
	mtrace("pivot_root");
	console_setup();
	stdio_setup(nullfd, out_w, err_w);
	close(nullfd);
	if (out_w >= 0) {
		close(out_w);
		close(err_w);
	}
	proc_sysctl();
	proc_prepare_cwd();
	rootfs_finish();
	int cwdfd = proc_open_cwd();
	close(g_rootfd);
	g_rootfd = -1;
	proc_rlimits();
	char **envp = proc_env(), **argv = proc_argv();

	cgroups_ready(); /* unshare(CLONE_NEWCGROUP) needs CAP_SYS_ADMIN */
	/* Before it can be started or seen as created, the init holds stdio,
	 * its channel and the program to exec; nothing of the host. */
	close_all_but(g_chan, initfd, cwdfd);
	int nnp = strcmp(plan_str("no-new-privileges", "0"), "1") == 0;
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("no-new-privileges");
	proc_drop_bounding();
	if (!nnp)
		seccomp_apply(0); /* needs CAP_SYS_ADMIN: before the user switch */
	proc_user(cwdfd);
	if (cwdfd >= 0)
		close(cwdfd);
	proc_caps();
	no_dump();
	die_with_monitor(1);
	if (nnp)
		seccomp_apply(1);

	mtrace("ready");
	/* A monitor killed once the init is reported ready must not take the
	 * running container with it: the death signal goes first. */
	die_with_monitor(0);
	if (chan_send(g_chan, "R") < 0)
		_exit(1); /* the monitor is gone */
	if (gated)
		wait_start();
	run_hooks("startContainer");
	reset_signals();
	if (initfd < 0)
		run_builtin_init(argv, envp);
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 1024; fd++)
			if (fd != initfd)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	syscall(SYS_execveat, initfd, "", argv, envp, AT_EMPTY_PATH);
	fail("init %s: exec", init);
}
