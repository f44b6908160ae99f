"""The test suite's settings: ``engagement.settings`` plus a fast password hasher."""

from engagement.settings import *  # noqa: F403

# Hashing passwords at full strength is most of the time of a test that creates users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Rankings are cached by a stamp of the data (max ids); ids repeat between rolled-back tests.
VOC_IMPACT_CACHE_SECONDS = 0
# Tests post survey pages at machine speed; the minimum time on page has its own tests.
SURVEYS_MIN_SECONDS_ON_PAGE = 0
