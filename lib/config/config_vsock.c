// SPDX-License-Identifier: Apache-2.0
/*
 * vsock bridges: a guest vsock port joined to a host UNIX stream socket,
 * either connected to on demand (the guest connects out) or listened on
 * (host connections come in).
 */
#include "lib/config/config.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "lib/config/config_internal.h"
#include "util/cleanup.h"

static int check_port(const struct krun_config *cfg, uint32_t port,
		      struct krun_err **err)
{
	/* VMADDR_PORT_ANY (-1U) is a wildcard, never a real port. */
	if (port == UINT32_MAX)
		return krun_err_set(
			err, EINVAL,
			"invalid vsock port `%u`: reserved (VMADDR_PORT_ANY)",
			port);
	if (port == 0)
		return krun_err_set(err, EINVAL,
				    "invalid vsock port `0`: must be 1..%u",
				    UINT32_MAX - 1);
	for (size_t i = 0; i < cfg->n_vsock_ports; i++)
		if (cfg->vsock_ports[i].port == port)
			return krun_err_set(
				err, EEXIST,
				"duplicate vsock port `%u`: already bridged to `%s`",
				port, cfg->vsock_ports[i].path);
	return 0;
}

static int check_parent_dir(const char *path, struct krun_err **err)
{
	cleanup_free char *copy = strdup(path);
	struct stat st;
	const char *dir;

	if (!copy)
		return krun_err_set(err, ENOMEM, "out of memory copying `%s`",
				    path);
	dir = dirname(copy);
	if (stat(dir, &st) < 0)
		return krun_err_set_errno(
			err, errno,
			"invalid vsock socket path `%s`: directory `%s`", path,
			dir);
	if (!S_ISDIR(st.st_mode))
		return krun_err_set(
			err, ENOTDIR,
			"invalid vsock socket path `%s`: `%s` is not a directory",
			path, dir);
	return 0;
}

/* At start, not when set: a caller may create the directory in between. */
int config_check_vsock(const struct krun_config *cfg, struct krun_err **err)
{
	for (size_t i = 0; i < cfg->n_vsock_ports; i++) {
		int ret = check_parent_dir(cfg->vsock_ports[i].path, err);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int check_sock_path(const struct krun_config *cfg, const char *path,
			   struct krun_err **err)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	int ret = cfg_check_path("vsock socket", path, err);

	if (ret < 0)
		return ret;
	if (strlen(path) > max)
		return krun_err_set(
			err, ENAMETOOLONG,
			"vsock socket path `%s` is too long: %zu bytes, a UNIX socket path holds at most %zu",
			path, strlen(path), max);
	for (size_t i = 0; i < cfg->n_vsock_ports; i++)
		if (cfg->vsock_ports[i].listen &&
		    !strcmp(cfg->vsock_ports[i].path, path))
			return krun_err_set(
				err, EEXIST,
				"duplicate vsock socket `%s`: already listened on for port %u",
				path, cfg->vsock_ports[i].port);
	return 0;
}

int config_add_vsock_port(struct krun_config *cfg, uint32_t port,
			  const char *path, bool listen, struct krun_err **err)
{
	cleanup_free char *copy = NULL;
	struct krun_vsock_port *v;
	int ret;

	if ((ret = check_port(cfg, port, err)) < 0 ||
	    (ret = check_sock_path(cfg, path, err)) < 0)
		return ret;
	if (listen) {
		for (size_t i = 0; i < cfg->n_vsock_ports; i++)
			if (!strcmp(cfg->vsock_ports[i].path, path))
				return krun_err_set(
					err, EEXIST,
					"vsock socket `%s` is already used by port %u: a listening socket needs a path of its own",
					path, cfg->vsock_ports[i].port);
	}
	if ((ret = cfg_strdup(path, &copy, err)) < 0 ||
	    (ret = cfg_grow((void **)&cfg->vsock_ports, cfg->n_vsock_ports,
			    sizeof(*cfg->vsock_ports), err)) < 0)
		return ret;
	v = &cfg->vsock_ports[cfg->n_vsock_ports++];
	v->port = port;
	v->path = steal_ptr(copy);
	v->listen = listen;
	return 0;
}
