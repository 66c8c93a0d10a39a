/*
 * Finding, creating and logging in to the token; see p11.h.
 *
 * Tokens are found by label, never by slot index: SoftHSM (and real HSMs
 * with several partitions) renumber slots when a token is initialised.
 */
#include "p11.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P11_MAX_SLOTS 1024

/* label as it appears in CK_TOKEN_INFO: blank padded to 32 bytes. */
static void
p11_pad_label(const char *label, unsigned char out[static P11_LABEL_LEN])
{
	size_t n = strlen(label);

	memset(out, ' ', P11_LABEL_LEN);
	memcpy(out, label, n < P11_LABEL_LEN ? n : P11_LABEL_LEN);
}

/* All slots (or only those with a token), in a malloc'ed array. */
static int
p11_slot_list(struct p11 *p, CK_BBOOL present, CK_SLOT_ID **out, CK_ULONG *n,
    struct hsm_fail *f)
{
	CK_SLOT_ID *ids = NULL;
	CK_ULONG count = 0;
	CK_RV rv;
	int tries;

	/* The list may grow between the two calls; SoftHSM adds a free slot. */
	for (tries = 0; tries < 4; tries++) {
		if ((rv = p->fn->C_GetSlotList(present, NULL, &count)) != CKR_OK)
			break;
		if (count > P11_MAX_SLOTS)
			return hsm_fail_set(f, HSM_ERR_DEVICE, "module %s reports %lu slots",
			    p->module, (unsigned long)count);
		free(ids);
		if ((ids = calloc(count + 1, sizeof(*ids))) == NULL)
			return hsm_fail_set(f, HSM_ERR_DEVICE, "out of memory");
		if ((rv = p->fn->C_GetSlotList(present, ids, &count)) != CKR_BUFFER_TOO_SMALL)
			break;
	}
	if (rv != CKR_OK) {
		free(ids);
		return hsm_fail_set(f, HSM_ERR_DEVICE, "C_GetSlotList failed: %s (0x%lx)",
		    p11_rv_name(rv), (unsigned long)rv);
	}
	*out = ids;
	*n = count;
	return 0;
}

/* How many tokens carry label; the slot of the last one goes to *slot. */
static int
p11_count_label(struct p11 *p, const char *label, CK_SLOT_ID *slot, int *count,
    struct hsm_fail *f)
{
	unsigned char want[P11_LABEL_LEN];
	CK_TOKEN_INFO ti;
	CK_SLOT_ID *ids;
	CK_ULONG n, i;

	if (p11_slot_list(p, CK_TRUE, &ids, &n, f) != 0)
		return -1;
	p11_pad_label(label, want);
	*count = 0;
	for (i = 0; i < n; i++) {
		if (p->fn->C_GetTokenInfo(ids[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (memcmp(ti.label, want, P11_LABEL_LEN) == 0) { /* not secret */
			*slot = ids[i];
			(*count)++;
		}
	}
	free(ids);
	return 0;
}

int
p11_find_token(struct p11 *p, const char *label, struct hsm_fail *f)
{
	CK_SLOT_ID slot = 0;
	int count, n;

	n = snprintf(p->label, sizeof(p->label), "%s", label);
	if (n < 0 || (size_t)n >= sizeof(p->label))
		return hsm_fail_set(f, HSM_ERR_CONFIG, "token label longer than %d bytes",
		    P11_LABEL_LEN);
	if (p11_count_label(p, label, &slot, &count, f) != 0)
		return -1;
	if (count == 0)
		return hsm_fail_set(f, HSM_ERR_NOTOKEN, "no token labelled '%s' in module %s",
		    label, p->module);
	/* Two tokens with our label: using either could split the key store. */
	if (count > 1)
		return hsm_fail_set(f, HSM_ERR_NOTOKEN, "%d tokens are labelled '%s' in module "
		    "%s; labels must be unique", count, label, p->module);
	p->slot = slot;
	return 0;
}

/* The first slot whose token is present but not initialised. */
static int
p11_free_slot(struct p11 *p, const char *label, CK_SLOT_ID *slot, struct hsm_fail *f)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_ID *ids;
	CK_ULONG n, i;
	int r = -1;

	if (p11_slot_list(p, CK_TRUE, &ids, &n, f) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (p->fn->C_GetTokenInfo(ids[i], &ti) == CKR_OK &&
		    !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			*slot = ids[i];
			r = 0;
			break;
		}
	}
	free(ids);
	if (r != 0)
		hsm_fail_set(f, HSM_ERR_NOTOKEN, "module %s has no free slot to create "
		    "token '%s'", p->module, label);
	return r;
}

static int
p11_open_rw(struct p11 *p, CK_SESSION_HANDLE *s, struct hsm_fail *f)
{
	CK_RV rv = p->fn->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, s);

	if (rv != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "C_OpenSession on token '%s' failed: "
		    "%s (0x%lx)", p->label, p11_rv_name(rv), (unsigned long)rv);
	return 0;
}

/* As SO on a fresh token: set the user PIN, then log the SO out again. */
static int
p11_init_user_pin(struct p11 *p, const struct pin *so_pin, const struct pin *user_pin,
    struct hsm_fail *f)
{
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int r = -1;

	if (p11_open_rw(p, &s, f) != 0)
		return -1;
	if ((rv = p->fn->C_Login(s, CKU_SO, so_pin->p, so_pin->len)) != CKR_OK) {
		hsm_fail_set(f, HSM_ERR_PIN, "SO login to new token '%s' failed: %s (0x%lx)",
		    p->label, p11_rv_name(rv), (unsigned long)rv);
		goto out;
	}
	rv = p->fn->C_InitPIN(s, user_pin->p, user_pin->len);
	(void)p->fn->C_Logout(s);
	if (rv != CKR_OK) {
		hsm_fail_set(f, HSM_ERR_PIN, "C_InitPIN on new token '%s' failed: %s (0x%lx)",
		    p->label, p11_rv_name(rv), (unsigned long)rv);
		goto out;
	}
	/* success */
	r = 0;
 out:
	(void)p->fn->C_CloseSession(s);
	return r;
}

int
p11_create_token(struct p11 *p, const char *label, const struct pin *so_pin,
    const struct pin *user_pin, struct hsm_fail *f)
{
	unsigned char padded[P11_LABEL_LEN];
	CK_SLOT_ID slot = 0;
	CK_RV rv;
	int count;

	if (p11_count_label(p, label, &slot, &count, f) != 0)
		return -1;
	if (count != 0)
		return hsm_fail_set(f, HSM_ERR_EXISTS, "a token labelled '%s' already exists in "
		    "module %s; refusing to create another", label, p->module);
	if (p11_free_slot(p, label, &slot, f) != 0)
		return -1;
	p11_pad_label(label, padded);
	if ((rv = p->fn->C_InitToken(slot, so_pin->p, so_pin->len, padded)) != CKR_OK)
		return hsm_fail_set(f, rv == CKR_PIN_LEN_RANGE ? HSM_ERR_PIN : HSM_ERR_DEVICE,
		    "C_InitToken for '%s' failed: %s (0x%lx)", label, p11_rv_name(rv),
		    (unsigned long)rv);
	/* The token may have moved to a new slot id: look it up again. */
	if (p11_find_token(p, label, f) != 0)
		return -1;
	return p11_init_user_pin(p, so_pin, user_pin, f);
}

static int
p11_login_fail(struct p11 *p, CK_RV rv, struct hsm_fail *f)
{
	const char *why;

	switch (rv) {
	case CKR_PIN_INCORRECT:
		why = "wrong PIN";
		break;
	case CKR_PIN_LEN_RANGE:
		why = "wrong PIN (its length is outside the token's range)";
		break;
	case CKR_PIN_LOCKED:
		why = "the user PIN is locked; the SO must reset it";
		break;
	case CKR_PIN_EXPIRED:
		why = "the user PIN has expired";
		break;
	case CKR_USER_PIN_NOT_INITIALIZED:
		why = "the user PIN was never set (C_InitPIN)";
		break;
	default:
		return hsm_fail_set(f, HSM_ERR_DEVICE, "login to token '%s' failed: %s (0x%lx)",
		    p->label, p11_rv_name(rv), (unsigned long)rv);
	}
	return hsm_fail_set(f, HSM_ERR_PIN, "login to token '%s' failed: %s", p->label, why);
}

int
p11_login(struct p11 *p, const struct pin *pin, struct hsm_fail *f)
{
	CK_TOKEN_INFO ti;
	CK_RV rv;

	if (p->fn->C_GetTokenInfo(p->slot, &ti) == CKR_OK && (ti.flags & CKF_USER_PIN_LOCKED))
		return p11_login_fail(p, CKR_PIN_LOCKED, f);
	if (p11_open_rw(p, &p->session, f) != 0)
		return -1;
	p->have_session = 1;
	rv = p->fn->C_Login(p->session, CKU_USER, pin->p, pin->len);
	/* Login state is per token and application: "already" is success. */
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return p11_login_fail(p, rv, f);
	p->logged_in = 1;
	return 0;
}
