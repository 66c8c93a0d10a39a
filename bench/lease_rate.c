/*
 * make bench: leases per second over the vault's unix socket, as brokers
 * take them (docs/BROKERS.md "Leases").
 *
 *   lease_rate SOCKET TOKEN_FILE BODY_FILE THREADS SECONDS
 *
 * THREADS threads, each with its own keep-alive connection, POST /leases
 * with BODY_FILE (the same job and credential: a job may carry any number of
 * leases while its claim lives) in a closed loop for SECONDS. Each lease is
 * an audit record made durable before the secret leaves, so this is the
 * durable-read path over the socket. Prints
 * {"rate":N,"requests":N,"errors":N,"threads":N,"p50_ms":X,"p99_ms":X}.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

#define LR_THREADS_MAX 64
#define LR_SAMPLES_MAX (1u << 20)

struct lr_ctx {
	const char *sock;
	const char *auth;
	const char *body;
	double until;
	double *lat;          /* this thread's latencies, ms */
	size_t n, cap;
	unsigned long errors;
};

static size_t
lr_sink(char *p, size_t s, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return s * n;
}

static void *
lr_main(void *arg)
{
	struct lr_ctx *c = arg;
	struct curl_slist *h = NULL;
	CURL *e = curl_easy_init();
	long code = 0;
	double t0;

	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, c->auth);
	curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->sock);
	curl_easy_setopt(e, CURLOPT_URL, "http://vault/leases");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, lr_sink);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	while ((t0 = bench_now_ms()) < c->until * 1e3) {
		if (curl_easy_perform(e) != CURLE_OK ||
		    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 201) {
			c->errors++;
			continue;
		}
		if (c->n < c->cap)
			c->lat[c->n++] = bench_now_ms() - t0;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return NULL;
}

static char *
lr_read(const char *path)
{
	FILE *f = fopen(path, "re");
	char *b = calloc(1, 65536);
	size_t n;

	if (f == NULL || b == NULL) {
		if (f != NULL)
			fclose(f);
		free(b);
		return NULL;
	}
	n = fread(b, 1, 65535, f);
	fclose(f);
	while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
		b[--n] = '\0';
	return b;
}

int
main(int argc, char **argv)
{
	struct lr_ctx c[LR_THREADS_MAX];
	pthread_t t[LR_THREADS_MAX];
	char auth[512], *tok, *body;
	double start, secs, *all;
	size_t total = 0, k = 0;
	unsigned long errors = 0;
	int nt, i;

	if (argc != 6 || (nt = (int)strtol(argv[4], NULL, 10)) < 1 || nt > LR_THREADS_MAX ||
	    (secs = strtod(argv[5], NULL)) <= 0 || secs > 600) {
		fprintf(stderr, "usage: lease_rate SOCKET TOKEN_FILE BODY_FILE THREADS SECONDS\n");
		return 2;
	}
	if ((tok = lr_read(argv[2])) == NULL || (body = lr_read(argv[3])) == NULL ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	start = bench_now_s();
	for (i = 0; i < nt; i++) {
		c[i] = (struct lr_ctx){ argv[1], auth, body, start + secs, NULL, 0, LR_SAMPLES_MAX, 0 };
		if ((c[i].lat = malloc(LR_SAMPLES_MAX * sizeof(double))) == NULL ||
		    pthread_create(&t[i], NULL, lr_main, &c[i]) != 0)
			return 1;
	}
	for (i = 0; i < nt; i++) {
		pthread_join(t[i], NULL);
		total += c[i].n;
		errors += c[i].errors;
	}
	secs = bench_now_s() - start;
	if ((all = malloc((total + 1) * sizeof(double))) == NULL)
		return 1;
	for (i = 0; i < nt; i++) {
		memcpy(all + k, c[i].lat, c[i].n * sizeof(double));
		k += c[i].n;
		free(c[i].lat);
	}
	qsort(all, total, sizeof(double), bench_cmp_double);
	printf("{\"rate\":%.1f,\"requests\":%zu,\"errors\":%lu,\"threads\":%d,\"p50_ms\":%.3f,"
	    "\"p99_ms\":%.3f}\n", (double)total / secs, total, errors, nt,
	    total > 0 ? all[total / 2] : 0.0, total > 0 ? all[(total * 99) / 100] : 0.0);
	free(all);
	free(tok);
	free(body);
	curl_global_cleanup();
	return total > 0 && errors == 0 ? 0 : 1;
}
