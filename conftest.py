"""Shared by tests/ and hw_tests/: the record of files hlsgen wrote (hlsgen.util.output_file) goes to
a folder of the test session, not to the user's state folder."""
import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _hlsgen_state(tmp_path_factory):
    os.environ["HLSGEN_STATE_DIR"] = str(tmp_path_factory.mktemp("hlsgen-state"))
    yield

