"""`rapport content validate`: exit 1 with located problems, exit 0 with a summary."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from lti_plugin.content.cli import content_cli


def test_validate_broken_folder_fails(broken_content: Path) -> None:
    result = CliRunner().invoke(content_cli, ["validate", str(broken_content)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        f"{broken_content / 'videos.yaml'}:34: caption file 'media/not-vtt.en.vtt' is not "
        "WebVTT (its first line must be WEBVTT)" in lines
    )
    assert (
        f"{broken_content / 'modules/stray.yml'}: content files must end in .yaml (not .yml)"
        in lines
    )
    assert all(line.startswith(str(broken_content)) for line in lines)
    assert "problems in" in result.stderr


def test_validate_minimal_folder_passes(minimal_content: Path) -> None:
    result = CliRunner().invoke(content_cli, ["validate", str(minimal_content)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    assert "OK" in result.stdout and "1 module," in result.stdout and "4 pages" in result.stdout


def test_validate_defaults_to_the_app_content_dir(minimal_content: Path) -> None:
    app = Flask("validate-test")
    app.config["CONTENT_DIR"] = str(minimal_content)
    result = app.test_cli_runner().invoke(content_cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert str(minimal_content) in result.stdout


def test_validate_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(content_cli, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "content folder not found" in result.stdout
