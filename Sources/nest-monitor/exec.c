/*
 * nest-monitor -x PLANFILE: a process joins a running container (an exec
 * plan, docs/launch-plan.md). The monitor takes a pidfd of the container's
 * init and checks it is the recorded one, joins the container's cgroups
 * and connects the console socket while it is still on the host, enters
 * the init's namespaces, and clones the process with CLONE_PARENT: it is
 * the child of whoever spawned the monitor, in the container's PID
 * namespace. The process runs the launcher's process stage (stages.c) and
 * execs. Its channel to the monitor is close-on-exec: EOF says it has
 * exec'd, and only then is `created PID` reported; a step that fails (the
 * cwd, the exec itself) comes back as its error record, after a line
 * `pid PID` naming the process, killed, for the spawner to reap.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* Every kind of namespace, the user namespace first: joined one by one
 * (a kernel without setns on a pidfd), the others are joined with the
 * privileges it gives. */
static const struct {
	const char *name;
	int flag;
} kinds[] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },	{ "pid", CLONE_NEWPID },	 { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },   { "net", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};
#define NKINDS (int)(sizeof kinds / sizeof kinds[0])

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks;
 * -1 when it is gone or a zombie (exited, with no namespaces left). */
static int start_time(pid_t pid, unsigned long long *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *q = strrchr(buf, ')');
	if (!q || q[1] != ' ' || q[2] == 'Z' || q[2] == 'X')
		return -1;
	/* ") S PPID ...": field 3 is the first after the command */
	for (int field = 2; field < 22; field++) {
		q = strchr(q + 1, ' ');
		if (!q)
			return -1;
	}
	*out = strtoull(q + 1, NULL, 10);
	return 0;
}

/* 1 when the init's namespace KIND is not ours (so it is joined), 0 when
 * it is ours or the kernel has no such kind. An init that has exited has
 * none: it is gone, never taken for one in the host's namespaces. */
static int ns_differs(pid_t pid, int k)
{
	char path[64];
	struct stat theirs, ours;
	snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[k].name);
	if (stat(path, &ours) < 0) {
		if (errno == ENOENT)
			return 0;
		fail(path, "exec: namespace %s", kinds[k].name);
	}
	snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, kinds[k].name);
	if (stat(path, &theirs) < 0) {
		if (errno == ENOENT || errno == ESRCH)
			failx(NULL, "exec: the container's init %d is gone", (int)pid);
		fail(path, "exec: namespace %s of the container", kinds[k].name);
	}
	return theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
}

/* The init as a pidfd, checked to be the process the plan recorded (a pid
 * is reused once its process is gone): the start time is read after the
 * pidfd is taken, and the pidfd still names a live process once the
 * namespaces are compared, so all of it was read from the init. Returns
 * the pidfd; *FLAGS gets the namespaces to join. */
static int open_init(const struct nest_plan *p, int *flags, int *rootfd)
{
	pid_t pid = p->exec_pid;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		if (errno == ESRCH)
			failx(NULL, "exec: the container's init %d is gone", (int)pid);
		fail(NULL, "exec: pidfd of the container's init %d", (int)pid);
	}
	unsigned long long st;
	if (start_time(pid, &st) < 0 || st != p->exec_start_time)
		failx(NULL, "exec: the container's init %d is gone", (int)pid);
	*flags = 0;
	for (int k = 0; k < NKINDS; k++)
		if (ns_differs(pid, k))
			*flags |= kinds[k].flag;
	/* The init's root: its mount namespace's, or the rootfs it entered
	 * with chroot (a container without a mount namespace of its own). */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
	if ((*rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ESRCH)
			failx(NULL, "exec: the container's init %d is gone", (int)pid);
		fail(path, "exec: the root of the container's init %d", (int)pid);
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 || start_time(pid, &st) < 0)
		failx(NULL, "exec: the container's init %d is gone", (int)pid);
	/* A container has a mount namespace of its own or a root of its own
	 * in the host's; a process with neither is the host's. */
	struct stat theirs, ours;
	if (fstat(*rootfd, &theirs) < 0 || stat("/", &ours) < 0)
		fail(NULL, "exec: the root of the container's init %d", (int)pid);
	if (!(*flags & CLONE_NEWNS) && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
		failx(NULL, "exec: the container's init %d shares the host's mount namespace and root", (int)pid);
	return pidfd;
}

/* setns(CLONE_NEWNS) made the namespace's root ours; an init that entered
 * its rootfs with chroot has another, taken through its checked pidfd. */
static void enter_root(const struct nest_plan *p, int rootfd)
{
	struct stat theirs, ours;
	if (fstat(rootfd, &theirs) < 0 || stat("/", &ours) < 0)
		fail(NULL, "exec: the root of the container's init %d", (int)p->exec_pid);
	if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) {
		if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
			fail(NULL, "exec: chroot into the root of the container's init %d", (int)p->exec_pid);
	}
	close(rootfd);
}

/* Without setns on a pidfd (Linux < 5.8): each namespace by its file,
 * opened while the pidfd shows the init alive. */
static void join_by_path(const struct nest_plan *p, int pidfd, int flags)
{
	int fds[NKINDS];
	for (int k = 0; k < NKINDS; k++) {
		char path[64];
		fds[k] = -1;
		if (!(flags & kinds[k].flag))
			continue;
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)p->exec_pid, kinds[k].name);
		if ((fds[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			fail(path, "exec: namespace %s", kinds[k].name);
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		failx(NULL, "exec: the container's init %d is gone", (int)p->exec_pid);
	for (int k = 0; k < NKINDS; k++) {
		if (fds[k] < 0)
			continue;
		if (setns(fds[k], kinds[k].flag) < 0)
			fail(NULL, "exec: namespace %s", kinds[k].name);
		close(fds[k]);
	}
}

static void enter_namespaces(const struct nest_plan *p, int pidfd, int flags)
{
	if (flags && setns(pidfd, flags) < 0) {
		if (errno != EINVAL)
			fail(NULL, "exec: namespaces of the container's init %d", (int)p->exec_pid);
		join_by_path(p, pidfd, flags);
	}
	/* root of the container's user namespace, as its init became */
	if (flags & CLONE_NEWUSER) {
		if (setresgid(0, 0, 0) < 0)
			fail(NULL, "exec: setresgid 0 in the user namespace");
		if (setresuid(0, 0, 0) < 0)
			fail(NULL, "exec: setresuid 0 in the user namespace");
	}
}

/* A frozen cgroup would freeze the monitor that joins it: a paused
 * container takes no process (as runc has it). */
static void refuse_frozen(const char *dir)
{
	static const struct {
		const char *file, *thawed;
	} knobs[] = { { "freezer.state", "THAWED" }, { "cgroup.freeze", "0" } };
	for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
		char path[4200], buf[32];
		snprintf(path, sizeof path, "%s/%s", dir, knobs[i].file);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (strcmp(buf, knobs[i].thawed) != 0)
			failx(path, "exec: the container is paused (%s is %s)", path, buf);
	}
}

/* The monitor joins the container's cgroups from the host (the paths are
 * the host's), and its clone is born in them. */
static void join_cgroups(const struct nest_plan *p)
{
	for (int i = 0; i < p->ncgroup_joins; i++)
		refuse_frozen(p->cgroup_joins[i]);
	for (int i = 0; i < p->ncgroup_joins; i++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/cgroup.procs", p->cgroup_joins[i]);
		if (write_file(path, "0", 1) < 0)
			fail(p->cgroup_joins[i], "cgroup-join %s", p->cgroup_joins[i]);
	}
}

/* The process: the launcher's process stage, then its program. Never
 * returns. */
static void __attribute__((noreturn)) exec_process(const struct nest_plan *p)
{
	/* With its spawner (its parent) gone before the exec, it goes too:
	 * nothing is left half-made. */
	die_with_monitor(1);
	char **argv = calloc((size_t)p->nargs + 1, sizeof *argv);
	if (!argv)
		fail(NULL, "arg");
	for (int i = 0; i < p->nargs; i++)
		argv[i] = (char *)p->args[i];
	/* setns (or chroot) made the container's root our root */
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fail("/", "exec: the container's root");
	struct proc_handles h = { .nullfd = -1, .initfd = -1 };
	proc_stage(p, &h, rootfd, -1, -1);
	/* The program outlives its spawner (`nest exec --detach`). */
	die_with_monitor(0);
	reset_signals();
	static char *no_env[] = { NULL };
	environ = p->env ? p->env : no_env;
	execvp(argv[0], argv);
	fail(argv[0], "exec %s", argv[0]);
}

int exec_main(const char *path)
{
	static struct nest_plan plan;
	const struct nest_plan *p = &plan;
	if (load_plan(&plan, path) < 0)
		return 1;
	if (!plan.exec_pid)
		failx(path, "plan: nest-monitor -x runs an exec plan (no exec record)");
	g_preserve_fds = plan.preserve_fds;
	mtrace("exec: plan");
	/* It enters the container: no process there may open its /proc
	 * files or ptrace it. */
	no_dump();
	signal(SIGPIPE, SIG_IGN);
	/* Nothing of the spawner's but stdio, the preserved fds and the sync
	 * fd goes on. */
	close_all_but(g_sync_fd, -1, -1);

	int flags, rootfd;
	int pidfd = open_init(p, &flags, &rootfd);
	join_cgroups(p);
	console_connect(p);
	proc_oom(p); /* through the host's /proc; the process inherits it */
	enter_namespaces(p, pidfd, flags);
	close(pidfd);
	enter_root(p, rootfd);
	mtrace("exec: joined");

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fail(NULL, "socketpair");
	int child_fd = -1;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | CLONE_PIDFD | SIGCHLD, NULL, &child_fd, NULL, NULL);
	if (pid < 0)
		fail(NULL, "exec: clone");
	if (pid == 0) {
		g_in_child = 1;
		g_chan = sv[1];
		close(sv[0]);
		close(g_sync_fd);
		g_sync_fd = -1;
		exec_process(p);
	}
	close(sv[1]);
	char msg[8600];
	ssize_t n = chan_recv(sv[0], msg, sizeof msg);
	if (n != 0) {
		/* A step failed (or the channel did): the process is killed and
		 * named, so that its parent, the spawner, reaps it. */
		syscall(SYS_pidfd_send_signal, child_fd, SIGKILL, NULL, 0);
		char line[64];
		int k = snprintf(line, sizeof line, "pid %d\n", (int)pid);
		write_all(g_sync_fd, line, (size_t)k);
		if (n > 1 && msg[0] == 'E')
			fail_relay(msg + 1);
		if (n < 0)
			fail(NULL, "exec: the process's channel");
		failx(NULL, "exec: the process said %.1s", msg);
	}
	mtrace("exec: exec'd");
	char line[64];
	int k = snprintf(line, sizeof line, "created %d\n", (int)pid);
	write_all(g_sync_fd, line, (size_t)k);
	return 0;
}
