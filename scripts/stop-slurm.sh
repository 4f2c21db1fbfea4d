#!/usr/bin/env bash
# Stops the cluster of scripts/start-slurm.sh DIR by the pids in its pid files (munged stays).
dir=${1:?usage: stop-slurm.sh DIR}
for pidfile in "$dir/d.pid" "$dir/ctld.pid"; do
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
exit 0
