/* Name tables of the plan parser (plan-names.c); -1 for an unknown name. */
#ifndef NEST_PLAN_NAMES_H
#define NEST_PLAN_NAMES_H

#include "plan.h"

int names_ns(const char *s);
int names_cap(const char *s);	/* the capability's number */
int names_cap_set(const char *s);
int names_rlimit(const char *s);	/* the RLIMIT_* resource */
int names_propagation(const char *s, unsigned long *flags);
int names_sc_action(const char *s);
int names_sc_op(const char *s);
int names_sc_flag(const char *s);

#endif
