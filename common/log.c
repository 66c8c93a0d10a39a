/* Logging; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

/* The process's only logging state; set once at start. */
static struct {
	const char *prog;
	enum log_level min;
} log_ctx = { "bos", LOG_LVL_INFO };

void
log_init(const char *prog, enum log_level min)
{
	log_ctx.prog = prog;
	log_ctx.min = min;
}

static const char *
log_level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_DEBUG: return "debug";
	case LOG_LVL_INFO: return "info";
	case LOG_LVL_WARN: return "warning";
	default: return "error";
	}
}

/* Copy src into dst, escaping bytes outside printable ASCII as \xHH. */
static void
log_escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *src != '\0' && o + 5 < cap; src++) {
		unsigned char c = (unsigned char)*src;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			dst[o++] = (char)c;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	dst[o] = '\0';
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char raw[1024], esc[4096];
	va_list ap;
	int n;

	if (lvl < log_ctx.min)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_escape(esc, sizeof(esc), raw);
	/* A truncated line says so rather than passing silently. */
	dprintf(STDERR_FILENO, "%s[%d]: %s: %s%s\n", log_ctx.prog, (int)getpid(),
	    log_level_name(lvl), esc, (size_t)n >= sizeof(raw) ? " [truncated]" : "");
}
