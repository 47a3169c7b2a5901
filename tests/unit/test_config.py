"""Config: TOML file, environment overrides, and one-line errors that name the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SINAU_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_without_file() -> None:
    settings = load_settings()
    assert settings.telegram.token is None
    assert settings.telegram.api_url == "https://api.telegram.org"
    assert settings.database.path == Path("data/sinau.db")
    assert settings.access.admin_ids == []
    assert settings.locale.timezone == "Asia/Jakarta"
    assert settings.locale.default_language == "id"


def test_env_contract_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "custom.toml"
    config.write_text(
        '[telegram]\ntoken = "1:file"\napi_url = "http://file.example/"\n'
        '[database]\npath = "from-file.db"\n'
    )
    monkeypatch.setenv("SINAU_TELEGRAM__TOKEN", "42:env-token")
    monkeypatch.setenv("SINAU_DATABASE__PATH", "/tmp/env.db")
    monkeypatch.setenv("SINAU_ACCESS__ADMIN_IDS", "[11, 22]")
    settings = load_settings(config)
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "42:env-token"
    assert "42:env-token" not in repr(settings)
    assert settings.telegram.api_url == "http://file.example"
    assert settings.database.path == Path("/tmp/env.db")
    assert settings.access.admin_ids == [11, 22]


def test_config_file_from_env_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('[locale]\ntimezone = "Asia/Makassar"\n')
    monkeypatch.setenv("SINAU_CONFIG", str(config))
    assert load_settings().locale.timezone == "Asia/Makassar"


def test_example_config_is_valid() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.locale.default_language == "id"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[telegram]\ntokn = "x"\n', "telegram.tokn (SINAU_TELEGRAM__TOKN): unknown key"),
        ("[nudges]\ngrace_minutes = \"soon\"\n", "nudges.grace_minutes"),
        ('[locale]\ntimezone = "Mars/Olympus"\n', "unknown time zone"),
        ('[telegram]\napi_url = "ftp://x"\n', "telegram.api_url"),
        ("[telegram\n", "at line 1"),
    ],
)
def test_bad_file_gives_one_line(tmp_path: Path, toml: str, expected: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("[11, 22]", [11, 22]), ("11", [11]), ("11,22", [11, 22]), (" 11 , 22 ", [11, 22]),
     ("[]", []), ("", [])],
)
def test_admin_ids_as_a_json_list_or_plain_ids(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[int],
) -> None:
    monkeypatch.setenv("SINAU_ACCESS__ADMIN_IDS", value)
    assert load_settings().access.admin_ids == expected


@pytest.mark.parametrize("value", ["oops", "11;22", "[11,", '["x"]', "1.5", "-3"])
def test_bad_admin_ids_name_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str,
) -> None:
    monkeypatch.setenv("SINAU_ACCESS__ADMIN_IDS", value)
    with pytest.raises(ConfigError, match=r"SINAU_ACCESS__ADMIN_IDS") as error:
        load_settings()
    assert "\n" not in str(error.value) and "Value error" not in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("http://127.0.0.1:8081/", "http://127.0.0.1:8081"),
     (" HTTP://bot-api:8081 ", "http://bot-api:8081"),
     ("https://api.example/tg/", "https://api.example/tg")],
)
def test_api_url_is_normalised(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("SINAU_TELEGRAM__API_URL", value)
    assert load_settings().telegram.api_url == expected


@pytest.mark.parametrize("value", ["http://", "ftp://x", "localhost:8081", ""])
def test_bad_api_url_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SINAU_TELEGRAM__API_URL", value)
    with pytest.raises(ConfigError, match=r"SINAU_TELEGRAM__API_URL"):
        load_settings()


def test_bad_env_json_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINAU_ACCESS__ADMIN_IDS", "[1, x]")
    with pytest.raises(ConfigError, match=r"SINAU_ACCESS__ADMIN_IDS"):
        load_settings()


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False,
        stdin=subprocess.DEVNULL,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_cli_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    result = _cli("run", env=_env(SINAU_ACCESS__ADMIN_IDS="oops"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "SINAU_ACCESS__ADMIN_IDS" in result.stderr


def test_cli_missing_token_explains_in_one_line(tmp_path: Path) -> None:
    # Without a token `run` starts the local sandbox (issue #8); at end of input it exits 0.
    result = _cli("run", env=_env(), cwd=tmp_path)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "SINAU_TELEGRAM__TOKEN" in result.stderr


def test_cli_token_never_printed_in_config_errors(tmp_path: Path) -> None:
    token = "987654321:SECRET-token-that-must-not-leak-xx"
    result = _cli(
        "run",
        env=_env(SINAU_TELEGRAM__TOKEN=token, SINAU_LOCALE__TIMEZONE="Nowhere/Land"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert token not in result.stderr + result.stdout
