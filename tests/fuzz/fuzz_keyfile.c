/* libFuzzer target: the wrapped DB key file parser (vault/core/keyfile.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "hsm_proto.h"
#include "core/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t blob[HSM_BLOB_MAX];
	uint32_t v;
	size_t n;

	if (keyfile_parse(data, size, &v, blob, sizeof(blob), &n) == 0) {
		/* Whatever it accepts is exactly header + blob, nothing more. */
		if (size != 8 + 4 + 2 + n || v == 0 || n > sizeof(blob))
			__builtin_trap();
	}
	return 0;
}
