/*
 * The plan parser's insides, shared by plan.c (lines, escapes, the whole
 * plan), plan-fields.c (numbers and errors) and plan-records.c (one
 * handler per record kind).
 */
#ifndef NEST_PLAN_PARSE_H
#define NEST_PLAN_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct pctx {
	struct nest_plan *p;
	int line;
	const char *kind;
	char *err;
	size_t errlen;
	unsigned seen[64]; /* bit per kind index: singles given once */
};

/* Handles one record's N fields (unescaped); -1 with the error set. */
typedef int (*handler)(struct pctx *c, char **f, int n);

struct plan_kind {
	const char *kind;
	int min, max; /* fields after the kind; -1: unbounded */
	int repeated;
	handler fn;
};
extern const struct plan_kind plan_kinds[];
extern const int plan_nkinds;

/* "plan line N: KIND: " and FMT into the error; returns -1. */
int pf_err(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Control characters shown as `?`: an error is one line. */
void pf_one_line(char *s);
/* At most 40 characters of a field, for an error message. */
const char *pf_shown(const char *s);
/* A signed number in [MIN, MAX], decimal or octal. */
int pf_snum(struct pctx *c, const char *s, const char *what, int base, long long min, long long max,
	    long long *out);
/* An unsigned number up to MAX, decimal, octal or hex (without 0x). */
int pf_unum(struct pctx *c, const char *s, const char *what, int base, unsigned long long max,
	    unsigned long long *out);
int pf_flag01(struct pctx *c, const char *s, int *out);
/* A uid or gid: 0-4294967294 ((uid_t)-1 means "unchanged" to the kernel). */
int pf_id32(struct pctx *c, const char *s, const char *what, uint32_t *out);
/* Appends one zeroed element to *ARR (of *N); NULL when out of memory. */
void *pf_push(struct pctx *c, void *arr, int *n, size_t size);
int pf_push_str(struct pctx *c, const char ***arr, int *n, const char *s);

#endif
