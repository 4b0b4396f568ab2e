/* SPDX-License-Identifier: MIT */
/*
 * ctl_msg: the read side of the lifecycle commands: list and show.
 * (stats is in ctl_stats.c, revoke, expire and purge in ctl_purge.c.)
 *
 * list reads every message's metadata in one pass, keeps those that pass
 * the filters, sorts them by creation time and prints a table, or JSON
 * with --json.  show prints one message's metadata and its audit trail.
 * Neither opens a chunk: no content is ever printed.  Untrusted text
 * (addresses, names that came from mail) is made printable in tables and
 * escaped in JSON.
 */
#include "ctl_msg.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl_msg_util.h"
#include "sp_json.h"
#include "sp_revoked.h"
#include "sp_rules.h"
#include "sp_time.h"

struct list_filter {
	const char *sender; /* "" matches the null sender */
	const char *rcpt;
	int64_t since, until;
	bool has_since, has_until; /* 1970-01-01 is a bound too */
	const char *state;
	int64_t now;
};

struct list_rows {
	const struct list_filter *f;
	struct sp_msg_meta *rows;
	size_t n, cap;
	int status;
};

static const char *const list_states[] = { "active", "revoked", "expired",
	"purged" };

static bool
list_match(const struct list_filter *f, const struct sp_msg_meta *m)
{
	size_t i;
	bool hit;

	if (f->sender && strcasecmp(f->sender, m->sender ? m->sender : ""))
		return false;
	if (f->has_since && m->created < f->since)
		return false;
	if (f->has_until && m->created > f->until)
		return false;
	if (f->state && strcmp(f->state, ctl_state_name(m, f->now)) != 0)
		return false;
	if (f->rcpt == NULL)
		return true;
	for (i = 0, hit = false; i < m->nrcpt && !hit; i++)
		hit = strcasecmp(f->rcpt, m->rcpts[i]) == 0;
	return hit;
}

/* A deep copy of what list prints; fields that list never shows (the
 * seal header, the parent) are left out. */
static int
list_copy(struct sp_msg_meta *d, const struct sp_msg_meta *m)
{
	size_t i;

	*d = *m;
	d->sender = strdup(m->sender ? m->sender : "");
	d->rcpts = calloc(m->nrcpt ? m->nrcpt : 1, sizeof(char *));
	d->parent = NULL;
	d->revoked_rcpts = m->revoked_rcpts ? strdup(m->revoked_rcpts) : NULL;
	d->nrcpt = 0;
	if (d->sender == NULL || d->rcpts == NULL ||
	    (m->revoked_rcpts != NULL && d->revoked_rcpts == NULL))
		return SP_ENOMEM;
	for (i = 0; i < m->nrcpt; i++) {
		if ((d->rcpts[i] = strdup(m->rcpts[i])) == NULL)
			return SP_ENOMEM;
		d->nrcpt++;
	}
	return SP_OK;
}

static int
list_collect(void *ctx, const struct sp_msg_meta *m)
{
	struct list_rows *r = ctx;
	struct sp_msg_meta *nr;
	size_t ncap;

	if (!list_match(r->f, m))
		return 0;
	if (r->n == r->cap) {
		ncap = r->cap ? r->cap * 2 : 64;
		nr = realloc(r->rows, ncap * sizeof(*nr));
		if (nr == NULL)
			return r->status = SP_ENOMEM;
		r->rows = nr;
		r->cap = ncap;
	}
	memset(&r->rows[r->n], 0, sizeof(r->rows[r->n]));
	r->status = list_copy(&r->rows[r->n], m);
	r->n++;
	return r->status;
}

static int
list_cmp(const void *a, const void *b)
{
	const struct sp_msg_meta *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

static const char *
list_time(int64_t t, char *buf, size_t cap)
{
	char iso[SP_TIME_STR_MAX];

	if (t == 0)
		return "never";
	/* "2026-12-31T08:00:00Z" shown as "2026-12-31 08:00" */
	sp_time_format(t, iso);
	snprintf(buf, cap, "%.10s %.5s", iso, iso + 11);
	return buf;
}

static void
list_print_table(const struct sp_msg_meta *rows, size_t n, int64_t now)
{
	char c[20], e[20], snd[33], tpl[21];
	size_t i;

	printf("%-22s %-16s %-16s %-32s %5s %-20s %10s %s\n", "ID", "CREATED",
	    "EXPIRES", "SENDER", "RCPTS", "TEMPLATE", "SIZE", "STATE");
	for (i = 0; i < n; i++) {
		const struct sp_msg_meta *m = &rows[i];

		printf("%-22s %-16s %-16s %-32s %5zu %-20s %10" PRIu64 " %s\n",
		    m->id, list_time(m->created, c, sizeof(c)),
		    list_time(m->expires, e, sizeof(e)),
		    m->sender[0] ? ctl_clean(snd, sizeof(snd), m->sender)
		                 : "<>",
		    m->nrcpt, ctl_clean(tpl, sizeof(tpl), m->template_name),
		    m->size, ctl_state_name(m, now));
	}
}

/* Writes the metadata members shared by list --json and show --json. */
static void
json_meta(struct sp_json *j, const struct sp_msg_meta *m, int64_t now)
{
	size_t i;

	sp_json_key(j, "id");
	sp_json_str(j, m->id);
	sp_json_key(j, "ref");
	sp_json_str(j, m->ref);
	sp_json_key(j, "state");
	sp_json_str(j, ctl_state_name(m, now));
	sp_json_key(j, "created");
	sp_json_int(j, m->created);
	sp_json_key(j, "expires");
	sp_json_int(j, m->expires);
	sp_json_key(j, "revoked");
	sp_json_int(j, m->revoked);
	sp_json_key(j, "purged");
	sp_json_int(j, m->purged);
	sp_json_key(j, "sender");
	sp_json_str(j, m->sender ? m->sender : "");
	sp_json_key(j, "rcpt_count");
	sp_json_uint(j, m->nrcpt);
	sp_json_key(j, "rcpts");
	sp_json_arr_begin(j);
	for (i = 0; i < m->nrcpt; i++)
		sp_json_str(j, m->rcpts[i]);
	sp_json_arr_end(j);
	sp_json_key(j, "revoked_rcpts");
	sp_json_arr_begin(j);
	for (i = 0; i < m->nrcpt; i++)
		if (sp_revoked_has(m, m->rcpts[i]))
			sp_json_str(j, m->rcpts[i]);
	sp_json_arr_end(j);
	sp_json_key(j, "template");
	sp_json_str(j, m->template_name);
	sp_json_key(j, "rule");
	sp_json_str(j, m->rule);
	sp_json_key(j, "size");
	sp_json_uint(j, m->size);
	sp_json_key(j, "sealed_bytes");
	sp_json_uint(j, ctl_sealed_bytes(m));
}

/* One JSON value per call, flushed to stdout. */
static int
json_flush(struct sp_json *j, const char *sep)
{
	struct sp_error err;
	const char *text;
	size_t len;

	if (sp_json_finish(j, &text, &len, &err) != SP_OK) {
		ctl_warn("%s", err.msg);
		return CTL_FAIL;
	}
	fputs(sep, stdout);
	fwrite(text, 1, len, stdout);
	sp_json_reset(j);
	return CTL_OK;
}

static int
list_print_json(const struct sp_msg_meta *rows, size_t n, int64_t now)
{
	struct sp_json j;
	size_t i;
	int rc = CTL_OK;

	sp_json_init(&j, 0);
	fputs("[", stdout);
	for (i = 0; i < n && rc == CTL_OK; i++) {
		sp_json_obj_begin(&j);
		json_meta(&j, &rows[i], now);
		sp_json_obj_end(&j);
		rc = json_flush(&j, i ? ",\n" : "\n");
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
	sp_json_cleanup(&j);
	return rc;
}

/* Parses the list options into f; returns -1 to go on, else an exit
 * status. */
static int
list_options(int argc, char **argv, struct list_filter *f, bool *json)
{
	static const struct option opts[] = {
		{ "sender", required_argument, NULL, 'S' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "state", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_error err;
	size_t i;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'S')
			f->sender = strcmp(optarg, "<>") ? optarg : "";
		else if (c == 'r')
			f->rcpt = optarg;
		else if (c == 'j')
			*json = true;
		else if (c == 't')
			f->state = optarg;
		else if (c != 's' && c != 'u')
			return ctl_usage(argv[0]);
		else if (sp_time_parse(optarg, f->now,
		             c == 's' ? &f->since : &f->until, &err) != SP_OK) {
			ctl_warn(
			    "--%s: %s", c == 's' ? "since" : "until", err.msg);
			return CTL_USAGE;
		} else
			*(c == 's' ? &f->has_since : &f->has_until) = true;
	}
	for (i = 0; f->state && i < 4; i++)
		if (strcmp(f->state, list_states[i]) == 0)
			break;
	if (f->state && i == 4) {
		ctl_warn("--state: bad state \"%.32s\": want active, revoked, "
		         "expired or purged",
		    f->state);
		return CTL_USAGE;
	}
	if (optind != argc) {
		ctl_warn("list: unexpected argument \"%.64s\"", argv[optind]);
		return CTL_USAGE;
	}
	return -1;
}

/* Frees what list_copy allocated (not sp_msg_meta_cleanup: these copies
 * are ours, not the store's). */
static void
list_rows_cleanup(struct list_rows *r)
{
	size_t i, k;

	for (i = 0; i < r->n; i++) {
		for (k = 0; k < r->rows[i].nrcpt; k++)
			free(r->rows[i].rcpts[k]);
		free(r->rows[i].rcpts);
		free(r->rows[i].sender);
		free(r->rows[i].revoked_rcpts);
	}
	free(r->rows);
}

int
ctl_msg_list(struct ctl *ctl, int argc, char **argv)
{
	struct list_filter f = { .now = ctl_now() };
	struct list_rows r = { .f = &f };
	struct sp_store *s = NULL;
	struct sp_error err;
	bool json = false;
	int rc;

	if ((rc = list_options(argc, argv, &f, &json)) >= 0)
		return rc;
	rc = CTL_FAIL;
	if ((s = ctl_store_open(ctl->cfg, false)) == NULL)
		goto out;
	sp_error_clear(&err);
	if (sp_store_msg_list(s, list_collect, &r, &err) != SP_OK ||
	    r.status != SP_OK) {
		ctl_warn("list: %s",
		    r.status != SP_OK ? sp_strerror(r.status) : err.msg);
		goto out;
	}
	if (r.n > 1)
		qsort(r.rows, r.n, sizeof(*r.rows), list_cmp);
	if (json)
		rc = list_print_json(r.rows, r.n, f.now);
	else {
		list_print_table(r.rows, r.n, f.now);
		rc = CTL_OK;
	}
out:
	list_rows_cleanup(&r);
	if (s != NULL)
		sp_store_close(s);
	return rc;
}

/* show ----------------------------------------------------------------- */

static const struct {
	uint32_t bit;
	const char *name;
} show_rights[] = {
	{ SP_RIGHT_READ, "read" },
	{ SP_RIGHT_REPLY, "reply" },
	{ SP_RIGHT_REPLY_ALL, "reply-all" },
	{ SP_RIGHT_FORWARD, "forward" },
	{ SP_RIGHT_DOWNLOAD, "download" },
	{ SP_RIGHT_PRINT, "print" },
};

static void
show_rights_text(uint32_t rights, char *buf, size_t cap)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(show_rights) / sizeof(show_rights[0]); i++) {
		if (!(rights & show_rights[i].bit) || len >= cap)
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
		    len ? " " : "", show_rights[i].name);
	}
	if (buf[0] == '\0')
		snprintf(buf, cap, "none");
}

struct show_audit {
	struct sp_json *j; /* NULL: text */
	size_t n;
};

static int
show_audit_event(void *ctx, const struct sp_audit_event *ev)
{
	struct show_audit *a = ctx;
	char when[SP_TIME_STR_MAX], e[64], actor[128], detail[128];

	a->n++;
	if (a->j == NULL) {
		printf("  %s  %-14s %-30s %s\n", sp_time_format(ev->when, when),
		    ctl_clean(e, sizeof(e), ev->event),
		    ctl_clean(actor, sizeof(actor), ev->actor),
		    ctl_clean(detail, sizeof(detail), ev->detail));
		return 0;
	}
	sp_json_obj_begin(a->j);
	sp_json_key(a->j, "when");
	sp_json_int(a->j, ev->when);
	sp_json_key(a->j, "event");
	sp_json_str(a->j, ev->event);
	sp_json_key(a->j, "actor");
	sp_json_str(a->j, ev->actor);
	sp_json_key(a->j, "detail");
	sp_json_str(a->j, ev->detail);
	sp_json_obj_end(a->j);
	return 0;
}

static void
show_text(const struct sp_msg_meta *m, int64_t now)
{
	char t[SP_TIME_STR_MAX], buf[512];
	size_t i;

	printf("id:         %s\n", m->id);
	printf("reference:  %s\n", ctl_clean(buf, sizeof(buf), m->ref));
	printf("state:      %s\n", ctl_state_name(m, now));
	printf("created:    %s\n", sp_time_format(m->created, t));
	printf("expires:    %s\n",
	    m->expires ? sp_time_format(m->expires, t) : "never");
	if (m->revoked)
		printf("revoked:    %s\n", sp_time_format(m->revoked, t));
	if (m->purged)
		printf("purged:     %s\n", sp_time_format(m->purged, t));
	printf("sender:     %s\n",
	    m->sender && m->sender[0] ? ctl_clean(buf, sizeof(buf), m->sender)
	                              : "<>");
	for (i = 0; i < m->nrcpt; i++)
		printf("recipient:  %s%s\n",
		    ctl_clean(buf, sizeof(buf), m->rcpts[i]),
		    sp_revoked_has(m, m->rcpts[i]) ? " (revoked)" : "");
	printf(
	    "template:   %s\n", ctl_clean(buf, sizeof(buf), m->template_name));
	show_rights_text(m->rights, buf, sizeof(buf));
	printf("rights:     %s\n", buf);
	printf("rule:       %s\n",
	    m->rule[0] ? ctl_clean(buf, sizeof(buf), m->rule) : "-");
	printf("key id:     %s\n", ctl_clean(buf, sizeof(buf), m->key_id));
	printf("size:       %" PRIu64 " bytes in %" PRIu32 " chunks\n", m->size,
	    m->nchunks);
	if (m->parent != NULL && m->parent[0] != '\0')
		printf(
		    "reply to:   %s\n", ctl_clean(buf, sizeof(buf), m->parent));
	printf("audit trail:\n");
}

static int
show_json_head(struct sp_json *j, const struct sp_msg_meta *m, int64_t now)
{
	char rights[128];

	sp_json_obj_begin(j);
	json_meta(j, m, now);
	show_rights_text(m->rights, rights, sizeof(rights));
	sp_json_key(j, "rights");
	sp_json_str(j, rights);
	sp_json_key(j, "key_id");
	sp_json_str(j, m->key_id);
	sp_json_key(j, "chunks");
	sp_json_uint(j, m->nchunks);
	sp_json_key(j, "parent");
	sp_json_str(j, m->parent && m->parent[0] ? m->parent : NULL);
	sp_json_key(j, "audit");
	return sp_json_arr_begin(j);
}

/* Parses "[--json] [--] ID"; returns -1 to go on, else an exit status.
 * Not getopt: a message id may begin with '-', and getopt would take
 * it for an option. */
static int
show_options(int argc, char **argv, bool *json, const char **id)
{
	bool opts_done = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--json") == 0)
			*json = true;
		else if (!opts_done && strcmp(argv[i], "--") == 0)
			opts_done = true;
		else if (*id == NULL &&
		    (opts_done || argv[i][0] != '-' || sp_id_valid(argv[i])))
			*id = argv[i];
		else
			return ctl_usage(argv[0]);
	}
	if (*id == NULL)
		return ctl_usage(argv[0]);
	return -1;
}

int
ctl_msg_show(struct ctl *ctl, int argc, char **argv)
{
	struct sp_msg_meta m;
	struct sp_json j;
	struct show_audit a = { NULL, 0 };
	struct sp_store *s = NULL;
	struct sp_error err;
	const char *id = NULL;
	bool json = false;
	int rc;

	if ((rc = show_options(argc, argv, &json, &id)) >= 0)
		return rc;
	if (!ctl_id_ok("show", id))
		return CTL_FAIL;
	rc = CTL_FAIL;
	memset(&m, 0, sizeof(m));
	sp_json_init(&j, 0);
	if ((s = ctl_store_open(ctl->cfg, false)) == NULL)
		goto out;
	sp_error_clear(&err);
	if (sp_store_msg_get(s, id, &m, &err) != SP_OK) {
		ctl_warn("show %s: %s", id,
		    err.code == SP_ENOTFOUND ? "no such message" : err.msg);
		goto out;
	}
	if (json) {
		a.j = &j;
		show_json_head(&j, &m, ctl_now());
	} else
		show_text(&m, ctl_now());
	if (sp_store_audit_list(s, m.id, show_audit_event, &a, &err) != SP_OK) {
		ctl_warn("show %s: audit: %s", m.id, err.msg);
		goto out;
	}
	if (!json && a.n == 0)
		printf("  (none)\n");
	rc = CTL_OK;
	if (json) {
		sp_json_arr_end(&j);
		sp_json_obj_end(&j);
		rc = json_flush(&j, "");
		fputs("\n", stdout);
	}
out:
	sp_json_cleanup(&j);
	sp_msg_meta_cleanup(&m);
	if (s != NULL)
		sp_store_close(s);
	return rc;
}
