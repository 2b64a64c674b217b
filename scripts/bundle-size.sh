#!/usr/bin/env bash
# Prints the size of every file the page loads, raw and gzip -9, and the totals.
set -euo pipefail
dir=${1:-dist}
total_raw=0
total_gz=0
printf '%-52s %12s %12s\n' "bundle file" "raw bytes" "gzip bytes"
while IFS= read -r f; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-52s %12d %12d\n' "${f#"$dir"/}" "$raw" "$gz"
done < <(find "$dir" -type f | sort)
printf '%-52s %12d %12d\n' "TOTAL" "$total_raw" "$total_gz"
printf 'bundle gzip total: %d KB (goal ≤ 400 KB)\n' $(((total_gz + 1023) / 1024))
