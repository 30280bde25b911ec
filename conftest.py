"""Shared by tests/ and hw_tests/: the record of files hlsgen wrote (hlsgen.util.output_file) goes to
a folder of the test session, not to the user's state folder; the test nets every test asks for
(``testnet``, ``example``) are written once per session (per xdist worker) and shared."""
import os

import pytest

from testkit import NetCache


@pytest.fixture(autouse=True, scope="session")
def _hlsgen_state(tmp_path_factory):
    os.environ["HLSGEN_STATE_DIR"] = str(tmp_path_factory.mktemp("hlsgen-state"))
    yield


@pytest.fixture(scope="session")
def _net_cache(tmp_path_factory):
    return NetCache(tmp_path_factory.mktemp("nets"))


@pytest.fixture(scope="session")
def testnet(_net_cache):
    """testnet(kind, out=None, **testnets.make's options) -> the path of that test net, built once per
    session and shared: read it only (out=PATH: a copy there, to edit or write next to)."""
    return _net_cache.testnet


@pytest.fixture(scope="session")
def example(_net_cache):
    """example(name, out=None, **zoo.make_example's options) -> the path of that example net, built once
    per session and shared like testnet's."""
    return _net_cache.example
