from migration_guard import __version__
from migration_guard.project import REPOSITORY_URL, pip_requirement, release_tag


def test_the_install_requirement_names_this_release_tag() -> None:
    assert release_tag("1.2.3") == "v1.2.3"
    assert pip_requirement("1.2.3") == f"migration-guard @ git+{REPOSITORY_URL}@v1.2.3"
    gate = pip_requirement("1.2.3", "gate")
    assert gate == f"migration-guard[gate] @ git+{REPOSITORY_URL}@v1.2.3"
    assert pip_requirement().endswith(f"@v{__version__}")
