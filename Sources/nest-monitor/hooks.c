/*
 * OCI hooks: `hook KIND TIMEOUT PATH NARGS ARGS... ENV...`, the state JSON
 * on stdin, an optional timeout in seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nest.h"

static int run_one(struct rec *r, const char *state, char *err, size_t errlen)
{
	const char *path = r->f[2];
	long timeout = strtol(r->f[1], NULL, 10);
	long nargs = strtol(r->f[3], NULL, 10);
	if (nargs < 0 || nargs > r->n - 4) {
		snprintf(err, errlen, "hook %s %s: bad argument count", r->f[0], path);
		return -1;
	}
	int nenv = r->n - 4 - (int)nargs;
	char **argv = calloc((size_t)nargs + 2, sizeof *argv);
	char **envp = calloc((size_t)nenv + 1, sizeof *envp);
	if (!argv || !envp) {
		snprintf(err, errlen, "hook %s %s: out of memory", r->f[0], path);
		return -1;
	}
	for (int i = 0; i < nargs; i++)
		argv[i] = r->f[4 + i];
	if (nargs == 0)
		argv[0] = (char *)path;
	for (int i = 0; i < nenv; i++)
		envp[i] = r->f[4 + nargs + i];
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "hook %s %s: pipe: %s", r->f[0], path, strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "hook %s %s: fork: %s", r->f[0], path, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		dup2(in[0], 0);
		dup2(2, 1);
		execve(path, argv, envp);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	write_all(in[1], state, strlen(state));
	close(in[1]);
	free(argv);
	free(envp);
	struct timespec start, now, tick = { 0, 10 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &start);
	int status;
	for (;;) {
		pid_t w = waitpid(pid, &status, timeout > 0 ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(err, errlen, "hook %s %s: wait: %s", r->f[0], path, strerror(errno));
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout > 0 && now.tv_sec - start.tv_sec >= timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			snprintf(err, errlen, "hook %s %s: timed out after %lds", r->f[0], path, timeout);
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(err, errlen, "hook %s %s: exit status %d", r->f[0], path, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "hook %s %s: killed by signal %d", r->f[0], path, WTERMSIG(status));
	return -1;
}

int hooks_run(const char *kind, pid_t pid, const char *status, char *err, size_t errlen)
{
	char state[16384], id[4096], bundle[4096], version[128];
	json_str(id, sizeof id, plan_str("id", ""));
	json_str(bundle, sizeof bundle, plan_str("bundle", ""));
	json_str(version, sizeof version, plan_str("oci-version", "1.2.0"));
	snprintf(state, sizeof state,
		 "{\"ociVersion\":%s,\"id\":%s,\"status\":\"%s\",\"pid\":%d,"
		 "\"bundle\":%s,\"annotations\":{}}",
		 version, id, status, (int)pid, bundle);
	for (struct rec *r = NULL; (r = plan_next("hook", r));)
		if (strcmp(r->f[0], kind) == 0 && run_one(r, state, err, errlen) < 0)
			return -1;
	return 0;
}
