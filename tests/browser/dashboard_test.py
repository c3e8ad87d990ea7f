"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium against a live
`mlopsd serve` (--role all, or the split deployment through nginx).

    python3 tests/browser/dashboard_test.py URL ADMIN_PASSWORD SCREENSHOT_DIR

Signs in, checks the overview (every role's liveness, the served models, recent jobs), visits
the models and monitoring pages, signs out, and fails on any message the page logged to the browser console. A screenshot of each page
goes to SCREENSHOT_DIR, at 1280×800 and at a phone's 390×844.
"""

import os
import sys
import unittest

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as visible
from selenium.webdriver.support.ui import WebDriverWait

URL, ADMIN_PASSWORD, SCREENSHOTS = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]


def browser(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Dashboard(unittest.TestCase):
    def setUp(self):
        self.driver = browser(1280, 800)
        self.wait = WebDriverWait(self.driver, 20)

    def tearDown(self):
        self.driver.quit()

    def shot(self, name):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))

    def console_errors(self):
        return [entry for entry in self.driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]

    def sign_in(self, username, password):
        self.driver.get(URL + "/")
        self.wait.until(visible.visibility_of_element_located((By.ID, "login-form")))
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()

    def test_sign_in_see_the_overview_and_sign_out(self):
        self.driver.get(URL + "/")
        self.wait.until(visible.visibility_of_element_located((By.ID, "login-form")))
        self.shot("sign-in")
        # Every control is labelled.
        for field in ("username", "password"):
            self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, f"label[for={field}]"), field)

        self.sign_in("admin", "not the password")
        self.wait.until(lambda d: d.find_element(By.ID, "login-error").text.strip())
        self.driver.find_element(By.ID, "username").clear()

        self.sign_in("admin", ADMIN_PASSWORD)
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h1[text()='Overview']")))
        self.wait.until(lambda d: len(d.find_elements(By.XPATH, "//h2[text()='Roles']/following-sibling::table[1]//tbody/tr")) == 4)
        roles = [row.text for row in self.driver.find_elements(By.XPATH, "//h2[text()='Roles']/following-sibling::table[1]//tbody/tr")]
        for role in ("auth", "data", "train", "predict"):
            self.assertTrue(any(row.startswith(role) for row in roles), roles)
        self.assertTrue(self.driver.find_elements(By.XPATH, "//h2[text()='Recent jobs']"), "an admin sees the jobs")
        self.assertEqual(self.driver.current_url.split("#")[0].rstrip("/"), URL)
        self.shot("overview")
        for page, heading in (("models", "Models"), ("monitoring", "Monitoring")):
            self.driver.find_element(By.CSS_SELECTOR, f"nav a[href='#/{page}']").click()
            self.wait.until(visible.visibility_of_element_located((By.XPATH, f"//h1[text()='{heading}']")))
            if page == "models":
                self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h2[text()='Registry']")))
            self.shot(page)
        self.driver.find_element(By.CSS_SELECTOR, "nav a[href='#/overview']").click()
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h1[text()='Overview']")))
        self.driver.set_window_size(390, 844)
        self.shot("overview-phone")

        # Users: an admin creates a plain user, who then sees no admin control.
        self.driver.set_window_size(1280, 800)
        self.driver.find_element(By.CSS_SELECTOR, "nav a[href='#/users']").click()
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
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h1[text()='Overview']")))
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h2[text()='Served models']")))
        self.assertFalse(self.driver.find_element(By.ID, "users-link").is_displayed(), "a plain user has no Users page")
        self.assertFalse(self.driver.find_elements(By.XPATH, "//h2[text()='Recent jobs']"), "a plain user sees no jobs")
        self.driver.find_element(By.CSS_SELECTOR, "nav a[href='#/models']").click()
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h2[text()='Served now']")))
        self.assertFalse(self.driver.find_elements(By.XPATH, "//h2[text()='Registry']"), "a plain user sees no registry")
        self.shot("models-plain-user")

        # Disabled by the admin, the plain user can no longer sign in.
        self.driver.find_element(By.ID, "logout").click()
        self.sign_in("admin", ADMIN_PASSWORD)
        self.wait.until(visible.visibility_of_element_located((By.XPATH, "//h1[text()='Overview']")))
        self.driver.find_element(By.CSS_SELECTOR, "nav a[href='#/users']").click()
        self.wait.until(visible.visibility_of_element_located((By.CSS_SELECTOR, f"button[data-user='{viewer}']"))).click()
        self.wait.until(visible.visibility_of_element_located((By.XPATH, f"//tr[td[text()='{viewer}']]/td[text()='disabled']")))

        self.driver.find_element(By.ID, "logout").click()
        self.wait.until(visible.visibility_of_element_located((By.ID, "login-form")))
        # Tokens were in memory only: nothing is left in the browser's storage.
        self.assertEqual(self.driver.execute_script("return localStorage.length + sessionStorage.length + document.cookie.length"), 0)

        # A failed sign-in's 401, and a 429 the page waited out at the edge, are the messages the
        # console may hold.
        errors = [e for e in self.console_errors() if "401" not in e["message"] and "429" not in e["message"]]
        self.assertEqual(errors, [], errors)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
