// SPDX-License-Identifier: Apache-2.0
/* krun-init's DHCP client: the reply parser against good and malformed
 * packets, and the request builder. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/krun-init/dhcp.h"

#define XID 0x12345678u
#define OPTS (20 + 8 + 240)

static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

struct pkt {
	uint8_t b[1024];
	size_t len;
};

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Fix the IP and UDP lengths after the options changed. */
static void finish(struct pkt *p)
{
	put16(p->b + 2, p->len);
	put16(p->b + 20 + 4, p->len - 20);
}

static void opt(struct pkt *p, uint8_t code, const void *data, uint8_t len)
{
	p->b[p->len++] = code;
	p->b[p->len++] = len;
	memcpy(p->b + p->len, data, len);
	p->len += len;
	finish(p);
}

/* An OFFER of 192.0.2.15/24 via 192.0.2.1, one resolver, MTU 65520,
 * search "a.example b.example" (the second name compressed). */
static void offer(struct pkt *p, uint8_t type)
{
	static const uint8_t search[] = {1,   'a', 7, 'e', 'x', 'a',  'm', 'p',
					 'l', 'e', 0, 1,   'b', 0xc0, 2};
	uint8_t *b = p->b + 28;
	uint32_t xid = XID;

	memset(p, 0, sizeof(*p));
	p->b[0] = 0x45;
	p->b[9] = 17;
	put16(p->b + 20, 67);
	put16(p->b + 22, 68);
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, &xid, 4);
	inet_pton(AF_INET, "192.0.2.15", b + 16);
	memcpy(b + 28, mac, 6);
	memcpy(b + 236, (uint8_t[]){99, 130, 83, 99}, 4);
	p->len = OPTS;
	opt(p, 53, &type, 1);
	opt(p, 1, (uint8_t[]){255, 255, 255, 0}, 4);
	opt(p, 3, (uint8_t[]){192, 0, 2, 1}, 4);
	opt(p, 6, (uint8_t[]){192, 0, 2, 1}, 4);
	opt(p, 54, (uint8_t[]){192, 0, 2, 1}, 4);
	opt(p, 26, (uint8_t[]){0xff, 0xf0}, 2);
	opt(p, 119, search, sizeof(search));
	p->b[p->len++] = 255;
	finish(p);
}

static int parse(const struct pkt *p, struct dhcp_lease *l)
{
	return dhcp_parse(p->b, p->len, XID, mac, l);
}

static void parses_an_offer(void **state)
{
	struct dhcp_lease l;
	struct pkt p;
	char a[16];

	offer(&p, DHCP_OFFER);
	assert_int_equal(parse(&p, &l), DHCP_OFFER);
	assert_string_equal(inet_ntop(AF_INET, &l.addr, a, sizeof(a)),
			    "192.0.2.15");
	assert_int_equal(ntohl(l.mask), 0xffffff00);
	assert_string_equal(inet_ntop(AF_INET, &l.router, a, sizeof(a)),
			    "192.0.2.1");
	assert_int_equal(l.n_dns, 1);
	assert_int_equal(l.mtu, 65520);
	assert_string_equal(l.search, "a.example b.example");
	offer(&p, DHCP_ACK);
	assert_int_equal(parse(&p, &l), DHCP_ACK);
}

/* Each mutation of a good offer must be rejected. */
static void rejects_malformed(void **state)
{
	struct dhcp_lease l;
	struct pkt p;

	offer(&p, DHCP_OFFER);
	for (size_t n = 0; n < OPTS; n += 7) /* truncated anywhere */
		assert_int_equal(dhcp_parse(p.b, n, XID, mac, &l), -EINVAL);
#define BAD(mutation)                                     \
	do {                                              \
		offer(&p, DHCP_OFFER);                    \
		mutation;                                 \
		assert_int_equal(parse(&p, &l), -EINVAL); \
	} while (0)
	BAD(p.b[0] = 0x65);		  /* IPv6 version */
	BAD(p.b[0] = 0x44);		  /* IHL 16 bytes */
	BAD(p.b[9] = 6);		  /* TCP */
	BAD(put16(p.b + 6, 0x2000));	  /* more fragments */
	BAD(put16(p.b + 2, p.len + 1));	  /* IP longer than read */
	BAD(put16(p.b + 24, p.len));	  /* UDP longer than IP */
	BAD(put16(p.b + 24, 4));	  /* UDP shorter than its header */
	BAD(put16(p.b + 22, 67));	  /* not to the client port */
	BAD(p.b[28] = 1);		  /* a request */
	BAD(p.b[30] = 16);		  /* hardware address length */
	BAD(p.b[32] ^= 1);		  /* another transaction */
	BAD(p.b[28 + 28 + 5] ^= 1);	  /* another MAC */
	BAD(p.b[28 + 236] = 0);		  /* magic cookie */
	BAD(memset(p.b + 28 + 16, 0, 4)); /* an offer of 0.0.0.0 */
	BAD(p.b[OPTS + 1] = 2);		  /* type of two bytes */
	BAD(p.b[OPTS] = 0; p.b[OPTS + 1] = 0;
	    p.b[OPTS + 2] = 0); /* no message type */
	BAD(p.b[p.len - 1] = 6; p.b[p.len++] = 200;
	    finish(&p));			  /* option past the end */
	BAD(p.len -= 1; opt(&p, 6, "\1\2\3", 3)); /* DNS not 4n bytes */
	BAD(p.len -= 1; opt(&p, 26, "\0\20", 2)); /* MTU 16 */
	BAD(p.len -= 1; opt(&p, 1, "\377", 1));	  /* mask of 1 byte */
}

static void rejects_bad_search(void **state)
{
	static const struct {
		const char *what;
		uint8_t data[16];
		uint8_t len;
	} bad[] = {
		{"forward pointer", {1, 'a', 0xc0, 4, 0, 1, 'b', 0}, 8},
		{"self pointer", {1, 'a', 0xc0, 2}, 4},
		{"label past the end", {9, 'a', 'b', 0}, 4},
		{"no terminator", {1, 'a'}, 2},
		{"newline", {2, 'a', '\n', 0}, 4},
		{"space", {3, 'a', ' ', 'b', 0}, 5},
		{"reserved label type", {0x40, 'a', 0}, 3},
		{"pointer cut short", {1, 'a', 0, 0xc0}, 4},
	};
	struct dhcp_lease l;
	struct pkt p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		offer(&p, DHCP_OFFER);
		p.len -= 1; /* drop the END option */
		opt(&p, 119, bad[i].data, bad[i].len);
		if (parse(&p, &l) != -EINVAL)
			fail_msg("search list with %s accepted", bad[i].what);
	}
	offer(&p, DHCP_OFFER);
	p.len -= 1;
	opt(&p, 15, "bad domain", 10); /* option 15 after 119: ignored */
	assert_int_equal(parse(&p, &l), DHCP_OFFER);
}

static void builds_a_request(void **state)
{
	uint8_t buf[DHCP_PACKET_MAX];
	uint32_t req, server;
	size_t n;

	inet_pton(AF_INET, "192.0.2.15", &req);
	inet_pton(AF_INET, "192.0.2.1", &server);
	n = dhcp_build(buf, DHCP_REQUEST, XID, mac, req, server);
	assert_true(n >= 20 + 8 + 300 && n <= DHCP_PACKET_MAX);
	assert_int_equal(buf[0], 0x45);
	assert_int_equal(buf[9], 17);
	assert_int_equal(buf[2] << 8 | buf[3], n);
	assert_int_equal(buf[22] << 8 | buf[23], 67);
	assert_int_equal(buf[28], 1);
	assert_memory_equal(buf + 28 + 28, mac, 6);
	assert_int_equal(buf[OPTS], 53);
	assert_int_equal(buf[OPTS + 2], DHCP_REQUEST);
	assert_memory_equal(buf + OPTS + 5, &req, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_an_offer),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(rejects_bad_search),
		cmocka_unit_test(builds_a_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
