/*
 * OCI hooks, every kind: `hook KIND TIMEOUT PATH NARGS ARGS... ENV...`, the
 * state JSON (with the plan's annotations) on stdin, an optional timeout
 * in seconds. The monitor runs prestart and createRuntime, the container
 * init createContainer and startContainer, and `nest-monitor -H`
 * (hookmode.c) poststart and poststop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nest.h"

static int hook_error(struct step_error *e, const struct plan_hook *h, int err, const char *what)
{
	e->err = err;
	e->path = h->path;
	snprintf(e->msg, sizeof e->msg, "hook %s %s: %s%s%s", plan_hook_kind_name(h->kind), h->path, what,
		 err ? ": " : "", err ? strerror(err) : "");
	return -1;
}

/* Seconds since START, on the monotonic clock. */
static time_t elapsed(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec;
}

static int timed_out(const struct plan_hook *h, pid_t pid, struct step_error *e)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	char what[64];
	snprintf(what, sizeof what, "timed out after %us", h->timeout);
	return hook_error(e, h, 0, what);
}

/* Writes STATE to FD (non-blocking) while the hook runs. A hook need not
 * read its state: once it has exited or closed its stdin (EPIPE, SIGPIPE
 * being ignored in every process that runs hooks) the rest is dropped,
 * and only its exit status counts. One that neither reads nor exits is
 * still bound by its timeout. Returns 1 when the hook was reaped here
 * (its status in *STATUS), 0 when the state is written or dropped, -1
 * on a timeout or error (in *E). */
static int feed_state(const struct plan_hook *h, pid_t pid, int fd, const char *state,
		      const struct timespec *start, int *status, struct step_error *e)
{
	size_t off = 0, len = strlen(state);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int err = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return hook_error(e, h, err, "stdin");
	}
	while (off < len) {
		ssize_t w = write(fd, state + off, len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return 0; /* EPIPE: the hook is not reading */
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		if (h->timeout > 0 && elapsed(start) >= (time_t)h->timeout)
			return timed_out(h, pid, e);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		poll(&pfd, 1, 10);
	}
	return 0;
}

/* Waits for PID, killing it after TIMEOUT seconds (0: never). */
static int wait_hook(const struct plan_hook *h, pid_t pid, const struct timespec *start, int *status,
		     struct step_error *e)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	for (;;) {
		pid_t w = waitpid(pid, status, h->timeout > 0 ? WNOHANG : 0);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR) {
			int err = errno;
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return hook_error(e, h, err, "wait");
		}
		if (h->timeout > 0 && elapsed(start) >= (time_t)h->timeout)
			return timed_out(h, pid, e);
		nanosleep(&tick, NULL);
	}
}

static int run_one(const struct plan_hook *h, const char *state, struct step_error *e)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return hook_error(e, h, errno, "pipe");
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(in[0]);
		close(in[1]);
		return hook_error(e, h, err, "fork");
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		dup2(in[0], 0);
		dup2(2, 1);
		execve(h->path, h->argv, h->env);
		_exit(127);
	}
	close(in[0]);
	/* a hook that does not read its state must not kill us, whatever
	 * the caller's disposition of SIGPIPE */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int status = 0;
	int fed = feed_state(h, pid, in[1], state, &start, &status, e);
	close(in[1]);
	signal(SIGPIPE, old);
	if (fed < 0)
		return -1;
	if (fed == 0 && wait_hook(h, pid, &start, &status, e) < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char what[64];
	if (WIFEXITED(status))
		snprintf(what, sizeof what, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(what, sizeof what, "killed by signal %d", WTERMSIG(status));
	return hook_error(e, h, 0, what);
}

/* Appends the JSON string literal of S (json_str wants room for 6 bytes
 * a character and 16 more); returns the new length. */
static size_t put_str(char *out, size_t o, const char *s)
{
	json_str(out + o, strlen(s) * 6 + 16, s);
	return o + strlen(out + o);
}

/* The OCI state, as `nest state` has it but without `created`. */
static char *state_json(const struct nest_plan *p, pid_t pid, const char *status)
{
	size_t size = 256 + strlen(status);
	const char *strs[] = { p->oci_version ? p->oci_version : "1.2.0", p->id ? p->id : "",
			       p->bundle ? p->bundle : "" };
	for (size_t i = 0; i < 3; i++)
		size += strlen(strs[i]) * 6 + 16;
	for (int i = 0; i < p->nannotations; i++)
		size += (strlen(p->annotations[i].key) + strlen(p->annotations[i].value)) * 6 + 34;
	char *out = malloc(size);
	if (!out)
		return NULL;
	size_t o = (size_t)sprintf(out, "{\"ociVersion\":");
	o = put_str(out, o, strs[0]);
	o += (size_t)sprintf(out + o, ",\"id\":");
	o = put_str(out, o, strs[1]);
	o += (size_t)sprintf(out + o, ",\"status\":\"%s\",\"pid\":%d,\"bundle\":", status, (int)pid);
	o = put_str(out, o, strs[2]);
	o += (size_t)sprintf(out + o, ",\"annotations\":{");
	for (int i = 0; i < p->nannotations; i++) {
		if (i > 0)
			out[o++] = ',';
		o = put_str(out, o, p->annotations[i].key);
		out[o++] = ':';
		o = put_str(out, o, p->annotations[i].value);
	}
	sprintf(out + o, "}}");
	return out;
}

/* Poststart and poststop hooks run after the container's state has
 * changed: a failure there is a warning (the caller's), and the rest of
 * them still run (runtime-spec, "Lifecycle"). */
static int keeps_going(enum hook_kind kind)
{
	return kind == HOOK_POSTSTART || kind == HOOK_POSTSTOP;
}

int hooks_run(const struct nest_plan *p, enum hook_kind kind, pid_t pid, const char *status,
	      struct step_error *e)
{
	if (!plan_has_hook(p, kind))
		return 0;
	char *state = state_json(p, pid, status);
	if (!state) {
		e->err = ENOMEM;
		e->path = NULL;
		snprintf(e->msg, sizeof e->msg, "hook %s: state: %s", plan_hook_kind_name(kind), strerror(ENOMEM));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < p->nhooks && (rc == 0 || keeps_going(kind)); i++) {
		if (p->hooks[i].kind != kind)
			continue;
		struct step_error one = { 0 };
		if (run_one(&p->hooks[i], state, &one) == 0)
			continue;
		if (rc == 0) {
			*e = one;
		} else {
			/* every failure is named, the first one's path and errno kept */
			size_t n = strlen(e->msg);
			snprintf(e->msg + n, sizeof e->msg - n, "; %s", one.msg);
		}
		rc = -1;
	}
	free(state);
	return rc;
}
