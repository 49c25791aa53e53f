// SPDX-License-Identifier: Apache-2.0
/*
 * DHCPv4 client. Wire layout (RFC 2131, after the IPv4 and UDP headers):
 * op, htype, hlen, hops, xid[4], secs[2], flags[2], ciaddr, yiaddr, siaddr,
 * giaddr, chaddr[16], sname[64], file[128], magic cookie, options.
 * Every length a packet claims is checked against what arrived.
 */
#include "cmd/krun-init/dhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "util/cleanup.h"

#define IP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define BOOTP_LEN 236
#define OPTS_OFF (BOOTP_LEN + 4)
#define PORT_SERVER 67
#define PORT_CLIENT 68
#define NAME_HOPS 16

enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_REQ_ADDR = 50,
	OPT_LEASE = 51,
	OPT_TYPE = 53,
	OPT_SERVER = 54,
	OPT_PARAMS = 55,
	OPT_SEARCH = 119,
	OPT_END = 255,
};

static const uint8_t magic[4] = {99, 130, 83, 99};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32n(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4); /* stays in network order */
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Over the pseudo header (source, destination, protocol, length). */
static uint16_t udp_checksum(const uint8_t *ip, const uint8_t *udp, size_t len)
{
	uint32_t sum = 17 + (uint32_t)len;
	uint16_t c;

	for (size_t i = 12; i < 20; i += 2)
		sum += get16(ip + i);
	for (size_t i = 0; i < len; i += 2)
		sum += i + 1 < len ? get16(udp + i) : (uint32_t)udp[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	return c ? c : 0xffff;
}

static bool search_append(struct dhcp_lease *l, const char *name, size_t len)
{
	size_t have = strlen(l->search);

	if (len == 0)
		return true;
	if (have + len + 2 > sizeof(l->search))
		return false;
	if (have)
		l->search[have++] = ' ';
	memcpy(l->search + have, name, len);
	l->search[have + len] = '\0';
	return true;
}

/* Letters, digits, '-' and '_': nothing that could break resolv.conf. */
static bool label_ok(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return len > 0;
}

/* Decode the RFC 1035 name at *pos (compression pointers only point
 * backwards, at most NAME_HOPS of them). Returns its dotted length. */
static int decode_name(const uint8_t *d, size_t n, size_t *pos, char *out,
		       size_t cap)
{
	size_t p = *pos, len = 0;
	bool jumped = false;
	int hops = 0;

	for (;;) {
		uint8_t c;

		if (p >= n)
			return -1;
		c = d[p];
		if (c == 0) {
			if (!jumped)
				*pos = p + 1;
			return (int)len;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= n || ++hops > NAME_HOPS)
				return -1;
			target = (size_t)(c & 0x3f) << 8 | d[p + 1];
			if (target >= p)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = true;
			p = target;
			continue;
		}
		if ((c & 0xc0) || p + 1 + c > n || !label_ok(d + p + 1, c) ||
		    len + c + 2 > cap)
			return -1;
		if (len)
			out[len++] = '.';
		memcpy(out + len, d + p + 1, c);
		len += c;
		p += 1 + (size_t)c;
	}
}

static bool parse_search(const uint8_t *d, size_t n, struct dhcp_lease *l)
{
	char name[DHCP_SEARCH_MAX];
	size_t pos = 0;

	l->search[0] = '\0';
	while (pos < n) {
		int len = decode_name(d, n, &pos, name, sizeof(name));

		if (len < 0 || !search_append(l, name, (size_t)len))
			return false;
	}
	return true;
}

/* Option 15: a dotted name as text; only used without option 119. */
static bool parse_domain(const uint8_t *d, size_t n, struct dhcp_lease *l)
{
	size_t start = 0;

	while (n && d[n - 1] == 0)
		n--;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && d[i] != '.')
			continue;
		if (!label_ok(d + start, i - start))
			return false;
		start = i + 1;
	}
	return search_append(l, (const char *)d, n);
}

static bool addr_list(const uint8_t *d, size_t n, uint32_t *out,
		      unsigned int max, unsigned int *count)
{
	if (n < 4 || n % 4)
		return false;
	*count = 0;
	for (size_t i = 0; i < n && *count < max; i += 4)
		out[(*count)++] = get32n(d + i);
	return true;
}

/* One option; false when it is malformed. */
static bool parse_option(uint8_t code, const uint8_t *d, size_t n,
			 struct dhcp_lease *l, int *type, bool *have_search)
{
	unsigned int one;

	switch (code) {
	case OPT_TYPE:
		*type = n == 1 ? d[0] : -1;
		return n == 1;
	case OPT_MASK:
		l->mask = n == 4 ? get32n(d) : 0;
		return n == 4;
	case OPT_ROUTER:
		return addr_list(d, n, &l->router, 1, &one);
	case OPT_DNS:
		return addr_list(d, n, l->dns, DHCP_MAX_DNS, &l->n_dns);
	case OPT_SERVER:
		l->server = n == 4 ? get32n(d) : 0;
		return n == 4;
	case OPT_MTU:
		l->mtu = n == 2 ? get16(d) : 0;
		return n == 2 && l->mtu >= 68;
	case OPT_SEARCH:
		*have_search = true;
		return parse_search(d, n, l);
	case OPT_DOMAIN:
		return *have_search || parse_domain(d, n, l);
	default:
		return true;
	}
}

static int parse_options(const uint8_t *o, size_t n, struct dhcp_lease *l)
{
	bool have_search = false;
	int type = -1;
	size_t i = 0;

	while (i < n) {
		uint8_t code = o[i], len;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			break;
		if (i + 1 >= n)
			return -EINVAL;
		len = o[i + 1];
		if (i + 2 + len > n ||
		    !parse_option(code, o + i + 2, len, l, &type, &have_search))
			return -EINVAL;
		i += 2 + (size_t)len;
	}
	return type > 0 ? type : -EINVAL;
}

/* The UDP payload of an IPv4 packet to our port, or NULL. */
static const uint8_t *udp_payload(const uint8_t *pkt, size_t len,
				  size_t *out_len)
{
	size_t ihl, total, ulen;
	const uint8_t *udp;

	if (len < IP_HDR_LEN || pkt[0] >> 4 != 4)
		return NULL;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	total = get16(pkt + 2);
	/* Whole, unfragmented UDP. */
	if (ihl < IP_HDR_LEN || total > len || total < ihl + UDP_HDR_LEN ||
	    pkt[9] != 17 || (get16(pkt + 6) & 0x3fff))
		return NULL;
	udp = pkt + ihl;
	ulen = get16(udp + 4);
	if (get16(udp + 2) != PORT_CLIENT || ulen < UDP_HDR_LEN ||
	    ulen > total - ihl)
		return NULL;
	*out_len = ulen - UDP_HDR_LEN;
	return udp + UDP_HDR_LEN;
}

int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid,
	       const uint8_t mac[6], struct dhcp_lease *lease)
{
	size_t n = 0;
	const uint8_t *b = udp_payload(pkt, len, &n);
	uint32_t got_xid;
	int type;

	if (!b || n < OPTS_OFF || b[0] != 2 || b[1] != 1 || b[2] != 6 ||
	    memcmp(b + 28, mac, 6) || memcmp(b + BOOTP_LEN, magic, 4))
		return -EINVAL;
	memcpy(&got_xid, b + 4, 4);
	if (got_xid != xid)
		return -EINVAL;
	*lease = (struct dhcp_lease){.addr = get32n(b + 16)};
	type = parse_options(b + OPTS_OFF, n - OPTS_OFF, lease);
	if ((type == DHCP_OFFER || type == DHCP_ACK) && !lease->addr)
		return -EINVAL;
	return type;
}

static size_t put_options(uint8_t *o, uint8_t type, uint32_t req,
			  uint32_t server)
{
	static const uint8_t params[] = {OPT_MASK,   OPT_ROUTER, OPT_DNS,
					 OPT_DOMAIN, OPT_MTU,	 OPT_SEARCH,
					 OPT_LEASE};
	size_t i = 0;

	o[i++] = OPT_TYPE;
	o[i++] = 1;
	o[i++] = type;
	if (req) {
		o[i++] = OPT_REQ_ADDR;
		o[i++] = 4;
		memcpy(o + i, &req, 4);
		i += 4;
	}
	if (server) {
		o[i++] = OPT_SERVER;
		o[i++] = 4;
		memcpy(o + i, &server, 4);
		i += 4;
	}
	o[i++] = OPT_PARAMS;
	o[i++] = sizeof(params);
	memcpy(o + i, params, sizeof(params));
	i += sizeof(params);
	o[i++] = OPT_END;
	return i;
}

size_t dhcp_build(uint8_t *buf, uint8_t type, uint32_t xid,
		  const uint8_t mac[6], uint32_t req, uint32_t server)
{
	uint8_t *udp = buf + IP_HDR_LEN, *b = udp + UDP_HDR_LEN;
	size_t blen, total;

	memset(buf, 0, DHCP_PACKET_MAX);
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	memcpy(b + 4, &xid, 4);
	put16(b + 10, 0x8000); /* broadcast the reply */
	memcpy(b + 28, mac, 6);
	memcpy(b + BOOTP_LEN, magic, 4);
	blen = OPTS_OFF + put_options(b + OPTS_OFF, type, req, server);
	if (blen < 300)
		blen = 300; /* the BOOTP minimum some servers expect */
	total = IP_HDR_LEN + UDP_HDR_LEN + blen;
	put16(udp, PORT_CLIENT);
	put16(udp + 2, PORT_SERVER);
	put16(udp + 4, (uint16_t)(UDP_HDR_LEN + blen));
	buf[0] = 0x45;
	put16(buf + 2, (uint16_t)total);
	buf[8] = 64; /* TTL */
	buf[9] = 17; /* UDP */
	memset(buf + 16, 0xff, 4);
	put16(buf + 10, ip_checksum(buf, IP_HDR_LEN));
	put16(udp + 6, udp_checksum(buf, udp, UDP_HDR_LEN + blen));
	return total;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct dhcp_xchg {
	int fd;
	int ifindex;
	uint32_t xid;
	const uint8_t *mac;
};

static int send_msg(const struct dhcp_xchg *x, uint8_t type, uint32_t req,
		    uint32_t server)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = x->ifindex,
		.sll_halen = 6,
		.sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	};
	uint8_t buf[DHCP_PACKET_MAX];
	size_t len = dhcp_build(buf, type, x->xid, x->mac, req, server);

	if (sendto(x->fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* Wait until `until` for a reply of type want (or a NAK). */
static int await(const struct dhcp_xchg *x, int want, int64_t until,
		 struct dhcp_lease *lease)
{
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = {.fd = x->fd, .events = POLLIN};
		int64_t left = until - now_ms();
		ssize_t n;
		int type;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		n = recv(x->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		type = dhcp_parse(buf, (size_t)n, x->xid, x->mac, lease);
		if (type == want)
			return 0;
		if (type == DHCP_NAK)
			return -ECONNREFUSED;
	}
}

/* Send and wait, resending with a doubling timeout (0.25 s .. 2 s). */
static int exchange(const struct dhcp_xchg *x, uint8_t type, int want,
		    uint32_t req, uint32_t server, struct dhcp_lease *lease)
{
	int wait_ms = 250, ret = -ETIMEDOUT;

	for (int attempt = 0; attempt < 5 && ret == -ETIMEDOUT; attempt++) {
		ret = send_msg(x, type, req, server);
		if (ret < 0 && ret != -ENETDOWN && ret != -ENOBUFS)
			return ret;
		ret = await(x, want, now_ms() + wait_ms, lease);
		if (wait_ms < 2000)
			wait_ms *= 2;
	}
	return ret;
}

int dhcp_run(int ifindex, const uint8_t mac[6], struct dhcp_lease *lease,
	     struct krun_err **err)
{
	cleanup_close int fd =
		socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_IP),
				 .sll_ifindex = ifindex};
	struct dhcp_xchg x = {.ifindex = ifindex, .mac = mac};
	struct dhcp_lease offer;
	int ret;

	if (fd < 0 || bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return krun_err_set_errno(err, errno,
					  "DHCP: cannot open a packet socket");
	x.fd = fd;
	if (getrandom(&x.xid, sizeof(x.xid), GRND_NONBLOCK) != sizeof(x.xid))
		x.xid = (uint32_t)now_ms() ^ (uint32_t)mac[5] << 24;
	ret = exchange(&x, DHCP_DISCOVER, DHCP_OFFER, 0, 0, &offer);
	if (ret == 0)
		ret = exchange(&x, DHCP_REQUEST, DHCP_ACK, offer.addr,
			       offer.server, lease);
	if (ret < 0)
		return krun_err_set_errno(err, -ret, "DHCP: no lease");
	return 0;
}
