/* In-memory admin sessions; see session.h and docs/AUTH.md. */
#include "auth/session.h"
#include "auth/session_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "secmem.h"

struct session {
	int used;
	uint8_t hash[TOKEN_HASH_LEN];  /* SHA-256 of the token: the lookup key */
	char admin_id[48];
	char name[65];
	char accessor[TOKEN_ACCESSOR_SIZE];
	enum session_state state;
	int64_t created_ms, last_ms;   /* CLOCK_MONOTONIC */
};

int64_t
sessions_monotonic_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sessions_lock(struct sessions *s)
{
	if (pthread_mutex_lock(&s->mu) != 0)
		abort();
}

static void
sessions_unlock(struct sessions *s)
{
	if (pthread_mutex_unlock(&s->mu) != 0)
		abort();
}

int
sessions_new(struct sessions **out, unsigned idle_s, unsigned absolute_s)
{
	struct sessions *s;

	*out = NULL;
	if (idle_s == 0 || absolute_s == 0 || (s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	if ((s->tab = calloc(SESSIONS_MAX, sizeof(*s->tab))) == NULL ||
	    pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s->tab);
		free(s);
		return -1;
	}
	s->idle_ms = (int64_t)idle_s * 1000;
	s->absolute_ms = (int64_t)absolute_s * 1000;
	s->clock = sessions_monotonic_ms;
	*out = s;
	return 0;
}

void
sessions_free(struct sessions *s)
{
	if (s == NULL)
		return;
	secmem_freezero(s->tab, SESSIONS_MAX * sizeof(*s->tab));
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* When e ends by its absolute limit: a pending session lives at most SESSION_PENDING_MAX_S. */
static int64_t
sessions_deadline(const struct sessions *s, const struct session *e)
{
	int64_t abs_ms = s->absolute_ms;

	if (e->state == SESSION_TOTP_PENDING && abs_ms > (int64_t)SESSION_PENDING_MAX_S * 1000)
		abs_ms = (int64_t)SESSION_PENDING_MAX_S * 1000;
	return e->created_ms + abs_ms;
}

static int
sessions_expired(const struct sessions *s, const struct session *e, int64_t now)
{
	return now >= sessions_deadline(s, e) || now >= e->last_ms + s->idle_ms;
}

static void
sessions_drop(struct session *e)
{
	secmem_wipe(e, sizeof(*e));
}

static uint32_t
sessions_secs_left(int64_t until, int64_t now)
{
	int64_t ms = until - now;

	if (ms <= 0)
		return 0;
	return (uint32_t)((ms + 999) / 1000);
}

static void
sessions_describe(const struct sessions *s, const struct session *e, int64_t now,
    struct session_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->admin_id, e->admin_id, sizeof(info->admin_id));
	memcpy(info->name, e->name, sizeof(info->name));
	memcpy(info->accessor, e->accessor, sizeof(info->accessor));
	info->state = e->state;
	info->idle_left = sessions_secs_left(e->last_ms + s->idle_ms, now);
	info->absolute_left = sessions_secs_left(sessions_deadline(s, e), now);
}

/* The entry whose hash is h, or NULL. Hashes are compared in constant time. */
static struct session *
sessions_find(struct sessions *s, const uint8_t h[TOKEN_HASH_LEN])
{
	size_t i;

	for (i = 0; i < SESSIONS_MAX; i++)
		if (s->tab[i].used && secmem_equal(s->tab[i].hash, h, TOKEN_HASH_LEN))
			return &s->tab[i];
	return NULL;
}

/* Drop expired sessions; then, for a new pending one, keep each admin's pending count bounded. */
static void
sessions_make_room(struct sessions *s, const char *admin_id, enum session_state st, int64_t now)
{
	struct session *oldest = NULL, *e;
	unsigned pending = 0;
	size_t i;

	for (i = 0; i < SESSIONS_MAX; i++) {
		e = &s->tab[i];
		if (!e->used)
			continue;
		if (sessions_expired(s, e, now)) {
			sessions_drop(e);
			continue;
		}
		if (e->state != SESSION_TOTP_PENDING || strcmp(e->admin_id, admin_id) != 0)
			continue;
		pending++;
		if (oldest == NULL || e->created_ms < oldest->created_ms)
			oldest = e;
	}
	if (st == SESSION_TOTP_PENDING && pending >= SESSION_PENDING_PER_ADMIN && oldest != NULL)
		sessions_drop(oldest);
}

static struct session *
sessions_free_slot(struct sessions *s)
{
	size_t i;

	for (i = 0; i < SESSIONS_MAX; i++)
		if (!s->tab[i].used)
			return &s->tab[i];
	return NULL;
}

/* Fill a fresh entry; the token is made here so that it never leaves unless stored. */
static int
sessions_fill(struct session *e, const char *admin_id, const char *name,
    enum session_state st, int64_t now, char token[TOKEN_SIZE])
{
	if (strlen(admin_id) >= sizeof(e->admin_id) || strlen(name) >= sizeof(e->name) ||
	    token_new(TOKEN_SESSION, token, TOKEN_SIZE) != 0)
		return -1;
	if (token_accessor_new(e->accessor, sizeof(e->accessor)) != 0) {
		secmem_wipe(token, TOKEN_SIZE);
		return -1;
	}
	token_hash(token, e->hash);
	memcpy(e->admin_id, admin_id, strlen(admin_id) + 1);
	memcpy(e->name, name, strlen(name) + 1);
	e->state = st;
	e->created_ms = e->last_ms = now;
	e->used = 1;
	return 0;
}

int
sessions_create(struct sessions *s, const char *admin_id, const char *name,
    enum session_state st, char token[TOKEN_SIZE], struct session_info *info,
    struct bos_err *err)
{
	struct session *e;
	int64_t now;
	int r = -1;

	if (st != SESSION_TOTP_PENDING && st != SESSION_FULL)
		return bos_err_set(err, BOS_E_INVALID, "unknown session state");
	sessions_lock(s);
	now = s->clock(s->clock_arg);
	sessions_make_room(s, admin_id, st, now);
	if ((e = sessions_free_slot(s)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "too many sessions (%d); try again later",
		    SESSIONS_MAX);
		goto out;
	}
	if (sessions_fill(e, admin_id, name, st, now, token) != 0) {
		sessions_drop(e);
		bos_err_set(err, BOS_E_IO, "cannot make a session token");
		goto out;
	}
	sessions_describe(s, e, now, info);
	/* success */
	r = 0;
 out:
	sessions_unlock(s);
	return r;
}

enum session_lookup
sessions_lookup(struct sessions *s, const char *token, struct session_info *info)
{
	uint8_t h[TOKEN_HASH_LEN];
	enum session_lookup r = SESSION_UNKNOWN;
	struct session *e;
	int64_t now;

	token_hash(token, h);
	sessions_lock(s);
	now = s->clock(s->clock_arg);
	if ((e = sessions_find(s, h)) == NULL)
		goto out;
	if (sessions_expired(s, e, now)) {
		sessions_drop(e);
		r = SESSION_EXPIRED;
		goto out;
	}
	e->last_ms = now;
	sessions_describe(s, e, now, info);
	r = SESSION_FOUND;
 out:
	sessions_unlock(s);
	secmem_wipe(h, sizeof(h));
	return r;
}

int
sessions_upgrade(struct sessions *s, const char *token, struct session_info *info)
{
	uint8_t h[TOKEN_HASH_LEN];
	struct session *e;
	int64_t now;
	int r = -1;

	token_hash(token, h);
	sessions_lock(s);
	now = s->clock(s->clock_arg);
	if ((e = sessions_find(s, h)) == NULL)
		goto out;
	if (sessions_expired(s, e, now)) {
		sessions_drop(e);
		goto out;
	}
	e->state = SESSION_FULL;
	e->last_ms = now;
	sessions_describe(s, e, now, info);
	/* success */
	r = 0;
 out:
	sessions_unlock(s);
	secmem_wipe(h, sizeof(h));
	return r;
}

int
sessions_remove(struct sessions *s, const char *token)
{
	uint8_t h[TOKEN_HASH_LEN];
	struct session *e;
	int r = 0;

	token_hash(token, h);
	sessions_lock(s);
	if ((e = sessions_find(s, h)) != NULL) {
		sessions_drop(e);
		r = 1;
	}
	sessions_unlock(s);
	secmem_wipe(h, sizeof(h));
	return r;
}

unsigned
sessions_end_admin(struct sessions *s, const char *admin_id, int pending_only)
{
	unsigned n = 0;
	size_t i;

	sessions_lock(s);
	for (i = 0; i < SESSIONS_MAX; i++) {
		struct session *e = &s->tab[i];

		if (!e->used || strcmp(e->admin_id, admin_id) != 0 ||
		    (pending_only && e->state != SESSION_TOTP_PENDING))
			continue;
		sessions_drop(e);
		n++;
	}
	sessions_unlock(s);
	return n;
}

unsigned
sessions_count(struct sessions *s)
{
	unsigned n = 0;
	size_t i;

	sessions_lock(s);
	for (i = 0; i < SESSIONS_MAX; i++)
		n += s->tab[i].used != 0;
	sessions_unlock(s);
	return n;
}
