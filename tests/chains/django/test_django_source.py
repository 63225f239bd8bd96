"""The static reader of one Django migration file, on the shapes real projects write."""

from __future__ import annotations

from migration_guard.chains.django.source import Literal, SourceInfo, parse_source


def parse(text: str) -> SourceInfo:
    return parse_source("shop/migrations/0002_x.py", text.encode())


def test_list_of_tuples_and_tuple_of_lists() -> None:
    info = parse(
        "from django.db import migrations\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial'), (\"auth\", \"0012_alter\")]\n"
        "    replaces = (['shop', '0002_a'], ['shop', '0003_b'])\n"
    )
    assert [(r.app, r.name) for r in info.dependencies] == [
        ("shop", "0001_initial"),
        ("auth", "0012_alter"),
    ]
    assert [(r.app, r.name) for r in info.replaces] == [("shop", "0002_a"), ("shop", "0003_b")]
    assert info.dependencies[0].name_literal == Literal(3, 29, 43)
    assert not info.unknown and not info.error


def test_swappable_first_and_latest_are_other_app_references() -> None:
    info = parse(
        "from django.conf import settings\nfrom django.db import migrations\n"
        "class Migration(migrations.Migration):\n"
        "    initial = True\n"
        "    dependencies = [\n"
        "        migrations.swappable_dependency(settings.AUTH_USER_MODEL),\n"
        "        ('contenttypes', '__first__'),\n"
        "        ('shop', '__latest__'),\n"
        "    ]\n"
    )
    swappable, first, latest = info.dependencies
    assert swappable.swappable == "AUTH_USER_MODEL" and swappable.app == ""
    assert (first.app, first.name) == ("contenttypes", "__first__")
    assert (latest.app, latest.name) == ("shop", "__latest__")


def test_run_before_and_annotated_assignment() -> None:
    info = parse(
        "from django.db import migrations\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies: list[tuple[str, str]] = []\n"
        "    run_before = [('other', '0003_y')]\n"
    )
    assert info.dependencies == ()
    assert [(r.app, r.name) for r in info.run_before] == [("other", "0003_y")]


def test_missing_attributes_are_django_defaults() -> None:
    info = parse(
        "from django.db import migrations\nclass Migration(migrations.Migration):\n  pass\n"
    )
    assert info.references() == () and not info.unknown and not info.error


def test_non_literal_dependencies_are_unknown_never_empty() -> None:
    for body in (
        "    dependencies = BASE\n",
        "    dependencies = [('shop', NAME)]\n",
        "    dependencies = [('shop', '0001_a')] + EXTRA\n",
        "    dependencies = [('shop', '0001_a')]\n    dependencies += [('x', 'y')]\n",
        "    if True:\n        dependencies = [('shop', '0001_a')]\n",
        "    dependencies = [(f'shop', '0001_a')]\n",
        "    dependencies = [x for x in ()]\n",
    ):
        info = parse(f"class Migration:\n{body}")
        assert [a for a, _ in info.unknown] == ["dependencies"], body


def test_syntax_error_and_missing_class() -> None:
    broken = parse("class Migration(migrations.Migration):\n    dependencies = [\n<<<<<<< HEAD\n")
    assert broken.error_code == "syntax" and broken.error_line is not None
    compile_only = parse("class Migration:\n    pass\nreturn 1\n")  # compile() rejects it
    assert compile_only.error_code == "syntax"
    assert parse("from django.db import migrations\n").error_code == "no-class"
    assert parse("from shop.base import Migration\n").error_code == "no-class"
    star_first = parse("from django.db.migrations import *\nclass Migration:\n    pass\n")
    assert not star_first.error
    rebound = parse("class Migration:\n    pass\nfrom shop.base import *\n")
    assert rebound.error_code == "no-class" and "bound by code" in rebound.error
