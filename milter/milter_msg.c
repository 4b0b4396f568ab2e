/* SPDX-License-Identifier: MIT */
/*
 * milter_msg: the per-message state (see milter_msg.h): envelope,
 * headers as received, and the way the header section is rebuilt for
 * sealing.
 *
 * Rebuilding the header section: each header is written as NAME ":"
 * VALUE CRLF, then an empty line.  With SMFIP_HDR_LEADSPC negotiated
 * (Postfix and Sendmail 8.14+ offer it) VALUE is exactly what followed
 * the colon, leading white space included; without it one space is
 * written after the colon.  Folded headers arrive with their line breaks
 * as LF or CRLF; every line break is written as CRLF.  What cannot be
 * exact: the MTA already turned bare LF line ends into CRLF, and headers
 * the MTA adds before the milter (Postfix's Received:) are part of what
 * is sealed.
 */
#include "milter_msg.h"

#include <stdlib.h>
#include <string.h>

#include "sp_log.h"

static void
free_rcpts(struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
}

void
msg_reset(struct msg *m)
{
	if (m->sealer != NULL) {
		sp_sealer_free(m->sealer);
		if (milter_store != NULL)
			(void)sp_store_msg_abort(milter_store, m->id, NULL);
	}
	if (m->have_dec)
		sp_decision_cleanup(&m->dec);
	milter_conf_put(m->mc);
	free(m->sender);
	free_rcpts(m);
	free(m->hbuf);
	free(m->hdrs);
	for (size_t i = 0; i < MILTER_HELD_MAX; i++)
		free(m->held[i]);
	memset(m, 0, sizeof(*m));
}

void
msg_fail(struct msg *m, int code, const char *why)
{
	if (m->fail != SP_OK)
		return;
	m->fail = code;
	snprintf(m->why, sizeof(m->why), "%s", why);
}

/* Envelope addresses arrive as "<addr>" (maybe with spaces around). */
static char *
strip_brackets(const char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return strndup(s + 1, n - 2);
	return strndup(s, n);
}

int
msg_set_sender(struct msg *m, const char *addr)
{
	free(m->sender);
	m->sender = strip_brackets(addr != NULL ? addr : "");
	return m->sender != NULL ? SP_OK : SP_ENOMEM;
}

int
msg_add_rcpt(struct msg *m, const char *addr)
{
	char **np;
	size_t ncap;

	if (m->nrcpt >= MILTER_RCPT_MAX) {
		m->rcpt_over = true;
		return SP_OK;
	}
	if (m->nrcpt == m->rcpt_cap) {
		ncap = m->rcpt_cap ? m->rcpt_cap * 2 : 8;
		np = realloc(m->rcpts, ncap * sizeof(*np));
		if (np == NULL)
			return SP_ENOMEM;
		m->rcpts = np;
		m->rcpt_cap = ncap;
	}
	m->rcpts[m->nrcpt] = strip_brackets(addr != NULL ? addr : "");
	if (m->rcpts[m->nrcpt] == NULL)
		return SP_ENOMEM;
	m->nrcpt++;
	return SP_OK;
}

static int
grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return SP_OK;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (np == NULL)
		return SP_ENOMEM;
	*p = np;
	*cap = ncap;
	return SP_OK;
}

int
msg_add_header(struct msg *m, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	struct hdr_ref *h;

	if (m->hdr_over || nl + vl + 4 > MILTER_HEADER_MAX - m->hlen) {
		m->hdr_over = true;
		return SP_OK;
	}
	if (grow((void **)&m->hbuf, &m->hcap, m->hlen + nl + vl, 1) != SP_OK ||
	    grow((void **)&m->hdrs, &m->hdr_cap, m->nhdr + 1,
	        sizeof(*m->hdrs)) != SP_OK)
		return SP_ENOMEM;
	h = &m->hdrs[m->nhdr++];
	h->name_off = m->hlen;
	h->name_len = nl;
	memcpy(m->hbuf + m->hlen, name, nl);
	m->hlen += nl;
	h->val_off = m->hlen;
	h->val_len = vl;
	memcpy(m->hbuf + m->hlen, value, vl);
	m->hlen += vl;
	return SP_OK;
}

void
msg_headers(const struct msg *m, struct sp_header *hs)
{
	size_t i;

	for (i = 0; i < m->nhdr; i++) {
		hs[i].name = m->hbuf + m->hdrs[i].name_off;
		hs[i].name_len = m->hdrs[i].name_len;
		hs[i].value = m->hbuf + m->hdrs[i].val_off;
		hs[i].value_len = m->hdrs[i].val_len;
	}
}

/* Pushes a header value, every line break made CRLF. */
static int
seal_value(struct msg *m, const char *v, size_t n, struct sp_error *err)
{
	size_t start = 0, i;
	int rc = SP_OK;

	for (i = 0; i < n && rc == SP_OK; i++) {
		if (v[i] != '\n')
			continue;
		if (i > 0 && v[i - 1] == '\r')
			rc = sp_sealer_push(
			    m->sealer, v + start, i + 1 - start, err);
		else if ((rc = sp_sealer_push(
		              m->sealer, v + start, i - start, err)) == SP_OK)
			rc = sp_sealer_push(m->sealer, "\r\n", 2, err);
		start = i + 1;
	}
	if (rc == SP_OK)
		rc = sp_sealer_push(m->sealer, v + start, n - start, err);
	return rc;
}

int
msg_seal_headers(struct msg *m, bool leadspc, struct sp_error *err)
{
	const struct hdr_ref *h;
	size_t i;
	int rc = SP_OK;

	for (i = 0; i < m->nhdr && rc == SP_OK; i++) {
		h = &m->hdrs[i];
		rc = sp_sealer_push(
		    m->sealer, m->hbuf + h->name_off, h->name_len, err);
		if (rc == SP_OK)
			rc = sp_sealer_push(m->sealer, leadspc ? ":" : ": ",
			    leadspc ? 1 : 2, err);
		if (rc == SP_OK)
			rc = seal_value(
			    m, m->hbuf + h->val_off, h->val_len, err);
		if (rc == SP_OK)
			rc = sp_sealer_push(m->sealer, "\r\n", 2, err);
	}
	if (rc == SP_OK)
		rc = sp_sealer_push(m->sealer, "\r\n", 2, err);
	return rc;
}

const char *
msg_clean(char *buf, size_t cap, const char *s)
{
	if (s == NULL)
		s = "-";
	return sp_log_clean(buf, cap, s, strlen(s));
}
