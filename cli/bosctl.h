/* bosctl: shared declarations of the command modules. */
#ifndef BOS_BOSCTL_H
#define BOS_BOSCTL_H

#define BOSCTL_EXIT_OK 0
#define BOSCTL_EXIT_FAIL 1
#define BOSCTL_EXIT_USAGE 2

int bosctl_cmd_init(int argc, char **argv);
int bosctl_cmd_cred(int argc, char **argv);

/* Print "bosctl: error: MSG" to stderr and return BOSCTL_EXIT_FAIL. */
int bosctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
