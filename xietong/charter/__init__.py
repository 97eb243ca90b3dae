"""The charter: one document that describes a whole collaboration, and its one way in.

``format`` reads and writes the document (format v1) and derives its JSON
Schema; ``store`` imports it (``import_charter_for``: every entry point's one
call, ``CharterError`` its one error); ``demo`` loads the guide's example;
``cli`` reads a charter file for the commands; ``management/commands`` holds
``check``, ``import``, ``export`` and ``demo``. The app sits above collabs,
meetings, tracking and notify: a charter spans them all.
"""
