"""Retrieval index figures: embedding throughput, hnswlib against exact search, the threshold.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_index.py [--n 100000] [--queries 1000]
Prints {name: {"value", "unit", "target", "baseline"}} as JSON and writes benchmarks/out/index.json.
Uses ../shared/data/panza-david.jsonl when present (else generated text) for throughput and for
choosing the relevance threshold; the search figures use random unit vectors of dim 384.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from index_noop import noop_figures  # benchmarks/ is on sys.path when this runs as a script
from numpy.typing import NDArray

from panza.daemon.index import DEFAULT_MODEL, DEFAULT_PARAMS, DEFAULT_THRESHOLD, VectorIndex
from panza.daemon.index import files as index_files
from panza.daemon.index.embedder import document_text, load_embedder, query_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "panza-david.jsonl"
OUT = ROOT / "benchmarks" / "out" / "index.json"
DIM, K = 384, 10
PANZAMAIL_THRESHOLD = 0.2  # IST-DASLab/PanzaMail configs/writer/prompting/email_prompting.yaml
SWEEP_EF = (64, 256, 512, 1024)
Figures = dict[str, dict[str, Any]]
Matrix = NDArray[np.float32]


def fig(
    value: Any, unit: str, target: Any = None, baseline: Any = None, **extra: Any
) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline, **extra}


def load_emails() -> tuple[list[tuple[str, str]], str]:
    """(subject, text) pairs: the shared real corpus, or generated look-alikes."""
    if DATA.is_file():
        rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
        return [(r["subject"], r["email"].replace("\r\n", "\n")) for r in rows], DATA.name
    rng = random.Random(0)
    words = "meeting invoice paper review student visit talk budget cluster link draft".split()
    return [
        (
            f"Re: {rng.choice(words)} {i}",
            "Dear colleague,\n\n" + " ".join(rng.choices(words, k=30)) + "\n\nBest regards,\nD",
        )
        for i in range(166)
    ], "generated"


def embedding_throughput(emails: list[tuple[str, str]], runs: int) -> dict[int, float]:
    """Emails per second embedded (batch 32), by torch thread count."""
    embedder = load_embedder(DEFAULT_MODEL)
    texts = [document_text(s, t) for s, t in emails]
    embedder.encode(texts[:32])  # warm-up: first call pays allocator and kernel set-up
    out: dict[int, float] = {}
    default_threads = torch.get_num_threads()
    for threads in sorted({default_threads, 1}, reverse=True):
        torch.set_num_threads(threads)
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            embedder.encode(texts)
            walls.append(time.perf_counter() - start)
        out[threads] = len(texts) / statistics.median(walls)
    torch.set_num_threads(default_threads)
    return out


def threshold_figures(emails: list[tuple[str, str]]) -> Figures:
    """Subject as instruction: its own email (relevant) against every other email (mostly not)."""
    embedder = load_embedder(DEFAULT_MODEL)
    docs = embedder.encode([document_text(s, t) for s, t in emails])
    instructions = [re.sub(r"^((re|fwd?|aw|wg)\s*:\s*)+", "", s, flags=re.I) for s, _ in emails]
    queries = embedder.encode([query_text(q or "(no subject)") for q in instructions])
    scores = queries @ docs.T
    own = np.diag(scores)
    others = np.where(np.eye(len(emails), dtype=bool), -np.inf, scores)
    pairs = others[np.isfinite(others)]

    def at(t: float) -> dict[str, float]:
        return {
            "own_email_above": round(float((own >= t).mean()), 3),
            "other_pairs_above": round(float((pairs >= t).mean()), 3),
            "queries_with_a_hit": round(float(((others >= t).sum(1) >= 1).mean()), 3),
        }

    grid = [round(x, 2) for x in np.arange(0.10, 0.61, 0.01)]
    youden = {t: at(t)["own_email_above"] - at(t)["other_pairs_above"] for t in grid}
    best = max(youden, key=lambda t: youden[t])
    chosen, old = at(DEFAULT_THRESHOLD), at(PANZAMAIL_THRESHOLD)
    pct = {p: round(float(np.percentile(pairs, p)), 3) for p in (50, 90, 95, 99)}
    return {
        "relevance_threshold": fig(
            DEFAULT_THRESHOLD,
            "cosine",
            "max(own_email_above - other_pairs_above)",
            PANZAMAIL_THRESHOLD,
            best_on_data=best,
            youden_at_default=round(youden[round(DEFAULT_THRESHOLD, 2)], 3),
            youden_at_best=round(youden[best], 3),
            youden_curve={f"{t:.2f}": round(youden[t], 3) for t in grid[10:36:2]},
            other_pair_percentiles=pct,
            own_email_median=round(float(np.median(own)), 3),
            emails=len(emails),
        ),
        "threshold_own_email_above": fig(
            chosen["own_email_above"], "fraction", None, old["own_email_above"]
        ),
        "threshold_other_pairs_above": fig(
            chosen["other_pairs_above"], "fraction", None, old["other_pairs_above"]
        ),
        "threshold_queries_with_a_hit": fig(
            chosen["queries_with_a_hit"], "fraction", None, old["queries_with_a_hit"]
        ),
    }


def unit_vectors(n: int, seed: int) -> Matrix:
    x = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def exact_top(data: Matrix, queries: Matrix) -> NDArray[np.int64]:
    out = []
    for start in range(0, len(queries), 100):
        s = queries[start : start + 100] @ data.T
        top = np.argpartition(-s, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1)
        out.append(np.take_along_axis(top, order, axis=1))
    return np.concatenate(out)


def latencies(
    search: Callable[[Matrix], list[int]], queries: Matrix
) -> tuple[list[float], list[list[int]]]:
    times, found = [], []
    for q in queries:
        start = time.perf_counter()
        found.append(search(q))
        times.append((time.perf_counter() - start) * 1000)
    return times, found


def recall(found: list[list[int]], truth: NDArray[np.int64]) -> float:
    return float(
        np.mean([len(set(f) & set(t.tolist())) / K for f, t in zip(found, truth, strict=True)])
    )


def pct(times: list[float], p: float) -> float:
    return round(float(np.percentile(times, p)), 3)


def search_figures(n: int, nq: int) -> Figures:
    data, queries = unit_vectors(n, 0), unit_vectors(nq, 1)
    truth = exact_top(data, queries)

    start = time.perf_counter()
    matrix = np.ascontiguousarray(data / np.linalg.norm(data, axis=1, keepdims=True))
    exact_build = time.perf_counter() - start

    def exact(q: Matrix) -> list[int]:
        s = matrix @ q
        top = np.argpartition(-s, K)[:K]
        return [int(i) for i in top[np.argsort(-s[top])]]

    nq_exact = min(nq, 300)  # ~10 ms each; 300 give a stable p99
    exact_ms, exact_found = latencies(exact, queries[:nq_exact])
    exact_recall = recall(exact_found, truth[:nq_exact])

    index = VectorIndex("bench", DIM, DEFAULT_PARAMS)
    ids = list(range(n))
    start = time.perf_counter()
    index.add(ids, data, ["0" * 32] * n)  # store-like: one 32-hex content hash per id
    build = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        manifest = index_files.save(index, Path(tmp))
        size = sum(f["bytes"] for f in manifest["files"].values())
        start = time.perf_counter()
        loaded = index_files.load(Path(tmp), "bench", DIM, DEFAULT_PARAMS)
        load_s = time.perf_counter() - start
        assert isinstance(loaded, VectorIndex), loaded

    def hnsw(q: Matrix) -> list[int]:
        return [i for i, _ in index.search(q, K)]

    ms, found = latencies(hnsw, queries)
    sweep = []
    for ef in SWEEP_EF:
        index.set_ef(ef)
        sub = queries[: min(nq, 300)]
        s_ms, s_found = latencies(hnsw, sub)
        sweep.append(
            {
                "ef": ef,
                "recall_at_10": round(recall(s_found, truth[: len(sub)]), 4),
                "p50_ms": pct(s_ms, 50),
                "p99_ms": pct(s_ms, 99),
            }
        )
    index.set_ef(DEFAULT_PARAMS.ef)
    params = {
        "M": DEFAULT_PARAMS.M,
        "ef_construction": DEFAULT_PARAMS.ef_construction,
        "ef": DEFAULT_PARAMS.ef,
        "n": n,
        "queries": nq,
    }
    mb = 1 / 2**20
    return {
        "hnsw_recall_at_10": fig(
            round(recall(found, truth), 4),
            "fraction",
            ">= 0.98",
            round(exact_recall, 4),
            params=params,
            ef_sweep=sweep,
        ),
        "hnsw_query_p50": fig(pct(ms, 50), "ms", "<= 1", pct(exact_ms, 50)),
        "hnsw_query_p99": fig(pct(ms, 99), "ms", None, pct(exact_ms, 99)),
        "hnsw_build": fig(
            round(build, 1), "s", None, round(exact_build, 2), threads=torch.get_num_threads()
        ),
        "hnsw_size_on_disk": fig(round(size * mb, 1), "MiB", None, round(matrix.nbytes * mb, 1)),
        "hnsw_load_and_verify": fig(round(load_s, 2), "s", None, None),
        "exact_recall_at_10": fig(round(exact_recall, 4), "fraction", None, None),
        "exact_query_p50": fig(pct(exact_ms, 50), "ms", None, None),
        "exact_query_p99": fig(pct(exact_ms, 99), "ms", None, None),
        "exact_build": fig(round(exact_build, 2), "s", None, None),
        "exact_size": fig(round(matrix.nbytes * mb, 1), "MiB", None, None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="vectors in the search test")
    parser.add_argument("--queries", type=int, default=1000, help="queries in the search test")
    parser.add_argument("--runs", type=int, default=3, help="timed passes over the emails")
    args = parser.parse_args()

    emails, source = load_emails()
    figures: Figures = {}
    speed = embedding_throughput(emails, args.runs)
    threads = max(speed)
    figures["embed_throughput"] = fig(
        round(speed[threads], 1),
        "emails/s",
        None,
        None,
        model=DEFAULT_MODEL,
        corpus=source,
        emails=len(emails),
        torch_threads=threads,
    )
    figures["embed_throughput_1_thread"] = fig(round(speed[1], 1), "emails/s", None, None)
    if source != "generated":
        figures.update(threshold_figures(emails))
    figures.update(noop_figures(emails))
    figures.update(search_figures(args.n, args.queries))

    text = json.dumps(figures, indent=2)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
