#!/usr/bin/env python3
"""Where a command's memory peaks: its RSS sampled every few ms, beside its log.

    scripts/rss-timeline.py [--every-ms 20] [--top 12] -- COMMAND [ARGS...]

Runs COMMAND with RUST_LOG=earlywarn=debug (unless RUST_LOG is set), samples
the resident set size of the process from /proc every --every-ms, and prints:
- each log line of stderr with the time since start and the highest RSS seen
  since the line before it (so a line names the stretch that ended with it);
- the peak RSS, the wall time, and the --top stretches by their peak.
The command's stdout is passed through. Linux only (reads /proc).
"""

import argparse
import datetime
import os
import re
import subprocess
import sys
import threading
import time

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z\s+(.*)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every-ms", type=float, default=20)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "earlywarn=debug")
    env["NO_COLOR"] = "1"

    start = time.time()
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    samples = []  # (seconds since start, MB)
    lines = []  # (seconds since start, text)

    def read_log():
        for line in proc.stderr:
            line = ANSI.sub("", line.rstrip("\n"))
            m = STAMP.match(line)
            if m:
                at = datetime.datetime.fromisoformat(m.group(1)).replace(
                    tzinfo=datetime.timezone.utc
                )
                lines.append((at.timestamp() - start, m.group(2)))
            else:
                lines.append((time.time() - start, line))

    reader = threading.Thread(target=read_log)
    reader.start()
    while proc.poll() is None:
        mb = rss_mb(proc.pid)
        if mb is not None:
            samples.append((time.time() - start, mb))
        time.sleep(args.every_ms / 1000)
    reader.join()
    wall = time.time() - start

    stretches = []
    before = 0.0
    for at, text in lines + [(wall, "(exit)")]:
        inside = [mb for t, mb in samples if before <= t <= at]
        peak = max(inside) if inside else 0.0
        stretches.append((peak, at, text))
        print(f"{at:8.3f} s {peak:8.0f} MB  {text}")
        before = at
    peak = max((mb for _, mb in samples), default=0.0)
    print(f"\nwall {wall:.2f} s, peak RSS {peak:.0f} MB (sampled every {args.every_ms:g} ms), exit {proc.returncode}")
    print(f"highest {args.top} stretches (peak RSS since the line before):")
    for peak, at, text in sorted(stretches, reverse=True)[: args.top]:
        print(f"  {peak:8.0f} MB  ends {at:7.3f} s  {text[:110]}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
