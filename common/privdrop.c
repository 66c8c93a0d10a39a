/* Dropping root to the configured user and group; see privdrop.h. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Big enough for any sane passwd or group entry; larger ones are refused. */
#define PRIVDROP_NSS_BUF 16384

int
privdrop_is_root(void)
{
	uid_t r, e, s;

	if (getresuid(&r, &e, &s) != 0)
		return 1;   /* cannot tell: assume the worst */
	return r == 0 || e == 0 || s == 0;
}

/* The uid and primary gid of user. */
static int
privdrop_lookup_user(const char *user, uid_t *uid, gid_t *gid, struct bos_err *err)
{
	struct passwd pw, *res = NULL;
	char *buf;
	int r;

	if ((buf = malloc(PRIVDROP_NSS_BUF)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory looking up user '%s'", user);
	r = getpwnam_r(user, &pw, buf, PRIVDROP_NSS_BUF, &res);
	if (r == 0 && res != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
	}
	free(buf);
	if (r != 0)
		return bos_err_set(err, BOS_E_IO, "cannot look up user '%s': %s", user, strerror(r));
	if (res == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "no user '%s' here; create it first "
		    "(docs/DEPLOY.md)", user);
	return 0;
}

static int
privdrop_lookup_group(const char *group, gid_t *gid, struct bos_err *err)
{
	struct group gr, *res = NULL;
	char *buf;
	int r;

	if ((buf = malloc(PRIVDROP_NSS_BUF)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory looking up group '%s'", group);
	r = getgrnam_r(group, &gr, buf, PRIVDROP_NSS_BUF, &res);
	if (r == 0 && res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	if (r != 0)
		return bos_err_set(err, BOS_E_IO, "cannot look up group '%s': %s", group, strerror(r));
	if (res == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "no group '%s' here", group);
	return 0;
}

/* Every id is the target, no supplementary group is left, root cannot come back. */
static int
privdrop_verify(uid_t uid, gid_t gid, struct bos_err *err)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot read the process ids: %s", strerror(errno));
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return bos_err_set(err, BOS_E_IO, "after the drop the ids are uid %u/%u/%u gid "
		    "%u/%u/%u, not %u/%u", (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg,
		    (unsigned)eg, (unsigned)sg, (unsigned)uid, (unsigned)gid);
	if (getgroups(0, NULL) != 0)
		return bos_err_set(err, BOS_E_IO, "supplementary groups are left after the drop");
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 || setegid(0) == 0)
		return bos_err_set(err, BOS_E_IO, "root could be regained after the drop");
	return 0;
}

int
privdrop_to(const char *user, const char *group, struct bos_err *err)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int dumpable;

	if (!privdrop_is_root())
		return 0;
	if (user == NULL || user[0] == '\0')
		return bos_err_set(err, BOS_E_CONFIG, "refusing to run as root: name the user to "
		    "run as (--user), or start the service under systemd with User=");
	if (privdrop_lookup_user(user, &uid, &gid, err) != 0)
		return -1;
	if (group != NULL && group[0] != '\0' && privdrop_lookup_group(group, &gid, err) != 0)
		return -1;
	if (uid == 0 || gid == 0)
		return bos_err_set(err, BOS_E_CONFIG, "refusing to run as user '%s' (uid %u, gid %u): "
		    "root is not a drop", user, (unsigned)uid, (unsigned)gid);
	/*
	 * A change of credentials resets the dumpable flag to the sysctl
	 * fs.suid_dumpable; a process that made itself undumpable stays so.
	 */
	dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	/* Groups first: once the uid is gone, they can no longer be changed. */
	if (setgroups(0, NULL) != 0)
		return bos_err_set(err, BOS_E_IO, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) != 0)
		return bos_err_set(err, BOS_E_IO, "setresgid(%u): %s", (unsigned)gid, strerror(errno));
	if (setresuid(uid, uid, uid) != 0)
		return bos_err_set(err, BOS_E_IO, "setresuid(%u): %s", (unsigned)uid, strerror(errno));
	if (dumpable == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot keep the process undumpable: %s",
		    strerror(errno));
	/* No set-uid program run later (by us or by an attacker) gives root back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot set no_new_privs: %s", strerror(errno));
	return privdrop_verify(uid, gid, err);
}
