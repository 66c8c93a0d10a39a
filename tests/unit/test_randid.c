/* Unit tests: common/randid.c, random public identifiers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "randid.h"

static void
test_shape_and_validity(void **state)
{
	char a[64], b[64];

	(void)state;
	assert_int_equal(randid_new("cr_", 26, a, sizeof(a)), 0);
	assert_int_equal(strlen(a), 29);
	assert_true(randid_valid(a, "cr_", 26));
	assert_false(randid_valid(a, "hl_", 26));   /* wrong prefix */
	assert_false(randid_valid(a, "cr_", 25));   /* wrong length */
	assert_int_equal(randid_new("cr_", 26, b, sizeof(b)), 0);
	assert_string_not_equal(a, b);              /* fresh randomness each time */
	a[5] = 'A';                                 /* uppercase is not base32 here */
	assert_false(randid_valid(a, "cr_", 26));
	a[5] = '1';                                 /* nor is 1 */
	assert_false(randid_valid(a, "cr_", 26));
	assert_false(randid_valid(NULL, "cr_", 26));
}

static void
test_refuses_small_buffers(void **state)
{
	char a[29];

	(void)state;
	assert_int_not_equal(randid_new("cr_", 26, a, sizeof(a)), 0); /* needs 30 with NUL */
	assert_int_not_equal(randid_new("cr_", 0, a, sizeof(a)), 0);
	assert_int_not_equal(randid_new("cr_", 1000, a, sizeof(a)), 0);
}

static void
test_all_characters_appear(void **state)
{
	char id[64], seen[32] = { 0 };
	const char *b32 = "abcdefghijklmnopqrstuvwxyz234567";
	int i, j, n = 0;

	(void)state;
	/* 200 ids x 26 characters: every one of the 32 symbols shows up (else biased). */
	for (i = 0; i < 200; i++) {
		assert_int_equal(randid_new("x_", 26, id, sizeof(id)), 0);
		for (j = 2; j < 28; j++)
			seen[strchr(b32, id[j]) - b32] = 1;
	}
	for (i = 0; i < 32; i++)
		n += seen[i];
	assert_int_equal(n, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_and_validity),
		cmocka_unit_test(test_refuses_small_buffers),
		cmocka_unit_test(test_all_characters_appear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
