#!/usr/bin/python3
"""Reference resizes for noiselab's image resizing (test/data/resize.test.ts).

Run with Debian's python3-pil:  /usr/bin/python3 scripts/make_resize_fixtures.py

Each case is a deterministic greyscale ("L") image resized with Pillow's
Image.resize(size, Image.BILINEAR) — torchvision's default for PIL images.
noiselab resizes each channel plane alone, so one channel covers RGB too.
Writes test/fixtures/data/resize.json: per case, the input size (the pixels are
`pixel(x, y, w)` below, which the test recomputes) and
the output size and Pillow's pixels (row-major).
"""
import json
import os

import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "data", "resize.json")

# (width, height) in, (width, height) out: shrink, enlarge, one axis only, odd factors, CelebA's 178x218 to 128x128.
CASES = [
    ((37, 23), (16, 16)),
    ((5, 7), (12, 9)),
    ((20, 10), (20, 4)),
    ((9, 31), (4, 31)),
    ((64, 64), (21, 43)),
    ((178, 218), (128, 128)),
]


def pixel(x, y, w):
    # Smooth gradients plus a high-frequency pattern, so rounding and aliasing both matter.
    return (x * 255 // max(w - 1, 1) + 37 * ((x * 7 + y * 13) % 5) + 3 * y) % 256


cases = []
for (w, h), (ow, oh) in CASES:
    data = bytes(pixel(x, y, w) for y in range(h) for x in range(w))
    image = Image.frombytes("L", (w, h), data)
    out = image.resize((ow, oh), Image.BILINEAR)
    cases.append({"width": w, "height": h, "outWidth": ow, "outHeight": oh, "expected": list(out.tobytes())})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"pillow": PIL.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {OUT}: {len(cases)} cases")
