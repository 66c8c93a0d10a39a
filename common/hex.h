/* The value of one hex digit, shared by every decoder of %XX escapes. */
#ifndef BOS_HEX_H
#define BOS_HEX_H

/* Value of a hex digit (either case), or -1. */
static inline int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
