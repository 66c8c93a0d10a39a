/* Errors; see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
bos_err_fill(struct bos_err *err, enum bos_err_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
bos_err_prefix(struct bos_err *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* A message cut short still starts with its context: acceptable. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
}

void
bos_err_clear(struct bos_err *err)
{
	if (err == NULL)
		return;
	err->code = BOS_OK;
	err->msg[0] = '\0';
}

const char *
bos_err_name(enum bos_err_code code)
{
	static const char *const names[] = {
		[BOS_OK] = "ok", [BOS_E_INVALID] = "invalid", [BOS_E_NOTFOUND] = "not_found",
		[BOS_E_EXISTS] = "exists", [BOS_E_AUTH] = "auth_failed", [BOS_E_CORRUPT] = "corrupt",
		[BOS_E_HSM] = "hsm", [BOS_E_DB] = "database", [BOS_E_IO] = "io",
		[BOS_E_NOMEM] = "no_memory", [BOS_E_CONFIG] = "config", [BOS_E_REVOKED] = "revoked",
		[BOS_E_BUSY] = "busy",
	};

	if ((unsigned)code >= BOS_ARRAY_LEN(names) || names[code] == NULL)
		return "unknown";
	return names[code];
}
