/* SPDX-License-Identifier: MIT */
/*
 * ctl_stats: "sealpostctl stats": messages by state, sealed bytes still
 * held, messages per template and audit events by kind, from one pass
 * over the metadata and one over the audit trail.  Table or --json.
 *
 * Sealed bytes are counted from the metadata (record header, plaintext
 * size and one tag per chunk), so a purged message counts zero.
 */
#include "ctl_msg.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_msg_util.h"
#include "sp_json.h"

#define TALLY_MAX 4096 /* distinct names kept; the rest count as "(other)" */

struct tally {
	struct {
		char name[64];
		uint64_t n;
	} * v;
	size_t n, cap;
	uint64_t other;
};

struct stats {
	int64_t now;
	uint64_t by_state[4]; /* active, expired, revoked, purged */
	uint64_t messages, sealed_bytes;
	struct tally templates, events;
	int status;
};

static const char *const stats_states[] = { "active", "expired", "revoked",
	"purged" };

static int
tally_add(struct tally *t, const char *name)
{
	size_t i, ncap;
	void *nv;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0) {
			t->v[i].n++;
			return SP_OK;
		}
	if (t->n == TALLY_MAX) {
		t->other++;
		return SP_OK;
	}
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		if ((nv = realloc(t->v, ncap * sizeof(*t->v))) == NULL)
			return SP_ENOMEM;
		t->v = nv;
		t->cap = ncap;
	}
	snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "%s", name);
	t->v[t->n++].n = 1;
	return SP_OK;
}

static int
stats_msg(void *ctx, const struct sp_msg_meta *m)
{
	struct stats *st = ctx;
	const char *state = ctl_state_name(m, st->now);
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(state, stats_states[i]) == 0)
			st->by_state[i]++;
	st->messages++;
	st->sealed_bytes += ctl_sealed_bytes(m);
	st->status = tally_add(&st->templates, m->template_name);
	return st->status;
}

static int
stats_event(void *ctx, const struct sp_audit_event *ev)
{
	struct stats *st = ctx;

	st->status = tally_add(&st->events, ev->event);
	return st->status;
}

static void
stats_print_tally(const char *title, const struct tally *t)
{
	char name[40];
	size_t i;

	printf("%s:\n", title);
	for (i = 0; i < t->n; i++)
		printf("  %-32s %10" PRIu64 "\n",
		    ctl_clean(name, sizeof(name), t->v[i].name), t->v[i].n);
	if (t->other)
		printf("  %-32s %10" PRIu64 "\n", "(other)", t->other);
	if (t->n == 0)
		printf("  (none)\n");
}

static void
stats_print_text(const struct stats *st)
{
	size_t i;

	printf("messages:     %10" PRIu64 "\n", st->messages);
	for (i = 0; i < 4; i++)
		printf("  %-10s  %10" PRIu64 "\n", stats_states[i],
		    st->by_state[i]);
	printf("sealed bytes: %10" PRIu64 "\n", st->sealed_bytes);
	stats_print_tally("templates", &st->templates);
	stats_print_tally("audit events", &st->events);
}

static void
stats_json_tally(struct sp_json *j, const char *key, const struct tally *t)
{
	size_t i;

	sp_json_key(j, key);
	sp_json_obj_begin(j);
	for (i = 0; i < t->n; i++) {
		sp_json_key(j, t->v[i].name);
		sp_json_uint(j, t->v[i].n);
	}
	if (t->other) {
		sp_json_key(j, "(other)");
		sp_json_uint(j, t->other);
	}
	sp_json_obj_end(j);
}

static int
stats_print_json(const struct stats *st)
{
	struct sp_json j;
	struct sp_error err;
	const char *text;
	size_t i, len;
	int rc = CTL_OK;

	sp_json_init(&j, 0);
	sp_json_obj_begin(&j);
	sp_json_key(&j, "messages");
	sp_json_uint(&j, st->messages);
	sp_json_key(&j, "states");
	sp_json_obj_begin(&j);
	for (i = 0; i < 4; i++) {
		sp_json_key(&j, stats_states[i]);
		sp_json_uint(&j, st->by_state[i]);
	}
	sp_json_obj_end(&j);
	sp_json_key(&j, "sealed_bytes");
	sp_json_uint(&j, st->sealed_bytes);
	stats_json_tally(&j, "templates", &st->templates);
	stats_json_tally(&j, "audit_events", &st->events);
	sp_json_obj_end(&j);
	if (sp_json_finish(&j, &text, &len, &err) == SP_OK)
		printf("%s\n", text);
	else {
		ctl_warn("stats: %s", err.msg);
		rc = CTL_FAIL;
	}
	sp_json_cleanup(&j);
	return rc;
}

static int
stats_options(int argc, char **argv, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'j')
			return ctl_usage(argv[0]);
		*json = true;
	}
	if (optind != argc) {
		return ctl_usage(argv[0]);
	}
	return -1;
}

int
ctl_msg_stats(struct ctl *ctl, int argc, char **argv)
{
	struct stats st;
	struct sp_store *s = NULL;
	struct sp_error err;
	bool json = false;
	int rc;

	if ((rc = stats_options(argc, argv, &json)) >= 0)
		return rc;
	memset(&st, 0, sizeof(st));
	st.now = ctl_now();
	rc = CTL_FAIL;
	if ((s = ctl_store_open(ctl->cfg, false)) == NULL)
		goto out;
	sp_error_clear(&err);
	if (sp_store_msg_list(s, stats_msg, &st, &err) != SP_OK ||
	    st.status != SP_OK ||
	    sp_store_audit_list(s, NULL, stats_event, &st, &err) != SP_OK ||
	    st.status != SP_OK) {
		ctl_warn("stats: %s",
		    st.status != SP_OK ? sp_strerror(st.status) : err.msg);
		goto out;
	}
	if (json)
		rc = stats_print_json(&st);
	else {
		stats_print_text(&st);
		rc = CTL_OK;
	}
out:
	free(st.templates.v);
	free(st.events.v);
	if (s != NULL)
		sp_store_close(s);
	return rc;
}
