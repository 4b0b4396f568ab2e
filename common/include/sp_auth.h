/* SPDX-License-Identifier: MIT */
/*
 * sp_auth: portal sign-in by one-time passcode, and sessions.
 *
 * A struct sp_auth holds a server secret (32 bytes in sodium_malloc
 * memory, read from keys_dir/portal.secret) and works on the store's kv
 * tables.  sealpostctl keygen makes the secret, owned like the .sk files
 * (mode 0600, or 0640 and keys_group); it is read with the checks made on
 * a .sk (sp_keys_secret_read: no link, no FIFO, owner, mode).  When it is
 * missing and the portal may write keys_dir, the portal makes it (0600).  The
 * store never sees a secret: keys and stored values are keyed hashes
 * (crypto_generichash with the server secret).
 *
 * Passcodes: 8 digits from randombytes_uniform, one live code per
 * (message, recipient); a new one replaces the old.  A code is valid for
 * passcode_ttl seconds and once only.  Wrong tries are counted per
 * (message, recipient) in a record that a resend does not reset; after
 * passcode_max_tries wrong tries every code is refused until that record
 * expires (one hour after the first wrong try) or a sign-in succeeds.
 * At most passcode_max_per_hour codes go to one recipient in an hour
 * (a fixed window from the first code).
 *
 * Sessions: the id is 32 random bytes, shown to the browser as 43
 * base64url characters; the store keeps its keyed hash only.  A session
 * ends after session_idle seconds without use or session_max seconds
 * after sign-in, whichever is first.  The CSRF token of a session is a
 * keyed hash of its id, compared in constant time.
 *
 * Recipient addresses are compared case-insensitively (ASCII).
 */
#ifndef SP_AUTH_H
#define SP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"
#include "sp_seal.h"
#include "sp_store.h"

#define SP_PASSCODE_LEN      8  /* digits */
#define SP_SESSION_ID_LEN    43 /* base64url of 32 bytes, no padding */
#define SP_CSRF_LEN          43
#define SP_AUTH_ADDR_MAX     320 /* longest recipient address kept */
#define SP_AUTH_SECRET       "portal.secret"
#define SP_AUTH_SECRET_BYTES 32 /* size of that file */
/* The id under which a sender signs in to see the messages they sent:
 * passcodes, tries and the session are keyed by (SP_AUTH_SENDER_SCOPE,
 * sender address).  It can never be a message id (those are SP_ID_LEN
 * base64url characters), so a sender session opens no message, and a
 * recipient session is never a sender's. */
#define SP_AUTH_SENDER_SCOPE "sent"

struct sp_auth_limits {
	int64_t passcode_ttl;
	uint32_t passcode_max_tries;
	uint32_t passcode_max_per_hour;
	int64_t session_idle;
	int64_t session_max;
};

struct sp_auth;

/* Loads (or creates) keys_dir/portal.secret and binds to store, which the
 * caller keeps open for the life of the sp_auth.  A secret file readable
 * by others, or by its group, is refused with SP_EPERM. */
int sp_auth_new(struct sp_auth **out, struct sp_store *store,
    const char *keys_dir, const struct sp_auth_limits *lim,
    struct sp_error *err) SP_MUST_CHECK;
/* The same, allowing a secret readable by group (keys_group; NULL: none),
 * as sp_keyring_load_group does for .sk files. */
int sp_auth_new_group(struct sp_auth **out, struct sp_store *store,
    const char *keys_dir, const char *group, const struct sp_auth_limits *lim,
    struct sp_error *err) SP_MUST_CHECK;
void sp_auth_free(struct sp_auth *a);

/* Issues a new code for (id, rcpt) into code (SP_PASSCODE_LEN digits and
 * a NUL), replacing any earlier one.  SP_ELIMIT: the recipient had too
 * many codes this hour (code is then left empty). */
int sp_passcode_issue(struct sp_auth *a, const char *id, const char *rcpt,
    int64_t now, char code[SP_PASSCODE_LEN + 1],
    struct sp_error *err) SP_MUST_CHECK;
/* Checks a code typed by the user.  SP_OK: right, and the code is used
 * up.  SP_EAUTH: wrong (a try is counted), or no live code.  SP_ELIMIT:
 * too many wrong tries; nothing is compared. */
int sp_passcode_check(struct sp_auth *a, const char *id, const char *rcpt,
    const char *code, size_t code_len, int64_t now,
    struct sp_error *err) SP_MUST_CHECK;

struct sp_session {
	char id[SP_ID_LEN + 1];          /* the message it may read */
	char rcpt[SP_AUTH_ADDR_MAX + 1]; /* who signed in */
	int64_t created;
	int64_t last_used;
};

/* Starts a session for (id, rcpt); cookie gets its id (a fresh one each
 * time). */
int sp_session_create(struct sp_auth *a, const char *id, const char *rcpt,
    int64_t now, char cookie[SP_SESSION_ID_LEN + 1],
    struct sp_error *err) SP_MUST_CHECK;
/* Looks a cookie value up and marks the session used at now.  The mark
 * is written at most once a minute (a lookup within 60 s of the recorded
 * use only reads), so a session may end up to a minute before
 * session_idle has passed since its real last use; out->last_used is the
 * recorded use.
 * SP_ENOTFOUND: no such session, malformed, idle or too old. */
int sp_session_lookup(struct sp_auth *a, const char *cookie, int64_t now,
    struct sp_session *out, struct sp_error *err) SP_MUST_CHECK;
/* Ends a session (logout).  An unknown cookie is not an error. */
int sp_session_destroy(
    struct sp_auth *a, const char *cookie, struct sp_error *err);
/* The CSRF token of the session whose cookie is given. */
void sp_session_csrf(
    struct sp_auth *a, const char *cookie, char token[SP_CSRF_LEN + 1]);
/* Constant-time check of a token sent with a form. */
bool sp_session_csrf_ok(
    struct sp_auth *a, const char *cookie, const char *token, size_t token_len);

#endif
