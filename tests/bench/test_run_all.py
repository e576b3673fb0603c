"""benchmarks/run_all.py: targets, number formatting, the generated documents, and the runner
on tiny fake bench scripts in a temporary benchmarks folder (nothing real is measured)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "panza_bench_run_all", ROOT / "benchmarks" / "run_all.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ra = _load()
REAL_DESCRIBE_MACHINE = ra.describe_machine
MACHINE = ra.Machine("Test CPU 9000", "x86_64", 4, 4, 15.6, "3.11.7", "2.13.0+cpu", [])
# 2026-11-20 09:30 UTC: results files written "earlier".
EARLIER = 1_795_167_000


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None, **extra: Any) -> Any:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline, **extra}


@pytest.fixture(autouse=True)
def fixed_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """No torch probe in the tests: the machine is a literal."""
    monkeypatch.setattr(ra, "describe_machine", lambda python: MACHINE)


def make_bench_dir(tmp_path: Path, scripts: dict[str, str]) -> Path:
    """``tmp/benchmarks`` with ``bench_<area>.py`` for each script body (dedented)."""
    bench = tmp_path / "benchmarks"
    (bench / "out").mkdir(parents=True)
    for area, body in scripts.items():
        (bench / f"bench_{area}.py").write_text(textwrap.dedent(body))
    return bench


def write_results(bench: Path, area: str, figures: dict[str, Any], mtime: int = EARLIER) -> Path:
    path = bench / "out" / f"{area}.json"
    path.write_text(json.dumps(figures))
    os.utime(path, (mtime, mtime))
    return path


def writes(area: str, figures: dict[str, Any]) -> str:
    """The body of a fake bench script that writes ``figures`` as the real ones do."""
    return textwrap.dedent(f"""
        '''Fake {area}.

        Run: python benchmarks/bench_{area}.py --fake
        '''
        import json, os, sys
        from pathlib import Path
        figures = {figures!r}
        for f in figures.values():
            if f.get("unit") == "env":
                f["value"] = os.environ.get("HF_HUB_OFFLINE")
        print("working on {area}", file=sys.stderr)
        out = Path(__file__).resolve().parent / "out" / "{area}.json"
        out.write_text(json.dumps(figures))
        print(json.dumps(figures))
    """)


# ---------------------------------------------------------------------------------------------
# Targets and numbers


@pytest.mark.parametrize(
    ("target", "unit", "expected"),
    [
        (">= 0.98", "fraction", (">=", 0.98)),
        ("<= 1.5", "x", ("<=", 1.5)),
        ("<= 1", "ms", ("<=", 1.0)),
        ("< 20", "IMAP commands per 1,000 messages", ("<", 20.0)),
        ("< 10118.3268", "perplexity", ("<", 10118.3268)),
        (">= 50 (Gmail's per-user quota allows about 50/s)", "messages/s", (">=", 50.0)),
        ("<= 50 (far fewer than one per message)", "requests", ("<=", 50.0)),
        (">= 4,500", "messages/s", (">=", 4500.0)),
        ("≤ 2", "s", ("<=", 2.0)),
        ("<= 1.5x", "x", ("<=", 1.5)),
        ("== 5", "commands", ("==", 5.0)),
        (150, "ms (median of 30)", ("<=", 150.0)),
        (327.113, "ms", ("<=", 327.113)),
        (4500, "messages/s", (">=", 4500.0)),  # a bare number on a rate is a floor
        ("100", "ms", ("<=", 100.0)),
        ("about the 10k figure", "MiB", None),
        ("max(own_email_above - other_pairs_above)", "cosine", None),
        ("<= 10k", "messages", None),  # a multiplier it cannot read: left unchecked
        ("far below 1,000", "", None),
        (None, "ms", None),
        (True, "ms", None),
    ],
)
def test_parse_target(target: Any, unit: str, expected: Any) -> None:
    assert ra.parse_target(target, unit) == expected


@pytest.mark.parametrize(
    ("value", "target", "unit", "met"),
    [
        (0.2881, ">= 0.98", "fraction", False),
        (1.0, ">= 0.97", "fraction", True),
        (1.47, "<= 1", "ms", False),
        (1.0, "<= 1", "ms", True),
        (7.2, "< 20", "commands", True),
        (20, "< 20", "commands", False),
        (16.8, 20.0, "s", True),
        (42.9, 100, "ms (median)", True),
        (568, 50, "messages/s", True),
        (43, 50, "messages/s", False),
        (1.0, "about the 10k figure", "MiB", None),
        ("4405 (no IMAP)", ">= 1", "messages/s", None),
        (None, "<= 1", "ms", None),
        (1.0, None, "ms", None),
    ],
)
def test_target_met(value: Any, target: Any, unit: str, met: bool | None) -> None:
    assert ra.target_met(value, target, unit) is met


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4621, "4,621"),
        (1440160, "1,440,160"),
        (1002.2, "1,002"),
        (10118.3268, "10,118"),
        (318.153, "318.2"),
        (56.806, "56.81"),
        (14.3, "14.3"),
        (1.324, "1.324"),
        (0.2881, "0.2881"),
        (0.09, "0.09"),
        (0.000123456, "0.0001235"),
        (1.0, "1"),
        (0.0, "0"),
        (-2.5, "-2.5"),
        (9.99996, "10"),
        (True, "yes"),
    ],
)
def test_fmt_number(value: float, text: str) -> None:
    assert ra.fmt_number(value) == text


def test_quantities_carry_units() -> None:
    assert ra.render_quantity(1.3241, "x") == "1.324x"
    assert ra.render_quantity(0.2881, "fraction") == "0.2881"
    assert ra.render_quantity(4621, "messages/s") == "4,621 messages/s"
    assert ra.render_quantity(8.2234, "ms (median of 30)") == "8.223 ms (median of 30)"
    # a baseline gets the unit without its explanation
    assert ra.render_quantity(1.377, "ms (median of 30)", full_unit=False) == "1.377 ms"
    assert ra.render_quantity("4405 (no IMAP)", "messages/s") == "4405 (no IMAP)"
    assert ra.render_quantity({"python -c pass": 50.448}, "ms") == "python -c pass: 50.45"
    assert ra.render_target(327.113, "ms") == "<= 327.1 ms"
    assert ra.render_target(4500, "messages/s") == ">= 4,500 messages/s"
    assert ra.render_target(">= 0.98", "fraction") == ">= 0.98"
    assert ra.render_target(None, "ms") == "–"


def test_rows_mark_misses_and_only_parsed_targets() -> None:
    missed = ra.figure_row("recall", fig(0.2881, "fraction", ">= 0.98", 1.0), "2026-11-21")
    assert missed == "| `recall` | >= 0.98 | 0.2881 — **missed** | 1 | 2026-11-21 |"
    met = ra.figure_row("rate", fig(4621, "messages/s", ">= 4500", 404), "2026-11-21")
    assert "4,621 messages/s — met" in met and "404 messages/s" in met
    prose = ra.figure_row("rss", fig(168, "MiB", "about the 10k figure"), "2026-11-21")
    assert "met" not in prose.replace("10k", "") and "missed" not in prose
    piped = ra.figure_row("odd", fig("a|b", "x", "c|d"), None)
    assert "a\\|b" in piped and "c\\|d" in piped and piped.endswith("| – |")


# ---------------------------------------------------------------------------------------------
# The documents


def test_documents_from_small_results(tmp_path: Path) -> None:
    bench = make_bench_dir(tmp_path, {"alpha": "", "beta": "", "gamma": ""})
    (bench / "notes").mkdir()
    (bench / "notes" / "alpha.md").write_text(
        "# Alpha area (issue 1)\n\nAlpha prose, measured by hand.\n\n## Caveat\n\nSlow disk.\n"
    )
    (bench / "notes" / "_intro.md").write_text("The machine is shared.\n")
    write_results(
        bench,
        "alpha",
        {
            "recall": fig(0.2881, "fraction", ">= 0.98", 1.0, params={"M": 32, "n": 100000}),
            "p50": fig(0.8, "ms", "<= 1", 16.0),
        },
    )
    write_results(bench, "beta", {"speed": fig(1426.156, "tokens/s", None, 1673.2)})
    (bench / "out" / "stray.json").write_text("[1, 2]")  # not figures, no script: ignored
    areas = ra.collect(bench, ra.discover(bench))
    assert [a.name for a in areas] == ["alpha", "beta", "gamma"]

    results = ra.results_json(areas)
    assert set(results) == {"alpha", "beta"}  # nothing invented for gamma
    assert results["alpha"]["recall"] == {
        "value": 0.2881,
        "unit": "fraction",
        "target": ">= 0.98",
        "baseline": 1.0,
        "date": "2026-11-20",
    }
    assert "params" not in results["alpha"]["recall"]

    md = ra.render_markdown(areas, MACHINE, bench)
    assert md.index("The machine is shared.") < md.index("## Alpha area (issue 1)")
    alpha = md[md.index("## Alpha area") : md.index("## Beta")]
    # table, then what else the JSON recorded, then the notes with their headings demoted
    assert alpha.index("| figure | target | measured | baseline (same run) | date |") < (
        alpha.index("- `recall`: params: (M: 32, n: 100,000)")
    )
    assert alpha.index("params:") < alpha.index("Alpha prose, measured by hand.")
    assert "\n### Caveat\n" in alpha and "\n## Caveat" not in alpha
    assert "| `recall` | >= 0.98 | 0.2881 — **missed** | 1 | 2026-11-20 |" in alpha
    assert "| `p50` | <= 1 | 0.8 ms — met | 16 ms | 2026-11-20 |" in alpha
    assert "not recorded" in alpha  # written without run_all: no run record to show
    beta = md[md.index("## Beta") : md.index("## Gamma")]
    assert "| `speed` | – | 1,426 tokens/s | 1,673 tokens/s | 2026-11-20 |" in beta
    gamma = md[md.index("## Gamma") :]
    assert "**Not measured**" in gamma and "--only gamma" in gamma and "| `" not in gamma
    # the overview counts the miss; a missing area says so
    assert "| Alpha area (issue 1) | 2 | 1 | 1 | 2026-11-20 |" in md
    assert "| Gamma | not measured | – | – | – |" in md
    assert "Test CPU 9000" in md


def test_from_existing_rebuilds_without_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"
    bench = make_bench_dir(tmp_path, {"alpha": f"open({str(marker)!r}, 'w')\n"})
    write_results(bench, "alpha", {"recall": fig(0.99, "fraction", ">= 0.98", 1.0)})
    argv = ["--from-existing", "--bench-dir", str(bench), "--python", sys.executable]
    assert ra.main(argv) == 0
    assert not marker.exists()
    results = json.loads((bench / "results.json").read_text())
    assert results == {
        "alpha": {
            "recall": {
                "value": 0.99,
                "unit": "fraction",
                "target": ">= 0.98",
                "baseline": 1.0,
                "date": "2026-11-20",
            }
        }
    }
    md = (tmp_path / "BENCHMARKS.md").read_text()
    assert "0.99 — met" in md
    # the same inputs give the same documents
    assert ra.main(argv) == 0
    assert (tmp_path / "BENCHMARKS.md").read_text() == md
    with pytest.raises(SystemExit):
        ra.main([*argv, "--only", "alpha"])
    capsys.readouterr()


def test_nothing_to_regenerate_from_writes_nothing(tmp_path: Path) -> None:
    bench = make_bench_dir(tmp_path, {"alpha": ""})
    (tmp_path / "BENCHMARKS.md").write_text("hand-written\n")
    argv = ["--from-existing", "--bench-dir", str(bench), "--python", sys.executable]
    assert ra.main(argv) == 1
    assert (tmp_path / "BENCHMARKS.md").read_text() == "hand-written\n"
    assert not (bench / "results.json").exists()


def test_committed_results_stand_in_for_missing_raw_ones(tmp_path: Path) -> None:
    bench = make_bench_dir(tmp_path, {"alpha": "", "beta": ""})
    write_results(bench, "alpha", {"x": fig(2.0, "s", "<= 3")})
    committed = {
        "beta": {
            "y": {"value": 5, "unit": "s", "target": "<= 1", "baseline": None, "date": "2026-10-01"}
        }
    }
    (bench / "results.json").write_text(json.dumps(committed))
    argv = ["--from-existing", "--bench-dir", str(bench), "--python", sys.executable]
    assert ra.main(argv) == 0
    results = json.loads((bench / "results.json").read_text())
    assert results["beta"] == committed["beta"] and results["alpha"]["x"]["date"] == "2026-11-20"
    md = (tmp_path / "BENCHMARKS.md").read_text()
    assert "Figures from the committed `benchmarks/results.json`" in md
    assert "| `y` | <= 1 | 5 s — **missed** | – | 2026-10-01 |" in md


# ---------------------------------------------------------------------------------------------
# The runner


def run_main(bench: Path, *extra: str) -> int:
    return int(ra.main(["--bench-dir", str(bench), "--python", sys.executable, *extra]))


def test_a_failing_benchmark_is_reported_and_the_others_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = make_bench_dir(
        tmp_path,
        {
            "aaa": writes("aaa", {"offline": fig(None, "env"), "rate": fig(9.0, "msg/s", 10)}),
            "bad": "import sys\nprint('needs a thing: install it', file=sys.stderr)\nsys.exit(3)\n",
            "silent": "print('done, honestly')\n",
            "zzz": "# uses torch.cuda.is_available() when it can\n"
            + writes("zzz", {"t": fig(1.5, "ms", "<= 2", 3.0)}),
        },
    )
    write_results(bench, "silent", {"old": fig(1, "s")})  # from an earlier run
    assert run_main(bench) == 1
    err = capsys.readouterr().err

    records = {p.stem: json.loads(p.read_text()) for p in (bench / "out" / "runs").glob("*.json")}
    assert set(records) == {"aaa", "bad", "silent", "zzz"}  # every one ran, in spite of bad
    assert records["aaa"]["ok"] and records["zzz"]["ok"]
    assert records["bad"]["error"] == "exit status 3: needs a thing: install it"
    assert records["silent"]["error"] == "exited 0 but did not write benchmarks/out/silent.json"
    for record in records.values():
        assert record["command"].startswith("HF_HUB_OFFLINE=1 ")
        assert record["machine"]["cpu"] == "Test CPU 9000"
        assert len(record["load_before"]) == len(record["load_after"]) == 3
        assert record["wall_s"] >= 0 and record["started"][:4].isdigit()
    assert "working on aaa" in (bench / "out" / "runs" / "aaa.log").read_text()
    assert "bad FAILED: exit status 3: needs a thing" in err
    assert "silent FAILED" in err and "2 benchmark(s) failed: bad, silent" in err

    results = json.loads((bench / "results.json").read_text())
    assert results["aaa"]["offline"]["value"] == "1"  # the benchmarks run offline
    assert results["aaa"]["rate"]["date"] == records["aaa"]["started"][:10]
    assert "bad" not in results and results["silent"]["old"]["date"] == "2026-11-20"
    md = (tmp_path / "BENCHMARKS.md").read_text()
    section = {s.split("\n", 1)[0]: s for s in md.split("\n## ")[1:]}
    assert "failed: exit status 3: needs a thing: install it" in section["Bad"]
    assert "**Not measured.**" in section["Bad"]
    assert "did not write" in section["Silent"] and "from the earlier results" in section["Silent"]
    assert "9 msg/s — **missed**" in section["Aaa"] and ">= 10 msg/s" in section["Aaa"]
    assert "Test CPU 9000" in section["Zzz"] and "load average (1 min)" in section["Zzz"]
    assert "this script's CUDA figures" in section["Zzz"]  # the run's machine has no GPU
    assert "this script's CUDA figures" not in section["Aaa"]
    assert "Machine (every area's run)" not in md  # silent's figures have no record


def test_only_and_skip_choose_what_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = make_bench_dir(
        tmp_path,
        {a: writes(a, {"v": fig(1.0, "s")}) for a in ("one", "two", "three")},
    )
    write_results(bench, "two", {"v": fig(7.0, "s")})
    assert run_main(bench, "--only", "one,three", "--skip", "three") == 0
    ran = {p.stem for p in (bench / "out" / "runs").glob("*.json")}
    assert ran == {"one"}
    results = json.loads((bench / "results.json").read_text())
    assert set(results) == {"one", "two"}  # two's earlier results are kept, three has none
    assert results["two"]["v"]["value"] == 7.0
    with pytest.raises(SystemExit):
        run_main(bench, "--only", "nope")
    capsys.readouterr()


def test_a_hung_benchmark_is_stopped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = make_bench_dir(
        tmp_path,
        {"fast": writes("fast", {"v": fig(1.0, "s")}), "hang": "import time\ntime.sleep(60)\n"},
    )
    assert run_main(bench, "--timeout", "1") == 1
    record = json.loads((bench / "out" / "runs" / "hang.json").read_text())
    assert record["error"] == "timed out after 1.0 s" and record["wall_s"] < 30
    assert json.loads((bench / "out" / "runs" / "fast.json").read_text())["ok"]
    capsys.readouterr()


def test_machine_description() -> None:
    assert MACHINE.describe() == (
        "Test CPU 9000 (x86_64), 4 cores, 15.6 GiB RAM, no CUDA GPU visible to torch, "
        "Python 3.11.7, torch 2.13.0+cpu"
    )
    gpu = ra.Machine("X", "x86_64", 16, 8, 128.0, None, "2.4.0", ["NVIDIA H200 (140 GiB)"])
    assert gpu.describe() == (
        "X (x86_64), 16 cores (8 usable), 128 GiB RAM, CUDA: NVIDIA H200 (140 GiB), torch 2.4.0"
    )
    # the real probe, with an interpreter that is not there: facts from /proc, GPU unknown
    machine = REAL_DESCRIBE_MACHINE(Path("/nonexistent/python"))
    assert machine.cpu
    assert machine.cores == os.cpu_count() and machine.gpus is None
    assert "GPU not checked" in machine.describe()


def test_underscore_keys_are_metadata_not_figures() -> None:
    figures = ra.validate_figures({"_setup": {"n": 20}, "p50": {"value": 1.0, "unit": "ms"}})
    assert list(figures) == ["p50"]
    with pytest.raises(ValueError):
        ra.validate_figures({"_setup": {"n": 20}})
