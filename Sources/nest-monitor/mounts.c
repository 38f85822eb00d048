/*
 * The rootfs: propagation, the rootfs bind, `mount` records (destinations
 * resolved with openat2(RESOLVE_IN_ROOT), mounted through /proc/self/fd/N),
 * the `cgroup` mount type, pivot_root (or chroot without a mount namespace
 * of the container's own).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

int g_rootfd = -1;

static int resolve(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (path[0] == 0)
		path = "/";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Opens PATH inside the root ROOTFD. CREATE: 0 no, 1 make missing
 * directories, 2 like 1 but the last component is made as a file. */
int open_in_root(int rootfd, const char *path, int flags, int create)
{
	int fd = resolve(rootfd, path, flags);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	char *buf = strdup(path);
	if (!buf)
		return -1;
	size_t len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = 0;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && buf[i] != '/')
			continue;
		if (i < len && buf[i - 1] == '/')
			continue;
		char save = buf[i];
		buf[i] = 0;
		char *slash = strrchr(buf, '/');
		int pfd = -1;
		if (slash) {
			*slash = 0;
			pfd = resolve(rootfd, buf, O_PATH | O_DIRECTORY);
			*slash = '/';
		} else {
			pfd = resolve(rootfd, "/", O_PATH | O_DIRECTORY);
		}
		if (pfd < 0) {
			free(buf);
			return -1;
		}
		const char *comp = slash ? slash + 1 : buf;
		int r;
		if (i == len && create == 2)
			r = mknodat(pfd, comp, S_IFREG | 0644, 0);
		else
			r = mkdirat(pfd, comp, 0755);
		int e = errno;
		close(pfd);
		buf[i] = save;
		if (r < 0 && e != EEXIST) {
			free(buf);
			errno = e;
			return -1;
		}
	}
	free(buf);
	return resolve(rootfd, path, flags);
}

static const char *fdpath(int fd)
{
	static char buf[2][64];
	static int k;
	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "/proc/self/fd/%d", fd);
	return buf[k];
}

/* Remounts the mount at DEST (inside the root) with FLAGS. */
static void remount(const char *dest, unsigned long flags, const char *what)
{
	int fd = open_in_root(g_rootfd, dest, O_PATH, 0);
	if (fd < 0)
		fail(dest, "%s %s", what, dest);
	unsigned long keep = locked_mount_flags(fd) & ~MS_RDONLY;
	if (mount(NULL, fdpath(fd), NULL, flags | keep | MS_REMOUNT | MS_BIND, NULL) < 0)
		fail(dest, "%s %s: remount", what, dest);
	close(fd);
}

/* A recursive read-only bind: submounts too (mount_setattr, Linux 5.12). */
static void readonly_recursive(const char *dest)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	int fd = open_in_root(g_rootfd, dest, O_PATH, 0);
	if (fd < 0)
		fail(dest, "mount %s", dest);
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0 &&
	    errno != ENOSYS)
		fail(dest, "mount %s: recursive read-only", dest);
	close(fd);
}

static void propagate(const char *dest, unsigned long prop)
{
	if (!prop)
		return;
	int fd = open_in_root(g_rootfd, dest, O_PATH, 0);
	if (fd < 0 || mount(NULL, fdpath(fd), NULL, prop, NULL) < 0)
		fail(dest, "mount %s: propagation", dest);
	close(fd);
}

/* Co-mounted controllers ("cpu,cpuacct"): a link for each name. */
static void comount_links(const char *dest, const char *name)
{
	int dfd = open_in_root(g_rootfd, dest, O_PATH | O_DIRECTORY, 0);
	if (dfd < 0)
		fail(dest, "mount %s", dest);
	char buf[256], *save = NULL;
	snprintf(buf, sizeof buf, "%s", name);
	for (char *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (symlinkat(name, dfd, c) < 0 && errno != EEXIST)
			fail(dest, "mount %s: link %s", dest, c);
	close(dfd);
}

/* The host's layout is the plan's `cgroup-layout` (the Swift half detected
 * it): cgroup2 on a unified host, else the v1 controllers' dirs. */
static void mount_cgroup(const struct nest_plan *p, const char *dest, unsigned long flags, const char *data)
{
	if (!p->cgroup_layout_set)
		failx(dest, "mount %s: a cgroup mount needs the plan's cgroup-layout", dest);
	int fd = open_in_root(g_rootfd, dest, O_PATH, 1);
	if (fd < 0)
		fail(dest, "mount %s", dest);
	unsigned long base = flags & ~(MS_BIND | MS_REC | MS_RDONLY);
	if (p->cgroup_layout == CGROUP_V2) {
		cgroups_ready(p); /* cgroup2 shows the cgroup namespace's root */
		if (mount("cgroup2", fdpath(fd), "cgroup2", flags & ~(MS_BIND | MS_REC), data[0] ? data : NULL) < 0)
			fail(dest, "mount %s", dest);
		close(fd);
		return;
	}
	if (mount("tmpfs", fdpath(fd), "tmpfs", base, "mode=755") < 0)
		fail(dest, "mount %s", dest);
	close(fd);
	cgroups_made(); /* the container's dirs are bound below */
	for (int i = 0; i < p->ncgroup_joins; i++) {
		const char *dir = p->cgroup_joins[i], *pre = "/sys/fs/cgroup/";
		if (strncmp(dir, pre, strlen(pre)) != 0)
			continue;
		char name[256], sub[4096];
		snprintf(name, sizeof name, "%s", dir + strlen(pre));
		char *s = strchr(name, '/');
		if (s)
			*s = 0;
		snprintf(sub, sizeof sub, "%s/%s", dest, name);
		int sfd = open_in_root(g_rootfd, sub, O_PATH, 1);
		if (sfd < 0)
			fail(sub, "mount %s", sub);
		if (mount(dir, fdpath(sfd), NULL, MS_BIND | MS_REC, NULL) < 0)
			fail(sub, "mount %s", sub);
		close(sfd);
		remount(sub, base | (flags & MS_RDONLY), "mount");
		if (strchr(name, ','))
			comount_links(dest, name);
	}
	if (flags & MS_RDONLY) {
		fd = open_in_root(g_rootfd, dest, O_PATH, 0);
		if (fd < 0 || mount(NULL, fdpath(fd), NULL, base | MS_RDONLY | MS_REMOUNT, "mode=755") < 0)
			fail(dest, "mount %s: remount", dest);
		close(fd);
	}
}

static uint64_t mount_attrs(unsigned long flags, unsigned long *rest)
{
	static const struct {
		unsigned long ms;
		uint64_t attr;
	} t[] = {
		{ MS_RDONLY, MOUNT_ATTR_RDONLY }, { MS_NOSUID, MOUNT_ATTR_NOSUID },
		{ MS_NODEV, MOUNT_ATTR_NODEV },	  { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
		{ MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
	};
	uint64_t a = 0;
	*rest = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (*rest & t[i].ms) {
			a |= t[i].attr;
			*rest &= ~t[i].ms;
		}
	if (*rest & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (*rest & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	*rest &= ~(MS_NOATIME | MS_STRICTATIME | MS_RELATIME);
	return a;
}

/* A bind of SRCFD on FD: the clone gets its flags before it is attached,
 * so nothing is looked up by path after the checks (a volume's contents
 * swapped meanwhile can move nothing). Flags the new API has no attribute
 * for take the remount by path, as before. */
static void bind_fd(int srcfd, int fd, unsigned long flags, const char *dest)
{
	unsigned rec = (flags & MS_REC) ? AT_RECURSIVE : 0;
	int tree = open_tree(srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
	if (tree < 0)
		fail(dest, "mount %s", dest);
	unsigned long rest;
	struct mount_attr attr = { .attr_set = mount_attrs(flags, &rest) };
	if (attr.attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME))
		attr.attr_clr = MOUNT_ATTR__ATIME;
	/* read-only applies to the submounts of a recursive bind too */
	if (attr.attr_set && mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0) {
		int e = errno;
		close(tree);
		errno = e;
		fail(dest, "mount %s: attributes", dest);
	}
	int r = move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;
	close(tree);
	errno = e;
	if (r < 0)
		fail(dest, "mount %s", dest);
	if (rest)
		remount(dest, flags & ~(MS_BIND | MS_REC | MS_REMOUNT), "mount");
}

/* procfs and sysfs go where the config says, not where a symlink of the
 * image (or of a volume) leads (CVE-2019-19921): masked paths, read-only
 * paths and sysctls are applied beneath /proc and /sys. */
static int no_symlinks(int fd, const char *dest, const char *type)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int strict = (int)syscall(SYS_openat2, g_rootfd, dest[0] ? dest : "/", &how, sizeof how);
	if (strict < 0 && errno == ELOOP)
		failx(dest, "mount %s: a %s mount's destination must not be or pass through a symlink", dest, type);
	if (strict < 0)
		fail(dest, "mount %s", dest);
	close(fd);
	return strict;
}

static void mount_one(const struct nest_plan *p, const struct plan_mount *m)
{
	const char *dest = m->dest, *type = m->type, *src = m->source, *data = m->data;
	unsigned long flags = m->flags, prop = m->propagation;
	if (strcmp(type, "cgroup") == 0) {
		mount_cgroup(p, dest, flags, data);
		propagate(dest, prop);
		return;
	}
	if (strcmp(type, "bind") == 0 || strcmp(type, "rbind") == 0)
		flags |= MS_BIND | (type[0] == 'r' ? MS_REC : 0);
	int create = 1, srcfd = -1;
	struct stat st;
	if (flags & MS_BIND) {
		/* The source is looked up once: what was checked is what is
		 * bound, whatever another container does in a shared volume
		 * meanwhile (CVE-2024-45310, CVE-2021-30465). */
		if ((srcfd = open(src, O_PATH | O_CLOEXEC)) < 0 || fstat(srcfd, &st) < 0)
			fail(src, "mount %s: source %s", dest, src);
		if (!S_ISDIR(st.st_mode))
			create = 2;
	}
	int fd = open_in_root(g_rootfd, dest, O_PATH, create);
	if (fd < 0)
		fail(dest, "mount %s", dest);
	if (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0)
		fd = no_symlinks(fd, dest, type);
	if (flags & MS_BIND) {
		bind_fd(srcfd, fd, flags, dest);
		close(srcfd);
		close(fd);
	} else if (mount(src, fdpath(fd), type[0] ? type : NULL, flags, data[0] ? data : NULL) < 0) {
		/* sysfs of a network ns that the user ns does not own: the
		 * host's /sys, bound (as runc does) */
		if (errno != EPERM || strcmp(type, "sysfs") != 0 || (!p->has_ns[NS_USER] && !running_in_userns()))
			fail(dest, "mount %s", dest);
		if (mount("/sys", fdpath(fd), NULL, MS_BIND | MS_REC, NULL) < 0)
			fail(dest, "mount %s", dest);
		close(fd);
		remount(dest, flags & ~MS_REC, "mount");
		if (flags & MS_RDONLY)
			readonly_recursive(dest);
	} else {
		close(fd);
	}
	propagate(dest, prop);
}

/* The overlay by the new mount API, each lower dir a lowerdir+ of its own
 * (Linux 6.8): no page bounds how many layers an image has. 1 when the
 * kernel has no lowerdir+ (its EINVAL for the first one), so the caller
 * falls back to mount(2); any other failure is the container's error,
 * naming the dir the kernel refused and the kernel's own words. */
static int overlay_fsmount(const struct nest_plan *p)
{
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return 1;
	const char *at = NULL;
	for (int i = 0; !at && i < p->noverlay_lowers; i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", p->overlay_lowers[i], 0) < 0) {
			if (i == 0 && errno == EINVAL) {
				close(fs);
				return 1;
			}
			at = p->overlay_lowers[i];
		}
	if (!at && fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", p->overlay_upper, 0) < 0)
		at = p->overlay_upper;
	if (!at && fsconfig(fs, FSCONFIG_SET_STRING, "workdir", p->overlay_work, 0) < 0)
		at = p->overlay_work;
	if (!at && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		at = p->overlay_upper;
	int m = at ? -1 : fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (!at && m < 0)
		at = p->overlay_upper;
	if (at) {
		int e = errno;
		/* the kernel's reason ("e overlay: ..."), queued on the context */
		char why[512] = "";
		ssize_t n = read(fs, why, sizeof why - 1);
		why[n > 0 ? n : 0] = 0;
		why[strcspn(why, "\n")] = 0;
		errno = e;
		fail(at, "rootfs-overlay %s%s%s", p->rootfs, why[0] ? ": " : "", why[0] ? why : "");
	}
	close(fs);
	if (move_mount(m, "", AT_FDCWD, p->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		fail(p->overlay_upper, "rootfs-overlay %s", p->rootfs);
	close(m);
	return 0;
}

void rootfs_prepare(const struct nest_plan *p)
{
	unsigned long prop = p->rootfs_propagation;
	unsigned long first = MS_REC | ((prop & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE);
	int own = plan_ns_is_new(p, NS_MOUNT);
	/* "/" of a namespace that is not the container's own is not ours to
	 * change: there only the rootfs bind is made private (or slave), so
	 * that the mounts made under it stay off the namespace's peers. */
	if (own && mount(NULL, "/", NULL, first, NULL) < 0)
		fail("/", "rootfs-propagation /");
	/* An image's rootfs: its overlay, in the container's own mount
	 * namespace (the plan checked), is the mount point pivot_root needs. */
	if (p->overlay_upper) {
		if (overlay_fsmount(p) == 0)
			;
		else if (!p->overlay_data)
			failx(p->overlay_upper, "rootfs-overlay %s: %d lower dirs: the mount options are more than the "
				"4096 bytes mount(2) takes, and this kernel has no lowerdir+ (Linux 6.8)",
			      p->rootfs, p->noverlay_lowers);
		else if (mount("overlay", p->rootfs, "overlay", 0, p->overlay_data) < 0)
			fail(p->overlay_upper, "rootfs-overlay %s", p->rootfs);
	} else if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
		fail(p->rootfs, "rootfs %s", p->rootfs);
	}
	if (!own && mount(NULL, p->rootfs, NULL, first, NULL) < 0)
		fail(p->rootfs, "rootfs-propagation %s", p->rootfs);
	g_rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g_rootfd < 0)
		fail(p->rootfs, "rootfs %s", p->rootfs);
}

void mounts_apply(const struct nest_plan *p)
{
	for (int i = 0; i < p->nmounts; i++)
		mount_one(p, &p->mounts[i]);
}

void rootfs_pivot(const struct nest_plan *p)
{
	int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0)
		fail("/", "pivot_root: open /");
	if (fchdir(g_rootfd) < 0)
		fail(p->rootfs, "pivot_root: chdir rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(p->rootfs, "pivot_root");
	if (fchdir(oldroot) < 0)
		fail(NULL, "pivot_root: chdir old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail(NULL, "pivot_root: old root slave");
	if (umount2(".", MNT_DETACH) < 0)
		fail(NULL, "pivot_root: umount old root");
	if (chdir("/") < 0)
		fail("/", "pivot_root: chdir /");
	close(oldroot);
	if (mount(NULL, "/", NULL, p->rootfs_propagation, NULL) < 0)
		fail("/", "rootfs-propagation");
}

/* The rootfs bind is left where it is, in a mount namespace other
 * processes share: the init's root moves to it, not the namespace's. */
void rootfs_chroot(const struct nest_plan *p)
{
	if (fchdir(g_rootfd) < 0)
		fail(p->rootfs, "chroot: chdir rootfs");
	if (chroot(".") < 0)
		fail(p->rootfs, "chroot");
	if (chdir("/") < 0)
		fail("/", "chroot: chdir /");
	if (mount(NULL, "/", NULL, p->rootfs_propagation, NULL) < 0)
		fail("/", "rootfs-propagation");
}
