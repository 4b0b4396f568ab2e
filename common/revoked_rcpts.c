/* SPDX-License-Identifier: MIT */
/*
 * revoked_rcpts: the per-recipient revocation list of a message
 * (sp_revoked.h): lowercased addresses, one per '\n'-ended line.
 */
#include "sp_revoked.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
sp_revoked_next(const struct sp_msg_meta *m, size_t *pos, size_t *len)
{
	const char *list = m->revoked_rcpts, *line, *nl;

	if (list == NULL)
		return NULL;
	while (list[*pos] != '\0') {
		line = list + *pos;
		nl = strchr(line, '\n');
		*len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		*pos += *len + (nl != NULL ? 1 : 0);
		if (*len > 0)
			return line;
	}
	return NULL;
}

bool
sp_revoked_has(const struct sp_msg_meta *m, const char *addr)
{
	size_t pos = 0, len, alen = strlen(addr);
	const char *a;

	if (alen == 0)
		return false;
	while ((a = sp_revoked_next(m, &pos, &len)) != NULL)
		if (len == alen && strncasecmp(a, addr, len) == 0)
			return true;
	return false;
}

static bool
addr_fits(const char *addr, size_t len)
{
	size_t i;

	if (len == 0 || len > SP_REVOKED_ADDR_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] <= 0x20 ||
		    (unsigned char)addr[i] == 0x7f)
			return false;
	return true;
}

int
sp_revoked_add(struct sp_msg_meta *m, const char *addr, struct sp_error *err)
{
	size_t alen = strlen(addr), old, i;
	char *list;

	if (!addr_fits(addr, alen))
		return sp_error_set(err, SP_EINVAL,
		    "revoke: not a mail address a recipient can have");
	if (sp_revoked_has(m, addr))
		return SP_OK;
	old = m->revoked_rcpts != NULL ? strlen(m->revoked_rcpts) : 0;
	list = realloc(m->revoked_rcpts, old + alen + 3);
	if (list == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	/* An old list that lost its last newline still ends a line. */
	if (old > 0 && list[old - 1] != '\n')
		list[old++] = '\n';
	for (i = 0; i < alen; i++) {
		char c = addr[i];

		list[old + i] =
		    (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	list[old + alen] = '\n';
	list[old + alen + 1] = '\0';
	m->revoked_rcpts = list;
	return SP_OK;
}
