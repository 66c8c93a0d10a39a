/*
 * Unit tests: common/hsm_frame.c, the one codec of bos-hsmd's frames that
 * both ends use (hsm/chan.c, vault/hsmc/hsm_client.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "buf.h"
#include "hsm_frame.h"

static void
test_frame_round_trip(void **state)
{
	static const uint8_t payload[] = { 0, 0, 0, 16 };
	uint8_t h[HSM_HDR_LEN];
	uint32_t type = 0, len = 0;
	struct buf f;

	(void)state;
	assert_int_equal(buf_init(&f, HSM_HDR_LEN + HSM_PAYLOAD_MAX), 0);
	assert_int_equal(hsm_frame_put(&f, HSM_MSG_RANDOM, payload, sizeof(payload)), 0);
	assert_int_equal(f.len, HSM_HDR_LEN + sizeof(payload));
	/* Big-endian type, then length, then the payload as given. */
	assert_memory_equal(f.data, ((const uint8_t[]){ 0, 0, 0, 6, 0, 0, 0, 4 }), HSM_HDR_LEN);
	assert_memory_equal(f.data + HSM_HDR_LEN, payload, sizeof(payload));
	memcpy(h, f.data, sizeof(h));
	assert_int_equal(hsm_frame_header(h, &type, &len), 0);
	assert_int_equal(type, HSM_MSG_RANDOM);
	assert_int_equal(len, sizeof(payload));
	/* An empty payload is a header alone; a second frame replaces the first. */
	assert_int_equal(hsm_frame_put(&f, HSM_MSG_READY, NULL, 0), 0);
	assert_int_equal(f.len, HSM_HDR_LEN);
	buf_free(&f);
}

static void
test_frame_header_decodes_any_bytes(void **state)
{
	static const uint8_t h[HSM_HDR_LEN] = { 0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff };
	uint32_t type = 0, len = 0;

	(void)state;
	/* Checking type and length is each end's business; the codec only decodes. */
	assert_int_equal(hsm_frame_header(h, &type, &len), 0);
	assert_int_equal(type, 0x01020304u);
	assert_int_equal(len, 0xffffffffu);
}

static void
test_frame_refuses_oversized(void **state)
{
	static uint8_t big[HSM_PAYLOAD_MAX + 1];
	struct buf f, small;

	(void)state;
	assert_int_equal(buf_init(&f, HSM_HDR_LEN + HSM_PAYLOAD_MAX + 8), 0);
	assert_int_equal(hsm_frame_put(&f, HSM_MSG_OK, big, HSM_PAYLOAD_MAX), 0);
	assert_int_equal(hsm_frame_put(&f, HSM_MSG_OK, big, sizeof(big)), -1);
	/* A buffer too small for the frame fails rather than cut it. */
	assert_int_equal(buf_init(&small, HSM_HDR_LEN + 3), 0);
	assert_int_equal(hsm_frame_put(&small, HSM_MSG_OK, big, 4), -1);
	buf_free(&small);
	buf_free(&f);
}

static void
test_err_round_trip_printable(void **state)
{
	char msg[HSM_ERRMSG_MAX + 1], long_msg[HSM_ERRMSG_MAX + 50];
	uint32_t code = 0;
	struct buf p;

	(void)state;
	assert_int_equal(buf_init(&p, HSM_PAYLOAD_MAX), 0);
	/* Bytes outside printable ASCII go out as '?'. */
	assert_int_equal(hsm_frame_put_err(&p, HSM_ERR_PIN, "bad\nPIN \x01\x7f\xc3\xa9"), 0);
	assert_int_equal(hsm_frame_get_err(&p, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, HSM_ERR_PIN);
	assert_string_equal(msg, "bad?PIN ????");
	/* At most HSM_ERRMSG_MAX bytes of a message are sent. */
	memset(long_msg, 'x', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	assert_int_equal(hsm_frame_put_err(&p, HSM_ERR_DEVICE, long_msg), 0);
	assert_int_equal(hsm_frame_get_err(&p, &code, msg, sizeof(msg)), 0);
	assert_int_equal(strlen(msg), HSM_ERRMSG_MAX);
	buf_free(&p);
}

/* Read an ERR payload made of these bytes. */
static int
get_err_of(const uint8_t *b, size_t n, size_t cap)
{
	char msg[HSM_ERRMSG_MAX + 1];
	uint32_t code;
	struct buf p;
	int r;

	assert_int_equal(buf_init(&p, HSM_PAYLOAD_MAX), 0);
	assert_int_equal(buf_put(&p, b, n), 0);
	r = hsm_frame_get_err(&p, &code, msg, cap);
	buf_free(&p);
	return r;
}

static void
test_err_refuses_malformed(void **state)
{
	static const uint8_t ok[] = { 0, 0, 0, 2, 0, 2, 'n', 'o' };
	static const uint8_t leftover[] = { 0, 0, 0, 2, 0, 2, 'n', 'o', 'x' };
	static const uint8_t truncated[] = { 0, 0, 0, 2, 0, 9, 'n', 'o' };
	static const uint8_t no_string[] = { 0, 0, 0, 2 };
	static const uint8_t short_code[] = { 0, 0 };
	static uint8_t too_long[4 + 2 + HSM_ERRMSG_MAX + 1] = { 0, 0, 0, 2,
	    (HSM_ERRMSG_MAX + 1) >> 8, (HSM_ERRMSG_MAX + 1) & 0xff };

	(void)state;
	assert_int_equal(get_err_of(ok, sizeof(ok), HSM_ERRMSG_MAX + 1), 0);
	assert_int_equal(get_err_of(leftover, sizeof(leftover), HSM_ERRMSG_MAX + 1), -1);
	assert_int_equal(get_err_of(truncated, sizeof(truncated), HSM_ERRMSG_MAX + 1), -1);
	assert_int_equal(get_err_of(no_string, sizeof(no_string), HSM_ERRMSG_MAX + 1), -1);
	assert_int_equal(get_err_of(short_code, sizeof(short_code), HSM_ERRMSG_MAX + 1), -1);
	memset(too_long + 6, 'x', HSM_ERRMSG_MAX + 1);
	assert_int_equal(get_err_of(too_long, sizeof(too_long), sizeof(too_long)), -1);
	/* A message that does not fit the caller's buffer (with its NUL) is refused. */
	assert_int_equal(get_err_of(ok, sizeof(ok), 2), -1);
	assert_int_equal(get_err_of(ok, sizeof(ok), 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_round_trip),
		cmocka_unit_test(test_frame_header_decodes_any_bytes),
		cmocka_unit_test(test_frame_refuses_oversized),
		cmocka_unit_test(test_err_round_trip_printable),
		cmocka_unit_test(test_err_refuses_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
