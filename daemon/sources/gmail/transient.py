"""What a failed Gmail API call calls for.

Pure functions of the HTTP status and Google's error body (guides/handle-errors):
429, 5xx and the rate-limit 403s are retried (:class:`~panza.daemon.sources.retry.RetryPolicy`);
401 means the sign-in was refused; 404 means gone; anything else is reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from googleapiclient.errors import HttpError

Verdict = Literal["retry", "auth", "gone", "fail"]
_RETRY_STATUSES = frozenset({408, 429})
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_ADDRESS = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+")


@dataclass(frozen=True)
class Failure:
    """Why one call failed, and what to do about it."""

    status: int  # 0: no HTTP answer at all
    verdict: Verdict
    message: str
    retry_after: float | None = None

    @classmethod
    def from_http(cls, status: int, content: bytes, retry_after: str | None = None) -> Failure:
        return cls(
            status, classify(status, content), error_message(status, content), _seconds(retry_after)
        )

    @classmethod
    def from_exception(cls, exc: BaseException) -> Failure:
        if isinstance(exc, HttpError):
            return cls.from_http(exc.resp.status, exc.content, exc.resp.get("retry-after"))
        return cls(0, "retry", f"no answer from the Gmail API ({type(exc).__name__})")


def classify(status: int, content: bytes) -> Verdict:
    """What an HTTP error from the Gmail API calls for (guides/handle-errors)."""
    if status == 401:
        return "auth"
    if status == 404:
        return "gone"
    if status in _RETRY_STATUSES or status >= 500:
        return "retry"
    if status == 403 and _reasons(content) & _RATE_LIMIT_REASONS:
        return "retry"
    return "fail"


def error_message(status: int, content: bytes) -> str:
    """``HTTP 403 (insufficientPermissions): ...`` from a Google error body, addresses masked."""
    error = _error_body(content)
    reasons = sorted(_reasons(content))
    text = str(error.get("message", "")).strip()[:200]
    text = "" if text in reasons else text
    text = _ADDRESS.sub("<address>", text)
    if "accessNotConfigured" in reasons:  # the commonest setup slip; the URL may be cut off
        text = "enable the Gmail API in your OAuth client's Google Cloud project (APIs & Services"
        text += " > Library > Gmail API > Enable), then try again"
    return (
        f"HTTP {status}"
        + (f" ({', '.join(reasons)})" if reasons else "")
        + (f": {text}" if text else "")
    )


def _error_body(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _reasons(content: bytes) -> set[str]:
    errors = _error_body(content).get("errors")
    if not isinstance(errors, list):
        return set()
    return {str(e["reason"]) for e in errors if isinstance(e, dict) and "reason" in e}


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: the backoff alone will do
        return None
