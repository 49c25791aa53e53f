// SPDX-License-Identifier: Apache-2.0
#include "lib/vmm/vmm_kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "configs/kernel_path.h"
#include "util/cleanup.h"

int vmm_kernel_find(const char *configured, const char **path,
		    const char **from, struct krun_err **err)
{
	const char *env = getenv("KRUN_KERNEL");

	if (configured || (env && *env)) {
		*path = configured ? configured : env;
		*from = configured ? "--kernel" : "$KRUN_KERNEL";
		if (access(*path, R_OK) < 0)
			return krun_err_set_errno(
				err, errno, "cannot read the guest kernel `%s` (%s)",
				*path, *from);
	} else if (access(KRUN_DEFAULT_KERNEL_PATH, R_OK) == 0) {
		*path = KRUN_DEFAULT_KERNEL_PATH;
		*from = "the build tree";
	} else if (access(KRUN_INSTALLED_KERNEL_PATH, R_OK) == 0) {
		*path = KRUN_INSTALLED_KERNEL_PATH;
		*from = "the install prefix";
	} else {
		return krun_err_set_errno(
			err, errno,
			"no guest kernel: no --kernel, no $KRUN_KERNEL, and "
			"neither `%s` nor `%s` is readable",
			KRUN_DEFAULT_KERNEL_PATH, KRUN_INSTALLED_KERNEL_PATH);
	}
	return 0;
}

int vmm_kernel_map(const char *path, struct vmm_kernel *k,
		   struct krun_err **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *copy = NULL;
	struct stat st;
	void *map;

	if (fd < 0)
		return krun_err_set_errno(err, errno, "open kernel `%s`", path);
	if (fstat(fd, &st) < 0)
		return krun_err_set_errno(err, errno, "stat kernel `%s`", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return krun_err_set(
			err, ENOEXEC,
			"kernel `%s` is not a non-empty regular file", path);
	copy = strdup(path);
	if (!copy)
		return krun_err_set(err, ENOMEM, "map kernel `%s`", path);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return krun_err_set_errno(err, errno, "map kernel `%s`", path);
	*k = (struct vmm_kernel){
		.map = map,
		.len = (size_t)st.st_size,
		.path = steal_ptr(copy),
	};
	return 0;
}

void vmm_kernel_unmap(struct vmm_kernel *k)
{
	if (k->map)
		munmap(k->map, k->len);
	free(k->path);
	*k = (struct vmm_kernel){0};
}
