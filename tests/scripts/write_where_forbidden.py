"""Try to download CelebA and to create a session where the working folder cannot be written; print each error."""

import sys

from dcgan_helpers.celeba import download_celeba
from dcgan_helpers.datasets import preset
from dcgan_helpers.errors import UsageError
from dcgan_helpers.session import Session

for attempt in (lambda: download_celeba(mirrors=()), lambda: Session.create(preset("fashion_mnist"))):
    try:
        attempt()
    except UsageError as error:
        print(error)
    else:
        sys.exit("no error")
