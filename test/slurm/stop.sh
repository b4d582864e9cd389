#!/usr/bin/env bash
# Stops the daemons test/slurm/start.sh started (by the pids in its folder, nothing else).
set -uo pipefail
dir=${FAITHBENCH_SLURM_DIR:-/tmp/faithbench-slurm}
pids=()
for f in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" && pids+=("$pid"); fi
  rm -f "$f"
done
for _ in $(seq 1 50); do
  left=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
  [ $left = 0 ] && break
  sleep 0.2
done
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"; done
echo "slurm stopped (${#pids[@]} daemons)"
