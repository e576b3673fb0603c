"""``python -m panza.daemon.demo.sample OUT.mbox [--truth T.jsonl] [--count N] [--seed S]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from panza.daemon.demo.sample.mailbox import generate, write_mbox, write_truth


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the sample persona's sent mailbox.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--truth", type=Path, help="also write ground truth JSONL here")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    messages = generate(args.count, args.seed)
    write_mbox(args.out, messages)
    if args.truth:
        write_truth(args.truth, messages)
    kept = sum(m.keep for m in messages)
    print(f"Wrote {len(messages)} messages ({kept} to keep) to {args.out}")


if __name__ == "__main__":
    main()
