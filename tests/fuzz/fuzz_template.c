/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the template renderer and the quoted-printable
 * encoder: any bytes as a template (first byte: the escaping), rendered
 * with a fixed set of values, then the result encoded.  Checks: no crash,
 * no leak, success or a clean error, and every encoded line at most 76
 * bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_notify.h"
#include "sp_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sp_tvar vars[] = {
	{ "sender", "Ann <ann@example.org>" },
	{ "subject", "{{sender}} & \"q\"" },
	{ "link", "https://portal.example/m/AAAA" },
	{ "empty", "" },
	{ "unset", NULL },
};

static void
check_lines(const char *s, size_t n)
{
	size_t col = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n') {
			col = 0;
			continue;
		}
		if (++col > 77) /* 76 and the CR */
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, *qp = NULL;
	size_t outlen, qlen;
	struct sp_error err;

	if (size == 0)
		return 0;
	if (sp_template_render((const char *)data + 1, size - 1, vars,
	        sizeof(vars) / sizeof(vars[0]),
	        data[0] & 1 ? SP_ESC_HTML : SP_ESC_NONE, &out, &outlen,
	        &err) != SP_OK)
		return 0;
	if (strlen(out) > outlen)
		abort();
	if (sp_qp_encode(out, outlen, &qp, &qlen, &err) == SP_OK) {
		check_lines(qp, qlen);
		free(qp);
	}
	free(out);
	return 0;
}
