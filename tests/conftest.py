"""Session fixtures shared by test modules: the kit's wheels and their installs (made only
when a test asks for them)."""
import pytest
from install_support import CURRENT, build_wheels, install_everywhere


@pytest.fixture(scope="session")
def wheels(tmp_path_factory):
    return build_wheels(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="session")
def installs(wheels, tmp_path_factory):
    return install_everywhere(wheels, tmp_path_factory.mktemp("installed"))


def installed_kit(installs, version):
    """The install under ``version``: skipped with the reason where that Python is absent."""
    found = installs[version]
    if isinstance(found, str):
        pytest.skip(found)
    if isinstance(found, Exception):
        raise found
    return found


@pytest.fixture(scope="session")
def kit(installs):
    """The wheels installed under the Python running the tests."""
    return installed_kit(installs, CURRENT)
