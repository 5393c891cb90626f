#!/usr/bin/env python3
"""Checks deploy/k8s/ without a cluster (kubectl's client-side validation
needs an API server for its schema): every manifest parses; the Indexed
Job's completions equal its GWSYNC_SHARD_COUNT; every volume mounted is
declared and every ConfigMap, Secret and claim it names is one of the
manifests (or the plan ConfigMap deploy/k8s/README.md creates); the shell the pods
run parses (sh -n) and runs `gwsync sync --shard auto` with the plan."""
import glob
import os
import subprocess
import sys

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


docs = {}
for path in sorted(glob.glob(os.path.join(ROOT, "deploy", "k8s", "*.yaml"))):
    for d in yaml.safe_load_all(open(path, encoding="utf-8")):
        check(d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name"),
              f"{path}: apiVersion, kind and metadata.name")
        docs[(d["kind"], d["metadata"]["name"])] = d

configmaps = {n for k, n in docs if k == "ConfigMap"} | {"gwsync-plan"}
secrets = {n for k, n in docs if k == "Secret"}
claims = {n for k, n in docs if k == "PersistentVolumeClaim"}

for (kind, name), d in docs.items():
    if kind != "Job":
        continue
    spec = d["spec"]["template"]["spec"]
    check(spec.get("restartPolicy") in ("Never", "OnFailure"), f"{name}: restartPolicy")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for v in volumes.values():
        if "configMap" in v:
            check(v["configMap"]["name"] in configmaps, f"{name}: configMap {v['configMap']['name']}")
        if "secret" in v:
            check(v["secret"]["secretName"] in secrets, f"{name}: secret {v['secret']['secretName']}")
        if "persistentVolumeClaim" in v:
            check(v["persistentVolumeClaim"]["claimName"] in claims, f"{name}: claim")
    for c in spec["containers"]:
        for m in c.get("volumeMounts", []):
            check(m["name"] in volumes, f"{name}: mount {m['name']} has no volume")
        for e in c.get("envFrom", []):
            check(e["configMapRef"]["name"] in configmaps, f"{name}: envFrom")
        script = "\n".join(c.get("args", []))
        r = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True)
        check(r.returncode == 0, f"{name}: the container's shell does not parse: {r.stderr}")
        if d["spec"].get("completionMode") == "Indexed":
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            check(env.get("GWSYNC_SHARD_COUNT") == str(d["spec"]["completions"]),
                  f"{name}: GWSYNC_SHARD_COUNT must equal completions")
            check("--shard auto" in script and "--shard-plan" in script,
                  f"{name}: runs sync --shard auto with the plan")

secret = docs.get(("Secret", "gwsync-remotes"))
check(secret and "[old]" in secret["stringData"]["remotes.conf"], "the remotes Secret")
check(("Job", "gwsync-shards") in docs and ("Job", "gwsync-merge") in docs, "both Jobs")

for f in failures:
    print("k8s_manifest_test: FAILED:", f)
print("k8s_manifest_test:", "FAILED" if failures else "OK", f"({len(docs)} manifests)")
sys.exit(1 if failures else 0)
