/* SPDX-License-Identifier: MIT */
/*
 * fuzz_revoked: a per-recipient revocation list read back from a store
 * record may hold anything.  The input is "ADDR\0LIST": sp_revoked_has
 * and sp_revoked_next never crash on it, and after sp_revoked_add
 * accepts ADDR the list holds it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_revoked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_msg_meta m;
	const char *addr, *a;
	size_t pos = 0, len, n = 0;
	char *s;

	if (size > 4096 || (s = malloc(size + 2)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = '\0';
	addr = s;
	memset(&m, 0, sizeof(m));
	m.revoked_rcpts = strdup(s + strlen(s) + 1);
	if (m.revoked_rcpts == NULL)
		goto out;
	(void)sp_revoked_has(&m, addr);
	while ((a = sp_revoked_next(&m, &pos, &len)) != NULL && n++ < 8192)
		if (len == 0 || a[len - 1] == '\0')
			abort();
	if (sp_revoked_add(&m, addr, NULL) == SP_OK &&
	    !sp_revoked_has(&m, addr))
		abort();
out:
	free(m.revoked_rcpts);
	free(s);
	return 0;
}
