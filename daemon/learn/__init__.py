"""Learning, store side: playback into the store, training and evaluation jobs run by
panza.training in a child process, adapter versions recorded in the store."""

from panza.daemon.learn.child import (
    JobCancelledError,
    ModelMissingError,
    TrainingJobError,
    run_job,
)
from panza.daemon.learn.evaluate import run_eval
from panza.daemon.learn.playback import PlaybackOutcome, run_playback
from panza.daemon.learn.train import TrainOutcome, adopt_orphans, run_training

__all__ = [
    "JobCancelledError",
    "ModelMissingError",
    "PlaybackOutcome",
    "TrainOutcome",
    "TrainingJobError",
    "adopt_orphans",
    "run_eval",
    "run_job",
    "run_playback",
    "run_training",
]
