/* SPDX-License-Identifier: MIT */
/* sp_error: see sp_error.h. */
#include "sp_error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
sp_error_set(struct sp_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
sp_error_clear(struct sp_error *e)
{
	if (e == NULL)
		return;
	e->code = SP_OK;
	e->msg[0] = '\0';
}

static const struct {
	int code;
	const char *text;
} status_texts[] = {
	{ SP_OK, "success" },
	{ SP_ENOMEM, "out of memory" },
	{ SP_EIO, "input/output error" },
	{ SP_EFORMAT, "bad format" },
	{ SP_EAUTH, "authentication failed" },
	{ SP_ENOTFOUND, "not found" },
	{ SP_EFULL, "store full" },
	{ SP_EPERM, "permission denied" },
	{ SP_ECONFIG, "configuration error" },
	{ SP_ETOOBIG, "too big" },
	{ SP_EINVAL, "invalid argument" },
	{ SP_EEXIST, "already exists" },
	{ SP_ELIMIT, "limit reached" },
	{ SP_EEXPIRED, "expired or revoked" },
	{ SP_ETIMEOUT, "no answer in time" },
};

const char *
sp_strerror(int code)
{
	size_t i;

	for (i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].code == code)
			return status_texts[i].text;
	return "unknown error";
}

void
sp_diag_init(struct sp_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
sp_diag_cleanup(struct sp_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

void
sp_diag_add(struct sp_diag *d, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	char *copy;

	d->total++;
	if (d->n >= SP_DIAG_MAX)
		return;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		char **nm = realloc(d->msgs, ncap * sizeof(*nm));

		if (nm == NULL)
			return;
		d->msgs = nm;
		d->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	copy = strdup(buf);
	if (copy == NULL)
		return;
	d->msgs[d->n++] = copy;
}

void
sp_diag_print(const struct sp_diag *d, FILE *fp)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", d->msgs[i]);
	if (d->total > d->n)
		fprintf(fp, "and %zu more\n", d->total - d->n);
}
