/*
 * nest-monitor: shared declarations. See docs/launch-plan.md.
 */
#ifndef NEST_MONITOR_H
#define NEST_MONITOR_H

#include <stddef.h>
#include <sys/types.h>

#include "plan.h"

/* ---- util.c ---- */
/* A failed step: in the container init, sent to the monitor ("E" and the
 * error record); in the monitor, written to the sync fd as
 * `error STEP PATH ERRNO ERRNAME MESSAGE` (docs/launch-plan.md), and the
 * process exits. The step is the message's first word (the record or stage
 * that failed), PATH the file it failed on (NULL: none). fail adds
 * ": strerror(errno)" to the message and reports errno; failx reports none. */
void fail(const char *path, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void failx(const char *path, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* A failed step that is reported later (errno 0: none). */
struct step_error {
	int err;
	const char *path;
	char msg[4096];
};
void fail_with(const struct step_error *e) __attribute__((noreturn));
/* Monitor: reports the error record WIRE the container init sent. */
void fail_relay(const char *wire) __attribute__((noreturn));
/* The message of the error record WIRE, unescaped in place. */
const char *error_record_message(char *wire);
/* Formats the error record of a failed step into OUT (no newline). */
void error_record(char *out, size_t outlen, const char *step, const char *path, int err, const char *msg);
/* Set by the monitor: how fail() reports. */
extern int g_in_child;	/* 1 in the container init */
extern int g_chan;	/* child: socket to the monitor */
extern int g_sync_fd;	/* monitor: sync fd of the spawner (-1 = closed) */
extern pid_t g_child;	/* monitor: the container init (0 = none) */
extern int g_child_pidfd; /* monitor: a pidfd of it when it is not our child (handoff), else -1 */
extern int g_handoff;	/* the plan hands the init to the spawner (record `handoff`) */
int running_in_userns(void);	/* in a user namespace not the host's (rootless) */
extern int g_go_fd;	/* monitor -g: the go pipe, until the cgroups are made */
extern void *g_heap_start; /* the first heap block main allocated */
extern char *g_args;	/* the monitor's argv strings, contiguous */
extern size_t g_args_len;
/* The plan's preserve-fds: fds 3...3+N-1 go to the process untouched, and
 * every "from 3 up" below starts after them. */
extern int g_preserve_fds;

int zygote_main(int sock);
int monitor_main(const char *plan);
int monitor_wait_go(int fd);
/* nest-monitor -H KIND PLANFILE PID STATUS (hookmode.c) */
int hook_mode_main(int argc, char **argv);
int netns_mode_main(int argc, char **argv); /* -n make|remove PATH */
/* nest-monitor -x PLANFILE: a process joins a container (exec.c) */
int exec_main(const char *plan);
/* nest-monitor -u list|undo ...: a joined mount namespace's mounts (joinedmnt.c) */
int joined_mnt_main(int argc, char **argv);

/* idlemem.c, for a process that stays, once its setup is done: the stack
 * below the caller's frames given back; the page entries of our code and
 * read-only data dropped (only what runs next is mapped again). */
void drop_stack_below(void);
void drop_text_pages(void);

int stdio_ensure(void); /* fds 0-2 opened on /dev/null where missing */
int loopback_up(void);  /* lo up in the caller's network namespace; -1 with errno */
int write_all(int fd, const void *buf, size_t len);
/* Writes S to PATH (O_WRONLY|O_TRUNC unless append). Returns -1 on error. */
int write_file(const char *path, const char *s, size_t len);
/* Reads a message from the socket, returns its length or -1/0. */
ssize_t chan_recv_flags(int fd, char *buf, size_t len, int flags);
ssize_t chan_recv(int fd, char *buf, size_t len);
int chan_send(int fd, const char *msg);
void json_str(char *out, size_t outlen, const char *s);
unsigned long locked_mount_flags(int fd);
unsigned long locked_mount_flags_at(const char *path);
/* NEST_TRACE: prints WHAT with the time since the monitor's first mark. */
void mtrace_restart(void);
void mtrace(const char *what);
/* crash.c: NEST_CRASH_AT=NAME kills the monitor at the point NAME. */ void crash_point(const char *name);

/* ---- ns.c ---- */
void ns_open_joins(const struct nest_plan *p);	/* monitor, before clone */
void ns_close_joins(void);		/* monitor, after clone */
void ns_monitor_prepare(void);	/* monitor: setns(pid) before clone */
int ns_clone_flags(const struct nest_plan *p);
void ns_write_maps(const struct nest_plan *p, pid_t pid, int late); /* monitor, after clone / on "U" */
int ns_late_userns(const struct nest_plan *p);
void ns_child_setup(const struct nest_plan *p); /* child: joins, unshare, time */
int ns_pid_needs_fork(const struct nest_plan *p);

/* ---- mounts.c / rootfs.c ---- */
int open_in_root(int rootfd, const char *path, int flags, int create);
void rootfs_prepare(const struct nest_plan *p);	/* propagation, rootfs bind, rootfd */
void mounts_apply(const struct nest_plan *p);
void devices_apply(const struct nest_plan *p);
void symlinks_apply(const struct nest_plan *p);
void rootfs_pivot(const struct nest_plan *p);
void rootfs_chroot(const struct nest_plan *p);	/* the rootfs of a shared mount namespace */
void rootfs_finish(const struct nest_plan *p);	/* masked, readonly, ro rootfs */
extern int g_rootfd;

/* ---- process.c ---- */
void proc_early(const struct nest_plan *p);	/* hostname, domainname */
void proc_sysctl(const struct nest_plan *p);
void proc_rlimits(const struct nest_plan *p);
void proc_oom(const struct nest_plan *p);
void proc_prepare_cwd(const struct nest_plan *p);
int proc_open_cwd(const struct nest_plan *p, int rootfd); /* the cwd's fd, or -1 */
void proc_drop_bounding(const struct nest_plan *p);
void proc_user(const struct nest_plan *p, int cwdfd);
void proc_caps(const struct nest_plan *p);
void proc_lsm(const struct nest_plan *p);	/* lsm.c: attr/exec, the last step before exec */
char **proc_argv(const struct nest_plan *p);

/* ---- seccomp.c ---- */
void seccomp_apply(const struct nest_plan *p, int nnp);

/* ---- hooks.c ---- */
/* Runs every hook of KIND with the OCI state (STATUS, PID); on failure
 * returns -1 with what failed in *E. The first failure ends the run, but
 * for poststart and poststop: those all run, and *E names each failure. */
int hooks_run(const struct nest_plan *p, enum hook_kind kind, pid_t pid, const char *status,
	      struct step_error *e);

/* ---- console.c ---- */
void console_connect(const struct nest_plan *p);	/* before pivot_root */
void console_setup(const struct nest_plan *p);	/* after pivot_root */

/* ---- logcopy.c ---- */
void log_setup(const struct nest_plan *p, int out[2], int errp[2]);
void log_loop(pid_t init, int *status);
void rfc3339nano(char *out, size_t len);

/* ---- sealexe.c ---- */
/* An fd of PATH to execveat: a read-only clone, or a sealed memfd copy. */
int nest_sealed_exe(const char *path);	/* CNestShims/sealed-exe.c */

/* ---- startgate.c ---- */
/* Monitor, once `created` is reported: a helper waits for `start` on the
 * exec FIFO, tells the init (on CHAN) "S" when it has, and gives `start`
 * the init's answer (the startContainer hooks' outcome). */
void start_gate_open(const struct nest_plan *p, int chan);
/* From the reaping loop: 1 when PID was the helper (and is dealt with). */
int start_gate_reaped(pid_t pid, int status);
void start_gate_close(void);
int start_gate_pending(void);
/* handoff.c */
void child_wait_gone(int *status);
void handoff_wait(const struct nest_plan *p, int chan);
/* monitor.c */
int load_plan(struct nest_plan *plan, const char *path);

/* ---- child.c: the container init ---- */
void child_main(const struct nest_plan *p, int out_w, int err_w);
/* Child: the next message that is not "C"; waits for "C" (cgroups joined)
 * and makes a new cgroup namespace, once. */
ssize_t chan_recv_go(char *buf, size_t len);
void cgroups_ready(const struct nest_plan *p);
void cgroups_made(void);
/* Created: waits for "S" from the monitor (the start gate). */
void wait_start(void);
void ready_and_started(const struct nest_plan *p);
void run_hooks(const struct nest_plan *p, enum hook_kind kind);
/* Until it is ready the init dies with the monitor. */
void die_with_monitor(int on);
void no_dump(void);
/* Closes every fd from 3 up (after the preserved ones) but the three (-1
 * for none). */
void close_all_but(int a, int b, int c);
void stdio_setup(const struct nest_plan *p, int nullfd, int out_w, int err_w);
/* Every signal at its default and unblocked, as a new program has them. */
void reset_signals(void);

/* ---- stages.c: the init's two stages ---- */
/* What the process stage takes from the host before the root changes. */
struct proc_handles {
	int nullfd;	/* the host's /dev/null, for `stdio null` and `log` */
	int initfd;	/* the `init` program to exec, or -1 */
};
/* Before the shared stage: the init program, the console socket, the
 * oom score (through the host's /proc), /dev/null. */
void proc_stage_prepare(const struct nest_plan *p, struct proc_handles *h);
/* The shared (VFS) stage, in the init's namespaces: hostname, the rootfs
 * and every mount, devices, symlinks, createContainer hooks, pivot_root,
 * sysctls, the cwd made, masked and read-only paths; the cgroup namespace.
 * Returns the new root's fd, or -1 when the plan has no mount namespace
 * (a hold). */
int vfs_stage(const struct nest_plan *p);
/* The process stage: console, stdio, rlimits, cwd, capabilities' bounding
 * set, seccomp, user, capabilities. Takes ROOTFD (closed here) and
 * leaves the init holding only stdio, its channel and h->initfd. */
void proc_stage(const struct nest_plan *p, struct proc_handles *h, int rootfd, int out_w, int err_w);

/* ---- hold.c ---- */
/* `hold`: reports ready, waits for start, then holds the namespaces as
 * PID 1 until SIGTERM or SIGINT (exit 0). Never returns. */
void hold_stage(const struct nest_plan *p, struct proc_handles *h, int out_w, int err_w) __attribute__((noreturn));

#endif
