/*
 * Tokens given to bosctl (token_input.c): the offline format check and the
 * loading from an argument, standard input or a file. Prints nothing.
 */
#ifndef BOS_TOKEN_INPUT_H
#define BOS_TOKEN_INPUT_H

#include <stddef.h>
#include "compiler.h"
#include "err.h"
#include "token.h"

/*
 * bosctl_token_examine: 0 when s is a well-formed BOS
 * token (prefix, type, length, characters, checksum), its type in *type;
 * else -1 and what is wrong in err, never quoting the token.
 */
int bosctl_token_examine(const char *s, enum token_type *type, struct bos_err *err) BOS_WUR;
/* "helper token", "admin session token", "broker token". */
const char *bosctl_token_kind(enum token_type t);

enum bosctl_token_from { BOSCTL_TOKEN_ARG, BOSCTL_TOKEN_FILE };

/*
 * Load a token into *out (malloc'd, *size bytes; release with
 * secmem_freezero): from = BOSCTL_TOKEN_ARG takes arg itself, or one line of
 * standard input (a prompt with echo off on a terminal) when arg is "-";
 * BOSCTL_TOKEN_FILE reads the file arg, which must be a regular file of
 * ours that group and others cannot access. Surrounding white space is
 * dropped. The token is not checked here.
 */
int bosctl_token_load(enum bosctl_token_from from, const char *arg, char **out, size_t *size,
    struct bos_err *err) BOS_WUR;

#endif
