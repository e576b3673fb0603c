"""The tray's icon state and menu, computed from recorded `status` replies (no display)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from panza.daemon.protocol import PARAMS
from panza.daemon.tray import model, text
from panza.daemon.tray.model import Action, State
from tests.tray import replies
from tests.tray.replies import NOW

ACTIONS = [
    "Draft with Panza…",
    "Sync now",
    "Retrain now",
    "Pause",
    "Open data folder",
    "Open log",
    "Quit Panza",
    "Close tray",
]


def enabled(view: model.View) -> dict[str, bool]:
    return {i.label: i.enabled for i in view.items if i.action is not None}


@pytest.mark.parametrize(
    ("reply", "state", "percent", "title"),
    [
        (replies.FRESH, State.IDLE, None, "Panza: idle"),
        (replies.IDLE, State.IDLE, None, "Panza: idle"),
        (replies.SYNCING, State.SYNCING, None, "Panza: syncing mail"),
        (replies.IMPORTING, State.SYNCING, None, "Panza: syncing mail"),
        (replies.TRAINING, State.TRAINING, 42, "Panza: training 42%"),
        (replies.PAUSED, State.PAUSED, None, "Panza: paused (no scheduled sync or training)"),
        (None, State.ERROR, None, "Panza: daemon not running"),
        (replies.AUTH_NEEDED, State.ERROR, None, "Panza: needs attention"),
        (replies.CONFIG_ERROR, State.ERROR, None, "Panza: needs attention"),
    ],
    ids=["fresh", "idle", "syncing", "importing", "training", "paused", "down", "auth", "config"],
)
def test_icon_state_and_title(
    reply: dict[str, Any] | None, state: State, percent: int | None, title: str
) -> None:
    view = model.view(reply, NOW)
    assert (view.state, view.percent, view.title) == (state, percent, title)
    assert view.labels()[0] == title  # the first menu line says the same as the tooltip


def test_idle_menu_has_every_status_line_and_action() -> None:
    view = model.view(replies.IDLE, NOW)
    assert view.labels() == [
        "Panza: idle",
        "Emails learned from: 1,234",
        "Last sync: 4 min ago",  # the newer of the two accounts
        "Adapter v0003, trained 2 h ago",
        "Held-out loss: 2.310 (-4.1% vs v0002)",
        *ACTIONS,
    ]
    lines = [i for i in view.items if i.action is None and not i.separator]
    assert lines and not any(i.enabled for i in lines)  # status lines are not clickable
    assert all(enabled(view).values())
    default = [i for i in view.items if i.default]
    assert [i.action for i in default] == [Action.SYNC]  # a left click syncs


def test_fresh_install_says_what_is_missing() -> None:
    assert model.view(replies.FRESH, NOW).labels()[:4] == [
        "Panza: idle",
        "Emails learned from: 0",
        "Last sync: no accounts set up",
        "Adapter: none trained yet",
    ]


def test_syncing_disables_sync_and_shows_progress() -> None:
    view = model.view(replies.SYNCING, NOW)
    sync = view.item(Action.SYNC)
    assert sync is not None and sync.label == "Syncing… 40/120" and not sync.enabled
    retrain = view.item(Action.RETRAIN)
    assert retrain is not None and retrain.enabled


def test_training_disables_retrain_and_shows_percent() -> None:
    view = model.view(replies.TRAINING, NOW)
    retrain = view.item(Action.RETRAIN)
    assert retrain == model.Item("Training… 42%", Action.RETRAIN, enabled=False)
    unknown = {**replies.TRAINING, "jobs": {"train": {"running": True, "done": 0, "total": None}}}
    view = model.view(unknown, NOW)
    assert (view.state, view.percent, view.title) == (State.TRAINING, None, "Panza: training")
    assert view.item(Action.RETRAIN) == model.Item("Training…", Action.RETRAIN, enabled=False)


def test_training_shows_the_time_left_at_the_rate_seen() -> None:
    job = replies.TRAINING["jobs"]["train"]
    seen = model.follow(None, replies.TRAINING, NOW)
    assert seen == model.Seen(job["started_at"], "training", NOW, 42)
    assert model.view(replies.TRAINING, NOW, seen=seen).title == "Panza: training 42%"
    # 10 steps in 60 s: the 48 steps left take 4.8 min
    later = copy.deepcopy(replies.TRAINING)
    later["jobs"]["train"]["done"] = 52
    then = NOW + 60
    assert model.follow(seen, later, then) is seen  # the same stage: the first sample stays
    view = model.view(later, then, seen=seen)
    assert view.title == "Panza: training 52%, about 5 min left"
    assert view.labels()[0] == view.title
    # a new run (another start time) starts a new sample and has no rate yet
    rerun = copy.deepcopy(later)
    rerun["jobs"]["train"]["started_at"] = then
    fresh = model.follow(seen, rerun, then)
    assert fresh == model.Seen(then, "training", then, 52)
    assert model.view(rerun, then, seen=fresh).title == "Panza: training 52%"
    assert model.follow(seen, replies.IDLE, then) is None


def test_time_left_in_words() -> None:
    assert [text.duration(s) for s in (5, 59, 61, 150, 3599, 3600, 5430)] == [
        "under a minute",
        "under a minute",
        "about 1 min",
        "about 2 min",
        "about 1 h 00 min",
        "about 1 h 00 min",
        "about 1 h 30 min",
    ]


@pytest.mark.parametrize(
    ("drafting", "label", "on"),
    [
        (model.Drafting.READY, "Draft with Panza…", True),
        (model.Drafting.BUSY, "Drafting…", False),
        (model.Drafting.UNSUPPORTED, "Draft with Panza… (needs the GTK tray)", False),
    ],
)
def test_draft_item_follows_what_the_tray_can_do(
    drafting: model.Drafting, label: str, on: bool
) -> None:
    item = model.view(replies.IDLE, NOW, drafting=drafting).item(Action.DRAFT)
    assert item == model.Item(label, Action.DRAFT, enabled=on)
    down = model.view(None, NOW, drafting=drafting).item(Action.DRAFT)
    assert down is not None and not down.enabled


def test_no_draft_before_the_first_adapter() -> None:
    item = model.view(replies.FRESH, NOW).item(Action.DRAFT)
    assert item == model.Item(
        "Draft with Panza… (after the first training)", Action.DRAFT, enabled=False
    )


def test_paused_offers_resume() -> None:
    view = model.view(replies.PAUSED, NOW)
    assert view.item(Action.PAUSE) is None
    assert view.item(Action.RESUME) == model.Item("Resume", Action.RESUME)
    assert "Resume" in view.labels() and "Pause" not in view.labels()


def test_daemon_down_keeps_only_local_actions() -> None:
    view = model.view(None, NOW, notice="The Panza daemon is not running")
    assert view.labels() == [
        "Panza: daemon not running",
        "Start it with: panza daemon",
        "The Panza daemon is not running",
        *ACTIONS,
    ]
    assert enabled(view) == {
        "Draft with Panza…": False,
        "Sync now": False,
        "Retrain now": False,
        "Pause": False,
        "Open data folder": True,
        "Open log": True,
        "Quit Panza": True,
        "Close tray": True,
    }


def test_auth_needed_names_the_account() -> None:
    labels = model.view(replies.AUTH_NEEDED, NOW).labels()
    assert "work: sign in again ([AUTHENTICATIONFAILED] Invalid credentials (Failur…" in labels
    assert all(enabled(model.view(replies.AUTH_NEEDED, NOW)).values())


def test_config_error_is_one_clipped_line() -> None:
    labels = model.view(replies.CONFIG_ERROR, NOW).labels()
    line = next(label for label in labels if label.startswith("Config not applied"))
    assert line.startswith("Config not applied: config.toml has 1 problem: - cleaning.min_wrods")
    assert len(line) == text.MAX_LABEL and line.endswith("…") and "\n" not in line


def test_priorities_activity_over_problems_problems_over_paused() -> None:
    syncing_with_problem = {**replies.AUTH_NEEDED, "running": ["sync"]}
    assert model.icon_state(syncing_with_problem) == (State.SYNCING, None)
    paused_with_problem = {**replies.AUTH_NEEDED, "paused": True}
    assert model.icon_state(paused_with_problem) == (State.ERROR, None)
    failed_sync = {**replies.IDLE, "accounts": [{**replies.IDLE["accounts"][0], "state": "error"}]}
    failed_sync["accounts"][0]["message"] = "connection refused"
    view = model.view(failed_sync, NOW)
    assert view.state is State.IDLE  # a network hiccup is not worth a red icon
    assert "work: last sync failed: connection refused" in view.labels()


def test_retrain_absent_in_older_daemon() -> None:
    view = model.view(replies.IDLE, NOW, retrain_available=False)
    item = view.item(Action.RETRAIN)
    assert item is not None and not item.enabled
    assert item.label == "Retrain now (not available in this version)"


@pytest.mark.parametrize(
    ("metrics", "line"),
    [
        ({"acceptance_rate": 0.734}, "Drafts accepted: 73%"),
        ({"acceptance": 81}, "Drafts accepted: 81%"),
        ({"heldout": {"loss": 1.5}}, "Held-out loss: 1.500"),
        (
            {"heldout": {"loss": 2.0}, "compared_heldout": {"loss": 1.9}},
            "Held-out loss: 2.000 (+5.3% vs previous)",
        ),
        ('{"bleu": 0.3312, "rouge_l": 0.41}', "BLEU 0.331, ROUGE-L 0.410"),
        ("{}", None),
        ("not json", None),
        (None, None),
        ({"heldout": {"loss": None}}, None),
    ],
)
def test_acceptance_figure(metrics: Any, line: str | None) -> None:
    assert text.acceptance(metrics) == line


def test_relative_times() -> None:
    assert text.parse_time("2026-03-10T11:00:00.000Z") == NOW - 3600
    assert text.parse_time("2026-03-10T12:00:00+00:00") == NOW
    assert text.parse_time(NOW) == NOW
    assert text.parse_time("soon") is None and text.parse_time(None) is None
    assert [text.ago(NOW - s, NOW) for s in (5, 61, 7200, 86400 * 1.5, 86400 * 9)] == [
        "just now",
        "1 min ago",
        "2 h ago",
        "yesterday",
        "9 days ago",
    ]


def test_action_outcomes_in_words() -> None:
    sync_reply = replies.IDLE["jobs"]["sync"]["last_result"]
    assert model.describe_reply(Action.SYNC, sync_reply) == "Sync done: 12 new emails"
    failed = {"accounts": [{**sync_reply["accounts"][0], "ok": False, "kept": 0}]}
    assert model.describe_reply(Action.SYNC, failed) == "Sync done: 0 new emails; failed: work"
    assert model.describe_reply(Action.SYNC, {"accounts": []}) == (
        "Sync: no accounts set up (panza account add)"
    )
    accepted = {"status": "accepted", "version": 4}
    assert model.describe_reply(Action.RETRAIN, accepted) == "Retrain: v0004 accepted"
    # the daemon's answer when no new email came in since the current version
    nothing = {"status": "nothing_to_train", "version": None, "heldout": None}
    assert model.describe_reply(Action.RETRAIN, nothing) == "Retrain: no new emails to learn from"
    assert model.describe_reply(Action.PAUSE, {"paused": True}) is None
    assert model.describe_error(Action.SYNC, "busy", "sync is already running") == (
        "Sync: already running"
    )


def test_requests_are_daemon_methods() -> None:
    assert model.REQUESTS[Action.QUIT] == ("stop", {})
    assert {a: m for a, (m, _) in model.REQUESTS.items()} == {
        Action.SYNC: "sync",
        Action.RETRAIN: "retrain",
        Action.PAUSE: "pause",
        Action.RESUME: "resume",
        Action.QUIT: "stop",
    }
    for method, params in model.REQUESTS.values():
        PARAMS[method].model_validate(params)  # the protocol knows each one


def test_the_methods_offered_come_from_ping() -> None:
    lean = {"pong": True, "protocol": 1, "methods": ["cancel", "ping", "status"]}
    assert model.offers(lean, "status") and not model.offers(lean, "retrain")
    assert model.offers({**lean, "methods": [*lean["methods"], "retrain"]}, "retrain")
    # A daemon that does not list its methods is not second-guessed.
    assert model.offers({"pong": True, "version": "0.1.0"}, "retrain")
    item = model.view(replies.IDLE, NOW, retrain_available=False).item(Action.RETRAIN)
    assert item == model.Item("Retrain now (not available in this version)", Action.RETRAIN, False)


def test_training_shows_the_time_left_the_daemon_reports() -> None:
    job = {"running": True, "stage": "training", "done": 21, "total": 50, "eta_s": 1500.0}
    view = model.view({**replies.TRAINING, "jobs": {"train": job}}, NOW)
    retrain = view.item(Action.RETRAIN)
    assert retrain is not None and retrain.label == "Training… 42%, about 25 min left"
    # The headline takes the daemon's estimate too, before the tray has seen any rate.
    status = {**replies.TRAINING, "jobs": {"train": job}}
    assert model.remaining(status, None, NOW) == 1500.0
