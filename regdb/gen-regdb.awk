# SPDX-License-Identifier: MIT
#
# gen-regdb.awk - turns regdb/*.db into regdb_data.c (see regdb.h,
# docs/regdb.md for the format). Portable awk: runs under mawk, gawk and
# busybox awk (no gensub, asort, length(array) or regex intervals).
#
#   awk -f regdb/gen-regdb.awk regdb/*.db > regdb_data.c
#
# Every malformed record is reported as "file:line: error: ..." on stderr;
# any error makes the exit status 1 (the Makefile then keeps no output).

BEGIN {
	nerr = 0
	nregs = 0
	nsyms = 0
	nfiles = 0
	in_reg = 0
	cur_sym = 0
	nkf = 0
	in_kf = 0
	KFSTATE["no"] = 0; KFSTATE["yes"] = 1; KFSTATE["unknown"] = 2
	SETACT["as"] = 1; SETACT["refuse"] = 2; SETACT["host-as-zero"] = 3; SETACT["by-flag"] = 4; SETACT["keep"] = 5; SETACT["taken"] = 6
	SETARGS["as"] = 2; SETARGS["refuse"] = 2; SETARGS["host-as-zero"] = 0; SETARGS["by-flag"] = 0; SETARGS["keep"] = 0; SETARGS["taken"] = 1
	ARCHNUM["arm64"] = 1
	ARCHNUM["x86_64"] = 2
	ARCHNUM["any"] = 0
	SPACENUM["sysreg"] = 1
	SPACENUM["onereg"] = 1  # any other arm64 ONE_REG id (core regs): same space, full id
	SPACENUM["fw"] = 2
	SPACENUM["demux"] = 3
	SPACENUM["vgic-v3-dist"] = 4
	SPACENUM["vgic-v3-redist"] = 5
	SPACENUM["vgic-v2-dist"] = 6
	SPACENUM["cpuid"] = 7
	SPACENUM["msr"] = 8
	CPUIDREG["eax"] = 0; CPUIDREG["ebx"] = 1; CPUIDREG["ecx"] = 2; CPUIDREG["edx"] = 3
	KINDNUM["cap"] = 1
	KINDNUM["quirk"] = 2
	KINDNUM["x2apic"] = 3
	KINDNUM["vcpu-feature"] = 4
	KINDNUM["midr-part"] = 5
	HEXDIG = "0123456789abcdef"
}

# The words of a line before its trailing "quoted doc"; the doc goes to DOC.
function words_before_doc(s,    q) {
	DOC = ""
	q = index(s, "\"")
	if (q > 0) {
		DOC = quoted(substr(s, q))
		if (QERR != "")
			err(QERR)
		s = substr(s, 1, q - 1)
	}
	return s
}

function err(msg) {
	printf "%s:%d: error: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	nerr++
}

function where() { return FILENAME ":" FNR }

# "0x1A" -> "1a" (lower case, no leading zeros, "0" for zero); "" if not hex.
function hexdigits(s,    t) {
	t = tolower(s)
	if (t !~ /^0x[0-9a-f]+$/)
		return ""
	t = substr(t, 3)
	sub(/^0+/, "", t)
	return t == "" ? "0" : t
}

function hexval(d,    i, v) {
	v = 0
	for (i = 1; i <= length(d); i++)
		v = v * 16 + index(HEXDIG, substr(d, i, 1)) - 1
	return v
}

function pad(d, n) {
	while (length(d) < n)
		d = "0" d
	return d
}

# Decimal or 0x-hex small number; -1 if not a number.
function num(s,    d) {
	if (s ~ /^[0-9]+$/)
		return s + 0
	d = hexdigits(s)
	if (d == "")
		return -1
	return hexval(d)
}

# The text of a "..." token that runs to the end of the line, unescaped
# (\" and \\); sets QERR on a malformed string.
function quoted(s,    out, i, c) {
	QERR = ""
	if (s !~ /^".*"$/ || length(s) < 2) {
		QERR = "expected a \"quoted string\""
		return ""
	}
	s = substr(s, 2, length(s) - 2)
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\") {
			i++
			c = substr(s, i, 1)
			if (c != "\\" && c != "\"") {
				QERR = "unknown escape in string (only \\\\ and \\\" are allowed)"
				return ""
			}
		} else if (c == "\"") {
			QERR = "unescaped \" inside string"
			return ""
		}
		out = out c
	}
	return out
}

# What follows the first n words of the current line (trimmed).
function rest_after(n,    s, i) {
	s = $0
	sub(/^[ \t]+/, "", s)
	for (i = 0; i < n; i++) {
		sub(/^[^ \t]+/, "", s)
		sub(/^[ \t]+/, "", s)
	}
	sub(/[ \t]+$/, "", s)
	return s
}

function cstr(s) {
	if (s == "")
		return "NULL"
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}

function join(a, b) { return a == "" ? b : a "; " b }

function close_reg() {
	if (!in_reg)
		return
	if (R_source[nregs] == "")
		R_source[nregs] = file_default_source
	if (R_source[nregs] == "") {
		printf "%s: error: reg %s has no source\n", R_where[nregs], R_name[nregs] > "/dev/stderr"
		nerr++
	}
	in_reg = 0
}

function close_sym() {
	if (cur_sym && S_source[cur_sym] == "")
		S_source[cur_sym] = file_default_source
	if (cur_sym && S_source[cur_sym] == "") {
		printf "%s: error: sym %s has no source\n", S_where[cur_sym], S_name[cur_sym] > "/dev/stderr"
		nerr++
	}
	cur_sym = 0
}

# An upstream version "6.12", "6.12.88" or "6.12.*" as one number
# MAJOR * 1000000 + MINOR * 1000 + PATCH; "*" is 999 (every point release),
# a missing PATCH 0. -1 if malformed.
function kver(s,    t, n) {
	n = split(s, t, ".")
	if ((n != 2 && n != 3) || t[1] !~ /^[0-9]+$/ || t[2] !~ /^[0-9]+$/ || t[2] + 0 > 999)
		return -1
	if (n == 3 && t[3] != "*" && (t[3] !~ /^[0-9]+$/ || t[3] + 0 > 998))
		return -1
	return t[1] * 1000000 + t[2] * 1000 + (n == 2 ? 0 : t[3] == "*" ? 999 : t[3] + 0)
}

# kfact NAME REGISTER[.FIELD]
function parse_kfact() {
	if (NF != 3 || $2 !~ /^[a-z0-9-]+$/ || $3 !~ /^[A-Za-z0-9_.]+$/) {
		err("kfact needs NAME (lower-case, digits, '-') and REGISTER[.FIELD]")
		return
	}
	if (cur_arch == "" || cur_arch == "any") {
		err("kfact " $2 " before an 'arch arm64|x86_64' line")
		return
	}
	nkf++
	in_kf = 1
	K_name[nkf] = $2
	K_reg[nkf] = $3
	K_arch[nkf] = ARCHNUM[cur_arch]
	K_doc[nkf] = ""
	K_source[nkf] = ""
	K_n[nkf] = 0
	K_set[nkf] = 0; K_seta[nkf] = 0; K_setb[nkf] = 0
	K_where[nkf] = where()
	if ($2 in KFNAME)
		err("duplicate kfact " $2 " (first at " KFNAME[$2] ")")
	else
		KFNAME[$2] = where()
}

# range FROM TO yes|no|unknown "source"; ranges in ascending order, disjoint.
function parse_range(    s, n, t, lo, hi, k) {
	if (!in_kf) {
		err("range outside a kfact ... end block")
		return
	}
	s = words_before_doc(rest_after(1))
	n = split(s, t, /[ \t]+/)
	if (t[n] == "")
		n--
	if (n != 3 || DOC == "") {
		err("range needs FROM TO yes|no|unknown \"source\"")
		return
	}
	lo = kver(t[1]); hi = kver(t[2])
	if (lo < 0 || hi < 0 || lo > hi) {
		err("range " t[1] " " t[2] ": versions must be MAJOR.MINOR[.PATCH|.*], FROM <= TO")
		return
	}
	if (!(t[3] in KFSTATE)) {
		err("range state must be yes, no or unknown")
		return
	}
	k = K_n[nkf]
	if (k > 0 && lo <= KR_hi[nkf, k])
		err("range " t[1] " " t[2] " overlaps or precedes the range before it")
	k = ++K_n[nkf]
	KR_lo[nkf, k] = lo; KR_hi[nkf, k] = hi; KR_state[nkf, k] = KFSTATE[t[3]]; KR_src[nkf, k] = DOC
}

# set as V W | set refuse LO HI | set host-as-zero: what KVM's set_user does
# with a written value of the kfact's field where the fact is yes; set by-flag
# | set keep: without writable masks, the field may change as its safety flag
# allows, or not at all (keep may name a class of registers instead of a field);
# set taken QUIRKS: a host-initiated KVM_SET_MSRS of the whole register (an x86
# MSR) is stored as written while the VM keeps the quirks of mask QUIRKS.
function parse_set(    n, t, a, b) {
	if (!in_kf) {
		err("set outside a kfact ... end block")
		return
	}
	n = split(rest_after(1), t, /[ \t]+/)
	if (!(t[1] in SETACT) || n - 1 != SETARGS[t[1]]) {
		err("set needs 'as V W', 'refuse LO HI', 'host-as-zero', 'by-flag', 'keep' or 'taken QUIRKS'")
		return
	}
	if (K_reg[nkf] !~ /\./ && t[1] != "keep" && t[1] != "taken") {
		err("set in kfact " K_name[nkf] ", which is not about a REGISTER.FIELD")
		return
	}
	if (K_set[nkf]) {
		err("a second set in kfact " K_name[nkf])
		return
	}
	a = n > 1 ? num(t[2]) : 0
	b = n > 2 ? num(t[3]) : 0
	if (a < 0 || b < 0 || (t[1] == "refuse" && a > b)) {
		err("set " t[1] ": the values must be numbers" (t[1] == "refuse" ? ", LO <= HI" : ""))
		return
	}
	K_set[nkf] = SETACT[t[1]]; K_seta[nkf] = a; K_setb[nkf] = b
}

function close_kfact() {
	if (!in_kf)
		return
	if (K_source[nkf] == "")
		K_source[nkf] = file_default_source
	if (K_source[nkf] == "" || K_doc[nkf] == "" || K_n[nkf] == 0) {
		printf "%s: error: kfact %s needs a doc, a source and at least one range\n", K_where[nkf], K_name[nkf] > "/dev/stderr"
		nerr++
	}
	in_kf = 0
}

function end_of_file() {
	if (in_kf) {
		printf "%s: error: kfact %s: missing 'end' before end of file\n", K_where[nkf], K_name[nkf] > "/dev/stderr"
		nerr++
		in_kf = 0
	}
	if (in_reg) {
		printf "%s: error: reg %s: missing 'end' before end of file\n", R_where[nregs], R_name[nregs] > "/dev/stderr"
		nerr++
		in_reg = 0
	}
	close_sym()
}

function new_file() {
	end_of_file()
	cur_arch = ""
	file_default_source = ""
	base = FILENAME
	sub(/.*\//, "", base)
	FILES[++nfiles] = base
}

# pv | bit for the distinct powers of two 256 and 512 (mawk has no or()).
function or_bit(pv, bit) {
	return (int(pv / bit) % 2) ? pv : pv + bit
}

# reg NAME SPACE ENCODING... [width N] [id-reg] [state]
# R_flags: 1 = id-reg (REGDB_R_ID_REG), 2 = state (REGDB_R_STATE); exclusive.
# R_lower: the whole value may be lowered (REGDB_R_LOWER_SAFE, 4).
# R_keeps: a write up to KVM's value returns 0, KVM keeps its own (REGDB_R_KEEPS_LOWER, 8).
# R_feat: a CPUID register whose bits are features (REGDB_R_FEATURES, 16).
# R_since: writable-since MAJOR.MINOR, as KVMPROF_KERNEL_VERSION(MAJOR, MINOR, 0); 0 = always.
# R_vmsince: vm-scope-since MAJOR.MINOR, the same encoding; 0 = one value per vCPU.
function parse_reg(    name, space, i, w, id, lo, op0, op1, crn, crm, op2, d, leaf, sub_, key, sz) {
	name = $2
	space = $3
	if (name == "" || space == "") {
		err("reg needs a name and a space")
		return
	}
	if (name !~ /^[A-Za-z0-9_.]+$/)
		err("reg name '" name "' has characters other than letters, digits, '_' and '.'")
	if (!(space in SPACENUM)) {
		err("unknown register space '" space "'")
		return
	}
	if (cur_arch == "" || cur_arch == "any") {
		err("reg " name " before an 'arch arm64|x86_64' line")
		return
	}
	if ((SPACENUM[space] == 7 || SPACENUM[space] == 8) != (cur_arch == "x86_64")) {
		err("space " space " does not belong to arch " cur_arch)
		return
	}
	nregs++
	in_reg = 1
	R_name[nregs] = name
	R_arch[nregs] = ARCHNUM[cur_arch]
	R_space[nregs] = SPACENUM[space]
	R_cpuid[nregs] = 0
	R_flags[nregs] = 0
	R_lower[nregs] = 0
	R_keeps[nregs] = 0
	R_feat[nregs] = 0
	R_since[nregs] = 0
	R_vmsince[nregs] = 0
	R_nf[nregs] = 0
	R_doc[nregs] = ""
	R_source[nregs] = ""
	R_hist[nregs] = ""
	R_where[nregs] = where()
	if (name in REGNAME)
		err("duplicate register name " name " (first at " REGNAME[name] ")")
	else
		REGNAME[name] = where()

	i = 4
	w = 0
	id = ""
	if (space == "sysreg") {
		op0 = num($4); op1 = num($5); crn = num($6); crm = num($7); op2 = num($8)
		if (op0 < 0 || op0 > 3 || op1 < 0 || op1 > 7 || crn < 0 || crn > 15 ||
		    crm < 0 || crm > 15 || op2 < 0 || op2 > 7) {
			err("sysreg needs op0 (0-3) op1 (0-7) CRn (0-15) CRm (0-15) op2 (0-7)")
			return
		}
		# KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG (0x0013 << 16)
		# | op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2  (Documentation/virt/kvm/api.rst)
		lo = op0 * 16384 + op1 * 2048 + crn * 128 + crm * 8 + op2
		id = "603000000013" sprintf("%04x", lo)
		w = 64
		i = 9
	} else if (space == "cpuid") {
		leaf = hexdigits($4); sub_ = hexdigits($5)
		if (leaf == "" || sub_ == "" || length(leaf) > 8 || length(sub_) > 8 || !(tolower($6) in CPUIDREG)) {
			err("cpuid needs LEAF SUBLEAF (0x hex, 32 bit) and eax|ebx|ecx|edx")
			return
		}
		id = pad(leaf, 8) pad(sub_, 8)
		R_cpuid[nregs] = CPUIDREG[tolower($6)]
		w = 32
		i = 7
	} else {
		d = hexdigits($4)
		if (d == "" || length(d) > 16) {
			err(space " needs a 0x hex id of at most 64 bits")
			return
		}
		id = pad(d, 16)
		if (space == "onereg" || space == "fw" || space == "demux") {
			if (substr(id, 1, 2) != "60") {
				err(space " id " $4 " is not a KVM_REG_ARM64 id (0x60...)")
				return
			}
			# KVM_REG_SIZE field, bits 55:52: 2 = U32, 3 = U64, 4 = U128,
			# 5 = U256 and 8 = U2048 (the SVE P and Z registers), 6 = U512
			# (the SVE vector-length pseudo-register): 1 << N bytes, N 0..8
			sz = substr(id, 3, 1)
			if (sz !~ /^[0-8]$/) {
				err(space " id " $4 " has an unsupported KVM_REG_SIZE (bits 55:52 must be 0 ... 8, U8 ... U2048)")
				return
			}
			for (w = 8; sz > 0; sz--)
				w *= 2
		} else if (space == "msr") {
			w = 64
		} else {
			w = 32 # vGIC distributor/redistributor registers
		}
		i = 5
	}
	for (; i <= NF; i++) {
		if ($i == "width") {
			i++
			if ($i !~ /^(8|16|32|64|128|256|512|1024|2048)$/) {
				err("width must be 8, 16, 32, 64, 128, 256, 512, 1024 or 2048")
				continue
			}
			w = $i + 0
		} else if ($i == "id-reg" || $i == "state") {
			# an ID register describes the platform; a state register does not
			if (R_flags[nregs] != 0 && R_flags[nregs] != ($i == "id-reg" ? 1 : 2))
				err("reg " name " cannot be both id-reg and state")
			else
				R_flags[nregs] = $i == "id-reg" ? 1 : 2
		} else if ($i == "lower-safe") {
			R_lower[nregs] = 1
		} else if ($i == "keeps-lower-writes") {
			R_keeps[nregs] = 1
		} else if ($i == "features") {
			if (space != "cpuid")
				err("reg " name ": features is for CPUID registers")
			else
				R_feat[nregs] = 1
		} else if ($i == "writable-since") {
			i++
			if ($i !~ /^[0-9]+\.[0-9]+$/) {
				err("writable-since needs a kernel version MAJOR.MINOR")
				continue
			}
			split($i, ver, ".")
			R_since[nregs] = ver[1] * 65536 + ver[2] * 256
		} else if ($i == "vm-scope-since") {
			i++
			if ($i !~ /^[0-9]+\.[0-9]+$/) {
				err("vm-scope-since needs a kernel version MAJOR.MINOR")
				continue
			}
			if (cur_arch != "arm64" || space != "sysreg") {
				err("vm-scope-since: only arm64 system registers are kept per VM by KVM")
				continue
			}
			split($i, ver, ".")
			R_vmsince[nregs] = ver[1] * 65536 + ver[2] * 256
		} else {
			err("unknown reg option '" $i "'")
		}
	}
	R_width[nregs] = w
	R_id[nregs] = id
	key = R_arch[nregs] "|" R_space[nregs] "|" id "|" R_cpuid[nregs]
	if (key in REGID)
		err("reg " name ": duplicate id 0x" id " in this space (also " REGID[key] ")")
	else
		REGID[key] = name " at " where()
}

# field HI[:LO] NAME [signed] [per-vcpu] [vmm-owned] [lower-safe|higher-safe|higher-or-zero-safe|exact[=N]] ["doc"]
# Safety flags (regdb.h): lower-safe 2, higher-safe 4, higher-or-zero-safe 8,
# exact 16 with its safe value N (0..7, default 0) in bits 7:5; per-vcpu 256; vmm-owned 512.
function parse_field(    s, q, n, t, hi, lo, fname, flags, sig, ls, k, b, r, doc, sv, pv) {
	if (!in_reg) {
		err("field outside a reg ... end block")
		return
	}
	r = nregs
	s = words_before_doc(rest_after(1))
	doc = DOC
	n = split(s, t, /[ \t]+/)
	if (n < 2) {
		err("field needs HI:LO and a name")
		return
	}
	if (t[1] ~ /^[0-9]+:[0-9]+$/) {
		hi = t[1]; sub(/:.*/, "", hi); hi += 0
		lo = t[1]; sub(/.*:/, "", lo); lo += 0
	} else if (t[1] ~ /^[0-9]+$/) {
		hi = lo = t[1] + 0
	} else {
		err("bad bit range '" t[1] "' (want HI:LO or BIT)")
		return
	}
	fname = t[2]
	if (fname !~ /^[A-Za-z_][A-Za-z0-9_]*$/)
		err("field name '" fname "' is not an identifier")
	if (hi < lo) {
		err("field " fname ": high bit " hi " below low bit " lo)
		return
	}
	if (hi >= R_width[r]) {
		err("field " fname " (" hi ":" lo ") outside the " R_width[r] "-bit register " R_name[r])
		return
	}
	sig = 0
	ls = 0
	pv = 0
	for (k = 3; k <= n; k++) {
		if (t[k] == "signed") {
			sig = 1
			continue
		}
		if (t[k] == "per-vcpu") {
			pv = or_bit(pv, 256)
			continue
		}
		if (t[k] == "vmm-owned") {
			pv = or_bit(pv, 512)
			continue
		}
		if (t[k] == "")
			continue
		if (t[k] == "lower-safe")
			sv = 2
		else if (t[k] == "higher-safe")
			sv = 4
		else if (t[k] == "higher-or-zero-safe")
			sv = 8
		else if (t[k] == "exact")
			sv = 16
		else if (t[k] ~ /^exact=[0-9]+$/) {
			sv = substr(t[k], 7) + 0
			if (sv > 7 || (hi == lo && sv > 1) || (hi == lo + 1 && sv > 3)) {
				err("field " fname ": exact safe value " sv " does not fit (0..7 and the field's width)")
				continue
			}
			sv = 16 + sv * 32
		} else {
			err("unknown field option '" t[k] "'")
			continue
		}
		if (ls != 0)
			err("field " fname ": more than one of lower-safe, higher-safe, higher-or-zero-safe, exact")
		ls = sv
	}
	if ((r "|" fname) in FNAME) {
		err("duplicate field name " fname " in " R_name[r])
		return
	}
	flags = sig + ls + pv
	FNAME[r "|" fname] = 1
	for (b = lo; b <= hi; b++) {
		if ((r "|" b) in FBIT) {
			err("field " fname " (" hi ":" lo ") overlaps field " FBIT[r "|" b] " at bit " b)
			return
		}
	}
	for (b = lo; b <= hi; b++)
		FBIT[r "|" b] = fname
	k = ++R_nf[r]
	F_name[r, k] = fname
	F_shift[r, k] = lo
	F_width[r, k] = hi - lo + 1
	F_flags[r, k] = flags
	F_doc[r, k] = doc
}

# sym KIND NAME VALUE ["doc"]
function parse_sym(    s, q, doc, n, t, kind, name, v, d, key) {
	close_sym()
	if (cur_arch == "") {
		err("sym before an 'arch arm64|x86_64|any' line")
		return
	}
	s = words_before_doc(rest_after(1))
	doc = DOC
	n = split(s, t, /[ \t]+/)
	if (t[n] == "")
		n--
	if (n != 3) {
		err("sym needs KIND NAME VALUE [\"doc\"]")
		return
	}
	kind = t[1]; name = t[2]; v = t[3]
	if (!(kind in KINDNUM)) {
		err("unknown sym kind '" kind "' (cap, quirk, x2apic, vcpu-feature, midr-part)")
		return
	}
	if (num(v) < 0) {
		err("sym value '" v "' is not a number")
		return
	}
	if (v ~ /^[0-9]+$/) {
		sub(/^0+/, "", v)
		if (v == "")
			v = "0"
	} else {
		v = "0x" hexdigits(v)
	}
	nsyms++
	cur_sym = nsyms
	S_kind[nsyms] = KINDNUM[kind]
	S_name[nsyms] = name
	S_arch[nsyms] = ARCHNUM[cur_arch]
	S_value[nsyms] = v
	S_num[nsyms] = num(v)
	S_doc[nsyms] = doc
	S_source[nsyms] = ""
	S_hist[nsyms] = ""
	S_needs[nsyms] = ""
	S_where[nsyms] = where()
	key = kind "|" name
	if (key in SYMNAME)
		err("duplicate " kind " name " name " (first at " SYMNAME[key] ")")
	else
		SYMNAME[key] = where()
	key = kind "|" S_num[nsyms]
	if (key in SYMVAL)
		err("duplicate " kind " value " v " (also " SYMVAL[key] ")")
	else
		SYMVAL[key] = name
}

FNR == 1 { new_file() }

# Comments and blank lines.
/^[ \t]*(#.*)?$/ { next }

{
	kw = $1
	if (kw == "arch") {
		if (in_reg)
			err("arch inside a reg block")
		close_sym()
		if (NF != 2 || !($2 in ARCHNUM))
			err("arch must be arm64, x86_64 or any")
		else
			cur_arch = $2
	} else if (kw == "reg") {
		close_sym()
		if (in_reg) {
			err("reg " $2 " starts before 'end' of reg " R_name[nregs] " (" R_where[nregs] ")")
			close_reg()
		}
		parse_reg()
	} else if (kw == "kfact") {
		close_sym()
		if (in_reg || in_kf)
			err("kfact " $2 " inside another block (missing 'end'?)")
		close_reg(); close_kfact()
		parse_kfact()
	} else if (kw == "range") {
		parse_range()
	} else if (kw == "set") {
		parse_set()
	} else if (kw == "end") {
		if (in_kf)
			close_kfact()
		else if (!in_reg)
			err("'end' without a reg or kfact")
		close_reg()
	} else if (kw == "field") {
		parse_field()
	} else if (kw == "doc" || kw == "source" || kw == "history") {
		text = quoted(rest_after(1))
		if (QERR != "") {
			err(QERR)
		} else if (in_kf) {
			if (kw == "doc") K_doc[nkf] = join(K_doc[nkf], text)
			else if (kw == "source") K_source[nkf] = join(K_source[nkf], text)
			else err("history inside a kfact (its ranges are its history)")
		} else if (in_reg) {
			if (kw == "doc") R_doc[nregs] = join(R_doc[nregs], text)
			else if (kw == "source") R_source[nregs] = join(R_source[nregs], text)
			else R_hist[nregs] = join(R_hist[nregs], text)
		} else if (cur_sym) {
			if (kw == "doc") S_doc[cur_sym] = join(S_doc[cur_sym], text)
			else if (kw == "source") S_source[cur_sym] = join(S_source[cur_sym], text)
			else S_hist[cur_sym] = join(S_hist[cur_sym], text)
		} else {
			err(kw " outside a reg or sym")
		}
	} else if (kw == "needs") {
		# needs KVM_CAP_NAME: the capability a vCPU feature needs (checked at the end)
		if (!cur_sym || S_kind[cur_sym] != KINDNUM["vcpu-feature"] || NF != 2 || $2 !~ /^KVM_CAP_[A-Z0-9_]+$/)
			err("needs KVM_CAP_NAME belongs after a vcpu-feature sym")
		else {
			S_needs[cur_sym] = $2
			S_needs_where[cur_sym] = where()
		}
	} else if (kw == "default-source") {
		if (in_reg)
			err("default-source inside a reg block")
		close_sym()
		file_default_source = quoted(rest_after(1))
		if (QERR != "")
			err(QERR)
	} else if (kw == "sym") {
		if (in_reg) {
			err("sym inside a reg block (missing 'end' of " R_name[nregs] "?)")
			close_reg()
		}
		parse_sym()
	} else {
		err("unknown keyword '" kw "'")
	}
}

# -v emit=cpuid-features: the runtime's table of the CPUID registers flagged
# `features` (runtime/arch/x86/cpuid_features.h; the runtime links no regdb).
function emit_cpuid_features(    i, r, n, id, fn, idx) {
	printf "/* Generated by regdb/gen-regdb.awk -v emit=cpuid-features from regdb/x86-cpuid*.db:\n"
	printf " * the CPUID registers flagged `features` (docs/regdb.md). Do not edit: `make\n"
	printf " * regen` remakes it, tests/suites/sources.sh checks it against the database. */\n"
	printf "#ifndef KVMPROF_CPUID_FEATURES_H\n#define KVMPROF_CPUID_FEATURES_H\n\n#include <stdint.h>\n\n"
	printf "/* Registers whose bits are features: a profile may clear them, not set one\n"
	printf " * KVM_GET_SUPPORTED_CPUID reports as 0. */\n"
	printf "static const struct kvmprof_cpuid_feature_reg {\n\tuint32_t function, index;\n\tuint8_t reg; /* enum kvmprof_cpuid_reg */\n} kvmprof_cpuid_feature_regs[] = {\n"
	n = 0
	for (i = 1; i <= nregs; i++) {
		r = RO[i]
		if (!R_feat[r])
			continue
		id = R_id[r]
		id = pad(id, 16)
		fn = substr(id, 1, 8); idx = substr(id, 9, 8)
		sub(/^0+/, "", fn); sub(/^0+/, "", idx)
		printf "\t{ 0x%s, 0x%s, %d }, /* %s */\n", fn == "" ? "0" : fn, idx == "" ? "0" : idx, R_cpuid[r], R_name[r]
		n++
	}
	printf "};\n\n#endif /* KVMPROF_CPUID_FEATURES_H */\n"
}

# -v emit=arm64-feature-caps: the capability each arm64 vCPU feature needs
# (`needs` on its sym), indexed by feature bit, for the runtime
# (runtime/arch/arm64/feature_caps.h): 0 none, -1 a bit the database lacks.
function emit_arm64_feature_caps(    i, s, max, b, bybit, capval, capname) {
	for (i = 1; i <= nsyms; i++)
		if (S_kind[i] == KINDNUM["cap"])
			capval[S_name[i]] = S_num[i]
	max = -1
	for (i = 1; i <= nsyms; i++)
		if (S_kind[i] == KINDNUM["vcpu-feature"] && S_arch[i] == ARCHNUM["arm64"]) {
			bybit[S_num[i]] = i
			if (S_num[i] > max)
				max = S_num[i]
		}
	printf "/* Generated by regdb/gen-regdb.awk -v emit=arm64-feature-caps from regdb/syms-*.db:\n"
	printf " * the capability each vCPU feature `needs` (docs/regdb.md). Do not edit: `make\n"
	printf " * regen` remakes it, tests/suites/sources.sh checks it against the database. */\n"
	printf "#ifndef KVMPROF_ARM64_FEATURE_CAPS_H\n#define KVMPROF_ARM64_FEATURE_CAPS_H\n\n#include <stdint.h>\n\n"
	printf "/* By KVM_ARM_VCPU_INIT feature bit: the KVM_CAP_* KVM offers it with, 0 if\n"
	printf " * none (always offered), -1 for a bit kvmprof does not know. */\n"
	printf "static const int16_t kvmprof_arm64_feature_caps[] = {\n"
	for (b = 0; b <= max; b++) {
		if (!(b in bybit)) {
			printf "\t-1, /* %d: unknown */\n", b
			continue
		}
		s = bybit[b]
		if (S_needs[s] == "")
			printf "\t0, /* %d %s */\n", b, S_name[s]
		else
			printf "\t%d, /* %d %s: %s */\n", capval[S_needs[s]], b, S_name[s], S_needs[s]
	}
	printf "};\n\n"
	printf "/* The database's numbers are the uAPI headers', where the build has them. */\n"
	for (b = 0; b <= max; b++) {
		if (!(b in bybit))
			continue
		s = bybit[b]
		capname = "KVM_ARM_VCPU_" toupper(S_name[s])
		gsub(/[-.]/, "_", capname)
		printf "#ifdef %s\n_Static_assert(%s == %d, \"regdb/syms-arm64.db\");\n#endif\n", capname, capname, b
		capname = S_needs[s]
		if (capname != "")
			printf "#ifdef %s\n_Static_assert(%s == %d, \"regdb/syms-caps.db\");\n#endif\n", capname, capname, capval[capname]
	}
	printf "\n#endif /* KVMPROF_ARM64_FEATURE_CAPS_H */\n"
}

function reg_less(a, b) {
	if (R_arch[a] != R_arch[b])
		return R_arch[a] < R_arch[b]
	return R_name[a] < R_name[b]
}

function sym_less(a, b) {
	if (S_kind[a] != S_kind[b])
		return S_kind[a] < S_kind[b]
	return S_name[a] < S_name[b]
}

END {
	end_of_file()
	for (i = 1; i <= nsyms; i++)
		if (S_needs[i] != "" && !(("cap|" S_needs[i]) in SYMNAME)) {
			printf "%s: error: vcpu-feature %s needs %s, which is no cap sym\n", S_needs_where[i], S_name[i], S_needs[i] > "/dev/stderr"
			nerr++
		}
	if (nerr > 0) {
		printf "gen-regdb: %d error(s)\n", nerr > "/dev/stderr"
		exit 1
	}
	# Insertion sorts: a few thousand records, fast enough and portable.
	for (i = 1; i <= nregs; i++) RO[i] = i
	for (i = 2; i <= nregs; i++) {
		x = RO[i]
		for (j = i - 1; j >= 1 && reg_less(x, RO[j]); j--)
			RO[j + 1] = RO[j]
		RO[j + 1] = x
	}
	for (i = 1; i <= nsyms; i++) SO[i] = i
	for (i = 2; i <= nsyms; i++) {
		x = SO[i]
		for (j = i - 1; j >= 1 && sym_less(x, SO[j]); j--)
			SO[j + 1] = SO[j]
		SO[j + 1] = x
	}

	if (emit == "cpuid-features") {
		emit_cpuid_features()
		exit 0
	}
	if (emit == "arm64-feature-caps") {
		emit_arm64_feature_caps()
		exit 0
	}
	printf "/* Generated by regdb/gen-regdb.awk from"
	for (i = 1; i <= nfiles; i++)
		printf " %s", FILES[i]
	printf ". Do not edit. */\n"
	printf "#include <stddef.h>\n#include <stdint.h>\n\n#include \"regdb.h\"\n\n"

	# Field arrays, named after the register's sorted position; fields by shift, descending.
	for (i = 1; i <= nregs; i++) {
		r = RO[i]
		if (R_nf[r] == 0)
			continue
		for (k = 1; k <= R_nf[r]; k++) FO[k] = k
		for (k = 2; k <= R_nf[r]; k++) {
			x = FO[k]
			for (j = k - 1; j >= 1 && F_shift[r, x] > F_shift[r, FO[j]]; j--)
				FO[j + 1] = FO[j]
			FO[j + 1] = x
		}
		printf "/* %s */\nstatic const struct regdb_field regdb_fields_%d[] = {\n", R_name[r], i - 1
		for (k = 1; k <= R_nf[r]; k++) {
			f = FO[k]
			printf "\t{ .name = %s, .shift = %d, .width = %d, .flags = 0x%x, .doc = %s },\n",
				cstr(F_name[r, f]), F_shift[r, f], F_width[r, f], F_flags[r, f], cstr(F_doc[r, f])
		}
		printf "};\n\n"
	}

	printf "const struct regdb_reg regdb_regs[] = {\n"
	for (i = 1; i <= nregs; i++) {
		r = RO[i]
		printf "\t{\n\t\t.name = %s,\n", cstr(R_name[r])
		printf "\t\t.arch = %d,\n\t\t.space = %d,\n\t\t.width = %d,\n\t\t.cpuid_reg = %d,\n",
			R_arch[r], R_space[r], R_width[r], R_cpuid[r]
		printf "\t\t.flags = 0x%x,\n\t\t.id = UINT64_C(0x%s),\n", R_flags[r] + 4 * R_lower[r] + 8 * R_keeps[r] + 16 * R_feat[r], R_id[r]
		if (R_since[r])
			printf "\t\t.writable_since = 0x%x,\n", R_since[r]
		if (R_vmsince[r])
			printf "\t\t.vm_scope_since = 0x%x,\n", R_vmsince[r]
		if (R_nf[r] > 0)
			printf "\t\t.fields = regdb_fields_%d,\n\t\t.n_fields = %d,\n", i - 1, R_nf[r]
		else
			printf "\t\t.fields = NULL,\n\t\t.n_fields = 0,\n"
		printf "\t\t.doc = %s,\n\t\t.source = %s,\n\t\t.history = %s,\n\t},\n",
			cstr(R_doc[r]), cstr(R_source[r]), cstr(R_hist[r])
	}
	printf "};\nconst size_t regdb_n_regs = %d;\n\n", nregs

	printf "const struct regdb_sym regdb_syms[] = {\n"
	for (i = 1; i <= nsyms; i++) {
		s = SO[i]
		printf "\t{ .name = %s, .kind = %d, .arch = %d, .value = UINT64_C(%s),\n\t  .doc = %s,\n\t  .source = %s,\n\t  .history = %s, .needs = %s },\n",
			cstr(S_name[s]), S_kind[s], S_arch[s], S_value[s], cstr(S_doc[s]),
			cstr(S_source[s]), cstr(S_hist[s]), cstr(S_needs[s])
	}
	printf "};\nconst size_t regdb_n_syms = %d;\n", nsyms

	for (i = 1; i <= nkf; i++) {
		printf "\n/* %s */\nstatic const struct regdb_kfact_range regdb_kfact_ranges_%d[] = {\n", K_name[i], i - 1
		for (k = 1; k <= K_n[i]; k++)
			printf "\t{ .from = %d, .to = %d, .state = %d,\n\t  .source = %s },\n", KR_lo[i, k], KR_hi[i, k], KR_state[i, k], cstr(KR_src[i, k])
		printf "};\n"
	}
	printf "\nconst struct regdb_kfact regdb_kfacts[] = {\n"
	for (i = 1; i <= nkf; i++)
		printf "\t{ .name = %s, .arch = %d, .reg = %s, .doc = %s,\n\t  .source = %s,\n\t  .ranges = regdb_kfact_ranges_%d, .n_ranges = %d,\n\t  .set = %d, .set_a = %d, .set_b = %d },\n",
			cstr(K_name[i]), K_arch[i], cstr(K_reg[i]), cstr(K_doc[i]), cstr(K_source[i]), i - 1, K_n[i],
			K_set[i], K_seta[i], K_setb[i]
	if (nkf == 0)
		printf "\t{ .name = NULL },\n"
	printf "};\nconst size_t regdb_n_kfacts = %d;\n", nkf
}
