// SPDX-License-Identifier: Apache-2.0
/*
 * hw-boot: debugging tool for hw/ (built, not installed). Boots an ELF
 * vmlinux with an initrd and command line through the hw/vm.h API and
 * prints why the VM stopped. Exit status: the guest's exit status, 124 for
 * other stops, 125 when the VM could not run.
 *
 *   hw-boot [--cpus N] [--memory MIB] [--serial] [--cmdline S]
 *           [--initrd FILE] [--stop-after MS] KERNEL
 *   hw-boot --blob-exit N [--blob-spin] [--allow-pvm] ...
 *
 * --blob-exit boots a generated 64-bit ELF instead of a kernel whose code
 * writes N to the exit port (or, with --blob-spin, loops forever); it runs
 * even on paravirtual (PVM) KVM when --allow-pvm is given.
 */
#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hw/kvm/vm.h"
#include "lib/guest_abi.h"
#include "util/cleanup.h"

struct opts {
	struct vm_opts vm;
	const char *kernel;
	const char *cmdline;
	const char *initrd;
	long stop_after_ms;
	long blob_exit;
	bool blob_spin;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A minimal ELF64 whose one segment at 1 MiB holds the blob's code. */
static char *write_blob_elf(uint32_t status, bool spin)
{
	uint8_t code[] = {
		0xb8, 0,    0, 0, 0, /* mov eax, status */
		0xba, 0,    0, 0, 0, /* mov edx, port */
		0xef,		     /* out dx, eax */
		0xf4,		     /* hlt */
		0xeb, 0xfd,	     /* jmp hlt */
	};
	uint8_t spin_code[] = {0xeb, 0xfe}; /* jmp . */
	uint32_t port = KRUN_GUEST_EXIT_PORT;
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		uint8_t code[sizeof(code)];
	} __attribute__((packed)) f = {0};
	uint64_t base = 0x100000;
	int fd = memfd_create("blob", 0);
	char *path;

	memcpy(code + 1, &status, 4);
	memcpy(code + 6, &port, 4);
	memcpy(f.code, spin ? spin_code : code,
	       spin ? sizeof(spin_code) : sizeof(code));
	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_ident[EI_VERSION] = EV_CURRENT;
	f.eh.e_type = ET_EXEC;
	f.eh.e_machine = EM_X86_64;
	f.eh.e_version = EV_CURRENT;
	f.eh.e_entry = base + offsetof(__typeof__(f), code);
	f.eh.e_phoff = offsetof(__typeof__(f), ph);
	f.eh.e_ehsize = sizeof(Elf64_Ehdr);
	f.eh.e_phentsize = sizeof(Elf64_Phdr);
	f.eh.e_phnum = 1;
	f.ph = (Elf64_Phdr){.p_type = PT_LOAD,
			    .p_flags = PF_R | PF_X,
			    .p_paddr = base,
			    .p_vaddr = base,
			    .p_filesz = sizeof(f),
			    .p_memsz = sizeof(f)};
	if (fd < 0 || write(fd, &f, sizeof(f)) != (ssize_t)sizeof(f) ||
	    asprintf(&path, "/proc/self/fd/%d", fd) < 0)
		return NULL;
	return path;
}

static void *read_file(const char *path, size_t *len)
{
	cleanup_file FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf;

	if (!f || fstat(fileno(f), &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf ||
	    fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)st.st_size;
	return buf;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hw-boot [--cpus N] [--memory MIB] [--serial] [--cmdline S] [--initrd FILE] [--stop-after MS] KERNEL\n"
		"       hw-boot --blob-exit N [--blob-spin] [--allow-pvm] [...]\n");
	exit(125);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"cpus", required_argument, NULL, 'c'},
		{"memory", required_argument, NULL, 'm'},
		{"serial", no_argument, NULL, 's'},
		{"cmdline", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'i'},
		{"stop-after", required_argument, NULL, 't'},
		{"blob-exit", required_argument, NULL, 'b'},
		{"blob-spin", no_argument, NULL, 'S'},
		{"allow-pvm", no_argument, NULL, 'P'},
		{0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->vm.vcpus = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o->vm.ram_bytes = strtoull(optarg, NULL, 0) << 20;
			break;
		case 's':
			o->vm.serial_console = true;
			break;
		case 'k':
			o->cmdline = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 't':
			o->stop_after_ms = strtol(optarg, NULL, 0);
			break;
		case 'b':
			o->blob_exit = strtol(optarg, NULL, 0);
			break;
		case 'S':
			o->blob_spin = true;
			break;
		case 'P':
			o->vm.allow_paravirt_kvm = true;
			break;
		default:
			usage();
		}
	}
	if (o->blob_exit < 0 && optind + 1 == argc)
		o->kernel = argv[optind];
	else if (o->blob_exit < 0 || optind != argc)
		usage();
}

struct stopper {
	struct vm *vm;
	long ms;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;

	usleep((useconds_t)s->ms * 1000);
	vm_request_stop(s->vm);
	return NULL;
}

static int fail(struct krun_err **err)
{
	fprintf(stderr, "hw-boot: %s\n", krun_err_msg(*err));
	krun_err_free(err);
	return 125;
}

static int boot(struct opts *o, struct vm *vm, double t0)
{
	struct krun_err *err = NULL;
	cleanup_free void *initrd = NULL;
	size_t initrd_len = 0;
	struct vm_exit_info info;
	struct stopper st = {.vm = vm, .ms = o->stop_after_ms};
	pthread_t stopper;

	if (o->initrd && !(initrd = read_file(o->initrd, &initrd_len))) {
		fprintf(stderr, "hw-boot: cannot read `%s`\n", o->initrd);
		return 125;
	}
	if (vm_load_kernel(vm, o->kernel, o->cmdline, initrd, initrd_len,
			   &err) < 0)
		return fail(&err);
	fprintf(stderr, "hw-boot: VM set up in %.1f ms\n", now_ms() - t0);
	if (st.ms > 0)
		pthread_create(&stopper, NULL, stop_later, &st);
	if (vm_run(vm, &info, &err) < 0)
		return fail(&err);
	if (st.ms > 0)
		pthread_join(stopper, NULL);
	fprintf(stderr, "hw-boot: stopped: %s, status %u, after %.1f ms\n",
		vm_stop_reason_name(info.reason), info.status, now_ms() - t0);
	for (unsigned int i = 0;
	     info.reason == VM_STOP_REQUESTED && i < o->vm.vcpus; i++) {
		uint64_t rip;

		if (vm_vcpu_rip(vm, i, &rip, NULL) == 0)
			fprintf(stderr, "hw-boot: vCPU %u rip 0x%llx\n", i,
				(unsigned long long)rip);
	}
	return info.reason == VM_STOP_GUEST_EXIT ? (int)(info.status & 0xff)
						 : 124;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.vm = {.vcpus = 1,
		       .ram_bytes = 256ull << 20,
		       .serial_fd = STDERR_FILENO,
		       .exit_port = KRUN_GUEST_EXIT_PORT},
		.blob_exit = -1,
	};
	struct krun_err *err = NULL;
	struct vm *vm = NULL;
	double t0 = now_ms();
	cleanup_free char *blob = NULL;
	int status;

	parse(argc, argv, &o);
	if (o.blob_exit >= 0 &&
	    !(o.kernel = blob =
		      write_blob_elf((uint32_t)o.blob_exit, o.blob_spin))) {
		perror("hw-boot: blob");
		return 125;
	}
	if (vm_create(&o.vm, &vm, &err) < 0)
		return fail(&err);
	status = boot(&o, vm, t0);
	vm_destroy(vm);
	return status;
}
