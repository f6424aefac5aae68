"""gunicorn.conf.py: no query strings in the access log; bind and workers from the environment."""

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _load(monkeypatch, **environment):
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_the_access_log_has_the_path_without_the_query_string(monkeypatch):
    conf = _load(monkeypatch)
    log_format = conf["access_log_format"]
    assert "%(U)s" in log_format
    # The request line, the query string and the referrer can all carry a search term.
    assert not any(atom in log_format for atom in ("%(r)s", "%(q)s", "%(f)s", "%(i)s"))
    assert conf["accesslog"] == "-"


def test_bind_and_workers_come_from_the_environment(monkeypatch):
    conf = _load(monkeypatch, GUNICORN_BIND="0.0.0.0:9000", GUNICORN_WORKERS="3")
    assert (conf["bind"], conf["workers"]) == (["0.0.0.0:9000"], 3)
    default = _load(monkeypatch)
    assert default["bind"] == ["127.0.0.1:8000"] and default["workers"] >= 3


@pytest.mark.parametrize("value", ["many", "0"])
def test_a_bad_worker_count_stops_start_up(monkeypatch, value):
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS"):
        _load(monkeypatch, GUNICORN_WORKERS=value)


def test_the_access_log_can_be_turned_off(monkeypatch):
    assert _load(monkeypatch, GUNICORN_ACCESS_LOG="off")["accesslog"] is None
