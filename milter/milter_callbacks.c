/* SPDX-License-Identifier: MIT */
/*
 * milter_callbacks: the libmilter callbacks up to end of header, and the
 * filter description.
 *
 * Only the steps that are needed are negotiated: no connect, HELO, DATA
 * or unknown-command events, no replies to MAIL, RCPT, each header or
 * each body chunk where the MTA allows it (each event that crosses the
 * socket costs more than sealing).  The decision is made at end of
 * header: mail that no rule seals gets ACCEPT there and its body never
 * reaches the milter.  Mail to be sealed is streamed, header section
 * first, into the sealer; each sealed chunk goes to the store as it is
 * produced (milter_eom.c finishes the job).
 *
 * A header section larger than MILTER_HEADER_MAX is not kept: the
 * decision is then made from the envelope alone when the rules allow it
 * (a pass is a pass), and otherwise, or when that decision is to seal,
 * the message is tempfailed (sealing needs the whole header section).
 */
#include "milter_msg.h"

#include <stdlib.h>
#include <string.h>

#include "sp_log.h"

static struct conn *
conn_of(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c != NULL && smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			c = NULL;
		}
	}
	return c;
}

static void
take_qid(SMFICTX *ctx, struct msg *m)
{
	const char *q = smfi_getsymval(ctx, "i");

	if (q != NULL && q[0] != '\0')
		snprintf(m->qid, sizeof(m->qid), "%s", q);
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long want = SMFIP_NOCONNECT | SMFIP_NOHELO |
	    SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_HDR | SMFIP_NR_BODY |
	    SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_HDR_LEADSPC;
	const unsigned long acts =
	    SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	struct conn *c = conn_of(ctx);

	(void)f2;
	(void)f3;
	if (c == NULL || (f0 & acts) != acts)
		return SMFIS_REJECT; /* this MTA cannot change the message */
	*pf0 = acts;
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->nr_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	c->nr_body = (*pf1 & SMFIP_NR_BODY) != 0;
	c->nr_mail = (*pf1 & SMFIP_NR_MAIL) != 0;
	c->nr_rcpt = (*pf1 & SMFIP_NR_RCPT) != 0;
	/* Fewer macro packets: each is a write the MTA makes without
	 * waiting for a reply, and on TCP those stall on Nagle's algorithm
	 * at the MTA's end.  Only the queue id is needed. */
	if (f0 & SMFIF_SETSYMLIST) {
		*pf0 |= SMFIF_SETSYMLIST;
		(void)smfi_setsymlist(ctx, SMFIM_ENVFROM, "i");
		(void)smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
		(void)smfi_setsymlist(ctx, SMFIM_EOH, "i");
		(void)smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	sp_log(LOG_DEBUG, NULL, "action=negotiate offered=%#lx/%#lx took=%#lx",
	    f0, f1, *pf1);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	msg_reset(&c->m);
	c->m.mc = milter_conf_get();
	take_qid(ctx, &c->m);
	if (c->m.mc == NULL) /* only while stopping */
		msg_fail(&c->m, SP_EINVAL, "no configuration loaded");
	else if (msg_set_sender(&c->m, argv[0]) != SP_OK)
		msg_fail(&c->m, SP_ENOMEM, "out of memory");
	return c->nr_mail ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (msg_add_rcpt(&c->m, argv[0]) != SP_OK)
		msg_fail(&c->m, SP_ENOMEM, "out of memory");
	return c->nr_rcpt ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (msg_add_header(&c->m, name, value) != SP_OK)
		msg_fail(&c->m, SP_ENOMEM, "out of memory");
	return c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static void
log_pass(const struct msg *m, const char *action)
{
	char rule[SP_LOG_CLEAN_SIZE];

	sp_log(LOG_INFO, m->qid[0] ? m->qid : NULL,
	    "action=%s rule=%s template=- id=- size=%zu nrcpt=%zu", action,
	    msg_clean(rule, sizeof(rule), m->dec.rule), m->hlen, m->nrcpt);
}

static int
decide(struct msg *m)
{
	struct sp_header *hs = NULL;
	struct sp_rules_input in = { .sender = m->sender,
		.rcpts = (const char *const *)m->rcpts,
		.nrcpt = m->nrcpt };
	int rc;

	if (!m->hdr_over && m->nhdr > 0) {
		hs = calloc(m->nhdr, sizeof(*hs));
		if (hs == NULL)
			return SP_ENOMEM;
		msg_headers(m, hs);
		in.headers = hs;
		in.nheaders = m->nhdr;
	}
	rc = sp_rules_decide(m->mc->rules, &in, &m->dec);
	m->have_dec = rc == SP_OK;
	free(hs);
	return rc;
}

/* Retrying cannot help a message with more recipients than a sealed
 * message may have, so it is refused for good. */
static sfsistat
too_many_rcpts(SMFICTX *ctx, struct msg *m)
{
	char text[128];

	sp_log(LOG_NOTICE, m->qid[0] ? m->qid : NULL,
	    "action=reject reason=too-many-recipients limit=%u nrcpt=%zu",
	    m->mc->cfg->max_recipients, m->nrcpt);
	snprintf(text, sizeof(text),
	    "too many recipients for a sealed message (limit %u)",
	    m->mc->cfg->max_recipients);
	(void)smfi_setreply(ctx, "550", "5.5.3", text);
	return SMFIS_REJECT;
}

/* Stores the held chunks in one transaction; their buffers stay. */
static int
flush_held(struct msg *m, struct sp_error *err)
{
	int rc;

	rc = sp_store_chunks_put(milter_store, m->id, m->held_first,
	    (const unsigned char *const *)m->held, m->held_len, m->nheld, err);
	m->held_first += (uint32_t)m->nheld;
	m->nheld = 0;
	return rc;
}

/* The sealer's output: held back (see struct msg), so that most
 * messages reach the store in a single durable transaction. */
static int
chunk_to_store(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct msg *m = ctx;
	struct sp_error err;
	unsigned char **slot;
	int rc = SP_OK;

	sp_error_clear(&err);
	if (len > SP_SEAL_CHUNK + SP_SEAL_CHUNK_OVERHEAD)
		rc = sp_error_set(&err, SP_EFORMAT, "sealed chunk too large");
	if (rc == SP_OK && m->nheld == MILTER_HELD_MAX)
		rc = flush_held(m, &err);
	slot = &m->held[m->nheld];
	if (rc == SP_OK && *slot == NULL &&
	    (*slot = malloc(SP_SEAL_CHUNK + SP_SEAL_CHUNK_OVERHEAD)) == NULL)
		rc = sp_error_set(&err, SP_ENOMEM, "out of memory");
	if (rc != SP_OK) {
		msg_fail(m, rc, err.msg);
		return rc;
	}
	if (m->nheld == 0)
		m->held_first = seq;
	memcpy(*slot, c, len);
	m->held_len[m->nheld++] = len;
	return SP_OK;
}

static sfsistat
start_sealing(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = &c->m;
	struct sp_error err;

	if (m->hdr_over)
		return milter_tempfail(ctx, m, "header section too large");
	if (milter_store_ensure() == NULL)
		return milter_tempfail(ctx, m, milter_store_error);
	if (m->mc->keys == NULL)
		return milter_tempfail(ctx, m, m->mc->keys_error);
	sp_error_clear(&err);
	sp_id_new(m->id);
	if (sp_sealer_new(&m->sealer, sp_keyring_newest(m->mc->keys), m->id,
	        chunk_to_store, m, &err) != SP_OK ||
	    msg_seal_headers(m, c->leadspc, &err) != SP_OK)
		return milter_tempfail(ctx, m, m->fail ? m->why : err.msg);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	struct msg *m;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	m = &c->m;
	take_qid(ctx, m);
	if (m->fail != SP_OK)
		return milter_tempfail(ctx, m, m->why);
	if (m->mc == NULL)
		return milter_tempfail(
		    ctx, m, "end of header before MAIL FROM");
	if (m->rcpt_over)
		return milter_tempfail(ctx, m, "too many recipients");
	if (m->hdr_over && !sp_rules_envelope_only(m->mc->rules))
		return milter_tempfail(ctx, m, "header section too large");
	if (decide(m) != SP_OK)
		return milter_tempfail(ctx, m, "rules could not be evaluated");
	if (m->dec.action != SP_ACTION_ENCRYPT) {
		log_pass(m, m->dec.action == SP_ACTION_SKIP ? "skip" : "pass");
		msg_reset(m);
		return SMFIS_ACCEPT;
	}
	if (m->nrcpt > m->mc->cfg->max_recipients)
		return too_many_rcpts(ctx, m);
	return start_sealing(ctx, c);
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_of(ctx);
	struct msg *m;
	struct sp_error err;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	m = &c->m;
	if (m->sealer == NULL || m->fail != SP_OK || m->too_big)
		return c->nr_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if (sp_sealer_size(m->sealer) + len > m->mc->cfg->max_message_size) {
		m->too_big = true;
	} else if (sp_sealer_push(m->sealer, chunk, len, &err) != SP_OK) {
		msg_fail(m, err.code, err.msg);
	}
	return c->nr_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	sfsistat r;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	take_qid(ctx, &c->m);
	r = eom_seal(ctx, c);
	msg_reset(&c->m);
	return r;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		msg_reset(&c->m);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		msg_reset(&c->m);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "sealpost",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};
