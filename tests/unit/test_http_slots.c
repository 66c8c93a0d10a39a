/* Unit tests: vault/http/http_slots.c, the in-flight slots shared fairly between addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "http/http_slots.h"

static void
key_of(uint8_t key[HTTP_SLOT_KEY_SIZE], uint8_t last)
{
	memset(key, 0, HTTP_SLOT_KEY_SIZE);
	key[10] = key[11] = 0xff;
	key[12] = 127;
	key[15] = last;
}

/* One address fills max - reserve slots (48 of 64) and no more. */
static void
test_one_address_leaves_the_reserve(void **state)
{
	struct http_slots s;
	uint8_t a[HTTP_SLOT_KEY_SIZE], b[HTTP_SLOT_KEY_SIZE];
	unsigned i, got = 0;

	(void)state;
	key_of(a, 1);
	key_of(b, 2);
	assert_int_equal(http_slots_init(&s, 64, 1), 0);
	for (i = 0; i < 100; i++)
		if (http_slots_take(&s, a) == 0)
			got++;
	assert_int_equal(got, 48);
	assert_int_equal(http_slots_used(&s), 48);
	assert_true(s.over_share > 0);
	/* Another address still finds slots: up to its share of 16, all of the reserve. */
	for (i = 0, got = 0; i < 100; i++)
		if (http_slots_take(&s, b) == 0)
			got++;
	assert_int_equal(got, 16);
	assert_int_equal(http_slots_used(&s), 64);
	/* Full: even an address that holds nothing is refused. */
	key_of(b, 3);
	assert_int_not_equal(http_slots_take(&s, b), 0);
	assert_true(s.full > 0);
	http_slots_destroy(&s);
}

/* Slots given back are taken again; an address's count follows its takes and gives. */
static void
test_give_back(void **state)
{
	struct http_slots s;
	uint8_t a[HTTP_SLOT_KEY_SIZE], b[HTTP_SLOT_KEY_SIZE];
	unsigned i;

	(void)state;
	key_of(a, 1);
	key_of(b, 2);
	assert_int_equal(http_slots_init(&s, 8, 1), 0);  /* share 2, reserve 2 */
	for (i = 0; i < 6; i++)
		assert_int_equal(http_slots_take(&s, a), 0);
	assert_int_not_equal(http_slots_take(&s, a), 0);
	assert_int_equal(http_slots_take(&s, b), 0);
	assert_int_equal(http_slots_take(&s, b), 0);
	assert_int_not_equal(http_slots_take(&s, b), 0);  /* b has its share, the pool the rest */
	http_slots_give(&s, a);
	assert_int_equal(http_slots_used(&s), 7);
	assert_int_not_equal(http_slots_take(&s, a), 0);  /* a is at its share, and 7 >= 8 - 2 */
	http_slots_give(&s, b);
	http_slots_give(&s, b);
	assert_int_equal(http_slots_take(&s, a), 0);      /* 5 in use: under max - reserve again */
	for (i = 0; i < 6; i++)
		http_slots_give(&s, a);
	assert_int_equal(http_slots_used(&s), 0);
	/* Every entry is free again: eight new addresses take one each. */
	for (i = 0; i < 8; i++) {
		key_of(a, (uint8_t)(10 + i));
		assert_int_equal(http_slots_take(&s, a), 0);
	}
	assert_int_equal(http_slots_used(&s), 8);
	http_slots_destroy(&s);
}

/* The unix socket's pool has no addresses: one peer may take all of it. */
static void
test_pool_without_addresses(void **state)
{
	struct http_slots s;
	unsigned i;

	(void)state;
	assert_int_equal(http_slots_init(&s, 5, 0), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(http_slots_take(&s, NULL), 0);
	assert_int_not_equal(http_slots_take(&s, NULL), 0);
	http_slots_give(&s, NULL);
	assert_int_equal(http_slots_take(&s, NULL), 0);
	http_slots_destroy(&s);
	assert_int_not_equal(http_slots_init(&s, 0, 1), 0);
}

/* Tiny pools (tests use requests_inflight_max = 2) work without a reserve. */
static void
test_tiny_pool(void **state)
{
	struct http_slots s;
	uint8_t a[HTTP_SLOT_KEY_SIZE];

	(void)state;
	key_of(a, 1);
	assert_int_equal(http_slots_init(&s, 2, 1), 0);
	assert_int_equal(http_slots_take(&s, a), 0);
	assert_int_equal(http_slots_take(&s, a), 0);
	assert_int_not_equal(http_slots_take(&s, a), 0);
	http_slots_destroy(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_address_leaves_the_reserve),
		cmocka_unit_test(test_give_back),
		cmocka_unit_test(test_pool_without_addresses),
		cmocka_unit_test(test_tiny_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
