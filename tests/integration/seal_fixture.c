/* SPDX-License-Identifier: MIT */
/*
 * seal_fixture: seals a message file into the store as the milter would,
 * for the portal's integration and browser tests.
 *
 *   seal_fixture -c CONF -f FROM -t TO [-t TO...] [-r RIGHTS] [-e SECS]
 *                [-R] FILE
 *
 * RIGHTS is a comma list of read,reply,replyall,forward,download,print
 * (default: all).  -e: expires in SECS seconds (negative: already
 * expired).  -R: revoked.  A key pair is made in keys_dir when there is
 * none.  Prints "ID REF" on success.
 *
 *   seal_fixture -c CONF -a ID
 *
 * prints the audit trail of message ID instead, one "event actor detail"
 * line per event.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_config.h"
#include "sp_keys.h"
#include "sp_msg.h"
#include "sp_rules.h"
#include "sp_seal.h"
#include "sp_store.h"

#define MAX_RCPT 32

static uint32_t
parse_rights(const char *s)
{
	static const struct {
		const char *w;
		uint32_t bit;
	} words[] = {
		{ "read", SP_RIGHT_READ },
		{ "reply", SP_RIGHT_REPLY },
		{ "replyall", SP_RIGHT_REPLY_ALL },
		{ "forward", SP_RIGHT_FORWARD },
		{ "download", SP_RIGHT_DOWNLOAD },
		{ "print", SP_RIGHT_PRINT },
	};
	uint32_t r = 0;
	size_t i, n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].w) == n &&
			    strncmp(s, words[i].w, n) == 0)
				r |= words[i].bit;
		s += n;
		s += strspn(s, ",");
	}
	return r;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	} else {
		*len = (size_t)n;
	}
	if (fp != NULL)
		fclose(fp);
	return buf;
}

static int
seal(const struct sp_config *cfg, struct sp_msg_meta *m, const char *file)
{
	struct sp_keyring *kr = NULL;
	struct sp_store *st = NULL;
	struct sp_error err;
	char kid[SP_KEYID_MAX], *buf;
	size_t len = 0;
	int rc;

	buf = slurp(file, &len);
	if (buf == NULL) {
		fprintf(stderr, "seal_fixture: cannot read %s\n", file);
		return 1;
	}
	if (sp_keyring_load(cfg->keys_dir, false, &kr, &err) != SP_OK &&
	    sp_keys_generate(cfg->keys_dir, NULL, kid, sizeof(kid), &err) !=
	        SP_OK)
		goto fail;
	if ((kr == NULL &&
	        sp_keyring_load(cfg->keys_dir, false, &kr, &err) != SP_OK) ||
	    sp_store_open_config(cfg, false, &st, &err) != SP_OK ||
	    sp_msg_seal_buffer(st, kr, m, buf, len, &err) != SP_OK)
		goto fail;
	printf("%s %s\n", m->id, m->ref);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "seal_fixture: %s\n", err.msg);
	rc = 1;
out:
	sp_store_close(st);
	sp_keyring_free(kr);
	free(buf);
	return rc;
}

static int
print_event(void *ctx, const struct sp_audit_event *ev)
{
	(void)ctx;
	printf("%s %s %s\n", ev->event, ev->actor, ev->detail);
	return 0;
}

static int
audit(const struct sp_config *cfg, const char *id)
{
	struct sp_store *st = NULL;
	struct sp_error err;
	int rc = 0;

	if (sp_store_open_config(cfg, true, &st, &err) != SP_OK ||
	    sp_store_audit_list(st, id, print_event, NULL, &err) != SP_OK) {
		fprintf(stderr, "seal_fixture: %s\n", err.msg);
		rc = 1;
	}
	sp_store_close(st);
	return rc;
}

struct opts {
	const char *conf;
	const char *audit_id;
};

/* Fills m and o from the command line; false on a usage error. */
static bool
parse_args(int argc, char **argv, struct sp_msg_meta *m, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "a:c:f:t:r:e:R")) != -1) {
		if (c == 'a')
			o->audit_id = optarg;
		else if (c == 'c')
			o->conf = optarg;
		else if (c == 'f')
			m->sender = optarg;
		else if (c == 't' && m->nrcpt < MAX_RCPT)
			m->rcpts[m->nrcpt++] = optarg;
		else if (c == 'r')
			m->rights = parse_rights(optarg);
		else if (c == 'e')
			m->expires = m->created + strtol(optarg, NULL, 10);
		else if (c == 'R')
			m->state = SP_MSG_REVOKED;
		else if (c != 't')
			return false;
	}
	if (m->state == SP_MSG_REVOKED)
		m->revoked = m->created;
	if (o->conf != NULL && o->audit_id != NULL)
		return true;
	return o->conf != NULL && m->sender != NULL && m->nrcpt > 0 &&
	    optind < argc;
}

int
main(int argc, char **argv)
{
	struct sp_config *cfg = NULL;
	struct opts o = { NULL, NULL };
	struct sp_msg_meta m;
	struct sp_diag diag;
	char *rcpts[MAX_RCPT];
	int rc;

	memset(&m, 0, sizeof(m));
	m.rcpts = rcpts;
	m.rights = parse_rights("read,reply,replyall,forward,download,print");
	m.created = (int64_t)time(NULL);
	if (!parse_args(argc, argv, &m, &o)) {
		fprintf(stderr,
		    "usage: seal_fixture -c CONF -f FROM -t TO... "
		    "[-r RIGHTS] [-e SECS] [-R] FILE\n"
		    "       seal_fixture -c CONF -a ID\n");
		return 2;
	}
	sp_diag_init(&diag);
	if (sp_config_load(o.conf, &cfg, &diag) != SP_OK) {
		sp_diag_print(&diag, stderr);
		sp_diag_cleanup(&diag);
		return 1;
	}
	sp_diag_cleanup(&diag);
	if (o.audit_id != NULL) {
		rc = audit(cfg, o.audit_id);
	} else {
		sp_id_new(m.id);
		sp_ref_new(m.ref);
		snprintf(
		    m.template_name, sizeof(m.template_name), "encrypt-only");
		snprintf(m.rule, sizeof(m.rule), "fixture");
		rc = seal(cfg, &m, argv[optind]);
	}
	sp_config_free(cfg);
	return rc;
}
