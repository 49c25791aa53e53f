# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2016,SC2054
#
# bench/lib/qemu-guest.sh: sourced by the benchmarks that put krun-run next
# to QEMU inside the emulated test host. It defines
#
#   qemu_guest [options] -- SHELL-CMDS
#
# which boots the project's guest kernel under qemu-system-x86_64 -enable-kvm
# -M microvm,acpi=off -cpu host (the test host's nested KVM, as krun-run
# uses it), runs SHELL-CMDS under busybox sh as root and returns their exit
# status (123: the guest stopped without one, 124: timeout). The serial
# console carries the workload's output; the kernel is quiet, so the console
# holds only that and the status line.
#
#   --kernel VMLINUX   the guest kernel (ELF with a PVH note, as -kernel needs)
#   --tree DIR         the root: DIR (e.g. the busybox test root) packed as an
#                      initramfs with an /init that mounts /proc, /sys, /dev
#                      and /tmp, sets up what the options ask, then runs
#                      SHELL-CMDS
#   --disk IMAGE:FMT   also attach IMAGE (raw|qcow2) as virtio-blk (cache
#                      writeback, discard unmap); with --disk-root the init
#                      mounts it (ext4) on /mnt and runs SHELL-CMDS chrooted
#                      there with /proc, /sys, /dev bound in
#   --disk-root        see --disk
#   --cpus N           vCPUs (default 1)
#   --memory MIB       guest RAM (default 512)
#   --net-socket PATH  virtio-net over -netdev stream to the UNIX socket PATH
#                      (passt --socket PATH); eth0 gets --net-addr, --net-gw
#                      and MTU 65520 statically (what passt's DHCP hands out)
#   --net-addr A/N     guest IPv4 address/prefix
#   --net-gw G         guest default gateway
#   --vsock-cid CID    vhost-vsock-device with guest-cid CID (needs
#                      /dev/vhost-vsock)
#   --console FILE     write the console to FILE (default: a temporary file,
#                      copied to stdout at the end); the caller may watch it
#                      while the guest runs
#   --timeout S        kill QEMU after S seconds (default 600)
#
# The status line on the console is "qemu-guest: status N".

qemu_guest() {
	local kernel='' tree='' disk='' disk_root=0 cpus=1 memory=512
	local net_sock='' net_addr='' net_gw='' cid='' console='' timeout_s=600
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) kernel=${2:?}; shift 2 ;;
		--tree) tree=${2:?}; shift 2 ;;
		--disk) disk=${2:?}; shift 2 ;;
		--disk-root) disk_root=1; shift ;;
		--cpus) cpus=${2:?}; shift 2 ;;
		--memory) memory=${2:?}; shift 2 ;;
		--net-socket) net_sock=${2:?}; shift 2 ;;
		--net-addr) net_addr=${2:?}; shift 2 ;;
		--net-gw) net_gw=${2:?}; shift 2 ;;
		--vsock-cid) cid=${2:?}; shift 2 ;;
		--console) console=${2:?}; shift 2 ;;
		--timeout) timeout_s=${2:?}; shift 2 ;;
		--) shift; break ;;
		*) echo "qemu_guest: unknown option $1" >&2; return 2 ;;
		esac
	done
	local cmds=${1:?qemu_guest: no SHELL-CMDS}
	if [ -z "$kernel" ] || [ -z "$tree" ]; then
		echo "qemu_guest: --kernel and --tree are required" >&2
		return 2
	fi
	if [ -n "$net_sock" ] && { [ -z "$net_addr" ] || [ -z "$net_gw" ]; }; then
		echo "qemu_guest: --net-socket needs --net-addr and --net-gw" >&2
		return 2
	fi
	if [ $disk_root -eq 1 ] && [ -z "$disk" ]; then
		echo "qemu_guest: --disk-root needs --disk" >&2
		return 2
	fi

	local w rc=0 status own_console=0
	w=$(mktemp -d "${TMPDIR:-/tmp}/qemu-guest.XXXXXX") || return 125
	if [ -z "$console" ]; then
		console=$w/console
		own_console=1
	fi
	: >"$console"

	# The init: the kernel file systems (as krun-init mounts them), the
	# network and the root, then the workload; its status on the console.
	mkdir "$w/init" "$w/init/bench"
	printf '%s\n' "$cmds" >"$w/init/bench/cmds"
	{
		echo '#!/bin/sh'
		echo 'mount -t proc proc /proc'
		echo 'mount -t sysfs sysfs /sys'
		echo 'mount -t devtmpfs devtmpfs /dev'
		echo 'mount -t tmpfs tmpfs /tmp'
		echo 'ip link set lo up'
		if [ -n "$net_sock" ]; then
			echo 'ip link set eth0 mtu 65520 up'
			echo "ip addr add $net_addr dev eth0"
			echo "ip route add default via $net_gw"
		fi
		if [ $disk_root -eq 1 ]; then
			echo 'mkdir -p /mnt'
			echo 'mount -t ext4 /dev/vda /mnt || echo "qemu-guest: cannot mount /dev/vda"'
			echo 'for d in proc sys dev tmp; do mkdir -p /mnt/$d; mount --bind /$d /mnt/$d; done'
			echo 'cp /bench/cmds /mnt/tmp/.qemu-guest-cmds'
			echo 'chroot /mnt /bin/sh /tmp/.qemu-guest-cmds'
		else
			echo '/bin/sh /bench/cmds'
		fi
		echo 'echo "qemu-guest: status $?"'
		echo 'sync'
		echo 'reboot -f'
	} >"$w/init/init"
	chmod 755 "$w/init/init"
	{
		(cd "$tree" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet)
		(cd "$w/init" && printf '%s\n' init bench bench/cmds |
			cpio -o -H newc -R 0:0 --quiet)
	} >"$w/initramfs.cpio"

	local args=(-enable-kvm -M microvm,acpi=off -cpu host -smp "$cpus"
		-m "$memory" -nodefaults -no-user-config -display none
		-monitor none -serial "file:$console" -no-reboot
		-kernel "$kernel" -initrd "$w/initramfs.cpio"
		-append "console=ttyS0 quiet panic=-1 reboot=t")
	if [ -n "$disk" ]; then
		args+=(-drive "id=d0,if=none,file=${disk%:*},format=${disk##*:},cache=writeback,discard=unmap"
			-device virtio-blk-device,drive=d0)
	fi
	if [ -n "$net_sock" ]; then
		args+=(-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$net_sock"
			-device virtio-net-device,netdev=n0)
	fi
	[ -z "$cid" ] || args+=(-device "vhost-vsock-device,guest-cid=$cid")

	timeout -k 5 "$timeout_s" qemu-system-x86_64 "${args[@]}" \
		</dev/null >"$w/qemu.out" 2>&1 || rc=$?
	[ $own_console -eq 1 ] && tr -d '\r' <"$console"
	status=$(tr -d '\r' <"$console" | sed -n 's/^qemu-guest: status \([0-9]*\)$/\1/p' | tail -n 1)
	if [ -z "$status" ]; then
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			echo "qemu_guest: timed out after ${timeout_s}s" >&2
			status=124
		else
			echo "qemu_guest: the guest stopped without a status (qemu exit $rc):" >&2
			tail -n 20 "$w/qemu.out" >&2
			status=123
		fi
	fi
	rm -rf "$w"
	return "$status"
}
