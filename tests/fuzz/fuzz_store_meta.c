/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the store's record decoders (metadata and audit events
 * read back from disk).  A record that decodes must encode again to the
 * same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "sp_store_backend.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void
roundtrip(const unsigned char *data, size_t size)
{
	struct sp_msg_meta m;
	struct sp_error err;
	unsigned char *again;
	size_t len;

	if (sp_store_meta_decode(data, size, &m, &err) != SP_OK)
		return;
	if (sp_store_meta_encode(&m, &again, &len, &err) != SP_OK)
		abort();
	if (len != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
	sp_msg_meta_cleanup(&m);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct sp_audit_event ev;
	struct sp_error err;

	roundtrip(data, size);
	(void)sp_store_audit_decode(data, size, &ev, &err);
	return 0;
}
