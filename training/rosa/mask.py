"""Mask generation (gradient scores through hooks, top-k per layer) and mask files.

Scores live on the CPU, one dense out x in tensor per layer: the accelerator only ever
holds one layer's G = dO^T X at a time, for the duration of one hook call. `score_dtype`
bf16 halves them (2 bytes per adapted weight: 2.6 GB instead of 5.2 GB for a 1.5B model);
each sample is still computed in fp32, and only the ranking of the sums matters, which
bf16's 8-bit mantissa keeps up to near-ties. For models whose scores would not fit in RAM,
`score_dir` keeps them in memory-mapped files instead, which the OS pages to disk as needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from panza.training.atomic import replace_atomically
from panza.training.rosa.config import GradMode
from panza.training.rosa.errors import AdapterFormatError, MaskError
from panza.training.rosa.layer import RosaLinear

MASK_FORMAT = "panza-rosa-masks"
MASK_FORMAT_VERSION = 1


class GradientCollector:
    """Accumulates per-layer scores from G = dO^T X, one sample per layer per backward pass."""

    def __init__(
        self,
        layers: Mapping[str, RosaLinear],
        mode: GradMode = "mean_squared",
        score_device: torch.device | str = "cpu",
        score_dir: str | Path | None = None,
        score_dtype: torch.dtype = torch.float32,
    ) -> None:
        if mode not in ("mean_squared", "mean"):
            raise MaskError(f"grad mode must be 'mean_squared' or 'mean', got {mode!r}")
        self.layers = dict(layers)
        self.mode: GradMode = mode
        self.score_device = torch.device(score_device)
        self.score_dir = Path(score_dir) if score_dir is not None else None
        self.score_dtype = score_dtype
        if self.score_dir is not None and self.score_device.type != "cpu":
            raise MaskError(
                "score_dir keeps scores in CPU memory-mapped files; use score_device cpu"
            )
        self._files: list[Path] = []
        self._sums: dict[str, Tensor] = {}
        self._counts: dict[str, int] = {}
        self._handles: list[RemovableHandle] = []

    @property
    def active(self) -> bool:
        return bool(self._handles)

    def start(self) -> None:
        """Attach the hooks; every later backward pass through a layer adds one sample."""
        if self.active:
            return
        for name, layer in self.layers.items():
            self._handles.append(layer.register_forward_hook(self._forward_hook(name)))

    def stop(self) -> None:
        """Detach the hooks; the scores gathered so far are kept."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def close(self) -> None:
        """Stop, drop the scores and delete any score files."""
        self.stop()
        self._sums.clear()
        self._counts.clear()
        for f in self._files:
            f.unlink(missing_ok=True)
        self._files.clear()

    def samples(self, name: str) -> int:
        """How many samples (backward passes) layer `name` has contributed."""
        return self._counts.get(name, 0)

    def score(self, name: str) -> Tensor:
        """The running mean of G (mode "mean") or of G squared ("mean_squared") for one layer."""
        if name not in self._sums:
            raise MaskError(f"no gradient was collected for layer {name!r}")
        return self._sums[name].float() / self._counts[name]

    def masks(self) -> dict[str, Tensor]:
        """Per layer, the sorted flat positions of the top-k |score| (k from its density)."""
        # Dividing by the sample count does not change the ranking: rank the sums as kept.
        out = {}
        for name, layer in self.layers.items():
            if name not in self._sums:
                raise MaskError(f"no gradient was collected for layer {name!r}")
            out[name] = topk_index(self._sums[name], layer.k, layer.row_parts)
        return out

    def _forward_hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: tuple[Any, ...], output: Tensor) -> Tensor | None:
            if not torch.is_grad_enabled():
                return None
            x2d = args[0].detach().reshape(-1, args[0].shape[-1])
            changed = None
            if not output.requires_grad:
                # Nothing upstream trains (spa_only collection): a zero that needs grad
                # makes backward reach every layer without changing any value.
                probe = torch.zeros((), dtype=output.dtype, device=output.device)
                output = changed = output + probe.requires_grad_()
            output.register_hook(lambda g: self._add(name, x2d, g))  # type: ignore[no-untyped-call]
            return changed

        return hook

    def _add(self, name: str, x2d: Tensor, grad_out: Tensor) -> None:
        g2d = grad_out.detach().reshape(-1, grad_out.shape[-1])
        # A bf16 forward gives bf16 activations and gradients: their product runs on the bf16
        # units (fp32 accumulation), 2-3x faster than in fp32, and the score keeps only a
        # ranking. This dense out x in product per layer and micro-batch is most of the
        # mask step's cost (about 1.3 TFLOP per 512 tokens at 1.5B).
        low = g2d.dtype in (torch.bfloat16, torch.float16) and x2d.dtype == g2d.dtype
        sample = g2d.t() @ x2d if low else g2d.float().t() @ x2d.float()
        sample = sample.float()
        if self.mode == "mean_squared":
            sample.square_()
        sample = sample.to(self.score_device, self.score_dtype)
        if name in self._sums:
            self._sums[name].add_(sample)
            self._counts[name] += 1
            return
        if self.score_dir is None:
            self._sums[name] = sample
        else:
            self.score_dir.mkdir(parents=True, exist_ok=True)
            path = self.score_dir / f"score-{len(self._files):05d}.bin"
            self._files.append(path)
            mapped = torch.from_file(
                str(path), shared=True, size=sample.numel(), dtype=self.score_dtype
            )
            self._sums[name] = mapped.view(sample.shape).copy_(sample)
        self._counts[name] = 1


def topk_index(score: Tensor, k: int, row_parts: Sequence[int] = ()) -> Tensor:
    """Sorted flat row-major positions of the k largest |score| entries (int64); with
    `row_parts` (row counts of stacked projections), each part gets k in proportion to
    its rows, chosen within it."""
    if k == 0:
        return torch.zeros(0, dtype=torch.int64)
    if len(row_parts) > 1:
        if score.dim() != 2 or sum(row_parts) != score.shape[0]:
            raise MaskError(f"row parts {tuple(row_parts)} do not stack to the score's rows")
        width, rows = score.shape[1], score.shape[0]
        shares = [k * n // rows for n in row_parts]
        for i in range(k - sum(shares)):  # the rounding remainder, one each
            shares[i] += 1
        starts = [sum(row_parts[:i]) for i in range(len(row_parts))]
        blocks = [
            topk_index(score[r0 : r0 + n], share) + r0 * width
            for r0, n, share in zip(starts, row_parts, shares, strict=True)
        ]
        return torch.cat(blocks)
    flat = score.reshape(-1).abs()  # a layer-sized copy, freed on return
    if k > flat.numel():
        raise MaskError(f"k={k} exceeds the {flat.numel()} entries of the score")
    return torch.topk(flat, k, sorted=False).indices.sort().values.to(torch.int64)


def save_masks(
    path: str | Path, masks: Mapping[str, Tensor], shapes: Mapping[str, tuple[int, int]]
) -> None:
    """Write per-layer positions (int64) and shapes to one safetensors file, atomically."""
    if set(masks) != set(shapes):
        raise MaskError("masks and shapes must name the same layers")
    tensors = {
        name: idx.detach().to("cpu", torch.int64).contiguous() for name, idx in masks.items()
    }
    meta = {
        "format": MASK_FORMAT,
        "version": str(MASK_FORMAT_VERSION),
        "shapes": json.dumps({n: list(s) for n, s in shapes.items()}, sort_keys=True),
    }
    replace_atomically(Path(path), lambda tmp: save_file(tensors, str(tmp), metadata=meta))


def load_masks(path: str | Path) -> tuple[dict[str, Tensor], dict[str, tuple[int, int]]]:
    """Read a file written by save_masks: (positions per layer, shape per layer)."""
    p = Path(path)
    if not p.is_file():
        raise AdapterFormatError(f"mask file not found: {p}")
    from safetensors import safe_open

    with safe_open(str(p), framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != MASK_FORMAT:
        raise AdapterFormatError(f"{p} is not a RoSA mask file (format {meta.get('format')!r})")
    if int(meta.get("version", "0")) > MASK_FORMAT_VERSION:
        raise AdapterFormatError(f"{p} has mask format version {meta['version']}, newer than ours")
    shapes = {n: (int(s[0]), int(s[1])) for n, s in json.loads(meta["shapes"]).items()}
    return load_file(str(p)), shapes
