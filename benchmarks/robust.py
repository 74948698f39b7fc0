"""Benchmark ``siting robust --n 50`` on the bundled scenario: local processes vs a Dask cluster.

Runs the real command twice on ``data/suizhou/scenario.toml`` (its ``[uncertainty]`` ranges):

1. ``siting robust --n N --workers W`` — samples on W local worker processes (default 2);
2. ``siting robust --n N --dask tcp://...`` — on a ``dask.distributed.LocalCluster`` of K
   single-threaded worker processes (default 4) started by this script.

Each sample is one MIP solve with the scenario's time limit (``--time-limit`` overrides it), so
the wall time is bounded by samples × limit / parallel solves plus the fixed part (reading the
layers, the base solve, process start-up, writing the outputs); both are reported. Prints a
Markdown table and writes every figure to JSON.

    .venv/bin/python benchmarks/robust.py                      # n = 50, ~14 min on 2 cores
    .venv/bin/python benchmarks/robust.py --n 8 --time-limit 2 # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "suizhou" / "scenario.toml"
SITING = Path(sys.executable).with_name("siting")


def run_robust(out: Path, n: int, extra: list[str], time_limit: float | None) -> dict:
    """Run ``siting robust`` once; wall time, the command and its summary from the outputs."""
    cmd = [str(SITING), "robust", str(SCENARIO), "--n", str(n), "--out", str(out), "-q",
           "--basemap", "none", *extra]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"siting robust failed (exit {proc.returncode})")
    report = json.loads((out / "plan" / "report.json").read_text(encoding="utf-8"))
    rob = report["robustness"]
    return {"command": " ".join(cmd[1:]).replace(str(ROOT) + "/", ""),
            "wall_s": round(wall, 1), "samples_s": round(rob["seconds"], 1),
            "backend": rob["backend"], "samples": rob["samples"],
            "not_proven": rob["samples_not_proven"],
            "no_regret": sum(1 for s in rob["stations"] if s["no_regret"]),
            "stations_seen": len(rob["stations"]),
            "own_share_mean": rob["own_share_mean"], "base_share_mean": rob["base_share_mean"],
            "regret_mean": rob["regret_mean"], "regret_max": rob["regret_max"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="samples (default 50)")
    ap.add_argument("--workers", type=int, default=2, help="local worker processes (2)")
    ap.add_argument("--dask-workers", type=int, default=4,
                    help="LocalCluster worker processes, 1 thread each (4)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="solver time limit per sample, s (default the scenario's)")
    ap.add_argument("--out", type=Path, default=None, help="write the figures to this JSON")
    args = ap.parse_args()

    from dask.distributed import LocalCluster

    rows = []
    with tempfile.TemporaryDirectory(prefix="siting-robust-bench-") as tmp:
        rows.append({"setup": f"local processes ({args.workers})", **run_robust(
            Path(tmp) / "local", args.n, ["--workers", str(args.workers)], args.time_limit)})
        with LocalCluster(n_workers=args.dask_workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            rows.append({"setup": f"Dask LocalCluster ({args.dask_workers} workers × 1 thread)",
                         **run_robust(Path(tmp) / "dask", args.n,
                                      ["--dask", cluster.scheduler_address], args.time_limit)})
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(),
               "platform": platform.platform(), "date": time.strftime("%Y-%m-%d")}
    print(f"\n`siting robust --n {args.n}` on the bundled scenario "
          f"({machine['cpus']} cores, Python {machine['python']}, {machine['date']})\n")
    print("| setup | wall (s) | samples (s) | not proven | no-regret stations | own plans "
          "cover | plan covers | regret mean / max (points) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['setup']} | {r['wall_s']:.1f} | {r['samples_s']:.1f} | "
              f"{r['not_proven']}/{r['samples']} | {r['no_regret']} of {r['stations_seen']} | "
              f"{100 * r['own_share_mean']:.1f} % | {100 * r['base_share_mean']:.1f} % | "
              f"{100 * r['regret_mean']:.2f} / {100 * r['regret_max']:.2f} |")
    if args.out is not None:
        args.out.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1),
                            encoding="utf-8")


if __name__ == "__main__":
    main()
