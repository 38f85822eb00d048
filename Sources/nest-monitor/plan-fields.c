/*
 * The plan parser's numbers and errors: every number is checked against
 * its range here, and every error is one line naming the line and the
 * record (a field's control characters are shown as `?`), for it travels
 * as one line of the sync fd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan-parse.h"

void pf_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int pf_err(struct pctx *c, const char *fmt, ...)
{
	int n = snprintf(c->err, c->errlen, "plan line %d: %s: ", c->line, c->kind);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	pf_one_line(c->err);
	return -1;
}

/* At most 40 characters of a field, for an error message. */
const char *pf_shown(const char *s)
{
	static char buf[2][48];
	static int k;
	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "%.40s%s", s, strlen(s) > 40 ? "..." : "");
	return buf[k];
}

/* A signed number in [MIN, MAX], decimal or octal. */
int pf_snum(struct pctx *c, const char *s, const char *what, int base, long long min, long long max,
		long long *out)
{
	const char *d = s[0] == '-' ? s + 1 : s;
	char *end;
	if (*d < '0' || *d > (base == 8 ? '7' : '9'))
		return pf_err(c, "%s: not a number: %s", what, pf_shown(s));
	errno = 0;
	long long v = strtoll(s, &end, base);
	if (*end)
		return pf_err(c, "%s: not a number: %s", what, pf_shown(s));
	if (errno == ERANGE || v < min || v > max) {
		if (base == 8)
			return pf_err(c, "%s: %s out of range %llo-%llo", what, pf_shown(s), (unsigned long long)min,
				    (unsigned long long)max);
		return pf_err(c, "%s: %s out of range %lld-%lld", what, pf_shown(s), min, max);
	}
	*out = v;
	return 0;
}

/* An unsigned number up to MAX, decimal, octal or hex (without 0x). */
int pf_unum(struct pctx *c, const char *s, const char *what, int base, unsigned long long max,
		unsigned long long *out)
{
	const char *digits = base == 16 ? "0123456789abcdefABCDEF" : base == 8 ? "01234567" : "0123456789";
	char *end;
	if (!*s || !strchr(digits, *s))
		return pf_err(c, "%s: not a number: %s", what, pf_shown(s));
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (*end)
		return pf_err(c, "%s: not a number: %s", what, pf_shown(s));
	if (errno == ERANGE || v > max)
		return pf_err(c, "%s: %s out of range", what, pf_shown(s));
	*out = v;
	return 0;
}

int pf_flag01(struct pctx *c, const char *s, int *out)
{
	if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
		return pf_err(c, "must be 0 or 1, not %s", pf_shown(s));
	*out = s[0] == '1';
	return 0;
}

int pf_id32(struct pctx *c, const char *s, const char *what, uint32_t *out)
{
	unsigned long long v;
	/* (uid_t)-1 means "unchanged" to the kernel: never an id */
	if (pf_unum(c, s, what, 10, 4294967294ULL, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Appends one zeroed element to *ARR (of *N); NULL when out of memory. */
void *pf_push(struct pctx *c, void *arr, int *n, size_t size)
{
	void **a = arr;
	char *grown = realloc(*a, size * (size_t)(*n + 1));
	if (!grown) {
		pf_err(c, "out of memory");
		return NULL;
	}
	*a = grown;
	memset(grown + size * (size_t)*n, 0, size);
	return grown + size * (size_t)(*n)++;
}

int pf_push_str(struct pctx *c, const char ***arr, int *n, const char *s)
{
	const char **slot = pf_push(c, arr, n, sizeof *slot);
	if (!slot)
		return -1;
	*slot = s;
	return 0;
}
