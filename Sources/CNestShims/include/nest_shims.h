#ifndef NEST_SHIMS_H
#define NEST_SHIMS_H
#include <spawn.h>
#include <sys/types.h>

/* GNU extensions the Swift Glibc module does not export. */
int nest_pipe2(int fds[2], int flags);
int nest_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);
int nest_mkfifo(const char *path, unsigned int mode);
int nest_limit_malloc_arenas(int n);
/* Gives freed heap memory back to the kernel (malloc_trim(0)). */
int nest_trim_heap(void);
/* pidfd_open(2): a descriptor that polls readable once the process has exited. */
int nest_pidfd_open(int pid);
/* sendmsg of BUF with NFDS (1-8) descriptors as SCM_RIGHTS; 0 or -1 (errno). */
int nest_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);
/* recvmsg of one descriptor sent as SCM_RIGHTS (a console socket's pty
 * master), close-on-exec; the descriptor, or -1 (errno) when none came.
 * Any further descriptors of the message are closed. */
int nest_recv_fd(int sock);
/* socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC) */
int nest_seqpacket_pair(int fds[2]);
/* An fd to exec PATH from (/proc/self/fd/N) that no process can write
 * through: a detached read-only bind, or a sealed memfd copy; -1 if none. */
int nest_sealed_exe(const char *path);
/* open(PATH, O_PATH | O_DIRECTORY | O_CLOEXEC): a directory to resolve in. */
int nest_open_dir_path(const char *path);
/* openat2(ROOT, PATH) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: every
 * symlink (the last one too) and ".." resolve under ROOT, as they would for
 * a process whose root it is, and no /proc magic link leads out. O_PATH,
 * or with FOR_READING O_RDONLY | O_NONBLOCK | O_NOCTTY; close-on-exec. */
int nest_open_in_root(int root, const char *path, int for_reading);
/* The f_type of fstatfs(FD) (PROC_SUPER_MAGIC...), or -1 (errno). */
long nest_fs_type(int fd);
/* fgetxattr(2), which Swift's Glibc module does not export. */
long nest_fgetxattr(int fd, const char *name, void *value, unsigned long size);
#endif
