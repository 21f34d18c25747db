/* SPDX-License-Identifier: MIT */
/*
 * baseline.h - what a mixed fleet can share (`kvmprof baseline A B ...`): the
 * richest profile that every input profile can present.
 *
 * Inputs are resolved profiles of one architecture. For every target (see
 * pentry_same_target) stated by all of them, bit range by bit range (the
 * register database's fields, and the bits between them):
 *  - equal values are kept;
 *  - by KVM's write rule (regdb_write_rule()): `lower` fields (arm64
 *    lower-safe ID fields, x86 CPUID feature flags and address widths) take
 *    the minimum, compared signed for REGDB_F_SIGNED fields; registers
 *    ordered as a whole (PSCI_VERSION) the lowest value; `raise` fields the
 *    maximum; but an input whose value must move on a kernel (its
 *    provenance's) that does not take the move by regdb_write_rule_on()
 *    leaves the field out, as below;
 *  - anything else that differs has no safe common value: a warning naming
 *    every input and its value, the field left out (don't-care) and listed
 *    in the provenance as left-out[N]; strict: an error, and no profile.
 * Bits that some inputs state and others leave don't-care are left out
 * (don't-care in the baseline), as are targets not stated by every input;
 * both are reported as notes. Where inputs disagree on a policy, `exact`
 * (the stricter check) wins; `optional` holds only if it holds in all;
 * an entry's `requires:` must be the same in all inputs (else an error);
 * different profile-wide `requires:` are joined with `||`.
 */
#ifndef KVMPROF_BASELINE_H
#define KVMPROF_BASELINE_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

/*
 * The baseline of in[0..n-1] (n >= 1), named `name`, with provenance
 * `kind: baseline` naming the inputs. Errors (architectures differ; strict:
 * no safe common value), warnings and notes (what was left out) go to d with file:line:col of
 * the inputs. Returns NULL if an error was reported; the caller owns the
 * result (profile_free).
 */
struct profile *profile_baseline(struct profile *const *in, size_t n, const char *name, int strict, struct diag *d);

/* The most inputs a baseline takes. */
#define MAX_BASELINE_INPUTS 64

#endif /* KVMPROF_BASELINE_H */
