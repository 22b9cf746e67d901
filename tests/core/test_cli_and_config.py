"""CLI account and token commands; configuration parsing; snowflake ids."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinhaven.cli import app
from pinhaven.config import ConfigError, Settings, load_settings
from pinhaven.db.ids import IdGenerator, id_time, parse_id


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("PINHAVEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PINHAVEN_PASSWORD_HASH_FAST", "1")
    return CliRunner()


def test_users_and_tokens_lifecycle(runner: CliRunner) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    created = runner.invoke(
        app, ["users", "create", "alice", "--email", "a@example.test"], input="long enough pw\n"
    )
    assert created.exit_code == 0, created.output
    token = runner.invoke(app, ["tokens", "create", "alice", "--scopes", "boards:read,pins:read"])
    assert (
        token.exit_code == 0 and token.stdout.strip().startswith("phv_") and "\n" not in token.stdout.strip()
    )
    listed = runner.invoke(app, ["tokens", "list", "alice"], env={"COLUMNS": "200"})
    assert "boards:read pins:read" in listed.stdout and token.stdout.strip() not in listed.stdout


def test_cli_errors_are_messages_with_non_zero_exit(runner: CliRunner) -> None:
    assert (
        runner.invoke(app, ["users", "create", "x", "--email", "bad"], input="long enough pw\n").exit_code
        == 1
    )
    assert (
        runner.invoke(app, ["users", "create", "bob", "--email", "b@example.test"], input="short\n").exit_code
        == 1
    )
    missing = runner.invoke(app, ["tokens", "create", "nobody"])
    assert missing.exit_code == 1 and "not found" in missing.output
    bad_scope = runner.invoke(app, ["tokens", "create", "nobody", "--scopes", "pins:everything"])
    assert bad_scope.exit_code == 1
    assert runner.invoke(app, ["tokens", "revoke", "nobody", "abc"]).exit_code == 1


def test_revoked_token_stops_working(runner: CliRunner, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from pinhaven.app import create_app

    runner.invoke(app, ["users", "create", "alice", "--email", "a@example.test"], input="long enough pw\n")
    token = runner.invoke(app, ["tokens", "create", "alice"]).stdout.strip()
    settings = load_settings(env={"PINHAVEN_DATA_DIR": os.environ["PINHAVEN_DATA_DIR"]}, worker_threads=0)
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v5/user_account", headers=headers).status_code == 200
        from pinhaven.accounts import service
        from pinhaven.db.engine import session_scope

        ctx = client.app.state.ctx  # type: ignore[attr-defined]
        with session_scope(ctx.sessions) as db:
            user = service.get_by_username_or_raise(db=db, username="alice")
            token_id = service.list_tokens(db=db, user=user)[0].id
        assert runner.invoke(app, ["tokens", "revoke", "alice", str(token_id)]).exit_code == 0
        assert client.get("/v5/user_account", headers=headers).status_code == 401


def test_settings_read_environment_with_casts(tmp_path: Path) -> None:
    settings = load_settings(
        env={
            "PINHAVEN_DATA_DIR": str(tmp_path),
            "PINHAVEN_MAX_PIXELS": "1000",
            "PINHAVEN_FETCH_ALLOW_NETWORKS": "127.0.0.0/8, ::1/128",
            "PINHAVEN_PASSWORD_HASH_FAST": "yes",
        }
    )
    assert settings.max_pixels == 1000 and settings.password_hash_fast is True
    assert [str(n) for n in settings.fetch_allow_networks] == ["127.0.0.0/8", "::1/128"]
    assert settings.resolved_database_url.startswith("sqlite:///") and settings.secret_key
    assert "***" in repr(settings) and settings.secret_key not in repr(settings)
    assert load_settings(env={"PINHAVEN_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key


@pytest.mark.parametrize(
    "key, value",
    [
        ("PINHAVEN_MAX_PIXELS", "lots"),
        ("PINHAVEN_FETCH_ALLOW_NETWORKS", "not-a-cidr"),
        ("PINHAVEN_REQUIRE_SERVICES", "maybe"),
    ],
)
def test_bad_settings_name_the_variable(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings(env={"PINHAVEN_DATA_DIR": str(tmp_path), key: value})


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    from dataclasses import fields

    for field in fields(Settings):
        assert f"PINHAVEN_{field.name.upper()}" in readme, field.name


def test_snowflake_ids_are_increasing_unique_and_time_ordered() -> None:
    generator = IdGenerator(shard=5)
    ids = [generator.next() for _ in range(20_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert abs((id_time(ids[0]) - datetime.now(UTC)).total_seconds()) < 5
    at = datetime(2025, 3, 1, tzinfo=UTC)
    assert id_time(generator.next(at=at)) == at
    assert parse_id(str(ids[0])) == ids[0]
    assert (
        parse_id("12a") is None
        and parse_id("-1") is None
        and parse_id("9" * 30) is None
        and parse_id("0") is None
    )
