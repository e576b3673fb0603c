"""Run every benchmark; regenerate BENCHMARKS.md and benchmarks/results.json from the results.

Run: .venv/bin/python benchmarks/run_all.py [--only AREA[,AREA]] [--skip AREA] [--from-existing]
(`make bench` runs it with no options).

Every ``benchmarks/bench_<area>.py`` runs in its own process, with the venv's python and
``HF_HUB_OFFLINE=1``, from the repository root; each writes ``benchmarks/out/<area>.json``
(``{figure: {"value", "unit", "target", "baseline", ...}}``). A failing benchmark is reported
and the others still run; the exit status is 1 if any failed. For each run this script keeps a
record in ``benchmarks/out/runs/<area>.json`` (command, start, wall time, load average before
and after, the machine, the outcome) and the run's output in ``benchmarks/out/runs/<area>.log``.

The documents are then rebuilt from every area's latest results, run now or before:
``benchmarks/results.json`` as ``{area: {figure: {"value", "unit", "target", "baseline",
"date"}}}`` and BENCHMARKS.md, a table per area followed by ``benchmarks/notes/<area>.md``
(whose first ``# heading`` is the area's title; ``notes/_intro.md`` goes under the header).
An area with no raw results keeps the figures the committed results.json has for it.
``--from-existing`` runs nothing and only rebuilds the documents.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

BENCH_DIR = Path(__file__).resolve().parent
# Display order; areas not listed follow in alphabetical order.
AREA_ORDER = ("ingest", "imap", "gmail", "index", "rosa", "training", "native", "extension")
FIGURE_KEYS = ("value", "unit", "target", "baseline")
SIGNIFICANT = 4
INTRO_NOTES = "_intro"
DEFAULT_TIMEOUT_S = 3600
NEEDS_CUDA_MARK = "torch.cuda.is_available()"

Figures = dict[str, dict[str, Any]]

# ---------------------------------------------------------------------------------------------
# Targets and number formatting


_COMPARISON = re.compile(
    r"^\s*(<=|>=|==|=|<|>|≤|≥)\s*([-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)(?![\d.,kKMGT])"
)
_BARE_NUMBER = re.compile(r"^\s*[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?\s*$")
_OPERATORS = {"≤": "<=", "≥": ">=", "=": "=="}


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_rate(unit: object) -> bool:
    """Units like "messages/s": more is better, so a bare-number target is a floor."""
    return isinstance(unit, str) and ("/s" in unit or " per s" in unit)


def parse_target(target: object, unit: object = None) -> tuple[str, float] | None:
    """``(operator, bound)`` of a target, or None when it is not a comparison.

    Strings start with a comparison (">= 0.98", "< 20 (far fewer)", "≤ 1"); a bare number is a
    ceiling ("<="), or a floor (">=") when the unit is a rate. Anything else is prose.
    """
    if is_number(target):
        bound = float(target)  # type: ignore[arg-type]
        return (">=" if is_rate(unit) else "<=", bound) if math.isfinite(bound) else None
    if not isinstance(target, str):
        return None
    if _BARE_NUMBER.match(target):
        return parse_target(float(target.replace(",", "")), unit)
    match = _COMPARISON.match(target)
    if match is None:
        return None
    op = _OPERATORS.get(match.group(1), match.group(1))
    return op, float(match.group(2).replace(",", ""))


def target_met(value: object, target: object, unit: object = None) -> bool | None:
    """Whether ``value`` meets ``target``; None when either is not a number or a comparison."""
    parsed = parse_target(target, unit)
    if parsed is None or not is_number(value):
        return None
    op, bound = parsed
    x = float(value)  # type: ignore[arg-type]
    if math.isnan(x):
        return False
    return {
        "<=": x <= bound,
        ">=": x >= bound,
        "<": x < bound,
        ">": x > bound,
        "==": x == bound,
    }[op]


def fmt_number(x: float) -> str:
    """Integers in full with thousands separators; other numbers to 4 significant digits
    (never fewer than the integer part), trailing zeros dropped, no exponent."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    decimals = max(0, SIGNIFICANT - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def short_unit(unit: object) -> str:
    """The unit without its explanation: "ms (median of 30; ...)" -> "ms"."""
    return unit.split(" (")[0].strip() if isinstance(unit, str) else ""


def with_unit(number: str, unit: str) -> str:
    if not unit or unit == "fraction":
        return number
    if unit == "x":
        return number + "x"
    return f"{number} {unit}"


def render_value(value: object, nested: bool = False) -> str:
    """Any JSON value, compactly: numbers formatted, dicts as "key: value, ..."."""
    if value is None:
        return "–"
    if is_number(value) or isinstance(value, bool):
        return fmt_number(value)  # type: ignore[arg-type]
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {render_value(v, True)}" for k, v in value.items())
        return f"({text})" if nested else text
    if isinstance(value, list):
        return "[" + "; ".join(render_value(v, True) for v in value) + "]"
    return str(value)


def render_quantity(value: object, unit: object, full_unit: bool = True) -> str:
    """A measured value or a baseline with its unit ("1.47 ms"); other values as they are."""
    if is_number(value):
        text_unit = (unit if isinstance(unit, str) else "") if full_unit else short_unit(unit)
        return with_unit(fmt_number(value), text_unit)  # type: ignore[arg-type]
    return render_value(value)


def render_target(target: object, unit: object) -> str:
    if target is None:
        return "–"
    if is_number(target):
        parsed = parse_target(target, unit)
        number = with_unit(fmt_number(target), short_unit(unit))  # type: ignore[arg-type]
        return f"{parsed[0]} {number}" if parsed else number
    return render_value(target)


def cell(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


# ---------------------------------------------------------------------------------------------
# The machine


@dataclass
class Machine:
    cpu: str
    arch: str
    cores: int
    usable_cores: int
    ram_gib: float | None
    python: str | None = None
    torch: str | None = None
    gpus: list[str] | None = None  # None: not known (torch missing or the probe failed)

    def describe(self) -> str:
        cores = f"{self.cores} cores"
        if self.usable_cores and self.usable_cores != self.cores:
            cores += f" ({self.usable_cores} usable)"
        parts = [f"{self.cpu} ({self.arch})", cores]
        parts.append(f"{fmt_number(self.ram_gib)} GiB RAM" if self.ram_gib else "RAM unknown")
        if self.gpus is None:
            parts.append("GPU not checked (torch not importable)")
        elif self.gpus:
            parts.append("CUDA: " + ", ".join(self.gpus))
        else:
            parts.append("no CUDA GPU visible to torch")
        if self.python:
            parts.append(f"Python {self.python}")
        if self.torch:
            parts.append(f"torch {self.torch}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Machine:
        known: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        return cls(**known)


_PROBE = """
import json, platform
info = {"python": platform.python_version(), "torch": None, "gpus": None}
try:
    import torch
except Exception:
    pass
else:
    info["torch"] = torch.__version__
    try:
        info["gpus"] = [
            "%s (%.0f GiB)" % (torch.cuda.get_device_name(i),
                               torch.cuda.get_device_properties(i).total_memory / 2**30)
            for i in range(torch.cuda.device_count())
        ] if torch.cuda.is_available() else []
    except Exception:
        info["gpus"] = None
print(json.dumps(info))
"""


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        text = ""
    for key in ("model name", "Hardware", "cpu model", "Processor"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", text, re.MULTILINE)
        if match and match.group(1).strip():
            return match.group(1).strip()
    return platform.processor() or "unknown CPU"


def _ram_gib() -> float | None:
    try:
        match = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    except OSError:
        match = None
    if match:
        return round(int(match.group(1)) / 2**20, 1)
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        return None


def describe_machine(python: Path) -> Machine:
    """This machine, as the benchmarks see it: torch and CUDA are asked of ``python``."""
    cores = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = cores
    machine = Machine(_cpu_model(), platform.machine(), cores, usable, _ram_gib())
    try:
        done = subprocess.run(
            [str(python), "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        info = json.loads(done.stdout.strip().splitlines()[-1])
        machine.python, machine.torch, machine.gpus = info["python"], info["torch"], info["gpus"]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError, KeyError):
        pass
    return machine


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class RunRecord:
    area: str
    command: str
    started: str  # ISO 8601, local time with offset
    started_epoch: float
    wall_s: float
    load_before: list[float]
    load_after: list[float]
    machine: dict[str, Any]
    returncode: int | None
    ok: bool
    error: str | None = None
    result_mtime_ns: int | None = None  # the results file this run wrote

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord | None:
        """The record, or None when it is not one (hand-edited, an older layout)."""
        known: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        ok = isinstance(known["started"], str) and isinstance(known["started_epoch"], float | int)
        ok = ok and isinstance(known["machine"], dict) and isinstance(known["load_before"], list)
        return cls(**known) if ok and isinstance(known["load_after"], list) else None


def discover(bench_dir: Path) -> dict[str, Path]:
    """``{area: script}`` for every ``bench_<area>.py``."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(bench_dir.glob("bench_*.py"))}


def ordered(areas: Iterable[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(AREA_ORDER)}
    return sorted(set(areas), key=lambda a: (rank.get(a, len(rank)), a))


def validate_figures(data: object) -> Figures:
    """The figures of one results file; keys starting with "_" are run metadata, skipped."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object of figures")
    figures = {k: v for k, v in data.items() if not str(k).startswith("_")}
    if not figures:
        raise ValueError("expected a non-empty JSON object of figures")
    for name, figure in figures.items():
        if not isinstance(figure, dict) or "value" not in figure:
            raise ValueError(f"figure {name!r} has no value")
    return figures


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def display_path(path: Path, root: Path) -> str:
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return str(absolute.relative_to(root))
    except ValueError:
        return str(path)


def _pump(stream: IO[str], sinks: list[IO[str]], lock: threading.Lock, tail: deque[str]) -> None:
    for line in stream:
        tail.append(line.rstrip("\n"))
        with lock:
            for sink in sinks:
                sink.write(line)
                sink.flush()


def failure_reason(tail: Iterable[str], limit: int = 400) -> str:
    lines = [line.strip() for line in tail if line.strip()]
    text = " / ".join(lines[-3:])
    return text if len(text) <= limit else "..." + text[-limit:]


def run_one(
    area: str,
    script: Path,
    python: Path,
    bench_dir: Path,
    machine: Machine,
    timeout_s: float | None,
    echo: IO[str] | None = None,
) -> RunRecord:
    """Run one benchmark script to completion and say how it went (the record is saved)."""
    root = bench_dir.parent
    out_file = bench_dir / "out" / f"{area}.json"
    runs = bench_dir / "out" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    before = _mtime_ns(out_file)
    cmd = [str(python), str(script)]
    shown = "HF_HUB_OFFLINE=1 " + shlex.join(display_path(Path(c), root) for c in cmd)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    load_before = list(os.getloadavg())
    started = datetime.now().astimezone()
    t0 = time.monotonic()
    err_tail: deque[str] = deque(maxlen=20)
    timed_out = False
    returncode: int | None = None
    start_error: str | None = None
    with (runs / f"{area}.log").open("w", encoding="utf-8") as log:
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,  # its own process group, so a timeout ends all of it
            )
        except OSError as exc:
            start_error = f"could not start: {exc}"
        else:
            returncode, timed_out = _supervise(proc, log, echo, err_tail, timeout_s)
    wall = time.monotonic() - t0
    after = _mtime_ns(out_file)
    error: str | None = None
    if start_error is not None or returncode is None:
        error = start_error or "did not run"
    elif timed_out:
        error = f"timed out after {fmt_duration(timeout_s or 0)}"
    elif returncode < 0:
        error = f"killed by signal {-returncode}" + _suffix(failure_reason(err_tail))
    elif returncode != 0:
        error = f"exit status {returncode}" + _suffix(failure_reason(err_tail))
    elif after is None or after == before:
        error = f"exited 0 but did not write {display_path(out_file, root)}"
    else:
        try:
            validate_figures(json.loads(out_file.read_text(encoding="utf-8")))
        except ValueError as exc:  # JSONDecodeError is a ValueError
            error = f"wrote invalid results to {display_path(out_file, root)}: {exc}"
    record = RunRecord(
        area=area,
        command=shown,
        started=started.isoformat(timespec="seconds"),
        started_epoch=started.timestamp(),
        wall_s=round(wall, 1),
        load_before=[round(x, 2) for x in load_before],
        load_after=[round(x, 2) for x in os.getloadavg()],
        machine=machine.to_json(),
        returncode=None if timed_out else returncode,
        ok=error is None,
        error=error,
        result_mtime_ns=after if error is None else None,
    )
    text = json.dumps(record.to_json(), indent=2) + "\n"
    (runs / f"{area}.json").write_text(text, encoding="utf-8")
    return record


def _supervise(
    proc: subprocess.Popen[str],
    log: IO[str],
    echo: IO[str] | None,
    err_tail: deque[str],
    timeout_s: float | None,
) -> tuple[int, bool]:
    """Wait for ``proc``, copying its output to the log (and stderr to ``echo``):
    ``(returncode, timed_out)``; past the timeout its whole process group is killed."""
    assert proc.stdout is not None and proc.stderr is not None
    lock = threading.Lock()
    err_sinks: list[IO[str]] = [log] if echo is None else [log, echo]
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, [log], lock, deque(maxlen=1))),
        threading.Thread(target=_pump, args=(proc.stderr, err_sinks, lock, err_tail)),
    ]
    for pump in pumps:
        pump.daemon = True
        pump.start()
    timed_out = False
    try:
        returncode = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        returncode = proc.wait()
    for pump in pumps:
        pump.join(timeout=10)
    if not any(pump.is_alive() for pump in pumps):
        proc.stdout.close()
        proc.stderr.close()
    return returncode, timed_out


def _suffix(reason: str) -> str:
    return f": {reason}" if reason else ""


def fmt_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# ---------------------------------------------------------------------------------------------
# Collecting results


@dataclass
class Area:
    name: str
    title: str
    notes: str
    script: Path | None
    figures: Figures | None = None
    # "out": benchmarks/out/<area>.json; "committed": the previous results.json
    source: str | None = None
    date: str | None = None
    written: datetime | None = None  # when the results file was written
    record: RunRecord | None = None  # the run that wrote the results
    failed: RunRecord | None = None  # a failed attempt newer than the results
    documented_command: str | None = None
    needs_cuda: bool = False
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_notes(notes_dir: Path, name: str) -> tuple[str | None, str]:
    """``(title, body)`` of ``notes/<name>.md``: a leading ``# Title`` is taken out as the
    title, and the body's own headings move one level down, under the area's section."""
    path = notes_dir / f"{name}.md"
    if not path.is_file():
        return None, ""
    lines = path.read_text(encoding="utf-8").strip("\n").splitlines()
    title = None
    if lines and lines[0].startswith("# "):
        title = lines[0][2:].strip()
        lines = lines[1:]
    body, fenced = [], False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        body.append("#" + line if not fenced and re.match(r"#{1,5} ", line) else line)
    return title, "\n".join(body).strip("\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def collect(
    bench_dir: Path, scripts: dict[str, Path], committed: dict[str, Any] | None = None
) -> list[Area]:
    """Every area with a script, raw results or committed results, in display order."""
    out = bench_dir / "out"
    raw = {p.stem for p in out.glob("*.json")} if out.is_dir() else set()
    committed = committed if isinstance(committed, dict) else {}
    areas = []
    for name in ordered(set(scripts) | raw | set(committed)):
        title, notes = read_notes(bench_dir / "notes", name)
        script = scripts.get(name)
        area = Area(name, title or name.capitalize(), notes, script)
        if script is not None:
            text = script.read_text(encoding="utf-8", errors="replace")
            match = re.search(r"^Run:\s*(.+)$", text, re.MULTILINE)
            area.documented_command = match.group(1).strip() if match else None
            area.needs_cuda = NEEDS_CUDA_MARK in text
        results = out / f"{name}.json"
        mtime = _mtime_ns(results)
        data = _read_json(results) if mtime is not None else None
        record_data = _read_json(out / "runs" / f"{name}.json")
        record = RunRecord.from_json(record_data) if isinstance(record_data, dict) else None
        try:
            figures = validate_figures(data) if mtime is not None else None
        except ValueError:
            figures = None
        if figures is not None and mtime is not None:
            area.figures, area.source = figures, "out"
            area.written = datetime.fromtimestamp(mtime / 1e9).astimezone()
            if record is not None and record.ok and record.result_mtime_ns == mtime:
                area.record = record
                area.date = record.started[:10]
            else:
                area.date = area.written.date().isoformat()
            if record is not None and not record.ok and record.started_epoch > mtime / 1e9:
                area.failed = record
        else:
            if record is not None and not record.ok:
                area.failed = record
            kept = committed.get(name)
            if isinstance(kept, dict) and kept:
                area.figures, area.source = kept, "committed"
        if script is None and area.figures is None and area.failed is None:
            continue  # a stray file in out/ that holds no figures
        if area.figures is not None:
            area.extras = {
                k: {x: v for x, v in f.items() if x not in (*FIGURE_KEYS, "date")}
                for k, f in area.figures.items()
            }
        areas.append(area)
    return areas


def results_json(areas: Sequence[Area]) -> dict[str, Figures]:
    """``{area: {figure: {"value", "unit", "target", "baseline", "date"}}}``."""
    result: dict[str, Figures] = {}
    for area in areas:
        if not area.figures:
            continue
        result[area.name] = {
            name: {
                **{k: figure.get(k) for k in FIGURE_KEYS},
                "date": area.date if area.source == "out" else figure.get("date"),
            }
            for name, figure in area.figures.items()
        }
    return result


# ---------------------------------------------------------------------------------------------
# BENCHMARKS.md


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _started(record: RunRecord) -> str:
    return _when(datetime.fromisoformat(record.started))


def misses(area: Area) -> tuple[int, int]:
    """(targets met, targets missed) among the area's figures."""
    met = missed = 0
    for figure in (area.figures or {}).values():
        verdict = target_met(figure.get("value"), figure.get("target"), figure.get("unit"))
        met += verdict is True
        missed += verdict is False
    return met, missed


def figure_row(name: str, figure: dict[str, Any], date: str | None) -> str:
    value, unit, target = figure.get("value"), figure.get("unit"), figure.get("target")
    measured = render_quantity(value, unit)
    verdict = target_met(value, target, unit)
    if verdict is True:
        measured += " — met"
    elif verdict is False:
        measured += " — **missed**"
    baseline = render_quantity(figure.get("baseline"), unit, full_unit=False)
    cells = [f"`{name}`", render_target(target, unit), measured, baseline, date or "–"]
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def area_section(area: Area) -> str:
    lines = [f"## {area.title}", ""]
    failed = area.failed
    if area.figures is None:
        if failed is not None:
            lines.append(
                f"**Not measured.** The latest attempt (`{failed.command}`, started "
                f"{_started(failed)}) failed: {failed.error}."
            )
        else:
            command = f"`.venv/bin/python benchmarks/run_all.py --only {area.name}`"
            why = "no results in `benchmarks/out/` and none in the committed results"
            lines.append(f"**Not measured**: {why}; {command} measures it.")
        lines.append("")
    else:
        lines += [_run_line(area), ""]
        if failed is not None:
            lines += [
                f"The latest attempt (`{failed.command}`, started {_started(failed)}) failed: "
                f"{failed.error}. The figures below are from the earlier results.",
                "",
            ]
        machine = area.record.machine if area.record else None
        no_gpu = machine is not None and machine.get("gpus") == []
        if area.needs_cuda and no_gpu and not any("cuda" in n.lower() for n in area.figures):
            lines += [
                "Not measured: this script's CUDA figures; the machine of this run has "
                "no GPU visible to torch.",
                "",
            ]
        lines += [
            "| figure | target | measured | baseline (same run) | date |",
            "|---|---|---|---|---|",
        ]
        for name, figure in area.figures.items():
            date = area.date if area.source == "out" else figure.get("date")
            lines.append(figure_row(name, figure, date))
        lines.append("")
        extras = {k: v for k, v in area.extras.items() if v}
        if extras:
            lines.append("Also recorded with the figures:")
            lines.append("")
            for name, extra in extras.items():
                lines.append(f"- `{name}`: " + cell(render_value(extra)))
            lines.append("")
    if area.notes:
        lines += [area.notes, ""]
    return "\n".join(lines)


def _run_line(area: Area) -> str:
    record = area.record
    if area.source == "committed":
        return (
            "Figures from the committed `benchmarks/results.json` (no raw results in "
            "`benchmarks/out/` on this checkout); run details are not kept there."
        )
    if record is None:
        written = _when(area.written) if area.written else "at an unknown time"
        text = f"Run: not recorded (results written {written}, not through `run_all.py`)."
        if area.documented_command:
            text += f" The script's documented command: `{area.documented_command}`."
        return text
    before, after = record.load_before, record.load_after
    machine = Machine.from_json(record.machine).describe()
    return (
        f"Run: `{record.command}`, started {_started(record)}, took "
        f"{fmt_duration(record.wall_s)}; load average (1 min) {fmt_number(before[0])} before, "
        f"{fmt_number(after[0])} after; machine: {machine}."
    )


def machine_lines(areas: Sequence[Area], current: Machine) -> list[str]:
    measured = [a for a in areas if a.figures is not None]
    machines: dict[str, list[str]] = {}
    unknown = []
    for area in measured:
        if area.record is not None:
            desc = Machine.from_json(area.record.machine).describe()
            machines.setdefault(desc, []).append(area.name)
        else:
            unknown.append(area.name)
    lines = []
    if len(machines) == 1 and not unknown:
        lines.append(f"Machine (every area's run): {next(iter(machines))}.")
    elif not machines:
        lines.append(
            "Machine: not recorded with these results (the bench scripts wrote them when run "
            f"directly, not through `run_all.py`); this file was generated on: "
            f"{current.describe()}."
        )
    else:
        for desc, names in machines.items():
            lines.append(f"Machine for {', '.join(names)}: {desc}.")
        if unknown:
            lines.append(
                f"Machine for {', '.join(unknown)}: not recorded (results written without "
                f"`run_all.py`); this file was generated on: {current.describe()}."
            )
    return lines


def render_markdown(areas: Sequence[Area], current: Machine, bench_dir: Path) -> str:
    _, intro = read_notes(bench_dir / "notes", INTRO_NOTES)
    lines = [
        "# Benchmarks",
        "",
        "Measured figures only, each with the command that produced it. Generated by "
        "`benchmarks/run_all.py` from the raw results in `benchmarks/out/<area>.json` (not "
        "committed); do not edit by hand: the prose under each table comes from "
        "`benchmarks/notes/<area>.md`.",
        "",
        "Reproduce: `make bench` runs every `benchmarks/bench_*.py` (each in its own process, "
        "the venv's python, `HF_HUB_OFFLINE=1`) and regenerates this file and "
        "`benchmarks/results.json`; `.venv/bin/python benchmarks/run_all.py --only AREA` runs "
        "one area, `--skip AREA` leaves one out, and `--from-existing` rebuilds both files "
        "from `benchmarks/out/*.json` without running anything.",
        "",
        *machine_lines(areas, current),
        "",
        '`benchmarks/results.json` holds the same figures as `{area: {figure: {"value", '
        '"unit", "target", "baseline", "date"}}}`.',
        "",
        "Targets: a comparison (`>= 0.98`, `< 20 (...)`) is checked against the measured "
        "value, and a bare number is a ceiling (a floor when the unit is a rate, `/s`); the "
        "measured value then says met or **missed**. Targets in words are not checked. "
        "The baseline is measured by the same script in the same run; – where there is none. "
        "Numbers have 4 significant digits (integers in full).",
        "",
        "| area | figures | targets met | targets missed | date |",
        "|---|---|---|---|---|",
    ]
    for area in areas:
        if area.figures is None:
            lines.append(f"| {area.title} | not measured | – | – | – |")
            continue
        met, missed = misses(area)
        dates = sorted(
            {str(d) for d in (_figure_date(area, f) for f in area.figures.values()) if d}
        )
        row = [area.title, str(len(area.figures)), str(met), str(missed), ", ".join(dates)]
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    lines.append("")
    if intro:
        lines += [intro, ""]
    for area in areas:
        lines.append(area_section(area))
    return "\n".join(lines).rstrip("\n") + "\n"


def _figure_date(area: Area, figure: dict[str, Any]) -> object:
    return area.date if area.source == "out" else figure.get("date")


# ---------------------------------------------------------------------------------------------
# Command line


def _names(values: Sequence[str] | None) -> list[str]:
    return [n.strip() for v in values or () for n in v.split(",") if n.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="AREA[,AREA]", help="run only these")
    parser.add_argument("--skip", action="append", metavar="AREA[,AREA]", help="do not run these")
    parser.add_argument(
        "--from-existing",
        action="store_true",
        help="run nothing; rebuild the documents from benchmarks/out/*.json",
    )
    parser.add_argument(
        "--bench-dir", type=Path, default=BENCH_DIR, help="the bench_*.py folder (tests)"
    )
    parser.add_argument("--python", type=Path, help="interpreter (default: the repo's .venv)")
    parser.add_argument(
        "--markdown", type=Path, help="output document (default: BENCHMARKS.md beside it)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds per benchmark, 0 for none (default {DEFAULT_TIMEOUT_S})",
    )
    args = parser.parse_args(argv)
    bench_dir: Path = args.bench_dir.resolve()
    root = bench_dir.parent
    scripts = discover(bench_dir)
    only, skip = _names(args.only), _names(args.skip)
    if args.from_existing and (only or skip):
        parser.error("--from-existing runs nothing; --only and --skip do not apply")
    unknown = sorted(set(only + skip) - set(scripts))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; known: {', '.join(ordered(scripts))}")
    venv_python = root / ".venv" / "bin" / "python"
    python: Path = args.python or (venv_python if venv_python.exists() else Path(sys.executable))
    results_path = bench_dir / "results.json"
    markdown_path: Path = args.markdown or root / "BENCHMARKS.md"
    machine = describe_machine(python)

    failed: list[RunRecord] = []
    ran: list[RunRecord] = []
    if not args.from_existing:
        to_run = [a for a in ordered(scripts) if (not only or a in only) and a not in skip]
        print(f"machine: {machine.describe()}", file=sys.stderr)
        for i, area in enumerate(to_run, 1):
            print(f"== [{i}/{len(to_run)}] {area}: {scripts[area].name}", file=sys.stderr)
            timeout = args.timeout if args.timeout > 0 else None
            record = run_one(area, scripts[area], python, bench_dir, machine, timeout, sys.stderr)
            ran.append(record)
            outcome = "ok" if record.ok else f"FAILED: {record.error}"
            print(f"== {area}: {outcome} ({fmt_duration(record.wall_s)})", file=sys.stderr)
            if not record.ok:
                failed.append(record)

    committed = _read_json(results_path)
    areas = collect(bench_dir, scripts, committed if isinstance(committed, dict) else None)
    if not any(a.figures for a in areas):
        print(
            f"no results in {bench_dir / 'out'} nor {results_path}: nothing to write "
            "(run `make bench`)",
            file=sys.stderr,
        )
        return 1
    text = json.dumps(results_json(areas), indent=2, ensure_ascii=False) + "\n"
    results_path.write_text(text, encoding="utf-8")
    markdown_path.write_text(render_markdown(areas, machine, bench_dir), encoding="utf-8")

    print(summary(areas, ran), file=sys.stderr)
    print(
        f"wrote {display_path(markdown_path, root)} and {display_path(results_path, root)}",
        file=sys.stderr,
    )
    if failed:
        names = ", ".join(r.area for r in failed)
        print(f"{len(failed)} benchmark(s) failed: {names}", file=sys.stderr)
    return 1 if failed else 0


def summary(areas: Sequence[Area], ran: Sequence[RunRecord]) -> str:
    runs = {r.area: r for r in ran}
    rows = [("area", "this run", "figures", "missed", "from")]
    for area in areas:
        record = runs.get(area.name)
        status = "-" if record is None else ("ok" if record.ok else "FAILED")
        if record is not None:
            status += f" {fmt_duration(record.wall_s)}"
        if area.figures is None:
            rows.append((area.name, status, "not measured", "-", "-"))
            continue
        source = (area.date or "?") if area.source == "out" else "committed results.json"
        rows.append((area.name, status, str(len(area.figures)), str(misses(area)[1]), source))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for record in ran:
        if not record.ok:
            lines.append(f"{record.area} FAILED: {record.error}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
