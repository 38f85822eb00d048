/*
 * process.terminal: a pty from the container's /dev/ptmx, its master sent
 * over the console socket with SCM_RIGHTS, the slave made the controlling
 * tty and fds 0-2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "nest.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int sock = -1;

/* The socket's path is a host path: connect before pivot_root. */
void console_connect(const struct nest_plan *p)
{
	const char *path = p->console_socket;
	if (!path)
		return;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int dirfd = -1;
	if (strlen(path) < sizeof addr.sun_path) {
		strcpy(addr.sun_path, path);
	} else {
		/* too long for sun_path: go through the directory's fd */
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", path);
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			slash = NULL;
		else
			*slash = 0;
		if (slash)
			dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0 || (size_t)snprintf(addr.sun_path, sizeof addr.sun_path,
				"/proc/self/fd/%d/%s", dirfd, slash + 1) >= sizeof addr.sun_path) {
			errno = ENAMETOOLONG;
			fail(path, "console-socket %s", path);
		}
	}
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0)
		fail(path, "console-socket %s", path);
	if (dirfd >= 0)
		close(dirfd);
}

static void send_fd(int fd, const char *name)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof cbuf,
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		fail(NULL, "console-socket: send");
}

void console_setup(const struct nest_plan *p)
{
	if (sock < 0)
		return;
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		fail("/dev/ptmx", "console /dev/ptmx");
	if (unlockpt(master) < 0)
		fail("/dev/ptmx", "console: unlockpt");
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0) {
		char *name = ptsname(master);
		if (!name || (slave = open(name, O_RDWR | O_NOCTTY)) < 0)
			fail(name, "console: open pty slave");
	}
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = p->console_rows, .ws_col = p->console_cols };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			fail(NULL, "console-size");
	}
	char name[64] = "/dev/ptmx";
	char *pn = ptsname(master);
	if (pn)
		snprintf(name, sizeof name, "%s", pn);
	send_fd(master, name);
	close(master);
	close(sock);
	sock = -1;
	if (setsid() < 0 && errno != EPERM)
		fail(NULL, "console: setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail(NULL, "console: controlling tty");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			fail(NULL, "console: dup2");
	if (slave > 2)
		close(slave);
}
