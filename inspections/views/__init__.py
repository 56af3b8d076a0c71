"""The inspection pages, by area: lists.py (我的检查 and the department's and office's lists),
fill.py (the inspection page, its check form, evidence and signature), review.py (submit, review,
correct), handling.py (后续处置); presenters.py gathers what the inspection page shows."""
