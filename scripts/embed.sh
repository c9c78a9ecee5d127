#!/bin/sh
# embed.sh NAME FILE: print a C file defining `const char NAME[]` (NUL-terminated)
# and `const unsigned long NAME_len` with FILE's bytes. Uses od (coreutils) so the
# build needs no xxd.
set -eu
name=$1 file=$2
printf '/* generated from %s by scripts/embed.sh; do not edit */\n' "$file"
printf 'const char %s[] = {\n' "$name"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00};\nconst unsigned long %s_len = sizeof(%s) - 1;\n' "$name" "$name"
