/*
 * utf8.h - one UTF-8 decoding step, for the places that count or convert
 * text by code point (the job validator, the SMS notices).
 */
#ifndef CETAK_UTF8_H
#define CETAK_UTF8_H

/*
 * The code point at *p, moving *p past it; -1 (and *p unchanged) for a byte
 * that starts no sequence or a sequence cut short. *p must not be at the
 * terminating NUL.
 */
static inline long
utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned cp;
	int extra;

	if (*s < 0x80)
		cp = *s, extra = 0;
	else if ((*s & 0xE0) == 0xC0)
		cp = *s & 0x1F, extra = 1;
	else if ((*s & 0xF0) == 0xE0)
		cp = *s & 0x0F, extra = 2;
	else if ((*s & 0xF8) == 0xF0)
		cp = *s & 0x07, extra = 3;
	else
		return -1;
	s++;
	for (int i = 0; i < extra; i++, s++) {
		if ((*s & 0xC0) != 0x80)
			return -1;
		cp = cp << 6 | (*s & 0x3F);
	}
	*p = s;
	return (long)cp;
}

#endif
