/*
 * make bench: the SoftHSM limit of one DEK unwrap, as bos-hsmd does it.
 *
 *   p11_unwrap MODULE TOKEN_LABEL PIN SECONDS
 *
 * Generates an AES-256 token key with the vault's KEK template
 * (hsm/p11_keys.c), wraps a 32-byte DEK with AES-GCM and an AAD shaped like
 * a credential's (hsm/p11_aead.c, vault/store/cred.c), then times
 * C_DecryptInit + C_Decrypt of that blob for SECONDS with one thread and
 * then with two (one session each: SoftHSM sessions are not thread safe).
 * Prints one JSON object: {"threads1":OPS_PER_S,"threads2":OPS_PER_S}.
 * The token must be a fresh one: the key is left on it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <p11-kit/pkcs11.h>
#include "bench.h"

#define DEK_LEN 32
#define IV_LEN 12
#define TAG_LEN 16
#define LABEL_LEN 32
#define MAX_THREADS 2

#define ATTR(t, v) { (t), &(v), sizeof(v) }

struct bench {
	CK_FUNCTION_LIST_PTR fn;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE key;
	uint8_t iv[IV_LEN];
	uint8_t aad[64];
	size_t aad_len;
	uint8_t blob[DEK_LEN + TAG_LEN];
	double seconds;
};

struct worker {
	struct bench *b;
	pthread_t tid;
	uint64_t ops;
	double elapsed;
	int failed;
};

static void
die(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11_unwrap: %s failed: 0x%lx\n", what, (unsigned long)rv);
	exit(1);
}

static void
gcm_params(struct bench *b, CK_GCM_PARAMS *g)
{
	memset(g, 0, sizeof(*g));
	g->pIv = b->iv;
	g->ulIvLen = IV_LEN;
	g->ulIvBits = IV_LEN * 8;
	g->pAAD = b->aad;
	g->ulAADLen = b->aad_len;
	g->ulTagBits = TAG_LEN * 8;
}

static void
load_module(struct bench *b, const char *path)
{
	CK_C_GetFunctionList get_list;
	CK_C_INITIALIZE_ARGS args;
	void *dl, *sym;
	CK_RV rv;

	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "p11_unwrap: cannot load %s: %s\n", path, dlerror());
		exit(1);
	}
	if ((sym = dlsym(dl, "C_GetFunctionList")) == NULL) {
		fprintf(stderr, "p11_unwrap: %s is not a PKCS#11 module\n", path);
		exit(1);
	}
	memcpy(&get_list, &sym, sizeof(get_list));
	if ((rv = get_list(&b->fn)) != CKR_OK)
		die("C_GetFunctionList", rv);
	/* Never NULL arguments: SoftHSM then runs without locks (STACK-NOTES.md). */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((rv = b->fn->C_Initialize(&args)) != CKR_OK)
		die("C_Initialize", rv);
}

/* Tokens are found by their blank-padded label; slot ids change after init. */
static void
find_slot(struct bench *b, const char *label)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	char want[LABEL_LEN];
	size_t len = strlen(label);
	CK_RV rv;

	if (len > LABEL_LEN) {
		fprintf(stderr, "p11_unwrap: label too long\n");
		exit(1);
	}
	memset(want, ' ', sizeof(want));
	memcpy(want, label, len);
	if ((rv = b->fn->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		die("C_GetSlotList", rv);
	for (i = 0; i < n; i++) {
		if (b->fn->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, want, LABEL_LEN) == 0) { /* not secret */
			b->slot = slots[i];
			return;
		}
	}
	fprintf(stderr, "p11_unwrap: no token labelled %s\n", label);
	exit(1);
}

static CK_SESSION_HANDLE
open_session(struct bench *b)
{
	CK_SESSION_HANDLE s;
	CK_RV rv;

	rv = b->fn->C_OpenSession(b->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		die("C_OpenSession", rv);
	return s;
}

/* The KEK template of hsm/p11_keys.c, every usage flag spelled out. */
static void
make_key(struct bench *b, CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	char lbl[] = "bench-kek-v1";
	uint8_t id[16] = "bench-kek-id-001";
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_VALUE_LEN, len),
		ATTR(CKA_TOKEN, yes), ATTR(CKA_PRIVATE, yes), ATTR(CKA_SENSITIVE, yes),
		ATTR(CKA_EXTRACTABLE, no), ATTR(CKA_ENCRYPT, yes), ATTR(CKA_DECRYPT, yes),
		ATTR(CKA_WRAP, no), ATTR(CKA_UNWRAP, no), ATTR(CKA_SIGN, no),
		ATTR(CKA_VERIFY, no), ATTR(CKA_DERIVE, no), ATTR(CKA_MODIFIABLE, no),
		ATTR(CKA_COPYABLE, no), { CKA_LABEL, lbl, sizeof(lbl) - 1 }, ATTR(CKA_ID, id),
	};
	CK_RV rv;

	rv = b->fn->C_GenerateKey(s, &mech, t, sizeof(t) / sizeof(t[0]), &b->key);
	if (rv != CKR_OK)
		die("C_GenerateKey", rv);
}

/* Wrap a random DEK once, with an AAD of a credential's shape and size. */
static void
wrap_dek(struct bench *b, CK_SESSION_HANDLE s)
{
	static const char label[] = "bos-cred-v1";
	const char *cid = "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa";
	uint8_t dek[DEK_LEN];
	CK_GCM_PARAMS g;
	CK_MECHANISM mech = { CKM_AES_GCM, &g, sizeof(g) };
	CK_ULONG out_len = sizeof(b->blob);
	size_t n = 0, idl = strlen(cid);
	CK_RV rv;

	memcpy(b->aad, label, sizeof(label));
	n = sizeof(label);
	b->aad[n++] = (uint8_t)(idl >> 8);
	b->aad[n++] = (uint8_t)idl;
	memcpy(b->aad + n, cid, idl);
	n += idl;
	memset(b->aad + n, 0, 3);
	b->aad[n + 3] = 1;
	b->aad_len = n + 4;
	if ((rv = b->fn->C_GenerateRandom(s, dek, sizeof(dek))) != CKR_OK ||
	    (rv = b->fn->C_GenerateRandom(s, b->iv, sizeof(b->iv))) != CKR_OK)
		die("C_GenerateRandom", rv);
	gcm_params(b, &g);
	if ((rv = b->fn->C_EncryptInit(s, &mech, b->key)) != CKR_OK ||
	    (rv = b->fn->C_Encrypt(s, dek, sizeof(dek), b->blob, &out_len)) != CKR_OK)
		die("AES-GCM C_Encrypt", rv);
	if (out_len != sizeof(b->blob)) {
		fprintf(stderr, "p11_unwrap: AES-GCM gave %lu bytes\n", (unsigned long)out_len);
		exit(1);
	}
	explicit_bzero(dek, sizeof(dek));
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	CK_SESSION_HANDLE s = open_session(b);
	uint8_t in[sizeof(b->blob)], out[sizeof(b->blob)];
	CK_GCM_PARAMS g;
	CK_MECHANISM mech = { CKM_AES_GCM, &g, sizeof(g) };
	CK_ULONG out_len;
	double start = bench_now_s(), end = start + b->seconds, t = start;
	CK_RV rv;

	gcm_params(b, &g);
	while (t < end) {
		memcpy(in, b->blob, sizeof(in));
		out_len = sizeof(out);
		if ((rv = b->fn->C_DecryptInit(s, &mech, b->key)) != CKR_OK ||
		    (rv = b->fn->C_Decrypt(s, in, sizeof(in), out, &out_len)) != CKR_OK ||
		    out_len != DEK_LEN) {
			fprintf(stderr, "p11_unwrap: AES-GCM C_Decrypt failed: 0x%lx\n",
			    (unsigned long)rv);
			w->failed = 1;
			break;
		}
		w->ops++;
		/* The clock costs ~20 ns; reading it every 64 calls is plenty. */
		if ((w->ops & 63) == 0)
			t = bench_now_s();
	}
	w->elapsed = bench_now_s() - start;
	explicit_bzero(out, sizeof(out));
	(void)b->fn->C_CloseSession(s);
	return NULL;
}

static double
run_threads(struct bench *b, int n)
{
	struct worker w[MAX_THREADS];
	double rate = 0;
	int i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < n; i++) {
		w[i].b = b;
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i]) != 0) {
			fprintf(stderr, "p11_unwrap: pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < n; i++) {
		(void)pthread_join(w[i].tid, NULL);
		if (w[i].failed)
			exit(1);
		rate += (double)w[i].ops / w[i].elapsed;
	}
	return rate;
}

int
main(int argc, char **argv)
{
	struct bench b;
	CK_SESSION_HANDLE s;
	char *end;
	double r1, r2;
	CK_RV rv;

	if (argc != 5) {
		fprintf(stderr, "usage: p11_unwrap MODULE TOKEN_LABEL PIN SECONDS\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	errno = 0;
	b.seconds = strtod(argv[4], &end);
	if (errno != 0 || *end != '\0' || b.seconds <= 0 || b.seconds > 600) {
		fprintf(stderr, "p11_unwrap: bad SECONDS %s\n", argv[4]);
		return 2;
	}
	load_module(&b, argv[1]);
	find_slot(&b, argv[2]);
	s = open_session(&b);
	rv = b.fn->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[3], strlen(argv[3]));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		die("C_Login", rv);
	make_key(&b, s);
	wrap_dek(&b, s);
	/* The login session stays open: closing the last one logs the token out. */
	r1 = run_threads(&b, 1);
	r2 = run_threads(&b, 2);
	printf("{\"threads1\":%.0f,\"threads2\":%.0f}\n", r1, r2);
	(void)b.fn->C_CloseSession(s);
	(void)b.fn->C_Finalize(NULL);
	return 0;
}
