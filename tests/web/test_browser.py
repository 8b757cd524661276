"""The dashboard in headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium): open it, upload a model, see the devices it fits and why one does not, run an
example SPARQL query. Screenshots go to test-artifacts/browser/."""
from __future__ import annotations

import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tinyreg.registry.tflite import writer

from ..conftest import REPO
from .conftest import TOKEN

# What the browser sees comes through the API and the pages, whose tests cover both stores.
pytestmark = [pytest.mark.browser, pytest.mark.stores("embedded")]
ARTIFACTS = REPO / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="tinyreg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver, seconds: float = 30):
    return WebDriverWait(driver, seconds)


def test_upload_a_model_see_where_it_runs_and_query(live_server, browser, tmp_path):
    # live_server first: it stops after the browser has closed its keep-alive connections.
    browser.get(live_server + "/")
    assert "What the registry knows" in browser.page_source
    browser.save_screenshot(str(ARTIFACTS / "1-overview.png"))

    model = tmp_path / "browser-kws.tflite"
    model.write_bytes(writer.conv2d(size=24, channels=1, filters=8))
    browser.get(live_server + "/upload")
    form = browser.find_element(By.ID, "model-upload")
    form.find_element(By.NAME, "file").send_keys(str(model))
    form.find_element(By.NAME, "name").send_keys("Browser KWS")
    Select(form.find_element(By.NAME, "task")).select_by_visible_text("keyword-spotting")
    form.find_element(By.NAME, "sensors").send_keys("microphone")
    form.find_element(By.NAME, "token").send_keys(TOKEN)
    form.find_element(By.TAG_NAME, "button").click()
    wait(browser, 90).until(ec.presence_of_element_located((By.ID, "compatible")))
    assert browser.current_url.endswith("/models/browser-kws@1")
    section = browser.find_element(By.ID, "compatible")
    fits = section.find_elements(By.CSS_SELECTOR, "tr.fit")
    misfits = section.find_elements(By.CSS_SELECTOR, "tr.misfit")
    assert fits and misfits
    assert any("Arduino Nano 33 BLE Sense" in row.text for row in fits)
    nucleo = next(row for row in misfits if "NUCLEO-L4R5ZI" in row.text)
    assert "microphone" in nucleo.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", nucleo)
    browser.save_screenshot(str(ARTIFACTS / "2-model-devices.png"))

    browser.get(live_server + "/compat?q=nucleo&mq=browser")
    # it runs on every Nucleo, none of which has a microphone: runs, does not fit
    cells = browser.find_elements(By.CSS_SELECTOR, ".heatmap td.runs a")
    assert cells and not browser.find_elements(By.CSS_SELECTOR, ".heatmap td.fit")
    browser.save_screenshot(str(ARTIFACTS / "3-heatmap.png"))
    cells[0].click()
    wait(browser).until(lambda d: "/compat/explain" in d.current_url)
    assert "It runs, but the device lacks a sensor it needs." in browser.page_source
    assert "microphone" in browser.page_source
    browser.save_screenshot(str(ARTIFACTS / "4-explanation.png"))

    browser.get(live_server + "/query")
    browser.find_element(By.CSS_SELECTOR, 'button.example[data-key="devices-for-model"]').click()
    assert "?device" in browser.find_element(By.ID, "query").get_property("value")
    browser.find_element(By.ID, "run").click()
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert len(rows) >= 1 and "/id/device/" in rows[0].text
    assert "row" in browser.find_element(By.ID, "status").text
    browser.save_screenshot(str(ARTIFACTS / "5-sparql-example.png"))

    # The address now carries the query: opened afresh, it shows the same answer.
    shared = browser.current_url
    assert "?query=" in shared
    asked = browser.find_element(By.ID, "query").get_property("value")
    browser.get("about:blank")
    browser.get(shared)
    assert browser.find_element(By.ID, "query").get_property("value") == asked
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == len(rows)
