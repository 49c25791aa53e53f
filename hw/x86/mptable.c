// SPDX-License-Identifier: Apache-2.0
#include "hw/x86/mptable.h"

#include <errno.h>
#include <string.h>

#include "hw/x86/layout.h"

#define MP_SPEC_REV 4
#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11
#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_CPU_SIGNATURE 0x600 /* family 6 */
#define MP_CPU_FEATURES 0x201  /* FPU, APIC */

enum mp_entry_type {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_IOINTR = 3,
	MP_LINTR = 4,
};

enum mp_irq_type {
	MP_INT = 0,
	MP_NMI = 1,
	MP_EXTINT = 3,
};

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount; /* number of entries */
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature; /* signature */
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc { /* I/O and local interrupt entries share the shape */
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf_intel) == 16, "mpf");
_Static_assert(sizeof(struct mpc_table) == 44, "mpc");
_Static_assert(sizeof(struct mpc_cpu) == 20, "mpc_cpu");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "mpc_intsrc");

#define MP_NUM_LINTS 2

size_t mptable_size(unsigned int ncpus)
{
	return sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
	       ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) +
	       (LAYOUT_IOAPIC_PINS + MP_NUM_LINTS) * sizeof(struct mpc_intsrc);
}

static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static uint8_t *put_cpus(uint8_t *p, unsigned int ncpus)
{
	for (unsigned int i = 0; i < ncpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = MP_APIC_VERSION,
			.cpuflag = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.cpufeature = MP_CPU_SIGNATURE,
			.featureflag = MP_CPU_FEATURES,
		};

		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	return p;
}

static uint8_t *put_intsrc(uint8_t *p, uint8_t type, uint8_t irqtype,
			   uint8_t srcbusirq, uint8_t dstapic, uint8_t dstirq)
{
	struct mpc_intsrc e = {
		.type = type,
		.irqtype = irqtype,
		.irqflag = 0, /* conforms to bus: ISA, edge, active high */
		.srcbus = 0,
		.srcbusirq = srcbusirq,
		.dstapic = dstapic,
		.dstirq = dstirq,
	};

	memcpy(p, &e, sizeof(e));
	return p + sizeof(e);
}

static uint8_t *put_bus_and_ioapic(uint8_t *p, unsigned int ncpus)
{
	struct mpc_bus bus = {
		.type = MP_BUS,
		.busid = 0,
		.bustype = {'I', 'S', 'A', ' ', ' ', ' '},
	};
	struct mpc_ioapic ioapic = {
		.type = MP_IOAPIC,
		.apicid = (uint8_t)ncpus,
		.apicver = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED,
		.apicaddr = (uint32_t)LAYOUT_IOAPIC_ADDR,
	};

	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	for (unsigned int pin = 0; pin < LAYOUT_IOAPIC_PINS; pin++)
		p = put_intsrc(p, MP_IOINTR, MP_INT, (uint8_t)pin,
			       (uint8_t)ncpus, (uint8_t)pin);
	/* Local interrupts go to all local APICs (0xff). */
	p = put_intsrc(p, MP_LINTR, MP_EXTINT, 0, 0xff, 0);
	return put_intsrc(p, MP_LINTR, MP_NMI, 0, 0xff, 1);
}

int mptable_build(uint8_t *buf, size_t buflen, uint64_t gpa, unsigned int ncpus,
		  struct krun_err **err)
{
	size_t size = mptable_size(ncpus);
	struct mpf_intel mpf = {.signature = {'_', 'M', 'P', '_'}};
	struct mpc_table mpc = {.signature = {'P', 'C', 'M', 'P'}};
	uint8_t *end;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return krun_err_set(err, EINVAL,
				    "MP table: %u CPUs (1..%u supported)",
				    ncpus, MPTABLE_MAX_CPUS);
	if (buflen < size || gpa > UINT32_MAX - size)
		return krun_err_set(err, ENOSPC,
				    "MP table: %zu bytes do not fit at 0x%llx",
				    size, (unsigned long long)gpa);
	memset(buf, 0, size);
	end = put_bus_and_ioapic(
		put_cpus(buf + sizeof(mpf) + sizeof(mpc), ncpus), ncpus);

	memcpy(mpc.oem, "KRUN    ", 8);
	memcpy(mpc.productid, "KRUN-RUN    ", 12);
	mpc.length = (uint16_t)(end - buf - sizeof(mpf));
	mpc.spec = MP_SPEC_REV;
	mpc.oemcount =
		(uint16_t)(ncpus + 2 + LAYOUT_IOAPIC_PINS + MP_NUM_LINTS);
	mpc.lapic = (uint32_t)LAYOUT_LAPIC_ADDR;
	memcpy(buf + sizeof(mpf), &mpc, sizeof(mpc));
	buf[sizeof(mpf) + offsetof(struct mpc_table, checksum)] =
		mp_checksum(buf + sizeof(mpf), mpc.length);

	mpf.physptr = (uint32_t)(gpa + sizeof(mpf));
	mpf.length = 1;
	mpf.specification = MP_SPEC_REV;
	mpf.checksum = mp_checksum((const uint8_t *)&mpf, sizeof(mpf));
	memcpy(buf, &mpf, sizeof(mpf));
	return 0;
}
