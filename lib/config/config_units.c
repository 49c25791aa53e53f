// SPDX-License-Identifier: Apache-2.0
/*
 * docker's units: sizes ("1.5g", "2GB", "512k"; a bare number is bytes)
 * and durations ("90", "1.5m", "500ms"; timeout(1)'s s/m/h/d plus ms).
 */
#include "lib/config/config.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

/*
 * "DIGITS[.DIGITS]" at the start of text, as a fraction num / den with
 * den a power of ten; *end after it. False when malformed or huge.
 */
static bool parse_decimal(const char *text, uint64_t *num, uint64_t *den,
			  const char **end)
{
	const char *p = text;
	uint64_t n = 0, d = 1;
	bool frac = false;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p) || (*p == '.' && !frac); p++) {
		if (*p == '.') {
			frac = true;
			if (!isdigit((unsigned char)p[1]))
				return false;
			continue;
		}
		if (n > (UINT64_MAX / 10 - 9) / 1024 ||
		    (frac && d >= 1000000000000ull))
			return false;
		n = n * 10 + (uint64_t)(*p - '0');
		if (frac)
			d *= 10;
	}
	*num = n;
	*den = d;
	*end = p;
	return true;
}

/* docker's RAMInBytes: optional blank, unit k m g t p, optional i, b. */
static int unit_shift(const char *u, unsigned *shift)
{
	static const char units[] = "kmgtp";
	const char *at;

	if (*u == ' ')
		u++;
	*shift = 0;
	if (*u && (at = strchr(units, tolower((unsigned char)*u)))) {
		*shift = 10 * (unsigned)(at - units + 1);
		u++;
		if (*u == 'i' || *u == 'I')
			u++;
	}
	if (*u == 'b' || *u == 'B')
		u++;
	return *u == '\0' ? 0 : -1;
}

int config_parse_docker_memory(const char *text, uint32_t *ram_mib,
			       struct krun_err **err)
{
	uint64_t num, den, mib;
	const char *end;
	unsigned shift;

	if (!text || !parse_decimal(text, &num, &den, &end) ||
	    unit_shift(end, &shift) < 0)
		return krun_err_set(err, EINVAL,
				    "invalid size `%s` (expected a number with "
				    "b, k, m, g or t, e.g. 512m, 1.5g)",
				    text ? text : "");
	/* bytes = num / den << shift; MiB = that >> 20, rounded down.
	 * num < 2^51 and shift <= 50: the product fits 128 bits. */
	mib = (uint64_t)(((unsigned __int128)num << shift >> 20) / den);
	if (mib < KRUN_MIN_RAM_MIB || mib > KRUN_MAX_RAM_MIB)
		return krun_err_set(err, EINVAL,
				    "memory `%s` out of range (%u MiB to %u "
				    "MiB; a number without unit is bytes)",
				    text, KRUN_MIN_RAM_MIB, KRUN_MAX_RAM_MIB);
	*ram_mib = (uint32_t)mib;
	return 0;
}

int config_parse_duration(const char *text, uint32_t *ms, struct krun_err **err)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{"", 1000},   {"s", 1000},    {"ms", 1},
		{"m", 60000}, {"h", 3600000}, {"d", 86400000},
	};
	unsigned __int128 v128;
	uint64_t num, den;
	const char *end;

	if (text && parse_decimal(text, &num, &den, &end)) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].unit) != 0)
				continue;
			/* num < 2^51, ms < 2^27: the product fits. */
			v128 = (unsigned __int128)num * units[i].ms / den;
			if (v128 == 0 || v128 > UINT32_MAX)
				break;
			*ms = (uint32_t)v128;
			return 0;
		}
	}
	return krun_err_set(err, EINVAL,
			    "invalid duration `%s` (expected a positive number "
			    "with s, m, h, d or ms, at most 49 days)",
			    text ? text : "");
}
