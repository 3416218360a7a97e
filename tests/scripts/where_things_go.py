"""Print, as JSON, where the imported package lives and where it puts downloads and a new session."""

import json

import dcgan_helpers
from dcgan_helpers.datasets import preset
from dcgan_helpers.locations import download_dir
from dcgan_helpers.session import Session

session = Session.create(preset("fashion_mnist"))
print(json.dumps({"package": dcgan_helpers.__file__, "celeba": str(download_dir("celeba").resolve()),
                  "session": str(session.path.resolve())}))
