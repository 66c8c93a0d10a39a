/* The session file; see session_file.h. */
#include "session_file.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "json_alloc.h"
#include "secmem.h"

#define SESSION_DIR_NAME "bos"
#define SESSION_FILE_NAME "session"

/* Fill parent (may be empty) and dir: the directory that holds the session file. */
static int
session_dirs(char *parent, char *dir, size_t n, struct bos_err *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	struct passwd *pw;
	int k;

	parent[0] = '\0';
	if (xdg != NULL && xdg[0] == '/') {
		k = snprintf(dir, n, "%s/%s", xdg, SESSION_DIR_NAME);
		return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID,
		    "XDG_RUNTIME_DIR is too long") : 0;
	}
	if ((home == NULL || home[0] != '/') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return bos_err_set(err, BOS_E_CONFIG, "cannot find a place for the session file: "
		    "set XDG_RUNTIME_DIR or HOME");
	k = snprintf(parent, n, "%s/.config", home);
	if (k < 0 || (size_t)k >= n)
		return bos_err_set(err, BOS_E_INVALID, "HOME is too long");
	k = snprintf(dir, n, "%s/%s", parent, SESSION_DIR_NAME);
	return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID, "HOME is too long") : 0;
}

int
session_file_path(char *out, size_t n, struct bos_err *err)
{
	char parent[PATH_MAX], dir[PATH_MAX];
	int k;

	if (session_dirs(parent, dir, sizeof(dir), err) != 0)
		return -1;
	k = snprintf(out, n, "%s/%s", dir, SESSION_FILE_NAME);
	return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID,
	    "the session file's path is too long") : 0;
}

static int
session_mkdir(const char *dir, struct bos_err *err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

/* The session directory exists, is ours, and nobody else may enter it. */
static int
session_dir_ready(struct bos_err *err)
{
	char parent[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	if (session_dirs(parent, dir, sizeof(dir), err) != 0)
		return -1;
	if ((parent[0] != '\0' && session_mkdir(parent, err) != 0) || session_mkdir(dir, err) != 0)
		return -1;
	if (lstat(dir, &st) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot inspect %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return bos_err_set(err, BOS_E_CONFIG, "%s is not a directory of yours: remove it and "
		    "sign in again", dir);
	if ((st.st_mode & 077) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "%s is open to group or others (mode %04o): run "
		    "'chmod 700 %s' and sign in again", dir, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

static char *
session_encode(const char *name, const char *token)
{
	json_t *o = json_pack("{s:s, s:s}", "name", name, "session", token);
	char *text;

	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* Write text into a new 0600 file next to path, then rename it over path. */
static int
session_write_atomic(const char *path, const char *text, struct bos_err *err)
{
	char tmp[PATH_MAX];
	int fd, k;

	k = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (k < 0 || (size_t)k >= sizeof(tmp))
		return bos_err_set(err, BOS_E_INVALID, "the session file's path is too long");
	/* mkostemp opens with O_CREAT | O_EXCL and mode 0600. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s", tmp, strerror(errno));
	if (fchmod(fd, 0600) != 0 || io_write_full(fd, text, strlen(text)) != 0 ||
	    io_write_full(fd, "\n", 1) != 0 || fsync(fd) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		bos_err_set(err, BOS_E_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	return -1;
}

int
session_file_save(const char *name, const char *token, struct bos_err *err)
{
	char path[PATH_MAX], *text;
	int r;

	if (session_dir_ready(err) != 0 || session_file_path(path, sizeof(path), err) != 0)
		return -1;
	if ((text = session_encode(name, token)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "cannot encode the session");
	r = session_write_atomic(path, text, err);
	json_alloc_release(text);
	return r;
}

/* Only a regular file of ours that nobody else can read carries a usable token. */
static int
session_check_stat(const char *path, const struct stat *st, struct bos_err *err)
{
	if (!S_ISREG(st->st_mode))
		return bos_err_set(err, BOS_E_CONFIG, "the session file %s is not a regular file: "
		    "remove it ('rm %s') and sign in again", path, path);
	if (st->st_uid != getuid())
		return bos_err_set(err, BOS_E_CONFIG, "the session file %s belongs to uid %u, not to "
		    "you (uid %u): remove it ('rm %s') and sign in again", path,
		    (unsigned)st->st_uid, (unsigned)getuid(), path);
	if ((st->st_mode & 077) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "refusing the session file %s: group or others "
		    "may read it (mode %04o), so its token may have leaked: run 'chmod 600 %s' and "
		    "'bosctl logout', then sign in again", path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

static int
session_decode(const char *text, size_t len, struct session_file *s, struct bos_err *err)
{
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *token = json_string_value(json_object_get(o, "session"));
	int r = -1;

	if (name == NULL || token == NULL || strlen(name) > SESSION_NAME_MAX) {
		bos_err_set(err, BOS_E_CORRUPT, "the session file is damaged: run 'bosctl login "
		    "NAME' again");
		goto out;
	}
	s->token_size = strlen(token) + 1;
	if ((s->token = malloc(s->token_size)) == NULL) {
		s->token_size = 0;
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(s->token, token, s->token_size);
	memcpy(s->name, name, strlen(name) + 1);
	/* success */
	r = 0;
out:
	json_decref(o);
	return r;
}

static int
session_read_fd(int fd, const char *path, char *text, size_t cap, size_t *len,
    struct bos_err *err)
{
	size_t n = 0;
	ssize_t k;

	while (n < cap) {
		k = read(fd, text + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return bos_err_set(err, BOS_E_IO, "cannot read %s: %s", path, strerror(errno));
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n == cap)
		return bos_err_set(err, BOS_E_CORRUPT, "the session file %s is too large: remove it "
		    "and sign in again", path);
	*len = n;
	return 0;
}

int
session_file_load(struct session_file *s, struct bos_err *err)
{
	char path[PATH_MAX], text[SESSION_FILE_MAX];
	struct stat st;
	size_t len = 0;
	int fd, r = -1;

	memset(s, 0, sizeof(*s));
	if (session_file_path(path, sizeof(path), err) != 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 1;
		return bos_err_set(err, BOS_E_IO, "cannot open the session file %s: %s (remove it "
		    "and sign in again)", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot inspect %s: %s", path, strerror(errno));
		goto out;
	}
	if (session_check_stat(path, &st, err) != 0 ||
	    session_read_fd(fd, path, text, sizeof(text), &len, err) != 0 ||
	    session_decode(text, len, s, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	secmem_wipe(text, sizeof(text));
	(void)close(fd);
	return r;
}

int
session_file_remove(struct bos_err *err)
{
	char path[PATH_MAX];

	if (session_file_path(path, sizeof(path), err) != 0)
		return -1;
	if (unlink(path) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	return bos_err_set(err, BOS_E_IO, "cannot remove %s: %s", path, strerror(errno));
}

void
session_file_clear(struct session_file *s)
{
	secmem_freezero(s->token, s->token_size);
	memset(s, 0, sizeof(*s));
}
