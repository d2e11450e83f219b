"""The automated accessibility audit of a page: axe-core's WCAG 2.1 A and AA rules, and no sideways scrolling.

axe-core comes from the npm registry; scripts/test installs it into .cache/axe (git-ignored). It is run
through the DevTools protocol (page.evaluate), so the page's Content-Security-Policy stays as it is.
"""
from __future__ import annotations

from functools import cache

import pytest

from tests.conftest import ROOT

AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""


@cache
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run scripts/test, or "
                    "npm install --prefix .cache/axe axe-core@4")
    return AXE.read_text(encoding="utf-8")


def wcag_violations(page) -> list[str]:
    """Every WCAG 2.1 A/AA violation axe-core finds on the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"(() => {{ {axe_source()}\n }})()")
    found = page.evaluate(_RUN, WCAG_21_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['nodes'])}" for v in found]


def sideways_overflow(page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits its width)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")


def widest_elements(page, limit: int = 5) -> list[str]:
    """What reaches past the right edge of the viewport, for a readable failure."""
    return page.evaluate("""(limit) => {
      const width = document.documentElement.clientWidth;
      return [...document.querySelectorAll("body *")]
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .slice(0, limit)
        .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
             (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
             " right=" + Math.round(el.getBoundingClientRect().right));
    }""", limit)
