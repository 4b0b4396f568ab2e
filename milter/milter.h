/* SPDX-License-Identifier: MIT */
/*
 * milter.h: what the parts of sealpost-milter share.  Internal to milter/.
 *
 * struct milter_conf is one generation of what the milter runs with: the
 * config, the rule set and the public keys.  It is reference counted; a
 * reload builds a new one and swaps the global pointer, and a message in
 * flight keeps the generation it took at MAIL FROM.  The store is opened
 * once (after any fork) and lives as long as the process.
 */
#ifndef SP_MILTER_H
#define SP_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_config.h"
#include "sp_keys.h"
#include "sp_notify.h"
#include "sp_rules.h"
#include "sp_store.h"

/* The total size of the header section kept for deciding and sealing.
 * Larger header sections are not buffered: see milter_callbacks.c. */
#define MILTER_HEADER_MAX (4u * 1024 * 1024)
/* Envelope recipients kept per message; more: tempfail. */
#define MILTER_RCPT_MAX 100000
/* Sealed chunks (64 KiB each) held back per message before they are
 * written to the store together: every durable write costs a disk
 * flush, so a message of up to 1 MiB costs one (with its record) and a
 * larger one one per MILTER_HELD_MAX chunks, for at most 1 MiB of
 * memory per message being sealed. */
#define MILTER_HELD_MAX 16

struct milter_conf {
	struct sp_config *cfg;
	struct sp_ruleset *rules;
	struct sp_keyring *keys; /* NULL: no usable key, sealing tempfails */
	char keys_error[512];    /* why keys is NULL */
	struct sp_notify_templates notify; /* read at load */
	int refs;
};

/* milter_conf.c */
int milter_conf_load(
    const char *path, struct milter_conf **out, struct sp_diag *diag);
/* The current generation, with a reference the caller must drop. */
struct milter_conf *milter_conf_get(void);
void milter_conf_put(struct milter_conf *mc);
/* Makes mc the current generation (takes over the caller's reference). */
void milter_conf_install(struct milter_conf *mc);
/* Reloads from the current config's path; on failure keeps the old
 * generation and logs every reason. */
void milter_conf_reload(void);

/* The store, opened by main after privileges are dropped; NULL when it
 * could not be opened (sealing then tempfails, with a reason). */
extern struct sp_store *milter_store;
extern char milter_store_error[512];
/* Opens the store when it is not open yet; NULL when it cannot be. */
struct sp_store *milter_store_ensure(void);

/* milter_callbacks.c: the filter description for smfi_register. */
struct smfiDesc;
extern struct smfiDesc milter_desc;

/* milter_socket.c */
int milter_socket_open(const struct sp_config *cfg, struct sp_error *err);
int milter_drop_privileges(const char *user, struct sp_error *err);

/* milter_signal.c: blocks the signals in the calling thread (before any
 * thread exists), runs smfi_main in a thread of its own and handles
 * SIGHUP (reload) and SIGTERM/SIGINT (stop) in the calling thread.
 * Returns smfi_main's result. */
int milter_run(void);

#endif
