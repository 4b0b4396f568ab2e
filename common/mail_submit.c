/* SPDX-License-Identifier: MIT */
/*
 * mail_submit: SMTP submission through libcurl (see sp_mail_submit.h).
 *
 * libcurl is initialised once per process (curl_global_init is not
 * thread-safe on every build, so the portal calls it before any thread
 * exists: sp_mail_submit() does it on first use, and the portal calls
 * sp_mail_submit() from one thread per process only).
 */
#include "sp_mail_submit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

struct reader {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *ctx)
{
	struct reader *r = ctx;
	size_t n = size * nmemb;

	if (n > r->left)
		n = r->left;
	memcpy(buf, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

static int
envelope_list(const struct sp_mail_envelope *env, struct curl_slist **out,
    struct sp_error *err)
{
	struct curl_slist *l = NULL, *t;
	size_t i;

	*out = NULL;
	if (env->nrcpt == 0)
		return sp_error_set(err, SP_EINVAL, "mail: no recipient");
	for (i = 0; i < env->nrcpt; i++) {
		if (strpbrk(env->rcpts[i], "\r\n<>") != NULL) {
			curl_slist_free_all(l);
			return sp_error_set(err, SP_EINVAL,
			    "mail: bad "
			    "recipient address");
		}
		t = curl_slist_append(l, env->rcpts[i]);
		if (t == NULL) {
			curl_slist_free_all(l);
			return sp_error_set(err, SP_ENOMEM, "out of memory");
		}
		l = t;
	}
	*out = l;
	return SP_OK;
}

int
sp_mail_submit(const char *url, const struct sp_mail_envelope *env,
    const char *msg, size_t len, long timeout_s, struct sp_error *err)
{
	static bool inited;
	struct curl_slist *rcpts = NULL;
	struct reader r = { msg, len };
	char from[1024];
	CURL *c = NULL;
	CURLcode cc;
	int rc;

	if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return sp_error_set(
		    err, SP_EIO, "mail: libcurl failed to start");
	inited = true;
	if (strpbrk(env->from, "\r\n<>") != NULL ||
	    snprintf(from, sizeof(from), "<%s>", env->from) >=
	        (int)sizeof(from))
		return sp_error_set(err, SP_EINVAL, "mail: bad sender address");
	rc = envelope_list(env, &rcpts, err);
	if (rc != SP_OK)
		return rc;
	c = curl_easy_init();
	if (c == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "mail: no curl handle");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &r);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
	    timeout_s > 0 ? timeout_s : (long)SP_MAIL_TIMEOUT_DEFAULT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		rc = sp_error_set(
		    err, SP_EIO, "mail: %s", curl_easy_strerror(cc));
	else
		rc = SP_OK;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpts);
	return rc;
}

const char *
sp_mail_header_clean(const char *s, char *buf, size_t cap)
{
	size_t i;

	if (cap == 0)
		return buf;
	for (i = 0; s[i] != '\0' && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}
