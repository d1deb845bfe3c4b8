# SPDX-License-Identifier: GPL-2.0
#
# Writes the C table of kvmmem's knobs (name, unit, default, meaning) from
# the knob table of Documentation/admin-guide.rst, the rows whose mode is
# RW, so that `kvmmemctl knobs` and the admin guide cannot disagree.
# Columns: name, mode, unit, default, then the meaning from column 48 on;
# a row's meaning continues on the following lines that start with blanks.

function flush() {
	if (name != "") {
		gsub(/``/, "", meaning)
		gsub(/\\/, "\\\\", meaning)
		gsub(/"/, "\\\"", meaning)
		printf "\t{ \"%s\", \"%s\", \"%s\", \"%s\" },\n", name, unit, dflt, meaning
	}
	name = ""
}

BEGIN {
	print "/* Generated from Documentation/admin-guide.rst by knobs.awk. */"
}

/^[a-z_]+ +RW +/ {
	flush()
	name = $1
	unit = $3
	dflt = $4
	meaning = substr($0, 48)
	next
}

name != "" && /^ +[^ ]/ {
	line = $0
	sub(/^ +/, "", line)
	meaning = meaning " " line
	next
}

{ flush() }

END { flush() }
