/* libFuzzer target: bos.conf line parser (vault/core/config.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct bos_err err;
	char *line;

	if (size > 4096)
		return 0;
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	config_defaults(&c);
	if (config_parse_line(&c, "/state", line, &err) == 0) {
		/* Accepted values always fit their fields. */
		if (strlen(c.token_label) >= sizeof(c.token_label) || c.audit_key_version == 0)
			__builtin_trap();
	}
	free(line);
	return 0;
}
