"""The test suite's settings: ``engagement.settings`` plus a fast password hasher."""

from engagement.settings import *  # noqa: F403

# Hashing passwords at full strength is most of the time of a test that creates users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
