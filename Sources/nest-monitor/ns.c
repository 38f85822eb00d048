/*
 * Namespaces: joins (setns), new ones (clone/unshare), uid/gid maps written
 * by the monitor from outside, time offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nest.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *type;
	int flag;
} types[] = {
	{ "pid", CLONE_NEWPID },	{ "network", CLONE_NEWNET },
	{ "mount", CLONE_NEWNS },	{ "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },	{ "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP },	{ "time", CLONE_NEWTIME },
};
#define NTYPES (int)(sizeof types / sizeof types[0])

static int join_fd[NTYPES];

int ns_type_flag(const char *type)
{
	for (int i = 0; i < NTYPES; i++)
		if (strcmp(types[i].type, type) == 0)
			return types[i].flag;
	return 0;
}

static int type_index(const char *type)
{
	for (int i = 0; i < NTYPES; i++)
		if (strcmp(types[i].type, type) == 0)
			return i;
	failx("namespace %s: unknown type", type);
}

int ns_is_new(const char *type)
{
	for (struct rec *r = NULL; (r = plan_next("namespace", r));)
		if (strcmp(r->f[0], type) == 0 && strcmp(r->f[1], "-") == 0)
			return 1;
	return 0;
}

int ns_in_userns(void)
{
	for (struct rec *r = NULL; (r = plan_next("namespace", r));)
		if (strcmp(r->f[0], "user") == 0)
			return 1;
	return 0;
}

void ns_open_joins(void)
{
	for (int i = 0; i < NTYPES; i++)
		join_fd[i] = -1;
	for (struct rec *r = NULL; (r = plan_next("namespace", r));) {
		int i = type_index(r->f[0]);
		if (strcmp(r->f[1], "-") == 0)
			continue;
		join_fd[i] = open(r->f[1], O_RDONLY | O_CLOEXEC);
		if (join_fd[i] < 0)
			fail("namespace %s %s", r->f[0], r->f[1]);
	}
}

/* The monitor's own pid namespace, while its children go to a joined one. */
static int own_pid_fd = -1;

/* The monitor lets go of the joined namespaces once the child has them;
 * what it forks later (hooks, the exec FIFO's helper) is its own, in its
 * own pid namespace, never one a container sees. */
void ns_close_joins(void)
{
	if (own_pid_fd >= 0) {
		if (setns(own_pid_fd, CLONE_NEWPID) < 0)
			fail("namespace pid: back to the monitor's");
		close(own_pid_fd);
		own_pid_fd = -1;
	}
	for (int i = 0; i < NTYPES; i++)
		if (join_fd[i] >= 0) {
			close(join_fd[i]);
			join_fd[i] = -1;
		}
}

/* setns(pid) only affects children: done by the monitor before clone. */
void ns_monitor_prepare(void)
{
	int i = type_index("pid");
	if (join_fd[i] < 0)
		return;
	if ((own_pid_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
		fail("namespace pid: /proc/self/ns/pid");
	if (setns(join_fd[i], CLONE_NEWPID) < 0)
		fail("namespace pid");
}

/* New user and pid namespaces are made by clone; the rest by unshare in
 * the child, after the joins, so they are owned by the right user ns. */
/* A new user ns with other namespaces joined: the joins are made first
 * (with the host's privileges), then unshare(CLONE_NEWUSER), and the
 * monitor writes the maps when the child asks ("U"). */
int ns_late_userns(void)
{
	if (!ns_is_new("user"))
		return 0;
	for (struct rec *r = NULL; (r = plan_next("namespace", r));)
		if (strcmp(r->f[1], "-") != 0 && strcmp(r->f[0], "pid") != 0)
			return 1;
	return 0;
}

int ns_clone_flags(void)
{
	int flags = 0;
	if (ns_is_new("user") && !ns_late_userns())
		flags |= CLONE_NEWUSER;
	if (ns_is_new("pid") && !ns_pid_needs_fork())
		flags |= CLONE_NEWPID;
	return flags;
}

/* A new pid ns with a joined user ns must be owned by the joined one: it is
 * made after setns(user), and the init is a fork of the cloned child. */
int ns_pid_needs_fork(void)
{
	return ns_is_new("pid") && ns_in_userns() && (!ns_is_new("user") || ns_late_userns());
}

static void write_map(pid_t pid, const char *kind, const char *file)
{
	char buf[4096], path[64];
	size_t o = 0;
	for (struct rec *r = NULL; (r = plan_next(kind, r));) {
		int n = snprintf(buf + o, sizeof buf - o, "%s %s %s\n", r->f[0], r->f[1], r->f[2]);
		if (n < 0 || (size_t)n >= sizeof buf - o)
			failx("%s: too many entries", kind);
		o += (size_t)n;
	}
	if (o == 0)
		return;
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	if (write_file(path, buf, o) < 0)
		fail("%s", kind);
}

void ns_write_maps(pid_t pid, int late)
{
	if (!ns_is_new("user") || ns_late_userns() != late)
		return;
	write_map(pid, "uid-map", "uid_map");
	write_map(pid, "gid-map", "gid_map");
}

static void join(int i, int *done)
{
	if (join_fd[i] < 0 || done[i])
		return;
	if (setns(join_fd[i], types[i].flag) < 0) {
		int u = type_index("user");
		if (errno == EPERM && join_fd[u] >= 0 && !done[u])
			return; /* retried after joining the user ns */
		fail("namespace %s", types[i].type);
	}
	close(join_fd[i]);
	done[i] = 1;
}

static void time_offsets(void)
{
	char buf[1024];
	size_t o = 0;
	for (struct rec *r = NULL; (r = plan_next("time-offset", r));) {
		int n = snprintf(buf + o, sizeof buf - o, "%s %s %s\n", r->f[0], r->f[1], r->f[2]);
		if (n < 0 || (size_t)n >= sizeof buf - o)
			failx("time-offset: too many entries");
		o += (size_t)n;
	}
	if (o > 0 && write_file("/proc/self/timens_offsets", buf, o) < 0)
		fail("time-offset");
	/* enter the new time ns ourselves (unshare only moves children) */
	int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		fail("namespace time");
	close(fd);
}

void ns_child_setup(void)
{
	int done[NTYPES] = { 0 };
	int pid = type_index("pid"), user = type_index("user");
	done[pid] = 1; /* joined by the monitor */
	if (join_fd[pid] >= 0)
		close(join_fd[pid]);
	if (own_pid_fd >= 0)
		close(own_pid_fd);
	own_pid_fd = -1;
	for (int i = 0; i < NTYPES; i++)
		if (i != user)
			join(i, done);
	if (ns_late_userns()) {
		char buf[64];
		if (unshare(CLONE_NEWUSER) < 0)
			fail("namespace user");
		if (chan_send(g_chan, "U") < 0 || chan_recv_go(buf, sizeof buf) <= 0 || buf[0] != 'G')
			_exit(1);
	}
	if (join_fd[user] >= 0) {
		if (setns(join_fd[user], CLONE_NEWUSER) < 0)
			fail("namespace user");
		close(join_fd[user]);
		done[user] = 1;
		for (int i = 0; i < NTYPES; i++)
			join(i, done);
	}
	if (ns_in_userns()) {
		if (setresgid(0, 0, 0) < 0)
			fail("setresgid 0 in the user namespace");
		if (setresuid(0, 0, 0) < 0)
			fail("setresuid 0 in the user namespace");
	}
	/* a new cgroup ns is made by cgroups_ready(), after the joins */
	int flags = 0;
	for (struct rec *r = NULL; (r = plan_next("namespace", r));)
		if (strcmp(r->f[1], "-") == 0 && strcmp(r->f[0], "user") != 0 &&
		    strcmp(r->f[0], "pid") != 0 && strcmp(r->f[0], "cgroup") != 0)
			flags |= ns_type_flag(r->f[0]);
	int t = flags & CLONE_NEWTIME;
	if (flags && unshare(flags) < 0) {
		for (struct rec *r = NULL; (r = plan_next("namespace", r));)
			if ((flags & ns_type_flag(r->f[0])) && unshare(ns_type_flag(r->f[0])) < 0)
				fail("namespace %s", r->f[0]);
		fail("unshare");
	}
	if (t)
		time_offsets();
	else if (plan_next("time-offset", NULL))
		failx("time-offset: needs a new time namespace");
}
