"""Which numeric format this machine computes in: bf16 where it has bf16 units, fp32 where not.

bf16 matmuls run on AMX or AVX512-BF16 units (recent Xeons and Zen 4+), on Apple silicon
from M2 on, and on CUDA GPUs; on other CPUs PyTorch emulates them and they crawl. The
flags say whether the units exist; a small matmul probe (run once per process) confirms
that bf16 is actually faster before it is chosen. Measured on a 2-core Xeon with
AVX512-BF16 (torch 2.13, 256 x 1024 x 1024): fp32 8.3 ms, bf16 4.0 ms (2.1x); at the
512 x 1536 x 1536 of a 1.5B model's attention projections, 19.6 ms vs 6.3 ms (3.1x).
"""

from __future__ import annotations

import functools
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# bf16 must beat fp32 by this factor on the probe: it carries 8 bits of mantissa, so it is
# only worth choosing when it is clearly faster (CPUs with units measure 2-3x).
BF16_MIN_SPEEDUP = 1.3
PROBE_SHAPE = (256, 1024, 1024)
PROBE_REPEATS = 3
CPU_UNIT_FLAGS = {"amx_bf16": "AMX-BF16", "avx512_bf16": "AVX512-BF16"}


@dataclass(frozen=True)
class CpuInfo:
    """What the CPU says about itself: its feature flags and whether it is Apple silicon."""

    flags: frozenset[str]
    apple_silicon: bool

    @property
    def bf16_units(self) -> tuple[str, ...]:
        """Names of the bf16 matmul units present (empty when there are none)."""
        units = tuple(name for flag, name in CPU_UNIT_FLAGS.items() if flag in self.flags)
        return (*units, "Apple silicon") if self.apple_silicon else units


@dataclass(frozen=True)
class Probe:
    """Seconds per probe matmul in each format."""

    fp32_s: float
    bf16_s: float

    @property
    def speedup(self) -> float:
        return self.fp32_s / max(self.bf16_s, 1e-12)


@dataclass(frozen=True)
class ComputePath:
    """The compute dtype chosen for a device, and why (shown by `panza doctor`)."""

    device: str
    dtype: str  # "bfloat16" or "float32"
    why: str
    probe: Probe | None = None

    @property
    def bf16(self) -> bool:
        return self.dtype == "bfloat16"

    def torch_dtype(self) -> torch.dtype:
        import torch

        return torch.bfloat16 if self.bf16 else torch.float32


def read_cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuInfo:
    """The flags from /proc/cpuinfo (Linux; empty elsewhere) and the Apple silicon check."""
    flags: set[str] = set()
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):
                flags.update(value.split())
    except OSError:
        pass
    apple = platform.system() == "Darwin" and platform.machine() == "arm64"
    return CpuInfo(frozenset(flags), apple)


@functools.lru_cache(maxsize=4)
def probe_matmul(device: str = "cpu") -> Probe:
    """Time a small matmul in fp32 and in bf16 on `device` (cached for the process)."""
    import torch

    n, k, m = PROBE_SHAPE
    gen = torch.Generator().manual_seed(0)
    a32, b32 = torch.randn(n, k, generator=gen), torch.randn(k, m, generator=gen)
    times = []
    for dtype in (torch.float32, torch.bfloat16):
        a, b = a32.to(device, dtype), b32.to(device, dtype)
        best = float("inf")
        for _ in range(PROBE_REPEATS + 1):  # the first run warms up kernels and caches
            _sync(device)
            start = time.perf_counter()
            torch.matmul(a, b)
            _sync(device)
            best = min(best, time.perf_counter() - start)
        times.append(best)
    return Probe(times[0], times[1])


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()
    elif device.startswith("mps"):
        torch.mps.synchronize()


def choose_compute(
    device: str = "cpu", cpu: CpuInfo | None = None, probe: Probe | None = None
) -> ComputePath:
    """bf16 on CUDA with bf16 support, and on CPUs/MPS with bf16 units that measure faster;
    fp32 otherwise. `cpu` and `probe` default to this machine's (tests pass fakes)."""
    kind = device.split(":")[0]
    if kind == "cuda":
        import torch

        if torch.cuda.is_bf16_supported():
            return ComputePath(device, "bfloat16", "the CUDA GPU computes in bf16")
        return ComputePath(device, "float32", "this CUDA GPU has no bf16 support")
    info = cpu if cpu is not None else read_cpu_info()
    units = info.bf16_units
    if kind == "cpu" and not units:
        return ComputePath(
            device, "float32", "the CPU has no bf16 units (AMX, AVX512-BF16): bf16 would crawl"
        )
    try:
        measured = probe if probe is not None else probe_matmul(device)
    except (RuntimeError, TypeError) as exc:  # an MPS without bf16 kernels
        return ComputePath(device, "float32", f"bf16 does not run here ({exc})")
    has = ", ".join(units) if units else device
    figures = (
        f"bf16 matmul {measured.bf16_s * 1e3:.1f} ms vs fp32 {measured.fp32_s * 1e3:.1f} ms"
        f" ({measured.speedup:.1f}x)"
    )
    if measured.speedup >= BF16_MIN_SPEEDUP:
        return ComputePath(device, "bfloat16", f"{has}: {figures}", measured)
    return ComputePath(
        device, "float32", f"{has}, but bf16 is not faster here: {figures}", measured
    )
