/* SPDX-License-Identifier: MIT */
/*
 * config_internal: what config_parse.c and config_value.c share.  Not for
 * use outside common/.
 */
#ifndef SP_CONFIG_INTERNAL_H
#define SP_CONFIG_INTERNAL_H

#include <stddef.h>

#include "sp_config.h"

/* Parses text (trimmed, NUL-terminated) as the value of key k and stores
 * it in cfg, freeing what was there.  On failure returns SP_EFORMAT (or
 * SP_ENOMEM) and writes why, a phrase such as "\"x\" is not a size". */
int sp_config_value_set(const struct sp_config_key *k, const char *text,
    struct sp_config *cfg, char *why, size_t cap) SP_MUST_CHECK;
/* The value of k in cfg, as it would be written in a file. */
const char *sp_config_value_format(const struct sp_config_key *k,
    const struct sp_config *cfg, char *buf, size_t cap);
/* Frees a string value of k in cfg (no-op for numbers). */
void sp_config_value_free(const struct sp_config_key *k, struct sp_config *cfg);

#endif
