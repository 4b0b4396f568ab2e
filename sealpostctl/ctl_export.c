/* SPDX-License-Identifier: MIT */
/*
 * ctl_export: "sealpostctl export ID [-o FILE]", the original bytes of a
 * sealed message, for eDiscovery and journaling.
 *
 * Needs the secret keys (the .sk files in keys_dir) and read access to the
 * store. Every chunk is authenticated before its bytes are written.  With -o
 * the output goes to FILE.tmp and is renamed to FILE only once the whole
 * message opened (FINAL seen), so FILE is never a truncated message.
 * Without -o it goes to stdout as it is opened; a truncated or tampered
 * record then ends the output early with exit status 1 and a message on
 * stderr.  Each export is recorded in the audit trail.
 *
 * Exit status: CTL_OK, CTL_FAIL (message on stderr), CTL_USAGE.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "sp_keys.h"
#include "sp_seal.h"
#include "sp_store.h"

struct export_ctx {
	struct sp_opener *op;
	FILE *out;
	unsigned char *buf; /* SP_SEAL_CHUNK bytes */
	bool final;
	struct sp_error err;
};

static int
export_chunk(void *arg, uint32_t seq, const unsigned char *c, size_t len)
{
	struct export_ctx *x = arg;
	size_t n;
	int rc;

	rc = sp_opener_pull(x->op, seq, c, len, x->buf, &n, &x->final, &x->err);
	if (rc != SP_OK)
		return rc;
	if (n > 0 && fwrite(x->buf, 1, n, x->out) != n)
		return sp_error_set(&x->err, SP_EIO, "write failed");
	return SP_OK;
}

static void
audit_export(struct sp_store *s, const char *id)
{
	struct sp_audit_event ev;
	struct passwd *pw = getpwuid(getuid());
	struct sp_error err;

	memset(&ev, 0, sizeof(ev));
	ev.when = (int64_t)time(NULL);
	snprintf(ev.id, sizeof(ev.id), "%s", id);
	snprintf(ev.event, sizeof(ev.event), "export");
	snprintf(
	    ev.actor, sizeof(ev.actor), "admin:%s", pw ? pw->pw_name : "?");
	if (sp_store_audit_add(s, &ev, &err) != SP_OK)
		fprintf(stderr, "sealpostctl: export: audit: %s\n", err.msg);
}

static int
open_and_write(struct sp_store *s, const struct sp_keyring *kr,
    const struct sp_msg_meta *m, struct export_ctx *x)
{
	int rc;

	rc =
	    sp_opener_new(&x->op, kr, m->id, m->header, m->header_len, &x->err);
	if (rc != SP_OK)
		return rc;
	rc = sp_store_chunks_read(
	    s, m->id, m->nchunks, export_chunk, x, &x->err);
	if (rc == SP_OK)
		rc = sp_opener_end(x->op, &x->err);
	if (rc == SP_OK && fflush(x->out) != 0)
		rc = sp_error_set(&x->err, SP_EIO, "write failed");
	sp_opener_free(x->op);
	return rc;
}

static int
export_one(const struct sp_config *cfg, const char *id, const char *file)
{
	struct export_ctx x = { .out = stdout };
	struct sp_store *s = NULL;
	struct sp_keyring *kr = NULL;
	struct sp_msg_meta m;
	char tmp[4096];
	int rc;

	memset(&m, 0, sizeof(m));
	sp_error_clear(&x.err);
	if ((rc = sp_keyring_load_group(
	         cfg->keys_dir, true, cfg->keys_group, &kr, &x.err)) != SP_OK ||
	    (rc = sp_store_open_config(cfg, false, &s, &x.err)) != SP_OK ||
	    (rc = sp_store_msg_get(s, id, &m, &x.err)) != SP_OK)
		goto out;
	if (m.state == SP_MSG_PURGED) {
		rc = sp_error_set(&x.err, SP_EEXPIRED, "%s was purged", id);
		goto out;
	}
	x.buf = malloc(SP_SEAL_CHUNK);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file ? file : "");
	if (x.buf == NULL ||
	    (file != NULL && (x.out = fopen(tmp, "wb")) == NULL)) {
		rc = sp_error_set(&x.err, SP_EIO, "cannot write %s", tmp);
		goto out;
	}
	rc = open_and_write(s, kr, &m, &x);
	if (file != NULL && fclose(x.out) != 0 && rc == SP_OK)
		rc = sp_error_set(&x.err, SP_EIO, "cannot write %s", tmp);
	if (file != NULL && rc == SP_OK && rename(tmp, file) != 0)
		rc = sp_error_set(&x.err, SP_EIO, "cannot rename to %s", file);
	if (file != NULL && rc != SP_OK)
		unlink(tmp);
	if (rc == SP_OK)
		audit_export(s, id);
out:
	if (rc != SP_OK)
		fprintf(stderr, "sealpostctl: export %s: %s\n", id, x.err.msg);
	free(x.buf);
	sp_msg_meta_cleanup(&m);
	sp_store_close(s);
	sp_keyring_free(kr);
	return rc == SP_OK ? 0 : 1;
}

int
ctl_export(struct ctl *ctl, int argc, char **argv)
{
	const char *file = NULL, *id = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (id == NULL && strcmp(argv[i], "-o") != 0)
			id = argv[i]; /* an id may start with '-' */
		else
			id = NULL, i = argc;
	}
	if (id == NULL || !sp_id_valid(id))
		return ctl_usage(argv[0]);
	return export_one(ctl->cfg, id, file) == 0 ? CTL_OK : CTL_FAIL;
}
