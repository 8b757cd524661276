"""Latency estimates against MLPerf Tiny v0.5-v1.1, board by board (leave one board out).

For each core family and runtime family: the median error |estimate / published - 1| and
the share of published figures inside the band, beside the anchor of issue 19 (one total-
MACs-per-cycle factor per core family, fitted on the same training boards), and the ratio.
"""
from __future__ import annotations

from tinyreg.registry.latency.calibration import HELD_OUT, load_table
from tinyreg.registry.latency.crossval import cross_validate, predict, summarise


def _table(title: str, summaries) -> None:
    print(f"-- {title}")
    print(f"   {'family':16} {'results':>7} {'boards':>6} {'calibrated':>10} {'median err':>10} "
          f"{'in band':>7} {'anchor err':>10} {'anchor/ours':>11}")
    for s in summaries:
        anchor = "-" if s.anchor_median_error is None else f"{s.anchor_median_error:.1%}"
        ratio = ("-" if s.anchor_median_error is None or not s.median_error
                 else f"{s.anchor_median_error / s.median_error:.2f}x")
        print(f"   {s.key:16} {s.results:7} {s.boards:6} {s.calibrated:10} "
              f"{s.median_error:10.1%} {s.inside_band:7.0%} {anchor:>10} {ratio:>11}")


def main() -> None:
    rows = load_table()
    predictions = cross_validate(rows)
    print(f"leave-one-board-out over {len(rows)} results, "
          f"{len({o.board for o in rows})} boards (MLPerf Tiny v0.5-v1.1, closed division)")
    _table("by core family", summarise(predictions, lambda p: p.observation.core))
    _table("by runtime family", summarise(predictions, lambda p: p.observation.runtime))
    _table("by whether other boards calibrate the pair",
           summarise(predictions, lambda p: "calibrated" if p.calibrated else "uncalibrated"))
    held_out = load_table(name=HELD_OUT)
    print(f"held out: {len(held_out)} v1.2 results ({len({o.board for o in held_out})} boards), "
          "predicted by the fit on all v0.5-v1.1 results")
    _table("v1.2 by board and runtime", summarise(
        predict(rows, held_out), lambda p: f"{p.observation.board[:10]}/{p.observation.runtime}"))


if __name__ == "__main__":
    main()
