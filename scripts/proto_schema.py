#!/usr/bin/env python3
"""Writes src/sim/protobuf/schema.txt: the protobuf field numbers and types of the Kubernetes
API messages the simulation stores, read from upstream's generated.proto files.

Usage: scripts/proto_schema.py API APIMACHINERY APIEXTENSIONS > src/sim/protobuf/schema.txt
where each argument is a git checkout of kubernetes/api, kubernetes/apimachinery and
kubernetes/apiextensions-apiserver. The output is committed; this script only reruns when
the modelled kinds change.

Format, one message per line: `Name field=number:type ...`, fields in number order. Types:
s string, y bytes, i int32, l int64, b bool, d double, or a message name; a leading `+` means
repeated, `{s,T}` a map from string to T; a field written `~name` is a Go embedded struct whose
fields JSON writes inline in the parent object (Volume's volumeSource, Probe's handler). Field names are the JSON names from the Go types'
tags (mostly the proto names; not `Webhooks`, `x-kubernetes-*`, `$ref`). Volume sources the simulation does not model are left
out to keep the page small; the codec rejects a field it does not know.
"""
import re
import subprocess
import sys

API, MACHINERY, EXTENSIONS = sys.argv[1:4]
FILES = [(API, g + "/generated.proto") for g in [
    "core/v1", "apps/v1", "policy/v1", "coordination/v1", "rbac/v1", "discovery/v1", "batch/v1",
    "autoscaling/v2", "scheduling/v1", "storage/v1", "admissionregistration/v1"]]
FILES += [(MACHINERY, "pkg/apis/meta/v1/generated.proto"), (MACHINERY, "pkg/api/resource/generated.proto"),
          (MACHINERY, "pkg/util/intstr/generated.proto"), (MACHINERY, "pkg/runtime/generated.proto"),
          (EXTENSIONS, "pkg/apis/apiextensions/v1/generated.proto")]
ROOTS = ["k8s.io.api.core.v1." + k for k in
         "Namespace Node Pod Service Secret Event Endpoints ServiceAccount LimitRange ResourceQuota "
         "ConfigMap PersistentVolumeClaim PersistentVolume".split()]
ROOTS += ["k8s.io.api.apps.v1." + k for k in "Deployment ReplicaSet DaemonSet StatefulSet".split()]
ROOTS += ["k8s.io.api.rbac.v1." + k for k in "ClusterRole ClusterRoleBinding Role RoleBinding".split()]
ROOTS += ["k8s.io.api." + k for k in [
    "policy.v1.PodDisruptionBudget", "coordination.v1.Lease", "discovery.v1.EndpointSlice", "batch.v1.Job",
    "batch.v1.CronJob", "autoscaling.v2.HorizontalPodAutoscaler", "scheduling.v1.PriorityClass",
    "storage.v1.StorageClass", "storage.v1.VolumeAttachment",
    "admissionregistration.v1.MutatingWebhookConfiguration",
    "admissionregistration.v1.ValidatingWebhookConfiguration"]]
ROOTS += ["k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
          "k8s.io.apimachinery.pkg.runtime.Unknown"]
# Volume sources the simulation models; the other *VolumeSource fields are left out.
VOLUME_SOURCES = {"VolumeSource", "PersistentVolumeSource", "PersistentVolumeClaimVolumeSource", "EmptyDirVolumeSource", "ConfigMapVolumeSource",
                  "SecretVolumeSource", "CSIPersistentVolumeSource", "CSIVolumeSource", "HostPathVolumeSource"}
# Names used by two packages get the package's short name as a prefix.
SCALARS = {"string": "s", "bytes": "y", "int32": "i", "int64": "l", "bool": "b", "double": "d"}


def show(repo, path):
    return subprocess.run(["git", "-C", repo, "show", "HEAD:" + path], capture_output=True, text=True,
                          check=True).stdout


messages, inline, json_names = {}, set(), {}
for repo, path in FILES:
    folder = path.rsplit("/", 1)[0]
    names = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only", "HEAD", folder + "/"],
                           capture_output=True, text=True, check=True).stdout.split()
    go = "".join(show(repo, n) for n in names if re.search(r"/types\w*\.go$", n))
    for struct, body in re.findall(r"\ntype (\w+) struct \{(.*?)\n\}", go, re.S):
        for name in re.findall(r'\n\s+\*?[\w.]+ `json:"(?:,inline)?"\s+protobuf:"bytes,\d+,\w+,name=(\w+)', body):
            inline.add((struct, name))
        for json, name in re.findall(r'`json:"([^,"]+)[^"]*"[^`]*protobuf:"[^"]*name=(\w+)', body):
            if json != "-":
                json_names[(struct, name)] = json
    text = show(repo, path)
    pkg = re.search(r"package ([\w.]+);", text).group(1)
    text = re.sub(r"//.*", "", text)
    for m in re.finditer(r"message (\w+) \{(.*?)\n\}", text, re.S):
        fields = re.findall(r"(optional|repeated)?\s*(map<[\w.]+,\s*[\w.]+>|[\w.]+) (\w+) = (\d+);", m.group(2))
        messages[pkg + "." + m.group(1)] = fields


def resolve(t, ctx):
    t = t.lstrip(".")
    if t in messages:
        return t
    local = ctx.rsplit(".", 1)[0] + "." + t
    return local if local in messages else None


def json_name(msg, name):
    return json_names.get((msg.rsplit(".", 1)[1], name), name)


seen, stack, order = set(), list(ROOTS), []
while stack:
    m = stack.pop()
    if m in seen:
        continue
    seen.add(m)
    order.append(m)
    for _, ty, _, _ in messages[m]:
        for part in re.findall(r"[\w.]+", ty):
            r = resolve(part, m)
            if r and not (r.endswith("VolumeSource") and r.rsplit(".", 1)[1] not in VOLUME_SOURCES):
                stack.append(r)

short = {}
for m in seen:
    base = m.rsplit(".", 1)[1]
    clash = sum(1 for o in seen if o.rsplit(".", 1)[1] == base) > 1
    pkg = m.split(".")[-3] if not m.startswith("k8s.io.api.") else m.split(".")[3]
    short[m] = pkg + "." + base if clash else base


def type_code(ty, ctx):
    if ty in SCALARS:
        return SCALARS[ty]
    r = resolve(ty, ctx)
    return short[r] if r in seen else None


for m in sorted(seen, key=lambda m: short[m]):
    out = []
    for label, ty, name, num in sorted(messages[m], key=lambda f: int(f[3])):
        if ty.startswith("map<"):
            k, v = [p.strip() for p in ty[4:-1].split(",")]
            code = type_code(v, m)
            code = code and "{%s,%s}" % (SCALARS[k], code)
        else:
            code = type_code(ty, m)
            code = code and ("+" if label == "repeated" else "") + code
        if code:
            mark = "~" if (m.rsplit(".", 1)[1], name) in inline else ""
            out.append("%s%s=%s:%s" % (mark, json_name(m, name), num, code))
    print(short[m], " ".join(out))
