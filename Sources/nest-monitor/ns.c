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

static const int ns_flags[NS_COUNT] = {
	[NS_PID] = CLONE_NEWPID,	[NS_NETWORK] = CLONE_NEWNET,
	[NS_MOUNT] = CLONE_NEWNS,	[NS_IPC] = CLONE_NEWIPC,
	[NS_UTS] = CLONE_NEWUTS,	[NS_USER] = CLONE_NEWUSER,
	[NS_CGROUP] = CLONE_NEWCGROUP,	[NS_TIME] = CLONE_NEWTIME,
};

static int join_fd[NS_COUNT] = { -1, -1, -1, -1, -1, -1, -1, -1 };

void ns_open_joins(const struct nest_plan *p)
{
	for (int i = 0; i < NS_COUNT; i++) {
		join_fd[i] = -1;
		if (!p->has_ns[i] || !p->ns[i].path)
			continue;
		join_fd[i] = open(p->ns[i].path, O_RDONLY | O_CLOEXEC);
		if (join_fd[i] < 0)
			fail(p->ns[i].path, "namespace %s %s", plan_ns_name(i), p->ns[i].path);
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
			fail(NULL, "namespace pid: back to the monitor's");
		close(own_pid_fd);
		own_pid_fd = -1;
	}
	for (int i = 0; i < NS_COUNT; i++)
		if (join_fd[i] >= 0) {
			close(join_fd[i]);
			join_fd[i] = -1;
		}
}

/* setns(pid) only affects children: done by the monitor before clone. */
void ns_monitor_prepare(void)
{
	if (join_fd[NS_PID] < 0)
		return;
	if ((own_pid_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
		fail("/proc/self/ns/pid", "namespace pid: /proc/self/ns/pid");
	if (setns(join_fd[NS_PID], CLONE_NEWPID) < 0)
		fail(NULL, "namespace pid");
}

/* New user and pid namespaces are made by clone; the rest by unshare in
 * the child, after the joins, so they are owned by the right user ns. */
/* A new user ns with other namespaces joined: the joins are made first
 * (with the host's privileges), then unshare(CLONE_NEWUSER), and the
 * monitor writes the maps when the child asks ("U"). */
int ns_late_userns(const struct nest_plan *p)
{
	if (!plan_ns_is_new(p, NS_USER))
		return 0;
	for (int i = 0; i < NS_COUNT; i++)
		if (i != NS_PID && p->has_ns[i] && p->ns[i].path)
			return 1;
	return 0;
}

int ns_clone_flags(const struct nest_plan *p)
{
	int flags = 0;
	if (plan_ns_is_new(p, NS_USER) && !ns_late_userns(p))
		flags |= CLONE_NEWUSER;
	if (plan_ns_is_new(p, NS_PID) && !ns_pid_needs_fork(p))
		flags |= CLONE_NEWPID;
	return flags;
}

/* A new pid ns with a joined user ns must be owned by the joined one: it is
 * made after setns(user), and the init is a fork of the cloned child. */
int ns_pid_needs_fork(const struct nest_plan *p)
{
	return plan_ns_is_new(p, NS_PID) && p->has_ns[NS_USER] &&
	       (!plan_ns_is_new(p, NS_USER) || ns_late_userns(p));
}

static void write_map(pid_t pid, const struct plan_idmap *m, int n, const char *kind, const char *file)
{
	char buf[8192], path[64];
	size_t o = 0;
	if (n == 0)
		return;
	for (int i = 0; i < n; i++) {
		int k = snprintf(buf + o, sizeof buf - o, "%u %u %u\n", m[i].container, m[i].host, m[i].size);
		if (k < 0 || (size_t)k >= sizeof buf - o)
			failx(NULL, "%s: too many entries", kind);
		o += (size_t)k;
	}
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	if (write_file(path, buf, o) < 0)
		fail(path, "%s", kind);
}

void ns_write_maps(const struct nest_plan *p, pid_t pid, int late)
{
	if (!plan_ns_is_new(p, NS_USER) || ns_late_userns(p) != late)
		return;
	write_map(pid, p->uid_maps, p->nuid_maps, "uid-map", "uid_map");
	write_map(pid, p->gid_maps, p->ngid_maps, "gid-map", "gid_map");
}

static void join(const struct nest_plan *p, int i, int *done)
{
	if (join_fd[i] < 0 || done[i])
		return;
	if (setns(join_fd[i], ns_flags[i]) < 0) {
		if (errno == EPERM && join_fd[NS_USER] >= 0 && !done[NS_USER])
			return; /* retried after joining the user ns */
		/* setns checks the fd is a namespace of the type named */
		if (errno == EINVAL)
			failx(p->ns[i].path, "namespace %s %s: not a %s namespace", plan_ns_name(i), p->ns[i].path,
			      plan_ns_name(i));
		fail(p->ns[i].path, "namespace %s %s", plan_ns_name(i), p->ns[i].path);
	}
	close(join_fd[i]);
	join_fd[i] = -1;
	done[i] = 1;
}

static void time_offsets(const struct nest_plan *p)
{
	char buf[1024];
	size_t o = 0;
	for (int i = 0; i < p->ntime_offsets; i++) {
		const struct plan_time_offset *t = &p->time_offsets[i];
		int n = snprintf(buf + o, sizeof buf - o, "%s %lld %lld\n", t->clock, (long long)t->secs,
				 (long long)t->nanosecs);
		if (n < 0 || (size_t)n >= sizeof buf - o)
			failx(NULL, "time-offset: too many entries");
		o += (size_t)n;
	}
	if (o > 0 && write_file("/proc/self/timens_offsets", buf, o) < 0)
		fail("/proc/self/timens_offsets", "time-offset");
	/* enter the new time ns ourselves (unshare only moves children) */
	int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		fail(NULL, "namespace time");
	close(fd);
}

void ns_child_setup(const struct nest_plan *p)
{
	int done[NS_COUNT] = { 0 };
	done[NS_PID] = 1; /* joined by the monitor */
	if (join_fd[NS_PID] >= 0)
		close(join_fd[NS_PID]);
	join_fd[NS_PID] = -1;
	if (own_pid_fd >= 0)
		close(own_pid_fd);
	own_pid_fd = -1;
	for (int i = 0; i < NS_COUNT; i++)
		if (i != NS_USER)
			join(p, i, done);
	if (ns_late_userns(p)) {
		char buf[64];
		if (unshare(CLONE_NEWUSER) < 0)
			fail(NULL, "namespace user");
		if (chan_send(g_chan, "U") < 0 || chan_recv_go(buf, sizeof buf) <= 0 || buf[0] != 'G')
			_exit(1);
	}
	if (join_fd[NS_USER] >= 0) {
		if (setns(join_fd[NS_USER], CLONE_NEWUSER) < 0)
			fail(p->ns[NS_USER].path, "namespace user");
		close(join_fd[NS_USER]);
		join_fd[NS_USER] = -1;
		done[NS_USER] = 1;
		for (int i = 0; i < NS_COUNT; i++)
			join(p, i, done);
	}
	if (p->has_ns[NS_USER]) {
		if (setresgid(0, 0, 0) < 0)
			fail(NULL, "setresgid 0 in the user namespace");
		if (setresuid(0, 0, 0) < 0)
			fail(NULL, "setresuid 0 in the user namespace");
	}
	/* a new cgroup ns is made by cgroups_ready(), after the joins */
	int flags = 0;
	for (int i = 0; i < NS_COUNT; i++)
		if (plan_ns_is_new(p, i) && i != NS_USER && i != NS_PID && i != NS_CGROUP)
			flags |= ns_flags[i];
	int t = flags & CLONE_NEWTIME;
	if (flags && unshare(flags) < 0) {
		for (int i = 0; i < NS_COUNT; i++)
			if ((flags & ns_flags[i]) && unshare(ns_flags[i]) < 0)
				fail(NULL, "namespace %s", plan_ns_name(i));
		fail(NULL, "unshare");
	}
	if (t)
		time_offsets(p);
	else if (p->ntime_offsets)
		failx(NULL, "time-offset: needs a new time namespace");
}
