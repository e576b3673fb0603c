"""Reference: llama.cpp (through llama-cpp-python) drafting the same 1.5B shape on this CPU.

Run: PYTHONPATH=LLAMA_PY .venv/bin/python benchmarks/llamacpp_reference.py --src SDIST
     [--model-dir benchmarks/out/models/qwen2.5-1.5b] [--types q4_0,q8_0]

Not a project dependency and not run by run_all.py: it answers how close the project's own
engine (bench_scale.py) is to the engine CPU users already trust (Ollama, LM Studio). It needs
llama-cpp-python importable (LLAMA_PY: a `pip install --target` of its wheel, built from the
sdist, with diskcache and sentencepiece beside it) and SDIST, the unpacked llama-cpp-python
source, whose vendor/llama.cpp holds the converter. The model folder is scale_models.py's
(random weights, Qwen2.5-1.5B config, a tokenizer trained on test text): it is converted to a
bf16 GGUF (the converter does not know that tokenizer's pre-tokenizer and is told "qwen2"),
quantized by llama.cpp itself, then it reads a 1,084-token prompt and decodes 100 tokens on
all cores, as bench_scale's writer does. Writes benchmarks/out/llamacpp.json.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import runpy
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "llamacpp.json"
PROMPT_TOKENS = 1084  # bench_scale's 1.5B prompt
DECODE_TOKENS = 100


def convert(src: Path, model_dir: Path, gguf: Path) -> None:
    """The HF folder as a bf16 GGUF, through llama.cpp's own converter."""
    llama = src / "vendor" / "llama.cpp"
    sys.path[:0] = [str(llama), str(llama / "gguf-py")]
    import conversion.base as base  # type: ignore[import-not-found]

    base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "qwen2"
    sys.argv = ["convert", str(model_dir), "--outfile", str(gguf), "--outtype", "bf16"]
    runpy.run_path(str(llama / "convert_hf_to_gguf.py"), run_name="__main__")


def quantize(bf16: Path, kind: str) -> Path:
    import llama_cpp  # type: ignore[import-not-found]

    out = bf16.with_name(f"{bf16.stem.removesuffix('-bf16')}-{kind}.gguf")
    if not out.exists():
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{kind.upper()}")
        params.nthread = os.cpu_count() or 1
        rc = llama_cpp.llama_model_quantize(
            str(bf16).encode(), str(out).encode(), ctypes.byref(params)
        )
        if rc != 0:
            raise RuntimeError(f"llama_model_quantize to {kind} failed ({rc})")
    return out


def measure(gguf: Path) -> dict[str, float]:
    import llama_cpp

    threads = os.cpu_count() or 1
    llm = llama_cpp.Llama(
        model_path=str(gguf), n_ctx=2048, n_threads=threads, n_batch=512, verbose=False
    )
    rng = random.Random(0)
    prompt = [rng.randrange(1000, 30000) for _ in range(PROMPT_TOKENS)]
    start = time.perf_counter()
    llm.eval(prompt)
    prompt_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(DECODE_TOKENS):
        llm.eval([1234 + i])
    decode = DECODE_TOKENS / (time.perf_counter() - start)
    return {"prompt_s": prompt_s, "decode_tokens_s": decode, "gguf_gb": gguf.stat().st_size / 1e9}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--src", type=Path, required=True, help="unpacked llama-cpp-python sdist")
    parser.add_argument(
        "--model-dir", type=Path, default=ROOT / "benchmarks/out/models/qwen2.5-1.5b"
    )
    parser.add_argument("--types", default="q4_0,q8_0")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks/out/models")
    parser.add_argument("--child", nargs=2, metavar=("ACTION", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    bf16 = args.work / f"{args.model_dir.name}-bf16.gguf"
    if args.child:  # conversion and each measurement in their own process
        action, arg = args.child
        if action == "convert":
            convert(args.src, args.model_dir, bf16)
        else:
            print(json.dumps(measure(quantize(bf16, arg))))
        return 0
    import subprocess

    me = [sys.executable, __file__, "--src", str(args.src), "--model-dir", str(args.model_dir)]
    me += ["--work", str(args.work)]
    if not bf16.exists():
        subprocess.run([*me, "--child", "convert", "-"], check=True)
    figures: dict[str, Any] = {}
    for kind in args.types.split(","):
        run = subprocess.run([*me, "--child", "measure", kind], check=True, capture_output=True)
        r = json.loads(run.stdout.decode().strip().splitlines()[-1])
        print(f"{kind}: {r}", file=sys.stderr)
        figures[f"1.5b_llamacpp_{kind}_first_token_s"] = fig(r["prompt_s"], "s")
        figures[f"1.5b_llamacpp_{kind}_decode_tokens_s"] = fig(r["decode_tokens_s"], "tokens/s")
        figures[f"1.5b_llamacpp_{kind}_gguf_gb"] = fig(r["gguf_gb"], "GB")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def fig(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": unit, "target": None, "baseline": None}


if __name__ == "__main__":
    raise SystemExit(main())
