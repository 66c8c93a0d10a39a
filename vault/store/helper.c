/* Helpers and grants; see helper.h and docs/GRANTS.md. */
#include "store/helper.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/card.h"
#include "store/cred.h"
#include "json_alloc.h"
#include "log.h"
#include "randid.h"
#include "secmem.h"
#include "store/store.h"

#define HELPER_ID_CHARS (HELPER_ID_LEN - (sizeof(HELPER_ID_PREFIX) - 1))
#define HELPER_PHONE_DIGITS_MIN 7
#define HELPER_PHONE_DIGITS_MAX 15     /* E.164 */
#define GRANT_PATH_PREFIX "credentials/"

static const char *const helper_kinds[] = { "setup", "monitor", "outreach", "support",
	"developer" };

/* Columns of every grant query, in the order grant_from_row() reads them. */
#define GRANT_COLS \
	"SELECT accessor, helper_id, issued_by, note, coalesce(revoke_reason, ''), credentials," \
	" cidrs, actions, created_at, expires_at, coalesce(last_used_at, 0)," \
	" coalesce(revoked_at, 0), max_uses, uses FROM grants "

/* The SQL form of "usable now" (?2 = now): what a use needs and what counts it. */
#define GRANT_ACTIVE_SQL \
	"(revoked_at IS NULL AND expires_at > ?2 AND (max_uses = 0 OR uses < max_uses))"

/* ---- statements ----------------------------------------------------------------- */

static int
helper_prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct bos_err *err)
{
	return store_stmt(s, sql, st, err);
}

static int
helper_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Copy a text column into a fixed field; a value that does not fit is damage. */
static int
helper_copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
	return 0;
}

/* End a write this module began: commit on r == 0, else roll back. */
static int
helper_finish(struct store *s, int r, struct bos_err *err)
{
	if (r == 0)
		return store_commit(s, err);
	if (store_rollback(s, NULL) != 0)
		log_err("helpers: rollback failed");
	return -1;
}

/* ---- helpers ------------------------------------------------------------------- */

int
helper_id_valid(const char *s)
{
	return randid_valid(s, HELPER_ID_PREFIX, HELPER_ID_CHARS);
}

/* "hl_" + 26 base32 characters: 130 random bits. */
static int
helper_id_new(char id[HELPER_ID_SIZE], struct bos_err *err)
{
	if (randid_new(HELPER_ID_PREFIX, HELPER_ID_CHARS, id, HELPER_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	return 0;
}

static int
helper_check_name(const char *name, struct bos_err *err)
{
	size_t i, n = name != NULL ? strnlen(name, HELPER_NAME_MAX + 1) : 0;
	char c;

	if (n == 0 || n > HELPER_NAME_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'name' must be 1 to %d characters",
		    HELPER_NAME_MAX);
	for (i = 0; i < n; i++) {
		c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == ' ' || c == '.' || c == '_' || c == '-'))
			return bos_err_set(err, BOS_E_INVALID, "'name' may contain only letters, "
			    "digits, spaces and . _ -");
	}
	if (name[0] == ' ' || name[n - 1] == ' ')
		return bos_err_set(err, BOS_E_INVALID, "'name' must not start or end with a space");
	if (card_text_has_pan(name))
		return bos_err_set(err, BOS_E_INVALID, "'name' must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

/* Loosely an email address: one '@', a local part, a dotted domain, no spaces. */
static int
helper_is_email(const char *s)
{
	const char *at = strchr(s, '@'), *dom, *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = s; p < at; p++)
		if (*p <= ' ' || *p > '~' || strchr("<>()[],;:\"\\", *p) != NULL)
			return 0;
	dom = at + 1;
	if (*dom == '\0' || *dom == '.' || *dom == '-' || strchr(dom, '.') == NULL ||
	    dom[strlen(dom) - 1] == '.')
		return 0;
	for (p = dom; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return 0;
	return strstr(dom, "..") == NULL;
}

/* Loosely a phone number: an optional '+', 7 to 15 digits, common separators. */
static int
helper_is_phone(const char *s)
{
	size_t digits = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (strchr(" -.()", *p) == NULL)
			return 0;
	}
	return digits >= HELPER_PHONE_DIGITS_MIN && digits <= HELPER_PHONE_DIGITS_MAX;
}

static int
helper_check_contact(const char *contact, struct bos_err *err)
{
	size_t n = contact != NULL ? strnlen(contact, HELPER_CONTACT_MAX + 1) : 0;

	if (n == 0)
		return 0;
	if (n > HELPER_CONTACT_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'contact' must be at most %d characters",
		    HELPER_CONTACT_MAX);
	/* Checked first: a card number typed into the wrong field must not be stored. */
	if (card_text_has_pan(contact))
		return bos_err_set(err, BOS_E_INVALID, "'contact' must not contain a card "
		    "number" CARD_TEXT_HINT);
	if (!helper_is_email(contact) && !helper_is_phone(contact))
		return bos_err_set(err, BOS_E_INVALID, "'contact' must be an email address or a "
		    "phone number (7 to 15 digits, optionally with + - . ( ) and spaces)");
	return 0;
}

static int
helper_check_kind(const char *kind, struct bos_err *err)
{
	size_t i;

	for (i = 0; kind != NULL && i < BOS_ARRAY_LEN(helper_kinds); i++)
		if (strcmp(kind, helper_kinds[i]) == 0)
			return 0;
	return bos_err_set(err, BOS_E_INVALID, "'kind' must be one of setup, monitor, outreach, "
	    "support, developer");
}

int
helper_check(const struct helper_new *n, struct bos_err *err)
{
	if (helper_check_name(n->name, err) != 0 || helper_check_contact(n->contact, err) != 0 ||
	    helper_check_kind(n->kind, err) != 0)
		return -1;
	if (n->created_by == NULL || strlen(n->created_by) >= HELPER_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a helper needs the admin who creates it");
	return 0;
}

int
helper_create(struct store *s, const struct helper_new *n, int64_t now,
    char id_out[HELPER_ID_SIZE], struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	char id[HELPER_ID_SIZE];
	int r = -1;

	id_out[0] = '\0';
	if (helper_check(n, err) != 0 || helper_id_new(id, err) != 0 ||
	    helper_prepare(s, "INSERT INTO helpers (id, name, contact, kind, created_by,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err) != 0)
		return -1;
	if (helper_bind_text(st, 1, id) != SQLITE_OK || helper_bind_text(st, 2, n->name) != SQLITE_OK ||
	    helper_bind_text(st, 3, n->contact != NULL ? n->contact : "") != SQLITE_OK ||
	    helper_bind_text(st, 4, n->kind) != SQLITE_OK ||
	    helper_bind_text(st, 5, n->created_by) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a helper", err);
		goto out;
	}
	memcpy(id_out, id, sizeof(id));
	log_info("helper %s created (%s) by admin %s", id, n->kind, n->created_by);
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

#define HELPER_COLS "SELECT id, name, contact, kind, created_by, created_at," \
	" coalesce(revoked_at, 0) FROM helpers "

static int
helper_from_row(sqlite3_stmt *st, struct helper_info *h, struct bos_err *err)
{
	memset(h, 0, sizeof(*h));
	if (helper_copy_col(st, 0, h->id, sizeof(h->id)) != 0 ||
	    helper_copy_col(st, 1, h->name, sizeof(h->name)) != 0 ||
	    helper_copy_col(st, 2, h->contact, sizeof(h->contact)) != 0 ||
	    helper_copy_col(st, 3, h->kind, sizeof(h->kind)) != 0 ||
	    helper_copy_col(st, 4, h->created_by, sizeof(h->created_by)) != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "a helper row is malformed");
	h->created_at = sqlite3_column_int64(st, 5);
	h->revoked_at = sqlite3_column_int64(st, 6);
	return 0;
}

int
helper_get(struct store *s, const char *id, struct helper_info *out, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	memset(out, 0, sizeof(*out));
	/* Echo only a well-formed id: anything else could be whatever was pasted. */
	if (!helper_id_valid(id))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such helper: give its id (hl_...)");
	if (helper_prepare(s, HELPER_COLS "WHERE id = ?1", &st, err) != 0)
		return -1;
	if (helper_bind_text(st, 1, id) != SQLITE_OK) {
		store_err_db(s, "reading a helper", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "no helper with id %s", id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "reading a helper", err);
		goto out;
	}
	r = helper_from_row(st, out, err);
 out:
	store_stmt_done(s, st);
	return r;
}

int
helper_list(struct store *s, int (*cb)(const struct helper_info *, void *), void *arg,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	struct helper_info h;
	int r = -1, rc;

	if (helper_prepare(s, HELPER_COLS "ORDER BY created_at, id", &st, err) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (helper_from_row(st, &h, err) != 0)
			goto out;
		if (cb(&h, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "listing helpers", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

/* Run a constant statement with ?1 = text, ?2 = now, ?3 = text (when it has them). */
static int
helper_exec3(struct store *s, const char *sql, const char *a, int64_t now, const char *c,
    int *changes, const char *what, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int n, r = -1;

	if (helper_prepare(s, sql, &st, err) != 0)
		return -1;
	n = sqlite3_bind_parameter_count(st);
	if (helper_bind_text(st, 1, a) != SQLITE_OK ||
	    (n >= 2 && sqlite3_bind_int64(st, 2, now) != SQLITE_OK) ||
	    (n >= 3 && helper_bind_text(st, 3, c) != SQLITE_OK) || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, what, err);
		goto out;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(store_db(s));
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

/* Inside the transaction, so the grants and the helper end together. */
static int
helper_remove_locked(struct store *s, const char *id, int64_t now, unsigned *n_grants,
    struct bos_err *err)
{
	struct helper_info h;
	int n = 0;

	if (helper_get(s, id, &h, err) != 0)
		return -1;
	if (h.revoked_at != 0)
		return bos_err_set(err, BOS_E_REVOKED, "helper %s was removed already", id);
	if (helper_exec3(s, "UPDATE helpers SET revoked_at = ?2 WHERE id = ?1", id, now, NULL,
	    NULL, "removing a helper", err) != 0 ||
	    helper_exec3(s, "UPDATE grants SET revoked_at = ?2, revoke_reason = ?3"
	    " WHERE helper_id = ?1 AND revoked_at IS NULL", id, now, "helper removed", &n,
	    "revoking a helper's grants", err) != 0)
		return -1;
	*n_grants = (unsigned)n;
	return 0;
}

int
helper_remove(struct store *s, const char *id, int64_t now, unsigned *n_grants,
    struct bos_err *err)
{
	unsigned n = 0;

	*n_grants = 0;
	if (store_begin(s, err) != 0 ||
	    helper_finish(s, helper_remove_locked(s, id, now, &n, err), err) != 0)
		return -1;
	*n_grants = n;
	log_info("helper %s removed; %u grant(s) revoked with it", id, n);
	return 0;
}

/* ---- grant items ---------------------------------------------------------------- */

/* One segment of a pattern: not empty, not "." or "..", "**" only whole and last. */
static int
grant_segment_valid(const char *seg, size_t n, int last)
{
	size_t i;
	char c;

	if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
		return 0;
	for (i = 0; i < n; i++) {
		c = seg[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == ' ' || c == '.' || c == '_' || c == '-' || c == '*'))
			return 0;
		if (c == '*' && i + 1 < n && seg[i + 1] == '*' && !(n == 2 && last))
			return 0;
	}
	return 1;
}

/*
 * A path pattern an admin may write: "credentials/" then segments of the
 * characters credential names and services use, plus '*' (docs/POLICY.md).
 * Checked here so that a typo is a 400 that says what to fix; what the
 * pattern matches is the policy engine's business.
 */
static int
grant_pattern_valid(const char *p)
{
	size_t plen = sizeof(GRANT_PATH_PREFIX) - 1, n = strnlen(p, GRANT_ITEM_MAX + 1);
	const char *seg = p + plen, *slash;

	if (n > GRANT_ITEM_MAX || n <= plen || strncmp(p, GRANT_PATH_PREFIX, plen) != 0)
		return 0;
	for (;;) {
		slash = strchr(seg, '/');
		if (!grant_segment_valid(seg, slash ? (size_t)(slash - seg) : strlen(seg), !slash))
			return 0;
		if (slash == NULL)
			return 1;
		seg = slash + 1;
	}
}

int
grant_cred_path(const struct cred_meta *m, char out[GRANT_ITEM_MAX + 1], struct bos_err *err)
{
	int n = snprintf(out, GRANT_ITEM_MAX + 1, GRANT_PATH_PREFIX "%s/%s", m->service, m->name);

	if (n < 0 || n > GRANT_ITEM_MAX)
		return bos_err_set(err, BOS_E_INVALID, "credential %s has too long a path", m->id);
	return 0;
}

/* An existing, active credential by id or name. */
static int
grant_item_cred(struct cred_ctx *cc, const char *item, struct cred_meta *m, struct bos_err *err)
{
	struct bos_err e;

	bos_err_clear(&e);
	if (cred_get(cc, item, m, &e) != 0) {
		/* Not found is the caller's mistake here, not a missing page: 400. */
		if (e.code == BOS_E_NOTFOUND || e.code == BOS_E_INVALID)
			e.code = BOS_E_INVALID;
		if (err != NULL)
			*err = e;
		return -1;
	}
	if (m->revoked_at != 0) {
		bos_err_set(err, BOS_E_INVALID, "credential %s is revoked and cannot be granted",
		    m->id);
		cred_meta_free(m);
		return -1;
	}
	return 0;
}

int
grant_item_resolve(struct cred_ctx *cc, const char *item, char stored[GRANT_ITEM_MAX + 1],
    char scope[GRANT_ITEM_MAX + 1], struct bos_err *err)
{
	struct cred_meta m;
	int r;

	stored[0] = scope[0] = '\0';
	if (item == NULL || *item == '\0')
		return bos_err_set(err, BOS_E_INVALID, "'credentials' items must be non-empty strings");
	if (strncmp(item, GRANT_PATH_PREFIX, sizeof(GRANT_PATH_PREFIX) - 1) == 0) {
		if (!grant_pattern_valid(item))
			return bos_err_set(err, BOS_E_INVALID, "'credentials' pattern must be "
			    "credentials/ followed by segments of letters, digits, spaces, . _ - "
			    "and *, none empty, at most %d characters", GRANT_ITEM_MAX);
		(void)snprintf(stored, GRANT_ITEM_MAX + 1, "%s", item);
		(void)snprintf(scope, GRANT_ITEM_MAX + 1, "%s", item);
		return 0;
	}
	if (grant_item_cred(cc, item, &m, err) != 0)
		return -1;
	r = grant_cred_path(&m, scope, err);
	/* An id stays an id; a name becomes its concrete path (names are not unique over time). */
	if (r == 0)
		(void)snprintf(stored, GRANT_ITEM_MAX + 1, "%s", credname_id_valid(item) ? m.id : scope);
	cred_meta_free(&m);
	return r;
}

/* ---- grants --------------------------------------------------------------------- */

/* A JSON array of n strings, serialised (jansson's allocator: json_alloc_release). */
static char *
grant_json_strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	char *s = NULL;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0)
			goto out;
	s = json_dumps(a, JSON_COMPACT);
 out:
	json_decref(a);
	return s;
}

static int
grant_check_new(const struct grant_new *g, struct bos_err *err)
{
	struct policy_cidr c;
	size_t i;

	if (g->n_items == 0 || g->n_items > POLICY_GRANT_MAX_ITEMS)
		return bos_err_set(err, BOS_E_INVALID, "'credentials' must list 1 to %d items",
		    POLICY_GRANT_MAX_ITEMS);
	if (g->actions == 0 || (g->actions & ~(unsigned)GRANT_ACTIONS_ALLOWED) != 0)
		return bos_err_set(err, BOS_E_INVALID, "'actions' must be a non-empty subset of "
		    "read, update");
	if (g->n_cidrs > POLICY_GRANT_MAX_CIDRS)
		return bos_err_set(err, BOS_E_INVALID, "'cidrs' may list at most %d networks",
		    POLICY_GRANT_MAX_CIDRS);
	for (i = 0; i < g->n_cidrs; i++)
		if (policy_cidr_parse(g->cidrs[i], &c) != 0)
			return bos_err_set(err, BOS_E_INVALID, "'cidrs' item %zu is not a network "
			    "such as 10.0.0.0/8 or 2001:db8::/32", i + 1);
	if (g->note != NULL && strlen(g->note) > GRANT_NOTE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'note' must be at most %d characters",
		    GRANT_NOTE_MAX);
	if (g->issued_by == NULL || strlen(g->issued_by) >= HELPER_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a grant needs the admin who issues it");
	return 0;
}

/* The helper must exist and not be removed; checked inside the inserting transaction. */
static int
grant_check_helper(struct store *s, const char *helper_id, struct bos_err *err)
{
	struct helper_info h;
	struct bos_err e;

	bos_err_clear(&e);
	if (helper_get(s, helper_id, &h, &e) != 0) {
		if (e.code == BOS_E_NOTFOUND)
			e.code = BOS_E_INVALID;
		if (err != NULL)
			*err = e;
		return -1;
	}
	if (h.revoked_at != 0)
		return bos_err_set(err, BOS_E_INVALID, "helper %s was removed; register it again",
		    helper_id);
	return 0;
}

struct grant_row {
	const struct grant_new *g;
	const char *accessor, *items, *cidrs;
	const uint8_t *hash;
	int64_t now;
};

static int
grant_insert(struct store *s, const struct grant_row *w, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (grant_check_helper(s, w->g->helper_id, err) != 0 ||
	    helper_prepare(s, "INSERT INTO grants (accessor, token_hash, helper_id, credentials,"
	    " actions, cidrs, note, issued_by, created_at, expires_at, max_uses)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &st, err) != 0)
		return -1;
	if (helper_bind_text(st, 1, w->accessor) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, w->hash, TOKEN_HASH_LEN, SQLITE_STATIC) != SQLITE_OK ||
	    helper_bind_text(st, 3, w->g->helper_id) != SQLITE_OK ||
	    helper_bind_text(st, 4, w->items) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, w->g->actions) != SQLITE_OK ||
	    helper_bind_text(st, 6, w->cidrs) != SQLITE_OK ||
	    helper_bind_text(st, 7, w->g->note != NULL ? w->g->note : "") != SQLITE_OK ||
	    helper_bind_text(st, 8, w->g->issued_by) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, w->now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, w->g->expires_at) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 11, w->g->max_uses) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a grant", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

int
grant_create(struct store *s, const struct grant_new *g, int64_t now, char token[TOKEN_SIZE],
    char accessor[TOKEN_ACCESSOR_SIZE], struct bos_err *err)
{
	uint8_t hash[TOKEN_HASH_LEN];
	struct grant_row w = { g, accessor, NULL, NULL, hash, now };
	char *items = NULL, *cidrs = NULL;
	int r = -1;

	token[0] = accessor[0] = '\0';
	if (grant_check_new(g, err) != 0)
		return -1;
	if ((items = grant_json_strings(g->items, g->n_items)) == NULL ||
	    (cidrs = grant_json_strings(g->cidrs, g->n_cidrs)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory storing a grant");
		goto out;
	}
	w.items = items;
	w.cidrs = cidrs;
	if (token_new(TOKEN_HELPER, token, TOKEN_SIZE) != 0 ||
	    token_accessor_new(accessor, TOKEN_ACCESSOR_SIZE) != 0) {
		bos_err_set(err, BOS_E_IO, "the random generator failed");
		goto out;
	}
	token_hash(token, hash);
	if (store_begin(s, err) != 0 || helper_finish(s, grant_insert(s, &w, err), err) != 0)
		goto out;
	log_info("grant %s created for helper %s by admin %s: %zu item(s), actions %u, "
	    "expires at %lld, max uses %u, %zu network(s)", accessor, g->helper_id, g->issued_by,
	    g->n_items, g->actions, (long long)g->expires_at, g->max_uses, g->n_cidrs);
	/* success */
	r = 0;
 out:
	secmem_wipe(hash, sizeof(hash));
	json_alloc_release(items);
	json_alloc_release(cidrs);
	if (r != 0) {
		secmem_wipe(token, TOKEN_SIZE);
		accessor[0] = '\0';
	}
	return r;
}

void
grant_info_free(struct grant_info *g)
{
	if (g == NULL)
		return;
	free(g->items_json);
	free(g->cidrs_json);
	g->items_json = g->cidrs_json = NULL;
}

static int
grant_from_row(sqlite3_stmt *st, struct grant_info *g, struct bos_err *err)
{
	const char *items = (const char *)sqlite3_column_text(st, 5);
	const char *cidrs = (const char *)sqlite3_column_text(st, 6);
	sqlite3_int64 actions = sqlite3_column_int64(st, 7), max = sqlite3_column_int64(st, 12),
	    uses = sqlite3_column_int64(st, 13);

	memset(g, 0, sizeof(*g));
	if (helper_copy_col(st, 0, g->accessor, sizeof(g->accessor)) != 0 ||
	    helper_copy_col(st, 1, g->helper_id, sizeof(g->helper_id)) != 0 ||
	    helper_copy_col(st, 2, g->issued_by, sizeof(g->issued_by)) != 0 ||
	    helper_copy_col(st, 3, g->note, sizeof(g->note)) != 0 ||
	    helper_copy_col(st, 4, g->revoke_reason, sizeof(g->revoke_reason)) != 0 ||
	    items == NULL || cidrs == NULL || actions <= 0 || actions > POLICY_ACTIONS_ALL ||
	    max < 0 || max > UINT32_MAX || uses < 0 || uses > UINT32_MAX)
		return bos_err_set(err, BOS_E_CORRUPT, "a grant row is malformed");
	if ((g->items_json = strdup(items)) == NULL || (g->cidrs_json = strdup(cidrs)) == NULL) {
		grant_info_free(g);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading a grant");
	}
	g->actions = (unsigned)actions;
	g->created_at = sqlite3_column_int64(st, 8);
	g->expires_at = sqlite3_column_int64(st, 9);
	g->last_used_at = sqlite3_column_int64(st, 10);
	g->revoked_at = sqlite3_column_int64(st, 11);
	g->max_uses = (uint32_t)max;
	g->uses = (uint32_t)uses;
	return 0;
}

int
grant_get(struct store *s, const char *accessor, struct grant_info *out, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	memset(out, 0, sizeof(*out));
	if (!token_accessor_valid(accessor))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such grant: give its accessor (acc_...)");
	if (helper_prepare(s, GRANT_COLS "WHERE accessor = ?1", &st, err) != 0)
		return -1;
	if (helper_bind_text(st, 1, accessor) != SQLITE_OK) {
		store_err_db(s, "reading a grant", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "no grant with accessor %s", accessor);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "reading a grant", err);
		goto out;
	}
	r = grant_from_row(st, out, err);
 out:
	store_stmt_done(s, st);
	return r;
}

const char *
grant_state(const struct grant_info *g, int64_t now)
{
	if (g->revoked_at != 0)
		return "revoked";
	if (g->expires_at <= now)
		return "expired";
	if (g->max_uses != 0 && g->uses >= g->max_uses)
		return "exhausted";
	return "active";
}

int
grant_list(struct store *s, const char *helper_id, enum grant_filter f, int64_t now,
    int (*cb)(const struct grant_info *, void *), void *arg, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	struct grant_info g;
	int r = -1, rc, stop;

	memset(&g, 0, sizeof(g));
	if (helper_prepare(s, GRANT_COLS "WHERE (?1 IS NULL OR helper_id = ?1)"
	    " AND (?3 = 0 OR (?3 = 1) = " GRANT_ACTIVE_SQL ")"
	    " ORDER BY created_at DESC, accessor", &st, err) != 0)
		return -1;
	if (helper_bind_text(st, 1, helper_id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, f == GRANT_ACTIVE ? 1 : f == GRANT_ENDED ? 2 : 0) != SQLITE_OK) {
		store_err_db(s, "listing grants", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grant_from_row(st, &g, err) != 0)
			goto out;
		stop = cb(&g, arg);
		grant_info_free(&g);
		if (stop != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "listing grants", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	grant_info_free(&g);
	store_stmt_done(s, st);
	return r;
}

/* Inside a transaction: refuse an unknown or revoked grant, else revoke it. */
static int
grant_revoke_locked(struct store *s, const char *accessor, int64_t now, const char *reason,
    struct bos_err *err)
{
	struct grant_info g;
	int changes = 0;

	if (grant_get(s, accessor, &g, err) != 0)
		return -1;
	grant_info_free(&g);
	if (g.revoked_at != 0)
		return bos_err_set(err, BOS_E_REVOKED, "grant %s was revoked already (%s)", accessor,
		    g.revoke_reason);
	if (helper_exec3(s, "UPDATE grants SET revoked_at = ?2, revoke_reason = ?3"
	    " WHERE accessor = ?1 AND revoked_at IS NULL", accessor, now, reason, &changes,
	    "revoking a grant", err) != 0)
		return -1;
	if (changes != 1)
		return bos_err_set(err, BOS_E_DB, "revoking grant %s changed %d rows", accessor,
		    changes);
	return 0;
}

int
grant_revoke(struct store *s, const char *accessor, int64_t now, const char *reason,
    struct bos_err *err)
{
	if (reason == NULL || *reason == '\0' || strlen(reason) >= GRANT_REASON_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a revocation needs a short reason");
	if (store_begin(s, err) != 0 ||
	    helper_finish(s, grant_revoke_locked(s, accessor, now, reason, err), err) != 0)
		return -1;
	log_info("grant %s revoked: %s", accessor, reason);
	return 0;
}

int
grant_find_token(struct store *s, const char *token, char accessor[TOKEN_ACCESSOR_SIZE],
    char helper_id[HELPER_ID_SIZE], struct bos_err *err)
{
	uint8_t hash[TOKEN_HASH_LEN];
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	accessor[0] = helper_id[0] = '\0';
	if (helper_prepare(s, "SELECT accessor, helper_id FROM grants WHERE token_hash = ?1",
	    &st, err) != 0)
		return -1;
	token_hash(token, hash);
	if (sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT) != SQLITE_OK) {
		store_err_db(s, "looking up a token", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "no grant has this token");
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "looking up a token", err);
		goto out;
	}
	if (helper_copy_col(st, 0, accessor, TOKEN_ACCESSOR_SIZE) != 0 ||
	    helper_copy_col(st, 1, helper_id, HELPER_ID_SIZE) != 0) {
		bos_err_set(err, BOS_E_CORRUPT, "a grant row is malformed");
		goto out;
	}
	/* success */
	r = 0;
 out:
	secmem_wipe(hash, sizeof(hash));
	store_stmt_done(s, st);
	return r;
}

void
grant_idle_reason(uint32_t idle_s, char out[GRANT_REASON_SIZE])
{
	if (idle_s % 86400 == 0)
		(void)snprintf(out, GRANT_REASON_SIZE, "unused for %u days", idle_s / 86400);
	else
		(void)snprintf(out, GRANT_REASON_SIZE, "unused for %u s", idle_s);
}

/* Idle: active, and neither used nor created within the last idle_s seconds. */
static int
grant_is_idle(const struct grant_info *g, int64_t now, uint32_t idle_s)
{
	int64_t last = g->last_used_at != 0 ? g->last_used_at : g->created_at;

	return strcmp(grant_state(g, now), "active") == 0 && now - last > (int64_t)idle_s;
}

struct grant_idle_acc {
	int64_t now;
	uint32_t idle_s;
	char (*acc)[TOKEN_ACCESSOR_SIZE];
	size_t n, cap;
};

static int
grant_idle_cb(const struct grant_info *g, void *arg)
{
	struct grant_idle_acc *a = arg;
	void *p;

	if (!grant_is_idle(g, a->now, a->idle_s))
		return 0;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		if ((p = reallocarray(a->acc, a->cap, sizeof(*a->acc))) == NULL)
			return -1;
		a->acc = p;
	}
	memcpy(a->acc[a->n++], g->accessor, TOKEN_ACCESSOR_SIZE);
	return 0;
}

/* Inside a transaction: collect the idle grants, then revoke each (logged by accessor). */
static int
grant_sweep_locked(struct store *s, struct grant_idle_acc *a, struct bos_err *err)
{
	char reason[GRANT_REASON_SIZE];
	size_t i;

	if (grant_list(s, NULL, GRANT_ACTIVE, a->now, grant_idle_cb, a, err) != 0)
		return -1;
	grant_idle_reason(a->idle_s, reason);
	for (i = 0; i < a->n; i++)
		if (grant_revoke(s, a->acc[i], a->now, reason, err) != 0)
			return -1;
	return 0;
}

int
grant_sweep_idle(struct store *s, int64_t now, uint32_t idle_s, unsigned *n,
    struct bos_err *err)
{
	struct grant_idle_acc a = { now, idle_s, NULL, 0, 0 };
	int r = -1;

	*n = 0;
	if (store_begin(s, err) != 0)
		return -1;
	if (helper_finish(s, grant_sweep_locked(s, &a, err), err) != 0)
		goto out;
	*n = (unsigned)a.n;
	/* success */
	r = 0;
 out:
	free(a.acc);
	return r;
}

/* ---- a use ---------------------------------------------------------------------- */

/* A refusal decided here rather than by the policy: "grant ACCESSOR WHY". */
static void
grant_deny(struct policy_decision *d, const char *accessor, const char *why)
{
	d->allow = 0;
	(void)snprintf(d->reason, sizeof(d->reason), "grant %s %s", accessor, why);
}

/* The grant's scope as the policy engine takes it; items point into *root. */
struct grant_scope {
	json_t *root;
	const char *items[POLICY_GRANT_MAX_ITEMS];
	struct policy_cidr cidrs[POLICY_GRANT_MAX_CIDRS];
	size_t n_items, n_cidrs;
};

static int
grant_scope_items(struct grant_scope *sc, const char *text)
{
	json_t *v;
	size_t i;

	if ((sc->root = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_array(sc->root) || json_array_size(sc->root) > POLICY_GRANT_MAX_ITEMS)
		return -1;
	json_array_foreach(sc->root, i, v) {
		if (!json_is_string(v))
			return -1;
		sc->items[sc->n_items++] = json_string_value(v);
	}
	return 0;
}

static int
grant_scope_cidrs(struct grant_scope *sc, const char *text)
{
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *v;
	size_t i;
	int r = -1;

	if (root == NULL || !json_is_array(root) || json_array_size(root) > POLICY_GRANT_MAX_CIDRS)
		goto out;
	json_array_foreach(root, i, v) {
		if (!json_is_string(v) ||
		    policy_cidr_parse(json_string_value(v), &sc->cidrs[sc->n_cidrs++]) != 0)
			goto out;
	}
	/* success */
	r = 0;
 out:
	json_decref(root);
	return r;
}

static void
grant_policy_view(const struct grant_info *g, const struct grant_scope *sc,
    struct policy_grant *pg)
{
	memset(pg, 0, sizeof(*pg));
	pg->accessor = g->accessor;
	pg->credentials = sc->items;
	pg->n_credentials = sc->n_items;
	pg->actions = g->actions;
	pg->expires_at = g->expires_at;
	pg->max_uses = g->max_uses;
	pg->uses = g->uses;
	pg->revoked = g->revoked_at != 0;
	pg->cidrs = sc->cidrs;
	pg->n_cidrs = sc->n_cidrs;
}

/*
 * Count the use. The conditions repeat what the policy already checked, so
 * that even a wrong decision cannot use a revoked, expired or exhausted
 * grant; holding the database lock, nothing can change between the two.
 */
static int
grant_count_use(struct store *s, const char *accessor, int64_t now, int *counted,
    struct bos_err *err)
{
	return helper_exec3(s, "UPDATE grants SET uses = uses + 1, last_used_at = ?2"
	    " WHERE accessor = ?1 AND " GRANT_ACTIVE_SQL, accessor, now, NULL, counted,
	    "counting a grant's use", err);
}

/* Revoke an idle grant now, so a use never depends on when the sweep last ran. */
static int
grant_lazy_idle(struct store *s, struct grant_info *g, int64_t now, uint32_t idle_s,
    struct bos_err *err)
{
	if (idle_s == 0 || !grant_is_idle(g, now, idle_s))
		return 0;
	grant_idle_reason(idle_s, g->revoke_reason);
	if (grant_revoke(s, g->accessor, now, g->revoke_reason, err) != 0)
		return -1;
	g->revoked_at = now;
	return 0;
}

/*
 * Reason a helper is given when the real decision must not be shown: the
 * decision on the made-up resource, never counted. Should the grant happen to
 * cover the made-up path, the words are ours, the same for every resource.
 */
static void
grant_told(const struct grant_query *u, const struct policy_principal *p,
    const struct policy_decision *d, struct policy_decision *told)
{
	*told = *d;
	if (u->shown == NULL)
		return;
	policy_decide(u->ps, p, u->action, u->shown, u->ctx, told);
	if (told->allow) {
		told->allow = 0;
		(void)snprintf(told->reason, sizeof(told->reason), "grant %s does not allow %s "
		    "on this credential", u->accessor, policy_action_name(u->action));
	}
}

/*
 * A grant never reaches further than its issuer may hand out now: the
 * admin role as loaded at this start, not as it was when the grant was made.
 * The check is the narrowing of grant_create (policy_may_delegate) on the
 * one resource of this use, so a grant is usable exactly where it could be
 * made again today, whatever the helper's address.
 */
static void
grant_issuer_check(const struct grant_query *u, const char *accessor, struct policy_decision *d)
{
	struct policy_decision why;
	size_t cap = sizeof(d->reason);
	int n;

	if (policy_may_delegate(u->ps, GRANT_ADMIN_ROLE, u->action, u->res->path, &why))
		return;
	d->allow = 0;
	n = snprintf(d->reason, cap, "grant %s exceeds what its issuer may hand out now: %s",
	    accessor, why.reason);
	if (n < 0 || (size_t)n >= cap)
		memcpy(d->reason + cap - 4, "...", 4);   /* cut, as the engine cuts its reasons */
}

static int
grant_decide(struct store *s, const struct grant_query *u, struct grant_info *g,
    struct policy_decision *d, struct policy_decision *told, struct bos_err *err)
{
	struct policy_principal p = { POLICY_HELPER, NULL, NULL };
	struct policy_grant pg;
	struct grant_scope sc;
	int counted = 0, r = -1;

	memset(&sc, 0, sizeof(sc));
	if (grant_scope_items(&sc, g->items_json) != 0 || grant_scope_cidrs(&sc, g->cidrs_json) != 0) {
		grant_deny(d, g->accessor, "is damaged (its scope does not parse)");
		log_err("grant %s: stored scope does not parse", g->accessor);
		*told = *d;
		r = 0;
		goto out;
	}
	grant_policy_view(g, &sc, &pg);
	p.grant = &pg;
	if (u->res != NULL)
		policy_decide(u->ps, &p, u->action, u->res, u->ctx, d);
	if (u->res != NULL && d->allow)
		grant_issuer_check(u, g->accessor, d);
	if (u->res != NULL && d->allow) {
		if (grant_count_use(s, g->accessor, u->ctx->now, &counted, err) != 0)
			goto out;
		if (counted != 1)
			grant_deny(d, g->accessor, "is revoked, expired or used up");
	}
	if (!d->allow)
		grant_told(u, &p, d, told);
	if (u->res == NULL)
		*d = *told;
	else if (d->allow)
		*told = *d;
	/* success */
	r = 0;
 out:
	json_decref(sc.root);
	return r;
}

int
grant_use_check(struct store *s, const struct grant_query *u, struct policy_decision *d,
    struct policy_decision *told, struct bos_err *err)
{
	struct grant_info g;
	struct bos_err e;
	int r;

	bos_err_clear(&e);
	if (grant_get(s, u->accessor, &g, &e) != 0) {
		if (e.code != BOS_E_NOTFOUND) {
			if (err != NULL)
				*err = e;
			return -1;
		}
		grant_deny(d, u->accessor, "no longer exists");
		*told = *d;
		return 0;
	}
	r = grant_lazy_idle(s, &g, u->ctx->now, u->idle_s, err);
	if (r == 0)
		r = grant_decide(s, u, &g, d, told, err);
	grant_info_free(&g);
	return r;
}
