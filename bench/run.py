"""Run the benchmark of "Fast rebuilds after corrections" and write build/bench/report.{json,md}.

    python -m bench.run [--sizes 10,100] [--reps 3] [--large] [--seed 0] [--out build/bench] [--keep]

For each size N a synthetic corpus is generated in a temporary folder (bench/corpus.py); then each of these
runs in a fresh process, timed (wall clock) and measured (peak RSS), `--reps` times, and the medians are
compared with the baseline:

- baseline   the naive one-pass WeasyPrint PDF (bench/baseline.py);
- full       `coopbook build --format pdf --format epub` into a clean output folder;
- one-word   the same command again, into the same folder, after `correct_one_word` (only the rebuild is timed);
- page-shift the same command again after `add_paragraph` lengthens the middle interview by at least one page
             (the page count must grow, else the run counts as failed);
- epub       `coopbook build --format epub` into a clean output folder;
- watch      one-word corrections saved while `coopbook watch` runs: from the save to the new PDF's rename.

Every new process also gives its CPU time (getrusage of the children: the process and its workers), so the
busy cores of a run are CPU seconds / wall seconds. `--large` adds N = 1,000 (one repetition; full build, one-word
and page-shifting rebuilds, no baseline) for the target "N = 1,000 completes with all processes < 1 GiB".
"""

from __future__ import annotations

import argparse
import ctypes.util
import datetime as dt
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .corpus import Corpus, add_paragraph, correct_one_word, make_corpus
from .live import watch_rebuilds

REPO = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
LARGE_N = 1000
LARGE_RSS_LIMIT_MIB = 1024
TARGET_FULL = 0.40
TARGET_CORES = 1.7
TARGET_ONE_WORD = 0.05
TARGET_PAGE_SHIFT = 0.08
TARGET_WATCH_S = 1.0
TARGET_RSS = 0.5
TARGET_N = 100  # the size the targets are set for (they are checked at every size with a baseline)
WATCH_TIMEOUT_S = 600.0
MEASURES = ("baseline", "full", "one_word", "page_shift", "epub", "watch")
NEW_PROCESS = ("full", "one_word", "page_shift", "epub")  # coopbook commands run in a fresh process
LABELS = {"baseline": "baseline one-pass PDF", "full": "coopbook full build (PDF + EPUB)",
          "one_word": "one-word correction rebuild", "page_shift": "page-shifting correction rebuild",
          "epub": "coopbook EPUB only", "watch": "one-word correction inside `coopbook watch` (PDF)"}
PACKAGES = ("coopbook", "weasyprint", "pydyf", "fonttools", "ebooklib", "pypdf", "pikepdf", "markdown-it-py",
            "jinja2", "pycountry")


# ---- measuring one process -------------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return 0


def tree_rss_kib(root: int) -> int:
    """The resident memory of a process and all its descendants now (Linux /proc; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return 0
    for name in entries:
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat.rpartition(b")")[2].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(name))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kib(pid)
        stack.extend(children.get(pid, ()))
    return total


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every interval (catches worker processes running at once)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.pid))


@dataclass(frozen=True)
class Sample:
    """One measured process: wall time, peak RSS (getrusage of the child, and the sampled process tree)."""

    wall_s: float
    maxrss_mib: float
    tree_peak_mib: float
    returncode: int
    load_1min: float | None = None
    pages: int | None = None
    phases: dict[str, float] | None = None
    error: str | None = None
    cpu_s: float | None = None

    @property
    def peak_rss_mib(self) -> float:
        """Peak RSS: the larger of the child's ru_maxrss and the sampled sum over its process tree."""
        return max(self.maxrss_mib, self.tree_peak_mib)

    @property
    def ok(self) -> bool:
        """The run exited 0 and its checks held (e.g. the page count grew)."""
        return self.returncode == 0 and self.error is None

    @property
    def cores(self) -> float | None:
        """The average number of busy cores: CPU seconds of the process tree / wall seconds."""
        return round(self.cpu_s / self.wall_s, 2) if self.cpu_s is not None and self.wall_s > 0 else None


def measure(cmd: Sequence[str], log_stem: Path, timeout: float | None = None) -> tuple[Sample, str]:
    """Run cmd in a fresh process from the repository root; return its Sample and its stdout."""
    out_path, err_path = log_stem.with_suffix(".out"), log_stem.with_suffix(".err")
    load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    with out_path.open("wb") as out, err_path.open("wb") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=REPO, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        sampler.done.set()
        if timer:
            timer.cancel()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text("utf-8", "replace")
    error = None
    if proc.returncode != 0:
        tail = err_path.read_text("utf-8", "replace").strip().splitlines()[-5:]
        error = f"exit {proc.returncode}: " + " | ".join(tail)
    maxrss_kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sample = Sample(round(wall, 3), round(maxrss_kib / 1024, 1), round(sampler.peak_kib / 1024, 1),
                    proc.returncode, load, error=error, cpu_s=round(cpu, 3))
    return sample, stdout


def _pdf_pages(out: Path) -> int | None:
    """The page count of the screen PDF coopbook wrote into out (read after the measurement)."""
    pdfs = sorted(p for p in out.glob("*.pdf") if not p.name.endswith("-print.pdf"))
    if not pdfs:
        return None
    try:
        return len(PdfReader(pdfs[0]).pages)
    except (OSError, PdfReadError):
        return None


# ---- one size ------------------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Everything measured for one corpus size."""

    n: int
    corpus: dict[str, object]
    samples: dict[str, list[Sample]] = field(default_factory=dict)


def coopbook_cmd(corpus: Path, out: Path, *formats: str) -> list[str]:
    """The coopbook build command line for these formats."""
    cmd = [sys.executable, "-m", "coopbook", "--content", str(corpus), "--out", str(out), "build"]
    for fmt in formats:
        cmd += ["--format", fmt]
    return cmd


def run_size(n: int, reps: int, seed: int, work: Path, measures: Sequence[str], timeout: float | None,
             log: bool = True) -> SizeResult:
    """Generate a corpus of n interviews in work/ and measure each of measures reps times."""
    started = time.perf_counter()
    corpus: Corpus = make_corpus(work / f"content-{n}", n, seed)
    generated = time.perf_counter() - started
    result = SizeResult(n, {"interviews": n, "seed": seed, "words": corpus.words, "terms": len(corpus.terms),
                            "term_mentions": sum(t.planned for t in corpus.terms),
                            "countries": len(corpus.countries),
                            "country_mentions": sum(t.planned for t in corpus.countries),
                            "generate_s": round(generated, 2)},
                        {m: [] for m in measures})
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    corrected = n // 2

    def note(name: str, rep: int, sample: Sample) -> None:
        result.samples[name].append(sample)
        if log:
            status = "ok" if sample.ok else f"FAILED ({sample.error})"
            print(f"  N={n} rep {rep + 1}/{reps} {name:10} {sample.wall_s:8.2f} s  {sample.peak_rss_mib:7.1f} MiB"
                  f"  {_fmt(sample.cores)} cores  {status}", file=sys.stderr, flush=True)

    for rep in range(reps):
        tag = f"{n}-{rep}"
        if "baseline" in measures:
            pdf = work / f"baseline-{tag}.pdf"
            sample, stdout = measure([sys.executable, "-m", "bench.baseline", "--content", str(corpus.root),
                                      "--out", str(pdf)], logs / f"baseline-{tag}", timeout)
            if sample.returncode == 0:
                facts = json.loads(stdout.strip().splitlines()[-1])
                sample = Sample(**{**asdict(sample), "pages": facts["pages"], "phases": facts["phases"]})
            note("baseline", rep, sample)
            pdf.unlink(missing_ok=True)
        if "full" in measures or "one_word" in measures:
            out = work / f"out-{tag}"
            cmd = coopbook_cmd(corpus.root, out, "pdf", "epub")
            sample, _ = measure(cmd, logs / f"full-{tag}", timeout)
            sample = Sample(**{**asdict(sample), "pages": _pdf_pages(out)})
            if "full" in measures:
                note("full", rep, sample)
            if "one_word" in measures:
                correct_one_word(corpus, corrected)
                sample, _ = measure(cmd, logs / f"one-word-{tag}", timeout)
                note("one_word", rep, Sample(**{**asdict(sample), "pages": _pdf_pages(out)}))
            if "page_shift" in measures:
                note("page_shift", rep, page_shift(corpus, corrected, cmd, out, logs / f"page-shift-{tag}", timeout))
            shutil.rmtree(out, ignore_errors=True)
        if "epub" in measures:
            out = work / f"epub-{tag}"
            sample, _ = measure(coopbook_cmd(corpus.root, out, "epub"), logs / f"epub-{tag}", timeout)
            note("epub", rep, sample)
            shutil.rmtree(out, ignore_errors=True)
    if "watch" in measures:
        for rep, sample in enumerate(watch_samples(corpus, corrected, work / f"watch-{n}", reps, logs, timeout)):
            note("watch", rep, sample)
    return result


def page_shift(corpus: Corpus, index: int, cmd: Sequence[str], out: Path, log_stem: Path,
               timeout: float | None) -> Sample:
    """Rebuild into out after a paragraph lengthens interview index; fail unless the page count grew.

    The interview's file is put back afterwards, so the next repetition starts from the same corpus.
    """
    before = _pdf_pages(out)
    path = corpus.interview_path(index)
    original = path.read_bytes()
    add_paragraph(corpus, index)
    try:
        sample, _ = measure(cmd, log_stem, timeout)
    finally:
        path.write_bytes(original)
    after = _pdf_pages(out)
    sample = Sample(**{**asdict(sample), "pages": after})
    if sample.ok and (before is None or after is None or after <= before):
        sample = Sample(**{**asdict(sample), "error": f"the page count did not grow ({before} -> {after})"})
    return sample


def watch_samples(corpus: Corpus, index: int, out: Path, reps: int, logs: Path,
                  timeout: float | None) -> list[Sample]:
    """Start `coopbook watch` (its default format, the screen PDF), then time reps one-word corrections in it."""
    cmd = [sys.executable, "-m", "coopbook", "--content", str(corpus.root), "--out", str(out), "watch"]
    runs, error = watch_rebuilds(cmd, REPO, corpus, index, out, reps, logs / "watch.log", timeout or WATCH_TIMEOUT_S,
                                 TreeSampler)
    samples = [Sample(float(r["wall_s"]), round(int(r["maxrss_kib"]) / 1024, 1),  # type: ignore[call-overload]
                      round(int(r["tree_peak_kib"]) / 1024, 1), 0, r["load_1min"],  # type: ignore[call-overload]
                      pages=_pdf_pages(out)) for r in runs]
    samples += [Sample(0.0, 0.0, 0.0, 1, error=error or "no rebuild") for _ in range(reps - len(runs))]
    shutil.rmtree(out, ignore_errors=True)
    return samples


# ---- summary, targets and report -----------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 3) if value is not None and base else None


def summarise(result: SizeResult) -> dict[str, object]:
    """Medians (of successful runs), raw samples and ratios to the baseline for one size."""
    measures: dict[str, dict[str, object]] = {}
    for name, samples in result.samples.items():
        good = [s for s in samples if s.ok]
        measures[name] = {
            "label": LABELS[name],
            "runs": len(samples),
            "failed": len(samples) - len(good),
            "errors": [s.error for s in samples if s.error],
            "wall_s": _median([s.wall_s for s in good]),
            "peak_rss_mib": _median([s.peak_rss_mib for s in good]),
            "largest_rss_mib": _median([s.maxrss_mib for s in good]),
            "cores": _median([s.cores for s in good if s.cores is not None]),
            "pages": good[0].pages if good else None,
            "samples": [{**asdict(s), "peak_rss_mib": s.peak_rss_mib, "cores": s.cores} for s in samples],
        }
    base = measures.get("baseline", {})
    for name, entry in measures.items():
        entry["wall_ratio"] = _ratio(entry["wall_s"], base.get("wall_s"))  # type: ignore[arg-type]
        entry["rss_ratio"] = _ratio(entry["peak_rss_mib"], base.get("peak_rss_mib"))  # type: ignore[arg-type]
        entry["largest_rss_ratio"] = _ratio(entry["largest_rss_mib"],  # type: ignore[arg-type]
                                            base.get("largest_rss_mib"))
        if name == "baseline" and entry["runs"]:
            phases = [s.phases for s in result.samples[name] if s.phases]
            entry["phases_s"] = {k: _median([p[k] for p in phases]) for k in phases[0]} if phases else None
    return {"n": result.n, "corpus": result.corpus, "measures": measures}


def _check(text: str, n: object, measure: str | None, value: object, limit: float, *, unit: str = "×",
           at_least: bool = False) -> dict[str, object]:
    """One target's row: met (True/False), or None when the value could not be measured."""
    met = None if not isinstance(value, int | float) else (value >= limit if at_least else value <= limit)
    return {"target": text, "n": n, "measure": measure, "value": value, "limit": limit, "unit": unit, "met": met}


def targets(sizes: Sequence[dict[str, object]], large_n: int | None = None) -> list[dict[str, object]]:
    """The issue's targets, each evaluated per size: met (True/False) or None when it could not be measured."""
    found: list[dict[str, object]] = []
    for size in sizes:
        n, measures = size["n"], size["measures"]
        assert isinstance(measures, dict)

        def value(name: str, key: str) -> object:
            return measures.get(name, {}).get(key)  # noqa: B023 - used within this iteration only

        if "baseline" in measures:
            found += [
                _check(f"full build wall time ≤ {TARGET_FULL} × baseline", n, "full", value("full", "wall_ratio"),
                       TARGET_FULL),
                _check(f"full build keeps ≥ {TARGET_CORES} cores busy (CPU time / wall time)", n, "full",
                       value("full", "cores"), TARGET_CORES, unit=" cores", at_least=True),
                _check(f"one-word correction, new process ≤ {TARGET_ONE_WORD} × baseline", n, "one_word",
                       value("one_word", "wall_ratio"), TARGET_ONE_WORD),
                _check(f"page-shifting correction, new process ≤ {TARGET_PAGE_SHIFT} × baseline", n, "page_shift",
                       value("page_shift", "wall_ratio"), TARGET_PAGE_SHIFT),
            ]
            coop = [(m["largest_rss_ratio"], name) for name, m in measures.items()
                    if name in NEW_PROCESS and m.get("largest_rss_ratio") is not None]
            worst = max(coop) if coop else (None, None)
            found.append(_check(f"peak RSS of the largest process ≤ {TARGET_RSS} × baseline (worst coopbook command)",
                                n, worst[1], worst[0], TARGET_RSS))
        if "watch" in measures:
            found.append(_check(f"one-word correction inside `coopbook watch` ≤ {TARGET_WATCH_S} s (save → PDF)", n,
                                "watch", value("watch", "wall_s"), TARGET_WATCH_S, unit=" s"))
        if n == large_n:
            full = measures.get("full", {})
            rss = full.get("peak_rss_mib")
            completed = bool(full.get("runs")) and not full.get("failed")
            row = _check(f"N = {n:,} full build completes with all processes together < 1 GiB", n, "full", rss,
                         LARGE_RSS_LIMIT_MIB, unit=" MiB")
            row["met"] = completed and rss is not None and rss < LARGE_RSS_LIMIT_MIB
            found.append(row)
    return found


def machine() -> dict[str, object]:
    """Where the figures were measured."""
    info: dict[str, object] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                               "python": platform.python_version(), "executable": sys.executable}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_mib"] = int(line.split()[1]) // 1024
                break
    except OSError:
        pass
    info["harfbuzz_subset"] = ctypes.util.find_library("harfbuzz-subset") is not None
    return info


def versions() -> dict[str, str | None]:
    """Installed versions of the packages that matter, and the repository's commit."""
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "coopbook", "templates"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
        found["git"] = commit + (" (coopbook/ or templates/ modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        found["git"] = None
    return found


def _fmt(value: object, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"


def markdown(report: dict[str, object]) -> str:
    """The report as Markdown: one table of medians and ratios, one of targets."""
    lines = ["# coopbook benchmark: fast rebuilds after corrections", ""]
    settings = report["settings"]
    mach = report["machine"]
    assert isinstance(settings, dict) and isinstance(mach, dict)
    lines.append(f"{mach.get('cpu', '?')}, {mach.get('cpus')} CPUs, Python {mach.get('python')}, "
                 f"{report['generated']}; {settings['reps']} repetition(s), medians; seed {settings['seed']}.")
    startup = report.get("startup")
    if isinstance(startup, dict):
        lines.append(f"Process start-up floor (`{startup['command']}`, imports only): {_fmt(startup['wall_s'])} s, "
                     f"{_fmt(startup['peak_rss_mib'], 0)} MiB.")
    lines += ["", "| N | measure | wall (s) | × baseline | busy cores | largest process RSS (MiB) | × baseline "
                  "| all processes RSS (MiB) | × baseline | pages | runs |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size in report["sizes"]:  # type: ignore[attr-defined]
        for name in MEASURES:
            m = size["measures"].get(name)
            if m is None:
                continue
            runs = f"{m['runs'] - m['failed']}/{m['runs']}"
            lines.append(f"| {size['n']} | {m['label']} | {_fmt(m['wall_s'])} | {_fmt(m['wall_ratio'], 2, '×')} | "
                         f"{_fmt(m.get('cores'))} | {_fmt(m['largest_rss_mib'], 0)} | "
                         f"{_fmt(m['largest_rss_ratio'], 2, '×')} | "
                         f"{_fmt(m['peak_rss_mib'], 0)} | {_fmt(m['rss_ratio'], 2, '×')} | {_fmt(m['pages'])} | "
                         f"{runs} |")
    lines += ["", f"Targets (set for N = {TARGET_N}; checked at every size that has the measure):", "",
              "| target | N | measured | limit | met |", "|---|---:|---:|---:|---|"]
    for target in report["targets"]:  # type: ignore[attr-defined]
        unit = str(target.get("unit", "×"))
        met = {True: "**met**", False: "**not met**", None: "not measured"}[target["met"]]
        lines.append(f"| {target['target']} | {target['n']} | {_fmt(target['value'], 2, unit)} | "
                     f"{_fmt(target['limit'], 2, unit)} | {met} |")
    failures = [f"N={s['n']} {name}: {err}" for s in report["sizes"]  # type: ignore[attr-defined]
                for name, m in s["measures"].items() for err in m["errors"]]
    if failures:
        lines += ["", "Failed runs:", ""] + [f"- {f}" for f in failures]
    lines.append("")
    return "\n".join(lines)


def write_report(report: dict[str, object], out: Path) -> tuple[Path, Path]:
    """Write report.json and report.md into out (atomically), the latest run's, and the same two files under
    out/runs/, named by the run's time and sizes, which the next run does not overwrite (a `--large` run and the
    usual one are both kept)."""
    texts = json.dumps(report, indent=2, ensure_ascii=False) + "\n", markdown(report)
    settings = report["settings"]
    assert isinstance(settings, dict)
    stamp = str(report["generated"]).replace(":", "").replace("-", "")
    name = f"{stamp}-n{'-'.join(str(n) for n in settings['sizes'])}"
    paths = out / "report.json", out / "report.md"
    for folder, names in ((out, paths), (out / "runs", (out / "runs" / f"{name}.json", out / "runs" / f"{name}.md"))):
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in zip(names, texts, strict=True):
            temp = path.with_suffix(path.suffix + ".tmp")
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, path)
    return paths


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100", help="corpus sizes N, comma-separated (default 10,100)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per measure; medians are reported")
    parser.add_argument("--large", action="store_true", help=f"also N = {LARGE_N:,} (1 rep, no baseline)")
    parser.add_argument("--large-n", type=int, default=LARGE_N, help=argparse.SUPPRESS)  # to try --large quickly
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--out", type=Path, default=Path("build/bench"), help="where report.json/.md go")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpora, outputs and logs")
    parser.add_argument("--timeout", type=float, default=None, help="kill a run after this many seconds")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, e.g. 10,100")
    if any(n < 1 for n in args.sizes) or args.reps < 1:
        parser.error("sizes and --reps must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, write the reports, print the table."""
    args = parse_args(argv)
    plan = [(n, args.reps, MEASURES) for n in args.sizes]
    if args.large and args.large_n not in args.sizes:
        plan.append((args.large_n, 1, ("full", "one_word", "page_shift")))
    work = Path(tempfile.mkdtemp(prefix="coopbook-bench-"))
    print(f"coopbook benchmark: sizes {[p[0] for p in plan]}, work folder {work}", file=sys.stderr, flush=True)
    # Warm the OS file cache and fontconfig once, outside any measurement.
    subprocess.run([sys.executable, "-c", "import weasyprint, coopbook.pipeline"], cwd=REPO, check=False)
    sizes = []
    started = time.perf_counter()
    try:
        startup = [measure([sys.executable, "-m", "coopbook", "--version"], work / f"startup-{rep}")[0]
                   for rep in range(args.reps)]
        for n, reps, measures in plan:
            sizes.append(summarise(run_size(n, reps, args.seed, work, measures, args.timeout)))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    report: dict[str, object] = {
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "total_s": round(time.perf_counter() - started, 1),
        "machine": machine(),
        "versions": versions(),
        "settings": {"sizes": [p[0] for p in plan], "reps": args.reps, "seed": args.seed, "large": args.large,
                     "large_n": args.large_n if args.large else None},
        "method": ("Each measure runs in a fresh process. wall_s: wall-clock seconds from start to exit, Python "
                   "start-up and imports included. peak_rss_mib: the larger of the child's ru_maxrss (os.wait4) "
                   "and the summed RSS of its process tree sampled every 0.1 s. load_1min: the machine's 1-minute "
                   "load average when the run started (other work on the machine makes wall times noisy). "
                   "Medians over successful runs; ratios are coopbook / baseline."),
        "startup": {"command": "python -m coopbook --version",
                    "wall_s": _median([s.wall_s for s in startup]),
                    "peak_rss_mib": _median([s.peak_rss_mib for s in startup]),
                    "samples": [asdict(s) for s in startup]},
        "sizes": sizes,
        "targets": targets(sizes, args.large_n if args.large else None),
    }
    json_path, md_path = write_report(report, args.out)
    print(markdown(report))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    failed = any(m["failed"] for s in sizes for m in s["measures"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
