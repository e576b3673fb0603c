"""Quantized drafting copies (issue 16): built once per version, used for drafts, replaced by
a new version's copy, left intact by a crash mid-build; they generate on each architecture."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from panza.daemon import paths
from panza.daemon.config import load_config
from panza.daemon.protocol import DraftParams
from panza.daemon.server.operations import Service
from panza.daemon.server.writer import Draft, Writer
from panza.daemon.store import Store
from panza.daemon.store.state import (
    adapter_path,
    add_adapter_version,
    current_adapter,
    set_current_adapter,
)
from panza.training import drafting, quant
from panza.training.model import ModelSpec
from panza.training.sampling import GREEDY

pytestmark = pytest.mark.integration

PARAMS = DraftParams.model_validate(
    {"instruction": "Ask Tom about the cluster budget", "temperature": 0, "max_new_tokens": 12}
)


@pytest.fixture
def service(trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    home = tmp_path / "home"
    shutil.copytree(trained, home)
    monkeypatch.setenv("PANZA_HOME", str(home))
    where = paths.resolve()
    with Store(where.db_file) as store:
        # the copied store still names the module's adapter folders: point it at ours
        with store.write() as conn:
            conn.execute(
                "UPDATE adapter_versions SET path = replace(path, ?, ?)", (str(trained), str(home))
            )
        yield Service(where, load_config(where.config_file), store)


def write(writer: Writer) -> tuple[Draft, list[str]]:
    pieces: list[str] = []
    draft = writer.write(PARAMS, pieces.append, threading.Event())
    return draft, pieces


def add_version(service: Service) -> int:
    """A new current version: the current one's weights, without its drafting copy."""
    conn = service.store.conn
    old = current_adapter(conn)
    assert old is not None
    new = old + 1
    target = service.paths.adapters_dir / f"v{new:04d}"
    shutil.copytree(adapter_path(conn, old), target, ignore=shutil.ignore_patterns("draft-*"))
    method = conn.execute("SELECT method FROM adapter_versions WHERE version = ?", (old,))
    with service.store.write() as w:
        add_adapter_version(w, new, str(target), method.fetchone()[0], "accepted", parent=old)
        set_current_adapter(w, new)
    return new


def test_copy_is_built_used_and_replaced_by_the_next_versions(service: Service) -> None:
    writer = Writer(service, min_copy_bytes=0)
    first, pieces = write(writer)
    assert first.engine not in quant.SCHEMES and first.adapter_version == 1  # no copy yet
    assert "".join(pieces).strip() == first.text
    writer.wait_for_copy(120)
    v1 = adapter_path(service.store.conn, 1)
    assert (drafting.copy_dir(v1) / drafting.MANIFEST).is_file()

    second, pieces = write(writer)
    assert second.engine == "int4" and second.adapter_version == 1
    # (a 32-wide model in 4 bits may well stop at once: what it writes is not the point here)
    assert "".join(pieces).strip() == second.text

    assert add_version(service) == 2
    third, _ = write(writer)
    assert third.engine not in quant.SCHEMES and third.adapter_version == 2
    writer.wait_for_copy(120)
    fourth, _ = write(writer)
    assert (fourth.engine, fourth.adapter_version) == ("int4", 2)
    assert drafting.CopyManifest.read(drafting.copy_dir(v1.parent / "v0002")).version == 2

    # a fresh writer (a restarted daemon) starts on the copy at once
    fresh, _ = write(Writer(service, min_copy_bytes=0))
    assert (fresh.engine, fresh.adapter_version) == ("int4", 2)


def test_a_model_that_fits_in_cache_gets_no_copy(service: Service) -> None:
    writer = Writer(service)  # the default threshold: the tiny model is far below it
    draft, _ = write(writer)
    writer.wait_for_copy(120)
    assert draft.engine not in quant.SCHEMES
    assert not drafting.copy_dir(adapter_path(service.store.conn, 1)).exists()
    assert write(writer)[0].engine == draft.engine


CRASHING_BUILD = """
import os, sys
import safetensors.torch
from pathlib import Path
from panza.training import drafting
from panza.training.model import ModelSpec
from panza.training.sampling import GREEDY

def crash(tensors, filename, *args, **kwargs):
    with open(filename, "wb") as f:
        f.write(b"half a file")
        f.flush()
    os._exit(9)  # killed mid-write: no cleanup, no exception handlers

safetensors.torch.save_file = crash
spec, adapter = ModelSpec(sys.argv[1]), Path(sys.argv[2])
drafting.build_copy(drafting.load_merged(spec, adapter, int(sys.argv[3])), spec, adapter)
"""


def crash_while_building(service: Service, version: int) -> None:
    spec = ModelSpec(str(service.config.model.base))
    adapter = adapter_path(service.store.conn, version)
    env = {**os.environ, "PANZA_TORCH_THREADS": "1"}
    args = [sys.executable, "-c", CRASHING_BUILD, spec.name, str(adapter), str(version)]
    assert subprocess.run(args, env=env, timeout=300).returncode == 9
    assert list(adapter.glob(".draft-*.partial-*"))  # the half-written copy, hidden


def test_a_crash_while_building_leaves_the_previous_copy_in_use(service: Service) -> None:
    writer = Writer(service, min_copy_bytes=0)
    write(writer)
    writer.wait_for_copy(120)
    v1 = adapter_path(service.store.conn, 1)
    before = {p.name: p.read_bytes() for p in drafting.copy_dir(v1).iterdir()}

    crash_while_building(service, 1)  # rebuilding v1's copy
    assert {p.name: p.read_bytes() for p in drafting.copy_dir(v1).iterdir()} == before
    draft, _ = write(Writer(service, min_copy_bytes=0))
    assert (draft.engine, draft.adapter_version) == ("int4", 1)

    version = add_version(service)
    crash_while_building(service, version)  # building v2's first copy
    assert not drafting.copy_dir(adapter_path(service.store.conn, version)).exists()
    draft, _ = write(writer)  # v2 drafts unquantized, then its copy is built cleanly
    assert draft.engine not in quant.SCHEMES and draft.adapter_version == version
    writer.wait_for_copy(120)
    assert not list(adapter_path(service.store.conn, version).glob(".draft-*.partial-*"))
    draft, _ = write(writer)
    assert (draft.engine, draft.adapter_version) == ("int4", version)


def test_every_engine_takes_the_same_prompt_stops_and_sampling(service: Service) -> None:
    writer = Writer(service, min_copy_bytes=0)
    seen: list[tuple[str, list[int], list[int]]] = []
    real = writer._generate

    def spy(draft: drafting.DraftModel, params: Any, prompt: list[int], *rest: Any) -> Any:
        seen.append((draft.engine, prompt, draft.stop_ids))
        return real(draft, params, prompt, *rest)

    writer._generate = spy  # type: ignore[method-assign]
    write(writer)
    writer.wait_for_copy(120)
    write(writer)
    (engine_a, prompt_a, stops_a), (engine_b, prompt_b, stops_b) = seen
    assert engine_a not in quant.SCHEMES and engine_b == "int4"
    assert prompt_a == prompt_b and stops_a == stops_b and stops_a


ARCHITECTURES = ["llama", "qwen2", "qwen3", "mistral", "gemma2", "gemma3_text", "phi3"]


def tiny_config(arch: str, tokenizer: Any) -> Any:
    from transformers import AutoConfig

    extra: dict[str, Any] = {"head_dim": 16} if arch.startswith(("gemma", "qwen3")) else {}
    if arch.startswith("gemma"):
        extra["sliding_window"] = 16
    return AutoConfig.for_model(
        arch,
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,  # Phi-3's default (32000) is past this vocabulary
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        **extra,
    )


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_quantized_copy_generates_on(
    arch: str, tiny_base: Path, tokenizer: Any, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config(arch, tokenizer)).eval()
    merged = drafting.wrap(model, tokenizer, 1, "float32")
    spec = ModelSpec(str(tiny_base))  # its tokenizer
    copy = drafting.build_copy(merged, spec, tmp_path)
    layers = drafting.CopyManifest.read(drafting.copy_dir(tmp_path)).layers
    # The output matrix is 4-bit too where the kernel takes its shape (outputs in 16s).
    assert layers["lm_head"] == ("int4" if model.config.vocab_size % 16 == 0 else "int8")
    assert sum(kind == "int4" for kind in layers.values()) >= 2 * 4  # attention and MLP
    if arch == "phi3":  # the fused projections are quantized whole
        assert layers["model.layers.0.self_attn.qkv_proj"] == "int4"
        assert layers["model.layers.0.mlp.gate_up_proj"] == "int4"
    assert quant.weight_bytes(copy.model) < quant.weight_bytes(model) / 2.5

    ids = torch.tensor([tokenizer("Dear Tom, thank you for the report")["input_ids"]])
    with torch.no_grad():
        want, got = model(ids).logits, copy.model(ids).logits
    # Close, not equal: 4-bit rounding of random weights moves each logit a little.
    assert torch.cosine_similarity(got.flatten(), want.flatten(), dim=0) > 0.95
    assert "".join(copy.stream(ids[0].tolist(), 8, GREEDY))

    loaded = drafting.load_copy(spec, tmp_path)  # from disk, as a restarted daemon does
    assert loaded is not None and loaded.engine == "int4"
    with torch.no_grad():
        assert torch.equal(loaded.model(ids).logits, got)
    assert drafting.load_copy(ModelSpec(str(tmp_path)), tmp_path) is None  # another base


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_cuda_drafts_stream_from_bf16_without_a_copy(tokenizer: Any) -> None:
    from transformers import AutoModelForCausalLM

    from panza.training.sampling import DRAFT_SAMPLING

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config("qwen2", tokenizer))
    draft = drafting.wrap(model.to("cuda", torch.bfloat16).eval(), tokenizer, 1, "bfloat16")
    assert not drafting.copies_wanted(draft.model, 0)  # the GPU is fast enough as is
    ids = tokenizer("Dear Tom, thank you for the report")["input_ids"]
    pieces = list(draft.stream(ids, 8, DRAFT_SAMPLING))
    greedy = "".join(draft.stream(ids, 8, GREEDY))
    assert pieces and greedy == "".join(draft.stream(ids, 8, GREEDY))  # deterministic
