/*
 * The container init's two stages. The shared stage builds what the
 * container's processes share: its file system (the rootfs, every mount,
 * devices, symlinks, pivot_root or chroot, masked and read-only paths), its
 * hostname, sysctls and cgroup namespace. The process stage makes one
 * process of it: console, stdio, cwd, rlimits, capabilities, seccomp,
 * user and LSM label. What the process needs of the host (the init program, the console
 * socket, /dev/null) is taken before the root changes.
 */
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "nest.h"

void proc_stage_prepare(const struct nest_plan *p, struct proc_handles *h)
{
	h->initfd = -1;
	/* With an "init" record the init is that program, exec'd from a
	 * read-only clone of it (a container never reaches a writable host
	 * binary); without one, nest-init's loop runs in the process that is
	 * already PID 1, which saves an exec per container. */
	if (p->init && (h->initfd = nest_sealed_exe(p->init)) < 0)
		fail(p->init, "init %s", p->init);
	h->nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (h->nullfd < 0)
		fail("/dev/null", "stdio /dev/null");
	console_connect(p);
	proc_oom(p); /* through the host's /proc: the container may have none */
}

int vfs_stage(const struct nest_plan *p)
{
	proc_early(p);
	if (p->hold && !plan_ns_is_new(p, NS_MOUNT)) {
		/* a hold without a mount namespace: no mount steps at all */
		cgroups_ready(p);
		return -1;
	}
	rootfs_prepare(p);
	mounts_apply(p);
	mtrace("mounts");
	devices_apply(p);
	symlinks_apply(p);
	mtrace("devices");
	if (plan_has_hook(p, HOOK_CREATE_CONTAINER)) {
		cgroups_ready(p);
		run_hooks(p, HOOK_CREATE_CONTAINER);
	}
	/* Without a new mount namespace the rootfs was built in the caller's
	 * (or a joined) one, whose root pivot_root would change for every
	 * process in it: the init enters the rootfs with chroot instead. */
	if (plan_ns_is_new(p, NS_MOUNT))
		rootfs_pivot(p);
	else
		rootfs_chroot(p);
	mtrace("root");
	proc_sysctl(p);
	/* the process's cwd is made while the root may still be written */
	proc_prepare_cwd(p);
	rootfs_finish(p);
	cgroups_ready(p); /* unshare(CLONE_NEWCGROUP) needs CAP_SYS_ADMIN */
	int rootfd = g_rootfd;
	g_rootfd = -1;
	return rootfd;
}

void proc_stage(const struct nest_plan *p, struct proc_handles *h, int rootfd, int out_w, int err_w)
{
	console_setup(p);
	stdio_setup(p, h->nullfd, out_w, err_w);
	close(h->nullfd);
	h->nullfd = -1;
	if (out_w >= 0) {
		close(out_w);
		close(err_w);
	}
	int cwdfd = proc_open_cwd(p, rootfd);
	close(rootfd);
	proc_rlimits(p);
	/* Before it can be started or seen as created, the init holds stdio,
	 * its channel and the program to exec; nothing of the host. */
	close_all_but(g_chan, h->initfd, cwdfd);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(NULL, "no-new-privileges");
	proc_drop_bounding(p);
	if (!p->no_new_privileges)
		seccomp_apply(p, 0); /* needs CAP_SYS_ADMIN: before the user switch */
	proc_user(p, cwdfd);
	if (cwdfd >= 0)
		close(cwdfd);
	proc_caps(p);
	no_dump();
	die_with_monitor(1);
	/* Last but the filter, which may deny the write. */
	proc_lsm(p);
	if (p->no_new_privileges)
		seccomp_apply(p, 1);
}
