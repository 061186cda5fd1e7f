"""Process-wide settings a training run makes: torch's thread count and the C allocator's thresholds."""

from __future__ import annotations

import ctypes
import platform

import torch


def keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed memory for reuse instead of handing it back to the OS.

    A PPO update allocates and frees the same multi-megabyte activations for every minibatch; by
    default glibc serves blocks this large from fresh ``mmap`` pages, whose first-touch page faults
    cost 10-18% of a CPU update on one thread (benchmarks/bench_training.py times the baseline with
    and without it). Returns whether it was applied (not where the C library is not glibc).
    """
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt parameters from glibc's malloc.h
    # 32 MiB is the largest mmap threshold 64-bit glibc accepts; mallopt returns 1 on success.
    return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 1 << 30))


def set_up_process(torch_threads: int) -> None:
    """Set torch's intra-op threads and keep freed memory (:func:`keep_freed_memory`)."""
    torch.set_num_threads(torch_threads)
    keep_freed_memory()
