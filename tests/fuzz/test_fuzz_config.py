"""Config loading: any file ends in a Config or a ConfigError that never echoes a secret."""

from __future__ import annotations

from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from panza.daemon.config import Config
from panza.daemon.config.load import parse_config
from panza.daemon.errors import ConfigError
from tests.fuzz.conftest import logged

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(300)]
MARK = "S3CRET"  # carried by every value put in a secret field; no error message may


def _sections() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, field in Config.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out[name] = list(ann.model_fields)
    return out


SECTIONS = _sections()
keys = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
scalars = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
secrets = st.text(max_size=20).map(lambda s: MARK + s)
secret_values = (
    secrets
    | st.lists(secrets, min_size=1, max_size=2)
    | st.dictionaries(keys, secrets, min_size=1, max_size=2)
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "accounts"]) | keys, max_size=5)):
        names = SECTIONS.get(section, [])
        chosen = draw(st.lists(st.sampled_from(names) | keys if names else keys, max_size=5))
        doc[section] = {k: draw(values) for k in chosen}
    if draw(st.booleans()):
        doc["user"] = {
            "name": MARK + "Ada",
            "emails": [MARK + "@example.org"],
            **doc.get("user", {}),
        }
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["imap", "gmail", "pop"]))
        doc["accounts"] = {
            "work": {"kind": kind, **draw(st.dictionaries(keys, values, max_size=4))}
        }
    if draw(st.booleans()):
        model = doc.get("model") if isinstance(doc.get("model"), dict) else {}
        doc["model"] = {**model, "hf_token": draw(secret_values)}
    return doc


def outcome(raw: bytes) -> None:
    with logged() as records:
        try:
            config = parse_config(raw)
        except ConfigError as exc:
            text = str(exc)
            assert text and MARK not in text
        else:
            assert isinstance(config, Config)
    assert records == []


@given(documents())
def test_random_documents(doc: dict[str, Any]) -> None:
    outcome(tomli_w.dumps(doc).encode())


@given(st.binary(max_size=400))
def test_random_bytes(raw: bytes) -> None:
    outcome(raw)


@given(documents(), st.data())
def test_truncated_documents(doc: dict[str, Any], data: st.DataObject) -> None:
    raw = tomli_w.dumps(doc).encode()
    outcome(raw[: data.draw(st.integers(0, len(raw)))])
