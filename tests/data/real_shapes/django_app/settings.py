# Minimal settings so that django.setup() and `django-admin migrate` can load the fixture.
# The database defaults to in-memory SQLite; set MG_FIXTURE_DB to a temp file path to keep one.
import os

SECRET_KEY = "migration-guard-fixture"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "extras",
    "tenancy",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MG_FIXTURE_DB", ":memory:"),
    }
}
