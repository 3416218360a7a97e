"""Small datasets built in exactly the published layouts of CelebA and 11k Hands, and a loopback file server."""

import io
import threading
import zipfile
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image

HAND_INFO_HEADER = "id,age,gender,skinColor,accessories,nailPolish,aspectOfHand,imageName,irregularities"


def jpeg_bytes(width: int, height: int, seed: int, background=(235, 230, 225)) -> bytes:
    """A JPEG with a coloured rectangle on a plain background; each seed gives a different picture."""
    rng = np.random.default_rng(seed)
    pixels = np.full((height, width, 3), background, np.uint8)
    top, left = rng.integers(0, height // 3), rng.integers(0, width // 3)
    pixels[top: top + height // 2, left: left + width // 2] = rng.integers(0, 200, 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def celeba_members(count: int, corrupt=(7,)) -> dict[str, bytes]:
    """``img_align_celeba/000001.jpg`` … as published (178×218), some of them truncated."""
    members = {}
    for number in range(1, count + 1):
        content = jpeg_bytes(178, 218, number)
        members[f"img_align_celeba/{number:06d}.jpg"] = content[: len(content) // 3] if number in corrupt else content
    return members


def write_members(root: Path, members: dict[str, bytes]) -> Path:
    for name, content in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def zip_members(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # JPEGs do not compress
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def hands_rows(count: int) -> list[str]:
    """HandInfo.csv rows with quoted fields, cycling through the values the real file uses."""
    aspects = ("dorsal right", "dorsal left", "palmar right", "palmar left")
    rows = []
    for index in range(count):
        rows.append(f'{index // 4:07d},{20 + index % 5},"{("male", "female")[index % 2]}","fair",'
                    f'{int(index % 3 == 0)},{int(index % 5 == 0)},"{aspects[index % 4]}",'
                    f'"Hand_{index + 2:07d}.jpg",0')
    return rows


def make_hands(root: Path, count: int = 16, zipped: bool = False, header: str = HAND_INFO_HEADER) -> Path:
    """``Hands/Hand_0000002.jpg`` … (4:3 photos on a light background) or ``Hands.zip``, plus ``HandInfo.csv``."""
    root.mkdir(parents=True, exist_ok=True)
    members = {f"Hands/Hand_{index + 2:07d}.jpg": jpeg_bytes(160, 120, 100 + index) for index in range(count)}
    if zipped:
        zip_members(root / "Hands.zip", members)
    else:
        write_members(root, members)
    (root / "HandInfo.csv").write_text("\n".join([header, *hands_rows(count)]) + "\n")
    return root


class FileServer:
    """Serves bytes over HTTP on loopback with Range support; can cut the first transfer short."""

    def __init__(self, files: dict[str, bytes], cut_first_after: int | None = None):
        self.files, self.cut_first_after = files, cut_first_after
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append({"path": self.path, "range": self.headers.get("Range")})
                content = server.files.get(self.path)
                if content is None:
                    self.send_error(404)
                    return
                start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
                if start >= len(content):
                    self.send_error(416)
                    return
                self.send_response(206 if start else 200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(content) - start))
                self.end_headers()
                body = content[start:]
                if server.cut_first_after is not None and len(server.requests) == 1:
                    body = body[: server.cut_first_after]
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    @contextmanager
    def running(self):
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
