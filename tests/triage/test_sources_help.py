"""Every `teleo sources` command has --help with examples and the lifecycle as the table defines it."""

from __future__ import annotations

import inspect

import pytest
from typer.testing import CliRunner

from teleo.cli import sources as sources_cli
from teleo.cli.app import app
from teleo.notes.lifecycle import STATUSES, describe_moves
from teleo.triage.requeue import DEFAULT_MIN_NEW_CLAIMS


@pytest.mark.parametrize("command", [[], ["list"], ["reset"], ["park"], ["unpark"], ["requeue-null"]])
def test_help_has_examples_and_the_lifecycle(command):
    result = CliRunner().invoke(app, ["sources", *command, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Examples" in text and f"$ teleo sources{' ' + command[0] if command and command[0] != 'list' else ''}" in text
    for status in STATUSES:
        assert f"from {status}: {describe_moves(status)}" in text


def test_the_command_line_default_is_the_librarys():
    default = inspect.signature(sources_cli.requeue_null).parameters["min_new_claims"].default.default
    assert default == DEFAULT_MIN_NEW_CLAIMS
