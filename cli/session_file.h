/*
 * The admin's session on disk, so that one 'bosctl login' serves the
 * commands that follow: $XDG_RUNTIME_DIR/bos/session when XDG_RUNTIME_DIR is
 * set (a tmpfs that goes away at log out), else ~/.config/bos/session.
 *
 * The directory is 0700 and the file 0600, written to a fresh O_EXCL file
 * and renamed into place, so a reader never sees half a file. A session file
 * that is not a regular file, not ours, or readable by group or others is
 * refused with the command that fixes it. The token is never taken from the
 * environment: environments leak (ps e, /proc/PID/environ, crash reports).
 *
 * Format: one JSON object, {"name":"alice","session":"bos_s_..."}.
 */
#ifndef BOS_SESSION_FILE_H
#define BOS_SESSION_FILE_H

#include <stddef.h>
#include "compiler.h"
#include "err.h"

#define SESSION_FILE_MAX 4096
#define SESSION_NAME_MAX 128

struct session_file {
	char name[SESSION_NAME_MAX + 1]; /* the admin's name */
	char *token;                     /* "bos_s_..."; wiped by session_file_clear */
	size_t token_size;
};

/* The session file's path into out (n bytes). */
int session_file_path(char *out, size_t n, struct bos_err *err) BOS_WUR;

/* Store name and token, replacing any previous session file. */
int session_file_save(const char *name, const char *token, struct bos_err *err) BOS_WUR;

/*
 * Load the session. Returns 0 when loaded, 1 when there is no session file,
 * -1 on error (including a file with unsafe ownership or mode).
 */
int session_file_load(struct session_file *s, struct bos_err *err) BOS_WUR;

/* Delete the session file. Returns 0 when deleted, 1 when there was none, -1 on error. */
int session_file_remove(struct bos_err *err) BOS_WUR;

/* Wipe and release the token. Safe on a zeroed struct. */
void session_file_clear(struct session_file *s);

#endif
