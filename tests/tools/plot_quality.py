#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Draws the time-to-quality curves (FD against minutes of training) of `diffusion-studio-cli
bench quality` and tests/tools/bench_python_quality.py from their JSON, as one PNG.

    /usr/bin/python3 tests/tools/plot_quality.py ours.json python.json --out docs/images/time-to-quality.png

Each curve is labelled with its implementation and its steps per second; the horizontal line is
the Python run's last distance, and the marker where our curve first reaches it (linear
interpolation between measurements) gives the time it took.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402


def reach_time(points, target):
    """Minutes at which the curve first reaches `target` (linear between measurements), or None."""
    previous = None
    for p in points:
        if p["fd"] <= target:
            if previous is None:
                return p["minutes"]
            t0, f0, t1, f1 = previous["minutes"], previous["fd"], p["minutes"], p["fd"]
            return t0 + (t1 - t0) * (f0 - target) / (f0 - f1) if f0 != f1 else t1
        previous = p
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("ours")
    p.add_argument("python")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    runs = [json.load(open(args.ours)), json.load(open(args.python))]
    names = ["Diffusion Studio (C++, LibTorch)", "lucidrains' denoising-diffusion-pytorch (Python)"]
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    for run, name, colour in zip(runs, names, ["#1f6fb4", "#d9822b"]):
        pts = run["points"]
        rate = run["final_step"] / max(1e-9, pts[-1]["train_seconds"])
        ax.plot([q["minutes"] for q in pts], [q["fd"] for q in pts], "o-", color=colour,
                label=f"{name}: {run['final_step']} steps, {rate:.2f} steps/s")
    target = runs[1]["points"][-1]["fd"]
    ax.axhline(target, color="#999999", linestyle=":", linewidth=1)
    reached = reach_time(runs[0]["points"], target)
    if reached is not None:
        ax.plot([reached], [target], "D", color="#1f6fb4", markersize=8)
        ax.annotate(f"Python's {runs[1]['points'][-1]['minutes']:.0f}-minute FD {target:.1f}\nreached at "
                    f"{reached:.1f} min", (reached, target), textcoords="offset points", xytext=(10, 18), fontsize=9)
    ax.set_xlabel("minutes of training (measurements not counted)")
    ax.set_ylabel(runs[0]["label"] or "FD")
    ax.set_yscale("log")
    ticks = [t for t in (5, 7, 10, 12, 15, 20, 30, 40, 60, 80, 100, 150, 200)
             if min(q["fd"] for r in runs for q in r["points"]) * 0.9 <= t <= max(q["fd"] for r in runs for q in r["points"]) * 1.1]
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FixedFormatter([str(t) for t in ticks]))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_title(f"Time to quality: tiny preset on Fashion-MNIST, {runs[0]['samples']} samples, "
                 f"DDIM-{runs[0]['steps']}, {runs[0]['threads']} threads", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out)
    print(json.dumps({"python_final_fd": target, "python_final_minutes": runs[1]["points"][-1]["minutes"],
                      "ours_reaches_it_at_minutes": reached,
                      "ours_final_fd": runs[0]["points"][-1]["fd"]}, indent=2))


if __name__ == "__main__":
    main()
