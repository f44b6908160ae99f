"""The test suite's settings: ``engagement.settings`` plus a fast password hasher."""

from engagement.settings import *  # noqa: F403

# Hashing passwords at full strength is most of the time of a test that creates users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Two-factor for administrators is on in production; the suite's admins sign in without it,
# except in tests/audit, which turn it on where it is what is tested.
TWO_FACTOR_REQUIRED_FOR_ADMINS = False
