from tests.dashboard.conftest import build, staff_client  # noqa: F401 (shared fixtures)
