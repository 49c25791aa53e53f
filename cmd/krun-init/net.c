// SPDX-License-Identifier: Apache-2.0
/*
 * rtnetlink requests built by hand: one message, one acknowledgement,
 * every length in the reply checked before it is read.
 */
#include "cmd/krun-init/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd/krun-init/dhcp.h"
#include "cmd/krun-init/init_log.h"
#include "util/cleanup.h"

#define NL_BUF 512
#define ETH_NAME "eth0"
#define ETH_WAIT_MS 2000
#define POLL_MS 5

struct nl_msg {
	struct nlmsghdr h;
	uint8_t body[NL_BUF];
} __attribute__((aligned(NLMSG_ALIGNTO)));

static void *nl_tail(struct nl_msg *m)
{
	return (uint8_t *)&m->h + NLMSG_ALIGN(m->h.nlmsg_len);
}

static void nl_put(struct nl_msg *m, const void *data, size_t len)
{
	memcpy(nl_tail(m), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + (uint32_t)len;
}

static void nl_attr(struct nl_msg *m, uint16_t type, const void *data,
		    uint16_t len)
{
	struct rtattr *a = nl_tail(m);

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void nl_init(struct nl_msg *m, uint16_t type, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_HDRLEN;
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->h.nlmsg_seq = 1;
}

/* Send m and wait for its acknowledgement: 0 or the negative errno. */
static int nl_talk(struct nl_msg *m)
{
	cleanup_close int fd =
		socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	uint8_t buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n;

	if (fd < 0 || send(fd, m, m->h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		size_t left;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		left = (size_t)n;
		for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_type != NLMSG_ERROR ||
			    h->nlmsg_seq != m->h.nlmsg_seq)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EIO;
			return e->error;
		}
	}
}

static int link_set(int ifindex, uint32_t mtu)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
				.ifi_index = ifindex,
				.ifi_flags = IFF_UP,
				.ifi_change = IFF_UP};
	struct nl_msg m;

	nl_init(&m, RTM_NEWLINK, 0);
	nl_put(&m, &ifi, sizeof(ifi));
	if (mtu)
		nl_attr(&m, IFLA_MTU, &mtu, sizeof(mtu));
	return nl_talk(&m);
}

static int prefix_len(uint32_t mask_n)
{
	uint32_t mask = ntohl(mask_n);
	int len = 0;

	while (len < 32 && (mask & (0x80000000u >> len)))
		len++;
	return len;
}

static int addr_add(int ifindex, const struct dhcp_lease *l)
{
	int plen = l->mask ? prefix_len(l->mask) : 24;
	struct ifaddrmsg ifa = {.ifa_family = AF_INET,
				.ifa_prefixlen = (uint8_t)plen,
				.ifa_scope = RT_SCOPE_UNIVERSE,
				.ifa_index = (uint32_t)ifindex};
	uint32_t bcast = l->addr | ~(l->mask ? l->mask : htonl(0xffffff00u));
	struct nl_msg m;

	nl_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	nl_put(&m, &ifa, sizeof(ifa));
	nl_attr(&m, IFA_LOCAL, &l->addr, 4);
	nl_attr(&m, IFA_ADDRESS, &l->addr, 4);
	if (plen < 31)
		nl_attr(&m, IFA_BROADCAST, &bcast, 4);
	return nl_talk(&m);
}

static int route_add(int ifindex, uint32_t gateway)
{
	struct rtmsg rt = {.rtm_family = AF_INET,
			   .rtm_table = RT_TABLE_MAIN,
			   .rtm_protocol = RTPROT_DHCP,
			   .rtm_scope = RT_SCOPE_UNIVERSE,
			   .rtm_type = RTN_UNICAST,
			   /* The gateway may lie outside the prefix. */
			   .rtm_flags = RTNH_F_ONLINK};
	uint32_t oif = (uint32_t)ifindex;
	struct nl_msg m;

	nl_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	nl_put(&m, &rt, sizeof(rt));
	nl_attr(&m, RTA_GATEWAY, &gateway, 4);
	nl_attr(&m, RTA_OIF, &oif, 4);
	return nl_talk(&m);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_nsec = (long)ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* The device is probed before init runs; wait briefly all the same. */
static int eth_index(uint8_t mac[6])
{
	struct ifreq ifr = {0};
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int idx;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ETH_NAME);
	for (unsigned int waited = 0; ioctl(fd, SIOCGIFINDEX, &ifr) < 0;
	     waited += POLL_MS) {
		if (errno != ENODEV || waited >= ETH_WAIT_MS)
			return -errno;
		sleep_ms(POLL_MS);
	}
	idx = ifr.ifr_ifindex; /* the next request reuses the union */
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return idx;
}

static int write_resolv(const struct dhcp_lease *l)
{
	cleanup_file FILE *f = NULL;
	char addr[INET_ADDRSTRLEN];

	if (l->n_dns == 0 && !l->search[0])
		return 0;
	f = fopen(INIT_RESOLV_PATH, "we");
	if (!f)
		return -errno;
	fprintf(f, "# from the DHCP lease of %s (krun-init)\n", ETH_NAME);
	for (unsigned int i = 0; i < l->n_dns; i++)
		fprintf(f, "nameserver %s\n",
			inet_ntop(AF_INET, &l->dns[i], addr, sizeof(addr)));
	if (l->search[0])
		fprintf(f, "search %s\n", l->search);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 1;
}

static int apply_lease(int ifindex, const struct dhcp_lease *l)
{
	int ret = l->mtu ? link_set(ifindex, l->mtu) : 0;

	if (ret == 0)
		ret = addr_add(ifindex, l);
	if (ret == 0 && l->router)
		ret = route_add(ifindex, l->router);
	return ret;
}

static void log_lease(const struct dhcp_lease *l)
{
	char a[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	ilog_debug("%s: %s/%d via %s, mtu %u, %u resolver(s)", ETH_NAME,
		   inet_ntop(AF_INET, &l->addr, a, sizeof(a)),
		   l->mask ? prefix_len(l->mask) : 24,
		   inet_ntop(AF_INET, &l->router, r, sizeof(r)), l->mtu,
		   l->n_dns);
}

/* eth0: failures are warnings; the workload runs without IPv4. */
static void setup_eth(bool *resolv)
{
	struct krun_err *err = NULL;
	struct dhcp_lease lease;
	uint8_t mac[6];
	int idx = eth_index(mac), ret;

	if (idx < 0) {
		ilog_err("warning: no network: `%s` not found: %s", ETH_NAME,
			 strerror(-idx));
		return;
	}
	ret = link_set(idx, 0);
	if (ret < 0) {
		ilog_err("warning: no network: cannot bring `%s` up: %s",
			 ETH_NAME, strerror(-ret));
		return;
	}
	if (dhcp_run(idx, mac, &lease, &err) < 0) {
		ilog_err("warning: no IPv4 network: %s", krun_err_msg(err));
		krun_err_free(&err);
		return;
	}
	log_lease(&lease);
	ret = apply_lease(idx, &lease);
	if (ret < 0)
		ilog_err("warning: cannot configure `%s`: %s", ETH_NAME,
			 strerror(-ret));
	ret = write_resolv(&lease);
	if (ret < 0)
		ilog_err("warning: cannot write `%s`: %s", INIT_RESOLV_PATH,
			 strerror(-ret));
	*resolv = ret > 0;
}

int net_setup(bool eth, bool *resolv, struct krun_err **err)
{
	int ret;

	*resolv = false;
	ret = link_set(1, 0); /* lo is always index 1 */
	if (ret < 0)
		return krun_err_set_errno(err, -ret,
					  "cannot bring the loopback up");
	if (eth)
		setup_eth(resolv);
	return 0;
}
