/* Terminal QR codes; see qr.h. */
#include "qr.h"

#include <qrencode.h>
#include <string.h>
#include "secmem.h"

#define QR_COLOURS "\x1b[30;47m"  /* black on white */
#define QR_RESET "\x1b[0m"
#define QR_UPPER "\xe2\x96\x80"   /* U+2580 upper half block */
#define QR_LOWER "\xe2\x96\x84"   /* U+2584 lower half block */
#define QR_FULL "\xe2\x96\x88"    /* U+2588 full block */

/* 1 when the module at (x, y) is dark; the quiet zone and beyond are light. */
static int
qr_dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[(size_t)y * (size_t)q->width + (size_t)x] & 1;
}

static void
qr_print_row(FILE *f, const QRcode *q, int y)
{
	static const char *const cells[4] = { " ", QR_LOWER, QR_UPPER, QR_FULL };
	int x;

	fputs(QR_COLOURS, f);
	for (x = -QR_QUIET_ZONE; x < q->width + QR_QUIET_ZONE; x++)
		fputs(cells[qr_dark(q, x, y) << 1 | qr_dark(q, x, y + 1)], f);
	fputs(QR_RESET "\n", f);
}

int
qr_print(FILE *f, const char *text, struct bos_err *err)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int y;

	if (q == NULL)
		return bos_err_set(err, BOS_E_INVALID, "cannot make a QR code of %zu bytes",
		    strlen(text));
	for (y = -QR_QUIET_ZONE; y < q->width + QR_QUIET_ZONE; y += 2)
		qr_print_row(f, q, y);
	/* The modules spell out the TOTP seed. */
	secmem_wipe(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	return 0;
}
