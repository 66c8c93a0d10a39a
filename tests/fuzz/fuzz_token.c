/*
 * libFuzzer target: the parsers of untrusted sign-in input. The input, made
 * a C string, is checked as a bearer token of each type (common/token.c),
 * passed to auth_check() as the Authorization token of an admin route with a
 * live session table (vault/auth/auth.c, vault/auth/session.c) and of the
 * broker routes over TCP and the unix socket, and checked as a TOTP
 * code (vault/auth/totp.c). Nothing the fuzzer makes may authenticate, and only
 * well-formed text may pass the format checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "auth/auth.h"
#include "auth/session.h"
#include "token.h"
#include "auth/totp.h"
#include "core/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_b62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A token that passes token_check has exactly the documented shape. */
static void
fuzz_token_shape(const char *s, enum token_type t)
{
	size_t i;

	if (token_check(s, t) != 0)
		return;
	if (strlen(s) != TOKEN_LEN || strncmp(s, "bos_", 4) != 0 || s[4] != (char)t || s[5] != '_')
		__builtin_trap();
	for (i = TOKEN_PREFIX_LEN; i < TOKEN_LEN; i++)
		if (!fuzz_b62(s[i]))
			__builtin_trap();
}

static struct vault *
fuzz_vault(void)
{
	static struct vault v;
	static int ready;
	struct session_info si;
	struct bos_err err;
	char tok[TOKEN_SIZE];

	if (!ready) {
		memset(&v, 0, sizeof(v));
		v.uid = 4242;
		if (sessions_new(&v.sessions, 900, 43200) != 0 ||
		    sessions_create(v.sessions, "ad_fuzz", "fuzz", SESSION_FULL, tok, &si, &err) != 0)
			abort();
		ready = 1;
	}
	return &v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[TOTP_SEED_LEN] = "12345678901234567890";
	struct vault *v = fuzz_vault();
	struct principal p;
	unsigned status;
	const char *code, *msg;
	uint64_t step;
	char *s;
	int rc, broker;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_token_shape(s, TOKEN_SESSION);
	fuzz_token_shape(s, TOKEN_HELPER);
	fuzz_token_shape(s, TOKEN_BROKER);
	/*
	 * The one real session's token is unknown to the fuzzer: nothing gets in.
	 * Anything shaped like a broker token is refused on an admin route with
	 * 403 (brokers never use one), the rest with 401.
	 */
	broker = strncmp(s, "bos_b_", 6) == 0;
	if (auth_check(v, ROUTE_ADMIN, s, HTTP_TCP_TLS, (uid_t)-1, &p, &status, &code, &msg) == 0 ||
	    status != (broker ? 403u : 401u))
		__builtin_trap();
	/* Broker routes: over TCP never, and no made-up token on the unix socket either. */
	if (auth_check(v, ROUTE_BROKER, s, HTTP_TCP_TLS, 4242, &p, &status, &code, &msg) == 0 ||
	    (broker && strcmp(code, "broker_unix_only") != 0))
		__builtin_trap();
	if (auth_check(v, ROUTE_BROKER, s, HTTP_UNIX, 4242, &p, &status, &code, &msg) == 0 ||
	    (status != 401 && status != 403))
		__builtin_trap();
	if (auth_check(v, ROUTE_LOCAL_VAULT_UID, s, HTTP_TCP_TLS, 4242, &p, &status, &code,
	    &msg) == 0 || status != 403)
		__builtin_trap();
	rc = totp_verify(seed, sizeof(seed), s, 59, &step);
	if (rc < 0 || (rc == 1 && (strlen(s) != TOTP_DIGITS || strspn(s, "0123456789") !=
	    TOTP_DIGITS)))
		__builtin_trap();
	free(s);
	return 0;
}
