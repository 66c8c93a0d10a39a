/*
 * Admin sessions, kept in memory only: a restart signs everyone out. A
 * session token "bos_s_..." is shown to the client once; the table keeps its
 * SHA-256 only. Idle and absolute timeouts use CLOCK_MONOTONIC, so stepping
 * the wall clock changes neither.
 */
#ifndef BOS_SESSION_H
#define BOS_SESSION_H

#include "compiler.h"
#include "err.h"

struct sessions;

int sessions_new(struct sessions **out, unsigned idle_s, unsigned absolute_s) BOS_WUR;
void sessions_free(struct sessions *s);

#endif
