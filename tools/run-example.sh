#!/usr/bin/env bash
# The README's main job: run a program from the busybox test rootfs in a
# krun-run microVM and show that its output and exit status come back.
# Where this machine's KVM cannot run a stock guest kernel (PVM, or no
# hardware virtualization), it runs inside the emulated test host instead
# and says so.
set -euo pipefail

build=$(cd "${1:?usage: run-example.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
krun=$build/cmd/krun-run/krun-run
rootfs=$build/tests/rootfs/busybox-rootfs
expect=3
script='echo "hello from $(uname -sr) in a krun-run microVM, $(nproc) vCPUs";
grep MemTotal /proc/meminfo; echo "to stderr" >&2; exit 3'

host_kvm_runs_guests() {
	[ -c /dev/kvm ] && [ -r /dev/kvm ] || return 1
	[ ! -d /sys/module/kvm_pvm ] || return 1
	grep -qE '^flags.*\b(vmx|svm)\b' /proc/cpuinfo
}

cmd=("$krun" --root "$rootfs" --cpus 2 --memory 256M -- /bin/sh -c "$script")
printf '==> %q ' "${cmd[@]}"
echo
status=0
if host_kvm_runs_guests; then
	"${cmd[@]}" || status=$?
else
	echo "==> this machine's KVM cannot run a stock guest kernel" \
		"(PVM or no hardware virtualization):" \
		"running inside the emulated test host (QEMU TCG, nested SVM)"
	"$top/tests/host/run-in-testhost" --quiet --no-workdir --timeout 600 \
		-- "${cmd[@]}" || status=$?
fi
echo "==> krun-run exited with status $status (the workload's exit $expect)"
[ "$status" -eq "$expect" ]
