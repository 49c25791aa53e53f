// SPDX-License-Identifier: Apache-2.0
/*
 * The workload's seccomp filter, built with libseccomp (linked statically
 * into krun-init) from the attrs section's rules. As crun: a syscall name
 * this libseccomp does not know is skipped, and a rule whose action is the
 * default one is left out (libseccomp refuses it).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "cmd/krun-init/process_attrs.h"

static uint32_t to_action(uint32_t action, uint32_t errno_ret)
{
	switch (action) {
	case KRUN_GUEST_SCMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case KRUN_GUEST_SCMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case KRUN_GUEST_SCMP_TRAP:
		return SCMP_ACT_TRAP;
	case KRUN_GUEST_SCMP_ERRNO:
		return SCMP_ACT_ERRNO(errno_ret);
	case KRUN_GUEST_SCMP_TRACE:
		return SCMP_ACT_TRACE(errno_ret);
	case KRUN_GUEST_SCMP_LOG:
		return SCMP_ACT_LOG;
	default:
		return SCMP_ACT_ALLOW;
	}
}

static const enum scmp_compare ops[] = {
	[KRUN_GUEST_SCMP_CMP_NE] = SCMP_CMP_NE,
	[KRUN_GUEST_SCMP_CMP_LT] = SCMP_CMP_LT,
	[KRUN_GUEST_SCMP_CMP_LE] = SCMP_CMP_LE,
	[KRUN_GUEST_SCMP_CMP_EQ] = SCMP_CMP_EQ,
	[KRUN_GUEST_SCMP_CMP_GE] = SCMP_CMP_GE,
	[KRUN_GUEST_SCMP_CMP_GT] = SCMP_CMP_GT,
	[KRUN_GUEST_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int add_rule(scmp_filter_ctx ctx, uint32_t def,
		    const struct guest_seccomp_rule *r, char *msg, size_t size)
{
	struct scmp_arg_cmp cmp[KRUN_GUEST_SCMP_MAX_ARGS];
	uint32_t action = to_action(r->action, r->errno_ret);
	int nr = seccomp_syscall_resolve_name(r->syscall);
	int rc;

	if (nr == __NR_SCMP_ERROR || action == def)
		return 0;
	for (uint32_t i = 0; i < r->n_args; i++)
		cmp[i] = (struct scmp_arg_cmp){
			.arg = r->args[i].index,
			.op = ops[r->args[i].op],
			.datum_a = r->args[i].value,
			.datum_b = r->args[i].value_two,
		};
	rc = seccomp_rule_add_array(ctx, action, nr, r->n_args, cmp);
	if (rc < 0) {
		snprintf(msg, size, "seccomp: cannot add the rule for `%s`: %s",
			 r->syscall, strerror(-rc));
		return -1;
	}
	return 0;
}

static int build(scmp_filter_ctx ctx, const struct guest_attrs *a, uint32_t def,
		 char *msg, size_t size)
{
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

	for (size_t i = 0; rc == 0 && i < a->n_arches; i++) {
		uint32_t arch = seccomp_arch_resolve_name(a->arches[i]);

		if (arch == 0) /* not built into this libseccomp */
			continue;
		rc = seccomp_arch_add(ctx, arch);
		if (rc == -EEXIST)
			rc = 0;
	}
	if (rc < 0) {
		snprintf(msg, size, "seccomp: cannot set up the filter: %s",
			 strerror(-rc));
		return -1;
	}
	for (size_t i = 0; i < a->n_rules; i++)
		if (add_rule(ctx, def, &a->rules[i], msg, size) < 0)
			return -1;
	return 0;
}

int attrs_seccomp_load(const struct guest_attrs *a, char *msg, size_t size)
{
	uint32_t def =
		to_action(a->seccomp_default_action, a->seccomp_default_errno);
	scmp_filter_ctx ctx = seccomp_init(def);
	int rc;

	if (!ctx) {
		snprintf(msg, size, "seccomp: cannot create the filter");
		return -1;
	}
	if (build(ctx, a, def, msg, size) < 0) {
		seccomp_release(ctx);
		return -1;
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(msg, size, "seccomp: cannot load the filter: %s",
			 strerror(-rc));
		return -1;
	}
	return 0;
}
