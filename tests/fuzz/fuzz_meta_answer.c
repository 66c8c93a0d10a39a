/*
 * libFuzzer target: what bos-broker reads from Meta (broker/conn_meta.c) and
 * from the vault's ad (meta_ad_parse). The input is an answer's body (and,
 * NUL-terminated, an X-Business-Use-Case-Usage header and the vault's ad):
 * an id kept is 1-32 digits, a spend kept is of Meta's form and a currency
 * 3 capitals, a wait is 0-300 s, an error text printable, bounded and
 * without a number of 8 digits or more, and an ad that parses builds
 * requests of unreserved bytes, '%', '&' and '=' only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fm_check_classify(const char *body, size_t size, const char *usage)
{
	static const long statuses[] = { 200, 302, 400, 401, 403, 404, 429, 500, 503 };
	struct verify_result r;
	size_t i, k;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.status = statuses[i];
		r.retry_after = (long)(size % 400);
		meta_classify(body, size, usage, &r);
		if (r.retry_after < 0 || (r.outcome == VERIFY_RETRY && r.retry_after > META_RETRY_MAX))
			__builtin_trap();
		if (r.outcome != VERIFY_RETRY && r.retry_after != 0)
			__builtin_trap();
		for (k = 0; r.error[k] != '\0'; k++)
			if ((unsigned char)r.error[k] < 0x20 || (unsigned char)r.error[k] >= 0x7f)
				__builtin_trap();
		if (k >= sizeof(r.error))
			__builtin_trap();
	}
}

static void
fm_check_form(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%&=",
		    b->data[i]) == NULL || b->data[i] == '\0')
			__builtin_trap();
}

static void
fm_check_ad(const char *s, size_t size)
{
	json_t *j = json_loadb(s, size, 0, NULL);
	struct meta_ad ad;
	struct bos_err err;
	struct buf b;
	char path[512];
	int o;

	if (j == NULL)
		return;
	if (meta_ad_parse(j, &ad, &err) == 0) {
		for (o = 0; o < META_OBJECTS; o++) {
			buf_init_grow(&b, META_FORM_MAX);
			if (meta_form_create(&ad, (enum meta_object)o, &b) == 0)
				fm_check_form(&b);
			else if (o == META_CAMPAIGN || o == META_CREATIVE)
				__builtin_trap();   /* they need nothing but the ad */
			buf_free(&b);
			if (meta_path_create(&ad, (enum meta_object)o, path, sizeof(path)) != 0 ||
			    strchr(path, '?') != NULL || strstr(path, "..") != NULL)
				__builtin_trap();
		}
	}
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char id[META_ID_MAX], spend[META_SPEND_MAX], cur[4];
	struct meta_error e;
	char *z;
	long w;
	int r;
	size_t k, run;

	if (meta_answer_id(body, size, id) == 0 && !meta_id_ok(id))
		__builtin_trap();
	r = meta_answer_insights(body, size, "2026-12-07", spend, cur);
	if (r == 0 && (!meta_spend_ok(spend) || strlen(cur) != 3 ||
	    strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		__builtin_trap();
	if (r == 1 && strcmp(spend, "0") != 0)
		__builtin_trap();
	if (meta_answer_error(body, size, &e) == 1)
		for (k = 0, run = 0; e.message[k] != '\0'; k++) {
			if ((unsigned char)e.message[k] < 0x20 || (unsigned char)e.message[k] >= 0x7f)
				__builtin_trap();
			/* No number of 8 digits or more is passed on (the vault's card check). */
			run = e.message[k] >= '0' && e.message[k] <= '9' ? run + 1 : 0;
			if (run >= 8)
				__builtin_trap();
		}
	(void)meta_answer_success(body, size);
	if ((z = malloc(size + 1)) == NULL)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	w = meta_usage_retry_after(z);
	if (w < 0 || w > META_RETRY_MAX || w % 60 != 0)
		__builtin_trap();
	fm_check_classify(body, size, z);
	fm_check_ad(body, size);
	free(z);
	return 0;
}
