/* SPDX-License-Identifier: MIT */
/*
 * seal_secmem: guarded, locked blocks for short-lived secrets (message
 * keys, stream states), kept for reuse (seal_secmem.h).
 *
 * sodium_malloc maps guard pages and locks the block, several system
 * calls each way; a portal read or a sealed message needs two such
 * blocks for a moment.  Blocks given back are wiped (sodium_memzero) and
 * kept, up to SECMEM_KEEP of them, for the next caller; beyond that they
 * are freed with sodium_free (which wipes too).  Every block is
 * SP_SECMEM_BLOCK bytes, whatever was asked for.  A mutex guards the
 * spare list, so threads may share it.  Kept blocks stay mapped, locked
 * and wiped until the process ends.
 */
#include "seal_secmem.h"

#include <pthread.h>
#include <sodium.h>

#define SECMEM_KEEP 8

static pthread_mutex_t secmem_lock = PTHREAD_MUTEX_INITIALIZER;
static void *secmem_spare[SECMEM_KEEP];
static size_t secmem_nspare;

void *
sp_secmem_get(size_t len)
{
	void *p = NULL;

	if (len > SP_SECMEM_BLOCK)
		return NULL;
	pthread_mutex_lock(&secmem_lock);
	if (secmem_nspare > 0)
		p = secmem_spare[--secmem_nspare];
	pthread_mutex_unlock(&secmem_lock);
	return p != NULL ? p : sodium_malloc(SP_SECMEM_BLOCK);
}

void
sp_secmem_put(void *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, SP_SECMEM_BLOCK);
	pthread_mutex_lock(&secmem_lock);
	if (secmem_nspare < SECMEM_KEEP) {
		secmem_spare[secmem_nspare++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&secmem_lock);
	sodium_free(p); /* NULL when kept */
}
