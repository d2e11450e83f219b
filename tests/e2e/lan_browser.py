"""A tablet on the setting's network, run inside another network namespace by test_lan_https.py.

It trusts the instance's authority the way a Linux browser does (an NSS database in $HOME, filled by
certutil), never by ignoring certificate errors, then pairs, signs staff in and uploads a photo.
Prints one JSON object of what it saw; exits non-zero on any failure.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def trust(authority: Path, home: Path) -> None:
    """Add the authority to the NSS database Chromium reads on Linux ($HOME/.pki/nssdb) as a trusted CA."""
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{database}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{database}", "-n", "photo-gatekeeper", "-t", "C,,",
                    "-i", str(authority)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("plain", "https", "authority", "code", "email", "password", "photo", "shots"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    home = Path(os.environ["HOME"])
    seen: dict = {}
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        # Before trusting: the box's certificate is refused, as on any new tablet.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        try:
            page.goto(f"{args.https}/device", timeout=120_000)
            seen["untrusted"] = "loaded"
        except Error as exc:
            seen["untrusted"] = str(exc).splitlines()[0]
        browser.close()

        trust(Path(args.authority), home)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
        # A CI machine's cores are shared with the server, its job threads and other tests.
        context.set_default_timeout(120_000)
        context.set_default_navigation_timeout(120_000)
        page = context.new_page()
        # Typed as a person would, over plain HTTP: sent on to HTTPS.
        response = page.goto(f"{args.plain}/device")
        seen["redirected_to"] = page.url
        seen["first_status"] = response.status if response else None
        seen["security"] = response.security_details() if response else None
        seen["title"] = page.title()
        page.get_by_label("Pairing code").fill(args.code)
        page.get_by_label("Name for this tablet").fill("Sunflower room tablet")
        page.get_by_role("button", name="Register this tablet").click()
        # content() reads whatever document is there: wait for the answer page, not the form still showing.
        try:
            page.get_by_text("Sunflower room tablet").first.wait_for()
            seen["paired"] = True
        except Error:
            seen["paired"] = False
        page.screenshot(path=f"{args.shots}/lan-01-paired.png")
        page.goto(f"{args.https}/signin")
        page.get_by_label("Email").fill(args.email)
        page.get_by_label("Password").fill(args.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{args.https}/staff/upload")
        page.locator("#library").set_input_files([args.photo])
        page.locator("#upload-list .state-received").first.wait_for(timeout=180_000)
        seen["received"] = page.locator("#upload-list .state-received").count()
        page.screenshot(path=f"{args.shots}/lan-02-uploaded.png")
        seen["cookies_secure"] = all(c["secure"] for c in context.cookies())
        browser.close()
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
