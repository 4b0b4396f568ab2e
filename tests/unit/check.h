/* SPDX-License-Identifier: MIT */
/*
 * check.h: assertions for the unit tests that say "got X, want Y".
 * Include after <cmocka.h>.
 */
#ifndef SP_TEST_CHECK_H
#define SP_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define CHECK_INT(got, want)                                                   \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (g_ != w_)                                                  \
			fail_msg("%s: got %lld, want %lld", #got, g_, w_);     \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) \
			fail_msg("%s: got \"%s\", want \"%s\"", #got,          \
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");           \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                            \
	do {                                                                   \
		const char *h_ = (hay), *n_ = (needle);                        \
		if (h_ == NULL || strstr(h_, n_) == NULL)                      \
			fail_msg("%s: got \"%s\", want it to contain \"%s\"",  \
			    #hay, h_ ? h_ : "(null)", n_);                     \
	} while (0)

#define CHECK_MEM(got, glen, want, wlen)                                       \
	do {                                                                   \
		size_t gl_ = (glen), wl_ = (wlen);                             \
		if (gl_ != wl_ || memcmp((got), (want), gl_) != 0)             \
			fail_msg("%s: got %zu bytes, want %zu bytes (or "      \
			         "contents differ)",                           \
			    #got, gl_, wl_);                                   \
	} while (0)

#endif
