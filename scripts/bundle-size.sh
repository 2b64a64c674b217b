#!/usr/bin/env bash
# Prints the size of every file the page loads when it opens, raw and gzip -9, and the totals;
# then the files fetched only on demand (the lesson picker's thumbnails, the embed example).
set -euo pipefail
dir=${1:-dist}
on_demand='^(public/lessons/|public/embed-example\.html$)'
total_raw=0
total_gz=0
later_gz=0
printf '%-52s %12s %12s\n' "bundle file" "raw bytes" "gzip bytes"
while IFS= read -r f; do
  rel=${f#"$dir"/}
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  if [[ $rel =~ $on_demand ]]; then
    later_gz=$((later_gz + gz))
    continue
  fi
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-52s %12d %12d\n' "$rel" "$raw" "$gz"
done < <(find "$dir" -type f | sort)
printf '%-52s %12d %12d\n' "TOTAL" "$total_raw" "$total_gz"
printf 'on demand (lesson thumbnails, embed example): %d KB gzip\n' $(((later_gz + 1023) / 1024))
printf 'bundle gzip total: %d KB (goal ≤ 400 KB)\n' $(((total_gz + 1023) / 1024))
