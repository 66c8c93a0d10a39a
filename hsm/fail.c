/* Operation failures; see fail.h. */
#include "fail.h"

#include <stdarg.h>
#include <stdio.h>

int
hsm_fail_set(struct hsm_fail *f, enum hsm_err code, const char *fmt, ...)
{
	va_list ap;

	if (f == NULL)
		return -1;
	f->code = code;
	va_start(ap, fmt);
	/* A message cut at HSM_ERRMSG_MAX is still a useful message. */
	(void)vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -1;
}
