#!/usr/bin/env bash
# Every component's /metrics, as `kubesim metrics` prints it after a scripted run, must pass
# `promtool check metrics` (Prometheus's own parser and linter). Upstream itself names a few
# gauges `…_total` (etcd's proposal counts, kube-proxy's iptables rule counts); promtool's
# lint flags those, and only those are let through.
set -euo pipefail
kubesim=${1:-target/release/kubesim}
allowed='^(etcd_server_proposals_(applied|committed)_total|kubeproxy_sync_proxy_rules_iptables_total) non-counter metrics should not have "_total" suffix$'
failed=0
for component in kube-apiserver etcd-0 kube-scheduler kube-controller-manager kubelet/worker-1 cadvisor/worker-1 kube-proxy/worker-1; do
  text=$("$kubesim" metrics --until 40s --script examples/skeleton.kubesim --component "$component")
  set +e
  problems=$(printf '%s\n' "$text" | promtool check metrics 2>&1)
  code=$?
  set -e
  unexpected=$(printf '%s\n' "$problems" | grep -Ev "$allowed" | grep -v '^$' || true)
  families=$(printf '%s\n' "$text" | grep -c '^# TYPE' || true)
  if [ "$code" -ne 0 ] && [ -n "$unexpected" ]; then
    echo "promtool: $component: FAILED"
    printf '%s\n' "$unexpected"
    failed=1
  else
    echo "promtool: $component: $families metric families OK"
  fi
done
exit "$failed"
