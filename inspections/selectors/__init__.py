"""Every read the inspection pages and the API use, by sub-domain: inspections.py (who sees which
inspections, an inspector's own list by due date, one inspection), progress.py (a task's
progress: drawn, confirmed, inspected, problems found, handled, overdue). Import from the
submodule."""
