/*
 * Random public identifiers: a type prefix and lowercase RFC 4648 base32 of
 * fresh CSPRNG bits ("cr_", "ad_", "hl_", "acc_" ...). Unguessable, safe in
 * URLs, logs and file names, and never secret.
 */
#ifndef BOS_RANDID_H
#define BOS_RANDID_H

#include <stddef.h>
#include "compiler.h"

/* prefix + chars base32 characters (5 random bits each) + NUL into out. 0 or -1. */
int randid_new(const char *prefix, size_t chars, char *out, size_t cap) BOS_WUR;

/* 1 when s is exactly prefix followed by chars lowercase base32 characters. */
int randid_valid(const char *s, const char *prefix, size_t chars);

#endif
