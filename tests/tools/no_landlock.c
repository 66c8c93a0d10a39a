/*
 * no_landlock ENOSYS|EOPNOTSUPP PROGRAM [ARGS...]: run PROGRAM as on a kernel
 * without Landlock (ENOSYS: not built in; EOPNOTSUPP: built in but disabled
 * at boot), for tests/integration/t_sandbox.sh. A seccomp filter answers the
 * three Landlock calls with that errno and allows everything else; it is
 * inherited across exec and by every child (bos-vaultd's bos-hsmd too), and
 * the programs' own filters stack on it. No test switch in the product: the
 * daemons see what they would see on such a kernel.
 *
 * Plain BPF, not libseccomp, so that it also builds in sanitizer trees.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NL_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NL_ARCH AUDIT_ARCH_AARCH64
#else
#error "no_landlock: no audit architecture for this CPU"
#endif

/* Same numbers on every architecture; Debian 12's headers may lack the names. */
#define NL_CREATE_RULESET 444
#define NL_ADD_RULE 445
#define NL_RESTRICT_SELF 446

int
main(int argc, char **argv)
{
	int e;

	if (argc < 3 || (strcmp(argv[1], "ENOSYS") != 0 && strcmp(argv[1], "EOPNOTSUPP") != 0)) {
		fprintf(stderr, "usage: no_landlock ENOSYS|EOPNOTSUPP PROGRAM [ARGS...]\n");
		return 2;
	}
	e = strcmp(argv[1], "ENOSYS") == 0 ? ENOSYS : EOPNOTSUPP;
	{
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NL_ARCH, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NL_CREATE_RULESET, 3, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NL_ADD_RULE, 2, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NL_RESTRICT_SELF, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)e),
		};
		struct sock_fprog prog = { (unsigned short)(sizeof(f) / sizeof(f[0])), f };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
			perror("no_landlock: cannot install the filter");
			return 3;
		}
	}
	execvp(argv[2], argv + 2);
	perror("no_landlock: exec");
	return 127;
}
