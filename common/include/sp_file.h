/* SPDX-License-Identifier: MIT */
/*
 * sp_file: reading the small files an admin writes (the config, the
 * rules) safely.
 *
 * sp_file_read_admin() reads a whole file into a new NUL-terminated
 * buffer.  It refuses, with a message naming the file: anything that is
 * not a regular file (a FIFO is not waited on), a file larger than max, a
 * file every user may write (whoever writes the config or the rules
 * decides what is sealed and to which key), and a read that fails or
 * comes up short.  The caller frees *buf.
 */
#ifndef SP_FILE_H
#define SP_FILE_H

#include <stddef.h>

#include "sp_error.h"

int sp_file_read_admin(const char *path, size_t max, char **buf, size_t *len,
    struct sp_error *err) SP_MUST_CHECK;

#endif
