"""Benchmark routing (SPEC §8): raw lookups per second, and what route() adds to report creation.

Run from the project root: python bench/routing/run.py
"""
import random
import statistics
import time
from pathlib import Path

import reversejp

from app.hq_csv import read_csv
from app.routing import Fix, MemoryDirectory, Surface, route, survey

SEED = 119
POINTS = 100_000
# Japan's extreme points: Yonaguni (W), Minamitorishima (E), Okinotorishima (S), Etorofu (N).
LON_RANGE = (122.93, 153.99)
LAT_RANGE = (20.42, 45.56)
ROUTE_SAMPLE = 2_000
TARGET_MS = 1.0
DEMO_CSV = Path(__file__).resolve().parents[2] / "app" / "data" / "headquarters_demo.csv"


def main():
    """Run every measurement and print the figures."""
    rng = random.Random(SEED)
    points = [(rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)) for _ in range(POINTS)]

    land, empty, land_ns, empty_ns = [], [], 0, 0
    start = time.perf_counter_ns()
    for lat, lon in points:
        t0 = time.perf_counter_ns()
        found = reversejp.find_properties(lon, lat)
        elapsed = time.perf_counter_ns() - t0
        if found:
            land.append((lat, lon))
            land_ns += elapsed
        else:
            empty.append((lat, lon))
            empty_ns += elapsed
    total_s = (time.perf_counter_ns() - start) / 1e9

    print(f"reversejp.find_properties, {POINTS:,} random points in Japan's bounding box "
          f"(seed {SEED})")
    print(f"  all points     {POINTS / total_s:10,.0f} lookups/s  ({total_s:.1f} s)")
    print(f"  land ({len(land):>6,}) {_mean_us(land_ns, len(land)):10.1f} µs per lookup")
    print(f"  none ({len(empty):>6,}) {_mean_us(empty_ns, len(empty)):10.1f} µs per lookup "
          "(reversejp retries 49 shifted points before giving up)")

    directory = MemoryDirectory.from_rows(read_csv(DEMO_CSV).rows)
    home = directory.hq_for_municipality("01224")
    inland = _first(land, Surface.LAND, ROUTE_SAMPLE)
    sea = _first(empty, Surface.SEA, 200)

    print(f"\nroute() per call, demo directory, {len(inland):,} land points from the sample")
    rows = [
        ("land, no accuracy", inland, None),
        ("land, accuracy 15 m (GPS)", inland, 15.0),
        ("land, accuracy 1.5 km (cell)", inland, 1_500.0),
        ("at sea (incl. 1 km coast probe)", sea, None),
    ]
    for label, sample, accuracy in rows:
        timings = _time_route(sample, accuracy, home, directory)
        print(f"  {label:<32} mean {statistics.fmean(timings):7.3f} ms   "
              f"p50 {_percentile(timings, 50):7.3f} ms   p99 {_percentile(timings, 99):7.3f} ms")
    print(f"\ntarget: routing adds under {TARGET_MS:g} ms to report creation for land points")


def _time_route(points, accuracy, home, directory):
    """Milliseconds for route() at each point."""
    timings = []
    for lat, lon in points:
        fix = Fix(lat, lon, accuracy)
        t0 = time.perf_counter_ns()
        route(fix, home, directory)
        timings.append((time.perf_counter_ns() - t0) / 1e6)
    return timings


def _first(points, surface, count):
    """The first ``count`` points that survey() puts on ``surface``."""
    chosen = []
    for point in points:
        if len(chosen) == count:
            break
        if survey(*point).surface is surface:
            chosen.append(point)
    return chosen


def _mean_us(total_ns, count):
    return total_ns / count / 1e3 if count else 0.0


def _percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


if __name__ == "__main__":
    main()
