/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for sp_mime_view_new(): any bytes must give a view (or
 * a clean error), and every attachment of it must read back with the size
 * the view announced.  Small limits keep each run quick.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_html_sanitize.h"
#include "sp_mime_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
exercise(const struct sp_mime_view *v, int depth)
{
	struct sp_html_result r;
	char *bytes, *uri;
	size_t i, len;

	if (v->html != NULL &&
	    sp_html_sanitize(v->html, v->html_len, NULL, &r, NULL) == SP_OK)
		sp_html_result_cleanup(&r);
	for (i = 0; i < v->natt; i++) {
		if (sp_mime_attachment_read(
		        v, i, 1u << 20, &bytes, &len, NULL) == SP_OK) {
			if (len != v->att[i].size)
				abort();
			free(bytes);
		}
		if (v->att[i].content_id != NULL &&
		    sp_mime_find_cid(v, v->att[i].content_id) < 0)
			abort();
		uri = sp_mime_image_data_uri(v, i, 4096);
		free(uri);
		if (v->att[i].message != NULL && depth < 4)
			exercise(v->att[i].message, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_mime_limits l = { 0 };
	struct sp_mime_view *v;

	l.max_parts = 200;
	l.max_body = 1u << 20;
	if (sp_mime_view_new((const char *)data, size, &l, &v, NULL) != SP_OK)
		return 0;
	if (v->text != NULL && strlen(v->text) != v->text_len)
		abort();
	exercise(v, 0);
	sp_mime_view_free(v);
	return 0;
}
