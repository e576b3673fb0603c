"""The compute dtype for model.dtype = "auto": bf16 only where the machine has bf16 units."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.training.hardware import CpuInfo, Probe, choose_compute, probe_matmul, read_cpu_info

FAST_BF16 = Probe(fp32_s=0.008, bf16_s=0.004)
SLOW_BF16 = Probe(fp32_s=0.008, bf16_s=0.080)


def test_a_cpu_without_bf16_units_gets_fp32_even_if_a_probe_says_otherwise() -> None:
    cpu = CpuInfo(frozenset({"avx2", "avx512f", "fma"}), apple_silicon=False)
    path = choose_compute("cpu", cpu, FAST_BF16)
    assert path.dtype == "float32"
    assert "no bf16 units" in path.why


@pytest.mark.parametrize(
    ("flags", "apple", "unit"),
    [
        ({"avx512f", "avx512_bf16"}, False, "AVX512-BF16"),
        ({"amx_tile", "amx_bf16"}, False, "AMX-BF16"),
        (set(), True, "Apple silicon"),
    ],
)
def test_a_cpu_with_bf16_units_gets_bf16_when_it_measures_faster(
    flags: set[str], apple: bool, unit: str
) -> None:
    path = choose_compute("cpu", CpuInfo(frozenset(flags), apple), FAST_BF16)
    assert path.dtype == "bfloat16"
    assert unit in path.why and "2.0x" in path.why


def test_units_that_measure_slower_keep_fp32() -> None:
    cpu = CpuInfo(frozenset({"avx512_bf16"}), apple_silicon=False)
    path = choose_compute("cpu", cpu, SLOW_BF16)
    assert path.dtype == "float32"
    assert "not faster" in path.why


def test_cpuinfo_flags_are_read_from_the_file(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_bf16\n\n"
        "processor\t: 1\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_bf16\n"
    )
    cpu = read_cpu_info(info)
    assert cpu.bf16_units[:2] == ("AMX-BF16", "AVX512-BF16")
    assert read_cpu_info(tmp_path / "missing").flags == frozenset()


def test_the_probe_measures_both_formats_and_this_machine_gets_a_reasoned_path() -> None:
    probe = probe_matmul("cpu")
    assert probe.fp32_s > 0 and probe.bf16_s > 0
    path = choose_compute("cpu")
    assert path.dtype in ("bfloat16", "float32") and path.why
    if not read_cpu_info().bf16_units:
        assert path.dtype == "float32"
