"""A synthetic persona's sent mailbox with ground truth, for the demo and the tests."""

from panza.daemon.demo.sample.mailbox import (
    PERSONA,
    SampleMessage,
    generate,
    write_mbox,
    write_truth,
)

__all__ = ["PERSONA", "SampleMessage", "generate", "write_mbox", "write_truth"]
