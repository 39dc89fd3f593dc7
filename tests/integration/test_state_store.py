"""Login state and nonces in shared storage: single use, atomic across threads, per browser."""
from __future__ import annotations

import threading
import uuid

from lti_plugin.lti.state import PendingLogin
from lti_plugin.state_store import state_store


def _login() -> PendingLogin:
    from lti_plugin.models import Registration
    from lti_plugin.extensions import db

    row = Registration(issuer="https://lms.example.edu", client_id="c", auth_login_url="https://lms.example.edu/a",
                       auth_token_url="https://lms.example.edu/t", key_set_url="https://lms.example.edu/k")
    db.session.add(row)
    db.session.commit()
    return PendingLogin(row.id, "n" * 64, "b" * 64, "http://localhost/lti/launch")


def test_a_state_is_taken_once(app) -> None:
    with app.app_context():
        store = state_store()
        login = _login()
        store.put_login("state-1", login, 60)
        assert store.take_login("state-1") == login
        assert store.take_login("state-1") is None
        assert store.take_login("never-issued") is None


def test_an_expired_state_is_not_returned(app) -> None:
    with app.app_context():
        store = state_store()
        store.put_login("state-2", _login(), 1)
        import time

        time.sleep(2.1)
        assert store.take_login("state-2") is None


def test_a_login_and_its_nonce_are_spent_together(app) -> None:
    from lti_plugin.lti.state import RedisStateStore, digest

    with app.app_context():
        store = state_store()
        nonce = f"nonce-{uuid.uuid4()}"
        login = _login()
        login = PendingLogin(login.registration_id, digest(nonce), login.browser_hash, login.target_link_uri)
        store.put_login("state-3", login, 60)
        store.put_login("state-4", login, 60)  # a second login with the same nonce (never issued so)
        store.put_login("state-5", login, 60)
        pending, fresh = store.take_login_and_nonce("state-3", nonce, 60)
        assert pending == login
        assert fresh is True
        if isinstance(store, RedisStateStore):  # the nonce is forgotten after its time, as use_nonce's are
            assert 0 < store.client.ttl(f"{store.prefix}nonce:{digest(nonce)}") <= 60
        assert store.take_login_and_nonce("state-3", nonce, 60) == (None, None)  # spent
        pending, fresh = store.take_login_and_nonce("state-4", nonce, 60)
        assert pending == login and fresh is False  # the nonce is spent too
        assert not store.use_nonce(nonce, 60)
        # Another login's nonce is not used along with this one.
        other = f"nonce-{uuid.uuid4()}"
        assert store.take_login_and_nonce("state-5", other, 60) == (login, None)
        assert store.use_nonce(other, 60)


def test_a_nonce_is_used_once_even_when_threads_race(app) -> None:
    results: list[bool] = []
    nonce = f"shared-nonce-{uuid.uuid4()}"

    def use() -> None:
        with app.app_context():
            results.append(state_store().use_nonce(nonce, 60))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_a_state_taken_by_racing_threads_goes_to_one(app) -> None:
    with app.app_context():
        state_store().put_login("raced", _login(), 60)
    taken: list[object] = []

    def take() -> None:
        with app.app_context():
            taken.append(state_store().take_login("raced"))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for t in taken if t is not None) == 1


def test_health_and_error_pages(app, client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and b"Traceback" not in missing.data
    assert client.get("/").status_code == 200
    headers = client.get("/").headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
