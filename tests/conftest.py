"""Shared fixtures. Helpers live in ``tests/helpers_*.py`` (imported as ``tests.helpers_x``);
test modules never import each other."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers_cli import Case


@pytest.fixture
def case(tmp_path: Path) -> Case:
    """A private copy of the bundled scenario (``data/suizhou``) to break in one way."""
    return Case(tmp_path)
