"""The masking of personal data now lives in ``engagement.platform.masking`` (one function for
every layer); this module keeps the old import path working."""

from engagement.platform.masking import (  # noqa: F401 (re-exported)
    EMAIL_MASK,
    NAME_MASK,
    PHONE_MASK,
    URL_MASK,
    mask_personal_data,
)
