# SPDX-License-Identifier: MIT
#
# fingerprint-host.awk - the `host:` section of a capture, synthesized from a
# Firecracker fingerprint, so `kvmprof check --against` can answer offline for
# the host the fingerprint was taken on (scripts/gen-fleet-report.sh).
#
#   awk -f scripts/fingerprint-host.awk fingerprint_ARM_NEOVERSE_N1_6.1host.json
#
# What it can say, from what the fingerprint holds (a fresh vCPU's register
# dump, no template): kernel (kernel_version); arm64 reg-list (every
# reg_modifiers id, state registers included: Firecracker dumps the whole
# KVM_GET_REG_LIST) and reg-values (the dumped value = the kernel's default;
# 128-bit registers listed without a value); x86 cpuid (the guest's default
# CPUID, standing in for KVM_GET_SUPPORTED_CPUID), msr-list and msr-values.
# What it cannot: capabilities, writable masks, feature MSRs, vGIC
# attributes: absent, so the check reports them as unknown, never as zero.
# Reads JSON as Firecracker writes it: one member per line.
function hex(bits,    n, i, d, out, v, k) {
	sub(/^0b/, "", bits)
	n = length(bits)
	if (n > 64) { if (substr(bits, 1, n - 64) ~ /1/) return ""; bits = substr(bits, n - 63); n = 64 }
	while (n % 4) { bits = "0" bits; n++ }
	out = ""
	for (i = 1; i <= n; i += 4) {
		v = 0
		for (k = 0; k < 4; k++) v = v * 2 + (substr(bits, i + k, 1) == "1")
		out = out sprintf("%x", v)
	}
	sub(/^0+/, "", out)
	return "0x" (out == "" ? "0" : out)
}
function str(line) { sub(/^[^:]*: *"/, "", line); sub(/".*/, "", line); return line }
/"kernel_version"/ { kernel = str($0) }
/"reg_modifiers"/ { mode = "reg" }
/"cpuid_modifiers"/ { mode = "cpuid" }
/"msr_modifiers"/ { mode = "msr" }
/"addr"/ { addr = str($0) }
/"leaf"/ { leaf = str($0) }
/"subleaf"/ { subleaf = str($0) }
/"flags"/ { f = $0; sub(/.*: */, "", f); sub(/,.*/, "", f); flags = f; r["eax"] = r["ebx"] = r["ecx"] = r["edx"] = "0x0" }
/"register"/ { reg = str($0) }
/"bitmap"/ {
	b = str($0)
	if (mode == "reg") { nreg++; ids[nreg] = addr; vals[nreg] = hex(b) }
	else if (mode == "msr") { nmsr++; msrs[nmsr] = addr; mvals[nmsr] = hex(b) }
	else { r[reg] = hex(b); cur = leaf " " subleaf; if (!(cur in seen)) { seen[cur] = ++nleaf; lk[nleaf] = cur; lf[nleaf] = flags }
	       L[seen[cur]] = r["eax"] ", " r["ebx"] ", " r["ecx"] ", " r["edx"] }
}
END {
	printf "host:\n  kernel: \"%s\"\n  machine: \"%s\"\n", kernel, nreg ? "aarch64" : "x86_64"
	if (nreg) {
		print "  reg-list:"
		for (i = 1; i <= nreg; i++) print "    - " ids[i]
		print "  reg-values:"
		for (i = 1; i <= nreg; i++) if (vals[i] != "" && substr(ids[i], 1, 5) != "0x604") print "    " ids[i] ": " vals[i]
	}
	if (nleaf) {
		print "  cpuid:"
		for (i = 1; i <= nleaf; i++) { split(lk[i], p, " "); print "    - [" p[1] ", " p[2] ", " lf[i] ", " L[i] "]" }
	}
	if (nmsr) {
		print "  msr-list: [" ; s = ""
		for (i = 1; i <= nmsr; i++) s = s (i > 1 ? ", " : "    ") msrs[i]
		print s; print "  ]"
		print "  msr-values:"
		for (i = 1; i <= nmsr; i++) print "    " msrs[i] ": " mvals[i]
	}
}
