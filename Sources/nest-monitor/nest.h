/*
 * nest-monitor: shared declarations. See docs/launch-plan.md.
 */
#ifndef NEST_MONITOR_H
#define NEST_MONITOR_H

#include <stddef.h>
#include <sys/types.h>

/* ---- plan.c: the launch plan ---- */
struct rec {
	char *kind;
	int n;		/* number of fields after the kind */
	char **f;	/* unescaped fields */
	int line;
};

struct plan {
	struct rec *r;
	int n;
};

extern struct plan P;

/* Reads and validates PATH into P. On error returns -1 with a message in err. */
int plan_load(const char *path, char *err, size_t errlen);
/* First record of KIND after PREV (NULL = from the start), or NULL. */
struct rec *plan_next(const char *kind, struct rec *prev);
/* Field 0 of the first record of KIND, or DEF. */
const char *plan_str(const char *kind, const char *def);
int plan_count(const char *kind);

/* ---- util.c ---- */
/* In the container init: send "E<message>: <strerror(errno)>" to the
 * monitor and exit. In the monitor: report "error ..." and exit. */
void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Like fail but without errno. */
void failx(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Set by the monitor: how fail() reports. */
extern int g_in_child;	/* 1 in the container init */
extern int g_chan;	/* child: socket to the monitor */
extern int g_sync_fd;	/* monitor: sync fd of the spawner (-1 = closed) */
extern pid_t g_child;	/* monitor: the container init (0 = none) */
extern int g_go_fd;	/* monitor -g: the go pipe, until the cgroups are made */
extern void *g_heap_start; /* the first heap block main allocated */
extern char *g_args;	/* the monitor's argv strings, contiguous */
extern size_t g_args_len;

int zygote_main(int sock);
int monitor_main(const char *plan);

int write_all(int fd, const void *buf, size_t len);
/* Writes S to PATH (O_WRONLY|O_TRUNC unless append). Returns -1 on error. */
int write_file(const char *path, const char *s, size_t len);
/* Reads a message from the socket, returns its length or -1/0. */
ssize_t chan_recv_flags(int fd, char *buf, size_t len, int flags);
ssize_t chan_recv(int fd, char *buf, size_t len);
int chan_send(int fd, const char *msg);
long parse_long(const char *s, int base, const char *what);
void json_str(char *out, size_t outlen, const char *s);
unsigned long locked_mount_flags(int fd);
unsigned long locked_mount_flags_at(const char *path);
/* NEST_TRACE: prints WHAT with the time since the monitor's first mark. */
void mtrace_restart(void);
void mtrace(const char *what);
/* crash.c: NEST_CRASH_AT=NAME kills the monitor at the point NAME. */ void crash_point(const char *name);

/* ---- ns.c ---- */
int ns_type_flag(const char *type);
void ns_open_joins(void);		/* monitor, before clone */
void ns_close_joins(void);		/* monitor, after clone */
void ns_monitor_prepare(void);	/* monitor: setns(pid) before clone */
int ns_clone_flags(void);
void ns_write_maps(pid_t pid, int late);	/* monitor, after clone / on "U" */
int ns_late_userns(void);
void ns_child_setup(void);		/* child: joins, unshare, time */
int ns_is_new(const char *type);
int ns_in_userns(void);
int ns_pid_needs_fork(void);

/* ---- mounts.c / rootfs.c ---- */
int open_in_root(int rootfd, const char *path, int flags, int create);
void rootfs_prepare(void);		/* propagation, rootfs bind, rootfd */
void mounts_apply(void);
void devices_apply(void);
void symlinks_apply(void);
void rootfs_pivot(void);
void rootfs_finish(void);		/* masked, readonly, ro rootfs, propagation */
extern int g_rootfd;

/* ---- process.c ---- */
void proc_early(void);		/* hostname, domainname */
void proc_sysctl(void);
void proc_rlimits(void);
void proc_oom(void);
void proc_prepare_cwd(void);
int proc_open_cwd(void);		/* after rootfs_finish: the cwd's fd, or -1 */
void proc_drop_bounding(void);
void proc_user(int cwdfd);
void proc_caps(void);
char **proc_env(void);
char **proc_argv(void);

/* ---- seccomp.c ---- */
void seccomp_apply(int nnp);

/* ---- hooks.c ---- */
/* Runs every hook of KIND; on failure returns -1 with a message in err. */
int hooks_run(const char *kind, pid_t pid, const char *status, char *err, size_t errlen);

/* ---- console.c ---- */
void console_connect(void);	/* before pivot_root */
void console_setup(void);	/* after pivot_root */

/* ---- logcopy.c ---- */
void log_setup(int out[2], int errp[2]);
void log_loop(pid_t init, int *status);
void rfc3339nano(char *out, size_t len);

/* ---- sealexe.c ---- */
/* An fd of PATH to execveat: a read-only clone, or a sealed memfd copy. */
int nest_sealed_exe(const char *path);	/* CNestShims/sealed-exe.c */

/* ---- startgate.c ---- */
/* Monitor, once `created` is reported: a helper waits for `start` on the
 * exec FIFO, and the init (on CHAN) is told "S" when it has. */
void start_gate_open(int chan);
/* From the reaping loop: 1 when PID was the helper (and is dealt with). */
int start_gate_reaped(pid_t pid, int status);
void start_gate_close(void);

/* ---- child.c ---- */
void child_main(int out_w, int err_w);
/* Child: the next message that is not "C"; waits for "C" (cgroups joined)
 * and makes a new cgroup namespace, once. */
ssize_t chan_recv_go(char *buf, size_t len);
void cgroups_ready(void);
void cgroups_made(void);

#endif
