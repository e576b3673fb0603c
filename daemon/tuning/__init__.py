"""The daemon side of panza.training: gather records, run the job in a child process,
and record the results (instructions, adapter versions) in the store."""

from panza.daemon.tuning.child import (
    JobCancelledError,
    ModelMissingError,
    TrainingJobError,
    run_job,
)
from panza.daemon.tuning.start_eval import run_eval
from panza.daemon.tuning.start_playback import PlaybackOutcome, run_playback
from panza.daemon.tuning.start_training import TrainOutcome, adopt_orphans, run_training

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
