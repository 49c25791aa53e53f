// SPDX-License-Identifier: Apache-2.0
/* VM creation and teardown, memory, interrupt wiring, legacy ports. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/x86/cpuid.h"
#include "hw/x86/layout.h"
#include "hw/x86/mptable.h"
#include "hw/kvm/vm_internal.h"
#include "util/cleanup.h"

#define KVM_CAP(c)    \
	{             \
		c, #c \
	}

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	KVM_CAP(KVM_CAP_IRQCHIP),	 KVM_CAP(KVM_CAP_USER_MEMORY),
	KVM_CAP(KVM_CAP_SET_TSS_ADDR),	 KVM_CAP(KVM_CAP_PIT2),
	KVM_CAP(KVM_CAP_IRQFD),		 KVM_CAP(KVM_CAP_IOEVENTFD),
	KVM_CAP(KVM_CAP_IMMEDIATE_EXIT), KVM_CAP(KVM_CAP_EXT_CPUID),
	KVM_CAP(KVM_CAP_IRQ_ROUTING),	 KVM_CAP(KVM_CAP_SET_IDENTITY_MAP_ADDR),
};

/* Upper bound for KVM_GET_SUPPORTED_CPUID entries. */
#define VM_CPUID_MAX_ENTRIES 256

static int open_kvm(struct vm *vm, struct krun_err **err)
{
	int version;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0 && errno == ENOENT)
		return krun_err_set(
			err, ENOENT,
			"KVM is not available: `/dev/kvm` does not exist (load kvm_intel or kvm_amd, or use a host with hardware virtualization)");
	if (vm->kvm_fd < 0 && (errno == EACCES || errno == EPERM))
		return krun_err_set(
			err, errno,
			"no permission to open `/dev/kvm` (add this user to the group that owns it, usually `kvm`)");
	if (vm->kvm_fd < 0)
		return krun_err_set_errno(err, errno, "open `/dev/kvm`");
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return krun_err_set(err, ENOTSUP,
				    "`/dev/kvm` speaks KVM API %d, not %d",
				    version, KVM_API_VERSION);
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]);
	     i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			  required_caps[i].cap) <= 0)
			return krun_err_set(err, ENOTSUP,
					    "this host's KVM lacks `%s`",
					    required_caps[i].name);
	return 0;
}

static int max_vcpus_of(int kvm_fd)
{
	int max = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max <= 0 || max > MPTABLE_MAX_CPUS)
		max = MPTABLE_MAX_CPUS;
	return max;
}

int kvm_max_vcpus(struct krun_err **err)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int max;

	if (fd < 0)
		return krun_err_set_errno(err, errno, "open `/dev/kvm`");
	max = max_vcpus_of(fd);
	close(fd);
	return max;
}

static int check_opts(const struct vm *vm, const struct vm_opts *o,
		      struct krun_err **err)
{
	int max = max_vcpus_of(vm->kvm_fd);

	if (o->vcpus == 0 || o->vcpus > (unsigned int)max)
		return krun_err_set(
			err, EINVAL,
			"%u vCPUs requested; this host supports 1 to %d",
			o->vcpus, max);
	if (o->ram_bytes < VM_MIN_RAM || o->ram_bytes % VM_RAM_ALIGN ||
	    o->ram_bytes > (1ull << 46))
		return krun_err_set(
			err, EINVAL,
			"guest RAM of %llu bytes: must be a multiple of 4 KiB from 32 MiB to 64 TiB",
			(unsigned long long)o->ram_bytes);
	return 0;
}

static void *map_ram(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return p;
}

static int add_slot(struct vm *vm, uint32_t slot, uint64_t gpa, void *host,
		    uint64_t size, struct krun_err **err)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return krun_err_set_errno(
			err, errno, "KVM_SET_USER_MEMORY_REGION at 0x%llx",
			(unsigned long long)gpa);
	return gm_add_region(&vm->mem, gpa, size, host, err);
}

/* RAM below the MMIO gap at 0, the rest from 4 GiB up. */
static int setup_memory(struct vm *vm, struct krun_err **err)
{
	uint64_t ram = vm->opts.ram_bytes;
	int ret;

	vm->ram_low_size =
		ram < LAYOUT_MMIO_GAP_START ? ram : LAYOUT_MMIO_GAP_START;
	vm->ram_high_size = ram - vm->ram_low_size;
	vm->ram_low = map_ram(vm->ram_low_size);
	if (!vm->ram_low)
		return krun_err_set_errno(err, errno,
					  "allocate %llu bytes of guest RAM",
					  (unsigned long long)vm->ram_low_size);
	ret = add_slot(vm, 0, 0, vm->ram_low, vm->ram_low_size, err);
	if (ret < 0 || vm->ram_high_size == 0)
		return ret;
	vm->ram_high = map_ram(vm->ram_high_size);
	if (!vm->ram_high)
		return krun_err_set_errno(
			err, errno, "allocate %llu bytes of guest RAM",
			(unsigned long long)vm->ram_high_size);
	return add_slot(vm, 1, LAYOUT_MMIO_GAP_END, vm->ram_high,
			vm->ram_high_size, err);
}

static int setup_irqchip(struct vm *vm, struct krun_err **err)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};

	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_TSS_ADDR) <
	    0)
		return krun_err_set_errno(err, errno, "KVM_SET_TSS_ADDR");
	uint64_t idmap = LAYOUT_IDENTITY_MAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return krun_err_set_errno(err, errno,
					  "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return krun_err_set_errno(err, errno, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return krun_err_set_errno(err, errno, "KVM_CREATE_PIT2");
	return 0;
}

static int get_supported_cpuid(struct vm *vm, struct krun_err **err)
{
	vm->supported_cpuid =
		calloc(1, sizeof(struct kvm_cpuid2) +
				  VM_CPUID_MAX_ENTRIES *
					  sizeof(struct kvm_cpuid_entry2));
	if (!vm->supported_cpuid)
		return krun_err_set(err, ENOMEM, "allocate CPUID table");
	vm->supported_cpuid->nent = VM_CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->supported_cpuid) < 0)
		return krun_err_set_errno(err, errno,
					  "KVM_GET_SUPPORTED_CPUID");
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) >
	    0)
		cpuid_set_tsc_deadline(vm->supported_cpuid->entries,
				       vm->supported_cpuid->nent);
	return 0;
}

static int create_vcpus(struct vm *vm, struct krun_err **err)
{
	vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((long)vm->run_size < (long)sizeof(struct kvm_run))
		return krun_err_set_errno(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
	vm->vcpus = calloc(vm->opts.vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return krun_err_set(err, ENOMEM, "allocate vCPUs");
	for (unsigned int i = 0; i < vm->opts.vcpus; i++) {
		int ret = vcpu_init(vm, &vm->vcpus[i], i, err);

		vm->n_vcpus++; /* a half-made vCPU is released too */
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

static int install_kick_handler(struct krun_err **err)
{
	struct sigaction sa = {.sa_handler = kick_handler};

	sigemptyset(&sa.sa_mask);
	if (sigaction(VM_KICK_SIGNAL, &sa, NULL) < 0)
		return krun_err_set_errno(
			err, errno, "install the vCPU kick signal handler");
	return 0;
}

int vm_create(const struct vm_opts *opts, struct vm **out,
	      struct krun_err **err)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	int ret;

	if (!vm)
		return krun_err_set(err, ENOMEM, "allocate VM");
	vm->opts = *opts;
	vm->kvm_fd = vm->vm_fd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_mutex_init(&vm->map_lock, NULL);
	ret = open_kvm(vm, err);
	if (!ret && !opts->allow_paravirt_kvm)
		ret = host_check_kvm_usable(err);
	if (!ret)
		ret = check_opts(vm, opts, err);
	if (!ret) {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
		if (vm->vm_fd < 0)
			ret = krun_err_set_errno(err, errno, "KVM_CREATE_VM");
	}
	if (!ret)
		ret = setup_irqchip(vm, err);
	if (!ret)
		ret = setup_memory(vm, err);
	if (!ret)
		ret = get_supported_cpuid(vm, err);
	if (!ret)
		ret = install_kick_handler(err);
	if (!ret)
		ret = create_vcpus(vm, err);
	if (!ret)
		ret = vm_register_legacy_devices(vm, err);
	if (ret < 0) {
		vm_destroy(vm);
		return ret;
	}
	vm->times.ready = vm_clock_ns();
	*out = vm;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		vcpu_release(&vm->vcpus[i], vm->run_size);
	free(vm->vcpus);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->ram_low)
		munmap(vm->ram_low, vm->ram_low_size);
	if (vm->ram_high)
		munmap(vm->ram_high, vm->ram_high_size);
	if (vm->serial_registered)
		serial_destroy(&vm->serial);
	if (vm->i8042_registered)
		i8042_destroy(&vm->i8042);
	free(vm->supported_cpuid);
	krun_err_free(&vm->run_err);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_mutex_destroy(&vm->map_lock);
	free(vm);
}

struct io_bus *vm_mmio_bus(struct vm *vm)
{
	return &vm->mmio;
}

struct io_bus *vm_pio_bus(struct vm *vm)
{
	return &vm->pio;
}

const struct guest_mem *vm_guest_mem(const struct vm *vm)
{
	return &vm->mem;
}

int vm_add_irqfd(struct vm *vm, unsigned int gsi, int eventfd,
		 struct krun_err **err)
{
	struct kvm_irqfd irqfd = {.fd = (uint32_t)eventfd, .gsi = gsi};

	if (gsi >= LAYOUT_IOAPIC_PINS || eventfd < 0)
		return krun_err_set(
			err, EINVAL,
			"irqfd: GSI %u (0..%d) or eventfd %d invalid", gsi,
			LAYOUT_IOAPIC_PINS - 1, eventfd);
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return krun_err_set_errno(err, errno, "KVM_IRQFD for GSI %u",
					  gsi);
	return 0;
}

int vm_add_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len,
		     uint64_t datamatch, int eventfd, struct krun_err **err)
{
	struct kvm_ioeventfd ioev = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = eventfd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	if ((len != 1 && len != 2 && len != 4 && len != 8) || eventfd < 0)
		return krun_err_set(
			err, EINVAL,
			"ioeventfd at 0x%llx: bad length %u or eventfd %d",
			(unsigned long long)addr, len, eventfd);
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioev) < 0)
		return krun_err_set_errno(err, errno, "KVM_IOEVENTFD at 0x%llx",
					  (unsigned long long)addr);
	return 0;
}

static int irq_line(struct vm *vm, unsigned int gsi, uint32_t level)
{
	struct kvm_irq_level irq = {.irq = gsi, .level = level};

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}

int vm_irq_pulse(struct vm *vm, unsigned int gsi, struct krun_err **err)
{
	if (gsi >= LAYOUT_IOAPIC_PINS)
		return krun_err_set(err, EINVAL, "IRQ line %u out of range",
				    gsi);
	if (irq_line(vm, gsi, 1) < 0 || irq_line(vm, gsi, 0) < 0)
		return krun_err_set_errno(err, errno, "KVM_IRQ_LINE %u", gsi);
	return 0;
}
