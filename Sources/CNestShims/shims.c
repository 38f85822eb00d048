#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <malloc.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "nest_shims.h"

int nest_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int nest_spawn_closefrom(posix_spawn_file_actions_t *actions, int from)
{
	return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int nest_mkfifo(const char *path, unsigned int mode) { return mkfifo(path, (mode_t)mode); }

int nest_limit_malloc_arenas(int n) { return mallopt(M_ARENA_MAX, n); }
int nest_trim_heap(void) { return malloc_trim(0); }

int nest_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int nest_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	char control[CMSG_SPACE(sizeof(int) * 8)];
	if (nfds < 1 || nfds > 8)
		return -1;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int nest_recv_fd(int sock)
{
	char data[256];
	char control[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { data, sizeof data };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof control };
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	int fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[8];
		memcpy(fds, CMSG_DATA(c), sizeof(int) * (got > 8 ? 8 : got));
		for (size_t i = 0; i < got && i < 8; i++) {
			if (fd < 0)
				fd = fds[i];
			else
				close(fds[i]);
		}
	}
	if (fd < 0)
		errno = ENOMSG;
	return fd;
}

int nest_seqpacket_pair(int fds[2]) { return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds); }

int nest_open_dir_path(const char *path) { return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC); }

int nest_open_in_root(int root, const char *path, int for_reading)
{
	struct open_how how = {
		.flags = for_reading ? (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) : (O_PATH | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	/* EAGAIN: a rename or mount anywhere on the host during a ".." walk,
	 * which the kernel cannot tell from an escape; the walk is redone. */
	int fd = -1;
	for (int tries = 0; tries < 64; tries++) {
		fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

long nest_fs_type(int fd)
{
	struct statfs fs;
	return fstatfs(fd, &fs) == 0 ? (long)fs.f_type : -1;
}

long nest_fgetxattr(int fd, const char *name, void *value, unsigned long size)
{
	return fgetxattr(fd, name, value, size);
}
