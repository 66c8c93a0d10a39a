/*
 * The null sandbox, for sanitizer and fuzz builds (SAN=1, FUZZ=1): ASan,
 * UBSan and libFuzzer make system calls of their own (reading /proc, writing
 * reports, symbolizing with a forked llvm-symbolizer) that no allow-list of
 * ours should carry. It keeps the rlimits and no new privileges; the filter
 * and the path confinement (Landlock would refuse the runtimes' reads of
 * /proc and their reports) are tested in the plain build.
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

const char *
sandbox_paths_kind(void)
{
	return "none (null sandbox)";
}

int
sandbox_paths_confined(void)
{
	return 0;
}

int
sandbox_paths_available(void)
{
	return 1;
}

int
sandbox_enter_paths(enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
{
	(void)p;
	(void)a;
	(void)err;
	return 0;
}
