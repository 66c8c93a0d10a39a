/* Reading a secret from the terminal (no echo) or from standard input. */
#ifndef BOS_SECRET_INPUT_H
#define BOS_SECRET_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

#define SECRET_INPUT_MAX (64 * 1024)

/*
 * If standard input is a terminal, prompt on it with echo off (twice when
 * confirm is set); otherwise read standard input to its end. One trailing
 * newline is dropped. The result is malloc'd: release with secmem_freezero.
 */
int secret_input_read(const char *what, int confirm, uint8_t **out, size_t *len,
    struct bos_err *err) BOS_WUR;

#endif
