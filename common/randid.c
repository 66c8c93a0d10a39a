/* Random public identifiers; see randid.h. */
#include "randid.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <string.h>
#include "secmem.h"

#define RANDID_MAX_CHARS 64

static const char randid_b32[] = "abcdefghijklmnopqrstuvwxyz234567";

int
randid_new(const char *prefix, size_t chars, char *out, size_t cap)
{
	uint8_t rnd[RANDID_MAX_CHARS * 5 / 8 + 1];
	size_t plen = strlen(prefix), nbytes = (chars * 5 + 7) / 8, i, bit;
	unsigned v;

	if (chars == 0 || chars > RANDID_MAX_CHARS || plen + chars + 1 > cap ||
	    RAND_bytes(rnd, (int)nbytes) != 1)
		return -1;
	memcpy(out, prefix, plen);
	for (i = 0; i < chars; i++) {
		bit = i * 5;
		v = (unsigned)rnd[bit / 8] << 8;
		if (bit / 8 + 1 < nbytes)
			v |= rnd[bit / 8 + 1];
		out[plen + i] = randid_b32[(v >> (11 - bit % 8)) & 31];
	}
	out[plen + chars] = '\0';
	secmem_wipe(rnd, sizeof(rnd));
	return 0;
}

int
randid_valid(const char *s, const char *prefix, size_t chars)
{
	size_t plen = strlen(prefix), i;

	if (s == NULL || strnlen(s, plen + chars + 1) != plen + chars ||
	    strncmp(s, prefix, plen) != 0)
		return 0;
	for (i = plen; i < plen + chars; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7')))
			return 0;
	return 1;
}
