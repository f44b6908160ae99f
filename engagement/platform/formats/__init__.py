"""Date and number formats per language (``FORMAT_MODULE_PATH``): Django's, with the time of
day written ``20:08`` and a space after the date (``2026年12月7日 20:08``)."""
