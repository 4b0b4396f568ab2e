/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config: sp_config_parse on any bytes.  Besides not crashing, a
 * config that loads must print as text that loads again and prints the
 * same (sp_config_print's promise).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
print(const struct sp_config *cfg, size_t *len)
{
	char *out = NULL;
	FILE *fp = open_memstream(&out, len);

	if (fp == NULL)
		abort();
	sp_config_print(cfg, fp, SP_PROG_ALL, false);
	fclose(fp);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_config *a = NULL, *b = NULL;
	struct sp_diag d;
	char *t1 = NULL, *t2 = NULL;
	size_t n1 = 0, n2 = 0;

	sp_diag_init(&d);
	if (sp_config_parse("fuzz", (const char *)data, size, &a, &d) != SP_OK)
		goto out;
	t1 = print(a, &n1);
	if (sp_config_parse("printed", t1, n1, &b, &d) != SP_OK)
		abort(); /* printed config does not load again */
	t2 = print(b, &n2);
	if (n1 != n2 || memcmp(t1, t2, n1) != 0)
		abort(); /* and does not print the same */
out:
	sp_config_free(a);
	sp_config_free(b);
	free(t1);
	free(t2);
	sp_diag_cleanup(&d);
	return 0;
}
