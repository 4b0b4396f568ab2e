/* SPDX-License-Identifier: MIT */
/*
 * milter_msg.h: the per-connection and per-message state of the milter.
 * Internal to milter/.
 *
 * A connection (struct conn, libmilter's private data) carries what was
 * negotiated and the message being received.  struct msg is reset at
 * every MAIL FROM, at RSET (abort) and after end of message, so several
 * messages on one connection never share anything.  Every buffer has a
 * hard cap (MILTER_HEADER_MAX, MILTER_RCPT_MAX).
 */
#ifndef SP_MILTER_MSG_H
#define SP_MILTER_MSG_H

#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "milter.h"
#include "sp_rules.h"
#include "sp_seal.h"

struct hdr_ref {
	size_t name_off, name_len;
	size_t val_off, val_len;
};

struct msg {
	struct milter_conf *mc; /* generation taken at MAIL FROM */
	char qid[64];
	char *sender;
	char **rcpts;
	size_t nrcpt, rcpt_cap;
	char *hbuf; /* header names and values, back to back */
	size_t hlen, hcap;
	struct hdr_ref *hdrs;
	size_t nhdr, hdr_cap;
	bool hdr_over;  /* the header section passed MILTER_HEADER_MAX */
	bool rcpt_over; /* more than MILTER_RCPT_MAX recipients */
	struct sp_decision dec;
	bool have_dec;
	struct sp_sealer *sealer; /* set while sealing */
	/* Sealed chunks held back: held[0..nheld) are chunks held_first
	 * onwards.  When MILTER_HELD_MAX are waiting and another comes they
	 * are stored in one transaction; the last ones go into the commit's
	 * own transaction.  Each buffer holds one sealed chunk, is
	 * allocated on first use and reused until msg_reset. */
	unsigned char *held[MILTER_HELD_MAX];
	size_t held_len[MILTER_HELD_MAX];
	uint32_t held_first;
	size_t nheld;
	char id[SP_ID_LEN + 1];
	bool too_big; /* passed max_message_size; sealing stopped */
	int fail;     /* first failure while sealing, or SP_OK */
	char why[256];
};

struct conn {
	bool leadspc; /* header values carry their leading space */
	bool nr_hdr, nr_body, nr_mail, nr_rcpt;
	struct msg m;
};

/* milter_msg.c */
void msg_reset(struct msg *m);
void msg_fail(struct msg *m, int code, const char *why);
int msg_set_sender(struct msg *m, const char *addr);
int msg_add_rcpt(struct msg *m, const char *addr);
int msg_add_header(struct msg *m, const char *name, const char *value);
/* Fills hs (m->nhdr entries) from the kept headers. */
void msg_headers(const struct msg *m, struct sp_header *hs);
/* Pushes the header section, as received, into the sealer. */
int msg_seal_headers(struct msg *m, bool leadspc, struct sp_error *err);
/* A copy of s without surrounding <> and made safe for a log line. */
const char *msg_clean(char *buf, size_t cap, const char *s);

/* milter_eom.c */
sfsistat eom_seal(SMFICTX *ctx, struct conn *c);
sfsistat milter_tempfail(SMFICTX *ctx, struct msg *m, const char *why);

#endif
