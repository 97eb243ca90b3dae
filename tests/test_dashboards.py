import pytest
import time_machine
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_smoke(demo):
    c = Client()
    c.force_login(demo.owner)
    with time_machine.travel("2024-08-12 12:00 +0800"):
        r = c.get("/c/demo/dashboard/")
        open("/tmp/dashdev/dash.html", "w").write(r.content.decode())
        assert r.status_code == 200
        r = c.get("/overview/")
        open("/tmp/dashdev/overview.html", "w").write(r.content.decode())
        assert r.status_code == 200
