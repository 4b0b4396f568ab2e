/* SPDX-License-Identifier: MIT */
/*
 * store_test_util.h: helpers shared by the store tests: scratch store
 * folders, message ids from numbers, and chunk contents derived from the
 * id and sequence number so that a reader can check every byte.
 */
#ifndef SP_STORE_TEST_UTIL_H
#define SP_STORE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_store.h"

/* A fresh folder under TMPDIR; the store goes in DIR/db (created by the
 * store itself). */
static inline void
tu_tmpdir(char *dir, size_t cap)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, cap, "%s/sp_store_XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
}

static inline void
tu_rmtree(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/db/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/db/lock.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/db", dir);
	rmdir(p);
	rmdir(dir);
}

/* id "t" + 21 digits of n: a well-formed id. */
static inline void
tu_id(char out[SP_ID_LEN + 1], unsigned long n)
{
	snprintf(out, SP_ID_LEN + 1, "t%021lu", n);
}

/* The byte at offset i of chunk seq of message id. */
static inline unsigned char
tu_byte(const char *id, uint32_t seq, size_t i)
{
	uint32_t h = 2166136261u;
	size_t k;

	for (k = 0; id[k] != '\0'; k++)
		h = (h ^ (unsigned char)id[k]) * 16777619u;
	h ^= seq * 2654435761u;
	return (unsigned char)(h + i * 31u + (i >> 8));
}

/* Length of chunk seq of message id: varies, 1 to about 9 KiB. */
static inline size_t
tu_len(const char *id, uint32_t seq)
{
	return 1 + (size_t)tu_byte(id, seq, 7) * 37u;
}

static inline void
tu_fill(unsigned char *buf, const char *id, uint32_t seq, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = tu_byte(id, seq, i);
}

static inline int
tu_verify(const unsigned char *buf, size_t len, const char *id, uint32_t seq)
{
	size_t i;

	if (len != tu_len(id, seq))
		return -1;
	for (i = 0; i < len; i++)
		if (buf[i] != tu_byte(id, seq, i))
			return -1;
	return 0;
}

#endif
