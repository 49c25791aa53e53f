// SPDX-License-Identifier: Apache-2.0
/*
 * hw-test-init: /init of the initramfs that tests/tools/hw-boot-check.sh
 * boots. It reports one measurement through the exit port, chosen by the
 * kernel command line parameter hwtest=... (which the kernel hands to init
 * in its environment):
 *   exit42  42            nprocs  get_nprocs()
 *   ram     total RAM in MiB (sysinfo)
 *   uptime  guest uptime in ms when /init started (needs /proc)
 *   serial  writes a line to /dev/ttyS0 and reports 7
 *   kmsg    copies the kernel log lines about timers, APICs, CPUs and
 *           clocks to /dev/ttyS0 (boot with --serial) and reports 8
 *   reboot  reboot(2) instead of reporting: the VMM must see a reset
 *   panic   return from init: the kernel panics (panic=-1 resets)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <termios.h>
#include <unistd.h>

#include "lib/guest_abi.h"

static unsigned int uptime_ms(void)
{
	double up = 0;
	FILE *f;

	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		return 0xffff;
	f = fopen("/proc/uptime", "r");
	if (!f || fscanf(f, "%lf", &up) != 1)
		return 0xfffe;
	fclose(f);
	return (unsigned int)(up * 1000);
}

static unsigned int ram_mib(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (unsigned int)((unsigned long long)si.totalram * si.mem_unit >>
			      20);
}

static unsigned int serial_line(void)
{
	static const char msg[] = "hw-test-init: hello over ttyS0\n";
	int fd;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
	if (fd < 0 || write(fd, msg, sizeof(msg) - 1) < 0)
		return 1;
	tcdrain(fd);
	return 7;
}

static bool interesting(const char *line)
{
	static const char *const words[] = {
		"TIMER",    "timer",	 "8259",   "MP-BIOS",	  "tsc",
		"TSC",	    "smp",	 "APIC",   "clocksource", "CPU",
		"calibrat", "Run /init", "MP",	   "delay",	  "IRQ",
		"rcu",	    "random",	 "Memory",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(line, words[i]))
			return true;
	return false;
}

static unsigned int kmsg_lines(void)
{
	char rec[1024];
	int in, out;
	ssize_t n;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	in = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	out = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
	if (in < 0 || out < 0)
		return 1;
	while ((n = read(in, rec, sizeof(rec) - 1)) > 0 ||
	       (n < 0 && errno == EPIPE)) {
		char *msg;

		if (n <= 0)
			continue;
		rec[n] = 0;
		msg = strchr(rec, ';'); /* "prio,seq,usec,flags;text\n" */
		if (msg && interesting(msg) && write(out, rec, (size_t)n) < 0)
			return 1;
	}
	tcdrain(out);
	return 8;
}

int main(void)
{
	const char *test = getenv("hwtest");
	unsigned int status = 255;

	if (!test)
		test = "exit42";
	if (!strcmp(test, "exit42"))
		status = 42;
	else if (!strcmp(test, "nprocs"))
		status = (unsigned int)get_nprocs();
	else if (!strcmp(test, "ram"))
		status = ram_mib();
	else if (!strcmp(test, "uptime"))
		status = uptime_ms();
	else if (!strcmp(test, "serial"))
		status = serial_line();
	else if (!strcmp(test, "kmsg"))
		status = kmsg_lines();
	else if (!strcmp(test, "reboot"))
		reboot(RB_AUTOBOOT);
	else if (!strcmp(test, "panic"))
		return 1;
	if (ioperm(KRUN_GUEST_EXIT_PORT, 4, 1) < 0)
		return 2;
	outl(status, KRUN_GUEST_EXIT_PORT);
	for (;;)
		pause();
}
