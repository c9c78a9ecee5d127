#!/bin/sh
# Write smsslab(1) in roff to standard output from the binary's own help
# texts (smsslab --help and smsslab help COMMAND), so the manual can never
# disagree with the program. Usage: scripts/manpage.sh BIN VERSION
set -eu
bin=$1
version=$2
# roff: a backslash is \e; a line starting with . or ' is a request.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
cat <<HEAD
.TH SMSSLAB 1 "" "smsslab $version" "User Commands"
.SH NAME
smsslab \\- simulate, check and draw how Windows starts its core processes
.SH SYNOPSIS
.B smsslab
.RI [ --version ]
.RI [ --help ]
.I COMMAND
.RI [ ARGS ]
.SH DESCRIPTION
.nf
HEAD
"$bin" --help | esc
echo ".fi"
echo ".SH COMMANDS"
for cmd in $("$bin" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | grep -vx help); do
    echo ".SS $cmd"
    echo ".nf"
    "$bin" help "$cmd" | esc
    echo ".fi"
done
cat <<'TAIL'
.SH FILES
.TP
.I /usr/share/smsslab/scenarios/
the scenario library (PREFIX/share/smsslab/scenarios when installed elsewhere)
.SH EXIT STATUS
0 clean, 1 findings (check), 2 usage or input error.
.SH ENVIRONMENT
.TP
.B NO_COLOR
set and not empty: no colour in check's report and no progress bar in corpus.
TAIL
