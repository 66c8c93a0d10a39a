/* Unit tests: common/buf.c, the bounded buffer for untrusted bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "buf.h"

static void
test_put_get_round_trip(void **state)
{
	struct buf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(buf_init(&b, 64), 0);
	assert_int_equal(buf_put_u8(&b, 7), 0);
	assert_int_equal(buf_put_u16(&b, 0x1234), 0);
	assert_int_equal(buf_put_u32(&b, 0xdeadbeef), 0);
	assert_int_equal(buf_put_str16(&b, "abc", 3), 0);
	assert_int_equal(b.len, 1 + 2 + 4 + 2 + 3);
	assert_int_equal(b.data[1], 0x12); /* big-endian on the wire */
	assert_int_equal(buf_get_u8(&b, &u8), 0);
	assert_int_equal(buf_get_u16(&b, &u16), 0);
	assert_int_equal(buf_get_u32(&b, &u32), 0);
	assert_int_equal(buf_get_str16(&b, &p, &n, 16), 0);
	assert_int_equal(u8, 7);
	assert_int_equal(u16, 0x1234);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "abc", 3);
	assert_int_equal(buf_remaining(&b), 0);
	assert_int_not_equal(buf_get_u8(&b, &u8), 0);
	buf_free(&b);
}

static void
test_limit_enforced(void **state)
{
	struct buf b;
	uint8_t big[17] = { 0 };

	(void)state;
	assert_int_equal(buf_init(&b, 16), 0);
	assert_int_not_equal(buf_put(&b, big, 17), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_put(&b, big, 16), 0);
	assert_int_not_equal(buf_put_u8(&b, 1), 0);
	assert_int_equal(b.len, 16);
	assert_int_not_equal(buf_put(&b, big, SIZE_MAX), 0);
	buf_free(&b);
	assert_int_not_equal(buf_init(&b, 0), 0);
}

static void
test_str16_checks_length(void **state)
{
	struct buf b;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(buf_init(&b, 64), 0);
	/* Length field says 10, only 3 bytes follow: refused, position unchanged. */
	assert_int_equal(buf_put_u16(&b, 10), 0);
	assert_int_equal(buf_put(&b, "abc", 3), 0);
	assert_int_not_equal(buf_get_str16(&b, &p, &n, 64), 0);
	assert_int_equal(b.off, 0);
	buf_reset(&b);
	/* Length within the data but above the caller's maximum: refused. */
	assert_int_equal(buf_put_str16(&b, "abcdef", 6), 0);
	assert_int_not_equal(buf_get_str16(&b, &p, &n, 5), 0);
	assert_int_equal(buf_get_str16(&b, &p, &n, 6), 0);
	buf_free(&b);
}

static void
test_truncated_integers(void **state)
{
	struct buf b;
	uint32_t v;
	uint16_t w;

	(void)state;
	assert_int_equal(buf_init(&b, 8), 0);
	assert_int_equal(buf_put(&b, "\x01\x02\x03", 3), 0);
	assert_int_not_equal(buf_get_u32(&b, &v), 0);
	assert_int_equal(buf_get_u16(&b, &w), 0);
	assert_int_not_equal(buf_get_u16(&b, &w), 0);
	buf_free(&b);
}

/* buf_init_grow: memory follows what arrived, the limit is the same, contents survive growth. */
static void
test_grow(void **state)
{
	struct buf b;
	uint8_t chunk[700];
	size_t i, total = 0;

	(void)state;
	buf_init_grow(&b, 5000);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	assert_int_equal(buf_put(&b, "{", 1), 0);
	assert_true(b.cap >= 1 && b.cap <= 1024);    /* one byte sent: ~1 KiB held, not 5000 */
	total = 1;
	for (i = 0; total + sizeof(chunk) <= 5000; i++) {
		memset(chunk, (int)(i & 0xff), sizeof(chunk));
		assert_int_equal(buf_put(&b, chunk, sizeof(chunk)), 0);
		total += sizeof(chunk);
		assert_true(b.cap >= b.len && b.cap <= b.max);
	}
	assert_int_equal(b.len, total);
	assert_int_equal(b.data[0], '{');
	assert_int_equal(b.data[1 + 700 * 3], 3);        /* the fourth chunk kept its bytes */
	assert_int_equal(buf_put(&b, chunk, 5000 - total), 0);
	assert_int_equal(b.len, 5000);
	assert_int_equal(b.cap, 5000);                    /* never above the limit */
	assert_int_not_equal(buf_put_u8(&b, 1), 0);       /* and the limit holds */
	assert_int_equal(b.len, 5000);
	buf_free(&b);
	assert_null(b.data);
	buf_init_grow(&b, 10);
	assert_int_not_equal(buf_put(&b, chunk, 11), 0);  /* over the limit at once: nothing held */
	assert_null(b.data);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_round_trip),
		cmocka_unit_test(test_limit_enforced),
		cmocka_unit_test(test_str16_checks_length),
		cmocka_unit_test(test_truncated_integers),
		cmocka_unit_test(test_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
