// SPDX-License-Identifier: Apache-2.0
/*
 * Seed maker for the guest_config corpus: loads a JSON spec and writes
 * the run configuration the host encoder makes of it (what the VMM puts
 * at KRUN_GUEST_CONFIG_PATH). Usage: encode_config SPEC OUT
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/initramfs/initramfs.h"
#include "lib/spec/spec.h"

int main(int argc, char **argv)
{
	struct initramfs_params params = {0};
	struct spec_result res = {0};
	struct krun_err *err = NULL;
	struct krun_config *cfg;
	void *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: encode_config SPEC OUT\n");
		return 2;
	}
	cfg = config_new(&err);
	if (!cfg || spec_load_file(cfg, argv[1], NULL, &res, &err) < 0 ||
	    initramfs_default_params(cfg, &params, &err) < 0 ||
	    initramfs_encode_config(cfg, &params, &buf, &len, &err) < 0) {
		fprintf(stderr, "encode_config: %s\n", krun_err_msg(err));
		return 1;
	}
	out = fopen(argv[2], "wb");
	if (!out || fwrite(buf, 1, len, out) != len || fclose(out) != 0) {
		fprintf(stderr, "encode_config: cannot write `%s`\n", argv[2]);
		return 1;
	}
	free(buf);
	config_free(cfg);
	return 0;
}
