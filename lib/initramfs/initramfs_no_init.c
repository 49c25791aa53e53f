// SPDX-License-Identifier: Apache-2.0
/*
 * Linked instead of the embedded krun-init when the build has none
 * (-Dsanitize=true cannot link a static guest binary): an empty blob, which
 * initramfs_build() reports as "this build has no guest init".
 */
#include <stddef.h>

extern const unsigned char krun_init_blob[];
extern const size_t krun_init_blob_size;

const unsigned char krun_init_blob[1];
const size_t krun_init_blob_size = 0;
