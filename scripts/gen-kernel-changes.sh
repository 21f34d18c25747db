#!/usr/bin/env bash
# scripts/gen-kernel-changes.sh [OUT] - docs/kernel-changes.md (or OUT): what
# each kernel series changed for a fresh VM, generated from the captures of
# profiles/ (make captures): per architecture and platform (arm64 on QEMU's
# neoverse-n1 and cortex-a72, x86_64 kvm_amd under TCG), and per step between
# consecutive series pinned in tests/qemu/kernels.pin:
#   - guest-visible defaults that changed (host: reg-values, vGIC registers,
#     supported CPUID, feature MSRs; old -> new and the bits that changed)
#   - fields that became writable (KVM_ARM_GET_REG_WRITABLE_MASKS: the bits
#     added to or removed from each register's mask)
#   - registers that appeared in (or left) KVM_GET_REG_LIST
#   - capabilities that appeared, went away or changed value
#   - x86 quirks (KVM_CAP_DISABLE_QUIRKS2) and x2APIC API flags that appeared
#   - values of probed fields the kernel accepts (e.g. GICD_IIDR.Revision)
# Deterministic: the same captures give the same file (tests/suites/kernel-changes.sh
# checks that docs/kernel-changes.md is current). `make captures` rewrites it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/kernel-changes.md}
series=$(tests/qemu/get-kernel.sh --pinned arm64 | cut -d' ' -f1 | paste -sd' ')
platforms="arm64-neoverse-n1 arm64-cortex-a72 x86_64-kvm-amd-tcg"
files=()
for p in $platforms; do
	for s in $series; do
		f=profiles/linux-$s-$p.yaml
		[ -f "$f" ] && files+=("$f")
	done
done
awk -v series="$series" -v platforms="$platforms" -f - "${files[@]}" >"$out.tmp" <<'AWK'
# ---- hex strings (64-bit values do not fit awk's doubles) ---------------------
function hexpad(x) { x = tolower(x); sub(/^0x/, "", x); while (length(x) < 16) x = "0" x; return x }
function nib(c) { return index("0123456789abcdef", c) - 1 }
function hexop(a, b, op,    i, r, x, y, v, bit, xb, yb) { # op: and, xor, andnot (a & ~b)
	a = hexpad(a); b = hexpad(b); r = ""
	for (i = 1; i <= 16; i++) {
		x = nib(substr(a, i, 1)); y = nib(substr(b, i, 1)); v = 0
		for (bit = 8; bit >= 1; bit /= 2) {
			xb = int(x / bit) % 2; yb = int(y / bit) % 2
			if ((op == "and" && xb && yb) || (op == "xor" && xb != yb) || (op == "andnot" && xb && !yb)) v += bit
		}
		r = r substr("0123456789abcdef", v + 1, 1)
	}
	return r
}
function short(x) { x = hexpad(x); sub(/^0+/, "", x); return "0x" (x == "" ? "0" : x) }
function iszero(x) { return short(x) == "0x0" }

# ---- reading the host: section of each capture ---------------------------------
FNR == 1 {
	f = FILENAME; sub(/.*\//, "", f); sub(/\.yaml$/, "", f)
	s = f; sub(/^linux-/, "", s); sub(/-.*/, "", s)
	p = f; sub(/^linux-[0-9.]+-/, "", p)
	have[p, s] = 1; sect = ""; in_host = 0
}
/^host:/ { in_host = 1; next }
!in_host { if ($0 ~ /^  "kernel-package-version": /) { v = $0; sub(/.*: "/, "", v); sub(/"$/, "", v); pkgver[p, s] = v } next }
/^  kernel: / { v = $2; gsub(/"/, "", v); kernel[p, s] = v; next }
/^  quirks: / { quirks[p, s] = $2; next }
/^  x2apic-api: / { x2apic[p, s] = $2; next }
/^  [a-z0-9-]+:/ { sect = $1; sub(/:$/, "", sect); next }
{
	name = ""
	if (index($0, "# ")) { name = substr($0, index($0, "# ") + 2) }
	line = $0; sub(/ *#.*/, "", line); sub(/^ +/, "", line)
}
sect == "capabilities" { split(line, w, ": "); cap[p, s, w[1]] = w[2]; capname[p, w[1]] = 1; next }
sect == "reg-list" && line ~ /^- 0x/ { id = substr(line, 3); rl[p, s, id] = 1; ids[p, id] = 1; if (name != "") idname[id] = name; next }
sect == "reg-values" || sect == "writable-masks" || sect == "feature-msrs" || sect == "msr-values" || sect == "device-attrs" {
	split(line, w, ": ")
	key = w[1]
	if (name != "") idname[key] = name
	val[sect, p, s, key] = w[2]; keys[sect, p, key] = 1
	next
}
sect == "cpuid" && line ~ /^- \[/ {
	gsub(/[\[\]-]/, "", line); n = split(line, w, ", *")
	key = "CPUID." w[1] "." w[2]
	for (k = 4; k <= 7; k++) {
		r = key "." (k == 4 ? "EAX" : k == 5 ? "EBX" : k == 6 ? "ECX" : "EDX")
		val["cpuid", p, s, r] = w[k]; keys["cpuid", p, r] = 1
	}
	next
}
sect == "accepted" && line ~ /^- \{/ {
	line2 = line; gsub(/[{}]/, "", line2); sub(/^- /, "", line2)
	n = split(line2, w, ", ")
	for (k = 1; k <= n; k++) { split(w[k], kv, ": "); a[kv[1]] = kv[2] }
	key = a["register"] "." a["field"]
	val["accepted", p, s, key] = a["lo"] ".." a["hi"]; keys["accepted", p, key] = 1
	next
}

function label(key) { return (key in idname) ? idname[key] : key }
# the keys of section sect on platform p, sorted by label
function sorted_keys(sect, p,    k, n, i, j, t, parts) {
	n = 0
	for (k in keys) {
		split(k, parts, SUBSEP)
		if (parts[1] == sect && parts[2] == p) SK[++n] = parts[3]
	}
	for (i = 2; i <= n; i++) { t = SK[i]; for (j = i - 1; j >= 1 && label(SK[j]) > label(t); j--) SK[j + 1] = SK[j]; SK[j + 1] = t }
	return n
}
function emit(text) { if (!printed_step) { print ""; print "#### " step_title; print ""; printed_step = 1 } print text }

# One step a -> b on platform p.
function step(p, a, b,    n, i, k, va, vb, cnt, ma, mb, added, removed, x, list) {
	printed_step = 0
	step_title = a " → " b " (" kernel[p, a] " → " kernel[p, b] ")"
	# defaults a fresh VM sees
	for (sct = 1; sct <= 4; sct++) {
		sect = sct == 1 ? "reg-values" : sct == 2 ? "device-attrs" : sct == 3 ? "cpuid" : "feature-msrs"
		n = sorted_keys(sect, p)
		cnt = 0; list = ""
		for (i = 1; i <= n; i++) {
			k = SK[i]
			va = ((sect, p, a, k) in val) ? val[sect, p, a, k] : ""
			vb = ((sect, p, b, k) in val) ? val[sect, p, b, k] : ""
			if (va == vb) continue
			if (va == "" || vb == "") {
				list = list "| `" label(k) "` | " (va == "" ? "(not read)" : "`" short(va) "`") " | " (vb == "" ? "(not read)" : "`" short(vb) "`") " | |\n"
			} else {
				list = list "| `" label(k) "` | `" short(va) "` | `" short(vb) "` | `" short(hexop(va, vb, "xor")) "` |\n"
			}
			cnt++
		}
		if (cnt) {
			emit("Defaults of a fresh VM that changed (" (sect == "reg-values" ? "`KVM_GET_ONE_REG`" : sect == "device-attrs" ? "vGIC registers" : sect == "cpuid" ? "`KVM_GET_SUPPORTED_CPUID`" : "feature MSRs") ", " cnt "):")
			emit("")
			emit("| register | " a " | " b " | bits changed |")
			emit("| --- | --- | --- | --- |")
			printf "%s", list
			emit("")
		}
	}
	# writable masks
	n = sorted_keys("writable-masks", p)
	cnt = 0; list = ""
	for (i = 1; i <= n; i++) {
		k = SK[i]
		ma = ((("writable-masks", p, a, k) in val)) ? val["writable-masks", p, a, k] : "0"
		mb = ((("writable-masks", p, b, k) in val)) ? val["writable-masks", p, b, k] : "0"
		if (hexpad(ma) == hexpad(mb)) continue
		added = hexop(mb, ma, "andnot"); removed = hexop(ma, mb, "andnot")
		list = list "| `" label(k) "` | `" short(ma) "` | `" short(mb) "` | " (iszero(added) ? "" : "`" short(added) "`") " | " (iszero(removed) ? "" : "`" short(removed) "`") " |\n"
		cnt++
	}
	if (cnt) {
		if (!((p, a) in masks_seen) && !has_masks(p, a)) emit("Writable masks (`KVM_ARM_GET_REG_WRITABLE_MASKS`, from 6.7; " a " has none, so every mask is new):")
		else emit("Writable masks that changed (`KVM_ARM_GET_REG_WRITABLE_MASKS`, " cnt " registers):")
		emit("")
		emit("| register | " a " mask | " b " mask | newly writable bits | no longer writable |")
		emit("| --- | --- | --- | --- | --- |")
		printf "%s", list
		emit("")
	}
	# register list
	added = ""; removed = ""; na = 0; nr = 0
	for (x in ids) {
		split(x, parts, SUBSEP)
		if (parts[1] != p) continue
		k = parts[2]
		if (((p, b, k) in rl) && !((p, a, k) in rl)) { ADD[++na] = label(k) }
		if (((p, a, k) in rl) && !((p, b, k) in rl)) { REM[++nr] = label(k) }
	}
	if (na) { sortarr(ADD, na); emit("Registers that appeared in `KVM_GET_REG_LIST` (" na "): " joinarr(ADD, na) ".") ; emit("") }
	if (nr) { sortarr(REM, nr); emit("Registers that left `KVM_GET_REG_LIST` (" nr "): " joinarr(REM, nr) ".") ; emit("") }
	# capabilities
	na = 0
	for (x in capname) {
		split(x, parts, SUBSEP)
		if (parts[1] != p) continue
		k = parts[2]
		va = ((p, a, k) in cap) ? cap[p, a, k] : "absent"
		vb = ((p, b, k) in cap) ? cap[p, b, k] : "absent"
		if (va != vb) CAPS[++na] = "`" k "` " va " → " vb
	}
	if (na) { sortarr(CAPS, na); emit("Capabilities (`KVM_CHECK_EXTENSION`) that changed (" na "): " joinarr(CAPS, na) ".") ; emit("") }
	# quirks and x2APIC
	if (((p, a) in quirks) && quirks[p, a] != quirks[p, b]) {
		emit("Quirks (`KVM_CAP_DISABLE_QUIRKS2`): " quirks[p, a] " → " quirks[p, b] "; bits that appeared: `" short(hexop(quirks[p, b], quirks[p, a], "andnot")) "`, went away: `" short(hexop(quirks[p, a], quirks[p, b], "andnot")) "`.")
		emit("")
	}
	if (((p, a) in x2apic) && x2apic[p, a] != x2apic[p, b]) {
		emit("x2APIC API flags (`KVM_CAP_X2APIC_API`, VM fd): " x2apic[p, a] " → " x2apic[p, b] "; flags that appeared: `" short(hexop(x2apic[p, b], x2apic[p, a], "andnot")) "`, went away: `" short(hexop(x2apic[p, a], x2apic[p, b], "andnot")) "`.")
		emit("")
	}
	# probed values
	n = sorted_keys("accepted", p)
	for (i = 1; i <= n; i++) {
		k = SK[i]
		va = ((("accepted", p, a, k) in val)) ? val["accepted", p, a, k] : "none recorded (a write of another value was not refused)"
		vb = ((("accepted", p, b, k) in val)) ? val["accepted", p, b, k] : "none recorded (a write of another value was not refused)"
		if (va != vb) { emit("Accepted values of `" k "` (probed): " va " → " vb ".") ; emit("") }
	}
	if (!printed_step) { print ""; print "#### " step_title; print ""; print "No difference a fresh VM could see." }
}
function has_masks(p, s,    x, parts) {
	for (x in val) { split(x, parts, SUBSEP); if (parts[1] == "writable-masks" && parts[2] == p && parts[3] == s) return 1 }
	return 0
}
function sortarr(A, n,    i, j, t) { for (i = 2; i <= n; i++) { t = A[i]; for (j = i - 1; j >= 1 && A[j] > t; j--) A[j + 1] = A[j]; A[j + 1] = t } }
function joinarr(A, n,    i, r) { r = ""; for (i = 1; i <= n; i++) r = r (i > 1 ? ", " : "") (A[i] ~ /^`/ ? A[i] : "`" A[i] "`"); return r }

END {
	ns = split(series, S, " ")
	np = split(platforms, P, " ")
	print "# What each kernel series changed for a guest"
	print ""
	print "Generated by `scripts/gen-kernel-changes.sh` (run by `make captures`) from the captures in `profiles/`"
	print "(`linux-SERIES-PLATFORM.yaml`, each made by `kvmprof capture` inside the Debian kernel pinned in"
	print "`tests/qemu/kernels.pin`; their `provenance:` names the exact package, QEMU and CPU model); do not edit."
	print "For each platform and each step between consecutive series: the defaults a fresh VM sees that changed, the"
	print "ID register bits that became writable (or stopped being writable), the registers that appeared in"
	print "`KVM_GET_REG_LIST`, the capabilities, quirks and x2APIC API flags that changed, and probed accepted values."
	print "Values are the whole register (hex); `kvmprof explain NAME` shows a register's history field by field, next"
	print "to the register database's cited one."
	print ""
	print "| platform | kernels |"
	print "| --- | --- |"
	for (j = 1; j <= np; j++) {
		line = ""
		for (i = 1; i <= ns; i++) if ((P[j], S[i]) in have) line = line (line == "" ? "" : ", ") S[i] " (" kernel[P[j], S[i]] (((P[j], S[i]) in pkgver) ? ", Debian " pkgver[P[j], S[i]] : "") ")"
		print "| `" P[j] "` | " line " |"
	}
	for (j = 1; j <= np; j++) {
		print ""
		print "## " P[j]
		prev = ""
		for (i = 1; i <= ns; i++) {
			if (!((P[j], S[i]) in have)) continue
			if (prev != "") step(P[j], prev, S[i])
			prev = S[i]
		}
	}
}
AWK
mv "$out.tmp" "$out"
echo "gen-kernel-changes: $out ($(grep -c '^#### ' "$out") steps)" >&2
