"""Config loading: every problem at once, did-you-mean hints, secrets masked, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.config import GmailAccount, UserConfig, load_config
from panza.daemon.config.load import parse_config
from panza.daemon.config.starter import starter_config
from panza.daemon.errors import ConfigError

GOOD = b'[user]\nname = "Ada"\nemails = ["ada@whitfield.example"]\n'


def test_minimal_config_fills_defaults() -> None:
    config = parse_config(GOOD)
    assert config.user.languages == ["en"]
    assert config.cleaning.min_words == 5
    assert config.training.method == "rosa"


def test_all_problems_reported_at_once_with_hints() -> None:
    raw = (
        b'[user]\nname = "Ada"\nemails = ["not-an-address"]\nlangauges = ["en"]\n'
        b"[cleaning]\nmin_words = 0\n[schedul]\nsync_minutes = 5\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "config.toml")
    problems = info.value.problems
    assert len(problems) == 4
    text = str(info.value)
    assert "user.langauges: unknown key (did you mean 'languages'?)" in text
    assert "schedul: unknown key (did you mean 'schedule'?)" in text
    assert "not an email address: 'not-an-address'" in text
    assert "cleaning.min_words" in text


def test_account_keys_checked_per_kind() -> None:
    raw = GOOD + b'[accounts.work]\nkind = "imap"\nhsot = "x"\nuser = "u"\n'
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert "accounts.work.imap.hsot: unknown key (did you mean 'host'?)" in str(info.value)
    assert "accounts.work.imap.host: required" in str(info.value)


def test_toml_syntax_error_and_non_utf8() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config(b"[user\nname=")
    with pytest.raises(ConfigError, match="not UTF-8"):
        parse_config(b'[user]\nname = "\xff"\n')


def test_missing_file_says_how_to_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="panza init"):
        load_config(tmp_path / "config.toml")


def test_the_schema_has_no_place_for_a_token() -> None:
    with pytest.raises(ConfigError, match=r"model.hf_token: unknown key"):
        parse_config(GOOD + b'[model]\nhf_token = "hf_supersecret"\n')


def test_starter_config_round_trips() -> None:
    user = UserConfig(
        name='Ada "the" Whitfield', emails=["Ada@Whitfield.example"], languages=["en", "de"]
    )
    config = parse_config(starter_config(user).encode())
    assert config.user.name == 'Ada "the" Whitfield'
    assert config.user.emails == ["ada@whitfield.example"]
    assert config.user.languages == ["en", "de"]


def test_panza_home_holds_everything(tmp_path: Path) -> None:
    p = paths.resolve({"PANZA_HOME": str(tmp_path)})
    assert p.config_file == tmp_path / "config.toml"
    assert p.db_file == tmp_path / "data" / "panza.db"
    assert p.socket_file == tmp_path / "run" / "daemon.sock"


def test_platform_dirs_without_override(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": "/run/user/1000"}
    p = paths.resolve(env)
    assert p.config_file == tmp_path / ".config" / "panza" / "config.toml"
    assert p.data_dir == tmp_path / ".local" / "share" / "panza"
    assert p.socket_file == Path("/run/user/1000/panza/daemon.sock")


ENDPOINTS_OK = [
    "https://gmail.googleapis.com/",
    "http://127.0.0.1:8080/",
    "http://127.4.5.6/gmail/",
    "http://[::1]:9000/",
    "http://localhost:1234",
]
ENDPOINTS_REFUSED = [
    "http://gmail.googleapis.com/",
    "http://10.0.0.7:8080/",
    "http://127.0.0.1.attacker.example/",
    "http://localhost.attacker.example/",
    "http://user@[::2]/",
    "http://:8080/",
]


def gmail_config(endpoint: str) -> bytes:
    return GOOD + f'[accounts.g]\nkind = "gmail"\napi_endpoint = "{endpoint}"\n'.encode()


@pytest.mark.parametrize("endpoint", ENDPOINTS_OK)
def test_gmail_endpoint_https_or_this_machine_is_accepted(endpoint: str) -> None:
    account = parse_config(gmail_config(endpoint)).accounts["g"]
    assert isinstance(account, GmailAccount) and account.api_endpoint == endpoint


@pytest.mark.parametrize("endpoint", ENDPOINTS_REFUSED)
def test_gmail_endpoint_in_plain_http_to_another_host_is_refused(endpoint: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(gmail_config(endpoint), "config.toml")
    assert info.value.problems == [
        "accounts.g.gmail.api_endpoint: use https:// (plain http:// only to this"
        " machine: 127.0.0.1, ::1 or localhost), so that your Google token never crosses a"
        " network unencrypted"
    ]


def test_training_section_names_every_value_out_of_limits_and_unknown_keys() -> None:
    raw = GOOD + b"[training]\nr = 0\nmicro_batch_size = 16\nrag_k = 30\n"
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "config.toml")
    text = str(info.value)
    assert "training: r must be >= 1, not 0" in text
    assert "rag_k must be >= 1 and <= 20, not 30" in text
    assert "micro_batch_size cannot exceed batch_size" in text
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD + b"[training]\nepoch = 3\n", "config.toml")
    assert "training.epoch: unknown key (did you mean 'epochs'?)" in str(info.value)


def test_training_section_accepts_a_module_list() -> None:
    raw = GOOD + b'[training]\ntarget_modules = ["q_proj", "v_proj"]\nepochs = 2\n'
    training = parse_config(raw).training
    assert training.target_modules == ("q_proj", "v_proj")
    assert training.epochs == 2 and training.full_epochs == 3
