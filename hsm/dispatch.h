/*
 * bos-hsmd's request loop: one table of message types, each with the modes
 * that permit it and its payload size bounds. Unknown, unpermitted,
 * oversized or malformed requests end the process (HSM_EXIT_PROTOCOL);
 * a request that is well-formed but fails gets an ERR answer.
 */
#ifndef BOS_HSM_DISPATCH_H
#define BOS_HSM_DISPATCH_H

#include "compiler.h"
#include "hsmd.h"

/* Serve until EOF (returns HSM_EXIT_OK) or a protocol error (HSM_EXIT_PROTOCOL). */
int dispatch_serve(struct hsmd *d) BOS_WUR;

#endif
