/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http_request: the portal's request parsers on arbitrary bytes.
 * The first byte picks the parser; the rest is its input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sp_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_params(const struct sp_http_params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		/* names and values must be NUL-terminated copies */
		if (strlen(p->items[i].name) > SP_HTTP_FORM_MAX ||
		    p->items[i].value[p->items[i].value_len] != '\0')
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_http_params p;
	struct sp_http_route r;
	struct sp_hbuf b;
	char name[64];
	const char *s = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (sp_http_parse_form(s, n, &p, NULL) == SP_OK)
			check_params(&p);
		sp_http_params_cleanup(&p);
		break;
	case 1:
		if (sp_http_parse_cookies(s, n, &p, NULL) == SP_OK)
			check_params(&p);
		sp_http_params_cleanup(&p);
		break;
	case 2:
		if (sp_http_route_parse(s, n, &r) == SP_OK &&
		    strlen(r.id) != SP_ID_LEN)
			__builtin_trap();
		break;
	case 3:
		sp_http_safe_filename(s, n, name, sizeof(name));
		if (name[0] == '\0' || name[0] == '.' || strchr(name, '/'))
			__builtin_trap();
		sp_hbuf_init(&b, 1 << 20);
		sp_http_add_filename_star(&b, s, n);
		if (b.data != NULL && strpbrk(b.data, "/\\\"; \r\n") != NULL)
			__builtin_trap();
		sp_hbuf_cleanup(&b);
		break;
	default:
		sp_hbuf_init(&b, 1 << 20);
		sp_hbuf_add_html(&b, s, n);
		if (b.data != NULL &&
		    (strchr(b.data, '<') || strchr(b.data, '"')))
			__builtin_trap();
		sp_hbuf_cleanup(&b);
	}
	return 0;
}
