/*
 * The launch plan, parsed once into typed records (docs/launch-plan.md).
 * Every number is range-checked and every name looked up when the plan is
 * read, so the steps that apply it meet no malformed field.
 */
#ifndef NEST_PLAN_H
#define NEST_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ns_type { NS_PID, NS_NETWORK, NS_MOUNT, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_TIME, NS_COUNT };
enum stdio_mode { STDIO_INHERIT, STDIO_NULL, STDIO_LOG };
enum cgroup_layout { CGROUP_V1, CGROUP_V2, CGROUP_HYBRID };
enum cap_set { CAPSET_BOUNDING, CAPSET_EFFECTIVE, CAPSET_INHERITABLE, CAPSET_PERMITTED, CAPSET_AMBIENT, CAPSET_COUNT };
enum hook_kind {
	HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER,
	HOOK_POSTSTART, HOOK_POSTSTOP, HOOK_COUNT
};
enum sc_action {
	SC_KILL_THREAD, SC_KILL_PROCESS, SC_TRAP, SC_ERRNO, SC_TRACE, SC_ALLOW, SC_LOG
};
enum sc_op { SC_NE, SC_LT, SC_LE, SC_EQ, SC_GE, SC_GT, SC_MASKED_EQ };
enum sc_flag { SC_FLAG_TSYNC, SC_FLAG_LOG, SC_FLAG_SPEC_ALLOW };

struct plan_ns {
	enum ns_type type;
	const char *path; /* NULL: a new one */
};

struct plan_idmap {
	uint32_t container, host, size;
};

struct plan_time_offset {
	const char *clock; /* "monotonic" or "boottime" */
	int64_t secs;
	int64_t nanosecs;
};

struct plan_mount {
	const char *dest, *type, *source, *data;
	unsigned long flags, propagation;
};

struct plan_device {
	const char *path;
	char type; /* c b p u */
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct plan_symlink {
	const char *target, *link;
};

struct plan_sysctl {
	const char *key, *value;
};

struct plan_rlimit {
	const char *name;
	int resource;
	uint64_t soft, hard; /* UINT64_MAX: unlimited */
};

struct plan_cap {
	enum cap_set set;
	int cap; /* the CAP_* number */
	const char *name;
};

struct plan_sc_action {
	enum sc_action action;
	const char *name;
	uint32_t errno_ret; /* ERRNO and TRACE: EPERM unless given */
};

struct plan_sc_cond {
	unsigned index; /* 0-5 */
	enum sc_op op;
	uint64_t value, value_two;
};

struct plan_sc_rule {
	struct plan_sc_action action;
	const char *syscall;
	int ncond;
	struct plan_sc_cond *cond;
};

struct plan_seccomp {
	int set; /* a seccomp-default record was given */
	struct plan_sc_action def;
	const char **archs;
	int narchs;
	enum sc_flag *flags;
	int nflags;
	struct plan_sc_rule *rules;
	int nrules;
};

struct plan_hook {
	enum hook_kind kind;
	unsigned timeout; /* seconds, 0 = none */
	const char *path;
	char **argv; /* NULL-terminated; [path] when the record has no args */
	char **env;  /* NULL-terminated */
};

struct plan_annotation {
	const char *key, *value;
};

struct nest_plan {
	const char *id, *oci_version, *bundle, *state_dir;
	const char *exec_fifo, *status_file, *pid_file, *oom_file;
	int sync_fd;
	enum stdio_mode stdio;
	const char *log_path;
	const char *console_socket;
	int has_console_size;
	unsigned short console_rows, console_cols;
	const char *rootfs; /* NULL only with hold */
	/* rootfs-overlay: the overlay mounted at rootfs first (upper NULL:
	 * none): its dirs, the lower ones top first, checked when the plan is
	 * read; overlay_data is the one-string mount data
	 * "lowerdir=...,upperdir=...,workdir=..." when it fits the page
	 * mount(2) copies (NULL when not: only the new mount API's
	 * lowerdir+, one layer at a time, takes that many). */
	const char *overlay_upper, *overlay_work;
	const char **overlay_lowers;
	int noverlay_lowers;
	char *overlay_data;
	int rootfs_readonly;
	unsigned long rootfs_propagation;
	const char *rootfs_propagation_name;
	int cgroup_layout_set;
	enum cgroup_layout cgroup_layout;
	struct plan_ns ns[NS_COUNT];
	int has_ns[NS_COUNT];
	struct plan_idmap *uid_maps, *gid_maps;
	int nuid_maps, ngid_maps;
	struct plan_time_offset *time_offsets;
	int ntime_offsets;
	const char *hostname, *domainname;
	const char **cgroup_joins;
	int ncgroup_joins;
	struct plan_mount *mounts;
	int nmounts;
	struct plan_device *devices;
	int ndevices;
	struct plan_symlink *symlinks;
	int nsymlinks;
	const char **masked, **readonly;
	int nmasked, nreadonly;
	struct plan_sysctl *sysctls;
	int nsysctls;
	struct plan_rlimit *rlimits;
	int nrlimits;
	int has_oom_score_adj;
	int oom_score_adj;
	uid_t uid;
	gid_t gid;
	mode_t umask; /* 022 unless given */
	gid_t *groups;
	int ngroups;
	const char *cwd;
	char **env; /* NULL-terminated */
	int nenv;
	const char **args;
	int nargs;
	int no_new_privileges;
	/* written to the thread's attr/exec before the program's exec */
	const char *apparmor_profile, *selinux_label;
	struct plan_cap *caps;
	int ncaps;
	struct plan_seccomp seccomp;
	struct plan_hook *hooks;
	int nhooks;
	const char *init;
	const char **init_args;
	int ninit_args;
	struct plan_annotation *annotations;
	int nannotations;
	int hold; /* run no program: hold the namespaces (docs/launch-plan.md) */
	int handoff; /* the init is the spawner's child; the monitor leaves after start */
	int preserve_fds; /* the spawner's fds 3...3+N-1, passed on to the process */
	/* An exec plan: the process joins the container of this init (its
	 * start time tells it from a later process with its pid); 0: none. */
	pid_t exec_pid;
	unsigned long long exec_start_time;

	char *text; /* the plan's text: every string above points into it */
};

/* Parses LEN bytes of BUF into P (which it zeroes first). On error returns
 * -1 with a one-line message naming the line and the record in ERR, and P
 * holds nothing to free; its sync_fd is kept when that record was read
 * (the monitor reports the error there). */
int plan_parse(struct nest_plan *p, const char *buf, size_t len, char *err, size_t errlen);
/* Reads PATH and parses it. */
int plan_load(struct nest_plan *p, const char *path, char *err, size_t errlen);
/* Reads FD to EOF and parses it; NAME is for errors. */
int plan_read(struct nest_plan *p, int fd, const char *name, char *err, size_t errlen);
void plan_free(struct nest_plan *p);

int plan_has_hook(const struct nest_plan *p, enum hook_kind kind);
const char *plan_hook_kind_name(enum hook_kind kind);
/* -1 when NAME is no hook kind. */
int plan_hook_kind(const char *name);
const char *plan_ns_name(enum ns_type type);
const char *plan_cap_set_name(enum cap_set set);
int plan_ns_is_new(const struct nest_plan *p, enum ns_type type);

#endif
