"""``make demo``: Panza's whole loop on an embedded sample, offline, in a throwaway PANZA_HOME.

Mail in (from a real local IMAP server when Dovecot is installed, else the
mbox file), playback, indexing, a RoSA training run, then the daemon and a
draft requested through the native messaging host exactly as the browser
extension does it. Every step runs the real ``panza`` command and shows its
output.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from panza.daemon import paths as panza_paths
from panza.daemon.client import DaemonUnavailable, wait_until_answers
from panza.daemon.config.edit import set_values
from panza.daemon.demo.sample import PERSONA, generate, write_mbox
from panza.native_host import framing
from panza.native_host.ids import CHROME_EXTENSION_ID

SAMPLE_SIZE = 200
DEMO_BASE = "panza-demo"
# The tiny demo model learns nothing at the reference 1e-5 (meant for 7-8B models).
DEMO_TRAINING = {
    "learning_rate": 2e-3,
    "epochs": 5,
    "batch_size": 8,
    "micro_batch_size": 8,
    "max_length": 256,
}
INSTRUCTION = "Tell Priya I can't travel in June but could give the talk online; send my link."


class Demo:
    """The demo's state: its home, environment and the processes it started."""

    def __init__(self, home: Path, base: str, training: dict[str, Any]) -> None:
        self.home = home
        self.base = base
        self.training = training
        self.where = panza_paths.resolve({"PANZA_HOME": str(home)})
        self.env = {
            **os.environ,
            "PANZA_HOME": str(home),
            "HF_HUB_OFFLINE": "1",
            # A throwaway file keyring inside the demo folder, chosen explicitly.
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "XDG_DATA_HOME": str(home / "keyring"),
        }
        self.step_no = 0

    def step(self, title: str) -> None:
        self.step_no += 1
        print(f"\n== {self.step_no}. {title}", flush=True)

    def panza(self, *args: str, stdin: str | None = None, show: bool = True) -> str:
        """Run ``panza ARGS`` as a user would, echoing the command and its output."""
        if show:
            print(f"$ panza {' '.join(args)}", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "panza.daemon.cli", *args],
            env=self.env,
            text=True,
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=None if show else subprocess.PIPE,
            check=False,
        )
        if show and result.stdout:
            print(result.stdout, end="", flush=True)
        if result.returncode != 0:
            raise SystemExit(f"demo step failed: panza {' '.join(args)}")
        return result.stdout

    # --- the steps -----------------------------------------------------------------------
    def configure(self) -> None:
        self.panza(
            "init", "--name", PERSONA.name, "--email", PERSONA.address, "--email", PERSONA.alias
        )
        set_values(
            self.where.config_file,
            {
                (
                    "user",
                    "facts",
                ): f"Office hours link: {PERSONA.meeting_link}; phone {PERSONA.phone}",
                ("model", "base"): self.base,
                # The demo model cannot follow instructions; each email's subject stands in.
                ("model", "playback"): "subject",
                **{("training", k): v for k, v in self.training.items()},
            },
        )
        print(f"Base model: {self.base}; instructions: each email's subject line (stand-in)")

    def mail_in(self, mbox: Path, messages: list[Any]) -> None:
        from panza.daemon.demo.sample import dovecot

        binary = dovecot.dovecot_binary()
        if binary is None:
            print(
                "Dovecot is not installed: importing the mailbox file instead of syncing"
                " it from a local IMAP server."
            )
            self.panza("import", str(mbox))
            return
        tls = dovecot.make_self_signed(self.home / "imap-tls")
        server = dovecot.Dovecot(binary, tls).start()
        try:
            print(
                f"Serving the mailbox from a local Dovecot IMAP server on 127.0.0.1:"
                f"{server.tls_port} (TLS with a self-signed certificate)"
            )
            with server.client("ada") as client:
                dovecot.append(client, [msg.raw for msg in messages])
            self.panza(
                "account",
                "add",
                "imap",
                "demo",
                "--host",
                "127.0.0.1",
                "--port",
                str(server.tls_port),
                "--user",
                "ada",
                "--ca-file",
                str(tls.cert),
                "--password-stdin",
                stdin=dovecot.PASSWORD + "\n",
            )
            self.panza("sync")
        finally:
            server.stop()
            server.cleanup()

    def draft_through_host(self) -> dict[str, Any]:
        """Start the daemon, then ask for a draft via the native host as the browser does."""
        daemon = subprocess.Popen(
            [sys.executable, "-m", "panza.daemon.cli", "daemon"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_for_daemon(daemon)
            print(f"Daemon running (pid {daemon.pid}); starting the native host as Chrome does:")
            print(f"  python -m panza.native_host chrome-extension://{CHROME_EXTENSION_ID}/")
            with subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "panza.native_host",
                    f"chrome-extension://{CHROME_EXTENSION_ID}/",
                ],
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            ) as host:
                assert host.stdin is not None and host.stdout is not None
                request = {
                    "v": 1,
                    "id": "demo1",
                    "method": "draft",
                    "params": {"instruction": INSTRUCTION, "max_new_tokens": 80},
                }
                print(f"Instruction: {INSTRUCTION}\nDraft (streamed token by token):\n")
                _write_frame(host.stdin, request)
                reply = _stream_reply(host.stdout, "demo1")
                host.stdin.close()  # the browser closing the port ends the host
                host.wait(30)
            return reply
        finally:
            daemon.terminate()
            daemon.wait(60)

    def _wait_for_daemon(self, daemon: subprocess.Popen[bytes]) -> None:
        try:
            wait_until_answers(self.where.socket_file, lambda: daemon.poll() is None)
        except DaemonUnavailable as exc:
            raise SystemExit(f"{exc}; see data/logs/daemon.log") from None


def _write_frame(stream: IO[bytes], message: dict[str, Any]) -> None:
    stream.write(framing.encode(message))
    stream.flush()


def _stream_reply(stream: IO[bytes], request_id: str) -> dict[str, Any]:
    reader = framing.FrameReader(stream)
    while True:
        message = reader.read()
        if message is None:
            raise SystemExit("the native host closed before replying")
        if isinstance(message, framing.FrameError) or message.get("id") != request_id:
            continue
        if message.get("event") == "token":
            print(message["text"], end="", flush=True)
        elif message.get("event") == "progress":
            print(f"[{message.get('stage')}]", flush=True)
        elif "ok" in message:
            print("\n")
            if not message["ok"]:
                error = message["error"]
                raise SystemExit(f"draft failed: {error['message']} ({error['code']})")
            return dict(message["result"])


def pick_base() -> tuple[str, bool]:
    """A configured or cached real model when there is one, else the locally built demo model."""
    chosen = os.environ.get("PANZA_DEMO_BASE", "").strip()
    if chosen:
        return chosen, True
    from panza.training.model import suggest_base_model

    cache = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"
    suggested = suggest_base_model().model
    if (cache / f"models--{suggested.replace('/', '--')}").is_dir():
        return suggested, True
    return DEMO_BASE, False


def run(
    home: Path,
    base: str,
    real: bool,
    count: int = SAMPLE_SIZE,
    training: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every step of the demo in ``home``; returns the draft reply's result."""
    started = time.monotonic()
    demo = Demo(home, base, DEMO_TRAINING if training is None else training)
    print(f"Panza demo in a throwaway PANZA_HOME={home}")
    if real:
        print(f"Using the real base model {base} (training a real model on a CPU is slow).")
    else:
        print(
            "No base model is configured or cached, so the demo builds and pre-trains a"
            " tiny Llama-style model on this machine (about two minutes, once). A model this"
            " small writes far worse than a real 1-8B model: expect the persona's words and"
            " phrases, not good emails."
        )

    demo.step("A sample mailbox: the sent mail of a persona, in 20 mail-client formats")
    messages = generate(count)
    mbox = home / "sample-sent.mbox"
    write_mbox(mbox, messages)
    print(f"{len(messages)} messages of {PERSONA.name}: {mbox}")

    demo.step("Configure Panza for the persona")
    demo.configure()

    demo.step("Mail in")
    demo.mail_in(mbox, messages)
    demo.panza("emails", "--limit", "3")

    demo.step("Data playback: one instruction per email")
    demo.panza("playback")

    demo.step("Index the emails for retrieval")
    demo.panza("index")
    demo.panza("search", "travel in June, give the talk online", "--k", "2")

    demo.step("Train a RoSA adapter (LoRA + 1% sparse) on (instruction -> email) pairs")
    demo.panza("train")

    demo.step("Start the daemon and draft through the native messaging host")
    result = demo.draft_through_host()
    print(f"Adapter: v{result['adapter_version']:04d}")
    print("Retrieved past emails:")
    for item in result["retrieved"] or [{"subject": "(none above the threshold)"}]:
        score = f"{item['score']:.2f}  " if "score" in item else ""
        print(f"  {score}{(item.get('date') or '')[:10]}  {item['subject']}")
    timings = result["timings"]
    print(
        f"Timings: first token after {timings['first_token_s']} s, draft done in"
        f" {timings['total_s']} s (model load {timings['load_s']} s)"
    )
    print(
        f"\nDemo finished in {time.monotonic() - started:.0f} s. Everything lives under"
        f" {home}; delete it with: rm -rf {home}"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="Panza's whole loop on an embedded sample.")
    parser.add_argument("--home", type=Path, help="use this folder (default: a new temp dir)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="panza-demo-"))
    base, real = pick_base()
    run(home, base, real)
    return 0
