"""Demo data for the platform (``make demo``), deterministic per seed, generated in code.

- ``python manage.py seed_demo [--customers N] [--seed S]``: customers of さくらマート (a retailer
  selling online and in stores), their behaviour over two years, two survey waves (2026年上期 /
  2026年下期) answered through the surveys app's services, and feedback from support, reviews
  and SNS through the VoC CSV import. A second run finds the loaded set and adds nothing.
  The model behind the figures is described in ``engagement.demo.simulation``.
- ``python manage.py ensure_demo_admin``: the ``admin`` superuser (and one account per staff
  role) with a freshly generated password, printed.
- ``python manage.py export_demo_feedback --output FILE.csv``: a labelled ``text,label`` set
  for ``voc_evaluate``; ``engagement.demo.texts.generate_feedback_texts(n, seed)`` is the
  generator behind it.
"""
