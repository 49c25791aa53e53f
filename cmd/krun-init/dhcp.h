/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small DHCPv4 client (RFC 2131): DISCOVER, OFFER, REQUEST, ACK over a
 * packet socket (the interface has no address yet), nothing kept running
 * afterwards: the backends lease for the VM's lifetime. The packet parser
 * is separate and bounded, for the unit tests.
 */
#ifndef KRUN_INIT_DHCP_H
#define KRUN_INIT_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define DHCP_MAX_DNS 4
#define DHCP_SEARCH_MAX 256

#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_ACK 5
#define DHCP_NAK 6

/* Addresses in network byte order. */
struct dhcp_lease {
	uint32_t addr;
	uint32_t mask; /* 0: none given */
	uint32_t router;
	uint32_t server; /* server identifier */
	uint16_t mtu;	 /* 0: none given */
	uint32_t dns[DHCP_MAX_DNS];
	unsigned int n_dns;
	char search[DHCP_SEARCH_MAX]; /* space-separated domains */
};

/*
 * Parse an IPv4 packet (from its IP header) as a DHCP reply for our xid
 * and MAC. Returns the message type (DHCP_OFFER, ...) with *lease filled,
 * or -EINVAL for anything else: not UDP to port 68, truncated, another
 * transaction, malformed options.
 */
int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid,
	       const uint8_t mac[6], struct dhcp_lease *lease);

/* Build a broadcast IPv4/UDP DHCP request of `type` into buf (at least
 * DHCP_PACKET_MAX bytes); returns its length. req/server: 0 to omit. */
#define DHCP_PACKET_MAX 576
size_t dhcp_build(uint8_t *buf, uint8_t type, uint32_t xid,
		  const uint8_t mac[6], uint32_t req, uint32_t server);

/* Run the exchange on interface ifindex (up, with hardware address mac). */
int dhcp_run(int ifindex, const uint8_t mac[6], struct dhcp_lease *lease,
	     struct krun_err **err) __attribute__((warn_unused_result));

#endif
