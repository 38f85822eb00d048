#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest_shims.h"

int nest_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int nest_spawn_closefrom(posix_spawn_file_actions_t *actions, int from)
{
	return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int nest_mkfifo(const char *path, unsigned int mode) { return mkfifo(path, (mode_t)mode); }

int nest_limit_malloc_arenas(int n) { return mallopt(M_ARENA_MAX, n); }

int nest_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
