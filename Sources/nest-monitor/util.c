/*
 * Error reporting and small I/O helpers.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nest.h"

int g_in_child;
int g_chan = -1;
int g_sync_fd = -1;
pid_t g_child;
int g_child_pidfd = -1;
int g_handoff;

/* The initial user namespace maps every uid onto itself; any other map
 * is a user namespace's (podman rootless runs its runtime in one). Read
 * once, when a device or /sys first asks. */
int running_in_userns(void)
{
	static int known = -1;
	if (known >= 0)
		return known;
	char buf[128] = { 0 };
	known = 0;
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return known;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	unsigned long a, b, c;
	if (n > 0 && sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3)
		known = !(a == 0 && b == 0 && c == 4294967295UL);
	return known;
}
int g_preserve_fds;

/* fds 0-2 must exist before a mode opens anything, or a pipe or socket
 * would take the place of one; -1 when they cannot be made to. */
int stdio_ensure(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return -1;
	return 0;
}

/* Brings the loopback of the caller's network namespace up (what the CNI
 * loopback plugin does): a pod's processes talk over 127.0.0.1. -1 with
 * errno when it cannot. */
int loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(s);
	errno = saved;
	return rc;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int write_file(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, s, len);
	int e = errno;
	close(fd);
	if (w < 0 || (size_t)w != len) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}

int chan_send(int fd, const char *msg)
{
	ssize_t w;
	do
		w = send(fd, msg, strlen(msg), MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -1 : 0;
}

ssize_t chan_recv_flags(int fd, char *buf, size_t len, int flags)
{
	ssize_t r;
	do
		r = recv(fd, buf, len - 1, flags);
	while (r < 0 && errno == EINTR);
	/* A peer that exits with messages of ours unread makes the next recv
	 * fail with ECONNRESET, even when its last message (the error it
	 * exited with) is still queued here: that error is reported once, so
	 * a second recv reads the message. */
	if (r < 0 && errno == ECONNRESET)
		do
			r = recv(fd, buf, len - 1, flags | MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
	if (r >= 0)
		buf[r] = 0;
	return r;
}

ssize_t chan_recv(int fd, char *buf, size_t len)
{
	return chan_recv_flags(fd, buf, len, 0);
}

/* Appends S to OUT with the plan's escapes (\\ \t \n), so that a field
 * is one TAB-free line. */
static void esc_append(char *out, size_t outlen, size_t *o, const char *s)
{
	for (; s && *s && *o + 3 < outlen; s++) {
		char c = *s;
		if (c == '\\' || c == '\t' || c == '\n') {
			out[(*o)++] = '\\';
			c = c == '\t' ? 't' : c == '\n' ? 'n' : '\\';
		}
		out[(*o)++] = c;
	}
	out[*o] = 0;
}

void error_record(char *out, size_t outlen, const char *step, const char *path, int err, const char *msg)
{
	char num[16];
	const char *name = err ? strerrorname_np(err) : NULL;
	size_t o = 0;
	snprintf(num, sizeof num, "%d", err);
	const char *fields[] = { "error", step, path, num, name ? name : "", msg };
	out[0] = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (i > 0 && o + 2 < outlen) {
			out[o++] = '\t';
			out[o] = 0;
		}
		esc_append(out, outlen, &o, fields[i]);
	}
}

const char *error_record_message(char *wire)
{
	char *msg = wire;
	for (int i = 0; i < 5; i++) {
		char *t = strchr(msg, '\t');
		if (!t)
			return wire;
		msg = t + 1;
	}
	char *o = msg;
	for (char *s = msg; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return msg;
}

/* The step is the message's first word: the record or stage that failed. */
static void step_of(const char *msg, char *step, size_t len)
{
	size_t n = strcspn(msg, " :\t\n");
	if (n >= len)
		n = len - 1;
	memcpy(step, msg, n);
	step[n] = 0;
}

static void __attribute__((noreturn)) report(const char *path, int err, const char *msg)
{
	char step[64], rec[8400];
	step_of(msg, step, sizeof step);
	error_record(rec, sizeof rec - 1, step, path, err, msg);
	if (g_in_child) {
		char buf[8500];
		snprintf(buf, sizeof buf, "E%s", rec);
		chan_send(g_chan, buf);
		_exit(1);
	}
	fail_relay(rec);
}

void fail_relay(const char *wire)
{
	if (g_child > 0) {
		kill(g_child, SIGKILL);
		child_wait_gone(NULL);
	}
	char buf[8500];
	int n = snprintf(buf, sizeof buf, "%s\n", wire);
	if (n > (int)sizeof buf - 1) {
		n = (int)sizeof buf - 1;
		buf[n - 1] = '\n';
	}
	write_all(g_sync_fd >= 0 ? g_sync_fd : 2, buf, (size_t)n);
	exit(1);
}

void fail_with(const struct step_error *e)
{
	report(e->path, e->err, e->msg);
}

void fail(const char *path, const char *fmt, ...)
{
	int e = errno;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(e));
	report(path, e, msg);
}

void failx(const char *path, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(path, 0, msg);
}

/* JSON string literal of S (with quotes) into OUT. */
void json_str(char *out, size_t outlen, const char *s)
{
	size_t o = 0;
	if (outlen < 3)
		return;
	out[o++] = '"';
	for (; *s && o + 8 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = 0;
}

static int trace_on = -1;
static struct timespec t0;

/* A monitor forked by the zygote counts from its own start. */
void mtrace_restart(void)
{
	trace_on = -1;
}

/* NEST_TRACE set: "nest-trace: monitor|init WHAT US" on stderr, US counted
 * from the monitor's first mark. */
void mtrace(const char *what)
{
	int on;
	struct timespec t;
	if (trace_on < 0) {
		const char *e = getenv("NEST_TRACE");
		trace_on = e && *e;
		clock_gettime(CLOCK_MONOTONIC, &t0);
	}
	on = trace_on;
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	long us = (t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000;
	dprintf(2, "nest-trace: %s %s %ld us\n", g_in_child ? "init" : "monitor", what, us);
}

static unsigned long flags_of(const struct statvfs *st)
{
	unsigned long f = 0;
	if (st->f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (st->f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (st->f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (st->f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (st->f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (st->f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	if (st->f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

/* The flags of the mount FD (or PATH) is on: in a user namespace a remount
 * must keep those the owner of the mount locked, or it fails with EPERM. */
unsigned long locked_mount_flags(int fd)
{
	struct statvfs st;
	return fstatvfs(fd, &st) < 0 ? 0 : flags_of(&st);
}

unsigned long locked_mount_flags_at(const char *path)
{
	struct statvfs st;
	return statvfs(path, &st) < 0 ? 0 : flags_of(&st);
}
