"""Import the package and every module; print, as JSON, what that changed: environment variables, the standard
file descriptors, calls of os.dup2. Importing the package must change none of them."""

import importlib
import importlib.util
import json
import os
import pkgutil

import ipywidgets  # noqa: F401 - their own import-time effects are not the package's
import keras  # noqa: F401
import matplotlib  # noqa: F401
import tensorflow  # noqa: F401

environment = dict(os.environ)
descriptors = {fd: os.path.realpath(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)}
redirections = []
real_dup2 = os.dup2
os.dup2 = lambda *arguments, **options: redirections.append(arguments) or real_dup2(*arguments, **options)
package = importlib.util.find_spec("dcgan_helpers").submodule_search_locations
for module in ["", *sorted(info.name for info in pkgutil.iter_modules(package))]:
    importlib.import_module("dcgan_helpers" + (f".{module}" if module else ""))
print(json.dumps({
    "environment": sorted(set(os.environ.items()) ^ set(environment.items())),
    "descriptors": {fd: os.path.realpath(f"/proc/self/fd/{fd}") for fd in descriptors} != descriptors,
    "redirections": len(redirections),
}))
