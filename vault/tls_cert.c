/* PLACEHOLDER until the HTTP work lands: owned by the HTTP engineer. */
#include "tls_cert.h"

int
tls_cert_load(const char *state_dir, const struct config *c, int create, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, struct bos_err *err)
{
	(void)state_dir; (void)c; (void)create; (void)cert_pem; (void)cert_len; (void)key_pem; (void)key_len;
	return bos_err_set(err, BOS_E_CONFIG, "TLS is not implemented yet");
}
