/* bosctl: shared declarations of the command modules. */
#ifndef BOS_BOSCTL_H
#define BOS_BOSCTL_H

#define BOSCTL_EXIT_OK 0
#define BOSCTL_EXIT_FAIL 1
#define BOSCTL_EXIT_USAGE 2

/* The options of 'bosctl cred', shared by the local and the API implementations. */
struct cred_opts {
	const char *dir, *name, *type, *service, *metadata, *target;
	int json, reveal;
	unsigned long version;
};

int bosctl_cmd_init(int argc, char **argv);
int bosctl_cmd_cred(int argc, char **argv);
int bosctl_cmd_admin(int argc, char **argv);
int bosctl_cmd_login(int argc, char **argv);
int bosctl_cmd_logout(int argc, char **argv);

/*
 * 'bosctl cred SUB' over the vault's API (no state directory given).
 * Returns an exit status.
 */
int bosctl_cred_api(const char *sub, const struct cred_opts *o);

/* Print "bosctl: error: MSG" to stderr and return BOSCTL_EXIT_FAIL. */
int bosctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
