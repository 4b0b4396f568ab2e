/* SPDX-License-Identifier: MIT */
/*
 * seal_id: message ids and reference codes (see sp_seal.h).
 *
 * A message id is 16 random bytes in base64url without padding: 22
 * characters, the last of which carries 2 bits and 4 zero bits.  It is the
 * locator in portal links and the associated data of every sealed chunk.
 * A reference code is 8 characters from a 32-letter alphabet without 0, O,
 * 1 and I, shown as "ABCD-EFGH"; people quote it, nothing relies on it
 * being unique.  Both draw from libsodium's randombytes; they abort only if
 * libsodium cannot start, which leaves no way to make a safe id.
 */
#include "sp_seal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char ref_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

_Static_assert(sizeof(ref_alphabet) - 1 == 32, "alphabet is 5 bits");
_Static_assert(SP_ID_LEN ==
        sodium_base64_ENCODED_LEN(
            SP_ID_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) -
            1,
    "id length");

static void
sodium_ready(void)
{
	if (sodium_init() < 0)
		abort();
}

void
sp_id_new(char out[SP_ID_LEN + 1])
{
	unsigned char raw[SP_ID_BYTES];

	sodium_ready();
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, SP_ID_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool
sp_id_valid(const char *s)
{
	unsigned char raw[SP_ID_BYTES];
	char again[SP_ID_LEN + 1];
	const char *end = NULL;
	size_t n = 0;

	if (s == NULL || strnlen(s, SP_ID_LEN + 1) != SP_ID_LEN)
		return false;
	if (sodium_base642bin(raw, sizeof(raw), s, SP_ID_LEN, NULL, &n, &end,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != SP_ID_BYTES || end != s + SP_ID_LEN)
		return false;
	/* Only one spelling per id: the unused low bits must be zero. */
	sodium_bin2base64(again, sizeof(again), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return memcmp(again, s, SP_ID_LEN) == 0;
}

void
sp_ref_new(char out[SP_REF_LEN + 1])
{
	unsigned char raw[SP_REF_LEN - 1];
	size_t i, j = 0;

	sodium_ready();
	randombytes_buf(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++) {
		if (i == 4)
			out[j++] = '-';
		out[j++] = ref_alphabet[raw[i] & 31];
	}
	out[j] = '\0';
	sodium_memzero(raw, sizeof(raw));
}

bool
sp_ref_valid(const char *s)
{
	size_t i;

	if (s == NULL || strnlen(s, SP_REF_LEN + 1) != SP_REF_LEN)
		return false;
	for (i = 0; i < SP_REF_LEN; i++) {
		if (i == 4) {
			if (s[i] != '-')
				return false;
		} else if (strchr(ref_alphabet, s[i]) == NULL) {
			return false;
		}
	}
	return true;
}
