// SPDX-License-Identifier: Apache-2.0
/*
 * Network backends, MAC address and port maps. Exactly one
 * backend may be chosen; port maps only make sense where the VMM itself
 * sets up the forwarding (TSI-style default or a passt it starts).
 */
#include "lib/config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config_internal.h"
#include "util/cleanup.h"

static const char *net_mode_name(enum krun_net_mode mode)
{
	switch (mode) {
	case KRUN_NET_DEFAULT:
		return "default";
	case KRUN_NET_NONE:
		return "no";
	case KRUN_NET_PASST_FD:
		return "passt (socket fd)";
	case KRUN_NET_PASST:
		return "passt";
	case KRUN_NET_GVPROXY:
		return "gvproxy";
	case KRUN_NET_STREAM_PATH:
		return "unixstream socket";
	case KRUN_NET_DGRAM_FD:
		return "unixgram fd";
	}
	return "unknown";
}

static bool has_ports(const struct krun_config *cfg)
{
	return cfg->port_map_set && cfg->n_ports > 0;
}

/* Port maps are ENOTSUP where forwarding belongs to an external proxy. */
static bool mode_forbids_ports(enum krun_net_mode mode)
{
	return mode == KRUN_NET_PASST_FD || mode == KRUN_NET_GVPROXY ||
	       mode == KRUN_NET_STREAM_PATH || mode == KRUN_NET_DGRAM_FD;
}

int cfg_claim_net_mode(const struct krun_config *cfg,
			  enum krun_net_mode want, struct krun_err **err)
{
	if (cfg->net_mode != KRUN_NET_DEFAULT && cfg->net_mode != want)
		return krun_err_set(
			err, EINVAL,
			"cannot use %s networking: %s networking is already configured",
			net_mode_name(want), net_mode_name(cfg->net_mode));
	if (mode_forbids_ports(want) && has_ports(cfg))
		return krun_err_set(
			err, ENOTSUP,
			"cannot use %s networking: a port map is set, and port mapping is not supported with it",
			net_mode_name(want));
	if (want == KRUN_NET_NONE && has_ports(cfg))
		return krun_err_set(
			err, EINVAL,
			"cannot disable networking: a port map is set");
	return 0;
}

int config_set_net_none(struct krun_config *cfg, struct krun_err **err)
{
	int ret = cfg_claim_net_mode(cfg, KRUN_NET_NONE, err);

	if (ret < 0)
		return ret;
	cfg->net_mode = KRUN_NET_NONE;
	return 0;
}

int config_set_passt_fd(struct krun_config *cfg, int fd, struct krun_err **err)
{
	int ret;

	if (fd < 0)
		return krun_err_set(err, EINVAL, "invalid passt fd `%d`", fd);
	if (fcntl(fd, F_GETFD) < 0)
		return krun_err_set(
			err, EBADF,
			"invalid passt fd `%d`: not an open file descriptor",
			fd);
	ret = cfg_claim_net_mode(cfg, KRUN_NET_PASST_FD, err);
	if (ret < 0)
		return ret;
	cfg->net_mode = KRUN_NET_PASST_FD;
	cfg->passt_fd = fd;
	return 0;
}

int config_set_net_passt(struct krun_config *cfg, struct krun_err **err)
{
	int ret = cfg_claim_net_mode(cfg, KRUN_NET_PASST, err);

	if (ret < 0)
		return ret;
	cfg->net_mode = KRUN_NET_PASST;
	return 0;
}

int config_set_gvproxy_path(struct krun_config *cfg, const char *path,
			    struct krun_err **err)
{
	int ret = cfg_check_path("gvproxy socket", path, err);

	if (ret < 0)
		return ret;
	ret = cfg_claim_net_mode(cfg, KRUN_NET_GVPROXY, err);
	if (ret < 0)
		return ret;
	ret = cfg_replace_str(&cfg->gvproxy_path, path, err);
	if (ret < 0)
		return ret;
	cfg->net_mode = KRUN_NET_GVPROXY;
	return 0;
}

int config_set_mac(struct krun_config *cfg, const uint8_t mac[6],
		   struct krun_err **err)
{
	static const uint8_t zero[6];

	if (!mac)
		return krun_err_set(err, EINVAL, "MAC address: none given");
	if (!memcmp(mac, zero, sizeof(zero)))
		return krun_err_set(
			err, EINVAL,
			"invalid MAC address `00:00:00:00:00:00`: all zero");
	if (mac[0] & 1)
		return krun_err_set(
			err, EINVAL,
			"invalid MAC address `%02x:%02x:%02x:%02x:%02x:%02x`: multicast bit set",
			mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	memcpy(cfg->mac, mac, sizeof(cfg->mac));
	cfg->mac_set = true;
	return 0;
}

static int check_ports_allowed(const struct krun_config *cfg,
			       struct krun_err **err)
{
	if (mode_forbids_ports(cfg->net_mode))
		return krun_err_set(
			err, ENOTSUP,
			"port mapping is not supported with %s networking: configure forwarding in the proxy instead",
			net_mode_name(cfg->net_mode));
	return 0;
}

/* One host port per protocol: passt binds it on every address given. */
static ssize_t find_host_port(const struct krun_port *ports, size_t n,
			      const struct krun_port *p)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i].host == p->host && ports[i].proto == p->proto)
			return (ssize_t)i;
	return -1;
}

/* One mapping per guest port and protocol, as libkrun (-EINVAL there). */
static ssize_t find_guest_port(const struct krun_port *ports, size_t n,
			       const struct krun_port *p)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i].guest == p->guest && ports[i].proto == p->proto)
			return (ssize_t)i;
	return -1;
}

static int check_new_port(const struct krun_port *ports, size_t n,
			  const struct krun_port *p, const char *text,
			  struct krun_err **err)
{
	if (find_host_port(ports, n, p) >= 0)
		return krun_err_set(
			err, EEXIST,
			"duplicate host port in port map `%s`: host port %u/%s is already mapped",
			text, p->host, p->proto ? "udp" : "tcp");
	if (find_guest_port(ports, n, p) >= 0)
		return krun_err_set(
			err, EINVAL,
			"duplicate guest port in port map `%s`: guest port %u/%s is already mapped",
			text, p->guest, p->proto ? "udp" : "tcp");
	return 0;
}

static int parse_port_list(const char *const map[], struct krun_port *list,
			   size_t n, struct krun_err **err)
{
	for (size_t i = 0; i < n; i++) {
		int ret = cfg_parse_port(map[i], &list[i], err);

		if (ret < 0)
			return ret;
		ret = check_new_port(list, i, &list[i], map[i], err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int config_set_port_map(struct krun_config *cfg, const char *const map[],
			struct krun_err **err)
{
	cleanup_free struct krun_port *list = NULL;
	size_t n = cfg_strv_len(map);
	int ret = check_ports_allowed(cfg, err);

	if (ret < 0)
		return ret;
	if (n > 0 && cfg->net_mode == KRUN_NET_NONE)
		return krun_err_set(err, EINVAL,
				    "cannot map ports: networking is disabled");
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return krun_err_set(err, ENOMEM, "out of memory for %zu ports",
				    n);
	ret = parse_port_list(map, list, n, err);
	if (ret < 0)
		return ret;
	free(cfg->ports);
	cfg->ports = map ? steal_ptr(list) : NULL;
	cfg->n_ports = n;
	cfg->port_map_set = map != NULL;
	return 0;
}

int config_add_port(struct krun_config *cfg, const char *text,
		    struct krun_err **err)
{
	struct krun_port port;
	int ret = check_ports_allowed(cfg, err);

	if (ret < 0)
		return ret;
	if (cfg->net_mode == KRUN_NET_NONE)
		return krun_err_set(err, EINVAL,
				    "cannot map ports: networking is disabled");
	ret = cfg_parse_port(text, &port, err);
	if (ret < 0)
		return ret;
	ret = check_new_port(cfg->ports, cfg->n_ports, &port, text, err);
	if (ret < 0)
		return ret;
	ret = cfg_grow((void **)&cfg->ports, cfg->n_ports, sizeof(*cfg->ports),
		       err);
	if (ret < 0)
		return ret;
	cfg->ports[cfg->n_ports++] = port;
	cfg->port_map_set = true;
	return 0;
}
