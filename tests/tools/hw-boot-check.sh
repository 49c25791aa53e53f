#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# hw-boot-check.sh BUILD_DIR KERNEL
#
# Boots KERNEL with hw-boot and an initramfs whose /init is hw-test-init,
# once per check, and compares the status the guest reports through the
# exit port. Needs a KVM that can run Linux (the emulated test host:
#   tests/host/run-in-testhost -- tests/tools/hw-boot-check.sh build KERNEL).
# Prints one line per check; exit status 0 when all pass.
# Environment: CHECKS="name ..." runs only those checks; EXTRA_CMDLINE is
# appended to the guest command line; VERBOSE=1 prints hw-boot's output.
set -u
build=${1:?usage: hw-boot-check.sh BUILD_DIR KERNEL}
kernel=${2:?usage: hw-boot-check.sh BUILD_DIR KERNEL}
hwboot=$build/tests/tools/hw-boot
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hw-boot-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/root/proc" "$tmp/root/dev"
cp "$build/tests/tools/hw-test-init" "$tmp/root/init"
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$tmp/initrd.cpio" || exit 1

failed=0
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# check NAME EXPECT HWTEST [hw-boot options...]; EXPECT is a status, a
# "reset"/"triple" stop reason, or "any" (report only).
check() {
	name=$1 expect=$2 test=$3
	shift 3
	case " ${CHECKS:-$DEFAULT_CHECKS} " in *" $name "*) ;; *) return ;; esac
	t0=$(now_ms)
	out=$(timeout 300 "$hwboot" --stop-after "${STOP_AFTER_MS:-240000}" --initrd "$tmp/initrd.cpio" \
		--cmdline "quiet hwtest=$test ${EXTRA_CMDLINE:-}" "$@" "$kernel" 2>&1)
	wall=$(($(now_ms) - t0))
	stop=$(printf '%s\n' "$out" | sed -n 's/^hw-boot: stopped: //p')
	status=$(printf '%s\n' "$stop" | sed -n 's/^guest exit, status \([0-9]*\),.*/\1/p')
	case $expect in
	any) ok=$([ -n "$status" ] && echo yes || echo no) ;;
	reset) ok=$(case $stop in "guest reset"*) echo yes ;; *) echo no ;; esac) ;;
	*) ok=$([ "$status" = "$expect" ] && echo yes || echo no) ;;
	esac
	printf '%-4s %-22s expect=%-6s got=%-8s wall=%5d ms  [%s]\n' \
		"$([ $ok = yes ] && echo PASS || echo FAIL)" "$name" "$expect" \
		"${status:--}" "$wall" "${stop:-$(printf '%s' "$out" | tail -n 3)}"
	[ $ok = yes ] || failed=1
	[ -z "${VERBOSE:-}" ] || printf '%s\n' "$out"
}

# kmsg-* copy kernel log lines over the (slow, nested) serial port: only
# when named in CHECKS, for debugging timer/APIC/SMP trouble.
DEFAULT_CHECKS="exit-status uptime-ms cpus-1 cpus-2 cpus-4 ram-256M ram-3328M reboot panic-resets serial-tty"
check exit-status 42 exit42
check uptime-ms any uptime
check cpus-1 1 nprocs --cpus 1
check cpus-2 2 nprocs --cpus 2
check cpus-4 4 nprocs --cpus 4
check ram-256M any ram --memory 256
check ram-3328M any ram --memory 3328
check reboot reset reboot
check panic-resets reset panic
check serial-tty 7 serial --serial
check kmsg-1cpu 8 kmsg --serial --cpus 1
check kmsg-2cpu 8 kmsg --serial --cpus 2
exit $failed
