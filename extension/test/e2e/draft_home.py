"""Make the PANZA_HOME in the environment able to draft, for the browser tests.

A tiny Llama built here from test text (no downloads), a dozen of the learning tests'
emails, and one `panza train` run: the daemon then has a current adapter and drafts
in a second or two on a CPU. Run with PANZA_HOME set (extension/test/e2e/daemon.js
does, after `panza init`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))  # the repository, for tests.corpus's emails

from panza.daemon import paths  # noqa: E402
from panza.daemon.cli import main as panza  # noqa: E402
from panza.daemon.store import Store  # noqa: E402
from panza.training.demo_corpus import documents  # noqa: E402
from panza.training.demo_model import TINY, build  # noqa: E402
from tests.corpus import EMAILS, add_emails  # noqa: E402

TRAINING = {
    "epochs": 2,
    "full_epochs": 2,
    "batch_size": 4,
    "micro_batch_size": 4,
    "learning_rate": 0.01,
    "max_length": 512,  # room for the prompt next to 384 new tokens (the draft default)
    "rag_share": 0.0,
    "playback_batch_size": 2,
}


def main() -> int:
    where = paths.resolve()
    texts = [f"{s}\n{t}\n{i}" for s, t, i in EMAILS] + list(documents(150, seed=1))
    base = build(where.data_dir / "models" / "tiny-llama", TINY, texts=texts)
    training = "\n".join(f"{k} = {json.dumps(v)}" for k, v in TRAINING.items())
    where.config_file.write_text(
        '[user]\nname = "Ada Whitfield"\nemails = ["ada.whitfield@gmail.com"]\n\n'
        f'[model]\nbase = {json.dumps(str(base))}\nplayback = "subject"\n\n'
        f"[training]\n{training}\n",
        encoding="utf-8",
    )
    with Store(where.db_file) as store:
        add_emails(store, EMAILS[:12])
    return panza(["train"])


if __name__ == "__main__":
    os.environ.setdefault("PANZA_TORCH_THREADS", "1")
    sys.exit(main())
