"""The test suite's settings: ``engagement.settings`` plus a fast password hasher."""

from engagement.settings import *  # noqa: F403

# Hashing passwords at full strength is most of the time of a test that creates users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Rankings are cached by a stamp of the data (max ids); ids repeat between rolled-back tests.
VOC_IMPACT_CACHE_SECONDS = 0
# Tests post survey pages at machine speed; the minimum time on page has its own tests.
SURVEYS_MIN_SECONDS_ON_PAGE = 0
# Two-factor for administrators is on in production; the suite's admins sign in without it,
# except in tests/audit, which turn it on where it is what is tested.
TWO_FACTOR_REQUIRED_FOR_ADMINS = False
