#!/bin/sh
# tools/man/as-installed.sh BINARY NAME INSTALLED ARGS... -- runs the build tree's program
# BINARY (called NAME in its own messages) with ARGS and shows its output as the installed
# program INSTALLED would read in a manual. help2man makes the man pages from this output
# (tools/CMakeLists.txt); the program and its --help stay as they are.
set -eu
binary=$1 name=$2 installed=$3
shift 3
out=$("$binary" "$@")

# 1. The program's name where it stands for the command: the --version line, the usage
#    lines (continuations in help2man's "  or: " form) and the examples ("  NAME ...").
#    Facts about the machine that builds the page (the server's CPU count) are not the reader's.
# 2. help2man continues an item's description only with lines indented exactly like its first
#    line (at least 20 columns when it starts on the next line): re-indent continuation lines
#    (indented by more than 10) to their item's description column; indent an item written
#    from column 0 ("server HOST PORT   send ..."), which help2man would take for prose; and
#    keep each line of an "Examples:" block a paragraph of its own (help2man would fill them).
printf '%s\n' "$out" | sed \
  -e "s/^$name (sockcalc)/$installed (sockcalc)/" \
  -e "s/^Usage: $name /Usage: $installed /" \
  -e "s/^       $name /   or: $installed /" \
  -e "s/^\(Examples\{0,1\}: *\)$name /\1$installed /" \
  -e "s/^  $name /  $installed /" \
  -e 's/, [0-9][0-9]* here)/)/' |
  awk '
    function lead(s) { return match(s, /[^ ]/) - 1 }
    function item(line,    rest, gap, tail) {  # "  -t, --threads N  description"
      rest = substr(line, lead(line) + 1)
      gap = index(rest, "  ")
      if (gap == 0) { col = 0; pending = 1; print line; return }
      tail = substr(rest, gap)
      col = lead(line) + gap - 1 + lead(tail)
      pending = 0; print line
    }
    /^[^ ].*[^ ]   +[^ ]/ && !/^(Usage|Examples?):/ { item("  " $0); next }
    /^$/ || /^[^ ]/ { col = 0; pending = 0; examples = /^Examples?:$/; items = 0; print; next }
    lead($0) <= 10 {
      if (examples && items++ > 0) print ""
      item($0); next
    }
    {                                      # a continuation line
      text = substr($0, lead($0) + 1)
      if (pending) { col = lead($0) < 20 ? 20 : lead($0); pending = 0 }
      if (col > 0) printf "%*s%s\n", col, "", text; else print
    }'
