"""The notices static/js/offline.js shows for a kept report, as every resident page carries them."""
import re

from .conftest import login_as


def notice(page, name):
    """The inert template of one notice."""
    return re.search(rf'<template id="connection-{name}">(.*?)</template>', page, re.S).group(1)


def test_the_login_page_says_a_report_waits_for_a_login_without_a_link_to_itself(client):
    page = client.get("/login").text
    assert 'data-login="/login"' in page
    waiting = notice(page, "login")
    assert "ログインすると送ります。" in waiting and "It will be sent once you log in." in waiting
    assert 'href="/login"' not in waiting
    assert "FAXで119番に送る" in waiting


def test_resident_pages_carry_the_old_report_and_the_login_notices(client, app):
    login_as(client, app.accounts["residents"][0])
    page = client.get("/").text
    old = notice(page, "old")
    assert "古い通報が、まだ送られていません。" in old and "An old report has not been sent." in old
    assert '<time data-kept-at="ja"></time>' in old and '<time data-kept-at="en"></time>' in old
    assert re.search(r'<button type="button" class="button button--primary" data-unsent-send>今すぐ送る', old)
    assert re.search(r'<button type="button" class="button" data-unsent-cancel[^>]*>取り消す', old)
    assert 'href="/login"' in notice(page, "login")
