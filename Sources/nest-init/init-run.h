#ifndef NEST_INIT_RUN_H
#define NEST_INIT_RUN_H

/* Becomes the init of PROG (argv style, NULL-terminated): forks and execs
 * it (PATH from environ), forwards signals, reaps every child and returns
 * PROG's exit status (128+N when killed by signal N). Signals must be at
 * their defaults and unblocked on entry. `after_fork`, when not NULL, runs
 * in the init once PROG is forked; from then on the init neither allocates
 * nor touches memory it did not use before. */
int nest_init_run(char **prog, void (*after_fork)(void));

/* "nest-init: A B C D" on stderr; NULL parts are left out. */
void nest_init_say(const char *a, const char *b, const char *c, const char *d);

#endif
