#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-docker.sh KRUN-RUN (inside the test host): docker's flags and an
# OCI bundle's process attributes, checked from inside the guest: -v with a
# relative host directory and :ro, -u NAME from the root's passwd file,
# --group-add, --memory 1.5G, --tmpfs, --read-only, --sysctl, --entrypoint,
# --cap-drop/--cap-add, --security-opt no-new-privileges,
# -t / --interactive=false, --root-disk FILE in the current directory,
# --timeout (124, orderly stop, nothing left) with --stop-timeout, and a crun-spec bundle with
# reduced capabilities, no_new_privs, umask, groups, a seccomp profile, a
# tmpfs mount, a sysctl, masked and read-only paths and crun's krun.cpus /
# krun.ram_mib annotations.
KRUN_RUN=${1:?usage: krun-run-docker.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"

cat >>"$root/etc/passwd" <<'EOT'
alice:x:1234:1234:Alice:/home/alice:/bin/sh
EOT
cat >>"$root/etc/group" <<'EOT'
alice:x:1234:
audio:x:29:alice
video:x:44:bob,alice
staff:x:50:
EOT
touch "$root/mnt/visible-on-host"
cd "$work" || exit 1
mkdir data && echo hello >data/f

# A relative host directory, read-only.
krun volume --root ./root -v ./data:/data:ro -- /bin/sh -c '
	echo "ls $(ls /data)"; echo "cat $(cat /data/f)"
	echo "write $(krun-check write /data/new)"'
expect_status "-v ./data:/data:ro: exit status" 0
expect_eq "-v ./data:/data:ro lists the host's ./data" f "$(line_of ls "$last.out")"
expect_eq "-v ./data:/data:ro reads the host's file" hello "$(line_of cat "$last.out")"
expect_eq "-v ./data:/data:ro cannot be written" EROFS "$(line_of write "$last.out")"
expect_eq "-v :ro: nothing created on the host" "f" "$(ls data)"

krun user-name --root ./root -u alice --group-add staff -- /bin/sh -c '
	krun-check ids; echo "home $HOME"; echo "whoami $(id -un)"'
expect_status "-u alice: exit status" 0
expect_eq "-u alice: uid from /etc/passwd" "1234 1234 1234" "$(line_of uid "$last.out")"
expect_eq "-u alice: gid from /etc/passwd" "1234 1234 1234" "$(line_of gid "$last.out")"
expect_eq "-u alice --group-add staff: supplementary groups" "29 44 50" \
	"$(line_of groups "$last.out" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "-u alice: HOME from /etc/passwd" /home/alice "$(line_of home "$last.out")"

krun user-num --root ./root -u 4321:audio -- krun-check ids
expect_eq "-u 4321:audio: unknown uid, group by name" "4321 4321 4321" "$(line_of uid "$last.out")"
expect_eq "-u 4321:audio: gid 29" "29 29 29" "$(line_of gid "$last.out")"

krun user-unknown --root ./root -u mallory -- true
expect_status "-u mallory (not in passwd): status 125" 125
expect_eq "-u mallory: says why" 1 "$(grep -c 'unable to find user `mallory`' "$last.err")"

krun memory --root ./root --memory 1.5G --tmpfs /scratch:size=8m \
	--sysctl vm.swappiness=17 --entrypoint /bin/sh -- -c '
	echo "memtotal $(sed -n "s/^MemTotal: *\([0-9]*\) kB$/\1/p" /proc/meminfo)"
	echo "tmpfs $(grep " /scratch " /proc/mounts)"
	echo "swappiness $(cat /proc/sys/vm/swappiness)"'
expect_status "--memory 1.5G --tmpfs --sysctl --entrypoint: exit status" 0
expect_range "--memory 1.5G: MemTotal in [80%, 100%] of 1536 MiB (kB)" \
	$((1536 * 1024 * 80 / 100)) "$(line_of memtotal "$last.out")" $((1536 * 1024))
expect_eq "--tmpfs /scratch:size=8m mounted nosuid,nodev,noexec" \
	"tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=8192k 0 0" \
	"$(line_of tmpfs "$last.out")"
expect_eq "--sysctl vm.swappiness=17" 17 "$(line_of swappiness "$last.out")"

krun caps --root ./root --cap-drop ALL --cap-add KILL --cap-add net_raw \
	--security-opt no-new-privileges -- /bin/sh -c '
	grep -E "^(CapBnd|CapEff|NoNewPrivs):" /proc/self/status |
		tr -d "\t" | sed "s/:/ /"'
expect_eq "--cap-drop ALL --cap-add KILL,NET_RAW: CapBnd" 0000000000002020 \
	"$(line_of CapBnd "$last.out")"
expect_eq "--cap-drop ALL --cap-add KILL,NET_RAW: CapEff (root)" \
	0000000000002020 "$(line_of CapEff "$last.out")"
expect_eq "--security-opt no-new-privileges" 1 "$(line_of NoNewPrivs "$last.out")"

krun read-only --root ./root --read-only -- /bin/sh -c '
	echo "root $(krun-check write /x)"; echo "tmp $(krun-check write /tmp/x)"'
expect_eq "--read-only: / is read-only" EROFS "$(line_of root "$last.out")"
expect_eq "--read-only: /tmp is writable" ok "$(line_of tmp "$last.out")"

krun tty --root ./root -t -- krun-check isatty
expect_eq "-t with stdin and stdout redirected: stdout is a terminal" "tty" \
	"$(line_of fd1 "$last.out" | tr -d '\r')"
echo from-stdin >stdin.txt
KRUN_STDIN=stdin.txt krun no-stdin --root ./root --interactive=false -- cat
expect_status "--interactive=false: exit status" 0
expect_eq "--interactive=false: stdin is not passed" "" "$(cat "$last.out")"

cp "$KRUN_TEST_ROOTFS_IMG" rootfs.ext4
krun root-disk-file --root-disk rootfs.ext4 -- cat /etc/hostname
expect_eq "--root-disk rootfs.ext4 (a file in the cwd) boots" krun "$(cat "$last.out")"

# 20 s: the workload has set its trap by then even under nested TCG (a
# limit that runs out during boot is covered by the VMM waiting for the
# guest's keyboard, not checked here).
# The workload keeps running after SIGTERM: --stop-timeout 2 must SIGKILL
# it about 2 s later (the default would leave it 10 s of ticks).
start=$SECONDS
krun timeout --root ./root --timeout 20s --stop-timeout 2 -- /bin/sh -c '
	trap "echo got-term" TERM; echo started
	while :; do sleep 1; echo tick; done'
elapsed=$((SECONDS - start))
expect_status "--timeout 20s: exit status 124" 124
expect_eq "--timeout: the workload got SIGTERM (orderly stop)" got-term \
	"$(grep -x got-term "$last.out")"
expect_range "--stop-timeout 2: ticks between SIGTERM and SIGKILL" 0 \
	"$(sed -n '/^got-term$/,$p' "$last.out" | grep -c '^tick$')" 4
expect_range "--timeout 20s: stopped after 20 s, within 90 s (s)" 20 "$elapsed" 90
expect_eq "--timeout: no krun-run left" "" "$(pgrep -x krun-run)"

# A crun bundle (crun spec) with the process attributes changed.
mkdir bundle && (cd bundle && crun spec) || fail "crun spec" "cannot make a bundle"
/usr/bin/python3 - bundle/config.json "$root" <<'EOPY'
import json, sys
path, root = sys.argv[1], sys.argv[2]
s = json.load(open(path))
caps = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]
s["root"] = {"path": root, "readonly": False}
p = s["process"]
p["terminal"] = False
p["user"] = {"uid": 1234, "gid": 1234, "additionalGids": [29, 50], "umask": 0o027}
p["capabilities"] = {k: caps for k in
                     ("bounding", "effective", "inheritable", "permitted", "ambient")}
p["noNewPrivileges"] = True
p["args"] = ["/bin/sh", "-c", """
	krun-check ids; echo "umask $(krun-check umask)"
	grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status |
		tr -d '\\t' | sed 's/:/ /'
	echo "mkdir $(krun-check mkdir /tmp/denied)"
	echo "write $(krun-check write /tmp/allowed)"
	echo "scratch $(grep ' /scratch ' /proc/mounts)"
	echo "swappiness $(cat /proc/sys/vm/swappiness)"
	echo "hostname-file [$(cat /etc/hostname)]"
	echo "mnt $(ls -A /mnt | wc -l) $(krun-check write /mnt/new)"
	echo "home $(krun-check write /home/new)"
	echo "procsys $(krun-check write /proc/sys/vm/swappiness)"
	echo "nproc $(nproc)"
	echo "memtotal $(sed -n 's/^MemTotal: *\\([0-9]*\\) kB$/\\1/p' /proc/meminfo)"
"""]
s["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "size=4m"]})
s.setdefault("annotations", {}).update({"krun.cpus": "2", "krun.ram_mib": "384"})
s["linux"]["sysctl"] = {"vm.swappiness": "23"}
s["linux"].setdefault("maskedPaths", []).extend(["/etc/hostname", "/mnt"])
s["linux"].setdefault("readonlyPaths", []).append("/home")
s["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                  "errnoRet": 99}]}
json.dump(s, open(path, "w"), indent=1)
EOPY
krun bundle --bundle bundle
expect_status "bundle: exit status" 0
expect_eq "bundle: uid" "1234 1234 1234" "$(line_of uid "$last.out")"
expect_eq "bundle: additionalGids" "29 50" "$(line_of groups "$last.out")"
expect_eq "bundle: umask 0027" 0027 "$(line_of umask "$last.out")"
for set in Bnd Prm Eff Inh Amb; do
	expect_eq "bundle: Cap$set is KILL, NET_BIND_SERVICE, AUDIT_WRITE" \
		0000000020000420 "$(line_of "Cap$set" "$last.out")"
done
expect_eq "bundle: NoNewPrivs" 1 "$(line_of NoNewPrivs "$last.out")"
expect_eq "bundle: seccomp filter mode" 2 "$(line_of Seccomp "$last.out")"
expect_eq "bundle: mkdir denied by the profile (errno 99)" EADDRNOTAVAIL \
	"$(line_of mkdir "$last.out")"
expect_eq "bundle: other syscalls allowed" ok "$(line_of write "$last.out")"
expect_eq "bundle: tmpfs mount" \
	"tmpfs /scratch tmpfs rw,nosuid,nodev,relatime,size=4096k 0 0" \
	"$(line_of scratch "$last.out")"
expect_eq "bundle: linux.sysctl" 23 "$(line_of swappiness "$last.out")"
expect_eq "bundle: maskedPaths hides a file" "[]" "$(line_of hostname-file "$last.out")"
expect_eq "bundle: maskedPaths hides a directory, read-only" "0 EROFS" \
	"$(line_of mnt "$last.out")"
expect_eq "bundle: readonlyPaths /home" EROFS "$(line_of home "$last.out")"
expect_eq "bundle: readonlyPaths /proc/sys (crun's default)" EROFS \
	"$(line_of procsys "$last.out")"
expect_eq "bundle: krun.cpus annotation" 2 "$(line_of nproc "$last.out")"
expect_range "bundle: krun.ram_mib annotation: MemTotal (kB)" \
	$((384 * 1024 * 80 / 100)) "$(line_of memtotal "$last.out")" $((384 * 1024))

checks_done
