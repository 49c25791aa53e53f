/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's network: lo always; with a network device, eth0 up, IPv4
 * from DHCP (address, prefix, default route, MTU) set over rtnetlink, and
 * the lease's resolvers written to a resolv.conf in the initramfs, which
 * mounts.c binds over the root's /etc/resolv.conf. IPv6 is the kernel's
 * own autoconfiguration from the backend's router advertisements.
 */
#ifndef KRUN_INIT_NET_H
#define KRUN_INIT_NET_H

#include <stdbool.h>

#include "util/err.h"

/* Where net_setup() writes the resolver configuration (in the initramfs). */
#define INIT_RESOLV_PATH "/krun/resolv.conf"

/*
 * Bring up lo, and with eth configure eth0. *resolv is set when
 * INIT_RESOLV_PATH was written. A failing DHCP exchange is reported as a
 * warning and leaves eth0 up without IPv4; only lo failing is an error.
 */
int net_setup(bool eth, bool *resolv, struct krun_err **err)
	__attribute__((warn_unused_result));

#endif
