"""The survey builder (staff): edit pages, questions, conditions and jumps; preview and
test (``surveys.validation`` checks the logic). ``services`` makes the edits, ``views`` are the
staff pages (mounted by ``surveys.admin.surveys.SurveyAdmin.get_urls``, in the admin's look)."""
