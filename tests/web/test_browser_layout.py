"""Every dashboard page in headless Chromium at a desktop and a phone width: nothing may be
wider than the viewport (the page itself never scrolls sideways; a wide table scrolls inside
its own box). Screenshots of each page at each width go to test-artifacts/browser/layout/."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import urllib.request

import pytest

from ..conftest import REPO
from .test_browser import browser  # noqa: F401  (the module's Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.stores("embedded")]
ARTIFACTS = REPO / "test-artifacts" / "browser" / "layout"
WIDTHS = (1400, 420)
PAGES = {
    "overview": "/",
    "models": "/models",
    "model": "/models/kws-tiny",
    "devices": "/devices",
    "device": "/devices/arduino-nano-33-ble-sense",
    "compat": "/compat",
    "explain": "/compat/explain?model=kws-tiny&device=nucleo-l4r5zi",
    "deployments": "/deployments",
    "query": "/query",
    "upload": "/upload",
    "ontology": "/ontology",
    "shapes": "/shapes",
}

# What sticks out past the right edge, so a failure names the culprit rather than a number.
WIDER = """
const limit = arguments[0];
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  const box = el.getBoundingClientRect();
  const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'
    && box.left + el.scrollWidth > limit + 1;
  if (box.right > limit + 1 || spills) {
    let scrolled = false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p).overflowX;
      if ((style === 'auto' || style === 'scroll' || style === 'hidden') && p !== document.body
          && p !== document.documentElement) { scrolled = true; break; }
    }
    if (!scrolled) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
      + ' ' + Math.round(Math.max(box.right, box.left + el.scrollWidth)) + 'px');
  }
  if (out.length >= 5) break;
}
return out;
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_viewport(live_server, browser, width):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    too_wide = {}
    try:
        for name, url in PAGES.items():
            browser.get(live_server + url)
            assert "Traceback" not in browser.page_source, url
            # A phone widens its layout viewport to fit what is too wide, so innerWidth
            # growing past the screen is overflow as much as a page scrolling sideways.
            inner, scroll = browser.execute_script(
                "return [window.innerWidth, document.scrollingElement.scrollWidth]")
            browser.save_screenshot(str(ARTIFACTS / f"{name}-{width}.png"))
            if max(inner, scroll) > width:
                too_wide[url] = (max(inner, scroll), browser.execute_script(WIDER, width))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not too_wide, f"pages wider than {width} px: {too_wide}"


def test_device_list_sorts_by_a_column_and_keeps_its_filter(live_server, browser):
    from selenium.webdriver.common.by import By

    def ram_column():
        cells = browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr td:nth-child(4)")
        return [cell.get_attribute("textContent") for cell in cells]

    def in_bytes(text):
        number, _, unit = text.partition(" ")
        return float(number) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]

    browser.get(live_server + "/devices?kind=MicrocontrollerBoard&limit=200")
    browser.find_element(By.LINK_TEXT, "RAM").click()
    assert "sort=ram" in browser.current_url and "kind=MicrocontrollerBoard" in browser.current_url
    up = [in_bytes(t) for t in ram_column() if t != "–"]
    assert len(up) > 10 and up == sorted(up) and up[0] < up[-1]
    browser.find_element(By.PARTIAL_LINK_TEXT, "RAM").click()
    assert "sort=-ram" in browser.current_url
    down = [in_bytes(t) for t in ram_column() if t != "–"]
    assert down == sorted(up, reverse=True)
    assert "Linux device" not in browser.find_element(By.CSS_SELECTOR, "table.list").text
    browser.save_screenshot(str(ARTIFACTS / "devices-by-ram-descending.png"))
    # The page's CSV link is the table as shown: same filter, same order.
    href = browser.find_element(By.LINK_TEXT, "CSV").get_attribute("href")
    assert href.startswith(live_server) and "_format=csv" in href and "sort=-ram" in href
    with urllib.request.urlopen(href, timeout=30) as answer:
        rows = list(csv.DictReader(io.StringIO(answer.read().decode())))
    names = [cell.text for cell in browser.find_elements(
        By.CSS_SELECTOR, "table.list tbody tr td:first-child a")]
    assert [r["name"] for r in rows] == names and {r["kind"] for r in rows} == {"MicrocontrollerBoard"}


def test_a_facet_value_narrows_the_list_to_the_count_it_shows(live_server, browser):
    from selenium.webdriver.common.by import By

    def shown():
        return len(browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr td:first-child a"))

    def pick(facet, value):
        link = browser.find_element(
            By.CSS_SELECTOR, f'.facet[data-facet="{facet}"] a[data-value="{value}"]')
        count = int(link.find_element(By.XPATH, "following-sibling::span[@class='n']").text)
        link.click()
        return count

    browser.get(live_server + "/devices?sort=-ram&limit=200")
    everything = shown()
    microphones = pick("sensor", "Microphone")
    assert "sensor=Microphone" in browser.current_url and "sort=-ram" in browser.current_url
    assert 0 < microphones == shown() < everything
    assert f"of {microphones}" in browser.find_element(By.CSS_SELECTOR, ".pager").text
    # A second facet on top of the first: the model's fit, counted among the devices with a microphone.
    fitting = pick("fits", "kws-tiny@1")
    assert 0 < fitting == shown() <= microphones and "sensor=Microphone" in browser.current_url
    browser.save_screenshot(str(ARTIFACTS / "devices-faceted.png"))
    browser.find_element(By.CSS_SELECTOR, '.facet[data-facet="sensor"] a.remove').click()
    assert shown() == fitting and "fits=kws-tiny" in browser.current_url and "sensor=Microphone" not in browser.current_url


def test_the_model_page_downloads_the_file_the_registry_holds(live_server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    with urllib.request.urlopen(live_server + "/api/models/kws-tiny", timeout=30) as answer:
        sha = json.loads(answer.read())["sha256"]
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(live_server + "/models/kws-tiny")
    link = browser.find_element(By.ID, "download")
    assert browser.find_element(By.CSS_SELECTOR, "code.digest").text == sha
    link.click()
    target = tmp_path / "kws-tiny-v1.tflite"
    for _ in range(100):  # at most 10 s for a file of a few KiB
        if target.is_file() and not list(tmp_path.glob("*.crdownload")):
            break
        time.sleep(0.1)
    assert target.is_file(), list(tmp_path.iterdir())
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha
