"""Draw the app icons in static/icons/ (run after changing this file; the PNGs are committed).

    .venv/bin/pip install -e ".[icons]" && .venv/bin/python scripts/make_icons.py

Drawn from shapes and Pillow's built-in font, so the same Pillow version gives the same
bytes on any machine; no image editor or downloaded font is involved.
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
RED = (156, 0, 0, 255)      # --fire in static/css/app.css, also the manifest's theme colour
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
SUPERSAMPLE = 4             # drawn large and scaled down, for smooth edges


def draw_mark(draw, box, bubble, text):
    """A speech bubble (the chat) with 119 in it, inside ``box`` = (left, top, size)."""
    left, top, size = box
    body = (left, top, left + size, top + size * 0.78)
    draw.rounded_rectangle(body, radius=size * 0.18, fill=bubble)
    tail_x = left + size * 0.26
    draw.polygon([(tail_x, body[3] - 1), (tail_x + size * 0.22, body[3] - 1), (tail_x, top + size)], fill=bubble)
    font = ImageFont.load_default(size=size * 0.44)
    centre = ((body[0] + body[2]) / 2, (body[1] + body[3]) / 2)
    draw.text(centre, "119", font=font, fill=text, anchor="mm", stroke_width=int(size * 0.012),
              stroke_fill=text)


def icon(size, purpose):
    """One icon: "any" (rounded tile), "maskable" (full bleed, mark in the safe zone) or "monochrome"."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), CLEAR)
    draw = ImageDraw.Draw(image)
    if purpose == "any":
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.2, fill=RED)
        mark = big * 0.68
    elif purpose == "maskable":
        draw.rectangle((0, 0, big, big), fill=RED)
        mark = big * 0.56  # inside the central 80 % circle that every mask keeps
    else:
        # Monochrome icons are used by their alpha only: the mark is the shape, 119 cut out of it.
        mark = big * 0.8
    offset = (big - mark) / 2
    draw_mark(draw, (offset, offset + mark * 0.02, mark), WHITE, CLEAR if purpose == "monochrome" else RED)
    return image.resize((size, size), Image.LANCZOS)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    files = {f"icon-{s}.png": (s, "any") for s in (192, 512)}
    files |= {f"maskable-{s}.png": (s, "maskable") for s in (192, 512)}
    files |= {f"monochrome-{s}.png": (s, "monochrome") for s in (192, 512)}
    files |= {"apple-touch-icon.png": (180, "maskable"), "favicon-32.png": (32, "any")}
    for name, (size, purpose) in files.items():
        icon(size, purpose).save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()
