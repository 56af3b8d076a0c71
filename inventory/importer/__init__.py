"""Spreadsheet import of the three registries (一单两库): read, recognise headers, validate, upsert.

The seed plans ask for the registries to be kept current ("动态管理", 阳城发改 §二; 曲阳细则
§12–13): IT officers load whole registries from the files other systems give them, hence the
tolerance for header variants, title rows, GBK CSV and full-width characters.

The machinery, by step: ``columns`` (what each kind's columns are and how a cell is parsed; shared
with the template and the export), ``reading`` (a file as rows, bounded), ``rows`` (a table
validated: header, rows, file-wide checks), ``upserts`` and ``entity_upsert`` (the writes),
``pipeline`` (the entity import's reading and writing overlapped), ``jobs`` (running a confirmed
job, inline or in a worker, with its progress and heartbeat). The services that start it are
``inventory.services.imports``: preview → confirm → run.

Memory does not grow with the file: files are read as streams (an upload, the job's stored copy),
rows are validated and written a chunk at a time.
"""
