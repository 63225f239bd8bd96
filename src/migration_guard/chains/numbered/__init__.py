"""numbered: a folder of files whose names start with a version (``{number}_{slug}.sql``), and
its presets flyway, golang-migrate, goose and dbmate (one ``Kind`` object each, in ``kind``)."""
