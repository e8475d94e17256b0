#!/usr/bin/env bash
# Removes a scratch tree that conman tests or benchmarks used: stops the processes whose command line names
# it (only this run's processes can), deletes runc containers whose state lives in it, unmounts whatever
# is mounted below it (deepest first), then removes it. Usage: cleanup-tree.sh DIR
set -u
dir=${1:?usage: cleanup-tree.sh DIR}
[ -d "$dir" ] || exit 0
dir=$(readlink -f "$dir")
find "$dir" -maxdepth 4 -type d -name runc 2>/dev/null | while IFS= read -r rr; do
  for c in $(runc --root "$rr" list -q 2>/dev/null); do runc --root "$rr" delete -f "$c" >/dev/null 2>&1; done
done
for pid in $(grep -lF -- "$dir" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
  [ "$pid" = "$$" ] || kill -9 "$pid" 2>/dev/null
done
# shims rename themselves `conman-shim <id>`: those of the containers stored in the tree
find "$dir" -mindepth 2 -maxdepth 5 -type d -path '*/containers/*' -regextype posix-extended -regex '.*/[0-9a-f]{64}' 2>/dev/null |
  while IFS= read -r c; do
    for pid in $(grep -lz -- "^conman-shim ${c##*/}" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do kill -9 "$pid" 2>/dev/null; done
  done
sleep 0.2
# mount points in mountinfo escape space, tab, newline and backslash as octal (\040 ...): printf %b undoes it
awk -v d="$(printf '%s' "$dir" | sed 's/ /\\040/g')" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
  while IFS= read -r m; do umount -l "$(printf '%b' "$m")" 2>/dev/null; done
find "$dir" \( -name netns -o -name 'netns-*' \) 2>/dev/null | while IFS= read -r ns; do umount "$ns" 2>/dev/null; done
# networks a store in the tree created: their bridges and firewall rules (the shared default conman0 stays)
find "$dir" -path '*/networks/*.conflist' 2>/dev/null | while IFS= read -r f; do
  br=$(sed -n 's/.*"bridge": *"\([^"]*\)".*/\1/p' "$f" | head -1)
  { [ -n "$br" ] && [ "$br" != conman0 ]; } || continue
  for t in filter nat; do
    iptables-save -t "$t" 2>/dev/null | grep -E -- "-[io] $br( |\$)" | sed 's/^-A /-D /' | while read -r rule; do
      # shellcheck disable=SC2086
      iptables -w -t "$t" $rule 2>/dev/null
    done
  done
  ip link del "$br" 2>/dev/null
done
rm -rf --one-file-system "$dir"
