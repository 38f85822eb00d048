#ifndef NEST_SHIMS_H
#define NEST_SHIMS_H
#include <spawn.h>
#include <sys/types.h>

/* GNU extensions the Swift Glibc module does not export. */
int nest_pipe2(int fds[2], int flags);
int nest_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);
int nest_mkfifo(const char *path, unsigned int mode);
int nest_limit_malloc_arenas(int n);
/* pidfd_open(2): a descriptor that polls readable once the process has exited. */
int nest_pidfd_open(int pid);
#endif
