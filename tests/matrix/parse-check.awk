# tests/matrix/parse-check.awk -v arch=A -v row=PROFILE -v col=HOST: the JSON of
# `kvmprof check PROFILE --against CAPTURE(HOST) --format json` (docs/cli.md) as
# tab-separated records:
#   O arch row col phase entry outcome blocks reason     (blocks: 1, 0)
#   V arch row col verdict n_missing n_new missing-registers(space-separated)
# The JSON is one entry per line, so no general JSON parser is needed.
BEGIN { OFS = "\t"; verdict = "error" }
function str(key,    s, i) { # the string value of "key": "..." on this line, unescaped
	i = index($0, "\"" key "\": \"")
	if (!i)
		return ""
	s = substr($0, i + length(key) + 5)
	i = 1
	out = ""
	while (i <= length(s)) {
		c = substr(s, i, 1)
		if (c == "\\") { out = out substr(s, i + 1, 1); i += 2; continue }
		if (c == "\"") break
		out = out c
		i++
	}
	return out
}
function list_after(key,    s, i) { # the items of "key": [...] on this line, space-separated
	i = index($0, "\"" key "\": [")
	if (!i)
		return ""
	s = substr($0, i + length(key) + 5)
	s = substr(s, 1, index(s, "]") - 1)
	gsub(/"/, "", s)
	gsub(/, /, " ", s)
	return s
}
/"verdict": "/ { verdict = str("verdict") }
/^ *\{"name": / {
	print "O", arch, row, col, str("phase"), str("name"), str("outcome"), (index($0, "\"blocks\": true") ? 1 : 0), str("reason")
}
/"drift": / {
	missing = list_after("missing"); new = list_after("new")
	n_missing = missing == "" ? 0 : split(missing, tmp, " ")
	n_new = new == "" ? 0 : split(new, tmp, " ")
}
END { print "V", arch, row, col, verdict, n_missing + 0, n_new + 0, missing }
