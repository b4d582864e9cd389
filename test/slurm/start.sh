#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for the job-array test (test/slurm.test.ts) and CI:
# writes a minimal slurm.conf under $FAITHBENCH_SLURM_DIR (default /tmp/faithbench-slurm),
# starts slurmctld and slurmd there as root and waits until the node is idle. Nothing outside
# that folder is written (no /etc/slurm), and the ports are not Slurm's defaults, so a real
# Slurm on the same machine is left alone. Clients need SLURM_CONF=$FAITHBENCH_SLURM_DIR/slurm.conf.
# Idempotent: if this folder's daemons are already running, it only waits for the node, and
# says "already running" instead of "started" (the test stops only daemons it started).
# Stop with test/slurm/stop.sh. Needs Debian's slurm-wlm (slurmctld, slurmd, slurm-client).
set -euo pipefail

dir=${FAITHBENCH_SLURM_DIR:-/tmp/faithbench-slurm}
ctld_port=${FAITHBENCH_SLURMCTLD_PORT:-16817}
slurmd_port=${FAITHBENCH_SLURMD_PORT:-16818}
export SLURM_CONF=$dir/slurm.conf
# the daemons live in sbin, which a non-login root shell may not have on PATH
export PATH=$PATH:/usr/sbin:/sbin

die() { echo "test/slurm/start.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (slurmd starts every job as its submitting user)"
for b in slurmctld slurmd sinfo sbatch; do command -v "$b" >/dev/null || die "$b not found: apt-get install slurm-wlm"; done

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

how="already running"
if ! alive "$dir/slurmctld.pid" || ! alive "$dir/slurmd.pid"; then
  how=started
  "$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  # memory is not a consumable here (CR_Core), but a job's --mem must fit the node: declare 95% of
  # what there is (more than slurmd finds would drain the node)
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.95 }' /proc/meminfo)
  # auth/none and cred/none: no munged to run; acceptable for a single-host test cluster only.
  # proctrack/linuxproc + task/none: no cgroups (CI containers seldom delegate them).
  cat >"$SLURM_CONF" <<CONF
ClusterName=faithbench
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  # -c: start clean (no jobs from an earlier cluster in this folder); -N: this host is the node "localhost"
  slurmctld -c -f "$SLURM_CONF" || die "slurmctld did not start: see $dir/log/slurmctld.log"
  slurmd -N localhost -f "$SLURM_CONF" || die "slurmd did not start: see $dir/log/slurmd.log"
fi

# the node registers within a few seconds; 60 s covers a slow CI machine
for _ in $(seq 1 120); do
  state=$(sinfo -h -N -n localhost -o %t 2>/dev/null || true)
  if [ "$state" = idle ] || [ "$state" = mix ] || [ "$state" = alloc ]; then
    echo "slurm up ($how): node localhost $state ($(nproc) CPUs); SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
die "node localhost not idle after 60 s (state: ${state:-none}); see $dir/log/"
