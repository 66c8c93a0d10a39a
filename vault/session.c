/* PLACEHOLDER until the sign-in work lands: owned by the auth engineer. */
#include "session.h"

#include <stdlib.h>

struct sessions { int unused; };

int sessions_new(struct sessions **out, unsigned idle_s, unsigned absolute_s) { (void)idle_s; (void)absolute_s; *out = calloc(1, sizeof(**out)); return *out ? 0 : -1; }
void sessions_free(struct sessions *s) { free(s); }
