#!/usr/bin/env bash
# Scale benchmark: generate a book of N customers x M months, then time each
# command (a bare Polars read of the book as the yardstick, validate,
# features, snapshots, train, run) under /usr/bin/time -v and print wall
# time, CPU time and peak RSS.
#
#   scripts/bench-scale.sh [CUSTOMERS] [MONTHS] [WORKDIR]
#   (defaults: 100000 36 /tmp/earlywarn-scale; 1000000 36 runs in ~23 GiB)
#
# Each command starts after IDLE seconds (default 6) with nothing running:
# on the project's machines memory touched for the first time after idling
# costs the most, and a scheduled nightly job starts that way
# (docs/performance.md, session 12). IDLE=0 runs them back to back.
#
# Builds the release binary first (a cold release build of Polars takes
# about 20 minutes on 2 cores). Figures go in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-100000}
months=${2:-36}
work=${3:-/tmp/earlywarn-scale}
bin=target/release/earlywarn

cargo build --release --quiet --bin earlywarn --example bare_read
export RUST_LOG=earlywarn=info   # stage timings land in $work/<label>.out
mkdir -p "$work"
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB memory; book: $customers customers x $months months"
printf '%-34s %10s %10s %12s\n' command wall_s cpu_s peak_rss_mb

idle=${IDLE:-6}

measure() {
  local label=$1; shift
  local log="$work/time.log"
  sleep "$idle"
  /usr/bin/time -v -o "$log" "$@" > "$work/$label.out" 2>&1 || { cat "$log"; exit 1; }
  awk -v label="$label" '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { user = $NF } /System time/ { sys = $NF }
    /Maximum resident set size/ { rss = $NF / 1024 }
    END { printf "%-34s %10.2f %10.2f %12.0f\n", label, wall, user + sys, rss }' "$log"
}

measure "generate (parquet)" "$bin" generate --out "$work/book" --customers "$customers" --months "$months" --seed 1 --format parquet
measure "bare Polars read (yardstick)" target/release/examples/bare_read "$work/book"
measure "validate" "$bin" validate --input "$work/book"
measure "features (one day)" "$bin" features --input "$work/book" --out "$work/features.parquet"
if [ "$customers" -le 100000 ]; then   # every customer's 36 snapshots: ~30 GB at 1M
  measure "features --snapshots (monthly)" "$bin" features --snapshots --input "$work/book" --out "$work/snapshots.parquet"
fi
# Above 100k customers, train on a 100k-customer sample (the snapshots of
# every customer of a 1M book do not fit in 23 GiB; docs/performance.md).
train_sample=()
if [ "$customers" -gt 100000 ]; then
  train_sample=(--customer-share "$(awk -v n="$customers" 'BEGIN { printf "%.6f", 100000 / n }')")
fi
measure "train" "$bin" train --input "$work/book" --model-out "$work/model.json" ${train_sample[@]+"${train_sample[@]}"}
measure "run" "$bin" run --input "$work/book" --model "$work/model.json" --out "$work/out"
