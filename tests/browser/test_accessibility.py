"""Accessibility of the main pages, checked by axe-core (vendored) in a real Chromium.

axe runs on every main page, public and signed in, in English and Persian (right-to-left): no
colour-contrast violation (WCAG AA: 4.5:1 for text, 3:1 for large text) and no serious or
critical violation at all. The top bar must survive long company names, Russian labels and a
logo without sideways scrolling, at desktop and phone widths.
"""

from __future__ import annotations

import pytest

from tests.browser.demo import demo_company, log_in

pytestmark = pytest.mark.browser

AXE = "/static/vendor/axe.min.js"
PUBLIC = ["/", "/login", "/signup", "/password/forgot"]
SIGNED_IN = [
    "/dashboard",
    "/customers",
    "/customers/new",
    "/users",
    "/users/invite",
    "/roles",
    "/audit",
    "/outbox",
    "/settings/company",
    "/settings/profile",
    "/settings/tokens",
    "/billing",
    "/billing/plan/business",
]


def axe_violations(page: object) -> list[dict]:
    """axe's WCAG 2 A/AA violations of the page as it is now."""
    # An element still fading back from htmx's request state (.htmx-request is
    # drawn at 60 % opacity) is a moment, not the page: wait until no request is
    # in flight and every CSS transition has finished before measuring contrast.
    page.wait_for_function(
        """() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')
            && document.getAnimations().every(a => a.playState !== 'running')"""
    )
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE)  # same origin: allowed by the CSP
    return page.evaluate(
        """async () => {
        const result = await axe.run(document, {
          runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        });
        return result.violations.map(v => ({
          id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary),
        }));
    }"""
    )


def _describe(url: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{url}: {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n}" for n in v["nodes"][:5])
    return "\n".join(lines)


def _check(page: object, urls: list[str]) -> list[str]:
    problems = []
    for url in urls:
        page.goto(url)
        bad = [
            v
            for v in axe_violations(page)
            if v["id"] == "color-contrast" or v["impact"] in ("serious", "critical")
        ]
        if bad:
            problems.append(_describe(url, bad))
    return problems


@pytest.mark.parametrize("locale", ["en-US", "fa"])
def test_main_pages_pass_axe(app, new_page, locale):
    demo_company(app)
    page = new_page(locale=locale)
    problems = _check(page, PUBLIC)
    log_in(page, "ada@acme.example.com")
    problems += _check(page, SIGNED_IN)
    assert not problems, "\n".join(problems)


def test_focus_ring_and_input_borders_have_3_to_1_contrast(app, new_page):
    """Non-text contrast (WCAG 1.4.11) axe does not measure: computed colours, checked here."""
    page = new_page()
    page.goto("/login")
    ratios = page.evaluate(
        """() => {
        const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const lum = c => {
          const [r, g, b] = c.map(v => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const ratio = (a, b) => {
          const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
          return (x + 0.05) / (y + 0.05);
        };
        const input = document.querySelector("input[type=email]");
        const card = rgb(getComputedStyle(input.closest(".card")).backgroundColor);
        const border = rgb(getComputedStyle(input).borderTopColor);
        input.focus();
        const ring = rgb(getComputedStyle(input).outlineColor);
        const ringStyle = getComputedStyle(input).outlineStyle;
        const page = rgb(getComputedStyle(document.body).backgroundColor);
        return {
          border: ratio(border, card), ringOnCard: ratio(ring, card), ringOnPage: ratio(ring, page),
          ringStyle,
        };
    }"""
    )
    assert ratios["ringStyle"] != "none"
    assert ratios["border"] >= 3, ratios
    assert ratios["ringOnCard"] >= 3 and ratios["ringOnPage"] >= 3, ratios


def _scroll_width(page: object) -> tuple[int, int]:
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


LONG_NAME = "Albanian Mediterranean Import & Export Company Ltd"  # 50 characters
UNBROKEN = "A" * 170


@pytest.mark.parametrize(
    ("name", "locale"),
    [(LONG_NAME, "en-US"), (UNBROKEN, "en-US"), (LONG_NAME, "ru"), (UNBROKEN, "fa")],
)
def test_top_bar_survives_long_names_labels_and_a_logo(app, new_page, name, locale):
    assert len(LONG_NAME) == 50
    demo_company(app, name=name, email="ada@long.example.com")
    page = new_page(locale=locale)
    log_in(page, "ada@long.example.com")
    if locale != "en-US":  # the user's own language (the account was created in English)
        page.goto("/settings/profile")
        page.locator("select[name$=language]").select_option(locale[:2])
        page.locator("form:has(select[name$=language]) [type=submit]").first.click()
        page.wait_for_load_state()
        page.goto("/users")
        assert page.locator("html").get_attribute("lang") == locale[:2]
    for width, max_rows in ((1280, 2), (390, None)):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/users")
        scroll, client = _scroll_width(page)
        assert scroll <= client, f"{width}px: {scroll - client}px of sideways scroll"
        bar = page.locator(".topbar").bounding_box()
        brand = page.locator(".topbar .brand").bounding_box()
        assert bar["width"] <= width and brand["x"] >= 0 and brand["x"] + brand["width"] <= width
        assert page.locator(".brand-logo").is_visible()
        if max_rows:  # at desktop width the bar stays compact: brand + nav on at most 2 rows
            link = page.locator(".mainnav a").first.bounding_box()
            assert bar["height"] <= max_rows * (link["height"] + 24), bar
        else:  # on a phone the menu folds: one row of brand + Menu button, not three
            assert page.locator(".nav-toggle").is_visible()
            assert not page.locator(".mainnav").is_visible()
            assert bar["height"] <= 80, bar
        # the full name is still there for people who need it
        assert page.locator(".topbar .brand").get_attribute("title") == name
