"""Load with wrk: one run's requests per second, and the command-line options of the wrk
benchmarks."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess


def wrk(url: str, seconds: int, connections: int, *options: str) -> float:
    """Requests per second from one wrk run (``options``: more wrk arguments, such as a
    header or a Lua script); fails on any socket error or non-2xx answer."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s", *options, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def load_arguments(doc: str) -> argparse.Namespace:
    """``--seconds`` (a sample), ``--rounds`` (samples per route), ``--connections``; exits
    when wrk is not installed."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return args
