#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The layering check can fail: copy the tree, plant one violation of each
# rule and expect exactly those lines, then the copy without plants passes.
# Usage: test-check-layering.sh CHECKER SOURCE_ROOT
set -u

checker=$1 src=$2
tmp=$(mktemp -d /tmp/krun-layering-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

for d in cmd lib hw virtio util; do
	cp -R "$src/$d" "$tmp/$d" || exit 1
done

"$checker" "$tmp" >"$tmp/clean.out" 2>&1
code=$?
if [ "$code" != 0 ]; then
	echo "FAIL: the unplanted copy: exit $code, want 0; output:" >&2
	cat "$tmp/clean.out" >&2
	failures=$((failures + 1))
fi

# (a) a lower layer includes an upper one; hw/ includes virtio/
printf '#include "lib/config/config.h"\n' >>"$tmp/hw/x86/cpuid.c"
printf '#include "virtio/queue.h"\n' >>"$tmp/hw/kvm/io_bus.c"
printf '#include "hw/kvm/vm.h"\n' >>"$tmp/virtio/blk.c"
# (b) a library ends the process
printf 'void planted_die(void);\nvoid planted_die(void)\n{\n\tabort();\n}\n' \
	>>"$tmp/virtio/rng.c"
# the documented krun_start_enter() exit gone: its allow entry is stale
sed -i 's/^\texit(ret);$/\treturn ret;/' "$tmp/lib/api/api.c"
# not calls: a comment, a string, a member named exit
printf '/* exit(1) */\nstatic const char *planted_s = "abort()";\n' \
	>>"$tmp/util/err.c"
printf 'struct planted_ops { void (*exit)(void); };\n' >>"$tmp/util/err.c"
printf 'static void planted_call(struct planted_ops *o) { o->exit(); }\n' \
	>>"$tmp/util/err.c"
# (c) krun-init includes a host header; the host includes a krun-init one
printf '#include "lib/config/config.h"\n' >>"$tmp/cmd/krun-init/mounts.c"
printf '#include "cmd/krun-init/guest_config.h"\n' >>"$tmp/cmd/krun-run/options.c"

n_cpuid=$(wc -l <"$tmp/hw/x86/cpuid.c")
n_io_bus=$(wc -l <"$tmp/hw/kvm/io_bus.c")
n_rng=$(($(wc -l <"$tmp/virtio/rng.c") - 1))
n_mounts=$(wc -l <"$tmp/cmd/krun-init/mounts.c")
n_options=$(wc -l <"$tmp/cmd/krun-run/options.c")
n_blk=$(wc -l <"$tmp/virtio/blk.c")
cat >"$tmp/want" <<WANT
cmd/krun-init/mounts.c:$n_mounts: init: includes lib/config/config.h: krun-init may include from lib/, hw/, virtio/ only lib/guest_abi.h
cmd/krun-run/options.c:$n_options: init: includes cmd/krun-init/guest_config.h: the host side must not share headers with krun-init (only lib/guest_abi.h)
hw/kvm/io_bus.c:$n_io_bus: include: includes virtio/queue.h: hw/ must never include virtio/
hw/x86/cpuid.c:$n_cpuid: include: includes lib/config/config.h: hw/ is below lib/ and must not include it
virtio/blk.c:$n_blk: include: includes hw/kvm/vm.h: virtio/ may include from hw/ only hw/kvm/guest_mem.h, hw/kvm/io_bus.h
virtio/rng.c:$n_rng: exit: abort() in planted_die(): only cmd/ may end the process; a library returns an error
lib/api/api.c: exit: allow-list entry for exit() in krun_start_enter() matches nothing: remove it
check-layering: 7 violation(s) in $(sed -n 's/.*: \([0-9]*\) files follow.*/\1/p' "$tmp/clean.out") files (rules: docs/ARCHITECTURE.md, Layers)
WANT

"$checker" "$tmp" >"$tmp/out" 2>&1
code=$?
cat "$tmp/out"
if [ "$code" != 1 ]; then
	echo "FAIL: the planted copy: exit $code, want 1" >&2
	failures=$((failures + 1))
fi
if ! diff -u "$tmp/want" "$tmp/out" >&2; then
	echo "FAIL: the planted copy: output differs from the expected lines" >&2
	failures=$((failures + 1))
fi

[ "$failures" = 0 ] || exit 1
echo "the layering check reports each planted violation"
