"""QR codes for one-time links and two-factor keys, drawn as inline SVG (no script, no style: the CSP allows it as is)."""
from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(text: str, *, scale: int = 4, title: str = "QR code of the link above") -> Markup:
    """An SVG QR code of text, with a title for screen readers."""
    svg = segno.make(text, error="m").svg_inline(scale=scale, dark="#000", light="#fff", title=title,
                                                  svgclass="qr")
    return Markup(svg)
