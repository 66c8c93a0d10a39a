/*
 * A QR code on the terminal (libqrencode), so an authenticator app can scan
 * an otpauth:// URI. Two module rows per text line with UTF-8 half blocks,
 * black on white set explicitly (ANSI colours) so that it scans on light and
 * dark terminals alike, inside the standard quiet zone of 4 modules.
 */
#ifndef BOS_QR_H
#define BOS_QR_H

#include <stdio.h>
#include "compiler.h"
#include "err.h"

#define QR_QUIET_ZONE 4

/* Print text as a QR code (error correction level M) on f. */
int qr_print(FILE *f, const char *text, struct bos_err *err) BOS_WUR;

#endif
