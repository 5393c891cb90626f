#!/usr/bin/env zsh
# Prints what zsh's completion offers at a Tab after a command line, one
# match a line: "MATCH\tDESCRIPTION" (the description empty where there is
# none). A real interactive zsh on a pseudo-terminal (zpty) runs compinit
# with DIR first in $fpath; its compadd is wrapped to print what it would
# offer. Exits 2 when the shell does not answer within 20 seconds.
# Usage: zsh_complete.zsh DIR 'gwsync sync --dr'
emulate -L zsh
setopt extended_glob
zmodload zsh/zpty || exit 2
zmodload zsh/datetime
dir=${1:a} line=$2
setup=$(mktemp /tmp/gwsync-zsh-complete.XXXXXX)
trap 'rm -f $setup; zpty -d gwsync-complete 2>/dev/null' EXIT

# The markers are built from two pieces, so the terminal's echo of a typed
# command never looks like one.
cat >$setup <<SETUP
PROMPT='' RPROMPT='' PS2=''
# Wide enough that zsh never cuts a description short.
stty columns 1000 2>/dev/null; COLUMNS=1000
unset zle_bracketed_paste
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -D
bindkey '^I' complete-word
_gw_begin() { print -r -- '<<<BEGIN''>>>' }
_gw_end() { print -r -- '<<<END''>>>' }
compprefuncs=(_gw_begin)
comppostfuncs=(_gw_end)
compadd() {
  # Queries of the completion system itself (-O, -A, -D) pass through.
  if (( \${@[(I)-[OAD]]} )); then builtin compadd "\$@"; return; fi
  local -a __matches __descriptions
  local -i d=\${@[(i)-d]}
  (( d < \$# )) && __descriptions=("\${(@P)\${@[d+1]}}")
  builtin compadd -A __matches -D __descriptions "\$@"
  local -i i
  for (( i = 1; i <= \$#__matches; i++ )); do
    print -r -- "<<<MATCH>>>\$__matches[i]"\$'\t'"\$__descriptions[i]"
  done
}
print -r -- '<<<READY''>>>'
SETUP

zpty gwsync-complete zsh -f -i
# Reads until MARKER has come, or fails after 20 s.
read_until() {
  local chunk
  local -F deadline=$(( EPOCHREALTIME + 20 ))
  while [[ $output != *"$1"* ]]; do
    if zpty -rt gwsync-complete chunk; then
      output+=$chunk
    elif (( EPOCHREALTIME > deadline )); then
      print -u2 "zsh_complete: no $1 from zsh; it printed: $output"
      exit 2
    else
      sleep 0.02
    fi
  done
}
output=''
zpty -w gwsync-complete "source ${(q)setup}"
read_until '<<<READY>>>'
output=''
zpty -w -n gwsync-complete "$line"$'\t'
read_until '<<<END>>>'
for l in ${(f)output//$'\r'/}; do
  [[ $l == '<<<MATCH>>>'* ]] && print -r -- ${l#'<<<MATCH>>>'}
done
exit 0
