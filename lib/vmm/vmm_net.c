// SPDX-License-Identifier: Apache-2.0
/*
 * Which network backend a run gets. passt started by us is the default;
 * when networking was not asked for explicitly (no --net, no port map) and
 * passt cannot start or configure itself, the run goes on without a
 * network after one warning line. An explicit choice fails instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/vmm/vmm_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

/* The vfkit convention: our end of gvproxy's socket sits beside it. */

static bool runs_own_passt(const struct krun_config *cfg)
{
	return cfg->net_mode == KRUN_NET_PASST ||
	       cfg->net_mode == KRUN_NET_DEFAULT;
}

void vmm_net_spawn(struct vmm *vmm)
{
	vmm->passt_sock = -1;
	if (runs_own_passt(vmm->cfg) &&
	    passt_spawn(vmm->cfg, &vmm->passt, &vmm->passt_sock,
			vmm_seccomp_launcher(&vmm->seccomp),
			&vmm->passt_err) < 0 &&
	    !vmm->passt_err)
		krun_err_set(&vmm->passt_err, EIO, "cannot start passt");
}

void vmm_net_release(struct vmm *vmm)
{
	if (vmm->passt_sock >= 0)
		close(vmm->passt_sock);
	vmm->passt_sock = -1;
	krun_err_free(&vmm->passt_err);
}

static int passt_backend(struct vmm *vmm, bool explicit,
			 struct net_backend **be, struct krun_err **err)
{
	int sock = -1;
	int ret;

	if (vmm->passt_err) {
		ret = -vmm->passt_err->errnum;
		if (err && !*err)
			*err = steal_ptr(vmm->passt_err);
		krun_err_free(&vmm->passt_err);
	} else {
		ret = passt_wait_ready(&vmm->passt, &vmm->passt_sock, err);
		sock = vmm->passt_sock;
		vmm->passt_sock = -1;
	}

	if (ret < 0 && explicit)
		return ret;
	if (ret < 0) {
		/* One line even at the default level (errors only): the run
		 * goes on, but the user should know why it has no network. */
		if (vmm->cfg->net_fallback_log_only)
			log_warn("running without a network: %s",
				 krun_err_msg(*err));
		else if (krun_log_get_level() >= KRUN_LOG_ERROR)
			krun_log_write(KRUN_LOG_WARN, NULL,
				       "running without a network: %s (--net "
				       "none chooses that quietly)",
				       krun_err_msg(*err));
		krun_err_free(err);
		return 0;
	}
	*be = net_stream_create(sock, err);
	return *be ? 0 : -ENOMEM;
}

static int passt_fd_backend(const struct krun_config *cfg,
			    struct net_backend **be, struct krun_err **err)
{
	int fd = fcntl(cfg->passt_fd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return krun_err_set_errno(err, errno,
					  "cannot use the passt socket fd `%d`",
					  cfg->passt_fd);
	*be = net_stream_create(fd, err);
	return *be ? 0 : -ENOMEM;
}

static int gvproxy_backend(const struct krun_config *cfg,
			   struct net_backend **be, struct krun_err **err)
{
	char local[4096];

	if (snprintf(local, sizeof(local), "%s%s", cfg->gvproxy_path,
		     GVPROXY_LOCAL_SUFFIX) >= (int)sizeof(local))
		return krun_err_set(err, ENAMETOOLONG,
				    "gvproxy socket path `%s` is too long",
				    cfg->gvproxy_path);
	*be = net_dgram_connect(cfg->gvproxy_path, local, cfg->net_vfkit, err);
	return *be ? 0 : -ECONNREFUSED;
}

/* The caller's connected unixgram socket; the caller keeps its fd. */
static int dgram_fd_backend(const struct krun_config *cfg,
			    struct net_backend **be, struct krun_err **err)
{
	int fd = fcntl(cfg->passt_fd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return krun_err_set_errno(err, errno,
					  "cannot use the unixgram socket fd `%d`",
					  cfg->passt_fd);
	*be = net_dgram_create(fd, err);
	return *be ? 0 : -ENOMEM;
}

int vmm_net_backend(struct vmm *vmm, struct net_backend **be,
		    struct krun_err **err)
{
	const struct krun_config *cfg = vmm->cfg;
	bool ports = cfg->port_map_set && cfg->n_ports > 0;

	*be = NULL;
	switch (cfg->net_mode) {
	case KRUN_NET_NONE:
		return 0;
	case KRUN_NET_PASST_FD:
		return passt_fd_backend(cfg, be, err);
	case KRUN_NET_GVPROXY:
		return gvproxy_backend(cfg, be, err);
	case KRUN_NET_DGRAM_FD:
		return dgram_fd_backend(cfg, be, err);
	case KRUN_NET_STREAM_PATH:
		*be = net_stream_connect(cfg->gvproxy_path, err);
		return *be ? 0 : -ECONNREFUSED;
	case KRUN_NET_PASST:
		return passt_backend(vmm, true, be, err);
	case KRUN_NET_DEFAULT:
		break;
	}
	return passt_backend(vmm, ports, be, err);
}
