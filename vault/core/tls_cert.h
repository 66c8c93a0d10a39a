/*
 * TLS material of the HTTPS listener. In development the first start makes a
 * self-signed EC P-256 certificate for 127.0.0.1/localhost in DIR/tls/
 * (key mode 0600); production points tls_cert/tls_key at real files.
 */
#ifndef BOS_TLS_CERT_H
#define BOS_TLS_CERT_H

#include <stddef.h>
#include "compiler.h"
#include "core/config.h"
#include "err.h"

#define TLS_DIR "tls"
#define TLS_CERT_FILE "tls/cert.pem"
#define TLS_KEY_FILE "tls/key.pem"

/*
 * Load the PEM certificate and key named by c (or DIR/tls/ when empty).
 * create: make the self-signed pair first when DIR/tls/ has none (bosctl
 * init --dev does this; bos-vaultd itself only loads).
 * *cert_pem and *key_pem are malloc'd; free the key with secmem_freezero.
 */
int tls_cert_load(const char *state_dir, const struct config *c, int create, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, struct bos_err *err) BOS_WUR;

#endif
