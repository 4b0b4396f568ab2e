/* SPDX-License-Identifier: MIT */
/*
 * seal_secmem: reusable sodium_malloc blocks for short-lived secrets,
 * private to common/ (see seal_secmem.c).
 *
 * sp_secmem_get(len) gives a guarded, locked block of SP_SECMEM_BLOCK
 * bytes (NULL when len is larger or memory is short); its content is
 * unspecified until written.  sp_secmem_put(p) wipes it and keeps it for
 * reuse or frees it; NULL is allowed.  Never pass a block to sodium_free.
 */
#ifndef SP_SEAL_SECMEM_H
#define SP_SEAL_SECMEM_H

#include <stddef.h>

#define SP_SECMEM_BLOCK 1024

void *sp_secmem_get(size_t len);
void sp_secmem_put(void *p);

#endif
