/*
 * The null sandbox, for sanitizer and fuzz builds (SAN=1, FUZZ=1): ASan,
 * UBSan and libFuzzer make system calls of their own (reading /proc, writing
 * reports, symbolizing with a forked llvm-symbolizer) that no allow-list of
 * ours should carry. It keeps the rlimits and no new privileges; the filter
 * is tested in the plain build.
 */
#include "sandbox.h"
#include "sandbox_impl.h"

const char *
sandbox_kind(void)
{
	return "null";
}

int
sandbox_enter(enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
{
	(void)a;
	return sandbox_limits(p, err);
}
