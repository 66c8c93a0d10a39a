/*
 * The message table and request handlers of bos-hsmd; see dispatch.h.
 *
 * Handlers parse with the checked getters of struct buf, check that the
 * payload is used up exactly before acting, and return HANDLER_OK (answer
 * OK with resp), HANDLER_ERR (answer ERR with f) or HANDLER_MALFORMED.
 */
#include "dispatch.h"

#include <stddef.h>
#include "hsm_proto.h"
#include "chan.h"
#include "log.h"
#include "secmem.h"

#define HSMD_F_INIT 0x1u   /* permitted with --init and --create-token */
#define HSMD_F_SERVE 0x2u  /* permitted in normal service */

enum { HANDLER_MALFORMED = -1, HANDLER_OK = 0, HANDLER_ERR = 1 };

typedef int (*dispatch_fn)(struct hsmd *, struct buf *, struct buf *, struct hsm_fail *);

struct dispatch_entry {
	uint32_t type;
	const char *name;
	uint32_t min_len;   /* payload bounds, checked before the payload is read */
	uint32_t max_len;
	unsigned flags;
	dispatch_fn fn;
};

/* A request must be used up exactly: bytes left over mean a confused peer. */
static int
req_end(const struct buf *req)
{
	return buf_remaining(req) == 0 ? 0 : -1;
}

/* Answer OK carrying one str16, then wipe the local copy. */
static int
resp_str16(struct buf *resp, uint8_t *p, size_t n, size_t cap)
{
	int r = buf_put_str16(resp, p, n) == 0 ? HANDLER_OK : HANDLER_MALFORMED;

	secmem_wipe(p, cap);
	return r;
}

static int
handle_keygen(struct hsmd *d, struct buf *req, struct buf *resp, struct hsm_fail *f)
{
	uint32_t version;

	(void)resp;
	if (buf_get_u32(req, &version) != 0 || req_end(req) != 0)
		return HANDLER_MALFORMED;
	log_info("keygen: creating keys version %u", version);
	return p11_keygen(&d->p11, version, f) == 0 ? HANDLER_OK : HANDLER_ERR;
}

static int
handle_wrap(struct hsmd *d, struct buf *req, struct buf *resp, struct hsm_fail *f)
{
	const uint8_t *aad, *pt;
	size_t aad_len, pt_len, blob_len = 0;
	uint8_t blob[HSM_BLOB_MAX];
	uint32_t version;

	if (buf_get_u32(req, &version) != 0 ||
	    buf_get_str16(req, &aad, &aad_len, HSM_AAD_MAX) != 0 ||
	    buf_get_str16(req, &pt, &pt_len, HSM_PT_MAX) != 0 || pt_len == 0 ||
	    req_end(req) != 0)
		return HANDLER_MALFORMED;
	if (p11_wrap(&d->p11, version, aad, aad_len, pt, pt_len, blob, sizeof(blob),
	    &blob_len, f) != 0)
		return HANDLER_ERR;
	return resp_str16(resp, blob, blob_len, sizeof(blob));
}

static int
handle_unwrap(struct hsmd *d, struct buf *req, struct buf *resp, struct hsm_fail *f)
{
	const uint8_t *aad, *blob;
	size_t aad_len, blob_len, pt_len = 0;
	uint8_t pt[HSM_PT_MAX];
	uint32_t version;

	if (buf_get_u32(req, &version) != 0 ||
	    buf_get_str16(req, &aad, &aad_len, HSM_AAD_MAX) != 0 ||
	    buf_get_str16(req, &blob, &blob_len, HSM_BLOB_MAX) != 0 || req_end(req) != 0)
		return HANDLER_MALFORMED;
	if (p11_unwrap(&d->p11, version, aad, aad_len, blob, blob_len, pt, sizeof(pt),
	    &pt_len, f) != 0)
		return HANDLER_ERR;
	return resp_str16(resp, pt, pt_len, sizeof(pt));
}

static int
handle_sign(struct hsmd *d, struct buf *req, struct buf *resp, struct hsm_fail *f)
{
	const uint8_t *digest;
	size_t digest_len, sig_len = 0;
	uint8_t sig[HSM_SIG_MAX];
	uint32_t version;

	if (buf_get_u32(req, &version) != 0 ||
	    buf_get_str16(req, &digest, &digest_len, HSM_DIGEST_LEN) != 0 ||
	    digest_len != HSM_DIGEST_LEN || req_end(req) != 0)
		return HANDLER_MALFORMED;
	if (p11_audit_check(&d->p11, version, f) != 0 ||
	    signer_sign(d->signer, version, digest, sig, sizeof(sig), &sig_len, f) != 0)
		return HANDLER_ERR;
	return resp_str16(resp, sig, sig_len, sizeof(sig));
}

static int
handle_pubkey(struct hsmd *d, struct buf *req, struct buf *resp, struct hsm_fail *f)
{
	uint8_t der[HSM_PUBKEY_MAX];
	size_t der_len = 0;
	uint32_t version;

	if (buf_get_u32(req, &version) != 0 || req_end(req) != 0)
		return HANDLER_MALFORMED;
	if (p11_audit_check(&d->p11, version, f) != 0 ||
	    signer_pubkey(d->signer, version, der, sizeof(der), &der_len, f) != 0)
		return HANDLER_ERR;
	return resp_str16(resp, der, der_len, sizeof(der));
}

static int
handle_random(struct hsmd *d, struct buf *req, struct buf *resp, struct hsm_fail *f)
{
	uint8_t rnd[HSM_RANDOM_MAX];
	uint32_t n;

	if (buf_get_u32(req, &n) != 0 || n == 0 || n > HSM_RANDOM_MAX || req_end(req) != 0)
		return HANDLER_MALFORMED;
	if (p11_random(&d->p11, rnd, n, f) != 0)
		return HANDLER_ERR;
	return resp_str16(resp, rnd, n, sizeof(rnd));
}

#define STR16(max) (2u + (max))

static const struct dispatch_entry dispatch_table[] = {
	{ HSM_MSG_KEYGEN, "keygen", 4, 4, HSMD_F_INIT, handle_keygen },
	{ HSM_MSG_WRAP, "wrap", 4 + STR16(0) + STR16(1),
	    4 + STR16(HSM_AAD_MAX) + STR16(HSM_PT_MAX), HSMD_F_INIT | HSMD_F_SERVE, handle_wrap },
	{ HSM_MSG_UNWRAP, "unwrap", 4 + STR16(0) + STR16(0),
	    4 + STR16(HSM_AAD_MAX) + STR16(HSM_BLOB_MAX), HSMD_F_INIT | HSMD_F_SERVE,
	    handle_unwrap },
	{ HSM_MSG_SIGN, "sign", 4 + STR16(HSM_DIGEST_LEN), 4 + STR16(HSM_DIGEST_LEN),
	    HSMD_F_INIT | HSMD_F_SERVE, handle_sign },
	{ HSM_MSG_PUBKEY, "pubkey", 4, 4, HSMD_F_INIT | HSMD_F_SERVE, handle_pubkey },
	{ HSM_MSG_RANDOM, "random", 4, 4, HSMD_F_INIT | HSMD_F_SERVE, handle_random },
};

_Static_assert(4 + STR16(HSM_AAD_MAX) + STR16(HSM_BLOB_MAX) <= HSM_PAYLOAD_MAX,
    "largest request must fit the payload limit");
_Static_assert(STR16(HSM_RANDOM_MAX) <= HSM_PAYLOAD_MAX, "random answer must fit");

static const struct dispatch_entry *
dispatch_lookup(uint32_t type)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(dispatch_table); i++) {
		if (dispatch_table[i].type == type)
			return &dispatch_table[i];
	}
	return NULL;
}

static int
dispatch_permitted(const struct dispatch_entry *e, enum hsmd_mode mode)
{
	return (e->flags & (mode == HSMD_MODE_SERVE ? HSMD_F_SERVE : HSMD_F_INIT)) != 0;
}

static int
dispatch_answer(struct hsmd *d, int rc, const struct hsm_fail *f)
{
	if (rc == HANDLER_OK)
		return chan_send(d->fd, HSM_MSG_OK, d->resp.data, d->resp.len);
	return chan_send_err(d->fd, f);
}

/* Read, check, handle and answer one request. 1: peer closed; -1: protocol error. */
static int
dispatch_one(struct hsmd *d)
{
	const struct dispatch_entry *e;
	struct hsm_fail f = { 0, "" };
	uint32_t type = 0, len = 0;
	enum chan_status st;
	int rc;

	if ((st = chan_read_header(d->fd, &type, &len)) == CHAN_EOF)
		return 1;
	if (st != CHAN_OK) {
		log_err("protocol error: truncated message header");
		return -1;
	}
	if ((e = dispatch_lookup(type)) == NULL) {
		log_err("protocol error: message type %u (length %u) is unknown", type, len);
		return -1;
	}
	if (len < e->min_len || len > e->max_len || len > HSM_PAYLOAD_MAX) {
		log_err("protocol error: %s message with length %u", e->name, len);
		return -1;
	}
	if (chan_read_payload(d->fd, &d->req, len) != CHAN_OK) {
		log_err("protocol error: %s message truncated (length %u)", e->name, len);
		return -1;
	}
	/*
	 * A well-formed request this mode does not do (KEYGEN when serving) is
	 * refused with ERR and not acted on: a serving bos-hsmd never makes keys
	 * or tokens, whoever asks; 'bos-hsmd init' does (docs/HSM.md).
	 */
	if (!dispatch_permitted(e, d->mode)) {
		log_warn("refused a %s request: not permitted when serving", e->name);
		hsm_fail_set(&f, HSM_ERR_MODE, "%s is not permitted when serving; keys and tokens "
		    "are made by 'bos-hsmd init' as bos-hsmd's own user", e->name);
		rc = HANDLER_ERR;
	} else
		rc = e->fn(d, &d->req, &d->resp, &f);
	buf_reset(&d->req);
	if (rc == HANDLER_MALFORMED) {
		buf_reset(&d->resp);
		log_err("protocol error: malformed %s message (length %u)", e->name, len);
		return -1;
	}
	/* The vault reports ERR answers; a debug build can see them here too. */
	if (rc == HANDLER_ERR)
		log_debug("%s failed: %s", e->name, f.msg);
	rc = dispatch_answer(d, rc, &f);
	buf_reset(&d->resp);
	return rc == 0 ? 0 : 1;
}

int
dispatch_serve(struct hsmd *d)
{
	int rc;

	while ((rc = dispatch_one(d)) == 0)
		;
	return rc < 0 ? HSM_EXIT_PROTOCOL : HSM_EXIT_OK;
}
