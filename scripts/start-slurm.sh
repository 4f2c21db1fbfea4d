#!/usr/bin/env bash
# Starts a private one-node Slurm cluster (slurmctld + slurmd, munge auth) for the tests:
#   scripts/start-slurm.sh DIR
# writes DIR/slurm.conf, starts the daemons with their state, logs and pid files in DIR, waits
# until the node is idle, and prints `SLURM_CONF=DIR/slurm.conf` on stdout. Needs root (the
# daemons and munged) and Debian's slurm-wlm and munge. Stop it with scripts/stop-slurm.sh DIR.
# Exits 3 with the reason on stderr where it cannot start (not root, packages missing).
set -euo pipefail
dir=$(realpath "${1:?usage: start-slurm.sh DIR}")
[ "$(id -u)" -eq 0 ] || { echo "start-slurm: needs root to start slurmd and munged" >&2; exit 3; }
for bin in slurmctld slurmd munged sinfo; do
  command -v "$bin" >/dev/null || { echo "start-slurm: $bin is not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
done

# munge: one daemon per machine, shared by every cluster on it; started once, left running.
if ! pgrep -x munged >/dev/null; then
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged
fi

node=$(hostname -s)
cpus=$(nproc)
mkdir -p "$dir/ctld" "$dir/d"
cat > "$dir/slurm.conf" <<CONF
ClusterName=noiselab-test
SlurmctldHost=$node
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/ctld.pid
SlurmdPidFile=$dir/d.pid
SlurmctldLogFile=$dir/ctld.log
SlurmdLogFile=$dir/d.log
SlurmctldPort=$((6900 + RANDOM % 500))
SlurmdPort=$((7500 + RANDOM % 500))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$node CPUs=$cpus RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
  if sinfo -h -o %t 2>/dev/null | grep -qx idle; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "start-slurm: the node did not become idle in 30 s; see $dir/ctld.log and $dir/d.log" >&2
bash "$(dirname "$0")/stop-slurm.sh" "$dir"
exit 3
