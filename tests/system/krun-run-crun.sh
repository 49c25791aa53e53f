#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-crun.sh KRUN-RUN CRUN-KRUN LIBKRUN (inside the test host): crun
# built with its libkrun handler (tools/build-crun-krun.sh), run as `krun`
# on this build's libkrun.so.1: `krun run` of a `krun spec` bundle, and
# `podman --runtime krun run --rm --network none --rootfs DIR CMD`. Each
# checks the exit status, stdout and stderr apart, the environment and
# working directory the container's config gives (through
# /.krun_config.json), and that the workload ran under the guest kernel,
# not the test host's. crun loads the library before it pivots into the
# container's root and starts the VM after: the kernel the library mapped
# at load is what boots.
KRUN_RUN=${1:?usage: krun-run-crun.sh KRUN-RUN CRUN-KRUN LIBKRUN}
crun_krun=${2:?usage: krun-run-crun.sh KRUN-RUN CRUN-KRUN LIBKRUN}
libkrun=${3:?usage: krun-run-crun.sh KRUN-RUN CRUN-KRUN LIBKRUN}
. "$(dirname "$0")/checklib.sh"

if [ ! -x "$crun_krun" ]; then
	echo "1..0 # SKIP crun-as-krun is not built: no \`$crun_krun\`" \
		"(tools/setup.sh test builds it with tools/build-crun-krun.sh)"
	exit 77
fi

# The cached crun, beside a libkrun.so.1 that is this build's library
# (RUNPATH: crun dlopen()s "libkrun.so.1").
bin=$work/krun-bin
mkdir -p "$bin"
cp "$crun_krun" "$bin/krun"
ln -s "$libkrun" "$bin/libkrun.so.1"
if ! patchelf --set-rpath "$bin" "$bin/krun"; then
	echo "1..0 # SKIP patchelf is missing (tools/build-crun-krun.sh installs it)"
	exit 77
fi
krun_bin=$bin/krun
host_kernel=$(uname -r)

# run NAME CMD...: like checklib's krun, for any command.
run() {
	local name=$1 rc start=$SECONDS
	shift
	last=$work/$name
	last_argv=()
	last_cmd=$(printf '%q ' "$@")
	last_out_shown=1
	timeout -k 5 "$check_timeout" "$@" </dev/null >"$last.out" 2>"$last.err"
	rc=$?
	echo "$rc" >"$last.rc"
	if [ $((SECONDS - start)) -ge "$check_timeout" ]; then
		echo "[check harness: timed out after ${check_timeout}s]" >>"$last.err"
	fi
	return "$rc"
}

# What the workload prints: stdout lines for the checks, one stderr line.
workload='echo "out"; echo "err" >&2
echo "foo $FOO"; echo "cwd $(pwd)"; echo "kernel $(uname -r)"
echo "memtotal $(sed -n "s/^MemTotal: *\([0-9]*\) kB$/\1/p" /proc/meminfo)"'

# ---- krun run: a bundle from `krun spec` -----------------------------------
bundle=$work/bundle
mkdir -p "$bundle"
cp -a "$root" "$bundle/rootfs"
(cd "$bundle" && "$krun_bin" spec) || {
	fail "krun spec writes a bundle's config.json"
	checks_done
}
# The process, its env and cwd, and a memory limit (crun's handler sizes
# the VM's RAM from linux.resources.memory.limit).
python3 - "$bundle/config.json" "$workload; exit 7" <<'EOF'
import json, sys
path, script = sys.argv[1], sys.argv[2]
with open(path) as f:
    c = json.load(f)
p = c["process"]
p["terminal"] = False
p["args"] = ["/bin/sh", "-c", script]
p["env"].append("FOO=from-spec")
p["cwd"] = "/tmp"
c["linux"].setdefault("resources", {})["memory"] = {"limit": 384 << 20}
with open(path, "w") as f:
    json.dump(c, f, indent=1)
EOF

run crun-run sh -c "cd '$bundle' && exec '$krun_bin' run krun-ctr-1"
expect_status "krun run: the workload's exit status" 7
expect_eq "krun run: stdout" out "$(head -n 1 "$last.out")"
expect_eq "krun run: stderr is the workload's alone" err "$(cat "$last.err")"
expect_eq "krun run: env from the spec (/.krun_config.json)" from-spec \
	"$(line_of foo "$last.out")"
expect_eq "krun run: cwd from the spec" /tmp "$(line_of cwd "$last.out")"
guest_kernel=$(line_of kernel "$last.out")
if [ -n "$guest_kernel" ] && [ "$guest_kernel" != "$host_kernel" ]; then
	pass "krun run: the workload ran under the guest kernel ($guest_kernel)"
else
	fail "krun run: the workload ran under the guest kernel" \
		"got $(printf %q "$guest_kernel"), the test host runs $host_kernel"
fi
# 384 MiB of guest RAM, less what the kernel keeps.
expect_range "krun run: guest RAM from linux.resources.memory.limit (kB)" \
	250000 "$(line_of memtotal "$last.out")" 393216
run crun-list "$krun_bin" list -q
expect_eq "krun run: nothing left behind (krun list)" "" "$(cat "$last.out")"

# ---- podman --runtime krun ---------------------------------------------------
if ! command -v podman >/dev/null; then
	check_count=$((check_count + 1))
	echo "ok $check_count - podman --runtime krun # SKIP podman is not installed (tools/setup.sh installs it)"
	checks_done
fi
# The test host's root is the build machine's, read-only: podman's storage
# and run state go to tmpfs. cgroupfs: no systemd in the test host; file:
# no journald.
pm=$work/podman
mkdir -p "$pm"
cp -a "$root" "$pm/rootfs"
podman=(podman --root "$pm/storage" --runroot "$pm/run" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file --runtime "$krun_bin")
check_timeout=300
run podman-run "${podman[@]}" run --rm --network none -e FOO=from-podman \
	-w /tmp --memory 384m --rootfs "$pm/rootfs" /bin/sh -c "$workload; exit 5"
expect_status "podman run: the workload's exit status" 5
expect_eq "podman run: stdout" out "$(head -n 1 "$last.out")"
expect_eq "podman run: stderr is the workload's alone" err "$(cat "$last.err")"
expect_eq "podman run: -e FOO reaches the workload" from-podman \
	"$(line_of foo "$last.out")"
expect_eq "podman run: -w /tmp" /tmp "$(line_of cwd "$last.out")"
guest_kernel=$(line_of kernel "$last.out")
if [ -n "$guest_kernel" ] && [ "$guest_kernel" != "$host_kernel" ]; then
	pass "podman run: the workload ran under the guest kernel ($guest_kernel)"
else
	fail "podman run: the workload ran under the guest kernel" \
		"got $(printf %q "$guest_kernel"), the test host runs $host_kernel"
fi
expect_range "podman run: --memory 384m sizes the guest (kB)" \
	250000 "$(line_of memtotal "$last.out")" 393216
run podman-ps "${podman[@]}" ps -a -q
expect_eq "podman run --rm: no container left (podman ps -a)" "" "$(cat "$last.out")"

checks_done
