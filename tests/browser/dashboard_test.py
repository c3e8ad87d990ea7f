"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium against a live
`mlopsd serve` (--role all, or the split deployment through nginx).

    python3 tests/browser/dashboard_test.py URL ADMIN_PASSWORD SCREENSHOT_DIR

The whole path without a terminal: sign in, upload crashes.csv, preprocess, build features,
train while the progress bar moves, sort the leaderboard, open a run's plots, compare two runs,
promote through the gates (a failing gate first), and find the champion on the overview; then the
monitoring charts after some traffic, and the users page, where a plain user made there finds no
admin control. Fails on any message the page logged to the browser console. Screenshots of each
page go to SCREENSHOT_DIR, at 1280×800 (the whole page) and at a phone's 390×844.
"""

import base64
import csv
import io
import json
import os
import re
import sys
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as visible
from selenium.webdriver.support.ui import Select, WebDriverWait

URL, ADMIN_PASSWORD, SCREENSHOTS = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
# Against the server run.sh started (a debug build, one process), rather than a deployment's edge.
DIRECT = os.environ.get("MLOPSD_BROWSER_DIRECT") == "1"
CRASHES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "datasets", "crashes.csv"))
# Debug builds train slowly; the whole path stays well inside this.
PATIENCE = 300


def browser(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def call(method, path, token=None, body=None, content_type="application/json"):
    """The API directly, for what a client (not a person) does: sending traffic and feedback."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(URL + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            if error.code != 429 or attempt == 4:
                raise
            time.sleep(float(error.headers.get("Retry-After") or 1))


class Dashboard(unittest.TestCase):
    def setUp(self):
        self.driver = browser(1280, 800)
        # Pages redraw parts of themselves while polling: an element found a moment ago may be gone.
        self.wait = WebDriverWait(self.driver, 30, ignored_exceptions=(StaleElementReferenceException,))

    def tearDown(self):
        self.driver.quit()

    def assert_accessible(self, page):
        """Every control has a label, every image its text, every chart its name."""
        offenders = self.driver.execute_script("""
            const named = (e) => e.getAttribute("aria-label") || (e.id && document.querySelector(`label[for="${e.id}"]`));
            return [
              ...[...document.querySelectorAll("input, select, textarea")].filter((e) => !named(e)).map((e) => e.outerHTML),
              ...[...document.querySelectorAll("button")].filter((e) => !(e.textContent.trim() || e.getAttribute("aria-label"))).map((e) => e.outerHTML),
              ...[...document.querySelectorAll("img")].filter((e) => !e.getAttribute("alt")).map((e) => e.outerHTML),
              ...[...document.querySelectorAll("svg")].filter((e) => !e.getAttribute("aria-label")).map((e) => e.outerHTML.slice(0, 80)),
            ];""")
        self.assertEqual(offenders, [], f"unlabelled on {page}")

    def shot(self, name):
        """The whole page, not only what the window shows, after checking it is labelled."""
        self.assert_accessible(name)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        width = self.driver.execute_script("return document.documentElement.clientWidth")
        height = min(4000, self.driver.execute_script("return document.documentElement.scrollHeight"))
        image = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        with open(os.path.join(SCREENSHOTS, f"{name}.png"), "wb") as file:
            file.write(base64.b64decode(image["data"]))

    def console_errors(self):
        # A failed sign-in's 401, a refused promotion's 409, a 429 the page waited out at the edge
        # and a role's readiness answering 503 (the predict role before its first champion) are
        # the messages the console may hold.
        expected = re.compile(r"the server responded with a status of (401|409|429)\b|/ready - .*status of 503\b")
        return [e for e in self.driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING") and not expected.search(e["message"])]

    def heading(self, text):
        return self.wait.until(visible.visibility_of_element_located(
            (By.XPATH, f"//h1[not(@data-stale)][starts-with(normalize-space(), '{text}')]")))

    def go(self, page, heading):
        """Follows a page link and waits for the page it draws, not the one still showing (the
        same page, when the link leads where the browser already is)."""
        self.driver.execute_script("document.querySelectorAll('#page h1').forEach((h) => { h.dataset.stale = 'yes'; })")
        self.driver.find_element(By.CSS_SELECTOR, f"nav a[href='#/{page}']").click()
        return self.heading(heading)

    def sign_in(self, username, password):
        self.driver.get(URL + "/")
        self.wait.until(visible.visibility_of_element_located((By.ID, "login-form")))
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()

    def wait_for_job(self, holder_id, patience=PATIENCE):
        """Watches a job's progress bar until the job ends; returns the values it showed."""
        seen = []
        deadline = time.time() + patience
        while time.time() < deadline:
            bars = self.driver.find_elements(By.CSS_SELECTOR, f"#{holder_id} progress")
            if bars:
                value = bars[0].get_attribute("value")
                if not seen or seen[-1] != value:
                    seen.append(value)
                status = self.driver.find_element(By.CSS_SELECTOR, f"#{holder_id} .job").get_attribute("data-status")
                if status in ("completed", "failed", "cancelled"):
                    self.assertEqual(status, "completed", self.driver.find_element(By.ID, holder_id).text)
                    return seen
            time.sleep(0.1)
        self.fail(f"the job in #{holder_id} did not end; progress seen: {seen}")

    def test_1_the_whole_path_without_a_terminal(self):
        self.driver.get(URL + "/")
        self.wait.until(visible.visibility_of_element_located((By.ID, "login-form")))
        self.shot("sign-in")
        for field in ("username", "password"):
            self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, f"label[for={field}]"), field)
        self.sign_in("admin", "not the password")
        self.wait.until(lambda d: d.find_element(By.ID, "login-error").text.strip())
        self.driver.find_element(By.ID, "username").clear()
        self.sign_in("admin", ADMIN_PASSWORD)
        self.heading("Overview")
        self.wait.until(lambda d: len(d.find_elements(By.XPATH, "//h2[text()='Roles']/following-sibling::table[1]//tbody/tr")) == 4)
        roles = {row.find_element(By.TAG_NAME, "td").text: row.text
                 for row in self.driver.find_elements(By.XPATH, "//h2[text()='Roles']/following-sibling::table[1]//tbody/tr")}
        self.assertEqual(sorted(roles), ["auth", "data", "predict", "train"])
        for role in ("auth", "data", "train"):
            self.assertIn("ready", roles[role])
            self.assertNotIn("not ready", roles[role])
        # Everything the page loaded — HTML, CSS, scripts — stays within the ~200 KB budget.
        loaded = self.driver.execute_script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".filter((e) => !e.name.includes('/api/')).reduce((sum, e) => sum + e.decodedBodySize, 0)")
        self.assertLess(loaded, 200_000)

        # From the keyboard. A new page puts the focus on its heading; going back from there
        # passes the page links to the skip link, which returns the focus to the page.
        self.wait.until(lambda d: d.switch_to.active_element.tag_name == "h1")
        visited = []
        for _ in range(12):
            self.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
            visited.append(self.driver.switch_to.active_element.text)
            if visited[-1] == "Skip to the page":
                break
        self.assertEqual(visited[-1], "Skip to the page", visited)
        self.assertIn("Datasets", visited)
        self.driver.switch_to.active_element.send_keys(Keys.ENTER)
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "main")
        self.assertTrue(self.driver.current_url.endswith("#/overview") or "#" not in self.driver.current_url, "the skip link is no page")
        for _ in range(12):
            focused = self.driver.switch_to.active_element
            if focused.text == "Datasets":
                break
            focused.send_keys(Keys.SHIFT, Keys.TAB)
        self.assertEqual(focused.text, "Datasets")
        focused.send_keys(Keys.ENTER)
        self.heading("Datasets")
        self.wait.until(lambda d: d.switch_to.active_element.tag_name == "h1")

        # Upload, with its progress bar, lands on the dataset's profile.
        self.driver.find_element(By.ID, "upload-file").send_keys(CRASHES)
        self.driver.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
        self.heading("Dataset crashes")
        profile = self.driver.find_element(By.XPATH, "//h2[text()='Profile']/following-sibling::table[1]")
        self.assertEqual(len(profile.find_elements(By.CSS_SELECTOR, "tbody tr")), 15)
        self.assertTrue(profile.find_elements(By.CSS_SELECTOR, "svg[aria-label^='weight: histogram']"), "numeric columns have histograms")
        self.assertTrue(profile.find_elements(By.CSS_SELECTOR, "svg[aria-label^='dead: most frequent']"), "categorical ones their top values")
        self.shot("dataset")

        # Preprocess on the target `dead`, then build features from the split it made.
        Select(self.driver.find_element(By.ID, "pp-target")).select_by_value("dead")
        self.driver.find_element(By.CSS_SELECTOR, "#preprocess-form button[type=submit]").click()
        self.wait_for_job("pp-progress")
        self.wait.until(visible.visibility_of_element_located((By.CSS_SELECTOR, "#pp-progress a"))).click()
        self.heading("Processed split")
        self.assertIn("dead", self.driver.find_element(By.CSS_SELECTOR, "dl.facts").text)
        self.driver.find_element(By.CSS_SELECTOR, "#features-form button[type=submit]").click()
        self.wait_for_job("fs-progress")
        self.shot("version")
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//div[@id='fs-progress']//a[text()='Train on it']"))).click()

        # Training on that feature set: the progress bar moves until the leaderboard appears.
        self.heading("Training")
        self.assertTrue(Select(self.driver.find_element(By.ID, "train-version")).first_selected_option.get_attribute("value").startswith("fs-"))
        experiment = "browser-" + os.urandom(3).hex()
        box = self.driver.find_element(By.ID, "train-experiment")
        box.clear()
        box.send_keys(experiment)
        wanted = ("logistic_regression", "random_forest", "gradient_boosting")
        for checkbox in self.driver.find_elements(By.CSS_SELECTOR, "#train-types input[type=checkbox]"):
            if checkbox.is_selected() != (checkbox.get_attribute("value") in wanted):
                checkbox.click()
        self.driver.find_element(By.CSS_SELECTOR, "#train-form button[type=submit]").click()
        seen = self.wait_for_job("train-progress")
        self.assertEqual(seen[-1], "100")
        # A debug build trains for half a minute, time for the bar to show the job part-way; the
        # image's release build may finish between two of the page's polls.
        if DIRECT:
            self.assertTrue(any(0 < int(value) < 100 for value in seen), f"the progress bar moved: {seen}")
        board = self.wait.until(visible.visibility_of_element_located((By.CSS_SELECTOR, "#train-progress table")))
        self.assertEqual(len(board.find_elements(By.CSS_SELECTOR, "tbody tr")), 3)
        self.shot("training-done")

        # A long job, a search of 200 trials, is cancelled from the page; its fit stops.
        finished = self.driver.find_element(By.CSS_SELECTOR, "#train-progress .job").get_attribute("data-job")
        for checkbox in self.driver.find_elements(By.CSS_SELECTOR, "#train-types input[type=checkbox]"):
            if checkbox.is_selected() != (checkbox.get_attribute("value") == "gradient_boosting"):
                checkbox.click()
        self.driver.find_element(By.ID, "train-tune").click()
        trials = self.driver.find_element(By.ID, "train-trials")
        trials.clear()
        trials.send_keys("200")
        self.driver.find_element(By.CSS_SELECTOR, "#train-form button[type=submit]").click()
        self.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#train-progress .job").get_attribute("data-job") != finished)
        self.driver.find_element(By.CSS_SELECTOR, "#train-progress button[aria-label='Cancel this job']").click()
        self.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#train-progress .job").get_attribute("data-status") == "cancelled")
        self.assertFalse(self.driver.find_elements(By.CSS_SELECTOR, "#train-progress button"), "no cancel once it ended")

        # The leaderboard of this experiment sorts by any metric, from the keyboard too.
        self.go("training", "Training")
        Select(self.driver.find_element(By.ID, "leaderboard-experiment")).select_by_value(experiment)
        rows = lambda: self.driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")
        self.wait.until(lambda d: len(rows()) == 3)
        sort = self.driver.find_element(By.XPATH, "//div[@id='leaderboard']//th/button[starts-with(., 'accuracy')]")
        sort.send_keys(Keys.ENTER)
        header = self.driver.find_element(By.XPATH, "//div[@id='leaderboard']//th[button[starts-with(., 'accuracy')]]")
        self.assertIn(header.get_attribute("aria-sort"), ("ascending", "descending"))
        column = [th.text for th in self.driver.find_elements(By.CSS_SELECTOR, "#leaderboard th")].index(header.text)
        values = [float(row.find_elements(By.TAG_NAME, "td")[column].text) for row in rows()]
        self.assertEqual(values, sorted(values, reverse=header.get_attribute("aria-sort") == "descending"))
        self.shot("training")

        # Two runs side by side, then one run's page with its plots.
        boxes = self.driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody input[type=checkbox]")
        boxes[0].click()
        boxes[1].click()
        self.driver.find_element(By.ID, "compare").click()
        self.heading("Compare")
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".side-by-side img")) >= 4)
        self.wait.until(lambda d: all(img.get_property("naturalWidth") > 0 for img in d.find_elements(By.CSS_SELECTOR, ".side-by-side img")))
        self.shot("compare")
        self.driver.back()
        self.heading("Training")
        Select(self.driver.find_element(By.ID, "leaderboard-experiment")).select_by_value(experiment)
        self.driver.find_element(By.CSS_SELECTOR, "#leaderboard tbody tr a").click()
        self.heading("Run")
        images = self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".plots img"))
        alts = [img.get_attribute("alt") for img in images]
        self.assertTrue(any(alt.startswith("confusion matrix") for alt in alts), alts)
        self.wait.until(lambda d: all(img.get_property("naturalWidth") > 0 for img in d.find_elements(By.CSS_SELECTOR, ".plots img")))
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, "svg[aria-label*='most important features']"))
        self.shot("run")

        # Promotion: a gate the best run cannot pass is shown failing and refused, then one it
        # passes promotes it.
        self.go("models", "Models")
        Select(self.wait.until(visible.visibility_of_element_located((By.ID, "promote-experiment")))).select_by_value(experiment)
        Select(self.driver.find_element(By.ID, "promote-metric")).select_by_value("f1")
        gates = self.driver.find_element(By.ID, "promote-gates")
        gates.clear()
        gates.send_keys("f1 0.9999")
        self.wait.until(lambda d: "fails by" in d.find_element(By.ID, "gate-check").text)
        self.driver.find_element(By.CSS_SELECTOR, "#promote-form button[type=submit]").click()
        self.wait.until(lambda d: "min_metrics.f1" in d.find_element(By.ID, "promote-form-error").text)
        self.shot("models-gate-refused")
        gates.clear()
        gates.send_keys("f1 0.5")
        self.wait.until(lambda d: "passes by" in d.find_element(By.ID, "gate-check").text)
        self.driver.find_element(By.CSS_SELECTOR, "#promote-form button[type=submit]").click()
        self.wait.until(lambda d: f"Champion: {experiment}-" in d.find_element(By.ID, "serving-plan").text)
        self.shot("models")

        # The champion on the overview: which model, on what metric, promoted when and by whom.
        self.go("overview", "Overview")
        champion = self.wait.until(visible.visibility_of_element_located((By.ID, "champion"))).text
        self.assertIn(f"{experiment}-", champion)
        self.assertIn("by admin", champion)
        self.assertIn("f1 =", champion)
        self.shot("overview")
        self.driver.set_window_size(390, 844)
        self.shot("overview-phone")
        self.driver.set_window_size(1280, 800)

        # Monitoring after some traffic and feedback, as a client would send them.
        token = call("POST", "/api/v1/auth/login", body={"username": "admin", "password": ADMIN_PASSWORD})["access_token"]
        deadline = time.time() + 60
        while not any(m["arm"] == "champion" and m["name"].startswith(experiment) for m in call("GET", "/api/v1/predict/models", token)["models"]):
            self.assertLess(time.time(), deadline, "the predict role loads the new champion")
            time.sleep(0.5)
        with open(CRASHES, newline="") as file:
            rows = list(csv.DictReader(file))[:400]
        records = io.StringIO()
        writer = csv.DictWriter(records, fieldnames=[name for name in rows[0] if name != "dead"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: v for k, v in row.items() if k != "dead"} for row in rows)
        answer = call("POST", "/api/v1/predict/batch", token, records.getvalue().encode(), "text/csv")
        feedback = [{"prediction_id": p["prediction_id"], "label": row["dead"]} for p, row in zip(answer["predictions"], rows) if p and "prediction_id" in p]
        # Rows with a value the model never saw are refused one by one; the rest get their truth.
        self.assertGreater(len(feedback), 300)
        self.assertEqual(call("POST", "/api/v1/predict/feedback", token, {"feedback": feedback})["accepted"], len(feedback))
        self.go("monitoring", "Monitoring")
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg[aria-label*='live (solid)']"))
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, "svg[aria-label*='per feature']"), "drift is charted")
        # The replica that answers draws a point every ten seconds; through the edge it may not be
        # the one that served the batch.
        if DIRECT:
            champion = lambda: [m for m in call("GET", "/api/v1/predict/traffic", token)["models"] if m["arm"] == "champion" and m["model_name"].startswith(experiment)]
            WebDriverWait(self.driver, 30).until(lambda d: any(p["requests_per_second"] > 0 for m in champion() for p in m["points"]))
            self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg[aria-label='Requests per second'] circle.point"))
        self.shot("monitoring")

        errors = self.console_errors()
        self.assertEqual(errors, [], errors)

    def test_2_a_plain_user_sees_no_admin_control(self):
        self.sign_in("admin", ADMIN_PASSWORD)
        self.heading("Overview")
        self.assertTrue(self.driver.find_elements(By.XPATH, "//h2[text()='Recent jobs']"), "an admin sees the jobs")
        # The datasets and versions the first test made, listed with links to each.
        self.go("datasets", "Datasets")
        self.wait.until(lambda d: d.find_elements(By.XPATH, "//h2[text()='Uploaded']/following-sibling::table[1]//a[starts-with(., 'ds-')]"))
        self.assertTrue(self.driver.find_elements(By.XPATH, "//h2[text()='Versions']/following-sibling::table[1]//a[starts-with(., 'fs-')]"))
        self.shot("datasets")
        self.go("users", "Users")
        self.wait.until(visible.visibility_of_element_located((By.ID, "create-user")))
        viewer = "viewer-" + os.urandom(3).hex()
        self.driver.find_element(By.ID, "new-username").send_keys(viewer)
        self.driver.find_element(By.ID, "new-email").send_keys(f"{viewer}@example.org")
        self.driver.find_element(By.ID, "new-password").send_keys("viewer-password-1")
        self.driver.find_element(By.CSS_SELECTOR, "#create-user button[type=submit]").click()
        self.wait.until(visible.visibility_of_element_located((By.XPATH, f"//td[text()='{viewer}']")))
        self.shot("users")

        self.driver.find_element(By.ID, "logout").click()
        self.sign_in(viewer, "viewer-password-1")
        self.heading("Overview")
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h2[text()='Served models']")))
        for page in ("datasets", "training", "users"):
            self.assertFalse(self.driver.find_element(By.CSS_SELECTOR, f"nav a[href='#/{page}']").is_displayed(), f"no {page} link")
        self.assertFalse(self.driver.find_elements(By.XPATH, "//h2[text()='Recent jobs']"), "a plain user sees no jobs")
        self.go("models", "Models")
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h2[text()='Served now']")))
        for heading in ("Registry", "Promote", "Serving plan"):
            self.assertFalse(self.driver.find_elements(By.XPATH, f"//h2[text()='{heading}']"), f"a plain user sees no {heading}")
        self.shot("models-plain-user")
        # A bookmarked admin page tells them it is not for them, without calling the API.
        self.driver.execute_script("location.hash = '#/training'")
        self.wait.until(lambda d: "for admins" in d.find_element(By.ID, "page").text)
        self.go("monitoring", "Monitoring")

        # Disabled by the admin, the plain user can no longer sign in.
        self.driver.find_element(By.ID, "logout").click()
        self.sign_in("admin", ADMIN_PASSWORD)
        self.heading("Overview")
        self.go("users", "Users")
        self.wait.until(visible.visibility_of_element_located((By.CSS_SELECTOR, f"button[data-user='{viewer}']"))).click()
        self.wait.until(visible.visibility_of_element_located((By.XPATH, f"//tr[td[text()='{viewer}']]/td[text()='disabled']")))
        self.driver.find_element(By.ID, "logout").click()
        self.wait.until(visible.visibility_of_element_located((By.ID, "login-form")))
        self.sign_in(viewer, "viewer-password-1")
        self.wait.until(lambda d: d.find_element(By.ID, "login-error").text.strip())
        # Tokens were in memory only: nothing is left in the browser's storage.
        self.assertEqual(self.driver.execute_script("return localStorage.length + sessionStorage.length + document.cookie.length"), 0)
        errors = self.console_errors()
        self.assertEqual(errors, [], errors)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2, failfast=True)
