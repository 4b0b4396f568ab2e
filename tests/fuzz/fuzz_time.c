/* SPDX-License-Identifier: MIT */
/*
 * fuzz_time: sp_time_parse on any text never crashes, and an absolute
 * time it accepts prints and parses back to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_error err;
	char *s, buf[SP_TIME_STR_MAX];
	int64_t t, back;

	if (size > 256)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (sp_time_parse(s, 1800000000, &t, &err) == SP_OK && s[0] >= '0' &&
	    s[0] <= '9') {
		if (sp_time_parse(sp_time_format(t, buf), 0, &back, &err) !=
		        SP_OK ||
		    back != t)
			abort();
	}
	free(s);
	return 0;
}
