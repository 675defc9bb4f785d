"""In a real browser, the director finds «Подписать» among her tasks, signs the order with her
password and the Положение with a .sig file, and the document list says both are signed."""
from __future__ import annotations

from sqlalchemy import select

from tests.gost_keys import valid_now
from vsoko_flow.models import Membership, Signature, StoredDocument
from vsoko_flow.services.demo import DEMO_PASSWORD, load_demo

from .browser import browser, live_server, screenshot  # noqa: F401 - fixtures


def test_the_director_signs_in_the_browser(rt, live_server, browser, tmp_path):  # noqa: F811
    users = load_demo(rt)
    with rt.sessions.begin() as session:
        session.scalars(select(Membership).where(Membership.user_id == users["director"])).one().cert_serial = ""
        act = session.scalars(select(StoredDocument).join(Signature, Signature.document_id == StoredDocument.id)
                              .where(StoredDocument.template_name == "polozhenie")).one()
        # The demo has more than one order waiting for her; this test signs the one approving the Положение.
        order_signature = session.scalars(
            select(Signature.id).join(StoredDocument, Signature.document_id == StoredDocument.id)
            .where(Signature.artefact_id == act.artefact_id, StoredDocument.title.startswith("Приказ об утверждении"),
                   Signature.signer_id == users["director"])).one()
        signature_file = tmp_path / "Положение.docx.sig"
        signature_file.write_bytes(valid_now("Соколова Марина Борисовна").sign(act.content))

    page = browser.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Логин").fill("director")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{live_server.url}/")
    screenshot(page, "signing-tasks")

    order_link = page.locator(f'a[href="/signatures/{order_signature}"]')
    assert order_link.inner_text().startswith("Подписать: Приказ об утверждении")
    order_link.click()
    page.get_by_label("Ваш пароль для входа в систему").fill("не мой пароль")
    page.get_by_role("button", name="Подписать простой электронной подписью").click()
    assert page.get_by_text("Пароль неверный: документ не подписан").is_visible()
    page.get_by_label("Ваш пароль для входа в систему").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Подписать простой электронной подписью").click()
    assert page.get_by_text("подписан: простая электронная подпись").first.is_visible()

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Подписать: Положение (локальный нормативный акт)").click()
    page.get_by_label("Файл подписи (.sig)").set_input_files(str(signature_file))
    page.get_by_role("button", name="Проверить и принять подпись").click()
    assert page.get_by_text("квалифицированная электронная подпись").first.is_visible()
    screenshot(page, "signing-done")
    listing = page.locator("#docs-heading").locator("xpath=..").inner_text()
    assert listing.count("Подписан") >= 2
