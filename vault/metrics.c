/* PLACEHOLDER until the HTTP work lands: owned by the HTTP engineer. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

struct metrics { int unused; };

int metrics_new(struct metrics **out) { *out = calloc(1, sizeof(**out)); return *out ? 0 : -1; }
void metrics_free(struct metrics *m) { free(m); }
void metrics_observe_request(struct metrics *m, const char *route, unsigned status, double seconds) { (void)m; (void)route; (void)status; (void)seconds; }
void metrics_observe_hsm(struct metrics *m, double seconds) { (void)m; (void)seconds; }
void metrics_count_lockout(struct metrics *m) { (void)m; }
char *metrics_render(struct metrics *m) { (void)m; return strdup(""); }
