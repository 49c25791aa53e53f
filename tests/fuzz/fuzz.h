/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared pieces of the libFuzzer harnesses: the entry point every harness
 * defines, a check that aborts with a message (libFuzzer and the replay
 * driver both treat an abort as a finding), and a cursor that hands out
 * the input's bytes (zeros once it runs dry, so every input is valid).
 */
#ifndef KRUN_TESTS_FUZZ_FUZZ_H
#define KRUN_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                            \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: check `%s` failed: ",    \
				__FILE__, __LINE__, #cond);              \
			fprintf(stderr, __VA_ARGS__);                    \
			fputc('\n', stderr);                             \
			abort();                                         \
		}                                                        \
	} while (0)

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fin_init(struct fuzz_in *in, const uint8_t *data,
			    size_t size)
{
	in->p = data;
	in->left = size;
}

/* Copy n bytes out (zero-filled past the end). */
static inline void fin_copy(struct fuzz_in *in, void *dst, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	in->p += k;
	in->left -= k;
}

/* Borrow up to n bytes; returns how many there were. */
static inline size_t fin_take(struct fuzz_in *in, size_t n,
			      const uint8_t **out)
{
	size_t k = n < in->left ? n : in->left;

	*out = in->p;
	in->p += k;
	in->left -= k;
	return k;
}

static inline uint8_t fin_u8(struct fuzz_in *in)
{
	uint8_t v;

	fin_copy(in, &v, 1);
	return v;
}

static inline uint16_t fin_u16(struct fuzz_in *in)
{
	uint8_t b[2];

	fin_copy(in, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t fin_u32(struct fuzz_in *in)
{
	uint8_t b[4];

	fin_copy(in, b, 4);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t fin_u64(struct fuzz_in *in)
{
	uint64_t lo = fin_u32(in);

	return lo | (uint64_t)fin_u32(in) << 32;
}

#endif
