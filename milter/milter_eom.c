/* SPDX-License-Identifier: MIT */
/*
 * milter_eom: end of message for mail that is sealed.
 *
 * The order is what keeps mail safe: finish the seal, commit the record
 * durably, and only then replace the content headers and the body with
 * the notification.  Any failure before the commit tempfails and drops
 * the chunks written so far; a failure after it (the MTA refusing a
 * change) withdraws the record, so nothing half-done stays behind and no
 * record is listed for a try that was never delivered.  The MTA never gets a
 * reply that lets the original go out in the clear.
 *
 * Durable writes per sealed message: one per full chunk but the last, and
 * one for the last chunk and the metadata together (a message under 64
 * KiB costs a single commit).  No separate "sealed" audit event is
 * written: the metadata holds the same facts (created, sender, rule),
 * and another durable commit would cost about a quarter of the sealed
 * throughput.
 *
 * A message larger than max_message_size is rejected with 552 5.3.4
 * (retrying cannot make it smaller; the sender gets a clear bounce
 * instead of a message that silently never arrives).
 */
#include "milter_msg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sp_log.h"
#include "sp_mime_words.h"
#include "sp_notify.h"

/* Body replacement goes out in pieces of this size.  Postfix and
 * Sendmail take up to 64 KiB a piece, but miltertest (the protocol test
 * tool) overflows a stack buffer on pieces over about 1 KiB; the extra
 * writes cost a few microseconds for a notification of a few KiB and
 * need no replies, so the small size is kept for all. */
#define REPLACE_CHUNK 1024

sfsistat
milter_tempfail(SMFICTX *ctx, struct msg *m, const char *why)
{
	char buf[SP_LOG_CLEAN_SIZE];

	sp_log(LOG_ERR, m->qid[0] ? m->qid : NULL,
	    "action=tempfail id=%s nrcpt=%zu reason=%s", m->id[0] ? m->id : "-",
	    m->nrcpt, msg_clean(buf, sizeof(buf), why));
	(void)smfi_setreply(ctx, "451", "4.3.0",
	    "sealpost: the message could not be sealed, try again later");
	return SMFIS_TEMPFAIL;
}

static int
fill_meta(const struct msg *m, struct sp_msg_meta *meta)
{
	const struct sp_template *t = m->dec.tmpl;
	const struct sp_config *cfg = m->mc->cfg;
	size_t hlen;
	const unsigned char *h = sp_sealer_header(m->sealer, &hlen);
	int64_t expire = t->expire ? t->expire : cfg->default_expire;

	memset(meta, 0, sizeof(*meta));
	if (hlen > sizeof(meta->header))
		return SP_EFORMAT;
	snprintf(meta->id, sizeof(meta->id), "%s", m->id);
	sp_ref_new(meta->ref);
	meta->created = (int64_t)time(NULL);
	meta->expires = expire > 0 ? meta->created + expire : 0;
	meta->state = SP_MSG_ACTIVE;
	snprintf(
	    meta->template_name, sizeof(meta->template_name), "%s", t->name);
	meta->rights = t->rights;
	snprintf(meta->rule, sizeof(meta->rule), "%s",
	    m->dec.rule ? m->dec.rule : "");
	snprintf(meta->key_id, sizeof(meta->key_id), "%s",
	    sp_keyring_newest(m->mc->keys)->id);
	meta->size = sp_sealer_size(m->sealer);
	meta->nchunks = sp_sealer_chunks(m->sealer);
	memcpy(meta->header, h, hlen);
	meta->header_len = (uint32_t)hlen;
	meta->sender = m->sender;
	meta->rcpts = m->rcpts;
	meta->nrcpt = m->nrcpt;
	return SP_OK;
}

/* The longest Subject field the notification carries, "Subject:", the
 * value and its folding line breaks (CRLF) counted: RFC 5322's line
 * limit.  A longer subject is cut, at a UTF-8 character boundary, and
 * ends with an ellipsis; an MTA refuses a replacement header over 64 KiB
 * (and libmilter will not send one), so an uncut subject that long could
 * never be sealed. */
#define SUBJECT_FIELD_MAX 998
#define ELLIPSIS          "\xe2\x80\xa6" /* U+2026 */

/* The new Subject value: RFC 2047 encoded words where the text is not
 * plain ASCII, folded with a bare LF and a space (libmilter's way of
 * asking for a multi-line header; the MTA writes CRLF), with a leading
 * space when header values carry theirs.  *field gets the size of the
 * whole field as the MTA writes it. */
static char *
encode_subject(const char *s, bool leadspc, size_t *field)
{
	char *enc = NULL, *out;
	size_t n, i;

	if (sp_mime_encode_header(s, strlen(s), 9, "\n", &enc) != SP_OK)
		return NULL;
	n = strlen(enc) + 2;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s%s", leadspc ? " " : "", enc);
	*field = strlen("Subject: ") + strlen(enc);
	for (i = 0; enc[i] != '\0'; i++)
		*field += enc[i] == '\n'; /* written as CRLF */
	free(enc);
	return out;
}

/* The first cut bytes of s (moved back to a character boundary and
 * before any trailing space) and an ellipsis, in a new string. */
static char *
cut_subject(const char *s, size_t cut)
{
	size_t n;
	char *t;

	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	while (cut > 0 && (s[cut - 1] == ' ' || s[cut - 1] == '\t'))
		cut--;
	n = cut + sizeof(ELLIPSIS);
	if ((t = malloc(n)) != NULL)
		snprintf(t, n, "%.*s%s", (int)cut, s, ELLIPSIS);
	return t;
}

/* The subject of the notification (*text, for the templates) and its
 * encoded Subject value (*enc), cut to SUBJECT_FIELD_MAX; *cut tells
 * whether it was.  Each round shortens the text by at least a quarter of
 * the excess (an encoded byte takes at most four), so it ends quickly. */
static int
cap_subject(const char *s, bool leadspc, char **text, char **enc, bool *cut)
{
	size_t len = strlen(s), keep = len, field = 0, step;
	char *t = NULL, *e = NULL;

	for (;;) {
		t = keep == len ? strdup(s) : cut_subject(s, keep);
		e = t ? encode_subject(t, leadspc, &field) : NULL;
		if (e == NULL) {
			free(t);
			return SP_ENOMEM;
		}
		if (field <= SUBJECT_FIELD_MAX || keep == 0)
			break;
		step = (field - SUBJECT_FIELD_MAX) / 4 + 1;
		keep = keep > step ? keep - step : 0;
		if (keep > SUBJECT_FIELD_MAX)
			keep = SUBJECT_FIELD_MAX;
		free(t);
		free(e);
	}
	*text = t;
	*enc = e;
	*cut = keep < len;
	return SP_OK;
}

static bool
is_content_header(const char *name, size_t n)
{
	return (n >= 8 && strncasecmp(name, "Content-", 8) == 0) ||
	    (n == 12 && strncasecmp(name, "MIME-Version", 12) == 0);
}

/* Deletes every content header, last occurrence first (indexes count
 * per name, from 1), however long its name: a Content-* header left
 * behind would describe the notification wrongly. */
static int
delete_content_headers(SMFICTX *ctx, const struct msg *m)
{
	size_t i, j, k, count;
	char *name;
	int rc = SP_OK;

	for (i = 0; i < m->nhdr && rc == SP_OK; i++) {
		const char *ni = m->hbuf + m->hdrs[i].name_off;
		size_t nl = m->hdrs[i].name_len;
		if (!is_content_header(ni, nl))
			continue;
		for (j = 0, count = 0; j < m->nhdr; j++) {
			if (m->hdrs[j].name_len == nl &&
			    strncasecmp(
			        m->hbuf + m->hdrs[j].name_off, ni, nl) == 0) {
				if (j < i)
					break; /* handled at its first one */
				count++;
			}
		}
		if (j < m->nhdr && j < i)
			continue;
		if ((name = strndup(ni, nl)) == NULL)
			return SP_ENOMEM;
		for (k = count; k >= 1 && rc == SP_OK; k--)
			if (smfi_chgheader(ctx, name, (int)k, NULL) !=
			    MI_SUCCESS)
				rc = SP_EIO;
		free(name);
	}
	return rc;
}

static int
add_header(SMFICTX *ctx, bool leadspc, const char *name, const char *value)
{
	size_t n = strlen(value) + 2;
	char *v = NULL;
	int rc;

	if (leadspc && (v = malloc(n)) == NULL)
		return SP_ENOMEM;
	if (v != NULL)
		snprintf(v, n, " %s", value);
	rc = smfi_addheader(ctx, (char *)name, v ? v : (char *)value);
	free(v);
	return rc == MI_SUCCESS ? SP_OK : SP_EIO;
}

/* The notification keeps one Subject: subj (the capped, encoded value of
 * the decision's subject, taken from the field the rule matched) in place
 * of the first, or the first as it is when subj is NULL; every later
 * Subject field is deleted, last first, so none travels unchanged. */
static int
replace_subject(SMFICTX *ctx, const struct conn *c, const char *subj)
{
	const struct msg *m = &c->m;
	size_t i, n = 0;

	for (i = 0; i < m->nhdr; i++)
		n += m->hdrs[i].name_len == 7 &&
		    strncasecmp(m->hbuf + m->hdrs[i].name_off, "Subject", 7) ==
		        0;
	for (i = n; i >= 2; i--)
		if (smfi_chgheader(ctx, "Subject", (int)i, NULL) != MI_SUCCESS)
			return SP_EIO;
	if (subj != NULL &&
	    smfi_chgheader(ctx, "Subject", 1, (char *)subj) != MI_SUCCESS)
		return SP_EIO;
	return SP_OK;
}

static int
replace_headers(
    SMFICTX *ctx, const struct conn *c, const char *subj, const char *ctype)
{
	int rc = delete_content_headers(ctx, &c->m);

	if (rc == SP_OK)
		rc = replace_subject(ctx, c, subj);
	if (rc == SP_OK)
		rc = add_header(ctx, c->leadspc, "X-Sealpost-Id", c->m.id);
	if (rc == SP_OK)
		rc = add_header(ctx, c->leadspc, "MIME-Version", "1.0");
	if (rc == SP_OK)
		rc = add_header(ctx, c->leadspc, "Content-Type", ctype);
	return rc;
}

static int
replace_body(SMFICTX *ctx, const struct sp_notify *n)
{
	size_t off, k;

	for (off = 0; off < n->body_len; off += k) {
		k = n->body_len - off;
		if (k > REPLACE_CHUNK)
			k = REPLACE_CHUNK;
		if (smfi_replacebody(ctx, (unsigned char *)n->body + off,
		        (int)k) != MI_SUCCESS)
			return SP_EIO;
	}
	return SP_OK;
}

static int
build_notification(const struct msg *m, const struct sp_msg_meta *meta,
    const char *subject, struct sp_notify *n, struct sp_error *err)
{
	const struct sp_config *cfg = m->mc->cfg;
	char link[1024];
	struct sp_notify_info in = { .sender = m->sender,
		.subject = subject,
		.link = link,
		.ref = meta->ref,
		.expires = meta->expires,
		.brand_name =
		    m->dec.tmpl->brand ? m->dec.tmpl->brand : cfg->brand_name,
		.brand_color = cfg->brand_color,
		.brand_logo_url = cfg->brand_logo_url,
		.brand_privacy_url = cfg->brand_privacy_url,
		.brand_footer = cfg->brand_footer };

	snprintf(link, sizeof(link), "%s/m/%s", cfg->portal_url, m->id);
	return sp_notify_build_from(&m->mc->notify, &in, n, err);
}

/* Writes the held last chunks and the metadata in one transaction. */
static int
commit(
    const struct msg *m, const struct sp_msg_meta *meta, struct sp_error *err)
{
	if (m->nheld == 0 || m->held_first + m->nheld != meta->nchunks)
		return sp_error_set(err, SP_EFORMAT, "last chunk missing");
	return sp_store_msg_commit(milter_store, meta, m->held_first,
	    (const unsigned char *const *)m->held, m->held_len, m->nheld, err);
}

static void
log_sealed(const struct msg *m, const struct sp_msg_meta *meta)
{
	char rule[SP_LOG_CLEAN_SIZE], tmpl[SP_LOG_CLEAN_SIZE];

	sp_log(LOG_INFO, m->qid[0] ? m->qid : NULL,
	    "action=sealed rule=%s template=%s id=%s size=%" PRIu64
	    " nrcpt=%zu ref=%s",
	    msg_clean(rule, sizeof(rule), m->dec.rule),
	    msg_clean(tmpl, sizeof(tmpl), m->dec.tmpl->name), m->id, meta->size,
	    m->nrcpt, meta->ref);
}

static sfsistat
too_big(SMFICTX *ctx, struct msg *m)
{
	char text[128];

	sp_log(LOG_NOTICE, m->qid[0] ? m->qid : NULL,
	    "action=reject reason=too-big limit=%" PRIu64 " nrcpt=%zu",
	    m->mc->cfg->max_message_size, m->nrcpt);
	snprintf(text, sizeof(text),
	    "message too big to be sealed (limit %" PRIu64 " bytes)",
	    m->mc->cfg->max_message_size);
	(void)smfi_setreply(ctx, "552", "5.3.4", text);
	return SMFIS_REJECT;
}

/* Takes back a record whose notification the MTA refused: the message
 * is tempfailed and sealed afresh on the next try, so nothing may stay
 * listed for this attempt.  Should that fail, the record is at least
 * purged. */
static void
withdraw(const struct msg *m)
{
	const char *qid = m->qid[0] ? m->qid : NULL;
	char buf[SP_LOG_CLEAN_SIZE];
	struct sp_error err;

	sp_error_clear(&err);
	if (sp_store_msg_withdraw(milter_store, m->id, &err) == SP_OK)
		return;
	sp_log(LOG_ERR, qid, "action=withdraw-failed id=%s reason=%s", m->id,
	    msg_clean(buf, sizeof(buf), err.msg));
	if (sp_store_msg_purge(milter_store, m->id, &err) != SP_OK)
		sp_log(LOG_ERR, qid, "action=purge-failed id=%s", m->id);
}

/* The subject of the notification (*text, NULL without a Subject) and
 * the new Subject value (*enc, NULL when the field stays as it is:
 * no tag removed and not too long). */
static int
notify_subject(const struct conn *c, char **text, char **enc)
{
	const struct sp_decision *d = &c->m.dec;
	bool cut = false;

	*text = NULL;
	*enc = NULL;
	if (d->subject == NULL)
		return SP_OK;
	if (cap_subject(d->subject, c->leadspc, text, enc, &cut) != SP_OK)
		return SP_ENOMEM;
	if (!d->subject_changed && !cut) {
		free(*enc);
		*enc = NULL;
	}
	return SP_OK;
}

sfsistat
eom_seal(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = &c->m;
	struct sp_msg_meta meta;
	struct sp_notify n = { 0 };
	struct sp_error err;
	char *subj = NULL, *subj_enc = NULL;
	sfsistat r = SMFIS_CONTINUE;

	sp_error_clear(&err);
	/* Mail that no rule seals was accepted at end of header and never
	 * gets here; libmilter drops events out of order.  Should anything
	 * else ever end a message without a seal, it does not go out. */
	if (m->sealer == NULL)
		return milter_tempfail(
		    ctx, m, "end of message without a sealing decision");
	if (m->too_big)
		return too_big(ctx, m);
	if (m->fail == SP_OK && sp_sealer_finish(m->sealer, &err) != SP_OK)
		msg_fail(m, err.code, err.msg);
	if (m->fail != SP_OK)
		return milter_tempfail(ctx, m, m->why);
	if (fill_meta(m, &meta) != SP_OK)
		return milter_tempfail(ctx, m, "seal header too large");
	if (notify_subject(c, &subj, &subj_enc) != SP_OK)
		return milter_tempfail(ctx, m, "out of memory");
	if (build_notification(m, &meta, subj, &n, &err) != SP_OK ||
	    commit(m, &meta, &err) != SP_OK) {
		r = milter_tempfail(ctx, m, err.msg);
		goto out;
	}
	if (replace_headers(ctx, c, subj_enc, n.content_type) != SP_OK ||
	    replace_body(ctx, &n) != SP_OK) {
		r = milter_tempfail(ctx, m, "the MTA refused a change");
		withdraw(m);
		goto out;
	}
	log_sealed(m, &meta);
	sp_sealer_free(m->sealer);
	m->sealer = NULL; /* committed: msg_reset must not abort it */
out:
	sp_notify_cleanup(&n);
	free(subj);
	free(subj_enc);
	return r;
}
