/*
 * `hold`: an init that runs no program. It holds the namespaces it was
 * given (network, ipc, uts...) for processes of other plans to join by
 * `namespace TYPE /proc/PID/ns/TYPE`: it is reported ready like a created
 * container, and once started (at once without an exec FIFO) it waits,
 * reaping what is reparented to it, until SIGTERM or SIGINT (exit 0) or
 * SIGKILL.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
		for (;;) {
			pid_t w = waitpid(-1, NULL, WNOHANG);
			if (w <= 0 && !(w < 0 && errno == EINTR))
				break;
		}
	}
}

/* A network namespace the holder made is a pod's: its processes talk to
 * each other over 127.0.0.1, so its loopback is up before they join (as a
 * pause container's CNI loopback plugin would have it). */
static void loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		(void)ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

void hold_stage(const struct nest_plan *p, struct proc_handles *h, int out_w, int err_w)
{
	if (p->has_ns[NS_NETWORK] && p->ns[NS_NETWORK].path == NULL)
		loopback_up();
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
