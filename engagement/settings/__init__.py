"""Settings, split by concern.

- ``base``: every setting, from environment variables (development defaults);
- ``production``: added when ``DJANGO_DEBUG=0`` (required variables, HTTPS, manifest storage);
- ``test``: the test suite (``pyproject.toml`` points pytest at it).

``DJANGO_SETTINGS_MODULE=engagement.settings`` is what manage.py, wsgi, asgi and Celery use.
"""

from engagement.settings.base import *  # noqa: F403

if not DEBUG:  # noqa: F405
    from engagement.settings.production import *  # noqa: F403
