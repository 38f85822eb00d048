/*
 * Waiting for the container init, and the stdio log copier:
 * `RFC3339NANO STREAM DATA\n`, partial lines as `TS STREAM P DATA\n`.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nest.h"

#define BUFSZ 16384

struct stream {
	const char *name;
	int fd;
	size_t len;
	char buf[BUFSZ];
};

static struct stream streams[2] = { { .name = "stdout", .fd = -1 }, { .name = "stderr", .fd = -1 } };
static int logfd = -1;
char g_finished[64]; /* when the init was reaped */

void log_setup(const struct nest_plan *p, int out[2], int errp[2])
{
	streams[0].fd = out[0];
	streams[1].fd = errp[0];
	/* A log file in a directory a container can write to (a volume of
	 * a hand-written subsystem) may have been swapped for a symlink to a
	 * host file: a final symlink is refused, not appended through. */
	logfd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0)
		fail(p->log_path, "stdio log %s", p->log_path);
}

void rfc3339nano(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static void emit(struct stream *s, const char *data, size_t n, int partial)
{
	char ts[64], head[96];
	rfc3339nano(ts, sizeof ts);
	int h = snprintf(head, sizeof head, "%s %s %s", ts, s->name, partial ? "P " : "");
	char rec[BUFSZ + 128];
	memcpy(rec, head, (size_t)h);
	memcpy(rec + h, data, n);
	rec[(size_t)h + n] = '\n';
	write_all(logfd, rec, (size_t)h + n + 1);
}

static void flush(struct stream *s, int eof)
{
	char *start = s->buf, *end = s->buf + s->len, *nl;
	while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
		emit(s, start, (size_t)(nl - start), 0);
		start = nl + 1;
	}
	size_t rest = (size_t)(end - start);
	if (rest && (eof || rest == BUFSZ)) {
		emit(s, start, rest, 1);
		rest = 0;
	}
	memmove(s->buf, start, rest);
	s->len = rest;
}

/* Reads what is there; returns 0 at EOF. */
static int drain(struct stream *s)
{
	ssize_t n = read(s->fd, s->buf + s->len, BUFSZ - s->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		flush(s, 1);
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	s->len += (size_t)n;
	flush(s, 0);
	return 1;
}

/* The monitor stays as long as the container. Once the container has been
 * quiet for IDLE_MS, what setup used is given back (the plan, which the
 * status still needs, stays) and only what this loop runs is mapped again
 * (idlemem.c). Not at once: a container gone sooner (`run --rm` of a
 * short command) spares its monitor the faults of mapping back its exit
 * path (the status file, the log's flush). */
enum { IDLE_MS = 100 };

static void __attribute__((noinline)) release_idle_memory(void)
{
	malloc_trim(0);
	drop_stack_below();
	drop_text_pages();
}

/* Reaps children (we are a subreaper) until INIT has exited and the log
 * pipes are drained. */
void log_loop(pid_t init, int *status)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fail(NULL, "signalfd");
	int done = 0, released = 0;
	struct timespec end = { 0, 0 }, now;
	for (;;) {
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			if (start_gate_reaped(w, st))
				continue;
			else if (w == init) {
				*status = st;
				done = 1;
				rfc3339nano(g_finished, sizeof g_finished);
				clock_gettime(CLOCK_MONOTONIC, &end);
				end.tv_sec += 2;
			}
		int open_streams = (streams[0].fd >= 0) + (streams[1].fd >= 0);
		if (done && !open_streams)
			break;
		struct pollfd p[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = streams[0].fd, .events = POLLIN },
			{ .fd = streams[1].fd, .events = POLLIN },
		};
		int r = poll(p, 3, done ? 500 : released ? -1 : IDLE_MS);
		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && !done && !released) {
			released = 1;
			release_idle_memory();
			continue;
		}
		if (done) {
			/* something outlived the init and holds the pipes:
			 * 500 ms of silence or 2 s in all */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (r == 0 || now.tv_sec > end.tv_sec ||
			    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
				break;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) > 0)
				;
		}
		for (int i = 0; i < 2; i++)
			if (streams[i].fd >= 0 && (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				drain(&streams[i]);
	}
	for (int i = 0; i < 2; i++)
		if (streams[i].fd >= 0) {
			flush(&streams[i], 1);
			close(streams[i].fd);
		}
	close(sfd);
}
