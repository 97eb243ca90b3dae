"""Commands that belong to no single concern: ``run`` (web, worker and sweep together) and ``smart``.

Named ``commands`` because ``xietong/cli.py`` is already the console script's module.
"""
