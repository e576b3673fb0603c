"""``make demo``: Panza's main job on an embedded sample, in a throwaway PANZA_HOME.

Generates the sample persona's sent mailbox, then runs the same ``panza``
commands a user would, printing each command and its real output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from panza.daemon.sample import PERSONA, generate, write_mbox

SAMPLE_SIZE = 200


def run(*args: str, env: dict[str, str], show: bool = True) -> str:
    """Run ``panza ARGS`` as a user would; ``show`` echoes the command first."""
    if show:
        print(f"\n$ panza {' '.join(args)}", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", "panza.daemon.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise SystemExit(f"demo step failed: panza {' '.join(args)}")
    return result.stdout


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="panza-demo-"))
    env = {**os.environ, "PANZA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    print(f"Panza demo in a throwaway PANZA_HOME={home}")
    messages = generate(SAMPLE_SIZE)
    mbox = home / "sample-sent.mbox"
    write_mbox(mbox, messages)
    kinds = len({m.kind for m in messages})
    print(
        f"Generated {len(messages)} sent messages of {PERSONA.name} in {kinds} mail-client"
        f" formats: {mbox}"
    )

    print(
        run(
            "init",
            "--name",
            PERSONA.name,
            "--email",
            PERSONA.address,
            "--email",
            PERSONA.alias,
            env=env,
        ),
        end="",
    )
    print(run("import", str(mbox), env=env), end="")
    print(run("import", str(mbox), env=env).splitlines()[0], "(idempotent)")
    listing = run("emails", "--limit", "5", env=env)
    print(listing, end="")

    kept = {e["message_id"]: e for e in json.loads(run("emails", "--json", env=env, show=False))}
    exact = sum(
        1
        for m in messages
        if m.keep
        and m.message_id in kept
        and " ".join(kept[m.message_id]["text"].split()) == " ".join((m.text or "").split())
    )
    expected = sum(m.keep for m in messages)
    print(f"\nExtracted exactly as written: {exact}/{expected} of the persona's own emails.")

    sample = next(m for m in messages if m.kind == "reply_outlook")
    raw = sample.raw.decode("utf-8", "replace").split("\n\n", 1)[1]
    print("\nOne message as sent (Outlook reply):")
    print(textwrap.indent(raw.strip(), "  | ", lambda _: True))
    print("What Panza learns from it (quote and header block stripped):")
    print(textwrap.indent(kept[sample.message_id]["text"], "  > ", lambda _: True))
    print(f"\nEverything lives under {home}; delete it with: rm -rf {home}")
    return 0 if exact == expected else 1


if __name__ == "__main__":
    sys.exit(main())
