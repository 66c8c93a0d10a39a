/*
 * What both sandbox implementations share: the profile names and the
 * resource limits and no-new-privileges bit every profile gets, filter or
 * not (sandbox_null.c applies only these).
 */
#include "sandbox.h"
#include "sandbox_impl.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

const char *
sandbox_profile_name(enum sandbox_profile p)
{
	switch (p) {
	case SANDBOX_VAULT: return "vault";
	case SANDBOX_HSMD: return "hsmd";
	case SANDBOX_BROKER: return "broker";
	}
	return "unknown";
}

/*
 * No core file, ever (secmem_harden_process set this at start; a profile
 * must not depend on it). RLIMIT_NPROC is left alone on purpose: it counts
 * the threads of the whole uid, so it cannot stop a thread-per-connection
 * server from forking without also stopping it from serving; the filter's
 * clone rule does that instead. RLIMIT_FSIZE is left alone too: the vault
 * writes its database and SoftHSM rewrites token files.
 */
int
sandbox_limits(enum sandbox_profile p, struct bos_err *err)
{
	struct rlimit zero = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &zero) != 0)
		return bos_err_set(err, BOS_E_IO, "sandbox %s: cannot set RLIMIT_CORE to 0: %s",
		    sandbox_profile_name(p), strerror(errno));
	/* Also what seccomp_load needs to install a filter without CAP_SYS_ADMIN. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return bos_err_set(err, BOS_E_IO, "sandbox %s: cannot set no-new-privileges: %s",
		    sandbox_profile_name(p), strerror(errno));
	return 0;
}
