"""Extracts the calibration table from local clones of the MLPerf Tiny results repositories.

    git clone https://github.com/mlcommons/tiny_results_v0.5 ROOT/mlcommons/tiny_results_v0.5
    ... (v0.7, v1.0, v1.1 likewise)
    python -m tinyreg.registry.latency.extract ROOT > mlperf_tiny_v0.5-v1.1.csv

Not run by the tests: it needs the clones, which need the network. The table it writes is
what the registry and its tests use (see data/README.md for the rows it keeps and skips).

Each system description (`<division>/<submitter>/systems/*.json`) gives the board, the
processor and its clock and the framework; each performance result
(`results/<system>/<benchmark>/performance/*results.txt`, or a runner log) gives the median
throughput, whose inverse is the latency; an energy result gives the median µJ per inference.
System descriptions are read leniently: some repeat keys with empty values, some are not
valid JSON, some nest the libraries in objects.
"""
from __future__ import annotations

import csv
import logging
import re
import statistics
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .families import core_family_of_text, parse_runtime

log = logging.getLogger(__name__)

BENCHMARKS = {"ad": "ad", "anomaly_detection": "ad", "ic": "ic", "image_classification": "ic",
              "kws": "kws", "keyword_spotting": "kws", "vww": "vww", "visual_wake_words": "vww"}
ROUNDS = ("v0.5", "v0.7", "v1.0", "v1.1")

_MEDIAN_THROUGHPUT = re.compile(r"Median throughput is\s+([\d.]+)\s+inf\./sec")
_MEDIAN_ENERGY = re.compile(r"Median energy cost is\s+([\d.]+)\s+uJ/inf")
_RUNNER_ERROR = re.compile(r"\be-\[(.*?)\]")
_INFER_START = re.compile(r"m-infer-start-(\d+)")
_LAP = re.compile(r"m-lap-us-(\d+)")
_CLOCK = re.compile(r"([\d.]+)\s*(GHz|MHz|kHz)", re.I)
_VERSION = re.compile(r"\bv?(\d+\.\d+(?:\.\d+)?)\b")


@dataclass
class Row:
    round: str
    division: str
    submitter: str
    system: str
    board: str
    soc: str
    processor: str
    core_family: str
    clock_hz: int
    framework: str
    runtime_family: str
    runtime_version: str
    benchmark: str
    latency_ms: float
    energy_uj: str  # empty when the system published no energy result for the benchmark
    runner_warning: str
    source_repo: str
    source_path: str
    source_commit: str
    system_path: str


COLUMNS = [f.name for f in fields(Row)]


def _field(text: str, key: str) -> str:
    """The first non-empty string value of `key` (duplicated keys and broken JSON occur)."""
    for match in re.finditer(rf'"{re.escape(key)}\s*"\s*:\s*"([^"]*)"', text):
        if match.group(1).strip():
            return match.group(1).strip()
    block = re.search(rf'"{re.escape(key)}\s*"\s*:\s*\{{(.*?)\}}\s*\}}', text, re.S)
    if block:  # {"TVM": {...}, "CMSIS_NN": {...}}: the library names are what counts
        return ", ".join(re.findall(r'"([^"]+)"\s*:\s*\{', block.group(0)))
    return ""


def _commit(text: str) -> str:
    """Mirrors made with the search tool record the commit in a first line; a clone has none."""
    match = re.search(r'(?:^#commit |"_commit":\s*")([0-9a-f]{40})', text)
    return match.group(1) if match else ""


def clock_hz(text: str) -> int:
    match = _CLOCK.search(text)
    if not match:
        return 0
    scale = {"ghz": 1e9, "mhz": 1e6, "khz": 1e3}[match.group(2).lower()]
    return int(round(float(match.group(1)) * scale))


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def latency_ms(text: str) -> float | None:
    """From a results file's median throughput, or a runner log's lap timestamps."""
    match = _MEDIAN_THROUGHPUT.search(text)
    if match:
        return 1000.0 / float(match.group(1))
    windows, count, laps = [], None, []
    for line in text.splitlines():
        start = _INFER_START.search(line)
        if start:
            count, laps = int(start.group(1)), []
            continue
        lap = _LAP.search(line)
        if lap and count:
            laps.append(int(lap.group(1)))
            if len(laps) == 2:
                windows.append((laps[1] - laps[0]) / 1000.0 / count)
                count = None
    return statistics.median(windows) if windows else None


def _result_file(folder: Path) -> Path | None:
    for pattern in ("*results.txt", "*log.txt"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def _runtime_family(framework: str, libraries: str, system: str) -> str:
    family = parse_runtime(" ".join((framework, libraries, system)))
    # A system description that names TFLM and no optimised library ran the reference kernels.
    return "tflm-reference" if family == "tflm" else family


def extract_system(repo_root: Path, repo: str, round_: str, system_json: Path) -> list[Row]:
    text = system_json.read_text(errors="replace")
    submitter_dir = system_json.parents[1] if system_json.parent.name == "systems" \
        else system_json.parents[2]
    results_root = submitter_dir / "results"
    wanted = _key(system_json.stem).replace("systemdescription", "")
    folders = [p for p in results_root.iterdir() if p.is_dir()] if results_root.is_dir() else []
    # Results sit under results/<system>/ or results/<variant>/<system>/; names differ from
    # the JSON's in case and punctuation, and one submitter renamed its folders mid-round.
    candidates = [p for p in folders if _key(p.name) == wanted]
    candidates += [q for p in folders for q in p.iterdir() if q.is_dir()
                   and _key(p.name) in wanted and _key(q.name) in wanted
                   and not BENCHMARKS.get(q.name)]
    processor, framework = _field(text, "Processor(s) Name"), _field(text, "Inference Framework")
    libraries = _field(text, "Software Libraries")
    rows = []
    for folder in candidates:
        for bench_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            benchmark = BENCHMARKS.get(bench_dir.name)
            if benchmark is None:
                continue
            perf = _result_file(bench_dir / "performance")
            if perf is None:
                continue
            perf_text = perf.read_text(errors="replace")
            latency = latency_ms(perf_text)
            if latency is None:
                log.warning("no latency in %s", perf)
                continue
            energy = ""
            energy_dir = bench_dir / "energy"
            energy_file = _result_file(energy_dir) if energy_dir.is_dir() else None
            if energy_file is not None:
                found = _MEDIAN_ENERGY.search(energy_file.read_text(errors="replace"))
                energy = f"{float(found.group(1)):.3f}" if found else ""
            warning = _RUNNER_ERROR.search(perf_text)
            version = _VERSION.search(framework)
            rows.append(Row(
                round=round_, division=_field(text, "Division").lower() or "closed",
                submitter=_field(text, "Submitter") or submitter_dir.name,
                system=system_json.stem, board=_field(text, "Board Name"),
                soc=_field(text, "SoC Name"), processor=processor,
                core_family=core_family_of_text(processor) or "",
                clock_hz=clock_hz(_field(text, "Processor(s) Frequencies")),
                framework=framework,
                runtime_family=_runtime_family(framework, libraries, system_json.stem),
                runtime_version=version.group(1) if version else "",
                benchmark=benchmark, latency_ms=round(latency, 4), energy_uj=energy,
                runner_warning=warning.group(1) if warning else "",
                source_repo=repo, source_path=str(perf.relative_to(repo_root / repo)),
                source_commit=_commit(perf_text),
                system_path=str(system_json.relative_to(repo_root / repo))))
    return rows


def extract(root: Path, rounds=ROUNDS) -> list[Row]:
    rows: list[Row] = []
    for round_ in rounds:
        repo = f"mlcommons/tiny_results_{round_}"
        base = root / repo / "closed"
        if not base.is_dir():
            log.warning("no clone at %s", base)
            continue
        for system_json in sorted(base.glob("*/systems/**/*.json")):
            rows.extend(extract_system(root, repo, round_, system_json))
    return rows


def write_csv(rows: list[Row], out) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write(__doc__)
        return 2
    rounds = tuple(args[1].split(",")) if len(args) > 1 else ROUNDS
    write_csv(extract(Path(args[0]), rounds), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
