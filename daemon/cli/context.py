"""What every command needs: resolved paths, the config, the store."""

from __future__ import annotations

from panza.daemon import paths
from panza.daemon.config import Config, load_config
from panza.daemon.store import Store


def current_paths() -> paths.Paths:
    return paths.resolve()


def config() -> Config:
    return load_config(current_paths().config_file)


def open_store() -> Store:
    p = current_paths()
    paths.ensure_private_dir(p.data_dir)
    return Store(p.db_file)
