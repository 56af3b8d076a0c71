"""The inspection documents: the 检查记录表 (one per inspection; a joint visit's holds every
department's part: 一企一表) and the 检查结果告知书 for the firm, each previewed as HTML and
downloaded as a PDF from the same template, and a task's records as one zip built by a worker.

``records`` reads what they show, ``render`` makes HTML and PDF, ``archive`` the zip,
``views``/``urls`` the pages.
"""
