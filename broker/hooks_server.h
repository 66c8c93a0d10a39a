/*
 * The hooks listener of bos-broker outreach (docs/OUTREACH.md "The outreach
 * broker"): HTTPS (libmicrohttpd with GnuTLS, TLS 1.2 or 1.3) on
 * hooks_listen, for the providers' webhooks and the tracking links. The
 * socket is bound and listening, the certificate and key read, before the
 * sandbox (hooks_server_prepare); the daemon's one thread is started after
 * Landlock and before seccomp (hooks_server_start), so it inherits both and
 * the filter only needs accept4 on that socket. Requests are parsed by the
 * pure parsers of hooks.h and forwarded on a vault link of its own.
 */
#ifndef BOS_HOOKS_SERVER_H
#define BOS_HOOKS_SERVER_H

#include "broker_config.h"
#include "compiler.h"
#include "err.h"
#include "vault_link.h"

struct hooks_server;

/* Bind and listen on c->hooks_listen, read the certificate, key and SendGrid key. */
int hooks_server_prepare(const struct broker_config *c, struct hooks_server **out,
    struct bos_err *err) BOS_WUR;

/* The listening socket (the sandbox's accept4 rule names it). */
int hooks_server_fd(const struct hooks_server *s);

/* Start serving; vl is the listener's own vault link (it takes it). */
int hooks_server_start(struct hooks_server *s, struct vault_link *vl, struct bos_err *err) BOS_WUR;

/* Stop serving (waits for the request in progress), wipe the key, free. */
void hooks_server_free(struct hooks_server *s);

#endif
