/*
 * `hold`: an init that runs no program. It holds the namespaces it was
 * given (network, ipc, uts...) for processes of other plans to join by
 * `namespace TYPE /proc/PID/ns/TYPE`: it is reported ready like a created
 * container, and once started (at once without an exec FIFO) it waits,
 * reaping what is reparented to it, until SIGTERM or SIGINT (exit 0) or
 * SIGKILL.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nest.h"

static void __attribute__((noreturn)) hold_loop(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked signals are queued for a PID 1 too, which the kernel
	 * spares every signal it has no handler for. */
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* What setup used is given back; the loop calls through syscall(),
	 * as nest-init's does (idlemem.c). */
	drop_stack_below();
	drop_text_pages();
	for (;;) {
		siginfo_t si;
		int sig = (int)syscall(SYS_rt_sigtimedwait, &set, &si, NULL, (size_t)(_NSIG / 8));
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
		for (;;) {
			pid_t w = (pid_t)syscall(SYS_wait4, -1, NULL, WNOHANG, NULL);
			if (w <= 0 && !(w < 0 && errno == EINTR))
				break;
		}
	}
}

void hold_stage(const struct nest_plan *p, struct proc_handles *h, int out_w, int err_w)
{
	/* a network namespace the holder made is a pod's: its processes talk
	 * over 127.0.0.1 (one it joins by path had its loopback made up) */
	if (p->has_ns[NS_NETWORK] && p->ns[NS_NETWORK].path == NULL)
		(void)loopback_up();
	stdio_setup(p, h->nullfd, out_w, err_w);
	close_all_but(g_chan, -1, -1);
	no_dump();
	ready_and_started(p);
	close(g_chan);
	reset_signals();
	(void)prctl(PR_SET_NAME, "nest-hold", 0, 0, 0);
	memset(g_args, 0, g_args_len);
	memcpy(g_args, "nest-hold", g_args_len < 9 ? g_args_len : 9);
	hold_loop();
}
