"""Analysis pages on top of the dashboard: wave vs wave comparison, crosstabs, saved views.

They read the raw responses, answers and feedback (not the daily summaries) through the one
visibility rule (``visible_to(user)``) and one set of filters
(``surveys.filters.AnalysisFilters``, shared with the dashboard, the topic list and reports).
"""
